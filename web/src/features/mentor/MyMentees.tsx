// A mentor's mentorships (/mentorships): the active ones with each mentee's card and contact (a mailto
// link), "Conclude" with a reason after a confirmation; the concluded ones below.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link } from "react-router";
import { data, mentorship } from "../../api/client";
import { Form, SubmitButton, TextArea } from "../../ui/form";
import { formatDate } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { Empty, Notice, QueryView } from "../../ui/status";
import { useMentorshipMe } from "./IncomingRequests";
import { institutionName, menteeName, studies, type Mentorship } from "./mentee";
import { LIMITS, validateReason } from "./validation";

const BY: Record<string, string> = { mentor: "you", mentee: "the mentee", platform: "the platform" };

export default function MyMentees() {
  const me = useMentorshipMe();
  const list = useQuery({
    queryKey: ["mentorship", "mentorships"],
    queryFn: () => data(mentorship.GET("/api/v1/mentorship/mentorships", { params: { query: { limit: 100 } } })),
  });
  const [done, setDone] = useState<string | null>(null);

  return (
    <Page title="My mentees" intro={<p>The mentees you mentor, with their contact, and your past mentorships.</p>}>
      {done ? <Notice tone="good">{done}</Notice> : null}
      {me.data?.status === "active" ? (
        <p className="muted">
          You mentor {me.data.active_mentees ?? 0} of at most {me.data.max_active_mentees ?? 3} mentees at a time
          {me.data.at_capacity ? ": you are at capacity, so you cannot accept new requests until a mentorship concludes."
            : `: ${me.data.open_slots} ${me.data.open_slots === 1 ? "place" : "places"} open for new requests.`}
        </p>
      ) : null}
      <QueryView query={list} loading="Loading your mentorships…">
        {(rows) => {
          const active = rows.filter((m) => m.status === "active");
          const past = rows.filter((m) => m.status !== "active");
          return (
            <>
              <Section title="Active mentorships">
                {active.length === 0 ? (
                  <Empty>No active mentorships. When you accept a <Link to="/requests">request</Link>, the mentee appears here.</Empty>
                ) : (
                  <ul className="cards">
                    {active.map((m) => <li key={m.id}><ActiveMentorship ms={m} onDone={setDone} /></li>)}
                  </ul>
                )}
              </Section>
              <Section title="Past mentorships">
                {past.length === 0 ? <Empty>No concluded mentorships yet.</Empty> : (
                  <ul className="cards">
                    {past.map((m) => <li key={m.id}><PastMentorship ms={m} /></li>)}
                  </ul>
                )}
              </Section>
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}

function Contact({ ms }: { ms: Mentorship }) {
  const email = ms.mentee_contact?.email;
  return email ? <a href={`mailto:${email}`}>{email}</a> : <>Not known yet</>;
}

function ActiveMentorship({ ms, onDone }: { ms: Mentorship; onDone: (text: string) => void }) {
  const queryClient = useQueryClient();
  const headingId = useId();
  const [concluding, setConcluding] = useState(false);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const name = menteeName(ms.mentee);
  const conclude = useMutation({
    mutationFn: (text: string) => data(mentorship.POST("/api/v1/mentorship/mentorships/{mentorship_id}/conclude",
      { params: { path: { mentorship_id: ms.id ?? "" } }, body: { reason: text } })),
    onSuccess: async () => {
      onDone(`Your mentorship with ${name} is concluded. ${name} has been told, and one place is open for a new mentee.`);
      await queryClient.invalidateQueries({ queryKey: ["mentorship"] });
    },
  });

  function submit() {
    const error = validateReason(reason, { required: true });
    setReasonError(error);
    if (!error) conclude.mutate(reason.trim());
  }

  return (
    <article className="request" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>{name}</h3>
        <Badge tone="good">Active</Badge>
      </div>
      <Facts items={[
        ["Institution", institutionName(ms.mentee)],
        ["Training", studies(ms.mentee) ?? "Not given"],
        ["E-mail", <Contact key="contact" ms={ms} />],
        ["Since", formatDate(ms.started_at)],
      ]} />
      <p><Link to={`/mentorships/${ms.id}`}>The mentorship's page</Link></p>
      {concluding ? (
        <Form onSubmit={submit} error={conclude.error} label={`Conclude the mentorship with ${name}`}>
          <p>Concluding ends this mentorship for you both and cannot be undone. {name} is told, with your reason.</p>
          <TextArea label="Reason" required value={reason} onChange={setReason} maxLength={LIMITS.reason} rows={3}
            hint="For example: the goals we set are reached." error={reasonError} />
          <div className="actions">
            <SubmitButton busy={conclude.isPending} busyLabel="Concluding…" className="button danger">
              Conclude mentorship
            </SubmitButton>
            <button type="button" className="button secondary" onClick={() => setConcluding(false)}>Cancel</button>
          </div>
        </Form>
      ) : (
        <div className="actions">
          <button type="button" className="button secondary" aria-describedby={headingId} onClick={() => setConcluding(true)}>
            Conclude
          </button>
        </div>
      )}
    </article>
  );
}

function PastMentorship({ ms }: { ms: Mentorship }) {
  const headingId = useId();
  return (
    <article className="request" aria-labelledby={headingId}>
      <div className="card-header">
        <h3 id={headingId}>{menteeName(ms.mentee)}</h3>
        <Badge>Concluded</Badge>
      </div>
      <Facts items={[
        ["Institution", institutionName(ms.mentee)],
        ["From", formatDate(ms.started_at)],
        ["To", formatDate(ms.concluded_at)],
        ["Concluded by", BY[ms.concluded_by ?? ""] ?? ms.concluded_by],
        ["Reason", ms.conclusion_reason],
      ]} />
      {ms.mentee_contact?.email ? <p>E-mail: <Contact ms={ms} /></p> : null}
    </article>
  );
}
