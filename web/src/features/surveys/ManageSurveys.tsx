// Surveys (operators, R14): every survey with its kind, status, version and how many were asked and
// answered; a new survey is written on its own screen, each survey's page opens, closes and counts it.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { data, evaluation, identity } from "../../api/client";
import type { components } from "../../api/schema/evaluation";
import { formatDate } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { QueryView } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import { kindLabel, surveyStatus } from "./words";

type Survey = components["schemas"]["SurveyOut"];

export const surveysQuery = {
  queryKey: ["evaluation", "surveys"],
  queryFn: () => data(evaluation.GET("/api/v1/evaluation/surveys")),
};

export function statisticsQuery(surveyId: string) {
  return {
    queryKey: ["evaluation", "surveys", surveyId, "statistics"],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/surveys/{survey_id}/statistics", {
      params: { path: { survey_id: surveyId } },
    })),
  };
}

export const institutionsQuery = {
  queryKey: ["identity", "institutions"],
  queryFn: () => data(identity.GET("/api/v1/identity/institutions")),
  staleTime: 5 * 60_000,
};

/** A survey's completed count: asked for per survey (the list does not carry it); a draft has none. */
function Completed({ survey }: { survey: Survey }) {
  const stats = useQuery({ ...statisticsQuery(survey.id ?? ""), enabled: survey.status !== "draft" && Boolean(survey.id) });
  if (survey.status === "draft") return <>0</>;
  if (stats.isPending) return <span className="muted">…</span>;
  if (stats.isError) return <span className="muted">not available</span>;
  return <>{stats.data.completed ?? 0}</>;
}

const COLUMNS: Column<Survey>[] = [
  { key: "title", header: "Survey", cell: (s) => <Link to={`/surveys/manage/${s.id}`}>{s.title}</Link> },
  { key: "kind", header: "Kind", cell: (s) => kindLabel(s.kind) },
  { key: "status", header: "Status", cell: (s) => {
    const status = surveyStatus(s.status);
    return <Badge tone={status.tone}>{status.label}</Badge>;
  } },
  { key: "version", header: "Version", cell: (s) => String(s.version ?? 1) },
  { key: "assigned", header: "Asked", cell: (s) => String(s.assigned ?? 0) },
  { key: "completed", header: "Answered", cell: (s) => <Completed survey={s} /> },
  { key: "created", header: "Created", cell: (s) => formatDate(s.created_at) },
];

export default function ManageSurveys() {
  const query = useQuery(surveysQuery);
  return (
    <Page title="Surveys" actions={<Link className="button" to="/surveys/manage/new">New survey</Link>}
      intro={<p>Career updates go to mentees and alumni; program feedback to the groups you choose. A survey is a draft
        until you open it; opening asks everyone in its audience by e-mail.</p>}>
      <QueryView query={query} loading="Loading the surveys…" isEmpty={(list) => list.length === 0}
        empty={<>No surveys yet. <Link to="/surveys/manage/new">Write the first one</Link>.</>}>
        {(list) => <DataTable caption="Surveys" columns={COLUMNS} rows={list} rowKey={(s) => s.id ?? ""} />}
      </QueryView>
    </Page>
  );
}
