// A new survey (operators, R14): its kind, title, description, days to answer, audience (roles and,
// optionally, institutions) and questions — added, removed and moved, each with the fields its type
// uses. Checked here as the service checks it; the service's refusal is shown at the same fields. It is
// saved as a draft: opening it (on its page) is what asks people.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { data, evaluation } from "../../api/client";
import { Checkbox, Choices, Select, SubmitButton, TextArea, TextField } from "../../ui/form";
import { Page, Section } from "../../ui/page";
import { ErrorNote, QueryView } from "../../ui/status";
import { institutionsQuery, surveysQuery } from "./ManageSurveys";
import {
  CAREER_ROLES, LIMITS, QUESTION_TYPES, ROLES, newQuestion, surveyBody, surveyErrorsOf, surveyHasErrors, validateSurvey,
  type AudienceRole, type Kind, type QuestionDraft, type QuestionErrors, type QuestionType, type SurveyDraft, type SurveyErrors,
} from "./validation";
import { ROLE_LABELS, TYPE_LABELS } from "./words";

const KINDS: { value: Kind; label: string }[] = [
  { value: "program_feedback", label: "Program feedback — to the groups you choose" },
  { value: "career_update", label: "Career update — to mentees and alumni, about where their training took them" },
];

const FIELD_WORDS: Record<string, string> = {
  id: "question id", label: "question", options: "options", min_selections: "fewest choices", max_selections: "most choices",
  max_length: "longest answer", min: "lowest", max: "highest",
};

function emptyDraft(): SurveyDraft {
  return {
    kind: "program_feedback", title: "", description: "", response_days: "14", roles: ["mentee"], institutions: "all",
    institution_ids: [], questions: [newQuestion([])],
  };
}

/** Focus the first control inside the element with this id (a field's wrapper). */
function focusField(id: string) {
  const box = document.getElementById(id);
  const control = box?.matches("input, select, textarea") ? box : box?.querySelector<HTMLElement>("input, select, textarea");
  (control as HTMLElement | null | undefined)?.focus();
}

export default function NewSurvey() {
  const institutions = useQuery(institutionsQuery);
  return (
    <Page title="New survey" intro={<p>The survey is saved as a draft. Nobody is asked until you open it on its page.</p>}>
      <QueryView query={institutions} loading="Loading the institutions…">
        {(list) => <Editor institutions={list.map((i) => ({ value: i.id ?? "", label: i.name ?? "Institution" }))} />}
      </QueryView>
    </Page>
  );
}

