// One survey for operators (/surveys/manage/:surveyId): its facts and questions, opening (a confirm step
// that says who will be asked) and closing, and its statistics — completion overall and per institution,
// and per version each question's answers: choice counts as a table, numbers' mean, lowest and highest,
// dates' range, and text answers listed without names.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { data, evaluation } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/evaluation";
import { formatDateTime, percent } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { Empty, ErrorNote, Loading, Notice, QueryView } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import { ConfirmButton } from "../institution/confirm";
import { institutionsQuery, statisticsQuery, surveysQuery } from "./ManageSurveys";
import { questionHint } from "./QuestionField";
import { answerText, type Question } from "./validation";
import { TYPE_LABELS, kindLabel, rolesWords, surveyStatus } from "./words";

type Survey = components["schemas"]["SurveyOut"];
type Statistics = components["schemas"]["StatisticsOut"];
type Completion = components["schemas"]["CompletionOut"];
type QuestionStats = components["schemas"]["QuestionStatsOut"];

export default function SurveyAdmin() {
  const { surveyId = "" } = useParams();
  const survey = useQuery({
    queryKey: ["evaluation", "surveys", surveyId],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/surveys/{survey_id}", { params: { path: { survey_id: surveyId } } })),
    retry: (count, error) => !(error instanceof ProblemError && error.status < 500) && count < 2,
  });
  // institutions' names, for the audience (an error leaves them unnamed rather than the page unshown)
  const institutions = useQuery(institutionsQuery);
  if (survey.isPending || institutions.isPending) return <Loading label="Loading the survey…" />;
  if (survey.isError) {
    const missing = survey.error instanceof ProblemError && survey.error.status === 404;
    return (
      <Page title={missing ? "Survey not found" : "Survey"}>
        {missing ? <p>There is no survey at this address.</p> : <ErrorNote error={survey.error} retry={() => void survey.refetch()} />}
        <p className="back-link"><Link to="/surveys/manage">Back to Surveys</Link></p>
      </Page>
    );
  }
  return <Loaded survey={survey.data} names={new Map((institutions.data ?? []).map((i) => [i.id, i.name]))} />;
}

function Loaded({ survey: s, names }: { survey: Survey; names: Map<string | undefined, string | undefined> }) {
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created;
  const status = surveyStatus(s.status);
  const audience = s.audience?.institution_ids?.length
    ? s.audience.institution_ids.map((id) => names.get(id) ?? "an institution").join(", ")
    : "every institution";
  return (
    <Page title={s.title ?? "Survey"} actions={<Link className="button secondary" to="/surveys/manage">All surveys</Link>}>
      {created && s.status === "draft" ? <Notice tone="good"><p>The survey is saved as a draft. Open it when it is ready: that asks everyone in its audience.</p></Notice> : null}
      <Section title="About the survey" actions={<Badge tone={status.tone}>{status.label}</Badge>}>
        <Facts items={[
          ["Kind", kindLabel(s.kind)],
          ["Asked of", `Active ${rolesWords(s.audience?.roles)} of ${audience}`],
          ["Days to answer", s.response_days ? `${s.response_days} days` : "No due date"],
          ["Version", `${s.version ?? 1}${(s.versions?.length ?? 1) > 1 ? ` (versions ${s.versions?.join(", ")})` : ""}`],
          ["Asked so far", String(s.assigned ?? 0)],
          ["Created", formatDateTime(s.created_at)],
          ["Opened", s.opened_at ? formatDateTime(s.opened_at) : "Not yet"],
          ["Closed", s.closed_at ? formatDateTime(s.closed_at) : "—"],
        ]} />
        {s.description ? <p className="prewrap">{s.description}</p> : null}
        <OpenClose survey={s} audience={audience} />
      </Section>
      <Section title="Questions">
        <ol className="question-list">
          {(s.questions ?? []).map((q) => (
            <li key={q.id}>
              <p><strong>{q.label}</strong>{q.required ? " (required)" : ""}</p>
              <p className="muted small">
                {TYPE_LABELS[q.type ?? ""] ?? q.type}{q.options?.length ? `: ${q.options.join(" · ")}` : ""}
                {questionHint(q as Question) ? ` — ${questionHint(q as Question)}` : ""}
              </p>
            </li>
          ))}
        </ol>
      </Section>
      {s.status === "draft" ? null : <StatisticsSection surveyId={s.id ?? ""} />}
    </Page>
  );
}

