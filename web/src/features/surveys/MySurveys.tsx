// My surveys (a mentee's, a mentor's or an alumnus's, R14): the ones still to answer first, soonest due
// first, then the ones I answered.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, evaluation } from "../../api/client";
import type { components } from "../../api/schema/evaluation";
import { deadline, formatDate } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { Empty, QueryView } from "../../ui/status";
import { assignmentStatus, kindLabel } from "./words";

type Assignment = components["schemas"]["AssignmentOut"];

export const myAssignmentsQuery = {
  queryKey: ["evaluation", "survey-assignments"],
  queryFn: () => data(evaluation.GET("/api/v1/evaluation/survey-assignments")),
};

/** Open ones by due date (none last), then the rest newest first. */
export function sortAssignments(list: Assignment[]): { open: Assignment[]; done: Assignment[] } {
  const due = (a: Assignment) => (a.due_at ? new Date(a.due_at).getTime() : Number.POSITIVE_INFINITY);
  const open = list.filter((a) => a.status === "open").sort((a, b) => due(a) - due(b));
  const done = list.filter((a) => a.status !== "open")
    .sort((a, b) => (b.completed_at ?? b.assigned_at ?? "").localeCompare(a.completed_at ?? a.assigned_at ?? ""));
  return { open, done };
}

export default function MySurveys() {
  const query = useQuery(myAssignmentsQuery);
  return (
    <Page title="My surveys" intro={<p>The program asks a few questions now and then. Your answers are read only as
      totals, never with your name.</p>}>
      <QueryView query={query} loading="Loading your surveys…" isEmpty={(list) => list.length === 0}
        empty="No surveys for you at the moment. When there is one, you get an e-mail and find it here.">
        {(list) => {
          const { open, done } = sortAssignments(list);
          return (
            <>
              <Section title="To answer">
                {open.length ? (
                  <ul className="cards">{open.map((a) => <AssignmentCard key={a.id} assignment={a} />)}</ul>
                ) : <Empty>Nothing to answer right now.</Empty>}
              </Section>
              <Section title="Answered">
                {done.length ? (
                  <ul className="cards">{done.map((a) => <AssignmentCard key={a.id} assignment={a} />)}</ul>
                ) : <Empty>You have not answered a survey yet.</Empty>}
              </Section>
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}

function AssignmentCard({ assignment: a }: { assignment: Assignment }) {
  const status = assignmentStatus(a.status);
  const open = a.status === "open";
  return (
    <li>
      <article className="result" aria-labelledby={`survey-${a.id}`}>
        <h3 id={`survey-${a.id}`}>{a.title}</h3>
        <p className="row"><Badge tone={status.tone}>{status.label}</Badge> <span className="muted small">{kindLabel(a.kind)}</span></p>
        {open ? (
          <p>{a.due_at ? <>Please answer by {deadline(a.due_at)}.</> : "No due date."}</p>
        ) : a.completed_at ? <p className="muted small">Answered {formatDate(a.completed_at)}</p> : null}
        <div className="actions">
          <Link className={open ? "button" : undefined} to={`/surveys/${a.id}`} aria-label={`${open ? "Answer" : "See your answers to"} ${a.title}`}>
            {open ? "Answer" : "See your answers"}
          </Link>
        </div>
      </article>
    </li>
  );
}