function Editor({ institutions }: { institutions: { value: string; label: string }[] }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<SurveyDraft>(emptyDraft);
  const [errors, setErrors] = useState<SurveyErrors & { other?: string[] }>({ byQuestion: {} });
  const [failed, setFailed] = useState(0);
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (failed) summary.current?.focus();
  }, [failed]);

  const set = <K extends keyof SurveyDraft>(key: K) => (value: SurveyDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const setQuestion = (key: string, patch: Partial<QuestionDraft>) =>
    setDraft((d) => ({ ...d, questions: d.questions.map((q) => (q.key === key ? { ...q, ...patch } : q)) }));
  const move = (index: number, by: number) => setDraft((d) => {
    const questions = [...d.questions];
    const [q] = questions.splice(index, 1);
    questions.splice(index + by, 0, q);
    return { ...d, questions };
  });

  const create = useMutation({
    mutationFn: () => data(evaluation.POST("/api/v1/evaluation/surveys", { body: surveyBody(draft) })),
    onSuccess: (survey) => {
      void queryClient.invalidateQueries({ queryKey: surveysQuery.queryKey, exact: true });
      navigate(`/surveys/manage/${survey.id}`, { state: { created: true } });
    },
    onError: (error) => {
      setErrors(surveyErrorsOf(error, draft));
      setFailed((n) => n + 1);
    },
  });

  function submit() {
    const found = validateSurvey(draft);
    setErrors(found);
    if (surveyHasErrors(found)) {
      setFailed((n) => n + 1);
      return;
    }
    create.mutate();
  }

  const roleOptions = ROLES.filter((r) => draft.kind === "program_feedback" || CAREER_ROLES.includes(r))
    .map((r) => ({ value: r, label: ROLE_LABELS[r] }));
  const summaryItems: { target: string; text: string }[] = [];
  for (const [field, label] of [["title", "Title"], ["description", "Description"], ["response_days", "Days to answer"],
    ["roles", "Who is asked"], ["institution_ids", "Institutions"], ["questions", "Questions"]] as const) {
    const message = errors[field];
    if (message) summaryItems.push({ target: `survey-${field}`, text: `${label}: ${message}` });
  }
  draft.questions.forEach((q, i) => {
    for (const [field, message] of Object.entries(errors.byQuestion[q.key] ?? {})) {
      if (message) summaryItems.push({ target: `question-${q.key}-${field}`, text: `Question ${i + 1}, ${FIELD_WORDS[field] ?? field}: ${message}` });
    }
  });
  const other = errors.other ?? [];
  const serverProblem = create.error && !summaryItems.length && !other.length ? create.error : null;

  return (
    <form noValidate aria-label="New survey" className="survey-form" onSubmit={(e) => {
      e.preventDefault();
      submit();
    }}>
      {summaryItems.length || other.length ? (
        <div ref={summary} tabIndex={-1} className="error-note error-summary" role="alert" aria-labelledby="survey-errors-title">
          <h2 id="survey-errors-title" className="error-title">The survey is not saved yet: correct what is marked</h2>
          <ul>
            {summaryItems.map((item) => (
              <li key={item.target + item.text}>
                <a href={`#${item.target}`} onClick={(e) => {
                  e.preventDefault();
                  focusField(item.target);
                }}>{item.text}</a>
              </li>
            ))}
            {other.map((text) => <li key={text}>{text}</li>)}
          </ul>
        </div>
      ) : serverProblem ? <div ref={summary} tabIndex={-1}><ErrorNote error={serverProblem} /></div> : null}

      <Section title="About the survey">
        <Choices legend="Kind" multiple={false} options={KINDS} selected={[draft.kind]} onChange={(v) => {
          const kind = (v[0] ?? "program_feedback") as Kind;
          setDraft((d) => ({ ...d, kind, roles: kind === "career_update" ? [...CAREER_ROLES] : d.roles.length ? d.roles : ["mentee"] }));
        }} />
        <div id="survey-title">
          <TextField label="Title" required value={draft.title} onChange={set("title")} maxLength={LIMITS.title}
            hint="People see it in the e-mail and in My surveys." error={errors.title} />
        </div>
        <div id="survey-description">
          <TextArea label="Description" value={draft.description} onChange={set("description")} rows={3}
            hint="Why you ask and how long it takes (optional)." error={errors.description} />
        </div>
        <div id="survey-response_days">
          <TextField label="Days to answer" inputMode="numeric" value={draft.response_days} onChange={set("response_days")}
            hint={`Each person is asked to answer within this many days (${LIMITS.responseDaysMin}–${LIMITS.responseDaysMax}); leave it empty for no due date.`}
            error={errors.response_days} />
        </div>
      </Section>

      <Section title="Who is asked">
        <div id="survey-roles">
          <Choices legend="Groups" options={roleOptions} selected={draft.roles}
            hint={draft.kind === "career_update" ? "Career updates are asked of mentees and alumni only." : "Active members of each group chosen."}
            onChange={(v) => set("roles")(v as AudienceRole[])} error={errors.roles} />
        </div>
        <Choices legend="Institutions" multiple={false} selected={[draft.institutions]}
          options={[{ value: "all", label: "Every institution in the program" }, { value: "some", label: "Only the institutions I choose" }]}
          onChange={(v) => set("institutions")((v[0] ?? "all") as "all" | "some")} />
        {draft.institutions === "some" ? (
          <div id="survey-institution_ids">
            <Choices legend="Which institutions" options={institutions} selected={draft.institution_ids}
              onChange={set("institution_ids")} error={errors.institution_ids} />
          </div>
        ) : null}
      </Section>

      <Section title={`Questions (${draft.questions.length})`}>
        <div id="survey-questions">
          {errors.questions ? <p className="field-error">{errors.questions}</p> : null}
        </div>
        {draft.questions.map((q, i) => (
          <QuestionEditor key={q.key} question={q} index={i} count={draft.questions.length}
            errors={errors.byQuestion[q.key] ?? {}} onChange={(patch) => setQuestion(q.key, patch)}
            onMove={(by) => move(i, by)}
            onRemove={() => setDraft((d) => ({ ...d, questions: d.questions.filter((x) => x.key !== q.key) }))} />
        ))}
        {draft.questions.length < LIMITS.questions ? (
          <button type="button" className="button secondary" onClick={() => {
            const next = newQuestion(draft.questions);
            setDraft((d) => ({ ...d, questions: [...d.questions, next] }));
            setTimeout(() => focusField(`question-${next.key}-label`), 0);
          }}>Add a question</button>
        ) : null}
      </Section>

      <div className="actions">
        <SubmitButton busy={create.isPending} busyLabel="Saving…">Save the draft</SubmitButton>
        <Link to="/surveys/manage">Cancel</Link>
      </div>
    </form>
  );
}

