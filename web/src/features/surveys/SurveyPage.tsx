// One of my surveys (/surveys/:assignmentId, the link of the SurveyAssigned e-mail): the questions of the
// version assigned to me as a form, checked here as the service checks them; the service's refusal of an
// answer is shown at that question; after sending, a thank-you and my answers, read-only.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { data, evaluation } from "../../api/client";
import { ProblemError } from "../../api/problem";
import type { components } from "../../api/schema/evaluation";
import { SubmitButton } from "../../ui/form";
import { deadline, formatDateTime } from "../../ui/format";
import { Badge, Page, Section } from "../../ui/page";
import { ErrorNote, Loading, Notice } from "../../ui/status";
import { myAssignmentsQuery } from "./MySurveys";
import { QuestionField, fieldTarget } from "./QuestionField";
import { answerErrorsOf, answerText, answersBody, validateAnswers, type AnswerErrors, type AnswerValues, type Question } from "./validation";
import { assignmentStatus, kindLabel } from "./words";

type Detail = components["schemas"]["AssignmentDetailOut"];

export default function SurveyPage() {
  const { assignmentId = "" } = useParams();
  const query = useQuery({
    queryKey: ["evaluation", "survey-assignments", assignmentId],
    queryFn: () => data(evaluation.GET("/api/v1/evaluation/survey-assignments/{assignment_id}", {
      params: { path: { assignment_id: assignmentId } },
    })),
    retry: (count, error) => !(error instanceof ProblemError && error.status < 500) && count < 2,
  });
  if (query.isPending) return <Loading label="Loading the survey…" />;
  if (query.isError) {
    const missing = query.error instanceof ProblemError && (query.error.status === 404 || query.error.status === 422);
    return (
      <Page title={missing ? "Survey not found" : "Survey"}>
        {missing ? (
          <div className="error-note" role="alert">
            <p className="error-title">There is no survey for you at this address.</p>
            <p>A survey's link works only for the person it was sent to. Your own surveys are in My surveys.</p>
          </div>
        ) : <ErrorNote error={query.error} retry={() => void query.refetch()} />}
        <p className="back-link"><Link to="/surveys">Go to My surveys</Link></p>
      </Page>
    );
  }
  return <Loaded key={query.data.id} survey={query.data} />;
}

function Loaded({ survey }: { survey: Detail }) {
  const [justSent, setJustSent] = useState(false);
  const status = assignmentStatus(survey.status);
  const questions = (survey.questions ?? []) as Question[];
  return (
    <Page title={survey.title ?? "Survey"} intro={survey.description ? <p className="prewrap">{survey.description}</p> : undefined}>
      <p className="row">
        <Badge tone={status.tone}>{status.label}</Badge>
        <span className="muted small">{kindLabel(survey.kind)}</span>
      </p>
      {survey.status === "completed" ? (
        <>
          {justSent ? <ThankYou /> : (
            <p>You answered this survey {formatDateTime(survey.completed_at)}. Answers cannot be changed once sent.</p>
          )}
          <Section title="Your answers">
            <Answers questions={questions} answers={survey.answers ?? {}} />
          </Section>
        </>
      ) : survey.status === "closed" ? (
        <Notice tone="warn"><p>This survey is closed: answers are no longer taken. Thank you all the same.</p></Notice>
      ) : (
        <>
          {survey.due_at ? <p>Please answer by {deadline(survey.due_at)}.</p> : null}
          <p className="muted">Questions marked “required” need an answer; the others you may leave empty.
            Your answers are read only as totals, never with your name.</p>
          <AnswerForm survey={survey} questions={questions} onSent={() => setJustSent(true)} />
        </>
      )}
      <p className="back-link"><Link to="/surveys">Back to My surveys</Link></p>
    </Page>
  );
}

function ThankYou() {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} tabIndex={-1} className="notice notice-good" role="status">
      <p><strong>Thank you — your answers are sent.</strong></p>
      <p>They are counted with everyone else's; nobody sees them with your name.</p>
    </div>
  );
}

function Answers({ questions, answers }: { questions: Question[]; answers: Record<string, unknown> }) {
  return (
    <dl className="facts survey-answers">
      {questions.map((q) => (
        <div key={q.id}>
          <dt>{q.label}</dt>
          <dd>{answerText(q.id ? answers[q.id] : undefined)}</dd>
        </div>
      ))}
    </dl>
  );
}

