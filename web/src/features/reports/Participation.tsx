// An institution's participation report (R15), for its administrators and for operators: over a period
// (the last 12 months unless chosen), the institution's reward policy in words, its totals and a row per
// mentor — evaluations' averages withheld under 3 — with the service's CSV and a PDF per mentor.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { data, download, evaluation } from "../../api/client";
import type { components } from "../../api/schema/evaluation";
import { useAuth } from "../../auth/AuthProvider";
import { Form, SubmitButton } from "../../ui/form";
import { formatDate, formatDateTime, percent } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { ErrorNote, Loading } from "../../ui/status";
import { DataTable, type Column } from "../../ui/table";
import { EVALUATION_MINIMUM, hasErrors, ratingWords, recommendWords } from "../evaluation/evaluation";
import { isRefusal, slug, userStatus } from "../institution/labels";
import { PeriodPicker } from "./PeriodPicker";
import { lastTwelveMonths, periodFromAnswer, periodQuery, validatePeriod, type Period, type PeriodErrors } from "./period";
import { durationWords, evaluationWords, periodWords } from "./words";

type Report = components["schemas"]["ReportOut"];
type MentorRow = components["schemas"]["MentorFiguresOut"];

const oneDecimal = (n: number | undefined) => (n === undefined ? "—" : (Math.round(n * 10) / 10).toString());

