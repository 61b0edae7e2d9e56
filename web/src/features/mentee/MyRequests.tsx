// My requests (a mentee's): each request's mentor, its status in words, the deadline by which the mentor
// answers (R12), what I wrote; an open request can be withdrawn (confirmed first).
import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { data, mentorship } from "../../api/client";
import type { components } from "../../api/schema/mentorship";
import { formatDateTime } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { Notice, QueryView } from "../../ui/status";
import { Goals, WithdrawRequest } from "../requests/parts";
import { MentorName, useMentorName } from "./people";
import { requestStatusWords } from "./words";

type RequestOut = components["schemas"]["RequestOut"];

export default function MyRequests() {
  const location = useLocation();
  const sentTo = (location.state as { sentTo?: string } | null)?.sentTo;
  const requests = useQuery({
    queryKey: ["mentorship", "requests", "mine"],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/requests", { params: { query: { limit: 200 } } })),
  });
  return (
    <Page title="My requests" intro={<p>Each mentor answers by the deadline shown. Once a mentor accepts, you find their
      contact in <Link to="/mentorships">My mentorships</Link>.</p>}>
      {sentTo ? <Notice tone="good"><p>Your request to {sentTo} is sent.</p></Notice> : null}
      <QueryView query={requests} isEmpty={(list) => list.length === 0} loading="Loading your requests…"
        empty={<>You have not asked anyone yet. <Link to="/mentors">Find a mentor</Link>.</>}>
        {(list) => (
          <ul className="cards">
            {list.map((r) => <RequestCard key={r.id} request={r} />)}
          </ul>
        )}
      </QueryView>
    </Page>
  );
}

function RequestCard({ request: r }: { request: RequestOut }) {
  const status = requestStatusWords(r);
  const { name } = useMentorName(r.mentor_id, r.mentor_contact?.name);
  return (
    <li>
      <article className="result" aria-labelledby={`req-${r.id}`}>
        <h2 id={`req-${r.id}`}><MentorName mentorId={r.mentor_id} contactName={r.mentor_contact?.name} /></h2>
        <p className="row"><Badge tone={status.tone}>{status.label}</Badge></p>
        {status.detail ? <p>{status.detail}</p> : null}
        {r.status === "declined" && r.decline_reason ? <p>Their reason: “{r.decline_reason}”</p> : null}
        <p className="muted small">Sent {formatDateTime(r.created_at)}</p>
        <details>
          <summary>Your message and goals</summary>
          <p className="prewrap">{r.message}</p>
          <h3>Goals</h3>
          <Goals goals={r.goals} />
        </details>
        <div className="actions">
          <Link to={`/requests/${r.id}`} aria-label={`Details of the request to ${name ?? "this mentor"}`}>Details</Link>
          {r.status === "accepted" && r.mentorship_id ? <Link to={`/mentorships/${r.mentorship_id}`}>The mentorship</Link> : null}
          {r.status === "open" ? <WithdrawRequest request={r} mentorName={name ?? "this mentor"} /> : null}
        </div>
      </article>
    </li>
  );
}
