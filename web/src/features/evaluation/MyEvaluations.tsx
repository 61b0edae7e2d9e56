// My evaluations (a mentee's, R13): the ones to answer first — overdue, then due — each with the mentor,
// its kind, when it fell due and when it closes; the submitted ones below; closed or cancelled ones last.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, evaluation } from "../../api/client";
import { deadline, formatDate, formatDateTime } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { Empty, QueryView } from "../../ui/status";
import { groupEvaluations, kindWords, mentorOf, statusWords, type EvaluationListItem } from "./evaluation";

export default function MyEvaluations() {
  const list = useQuery({
    queryKey: ["evaluation", "evaluations", "mine"],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/evaluations", { params: { query: { limit: 200 } } })),
  });
  return (
    <Page title="My evaluations" intro={<p>Every 6 months and when a mentorship ends, you evaluate your mentor. It takes
      two minutes. Your answers go to the program; your mentor sees only averages and comments of at least 3 evaluations,
      never who wrote them.</p>}>
      <QueryView query={list} loading="Loading your evaluations…" isEmpty={(l) => l.length === 0}
        empty={<>You have no evaluations yet. They fall due 6 months into a mentorship and when it ends. See{" "}
          <Link to="/mentorships">My mentorships</Link>.</>}>
        {(l) => {
          const { open, submitted, other } = groupEvaluations(l);
          return (
            <>
              <Section title="To answer">
                {open.length === 0 ? <Empty>Nothing to answer now. Thank you!</Empty> : (
                  <ul className="cards" aria-label="Evaluations to answer">
                    {open.map((e) => <EvaluationCard key={e.id} evaluation={e} />)}
                  </ul>
                )}
              </Section>
              {submitted.length ? (
                <Section title="Submitted">
                  <ul className="cards" aria-label="Submitted evaluations">
                    {submitted.map((e) => <EvaluationCard key={e.id} evaluation={e} />)}
                  </ul>
                </Section>
              ) : null}
              {other.length ? (
                <Section title="Closed or cancelled">
                  <ul className="cards" aria-label="Closed or cancelled evaluations">
                    {other.map((e) => <EvaluationCard key={e.id} evaluation={e} />)}
                  </ul>
                </Section>
              ) : null}
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}

function EvaluationCard({ evaluation: e }: { evaluation: EvaluationListItem }) {
  const status = statusWords(e);
  const mentor = mentorOf(e);
  const open = e.status === "due" || e.status === "overdue";
  const answerable = open && e.open !== false;
  return (
    <li>
      <article className="result" aria-labelledby={`ev-${e.id}`}>
        <h3 id={`ev-${e.id}`}>{mentor.name}</h3>
        <p className="row"><Badge tone={status.tone}>{status.label}</Badge> <span>{kindWords(e.kind)}</span></p>
        <p>{cardWords(e, answerable)}</p>
        <div className="actions">
          {answerable ? (
            <Link className="button" to={`/evaluations/${e.id}`} aria-label={`Evaluate now: ${mentor.name}`}>Evaluate now</Link>
          ) : (
            <Link to={`/evaluations/${e.id}`} aria-label={`${e.status === "submitted" ? "See your answers" : "Details"}: ${mentor.name}`}>
              {e.status === "submitted" ? "See your answers" : "Details"}
            </Link>
          )}
        </div>
      </article>
    </li>
  );
}

function cardWords(e: EvaluationListItem, answerable: boolean): string {
  if (e.status === "submitted") return `Submitted ${formatDateTime(e.submitted_at)}.`;
  if (e.status === "cancelled") return "Not needed: the mentorship ended before this evaluation fell due.";
  if (answerable) return `Due since ${formatDate(e.due_at)}. Closes ${e.closes_at ? deadline(e.closes_at) : "—"}.`;
  if (e.status === "scheduled") return `Falls due ${formatDate(e.due_at)}.`;
  return `Closed ${formatDate(e.closes_at)} without an answer.`;
}
