// One mentorship request, as the e-mails link to it: the mentee sees their request and may withdraw it;
// the mentor sees what the mentee asks and answers it (accept while under 3 active mentees, or decline
// with a reason); an operator sees both sides. Each side sees the other's contact only once accepted.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { data, identity, mentorship } from "../../api/client";
import type { components } from "../../api/schema/mentorship";
import { useUser } from "../../auth/AuthProvider";
import { Form, SubmitButton, TextArea, serverFieldError } from "../../ui/form";
import { deadline, formatDateTime } from "../../ui/format";
import { Badge, Facts, Page } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import { MentorName, useMentorName } from "../mentee/people";
import { requestStatusWords } from "../mentee/words";
import { Goals, REASON_MAX, WithdrawRequest, validateReason } from "./parts";

type RequestOut = components["schemas"]["RequestOut"];

export const MAX_ACTIVE_MENTEES = 3;

export default function RequestPage() {
  const { requestId = "" } = useParams();
  const request = useQuery({
    queryKey: ["mentorship", "request", requestId],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/requests/{request_id}", { params: { path: { request_id: requestId } } })),
  });
  if (request.isPending) return <Page title="Mentorship request"><Loading label="Loading the request…" /></Page>;
  if (request.isError) {
    return (
      <Page title="Mentorship request">
        <ErrorNote error={request.error} retry={() => void request.refetch()} />
        <p><Link to="/requests">Back to requests</Link></p>
      </Page>
    );
  }
  return <RequestView request={request.data} />;
}

function RequestView({ request: r }: { request: RequestOut }) {
  const user = useUser();
  if (user.role === "mentor") return <MentorView request={r} />;
  if (user.role === "operator") return <OperatorView request={r} />;
  return <MenteeView request={r} />;
}

function statusFacts(r: RequestOut): [string, ReactNode][] {
  const status = requestStatusWords(r);
  return [
    ["Status", <Badge key="s" tone={status.tone}>{status.label}</Badge>],
    ...(r.status === "open" || r.status === "expired"
      ? [[r.status === "open" ? "Answer due by" : "Answer was due by", r.respond_by ? deadline(r.respond_by) : "—"] as [string, ReactNode]]
      : []),
    ["Sent", formatDateTime(r.created_at)],
    ...(r.closed_at ? [["Closed", formatDateTime(r.closed_at)] as [string, ReactNode]] : []),
    ...(r.decline_reason ? [["Reason given", r.decline_reason] as [string, ReactNode]] : []),
  ];
}

function Asked({ request: r, heading }: { request: RequestOut; heading: string }) {
  return (
    <section className="card" aria-labelledby="asked-title">
      <h2 id="asked-title">{heading}</h2>
      <h3>Message</h3>
      <p className="prewrap">{r.message}</p>
      <h3>Goals</h3>
      <Goals goals={r.goals} />
    </section>
  );
}

function Contact({ label, contact }: { label: string; contact: RequestOut["mentor_contact"] }) {
  if (!contact?.email) return null;
  return (
    <p>{label}: {contact.name} · <a href={`mailto:${contact.email}`}>{contact.email}</a></p>
  );
}

function MenteeView({ request: r }: { request: RequestOut }) {
  const { name } = useMentorName(r.mentor_id, r.mentor_contact?.name);
  const status = requestStatusWords(r);
  return (
    <Page title={`Your request to ${name ?? "a mentor"}`}>
      <p><Link to="/requests">Back to My requests</Link></p>
      <section className="card" aria-labelledby="state-title">
        <h2 id="state-title">Where it stands</h2>
        {r.status !== "open" && status.detail ? <p>{status.detail}</p> : null}
        <Facts items={[["Mentor", <MentorName key="m" mentorId={r.mentor_id} contactName={r.mentor_contact?.name} />], ...statusFacts(r)]} />
        <Contact label="Your mentor's contact" contact={r.mentor_contact} />
        <div className="actions">
          {r.status === "accepted" && r.mentorship_id ? <Link className="button" to={`/mentorships/${r.mentorship_id}`}>Go to the mentorship</Link> : null}
          {r.status === "open" ? <WithdrawRequest request={r} mentorName={name ?? "this mentor"} /> : null}
          {r.status === "expired" || r.status === "withdrawn" ? <Link to={`/mentors/${r.mentor_id}`}>Ask this mentor again</Link> : null}
        </div>
      </section>
      <Asked request={r} heading="What you wrote" />
    </Page>
  );
}

