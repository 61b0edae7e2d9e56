// Pieces the request and mentorship screens share: withdraw (confirmed first), conclude with a reason
// (confirmed first), a request's goals.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { data, mentorship } from "../../api/client";
import type { components } from "../../api/schema/mentorship";
import { Form, SubmitButton, TextArea, serverFieldError } from "../../ui/form";
import { ErrorNote } from "../../ui/status";

type RequestOut = components["schemas"]["RequestOut"];
type MentorshipOut = components["schemas"]["MentorshipOut"];

export const REASON_MAX = 1000;

export function validateReason(reason: string, what: string): string | undefined {
  const text = reason.trim();
  if (!text) return `Say in a few words why you ${what}.`;
  if (text.length > REASON_MAX) return `Use at most ${REASON_MAX} characters (now ${text.length}).`;
  return undefined;
}

export function Goals({ goals }: { goals: string[] | undefined }) {
  if (!goals?.length) return <p className="muted">No goals given.</p>;
  return <ul className="goals">{goals.map((g, i) => <li key={i}>{g}</li>)}</ul>;
}

/** Withdraw an open request, after a confirmation in the page (not a browser dialog). */
export function WithdrawRequest({ request, mentorName, onDone }: { request: RequestOut; mentorName: string; onDone?: () => void }) {
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const id = useId();
  const withdraw = useMutation({
    mutationFn: () => data(mentorship.POST("/api/v1/mentorship/requests/{request_id}/withdraw", {
      params: { path: { request_id: request.id ?? "" } }, body: {},
    })),
    onSuccess: async () => {
      setConfirming(false);
      await queries.invalidateQueries({ queryKey: ["mentorship"] });
      onDone?.();
    },
  });
  if (!confirming) {
    return (
      <button type="button" className="button secondary" onClick={() => setConfirming(true)}
        aria-label={`Withdraw request to ${mentorName}`}>Withdraw request</button>
    );
  }
  return (
    <div className="confirm" role="group" aria-labelledby={id}>
      <p id={id}><strong>Withdraw your request to {mentorName}?</strong> {mentorName} will no longer be asked to answer it.
        You can ask again later.</p>
      {withdraw.error ? <ErrorNote error={withdraw.error} /> : null}
      <div className="actions">
        <button type="button" className="button danger" disabled={withdraw.isPending} aria-busy={withdraw.isPending || undefined}
          onClick={() => withdraw.mutate()}>{withdraw.isPending ? "Withdrawing…" : "Yes, withdraw"}</button>
        <button type="button" className="button secondary" disabled={withdraw.isPending}
          onClick={() => setConfirming(false)}>Keep my request</button>
      </div>
    </div>
  );
}

/** Conclude an active mentorship: a reason, then a confirmation. */
export function ConcludeMentorship({ mentorship: ms, otherName }: { mentorship: MentorshipOut; otherName: string }) {
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const conclude = useMutation({
    mutationFn: () => data(mentorship.POST("/api/v1/mentorship/mentorships/{mentorship_id}/conclude", {
      params: { path: { mentorship_id: ms.id ?? "" } }, body: { reason: reason.trim() },
    })),
    onSuccess: async () => {
      setOpen(false);
      setConfirming(false);
      await queries.invalidateQueries({ queryKey: ["mentorship"] });
    },
  });
  if (!open) {
    return (
      <button type="button" className="button secondary" onClick={() => setOpen(true)}
        aria-label={`Conclude mentorship with ${otherName}`}>Conclude</button>
    );
  }
  return (
    <Form label={`Conclude the mentorship with ${otherName}`} error={conclude.error} onSubmit={() => {
      const found = validateReason(reason, "conclude this mentorship");
      setError(found);
      if (found) return;
      if (!confirming) {
        setConfirming(true);
        return;
      }
      conclude.mutate();
    }}>
      <TextArea label="Why are you concluding this mentorship?" required value={reason} rows={3} maxLength={REASON_MAX}
        onChange={(v) => { setReason(v); setConfirming(false); }}
        hint={`For example: goals reached, graduated, not a good fit. ${otherName} and the program see it.`}
        error={error ?? serverFieldError(conclude.error, "reason")} />
      {confirming ? (
        <p className="confirm"><strong>Conclude your mentorship with {otherName}?</strong> It ends now for both of you and cannot
          be reopened.</p>
      ) : null}
      <div className="actions">
        <SubmitButton busy={conclude.isPending} busyLabel="Concluding…" className={confirming ? "button danger" : "button"}>
          {confirming ? "Yes, conclude" : "Conclude mentorship"}
        </SubmitButton>
        <button type="button" className="button secondary" disabled={conclude.isPending}
          onClick={() => { setOpen(false); setConfirming(false); }}>Cancel</button>
      </div>
    </Form>
  );
}
