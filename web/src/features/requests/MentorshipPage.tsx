// One mentorship, as the e-mails link to it: each side sees the other's contact; either may conclude it
// with a reason; an operator sees both sides.
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useParams } from "react-router";
import { data, mentorship } from "../../api/client";
import type { components } from "../../api/schema/mentorship";
import { useUser } from "../../auth/AuthProvider";
import { formatDate } from "../../ui/format";
import { Badge, Facts, Page } from "../../ui/page";
import { ErrorNote, Loading } from "../../ui/status";
import { mentorshipStatusWords } from "../mentee/words";
import { ConcludeMentorship } from "./parts";

type MentorshipOut = components["schemas"]["MentorshipOut"];
type Contact = components["schemas"]["ContactOut"];

export default function MentorshipPage() {
  const { mentorshipId = "" } = useParams();
  const ms = useQuery({
    queryKey: ["mentorship", "mentorship", mentorshipId],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/mentorships/{mentorship_id}", {
      params: { path: { mentorship_id: mentorshipId } },
    })),
  });
  if (ms.isPending) return <Page title="Mentorship"><Loading label="Loading the mentorship…" /></Page>;
  if (ms.isError) {
    return (
      <Page title="Mentorship">
        <ErrorNote error={ms.error} retry={() => void ms.refetch()} />
        <p><Link to="/mentorships">Back to mentorships</Link></p>
      </Page>
    );
  }
  return <MentorshipView mentorship={ms.data} />;
}

function ContactLine({ contact }: { contact: Contact | null | undefined }) {
  if (!contact?.email) return <span className="muted">Not available</span>;
  return <>{contact.name} · <a href={`mailto:${contact.email}`}>{contact.email}</a></>;
}

function concludedBy(by: string | null | undefined, role: string | undefined): string {
  if (by === "platform") return "the program";
  if (by === role) return "you";
  return by === "mentor" ? "the mentor" : by === "mentee" ? "the mentee" : "—";
}

function MentorshipView({ mentorship: m }: { mentorship: MentorshipOut }) {
  const user = useUser();
  const status = mentorshipStatusWords(m.status);
  const mentee = user.role === "mentee";
  const mentor = user.role === "mentor";
  const other = mentee ? m.mentor_contact : mentor ? m.mentee_contact : null;
  const title = other?.name ? `Mentorship with ${other.name}` : "Mentorship";
  const back = mentee ? "My mentorships" : mentor ? "My mentees" : null;

  return (
    <Page title={title}>
      {back ? <p><Link to="/mentorships">Back to {back}</Link></p> : null}
      <section className="card" aria-labelledby="ms-facts">
        <h2 id="ms-facts">The mentorship</h2>
        <Facts items={[
          ...(mentee ? [["Your mentor", <ContactLine key="c" contact={m.mentor_contact} />] as [string, ReactNode]] : []),
          ...(mentor ? [["Your mentee", <ContactLine key="c" contact={m.mentee_contact} />] as [string, ReactNode]] : []),
          ...(!mentee && !mentor ? [
            ["Mentor", <ContactLine key="a" contact={m.mentor_contact} />] as [string, ReactNode],
            ["Mentee", <ContactLine key="b" contact={m.mentee_contact} />] as [string, ReactNode],
          ] : []),
          ["Status", <Badge key="s" tone={status.tone}>{status.label}</Badge>],
          ["Started", formatDate(m.started_at)],
          ...(m.concluded_at ? [
            ["Concluded", `${formatDate(m.concluded_at)} by ${concludedBy(m.concluded_by, user.role)}`] as [string, ReactNode],
            ["Reason", m.conclusion_reason ?? "—"] as [string, ReactNode],
          ] : []),
        ]} />
        <p><Link to={`/requests/${m.request_id}`}>The original request</Link></p>
        {m.status === "active" && (mentee || mentor) ? (
          <ConcludeMentorship mentorship={m} otherName={other?.name ?? (mentee ? "your mentor" : "your mentee")} />
        ) : null}
      </section>
    </Page>
  );
}
