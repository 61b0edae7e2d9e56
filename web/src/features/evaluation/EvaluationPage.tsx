// One evaluation (/evaluations/:evaluationId, the link of the "evaluation due" e-mail): the form while it
// is open — four 1–5 ratings, would recommend, a text for the program, an optional comment for the mentor —
// checked here first, then by the service (its field errors shown at their fields, a 409 in words); once
// submitted, the answers read-only.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { data, evaluation } from "../../api/client";
import { ProblemError } from "../../api/problem";
import { NotFound } from "../../app/NotFound";
import { useAuth } from "../../auth/AuthProvider";
import { Form, SubmitButton, TextArea, serverFieldError } from "../../ui/form";
import { deadline, formatDate, formatDateTime } from "../../ui/format";
import { Badge, Facts, Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice, QueryView } from "../../ui/status";
import {
  EMPTY_FORM, RATINGS, conflictWords, hasErrors, isOpen, kindWords, mentorOf, questionsOf, scaleEnds, statusWords,
  submissionOf, validateEvaluation, type Evaluation, type EvaluationErrors, type EvaluationForm, type Question,
} from "./evaluation";

const SHARED_HINT = "Your mentor is shown this comment without your name, and only once at least 3 evaluations of them " +
  "have been submitted — never with a date. Leave it empty if you prefer.";

export default function EvaluationPage() {
  const { evaluationId = "" } = useParams();
  const query = useQuery({
    queryKey: ["evaluation", "evaluations", evaluationId],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/evaluations/{evaluation_id}", { params: { path: { evaluation_id: evaluationId } } })),
    retry: (count, error) => !(error instanceof ProblemError && error.status < 500) && count < 2,
  });
  const [submitted, setSubmitted] = useState(false);
  const { role } = useAuth();
  if (query.isError && query.error instanceof ProblemError && (query.error.status === 404 || query.error.status === 422)) {
    return <NotFound reason="There is no evaluation of yours at this address." />;
  }
  if (query.isPending) return <Loading label="Loading the evaluation…" />;
  if (query.isError) {
    return <Page title="Evaluation"><ErrorNote error={query.error} retry={() => void query.refetch()} /></Page>;
  }
  const e = query.data;
  const mentor = mentorOf(e);
  const status = statusWords(e);
  return (
    <Page title={`Evaluate ${mentor.name}`}
      intro={<p className="row"><Badge tone={status.tone}>{status.label}</Badge> <span>{kindWords(e.kind)}</span></p>}>
      <p><Link to="/evaluations">Back to My evaluations</Link></p>
      {submitted ? (
        <Notice tone="good">
          <p><strong>Thank you: your evaluation is submitted.</strong> Your answers are below; they cannot be changed.</p>
        </Notice>
      ) : null}
      <Facts items={[
        ["Mentor", mentor.name],
        ["Due since", formatDate(e.due_at)],
        ["Closes", isOpen(e) && e.closes_at ? deadline(e.closes_at) : formatDateTime(e.closes_at)],
        ...(e.submitted_at ? [["Submitted", formatDateTime(e.submitted_at)] as [string, string]] : []),
      ]} />
      {e.status === "submitted" ? <Answers evaluation={e} />
        : isOpen(e) && role !== "mentee" ? <Notice>Waiting for the mentee's answers.</Notice>
        : isOpen(e) ? <EvaluationFormView evaluation={e} onSubmitted={() => setSubmitted(true)} />
        : <Notice>{closedWords(e)}</Notice>}
    </Page>
  );
}

function closedWords(e: Evaluation): string {
  if (e.status === "cancelled") return "This evaluation was cancelled: the mentorship ended before it fell due. There is nothing to answer.";
  if (e.status === "scheduled") return "This evaluation is not due yet.";
  return "This evaluation closed without an answer; it can no longer be submitted.";
}

