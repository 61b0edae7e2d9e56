// One survey question as a form field, by its type: radios or checkboxes in a fieldset whose legend is
// the question, a text area, a number or a date — each with its hint and error tied to it
// (aria-describedby) and ids the error summary links to.
import type { ReactNode } from "react";
import { LIMITS, selectionHint, type AnswerValue, type Question } from "./validation";

function baseId(q: Question): string {
  return `answer-${q.id ?? "unknown"}`;
}

/** The element the error summary moves the focus to: a group's first choice, or the input. */
export function fieldTarget(q: Question): string {
  return q.type === "single_choice" || q.type === "multiple_choice" ? `${baseId(q)}-0` : baseId(q);
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  return [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
}

/** The hint under a question: its limits in words. */
export function questionHint(q: Question): string | undefined {
  switch (q.type) {
    case "multiple_choice":
      return selectionHint(q);
    case "text":
      return `Up to ${q.max_length ?? LIMITS.textDefault} characters.`;
    case "number": {
      const kind = q.integer ? "A whole number" : "A number";
      const low = typeof q.min === "number" ? q.min : undefined;
      const high = typeof q.max === "number" ? q.max : undefined;
      if (low !== undefined && high !== undefined) return `${kind} from ${low} to ${high}.`;
      if (low !== undefined) return `${kind}, ${low} or more.`;
      if (high !== undefined) return `${kind}, ${high} or less.`;
      return `${kind}.`;
    }
    case "date": {
      const low = typeof q.min === "string" ? q.min : undefined;
      const high = typeof q.max === "string" ? q.max : undefined;
      if (low && high) return `A date from ${low} to ${high}.`;
      if (low) return `A date on or after ${low}.`;
      if (high) return `A date on or before ${high}.`;
      return undefined;
    }
    default:
      return undefined;
  }
}

export function QuestionField({ question: q, number, value, error, onChange }: {
  question: Question;
  number: number;
  value: AnswerValue | undefined;
  error?: string;
  onChange: (value: AnswerValue) => void;
}) {
  const id = baseId(q);
  const hint = questionHint(q);
  const title: ReactNode = (
    <>
      <span className="question-number">{number}. </span>{q.label}
      {q.required ? <span className="required"> (required)</span> : null}
    </>
  );
  const hintEl = hint ? <p className="hint" id={`${id}-hint`}>{hint}</p> : null;
  const errorEl = error ? <p className="field-error" id={`${id}-error`}>{error}</p> : null;

  if (q.type === "single_choice" || q.type === "multiple_choice") {
    const multiple = q.type === "multiple_choice";
    const selected = Array.isArray(value) ? value : value ? [value] : [];
    return (
      <fieldset className={`choices question${error ? " field-invalid" : ""}`} aria-describedby={describedBy(id, hint, error)}>
        <legend>{title}</legend>
        {hintEl}
        {errorEl}
        {(q.options ?? []).map((option, i) => {
          const on = selected.includes(option);
          return (
            <div className="choice" key={option}>
              <input id={`${id}-${i}`} name={id} type={multiple ? "checkbox" : "radio"} checked={on}
                aria-invalid={error ? true : undefined}
                onChange={() => onChange(multiple ? (on ? selected.filter((v) => v !== option) : [...selected, option]) : option)} />
              <label htmlFor={`${id}-${i}`}>{option}</label>
            </div>
          );
        })}
      </fieldset>
    );
  }

  const text = typeof value === "string" ? value : "";
  return (
    <div className={`field question${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{title}</label>
      {hintEl}
      {errorEl}
      {q.type === "text" ? (
        <textarea id={id} value={text} rows={4} aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.value)} />
      ) : q.type === "number" ? (
        <input id={id} type="text" inputMode={q.integer ? "numeric" : "decimal"} value={text} autoComplete="off"
          aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)}
          onChange={(e) => onChange(e.target.value)} />
      ) : q.type === "date" ? (
        <input id={id} type="date" value={text} min={typeof q.min === "string" ? q.min : undefined}
          max={typeof q.max === "string" ? q.max : undefined} aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input id={id} type="text" value={text} aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.value)} />
      )}
    </div>
  );
}
