// A mentor's requests (/requests): the open ones by deadline, each saying who is asking (the mentee
// card: name, institution, training stage and year — never eligibility data), their goals and message,
// with Accept and Decline; at 3 active mentees (R11) no Accept button, and why. Answered ones below.
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "react-router";
import { data, mentorship } from "../../api/client";
import type { paths } from "../../api/schema/mentorship";
import { Form, SubmitButton, TextArea } from "../../ui/form";
import { formatDate, deadline } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { Empty, ErrorNote, Loading, Notice, QueryView } from "../../ui/status";
import {
  automaticReason, institutionName, menteeName, outcome, studies, urgency,
  type MentorshipMe, type MentorshipRequest,
} from "./mentee";
import { LIMITS, validateReason } from "./validation";

type Status = NonNullable<NonNullable<paths["/api/v1/mentorship/requests"]["get"]["parameters"]["query"]>["status"]>;
const ANSWERED: Status[] = ["accepted", "declined", "expired"];
export const NO_REASON = "The mentor declined without giving a reason.";

function requestsOf(status: Status) {
  return {
    queryKey: ["mentorship", "requests", status],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/requests", { params: { query: { status, limit: 100 } } })),
  };
}

export function useMentorshipMe() {
  return useQuery({ queryKey: ["mentorship", "me"], queryFn: () => data(mentorship.GET("/api/v1/mentorship/me")) });
}

