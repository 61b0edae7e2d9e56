// One data request (/research/requests/:requestId, the link of the "request decided" e-mail): its details
// and decision; the requester of an approved request downloads the export (a one-time link, then the ZIP
// fetched with their own token); an operator approves or denies with a reason, after confirming.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { data, download, evaluation } from "../../api/client";
import { ProblemError } from "../../api/problem";
import { NotFound } from "../../app/NotFound";
import { useAuth } from "../../auth/AuthProvider";
import { Form, TextArea, serverFieldError } from "../../ui/form";
import { formatDate, formatDateTime, roleName } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import { LIMITS, datasetTitle, irbWords, requestStatusWords, sizeWords, validateReason, type DataRequest } from "./research";

const day = (iso: string | undefined) => (iso ? formatDate(`${iso}T12:00:00`) : "—");

export default function RequestPage() {
  const { requestId = "" } = useParams();
  const location = useLocation();
  const justSubmitted = (location.state as { submitted?: boolean } | null)?.submitted;
  const query = useQuery({
    queryKey: ["evaluation", "data-requests", "one", requestId],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/data-requests/{request_id}", { params: { path: { request_id: requestId } } })),
    retry: (count, error) => !(error instanceof ProblemError && error.status < 500) && count < 2,
  });
  if (query.isError && query.error instanceof ProblemError && (query.error.status === 404 || query.error.status === 422)) {
    return <NotFound reason="There is no data request of yours at this address." />;
  }
  if (query.isPending) return <Loading label="Loading the request…" />;
  if (query.isError) return <Page title="Data request"><ErrorNote error={query.error} retry={() => void query.refetch()} /></Page>;
  return <Loaded request={query.data} justSubmitted={Boolean(justSubmitted)} />;
}

function Loaded({ request: r, justSubmitted }: { request: DataRequest; justSubmitted: boolean }) {
  const { role, user } = useAuth();
  const status = requestStatusWords(r.status);
  const mine = Boolean(user?.id && user.id === r.requester_id);
  return (
    <Page title={r.title ?? "Data request"} intro={<p className="row"><Badge tone={status.tone}>{status.label}</Badge></p>}>
      <p><Link to="/research/requests">Back to Research data</Link></p>
      {justSubmitted ? <Notice tone="good">Your request is submitted. An operator will approve or deny it; you will be notified.</Notice> : null}
      <Section title="The request">
        <Facts items={[
          ["Purpose", <span className="prewrap">{r.purpose}</span>],
          ["IRB status", irbWords(r.irb_status)],
          ["IRB protocol number", r.irb_number || "None given"],
          ["Datasets", (r.datasets ?? []).map(datasetTitle).join(", ")],
          ["Period", `${day(r.period_start)} – ${day(r.period_end)}`],
          ["Submitted", formatDateTime(r.created_at)],
          ["Requester", mine ? "You" : roleName(r.requester_role)],
        ]} />
      </Section>
      <Section title="Decision">
        {r.status === "submitted" ? (
          <p>Not decided yet.{role === "operator" ? "" : " A program operator approves or denies each request, with a reason; you are notified of the decision."}</p>
        ) : (
          <Facts items={[
            ["Decision", status.label],
            ["Reason", r.reason ? <span className="prewrap">{r.reason}</span> : "—"],
            ["Decided", formatDateTime(r.decided_at)],
          ]} />
        )}
        {r.status === "submitted" && role === "operator" ? (
          mine ? <p>Another operator must decide a request of yours.</p> : <Decide request={r} />
        ) : null}
      </Section>
      {r.status === "approved" && r.export ? (
        <Section title="The export">
          <p>A ZIP of one CSV file per dataset and a manifest: {sizeWords(r.export.size_bytes)}, made {formatDateTime(r.export.created_at)}.
            {" "}Rows: {Object.entries(r.export.row_counts ?? {}).map(([k, v]) => `${datasetTitle(k)} ${v}`).join(", ") || "—"}.</p>
          {mine ? <DownloadExport request={r} />
            : <p className="muted">Only the requester can download the export.</p>}
        </Section>
      ) : null}
    </Page>
  );
}

function DownloadExport({ request: r }: { request: DataRequest }) {
  const [done, setDone] = useState(false);
  const save = useMutation({
    mutationFn: async () => {
      const link = await data(evaluation.POST("/api/v1/evaluation/data-requests/{request_id}/download-link", {
        params: { path: { request_id: r.id ?? "" } }, body: {},
      }));
      await download(link.url ?? "", `research-export-${(r.export?.created_at ?? "").slice(0, 10) || "data"}.zip`);
    },
    onSuccess: () => setDone(true),
  });
  return (
    <>
      <p className="muted small">Each download is written to the research audit log. Keep the data as your IRB protocol says.</p>
      {done ? <Notice tone="good">The export was downloaded.</Notice> : null}
      {save.error ? <ErrorNote error={save.error} /> : null}
      <button type="button" className="button" disabled={save.isPending} aria-busy={save.isPending || undefined} onClick={() => save.mutate()}>
        {save.isPending ? "Downloading…" : "Download the export"}
      </button>
    </>
  );
}

function Decide({ request: r }: { request: DataRequest }) {
  const queries = useQueryClient();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<"approved" | "denied" | null>(null);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) yes.current?.focus();
  }, [confirming]);
  const decide = useMutation({
    mutationFn: (decision: "approved" | "denied") => data(evaluation.POST("/api/v1/evaluation/data-requests/{request_id}/decision", {
      params: { path: { request_id: r.id ?? "" } }, body: { decision, reason: reason.trim() },
    })),
    onSuccess: (next) => {
      queries.setQueryData(["evaluation", "data-requests", "one", r.id], next);
      void queries.invalidateQueries({ queryKey: ["evaluation", "data-requests"] });
      setConfirming(null);
    },
    onError: () => setConfirming(null),
  });
  const ask = (decision: "approved" | "denied") => {
    const found = validateReason(reason);
    setError(found);
    if (!found) setConfirming(decision);
  };
  const refused = decide.error instanceof ProblemError && decide.error.status === 403
    ? "You may not decide this request: only operators decide, and never their own requests." : null;
  return (
    <Form label="Decide the request" error={refused ? undefined : decide.error} onSubmit={() => undefined}>
      {refused ? <div className="error-note" role="alert"><p className="error-title">Not allowed</p><p>{refused}</p></div> : null}
      <TextArea label="Reason" required rows={3} maxLength={LIMITS.reason} value={reason} onChange={setReason}
        hint="The requester reads it with your decision." error={error ?? serverFieldError(decide.error, "reason")} />
      {confirming ? (
        <div className="confirm" role="group" aria-label="Confirm the decision">
          <p>{confirming === "approved"
            ? "Approve this request? The de-identified export is made at once and the requester can download it."
            : "Deny this request? The requester is told, with your reason."}</p>
          <div className="actions">
            <button ref={yes} type="button" className={`button small${confirming === "denied" ? " danger" : ""}`} disabled={decide.isPending}
              aria-busy={decide.isPending || undefined} onClick={() => decide.mutate(confirming)}>
              {decide.isPending ? "Working…" : confirming === "approved" ? "Yes, approve" : "Yes, deny"}
            </button>
            <button type="button" className="button secondary small" disabled={decide.isPending} onClick={() => setConfirming(null)}>Cancel</button>
          </div>
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="button" onClick={() => ask("approved")}>Approve</button>
          <button type="button" className="button secondary" onClick={() => ask("denied")}>Deny</button>
        </div>
      )}
    </Form>
  );
}
