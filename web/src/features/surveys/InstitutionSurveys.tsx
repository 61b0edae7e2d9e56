// An institution's surveys (/institutions/:institutionId/surveys): for its administrators, how many of
// the institution's people each survey asked and how many answered — a count under 3 is withheld by the
// service and said so in words; operators see every count. Answers themselves are never shown here.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { data, evaluation } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/evaluation";
import { useAuth } from "../../auth/AuthProvider";
import { percent } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { Loading, QueryView } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import { countWords } from "./validation";
import { kindLabel, surveyStatus } from "./words";

type Row = components["schemas"]["InstitutionSurveyOut"];

const MINIMUM = 3;

function rateWords(row: Row): string {
  if (row.completion_rate === null || row.completion_rate === undefined) {
    return row.assigned === null || row.completed === null ? "withheld (a count is under 3)" : "—";
  }
  return percent(row.completion_rate);
}

const COLUMNS: Column<Row>[] = [
  { key: "title", header: "Survey", cell: (r) => r.title ?? "Survey" },
  { key: "kind", header: "Kind", cell: (r) => kindLabel(r.kind) },
  { key: "status", header: "Status", cell: (r) => {
    const status = surveyStatus(r.status);
    return <Badge tone={status.tone}>{status.label}</Badge>;
  } },
  { key: "assigned", header: "Asked", cell: (r) => countWords(r.assigned, MINIMUM) },
  { key: "completed", header: "Answered", cell: (r) => countWords(r.completed, MINIMUM) },
  { key: "rate", header: "Completion", cell: rateWords },
];

export default function InstitutionSurveys() {
  const { institutionId = "" } = useParams();
  const { role, institutionId: own } = useAuth();
  const query = useQuery({
    queryKey: ["evaluation", "institution-surveys", institutionId],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/institutions/{institution_id}/surveys", {
      params: { path: { institution_id: institutionId } },
    })),
    retry: (count, error) => !(error instanceof ProblemError && error.status < 500) && count < 2,
  });
  if (query.isPending) return <Loading label="Loading the surveys…" />;
  if (query.isError && query.error instanceof ProblemError && (query.error.status === 404 || query.error.status === 403)) {
    return (
      <Page title="Surveys not available">
        <div className="error-note" role="alert">
          <p className="error-title">This institution's surveys are not open to you.</p>
          <p>An institution administrator sees only their own institution's survey completion.</p>
        </div>
        {role === "institution_admin" && own ? <p className="back-link"><Link to={`/institutions/${own}/surveys`}>Your institution's surveys</Link></p> : null}
      </Page>
    );
  }
  return (
    <Page title="Surveys" actions={<Link className="button secondary" to={`/institutions/${institutionId}`}>Dashboard</Link>}
      intro={<p>How many of your institution's people each survey asked and how many answered. The answers themselves
        are read by the program only as totals. To protect privacy, a count under {MINIMUM} is withheld: it shows as
        “fewer than {MINIMUM} — withheld”.</p>}>
      <QueryView query={query} loading="Loading the surveys…" isEmpty={(list) => list.length === 0}
        empty="No survey has reached your institution yet.">
        {(list) => <DataTable caption="Survey completion at the institution" columns={COLUMNS} rows={list} rowKey={(r) => r.survey_id ?? ""} />}
      </QueryView>
    </Page>
  );
}