export default function IncomingRequests() {
  const me = useMentorshipMe();
  const open = useQuery(requestsOf("open"));
  const answered = useQueries({ queries: ANSWERED.map((status) => requestsOf(status)) });
  const [done, setDone] = useState<string | null>(null);

  const answeredRows = answered.flatMap((q) => q.data ?? [])
    .sort((a, b) => (b.closed_at ?? "").localeCompare(a.closed_at ?? ""));
  const answeredPending = answered.some((q) => q.isPending);
  const answeredError = answered.find((q) => q.isError)?.error;

  return (
    <Page title="Requests" intro={<p>Mentees who asked you to mentor them. Answer each request by its deadline: an
      unanswered request expires, and repeated expiries remove a mentor from the program.</p>}>
      {done ? <Notice tone="good">{done}</Notice> : null}
      <Capacity me={me.data} error={me.error} />
      <Section title="Open requests">
        <QueryView query={open} isEmpty={(rows) => rows.length === 0} loading="Loading your open requests…"
          empty="No open requests. Mentees who ask you will appear here.">
          {(rows) => (
            <ul className="cards">
              {rows.map((req) => (
                <li key={req.id}>
                  <OpenRequest req={req} canAccept={me.isSuccess && !me.data.at_capacity && me.data.status === "active"}
                    onDone={setDone} />
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </Section>
      <Section title="Answered requests">
        {answeredPending ? <Loading label="Loading your answered requests…" /> : null}
        {answeredError ? <ErrorNote error={answeredError} retry={() => answered.forEach((q) => void q.refetch())} /> : null}
        {!answeredPending && !answeredError && answeredRows.length === 0 ? <Empty>No answered requests yet.</Empty> : null}
        {answeredRows.length ? (
          <ul className="cards">
            {answeredRows.map((req) => <li key={req.id}><AnsweredRequest req={req} /></li>)}
          </ul>
        ) : null}
      </Section>
    </Page>
  );
}

/** R11 in words: how many mentees the mentor has, and why there is no Accept button at the cap. */
function Capacity({ me, error }: { me: MentorshipMe | undefined; error: unknown }) {
  if (error) return <ErrorNote error={error} />;
  if (!me) return null;
  const max = me.max_active_mentees ?? 3;
  if (me.status === "pending") {
    return <Notice>Your enrollment is still reaching the mentorship service; requests appear here shortly.</Notice>;
  }
  if (me.status !== "active") {
    return <Notice tone="warn">You are not an active mentor of the program ({me.status}), so you cannot accept requests.</Notice>;
  }
  if (me.at_capacity) {
    return (
      <Notice tone="warn">
        <p><strong>You are at capacity: you have {me.active_mentees} active mentees, the most a mentor may have at one
          time.</strong> You cannot accept a request now. To take a new mentee, conclude one of your
          mentorships under <Link to="/mentorships">My mentees</Link>.</p>
      </Notice>
    );
  }
  return (
    <p className="muted">
      You mentor {me.active_mentees ?? 0} of at most {max} mentees at a time: {me.open_slots} {me.open_slots === 1 ? "place" : "places"} open.
      {me.published === false ? <> Your profile is not published, so mentees cannot find you in search: <Link to="/profile">publish it</Link>.</> : null}
    </p>
  );
}

function MenteeFacts({ req }: { req: MentorshipRequest }) {
  return (
    <Facts items={[
      ["Institution", institutionName(req.mentee)],
      ["Training", studies(req.mentee) ?? "Not given"],
      ["Asked on", formatDate(req.created_at)],
    ]} />
  );
}

function Goals({ goals }: { goals: string[] | undefined }) {
  if (!goals?.length) return null;
  return (
    <>
      <h4 className="request-label">Goals</h4>
      <ul className="goals">{goals.map((g, i) => <li key={i}>{g}</li>)}</ul>
    </>
  );
}

function OpenRequest({ req, canAccept, onDone }: { req: MentorshipRequest; canAccept: boolean; onDone: (text: string) => void }) {
  const queryClient = useQueryClient();
  const headingId = useId();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const name = menteeName(req.mentee);
  const id = req.id ?? "";
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["mentorship"] });

  const accept = useMutation({
    mutationFn: () => data(mentorship.POST("/api/v1/mentorship/requests/{request_id}/accept",
      { params: { path: { request_id: id } }, body: {} })),
    onSuccess: async () => {
      onDone(`You accepted ${name}'s request: you are now their mentor. Their contact is under My mentees.`);
      await refresh();
    },
    onError: () => void refresh(),
  });
  const decline = useMutation({
    mutationFn: (text: string) => data(mentorship.POST("/api/v1/mentorship/requests/{request_id}/decline",
      { params: { path: { request_id: id } }, body: { reason: text } })),
    onSuccess: async () => {
      onDone(`You declined ${name}'s request. They have been told.`);
      await refresh();
    },
  });
  const when = urgency(req.respond_by);

  function submitDecline() {
    const error = validateReason(reason, { required: false });
    setReasonError(error);
    if (!error) decline.mutate(reason.trim() || NO_REASON);
  }

  return (
    <article className="request" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>{name}</h3>
        {when === "overdue" ? <Badge tone="bad">Overdue</Badge> : when === "soon" ? <Badge tone="warn">Due soon</Badge> : null}
      </div>
      <MenteeFacts req={req} />
      <p className="deadline">
        <strong>Answer by:</strong> {req.respond_by ? deadline(req.respond_by) : "—"}
        {when === "overdue" ? " — the deadline has passed; the request is about to expire." : null}
        {when === "soon" ? " — less than two days left." : null}
      </p>
      <Goals goals={req.goals} />
      <h4 className="request-label">Message</h4>
      <p className="message">{req.message}</p>
      <ErrorNote error={accept.error} />
      {declining ? (
        <Form onSubmit={submitDecline} error={decline.error} label={`Decline ${name}'s request`}>
          <TextArea label="Reason (optional)" hint={`${name} reads it. Without one, they are told you declined.`}
            value={reason} onChange={setReason} maxLength={LIMITS.reason} rows={3} error={reasonError} />
          <div className="actions">
            <SubmitButton busy={decline.isPending} busyLabel="Declining…" className="button danger">Decline request</SubmitButton>
            <button type="button" className="button secondary" onClick={() => setDeclining(false)}>Cancel</button>
          </div>
        </Form>
      ) : (
        <div className="actions">
          {canAccept ? (
            <button type="button" className="button" aria-describedby={headingId} disabled={accept.isPending}
              aria-busy={accept.isPending || undefined} onClick={() => accept.mutate()}>
              {accept.isPending ? "Accepting…" : "Accept"}
            </button>
          ) : null}
          <button type="button" className="button secondary" aria-describedby={headingId} onClick={() => setDeclining(true)}>
            Decline
          </button>
        </div>
      )}
    </article>
  );
}

function AnsweredRequest({ req }: { req: MentorshipRequest }) {
  const headingId = useId();
  const { label, tone } = outcome(req);
  return (
    <article className="request" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>{menteeName(req.mentee)}</h3>
        <Badge tone={tone}>{label}</Badge>
      </div>
      <Facts items={[
        ["Institution", institutionName(req.mentee)],
        ["Training", studies(req.mentee) ?? "Not given"],
        [req.status === "expired" ? "Expired on" : "Answered on", formatDate(req.closed_at)],
        ...(req.status === "declined"
          ? [["Reason", req.declined_automatically ? automaticReason(req.decline_reason) : req.decline_reason] as [string, string | null | undefined]]
          : []),
      ]} />
      <Goals goals={req.goals} />
      {req.status === "accepted" && req.mentorship_id ? (
        <p><Link to={`/mentorships/${req.mentorship_id}`}>The mentorship with {menteeName(req.mentee)}</Link></p>
      ) : null}
    </article>
  );
}