function OpenClose({ survey: s, audience }: { survey: Survey; audience: string }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = (next: Survey) => {
    queryClient.setQueryData(["evaluation", "surveys", s.id], next);
    void queryClient.invalidateQueries({ queryKey: surveysQuery.queryKey, exact: true });
    void queryClient.invalidateQueries({ queryKey: statisticsQuery(s.id ?? "").queryKey });
  };
  const open = useMutation({
    mutationFn: () => data(evaluation.POST("/api/v1/evaluation/surveys/{survey_id}/open", { params: { path: { survey_id: s.id ?? "" } } })),
    onSuccess: (next) => {
      refresh(next);
      const n = next.newly_assigned ?? 0;
      setNotice(n === 0 ? "The survey is open. Nobody new was asked: everyone in its audience already has it."
        : `The survey is open: ${n} ${n === 1 ? "person was" : "people were"} asked by e-mail.`);
    },
  });
  const close = useMutation({
    mutationFn: () => data(evaluation.POST("/api/v1/evaluation/surveys/{survey_id}/close", { params: { path: { survey_id: s.id ?? "" } } })),
    onSuccess: (next) => {
      refresh(next);
      setNotice("The survey is closed: nobody more is asked and answers are no longer taken.");
    },
  });
  const who = `all active ${rolesWords(s.audience?.roles)} of ${audience}`;
  return (
    <>
      {notice ? <Notice tone="good"><p>{notice}</p></Notice> : null}
      <ErrorNote error={open.error ?? close.error} />
      <div className="actions">
        {s.status === "draft" ? (
          <ConfirmButton label="Open the survey" className="button" tone="primary" confirmLabel="Yes, open and ask them"
            busy={open.isPending} onConfirm={() => open.mutate()}
            question={<>Opening asks {who} to answer, by e-mail{s.response_days ? `, within ${s.response_days} days` : ""}. The
              questions can still change later (a new version), the audience cannot.</>} />
        ) : null}
        {s.status === "open" ? (
          <>
            <ConfirmButton label="Ask newcomers" className="button secondary" tone="primary" confirmLabel="Yes, ask newcomers"
              busy={open.isPending} onConfirm={() => open.mutate()}
              question={<>This asks those who joined the audience ({who}) since the survey opened. Nobody is asked twice.</>} />
            <ConfirmButton label="Close the survey" className="button secondary" confirmLabel="Yes, close it"
              busy={close.isPending} onConfirm={() => close.mutate()}
              question="Closing stops the survey for good: unanswered surveys can no longer be answered, and it cannot be opened again." />
          </>
        ) : null}
      </div>
    </>
  );
}

const COMPLETION_COLUMNS: Column<Completion>[] = [
  { key: "institution", header: "Institution", cell: (c) => c.institution_name ?? "Unknown institution" },
  { key: "assigned", header: "Asked", cell: (c) => String(c.assigned ?? 0) },
  { key: "completed", header: "Answered", cell: (c) => String(c.completed ?? 0) },
  { key: "rate", header: "Completion", cell: (c) => percent(c.completion_rate) },
];

function StatisticsSection({ surveyId }: { surveyId: string }) {
  const stats = useQuery(statisticsQuery(surveyId));
  return (
    <Section title="Statistics">
      <QueryView query={stats} loading="Loading the statistics…">
        {(st) => <StatisticsView stats={st} />}
      </QueryView>
    </Section>
  );
}

function StatisticsView({ stats: st }: { stats: Statistics }) {
  const versions = (st.versions ?? []).filter((v) => (v.responses ?? 0) > 0);
  return (
    <>
      <div className="stats">
        <div className="stat"><span>Asked</span><strong>{st.assigned ?? 0}</strong></div>
        <div className="stat"><span>Answered</span><strong>{st.completed ?? 0}</strong></div>
        <div className="stat"><span>Completion</span><strong>{percent(st.completion_rate)}</strong></div>
      </div>
      <h3>By institution</h3>
      {st.institutions?.length ? (
        <DataTable caption="Completion by institution" columns={COMPLETION_COLUMNS} rows={st.institutions}
          rowKey={(c) => c.institution_id ?? ""} />
      ) : <Empty>Nobody has been asked yet.</Empty>}
      <h3 className="subheading">Answers</h3>
      {versions.length === 0 ? <Empty>No answers yet.</Empty> : versions.map((v) => (
        <div key={v.version} className="version-stats">
          {(st.versions?.length ?? 0) > 1 ? <h4>Version {v.version}</h4> : null}
          <p className="muted">{v.responses} {v.responses === 1 ? "response" : "responses"}{(st.versions?.length ?? 0) > 1 ? ` to version ${v.version}` : ""}.</p>
          {(v.questions ?? []).map((q) => <QuestionSummary key={q.id} q={q} />)}
        </div>
      ))}
    </>
  );
}

function QuestionSummary({ q }: { q: QuestionStats }) {
  const answered = `${q.answered ?? 0} answered`;
  return (
    <article className="question-stats" aria-labelledby={`stats-${q.id}`}>
      <h4 id={`stats-${q.id}`}>{q.label}</h4>
      <p className="muted small">{TYPE_LABELS[q.type ?? ""] ?? q.type} · {answered}</p>
      {q.type === "single_choice" || q.type === "multiple_choice" ? (
        <table className="count-table">
          <caption className="visually-hidden">Answers to “{q.label}”</caption>
          <thead><tr><th scope="col">Option</th><th scope="col">Chosen</th></tr></thead>
          <tbody>
            {(q.options ?? []).map((o) => (
              <tr key={o.option}><th scope="row">{o.option}</th><td>{o.count ?? 0}</td></tr>
            ))}
          </tbody>
        </table>
      ) : q.type === "number" ? (
        q.answered ? (
          <Facts items={[["Mean", answerText(q.mean)], ["Lowest", answerText(q.min)], ["Highest", answerText(q.max)]]} />
        ) : <p>No answers yet.</p>
      ) : q.type === "date" ? (
        q.answered ? <Facts items={[["Earliest", answerText(q.earliest)], ["Latest", answerText(q.latest)]]} /> : <p>No answers yet.</p>
      ) : q.type === "text" ? (
        q.texts?.length ? (
          <ul className="text-answers">{q.texts.map((t, i) => <li key={i} className="prewrap">{t}</li>)}</ul>
        ) : <p>No answers yet.</p>
      ) : null}
    </article>
  );
}
