// One training module: read it, pass its knowledge check (when it has one), then attest "I completed this
// module" — the attestation is what counts toward the required training (R6), and for a mentor's
// credit-bearing module it yields a CME certificate (R7).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { data, training } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/training";
import { Choices, Form, SubmitButton } from "../../ui/form";
import { formatDate } from "../../ui/format";
import { Badge, Page } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import { hours, minutes, prepareModuleHtml, progressWords, retryNotEnrolled, validateAnswers } from "./training";

type Module = components["schemas"]["ModuleDetailOut"];
type CheckResult = components["schemas"]["CheckOut"];

export default function TrainingModule() {
  const { moduleId = "" } = useParams();
  const module = useQuery({
    queryKey: ["training", "module", moduleId],
    queryFn: () => data(training.GET("/api/v1/training/modules/{module_id}", { params: { path: { module_id: moduleId } } })),
    retry: retryNotEnrolled,
    retryDelay: 1000,
  });
  if (module.isPending) return <Page title="Training module"><Loading label="Opening the module…" /></Page>;
  if (module.isError) {
    return (
      <Page title="Training module">
        <ErrorNote error={module.error} retry={() => void module.refetch()} />
        <p><Link to="/training">Back to Training</Link></p>
      </Page>
    );
  }
  return <ModuleView key={`${module.data.id}-${module.data.version}`} module={module.data} />;
}

function ModuleView({ module }: { module: Module }) {
  const queries = useQueryClient();
  const body = useMemo(() => prepareModuleHtml(module.body_html ?? "", module.title ?? ""), [module.body_html, module.title]);
  const questions = module.knowledge_check?.questions ?? [];
  const [answers, setAnswers] = useState<(number | undefined)[]>([]);
  const [answerError, setAnswerError] = useState<string | undefined>();
  const [result, setResult] = useState<CheckResult | null>(null);
  const refresh = () => queries.invalidateQueries({ queryKey: ["training"] });

  const check = useMutation({
    mutationFn: () => data(training.POST("/api/v1/training/modules/{module_id}/check", {
      params: { path: { module_id: module.id ?? "" } },
      body: { version: module.version ?? 1, answers: answers as number[] },
    })),
    onSuccess: (r) => {
      setResult(r);
      if (r.passed) void refresh();
    },
    onError: (e) => {
      if (e instanceof ProblemError && e.code === "module-version-outdated") void refresh();
    },
  });
  const attest = useMutation({
    mutationFn: () => data(training.POST("/api/v1/training/modules/{module_id}/attestation", {
      params: { path: { module_id: module.id ?? "" } },
      body: { version: module.version ?? 1 },
    })),
    onSuccess: () => void refresh(),
    onError: (e) => {
      if (e instanceof ProblemError && e.code === "module-version-outdated") void refresh();
    },
  });

  const progress = attest.data?.progress ?? module.progress;
  const attested = progress?.status === "attested";
  const passed = !module.has_knowledge_check || Boolean(result?.passed) || Boolean(module.progress?.check_passed);
  const words = progressWords(progress, Boolean(module.has_knowledge_check));

  function submitCheck() {
    const found = validateAnswers(answers, questions.length);
    setAnswerError(found.error);
    if (found.error) return;
    check.mutate();
  }

  return (
    <Page title={module.title ?? "Training module"}
      intro={<>
        <p>{module.summary}</p>
        <p className="row">
          <Badge tone={words.tone}>{words.label}</Badge>
          <Badge tone={module.required ? "info" : "neutral"}>{module.required ? "Required" : "Optional"}</Badge>
          <span className="small">{[minutes(module.estimated_minutes), hours(module.cme_credit_hours), `version ${module.version}`]
            .filter(Boolean).join(" · ")}</span>
        </p>
      </>}>
      <p><Link to="/training">Back to Training</Link></p>
      <article className="card module-body" aria-label={`${module.title}: the module`}>
        {/* Sanitised by the training service (allow-listed tags, no scripts or handlers), adjusted above. */}
        <div dangerouslySetInnerHTML={{ __html: body }} />
      </article>

      {module.knowledge_check && !attested ? (
        <section className="card" aria-labelledby="check-title">
          <h2 id="check-title">Knowledge check</h2>
          <p>Answer every question; {module.knowledge_check.pass_mark} % correct passes. You may try again as often as you need.</p>
          <Form onSubmit={submitCheck} error={check.error} label="Knowledge check">
            {questions.map((q, i) => (
              <Choices key={q.index ?? i} legend={`Question ${i + 1}: ${q.prompt}`} multiple={false}
                options={(q.choices ?? []).map((c, n) => ({ value: String(n), label: c }))}
                selected={answers[i] === undefined ? [] : [String(answers[i])]}
                onChange={(sel) => {
                  const next = [...answers];
                  next[i] = Number(sel[0]);
                  setAnswers(next);
                  setResult(null);
                }}
                error={answerError && answers[i] === undefined ? "Choose an answer." : undefined} />
            ))}
            {answerError ? <p className="field-error" role="alert">{answerError}</p> : null}
            {result ? (
              <Notice tone={result.passed ? "good" : "warn"}>
                <p><strong>{result.passed ? "Passed." : "Not passed yet."}</strong>{" "}
                  You answered {result.score} of {result.total} correctly; {result.pass_mark} % passes.
                  {result.passed ? " Now attest that you completed the module." : " Read the module again and retry."}</p>
              </Notice>
            ) : null}
            <SubmitButton busy={check.isPending} busyLabel="Checking…" className="button secondary">Check my answers</SubmitButton>
          </Form>
        </section>
      ) : null}

      <section className="card" aria-labelledby="attest-title">
        <h2 id="attest-title">Completion</h2>
        {attested ? (
          <Notice tone="good">
            <p><strong>You completed this module</strong>
              {progress?.attested_at ? ` on ${formatDate(progress.attested_at)}` : ""}
              {progress?.attested_version ? ` (version ${progress.attested_version})` : ""}.
              {module.cme_credit_hours ? " Its CME certificate is in My CME certificates." : ""}</p>
            <p><Link to="/training">Back to Training</Link></p>
          </Notice>
        ) : passed ? (
          <>
            <p>By attesting, you confirm that you have read and completed this module (version {module.version}).
              Your attestation is recorded with its date.</p>
            {attest.error ? <ErrorNote error={attest.error} /> : null}
            <button type="button" className="button" disabled={attest.isPending} aria-busy={attest.isPending || undefined}
              onClick={() => attest.mutate()}>
              {attest.isPending ? "Recording…" : "I completed this module"}
            </button>
          </>
        ) : (
          <p>Pass the knowledge check above; then you can attest that you completed the module.</p>
        )}
      </section>
    </Page>
  );
}
