// My mentorships (a mentee's): active ones with the mentor's contact (shared once the mentor accepted),
// past ones with how they ended; "Conclude" with a reason, confirmed first.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, mentorship } from "../../api/client";
import type { components } from "../../api/schema/mentorship";
import { formatDate } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { Empty, QueryView } from "../../ui/status";
import { ConcludeMentorship } from "../requests/parts";
import { MentorName } from "./people";

type MentorshipOut = components["schemas"]["MentorshipOut"];

export default function MyMentorships() {
  const list = useQuery({
    queryKey: ["mentorship", "mentorships", "mine"],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/mentorships", { params: { query: { limit: 200 } } })),
  });
  return (
    <Page title="My mentorships" intro={<p>Your mentors and how to reach them. A mentor's contact appears here once they
      accept your request.</p>}>
      <QueryView query={list} isEmpty={(l) => l.length === 0} loading="Loading your mentorships…"
        empty={<>No mentorship yet. When a mentor accepts one of <Link to="/requests">your requests</Link>, it appears here
          with their contact.</>}>
        {(all) => {
          const active = all.filter((m) => m.status === "active");
          const past = all.filter((m) => m.status !== "active");
          return (
            <>
              <section aria-labelledby="active-title">
                <h2 id="active-title">Active ({active.length})</h2>
                {active.length ? (
                  <ul className="cards">{active.map((m) => <MentorshipCard key={m.id} mentorship={m} />)}</ul>
                ) : <Empty>No active mentorship now. <Link to="/mentors">Find a mentor</Link>.</Empty>}
              </section>
              {past.length ? (
                <section aria-labelledby="past-title">
                  <h2 id="past-title">Past ({past.length})</h2>
                  <ul className="cards">{past.map((m) => <MentorshipCard key={m.id} mentorship={m} />)}</ul>
                </section>
              ) : null}
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}

function MentorshipCard({ mentorship: m }: { mentorship: MentorshipOut }) {
  const contact = m.mentor_contact;
  const name = contact?.name ?? "your mentor";
  return (
    <li>
      <article className="result" aria-labelledby={`ms-${m.id}`}>
        <h3 id={`ms-${m.id}`}><MentorName mentorId={m.mentor_id} contactName={contact?.name} /></h3>
        <p className="row">
          <Badge tone={m.status === "active" ? "good" : "neutral"}>{m.status === "active" ? "Active" : "Concluded"}</Badge>
          <span className="small">since {formatDate(m.started_at)}{m.concluded_at ? `, concluded ${formatDate(m.concluded_at)}` : ""}</span>
        </p>
        {contact?.email ? (
          <p className="contact-line">Contact: <a href={`mailto:${contact.email}`}>{contact.email}</a></p>
        ) : <p className="muted">Their contact is not available yet.</p>}
        {m.status !== "active" && m.conclusion_reason ? (
          <p>Concluded by {m.concluded_by === "mentee" ? "you" : m.concluded_by === "mentor" ? "the mentor" : "the program"}:
            “{m.conclusion_reason}”</p>
        ) : null}
        <div className="actions">
          <Link to={`/mentorships/${m.id}`} aria-label={`Details of the mentorship with ${name}`}>Details</Link>
          {m.status === "active" ? <ConcludeMentorship mentorship={m} otherName={name} /> : null}
        </div>
      </article>
    </li>
  );
}