export default function Participation() {
  const { institutionId = "" } = useParams();
  const { role, institutionId: own } = useAuth();
  const [draft, setDraft] = useState<Period>(() => lastTwelveMonths());
  const [period, setPeriod] = useState<Period>(draft);
  const [errors, setErrors] = useState<PeriodErrors>({});
  const report = useQuery({
    queryKey: ["evaluation", "participation", institutionId, period],
    // JSON unless format=csv (the CSV is downloaded from participation.csv below)
    queryFn: async () => (await data(evaluation.GET("/api/v1/evaluation/institutions/{institution_id}/participation", {
      params: { path: { institution_id: institutionId }, query: periodQuery(period) },
    }))) as Report,
    retry: (count, error) => !isRefusal(error) && count < 2,
  });

  if (report.isError && isRefusal(report.error)) {
    return (
      <Page title="Participation report not available">
        <div className="error-note" role="alert">
          <p className="error-title">This institution's participation report is not open to you.</p>
          <p>{role === "institution_admin" ? "An institution administrator sees only their own institution's report." : "There is no institution at this address."}</p>
        </div>
        {role === "institution_admin" && own ? <p><Link to={`/institutions/${own}/participation`}>Your institution's participation report</Link></p> : null}
      </Page>
    );
  }
  const name = report.data?.institution?.name;
  return (
    <Page title="Participation report" intro={<p>{name ? `${name}: ` : ""}what each mentor gave over the period — for
      promotion, protected time and recognition. Evaluation averages appear only for mentors with at least {EVALUATION_MINIMUM} evaluations
      in the period.</p>}
      actions={<Link className="button secondary" to={`/institutions/${institutionId}`}>Dashboard</Link>}>
      <Section title="Period">
        <Form label="Choose the period" onSubmit={() => {
          const found = validatePeriod(draft);
          setErrors(found);
          if (!hasErrors(found)) setPeriod(draft);
        }}>
          <PeriodPicker value={draft} onChange={setDraft} errors={errors} legend="Report period" />
          <SubmitButton busy={report.isFetching} busyLabel="Loading…">Show the report</SubmitButton>
        </Form>
      </Section>
      {report.isPending ? <Loading label="Loading the report…" />
        : report.isError ? <ErrorNote error={report.error} retry={() => void report.refetch()} />
        : <Loaded report={report.data} institutionId={institutionId} period={period} />}
    </Page>
  );
}

function Loaded({ report: r, institutionId, period }: { report: Report; institutionId: string; period: Period }) {
  const shown = periodFromAnswer(r.period) ?? period;
  const minimum = r.evaluation_minimum ?? EVALUATION_MINIMUM;
  const owner = slug(r.institution?.name);
  const t = r.totals ?? {};
  const rows = r.mentors ?? [];
  const csv = useMutation({
    mutationFn: () => download(
      `/api/v1/evaluation/institutions/${institutionId}/participation.csv?${new URLSearchParams(periodQuery(shown))}`,
      `${owner}-participation-${shown.from}-${shown.to}.csv`),
  });
  const columns: Column<MentorRow>[] = [
    { key: "name", header: "Mentor", cell: (m) => (
      <span className="cell">{m.name ?? "Name not known"}<br /><MentorPdf mentor={m} institutionId={institutionId} period={shown} /></span>
    ) },
    { key: "status", header: "Status", cell: (m) => userStatus(m.status) },
    { key: "active", header: "Active mentorships", cell: (m) => m.active_mentorships ?? 0 },
    { key: "months", header: "Mentee-months", cell: (m) => oneDecimal(m.mentee_months) },
    { key: "received", header: "Requests received", cell: (m) => m.requests_received ?? 0 },
    { key: "rate", header: "Response rate", cell: (m) => percent(m.response_rate) },
    { key: "median", header: "Median response time", cell: (m) => durationWords(m.median_response_hours) },
    { key: "evaluations", header: "Evaluations", cell: (m) => (
      <span>
        {evaluationWords(m.evaluation_count ?? 0, m.evaluations_withheld ?? true, m.averages?.overall, minimum)}
        {m.averages && !m.evaluations_withheld ? <><br /><span className="small">{recommendWords(m.averages.would_recommend_share)}</span></> : null}
      </span>
    ) },
    { key: "training", header: "Training completed", cell: (m) => (m.training_completed ? formatDate(`${m.training_completed}T12:00:00`) : "Not completed") },
    { key: "cme", header: "CME hours", cell: (m) => oneDecimal(m.cme_hours) },
  ];
  const rewards = r.reward_policy ?? [];
  return (
    <>
      <p><strong>{periodWords(shown.from, shown.to, formatDate)}</strong> <span className="muted small">· made {formatDateTime(r.generated_at)}</span></p>
      <Section title="Rewards the institution offers its mentors">
        {rewards.length === 0 ? <p>This institution has not said which rewards it offers its mentors.</p> : (
          <ul>
            {rewards.map((w) => <li key={w.reward}><strong>{w.name}</strong>{w.details ? `: ${w.details}` : ""}</li>)}
          </ul>
        )}
      </Section>
      <Section title="Totals">
        <div className="stats">
          <div className="stat"><span>Mentors</span><strong>{t.mentors ?? 0}</strong></div>
          <div className="stat"><span>Trained</span><strong>{t.mentors_trained ?? 0}</strong></div>
          <div className="stat"><span>Active mentorships</span><strong>{t.active_mentorships ?? 0}</strong></div>
          <div className="stat"><span>Mentorships started</span><strong>{t.mentorships_started ?? 0}</strong></div>
          <div className="stat"><span>Mentee-months</span><strong>{oneDecimal(t.mentee_months)}</strong></div>
          <div className="stat"><span>Requests received</span><strong>{t.requests_received ?? 0}</strong></div>
          <div className="stat"><span>Response rate</span><strong>{percent(t.response_rate)}</strong></div>
          <div className="stat"><span>Median response time</span><strong>{durationWords(t.median_response_hours)}</strong></div>
          <div className="stat"><span>Evaluations</span><strong>{t.evaluation_count ?? 0}</strong></div>
          <div className="stat"><span>CME hours</span><strong>{oneDecimal(t.cme_hours)}</strong></div>
        </div>
        {t.evaluations_withheld || !t.averages ? (
          <p><Badge>Withheld</Badge> Average ratings are withheld: they need at least {minimum} evaluations of mentors whose own
            averages are shown.</p>
        ) : (
          <p>Average ratings over {t.evaluations_averaged ?? 0} evaluations: overall {ratingWords(t.averages.overall)}, availability{" "}
            {ratingWords(t.averages.availability)}, responsiveness {ratingWords(t.averages.responsiveness)}, guidance{" "}
            {ratingWords(t.averages.guidance)}; {recommendWords(t.averages.would_recommend_share)}.</p>
        )}
      </Section>
      <Section title="Mentors" actions={
        <button type="button" className="button secondary small" disabled={csv.isPending} aria-busy={csv.isPending || undefined}
          onClick={() => csv.mutate()}>
          {csv.isPending ? "Downloading…" : "Download the report (CSV)"}
        </button>
      }>
        {csv.error ? <ErrorNote error={csv.error} /> : null}
        {rows.length === 0 ? <p className="empty">This institution has no mentors in this period.</p>
          : <DataTable caption="Participation of each mentor" columns={columns} rows={rows} rowKey={(m) => m.mentor_id ?? ""} />}
      </Section>
    </>
  );
}

function MentorPdf({ mentor: m, institutionId, period }: { mentor: MentorRow; institutionId: string; period: Period }) {
  const name = m.name ?? "this mentor";
  const save = useMutation({
    mutationFn: () => download(
      `/api/v1/evaluation/institutions/${institutionId}/participation/mentors/${m.mentor_id}.pdf?${new URLSearchParams(periodQuery(period))}`,
      `participation-${slug(m.name ?? m.mentor_id)}-${period.from}-${period.to}.pdf`),
  });
  return (
    <span>
      <button type="button" className="link-inline" disabled={save.isPending} aria-busy={save.isPending || undefined}
        aria-label={`PDF report: ${name}`} onClick={() => save.mutate()}>
        {save.isPending ? "Downloading…" : "PDF report"}
      </button>
      {save.error ? <span className="field-error small" role="alert">The PDF could not be made. Try again.</span> : null}
    </span>
  );
}