function MentorView({ request: r }: { request: RequestOut }) {
  const menteeName = r.mentee_contact?.name;
  return (
    <Page title={menteeName ? `Request from ${menteeName}` : "Request from a mentee"}>
      <p><Link to="/requests">Back to Requests</Link></p>
      <section className="card" aria-labelledby="state-title">
        <h2 id="state-title">Where it stands</h2>
        <Facts items={statusFacts(r)} />
        <Contact label="The mentee's contact" contact={r.mentee_contact} />
        {r.status === "open" ? <Answer request={r} /> : null}
        {r.status === "accepted" && r.mentorship_id ? (
          <p><Link className="button" to={`/mentorships/${r.mentorship_id}`}>Go to the mentorship</Link></p>
        ) : null}
      </section>
      <Asked request={r} heading="What the mentee asks" />
    </Page>
  );
}

/** The mentor's answer: accept (not at 3 active mentees, R11) or decline with a reason. */
function Answer({ request: r }: { request: RequestOut }) {
  const queries = useQueryClient();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const active = useQuery({
    queryKey: ["mentorship", "mentorships", "mine", "active"],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/mentorships", { params: { query: { status: "active", limit: 10 } } })),
  });
  const done = () => queries.invalidateQueries({ queryKey: ["mentorship"] });
  const accept = useMutation({
    mutationFn: () => data(mentorship.POST("/api/v1/mentorship/requests/{request_id}/accept", {
      params: { path: { request_id: r.id ?? "" } }, body: {},
    })),
    onSuccess: done,
  });
  const decline = useMutation({
    mutationFn: () => data(mentorship.POST("/api/v1/mentorship/requests/{request_id}/decline", {
      params: { path: { request_id: r.id ?? "" } }, body: { reason: reason.trim() },
    })),
    onSuccess: done,
  });
  const atCapacity = (active.data?.length ?? 0) >= MAX_ACTIVE_MENTEES;

  return (
    <div className="answer">
      <p>Please answer by {r.respond_by ? deadline(r.respond_by) : "the deadline"}. An unanswered request expires and counts
        against your responsiveness.</p>
      {accept.error ? <ErrorNote error={accept.error} /> : null}
      {active.isPending ? <Loading label="Checking your open slots…" /> : atCapacity ? (
        <Notice tone="warn"><p>You already have {MAX_ACTIVE_MENTEES} active mentees, the most a mentor may have, so you cannot
          accept this request now. Decline it with a reason, or conclude a mentorship first.</p></Notice>
      ) : (
        <div className="actions">
          <button type="button" className="button" disabled={accept.isPending} aria-busy={accept.isPending || undefined}
            onClick={() => accept.mutate()}>{accept.isPending ? "Accepting…" : "Accept"}</button>
          {!declining ? <button type="button" className="button secondary" onClick={() => setDeclining(true)}>Decline</button> : null}
        </div>
      )}
      {atCapacity && !declining ? <button type="button" className="button secondary" onClick={() => setDeclining(true)}>Decline</button> : null}
      {declining ? (
        <Form label="Decline the request" error={decline.error} onSubmit={() => {
          const found = validateReason(reason, "decline");
          setReasonError(found);
          if (!found) decline.mutate();
        }}>
          <TextArea label="Reason for declining" required value={reason} onChange={setReason} rows={3} maxLength={REASON_MAX}
            hint="The mentee sees it. A kind word and a suggestion of whom to ask help them."
            error={reasonError ?? serverFieldError(decline.error, "reason")} />
          <div className="actions">
            <SubmitButton busy={decline.isPending} busyLabel="Declining…" className="button danger">Decline request</SubmitButton>
            <button type="button" className="button secondary" onClick={() => setDeclining(false)}>Cancel</button>
          </div>
        </Form>
      ) : null}
    </div>
  );
}

function OperatorView({ request: r }: { request: RequestOut }) {
  const mentee = useQuery({
    queryKey: ["identity", "user", r.mentee_id],
    queryFn: () => data(identity.GET("/api/v1/identity/users/{user_id}", { params: { path: { user_id: r.mentee_id ?? "" } } })),
    enabled: Boolean(r.mentee_id),
  });
  const mentor = useQuery({
    queryKey: ["identity", "user", r.mentor_id],
    queryFn: () => data(identity.GET("/api/v1/identity/users/{user_id}", { params: { path: { user_id: r.mentor_id ?? "" } } })),
    enabled: Boolean(r.mentor_id),
  });
  const who = (q: typeof mentee) => (q.isPending ? "Loading…" : q.isError ? "Could not be loaded" : `${q.data?.name} (${q.data?.email})`);
  return (
    <Page title="Mentorship request">
      <section className="card" aria-labelledby="state-title">
        <h2 id="state-title">Where it stands</h2>
        <Facts items={[["Mentee", who(mentee)], ["Mentor", who(mentor)], ...statusFacts(r)]} />
        {r.mentorship_id ? <p><Link to={`/mentorships/${r.mentorship_id}`}>The mentorship</Link></p> : null}
      </section>
      <Asked request={r} heading="What the mentee asks" />
    </Page>
  );
}