function QuestionEditor({ question: q, index, count, errors, onChange, onMove, onRemove }: {
  question: QuestionDraft;
  index: number;
  count: number;
  errors: QuestionErrors;
  onChange: (patch: Partial<QuestionDraft>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  const box = (field: string) => `question-${q.key}-${field}`;
  const choice = q.type === "single_choice" || q.type === "multiple_choice";
  return (
    <fieldset className="question-editor">
      <legend>Question {n}</legend>
      <div id={box("label")}>
        <TextArea label="Question" required rows={2} value={q.label} onChange={(label) => onChange({ label })} error={errors.label} />
      </div>
      <div className="two-fields">
        <Select label="Type of answer" value={q.type} onChange={(type) => onChange({ type: type as QuestionType })}
          options={QUESTION_TYPES.map((t) => ({ value: t, label: TYPE_LABELS[t] }))} />
        <div id={box("id")}>
          <TextField label="Question id (for exports)" value={q.id} onChange={(id) => onChange({ id: id.trim() })} error={errors.id} />
        </div>
      </div>
      <Checkbox label="An answer is required" checked={q.required} onChange={(required) => onChange({ required })} />
      {choice ? (
        <div id={box("options")}>
          <TextArea label="Options" required rows={4} value={q.options} onChange={(options) => onChange({ options })}
            hint={`One option per line, ${LIMITS.optionsMin} to ${LIMITS.optionsMax}.`} error={errors.options} />
        </div>
      ) : null}
      {q.type === "multiple_choice" ? (
        <div className="two-fields even">
          <div id={box("min_selections")}>
            <TextField label="Fewest choices" inputMode="numeric" value={q.min_selections} onChange={(v) => onChange({ min_selections: v })}
              hint={q.required ? "Empty: 1." : "Empty: 0."} error={errors.min_selections} />
          </div>
          <div id={box("max_selections")}>
            <TextField label="Most choices" inputMode="numeric" value={q.max_selections} onChange={(v) => onChange({ max_selections: v })}
              hint="Empty: all the options." error={errors.max_selections} />
          </div>
        </div>
      ) : null}
      {q.type === "text" ? (
        <div id={box("max_length")}>
          <TextField label="Longest answer, in characters" inputMode="numeric" value={q.max_length}
            onChange={(v) => onChange({ max_length: v })} hint={`Empty: ${LIMITS.textDefault}; at most ${LIMITS.textMax}.`} error={errors.max_length} />
        </div>
      ) : null}
      {q.type === "number" ? (
        <>
          <div className="two-fields even">
            <div id={box("min")}>
              <TextField label="Lowest" value={q.min} onChange={(v) => onChange({ min: v })}
                hint="Empty: no limit." error={errors.min} />
            </div>
            <div id={box("max")}>
              <TextField label="Highest" value={q.max} onChange={(v) => onChange({ max: v })}
                hint="Empty: no limit." error={errors.max} />
            </div>
          </div>
          <Checkbox label="Whole numbers only" checked={q.integer} onChange={(integer) => onChange({ integer })} />
        </>
      ) : null}
      {q.type === "date" ? (
        <div className="two-fields even">
          <div id={box("min")}>
            <TextField label="Earliest" type="date" value={q.min} onChange={(v) => onChange({ min: v })}
              hint="Empty: no limit." error={errors.min} />
          </div>
          <div id={box("max")}>
            <TextField label="Latest" type="date" value={q.max} onChange={(v) => onChange({ max: v })}
              hint="Empty: no limit." error={errors.max} />
          </div>
        </div>
      ) : null}
      <div className="actions">
        {index > 0 ? (
          <button type="button" className="button secondary small" onClick={() => onMove(-1)}>Move question {n} up</button>
        ) : null}
        {index < count - 1 ? (
          <button type="button" className="button secondary small" onClick={() => onMove(1)}>Move question {n} down</button>
        ) : null}
        {count > 1 ? (
          <button type="button" className="button secondary small" onClick={onRemove}>Remove question {n}</button>
        ) : null}
      </div>
    </fieldset>
  );
}