function useForm() {
  return useQuery({
    queryKey: ["evaluation", "form"],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/evaluation-form")),
    staleTime: 10 * 60_000,
  });
}

function EvaluationFormView({ evaluation: e, onSubmitted }: { evaluation: Evaluation; onSubmitted: () => void }) {
  const form = useForm();
  return (
    <QueryView query={form} loading="Loading the questions…">
      {(f) => <Questions evaluation={e} version={f.version ?? 1} questions={questionsOf(f.definition)} onSubmitted={onSubmitted} />}
    </QueryView>
  );
}

function Questions({ evaluation: e, version, questions, onSubmitted }: {
  evaluation: Evaluation;
  version: number;
  questions: Question[];
  onSubmitted: () => void;
}) {
  const queries = useQueryClient();
  const [form, setForm] = useState<EvaluationForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<EvaluationErrors>({});
  const summary = useRef<HTMLParagraphElement>(null);
  const set = <K extends keyof EvaluationForm>(key: K) => (value: EvaluationForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = useMutation({
    mutationFn: () => data(evaluation.POST("/api/v1/evaluation/evaluations/{evaluation_id}/submission", {
      params: { path: { evaluation_id: e.id ?? "" } }, body: submissionOf(form, version),
    })),
    onSuccess: (next) => {
      queries.setQueryData(["evaluation", "evaluations", e.id], next);
      void queries.invalidateQueries({ queryKey: ["evaluation", "evaluations"] });
      onSubmitted();
    },
    onError: (error) => {
      // A 409 means the evaluation changed under the form (submitted elsewhere, closed): show what it is now.
      if (error instanceof ProblemError && error.status === 409) void queries.invalidateQueries({ queryKey: ["evaluation", "evaluations", e.id] });
    },
  });
  const hadErrors = hasErrors(errors);
  useEffect(() => {
    if (hadErrors) summary.current?.focus();
  }, [hadErrors, errors]);

  const conflict = conflictWords(submit.error);
  const fieldError = (name: keyof EvaluationForm) => errors[name] ?? serverFieldError(submit.error, name);
  const byId = new Map(questions.map((q) => [q.id, q]));
  const label = (id: string, fallback: string) => byId.get(id)?.label ?? fallback;
  const textMax = (id: string) => byId.get(id)?.maxLength ?? 4000;

  return (
    <Section title="Your answers">
      <Form label={`Evaluation of ${mentorOf(e).name}`} error={conflict ? undefined : submit.error} onSubmit={() => {
        const found = validateEvaluation(form, Math.min(textMax("program_text"), textMax("shared_text")));
        setErrors(found);
        if (hasErrors(found)) return;
        submit.mutate();
      }}>
        {conflict ? (
          <div className="error-note" role="alert">
            <p className="error-title">Not submitted</p>
            <p>{conflict}</p>
          </div>
        ) : null}
        {hadErrors ? (
          <p className="field-error" role="alert" tabIndex={-1} ref={summary}>
            Some answers are missing: see the messages below.
          </p>
        ) : null}
        <p className="muted small">Questions marked (required) need an answer. 1 is the lowest rating, 5 the highest.</p>
        {RATINGS.map((r) => (
          <RatingGroup key={r} id={r} legend={label(r, r)} value={form[r]} onChange={set(r)} error={fieldError(r)} />
        ))}
        <YesNo legend={label("would_recommend", "Would you recommend this mentor to another mentee?")} value={form.would_recommend}
          onChange={set("would_recommend")} error={fieldError("would_recommend")} />
        <TextArea label={`${label("program_text", "Anything you want the program to know").replace(/\.\s*$/, "")} (optional)`} rows={4}
          maxLength={textMax("program_text")} value={form.program_text} onChange={set("program_text")}
          hint="Your mentor never reads this." error={fieldError("program_text")} />
        <TextArea label="A comment for your mentor (optional)" rows={4} maxLength={textMax("shared_text")}
          value={form.shared_text} onChange={set("shared_text")} hint={SHARED_HINT} error={fieldError("shared_text")} />
        <SubmitButton busy={submit.isPending} busyLabel="Submitting…">Submit evaluation</SubmitButton>
      </Form>
    </Section>
  );
}

function RatingGroup({ id, legend, value, onChange, error }: {
  id: string;
  legend: string;
  value: number | null;
  onChange: (value: number) => void;
  error?: string;
}) {
  const name = useId();
  const [low, high] = scaleEnds(id);
  return (
    <fieldset className={`choices rating${error ? " field-invalid" : ""}`} aria-describedby={`${name}-ends${error ? ` ${name}-error` : ""}`}
      aria-invalid={error ? true : undefined} data-question={id}>
      <legend>{legend} <span className="required">(required)</span></legend>
      <p className="hint" id={`${name}-ends`}>1 = {low}, 5 = {high}</p>
      <div className="rating-scale">
        {[1, 2, 3, 4, 5].map((n) => (
          <div className="rating-choice" key={n}>
            <input id={`${name}-${n}`} name={name} type="radio" checked={value === n} onChange={() => onChange(n)} />
            <label htmlFor={`${name}-${n}`}>
              <span className="rating-number">{n}</span>
              {n === 1 ? <span className="rating-end">{low}</span> : n === 5 ? <span className="rating-end">{high}</span> : null}
            </label>
          </div>
        ))}
      </div>
      {error ? <p className="field-error" id={`${name}-error`}>{error}</p> : null}
    </fieldset>
  );
}

function YesNo({ legend, value, onChange, error }: {
  legend: string;
  value: boolean | null;
  onChange: (value: boolean) => void;
  error?: string;
}) {
  const name = useId();
  return (
    <fieldset className={`choices${error ? " field-invalid" : ""}`} aria-describedby={error ? `${name}-error` : undefined}
      aria-invalid={error ? true : undefined} data-question="would_recommend">
      <legend>{legend} <span className="required">(required)</span></legend>
      {([[true, "Yes"], [false, "No"]] as const).map(([v, text]) => (
        <div className="choice" key={text}>
          <input id={`${name}-${text}`} name={name} type="radio" checked={value === v} onChange={() => onChange(v)} />
          <label htmlFor={`${name}-${text}`}>{text}</label>
        </div>
      ))}
      {error ? <p className="field-error" id={`${name}-error`}>{error}</p> : null}
    </fieldset>
  );
}

function Answers({ evaluation: e }: { evaluation: Evaluation }) {
  const form = useForm();
  const a = e.answers;
  if (!a) return <Notice>Your evaluation was submitted {formatDateTime(e.submitted_at)}.</Notice>;
  const questions = questionsOf(form.data?.version === a.form_version ? form.data?.definition : undefined);
  const label = (id: string, fallback: string) => questions.find((q) => q.id === id)?.label ?? fallback;
  const rating = (id: (typeof RATINGS)[number]) => {
    const v = a[id];
    const [low, high] = scaleEnds(id);
    return v === undefined ? "—" : `${v} of 5${v === 1 ? ` (${low})` : v === 5 ? ` (${high})` : ""}`;
  };
  const fallbacks: Record<string, string> = {
    availability: "Availability", responsiveness: "Responsiveness", guidance: "Quality of guidance", overall: "Overall",
  };
  return (
    <Section title="Your answers">
      <Facts items={[
        ...RATINGS.map((r) => [label(r, fallbacks[r]), rating(r)] as [string, string]),
        [label("would_recommend", "Would recommend"), a.would_recommend ? "Yes" : "No"],
        ["For the program (staff only)", a.program_text ? <span className="prewrap">{a.program_text}</span> : "No text"],
        ["For your mentor (anonymous, once 3 evaluations exist)", a.shared_text ? <span className="prewrap">{a.shared_text}</span> : "No comment"],
      ]} />
    </Section>
  );
}