function AnswerForm({ survey, questions, onSent }: { survey: Detail; questions: Question[]; onSent: () => void }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<AnswerValues>({});
  const [errors, setErrors] = useState<AnswerErrors>({});
  const [failed, setFailed] = useState(0); // each failed submit moves the focus to the summary again
  const summary = useRef<HTMLDivElement>(null);
  const key = ["evaluation", "survey-assignments", survey.id ?? ""];

  const send = useMutation({
    mutationFn: () => data(evaluation.POST("/api/v1/evaluation/survey-assignments/{assignment_id}/response", {
      params: { path: { assignment_id: survey.id ?? "" } },
      body: { answers: answersBody(questions, values) },
    })),
    onSuccess: (next) => {
      onSent();
      queryClient.setQueryData(key, next);
      // My surveys shows it answered at once (not the cached "to answer" until its refetch is in)
      queryClient.setQueryData(myAssignmentsQuery.queryKey, (list: Detail[] | undefined) =>
        list?.map((a) => (a.id === next.id ? { ...a, status: next.status, completed_at: next.completed_at } : a)));
      void queryClient.invalidateQueries({ queryKey: myAssignmentsQuery.queryKey, exact: true });
    },
    onError: (error) => {
      if (error instanceof ProblemError && error.status === 422) setErrors(answerErrorsOf(error).byQuestion);
      setFailed((n) => n + 1);
    },
  });

  useEffect(() => {
    if (failed) summary.current?.focus();
  }, [failed]);

  function submit() {
    const found = validateAnswers(questions, values);
    setErrors(found);
    if (Object.keys(found).length) {
      setFailed((n) => n + 1);
      return;
    }
    send.mutate();
  }

  const problem = send.error;
  const conflict = problem instanceof ProblemError && problem.status === 409 ? problem : null;
  const serverOther = problem instanceof ProblemError && problem.status === 422 ? answerErrorsOf(problem).other : [];
  const listed = questions.filter((q) => q.id && errors[q.id]);

  return (
    <form noValidate aria-label={survey.title ?? "Survey"} className="survey-form" onSubmit={(e) => {
      e.preventDefault();
      submit();
    }}>
      {conflict ? (
        <div ref={summary} tabIndex={-1} className="error-note" role="alert">
          <p className="error-title">{conflict.code === "already-completed" ? "You have already answered this survey" : "This survey is closed"}</p>
          <p>{conflict.code === "already-completed"
            ? "Your earlier answers were kept; a survey is answered once. Reload the page to read them."
            : "The program closed this survey before your answers arrived, so they were not recorded."}</p>
          <button type="button" className="button secondary small"
            onClick={() => void queryClient.invalidateQueries({ queryKey: key })}>Reload the survey</button>
        </div>
      ) : listed.length || serverOther.length ? (
        <div ref={summary} tabIndex={-1} className="error-note error-summary" role="alert" aria-labelledby="answer-errors-title">
          <h2 id="answer-errors-title" className="error-title">
            {listed.length === 1 ? "One answer needs attention" : `${listed.length || "Some"} answers need attention`}
          </h2>
          <ul>
            {listed.map((q) => (
              <li key={q.id}>
                <a href={`#${fieldTarget(q)}`} onClick={(e) => {
                  e.preventDefault();
                  document.getElementById(fieldTarget(q))?.focus();
                }}>{q.label}: {errors[q.id!]}</a>
              </li>
            ))}
            {serverOther.map((text) => <li key={text}>{text}</li>)}
          </ul>
        </div>
      ) : problem ? <div ref={summary} tabIndex={-1}><ErrorNote error={problem} /></div> : null}

      {questions.map((q, i) => (
        <QuestionField key={q.id ?? i} question={q} number={i + 1} value={q.id ? values[q.id] : undefined} error={q.id ? errors[q.id] : undefined}
          onChange={(value) => {
            if (!q.id) return;
            setValues((v) => ({ ...v, [q.id!]: value }));
          }} />
      ))}
      <div className="actions">
        <SubmitButton busy={send.isPending} busyLabel="Sending…">Send my answers</SubmitButton>
      </div>
    </form>
  );
}
