// Survey rules on the client, mirroring services/evaluation/surveys/rules.py so that a person hears of a
// mistake before sending: the answers of a respondent (judge_answers) and a survey's definition as an
// operator writes it (SurveyCreate, QuestionIn and question_errors). The service judges again; its 422
// answers are mapped onto the same fields (answerErrorsOf, definitionErrorsOf).
import { ProblemError, fieldOfPointer } from "../../api/problem";
import type { components } from "../../api/schema/evaluation";

type QuestionIn = components["schemas"]["QuestionIn"];
type SurveyCreate = components["schemas"]["SurveyCreate"];

export const LIMITS = {
  title: 200,
  description: 5000,
  responseDaysMin: 1,
  responseDaysMax: 365,
  questions: 50,
  label: 500,
  optionsMin: 2,
  optionsMax: 50,
  option: 200,
  textMax: 5000,
  textDefault: 2000,
} as const;

export const QUESTION_TYPES = ["single_choice", "multiple_choice", "text", "number", "date"] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export const ROLES = ["mentee", "mentor", "alumni"] as const;
export type AudienceRole = (typeof ROLES)[number];
export const CAREER_ROLES: AudienceRole[] = ["mentee", "alumni"];
export type Kind = "career_update" | "program_feedback";

/** A question as the service sends it (QuestionOut, stored normalized: defaults written out). */
export interface Question {
  id?: string;
  type?: string;
  label?: string;
  required?: boolean;
  options?: string[];
  min_selections?: number;
  max_selections?: number;
  max_length?: number;
  min?: unknown;
  max?: unknown;
  integer?: boolean;
}

/** What a respondent has typed or chosen, per question: a list for multiple choice, text otherwise. */
export type AnswerValue = string | string[];
export type AnswerValues = Record<string, AnswerValue>;
export type AnswerErrors = Record<string, string>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date written YYYY-MM-DD that exists (2026-02-30 does not). */
export function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** A number as a person types it ("3", "-2.5", " 4 "), or undefined. */
export function parseNumber(value: string): number | undefined {
  const text = value.trim();
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function blank(value: AnswerValue | undefined): boolean {
  return value === undefined || (Array.isArray(value) ? value.length === 0 : value.trim() === "");
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The words for a multiple-choice question's limits: "Choose 1 to 3 options.", "Choose up to 2." */
export function selectionHint(q: Question): string | undefined {
  if (q.type !== "multiple_choice") return undefined;
  const count = q.options?.length ?? 0;
  const low = q.min_selections ?? 0;
  const high = q.max_selections ?? count;
  if (low === high) return `Choose ${plural(low, "option")}.`;
  if (low <= 0) return high >= count ? "Choose any that apply." : `Choose up to ${plural(high, "option")}.`;
  return high >= count ? `Choose at least ${plural(low, "option")}.` : `Choose ${low} to ${high} options.`;
}

/** The error of one answer, or undefined when it is acceptable (blank optional answers are). */
export function answerError(q: Question, value: AnswerValue | undefined): string | undefined {
  if (blank(value)) return q.required ? "An answer is required." : undefined;
  const options = q.options ?? [];
  switch (q.type) {
    case "single_choice":
      return typeof value === "string" && options.includes(value) ? undefined : "Choose one of the options.";
    case "multiple_choice": {
      const chosen = Array.isArray(value) ? value : [value as string];
      if (chosen.some((v) => !options.includes(v))) return "Choose only among the options.";
      if (new Set(chosen).size !== chosen.length) return "Choose each option at most once.";
      const low = q.min_selections ?? 0;
      const high = q.max_selections ?? options.length;
      if (chosen.length < low) return low === high ? `Choose exactly ${plural(low, "option")}.` : `Choose at least ${plural(low, "option")}.`;
      if (chosen.length > high) return low === high ? `Choose exactly ${plural(high, "option")}.` : `Choose at most ${plural(high, "option")}.`;
      return undefined;
    }
    case "text": {
      const text = String(value).trim();
      const max = q.max_length ?? LIMITS.textDefault;
      return text.length > max ? `At most ${max} characters (now ${text.length}).` : undefined;
    }
    case "number": {
      const n = parseNumber(String(value));
      if (n === undefined) return "Enter a number, e.g. 12.";
      if (q.integer && !Number.isInteger(n)) return "Enter a whole number.";
      if (typeof q.min === "number" && n < q.min) return `Enter ${q.min} or more.`;
      if (typeof q.max === "number" && n > q.max) return `Enter ${q.max} or less.`;
      return undefined;
    }
    case "date": {
      const text = String(value).trim();
      if (!isDate(text)) return "Enter a date, e.g. 2026-05-31.";
      if (typeof q.min === "string" && text < q.min) return `Enter ${q.min} or later.`;
      if (typeof q.max === "string" && text > q.max) return `Enter ${q.max} or earlier.`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Every answer's error, by question id (empty when the answers may be sent). */
export function validateAnswers(questions: Question[], values: AnswerValues): AnswerErrors {
  const errors: AnswerErrors = {};
  for (const q of questions) {
    if (!q.id) continue;
    const message = answerError(q, values[q.id]);
    if (message) errors[q.id] = message;
  }
  return errors;
}

/** The body the service takes: blank answers left out, numbers as numbers, text trimmed. */
export function answersBody(questions: Question[], values: AnswerValues): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = {};
  for (const q of questions) {
    if (!q.id) continue;
    const value = values[q.id];
    if (blank(value)) continue;
    if (q.type === "multiple_choice") out[q.id] = (q.options ?? []).filter((o) => (value as string[]).includes(o));
    else if (q.type === "number") out[q.id] = parseNumber(String(value)) ?? String(value);
    else out[q.id] = String(value).trim();
  }
  return out;
}

/** The service's refusal of the answers, by question id (pointers #/answers/<id>); the rest in `other`. */
export function answerErrorsOf(error: unknown): { byQuestion: AnswerErrors; other: string[] } {
  const byQuestion: AnswerErrors = {};
  const other: string[] = [];
  if (!(error instanceof ProblemError)) return { byQuestion, other };
  for (const e of error.errors) {
    const field = fieldOfPointer(e.pointer);
    const match = field?.match(/^answers\/(.+)$/);
    if (match) {
      const id = match[1].replace(/~1/g, "/").replace(/~0/g, "~");
      byQuestion[id] = byQuestion[id] ? `${byQuestion[id]} ${e.detail}` : e.detail;
    } else other.push(e.detail);
  }
  return { byQuestion, other };
}

/** An answer as read back (the service's stored value) in words. */
export function answerText(value: unknown): string {
  if (value === null || value === undefined || value === "") return "Not answered";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "Not answered";
  return String(value);
}

// --- the question editor ---------------------------------------------------------------------------------

/** One question being written: every field as typed (numbers as text), options one per line. */
export interface QuestionDraft {
  key: string; // the editor's own, stable while questions move
  id: string;
  type: QuestionType;
  label: string;
  required: boolean;
  options: string; // one per line
  min_selections: string;
  max_selections: string;
  max_length: string;
  min: string;
  max: string;
  integer: boolean;
}

export interface SurveyDraft {
  kind: Kind;
  title: string;
  description: string;
  response_days: string;
  roles: AudienceRole[];
  institutions: "all" | "some";
  institution_ids: string[];
  questions: QuestionDraft[];
}

export type QuestionErrors = Partial<Record<"id" | "label" | "options" | "min_selections" | "max_selections" | "max_length" | "min" | "max", string>>;

export interface SurveyErrors {
  kind?: string;
  title?: string;
  description?: string;
  response_days?: string;
  roles?: string;
  institution_ids?: string;
  questions?: string;
  byQuestion: Record<string, QuestionErrors>; // by the draft's key
}

export function newQuestion(existing: QuestionDraft[], type: QuestionType = "single_choice"): QuestionDraft {
  const taken = new Set(existing.map((q) => q.id));
  let n = existing.length + 1;
  while (taken.has(`q${n}`)) n += 1;
  return {
    key: `k${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, id: `q${n}`, type, label: "",
    required: false, options: "", min_selections: "", max_selections: "", max_length: "", min: "", max: "", integer: false,
  };
}

export function optionList(text: string): string[] {
  return text.split("\n").map((o) => o.trim()).filter(Boolean);
}

function wholeIn(text: string, low: number, high: number): number | undefined {
  const n = parseNumber(text);
  return n !== undefined && Number.isInteger(n) && n >= low && n <= high ? n : undefined;
}

/** A question's problems, as question_errors and QuestionIn would find them. */
export function questionErrors(q: QuestionDraft): QuestionErrors {
  const errors: QuestionErrors = {};
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(q.id)) errors.id = "Lower-case letters, digits and _, a letter first; at most 40.";
  const label = q.label.trim();
  if (!label) errors.label = "Write the question.";
  else if (label.length > LIMITS.label) errors.label = `At most ${LIMITS.label} characters (now ${label.length}).`;
  if (q.type === "single_choice" || q.type === "multiple_choice") {
    const options = optionList(q.options);
    if (options.length < LIMITS.optionsMin || options.length > LIMITS.optionsMax) {
      errors.options = `Give between ${LIMITS.optionsMin} and ${LIMITS.optionsMax} options, one per line.`;
    } else if (options.some((o) => o.length > LIMITS.option)) {
      errors.options = `Each option at most ${LIMITS.option} characters.`;
    } else if (new Set(options.map((o) => o.toLowerCase())).size !== options.length) {
      errors.options = "Options must differ.";
    }
    if (q.type === "multiple_choice") {
      const low = q.min_selections.trim() ? wholeIn(q.min_selections, 0, LIMITS.optionsMax) : 0;
      const high = q.max_selections.trim() ? wholeIn(q.max_selections, 1, LIMITS.optionsMax) : options.length;
      if (low === undefined) errors.min_selections = `A whole number from 0 to ${LIMITS.optionsMax}.`;
      if (high === undefined) errors.max_selections = `A whole number from 1 to ${LIMITS.optionsMax}.`;
      else if (options.length && high > options.length) errors.max_selections = `At most the number of options (${options.length}).`;
      if (low !== undefined && high !== undefined && low > high && !errors.min_selections) {
        errors.min_selections = "Must not be more than the most choices.";
      }
    }
  } else if (q.type === "text") {
    if (q.max_length.trim() && wholeIn(q.max_length, 1, LIMITS.textMax) === undefined) {
      errors.max_length = `A whole number from 1 to ${LIMITS.textMax}.`;
    }
  } else if (q.type === "number") {
    const bounds: Partial<Record<"min" | "max", number>> = {};
    for (const k of ["min", "max"] as const) {
      if (!q[k].trim()) continue;
      const n = parseNumber(q[k]);
      if (n === undefined) errors[k] = "Must be a number.";
      else if (q.integer && !Number.isInteger(n)) errors[k] = "Must be a whole number for a whole-number question.";
      else bounds[k] = n;
    }
    if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) errors.min = "Must not be more than the highest.";
  } else if (q.type === "date") {
    for (const k of ["min", "max"] as const) {
      if (q[k].trim() && !isDate(q[k].trim())) errors[k] = "Must be a date written YYYY-MM-DD.";
    }
    if (!errors.min && !errors.max && q.min.trim() && q.max.trim() && q.min.trim() > q.max.trim()) errors.min = "Must not be after the latest.";
  }
  return errors;
}

/** The whole survey's problems, as SurveyCreate would find them. */
export function validateSurvey(draft: SurveyDraft): SurveyErrors {
  const errors: SurveyErrors = { byQuestion: {} };
  const title = draft.title.trim();
  if (!title) errors.title = "Give the survey a title.";
  else if (title.length > LIMITS.title) errors.title = `At most ${LIMITS.title} characters.`;
  if (draft.description.trim().length > LIMITS.description) errors.description = `At most ${LIMITS.description} characters.`;
  if (draft.response_days.trim() && wholeIn(draft.response_days, LIMITS.responseDaysMin, LIMITS.responseDaysMax) === undefined) {
    errors.response_days = `A whole number of days from ${LIMITS.responseDaysMin} to ${LIMITS.responseDaysMax}, or leave it empty.`;
  }
  if (draft.roles.length === 0) errors.roles = "Choose at least one group to ask.";
  else if (draft.kind === "career_update" && draft.roles.some((r) => !CAREER_ROLES.includes(r))) {
    errors.roles = "Career updates are asked of mentees and alumni only.";
  }
  if (draft.institutions === "some" && draft.institution_ids.length === 0) errors.institution_ids = "Choose at least one institution, or all.";
  if (draft.questions.length === 0) errors.questions = "Add at least one question.";
  else if (draft.questions.length > LIMITS.questions) errors.questions = `At most ${LIMITS.questions} questions.`;
  const seen = new Set<string>();
  for (const q of draft.questions) {
    const found = questionErrors(q);
    if (!found.id && seen.has(q.id)) found.id = `Another question has the id ${q.id}.`;
    seen.add(q.id);
    if (Object.keys(found).length) errors.byQuestion[q.key] = found;
  }
  return errors;
}

export function surveyHasErrors(errors: SurveyErrors): boolean {
  return Object.entries(errors).some(([k, v]) => (k === "byQuestion" ? Object.keys(v as object).length > 0 : Boolean(v)));
}

/** The QuestionIn the service takes: only the fields the question's type uses. */
export function questionBody(q: QuestionDraft): QuestionIn {
  const out: QuestionIn = { id: q.id, type: q.type, label: q.label.trim(), required: q.required };
  if (q.type === "single_choice" || q.type === "multiple_choice") out.options = optionList(q.options);
  if (q.type === "multiple_choice") {
    if (q.min_selections.trim()) out.min_selections = Number(q.min_selections);
    if (q.max_selections.trim()) out.max_selections = Number(q.max_selections);
  }
  if (q.type === "text" && q.max_length.trim()) out.max_length = Number(q.max_length);
  if (q.type === "number") {
    out.integer = q.integer;
    if (q.min.trim()) out.min = parseNumber(q.min);
    if (q.max.trim()) out.max = parseNumber(q.max);
  }
  if (q.type === "date") {
    if (q.min.trim()) out.min = q.min.trim();
    if (q.max.trim()) out.max = q.max.trim();
  }
  return out;
}

export function surveyBody(draft: SurveyDraft): SurveyCreate {
  const days = draft.response_days.trim();
  return {
    kind: draft.kind,
    title: draft.title.trim(),
    description: draft.description.trim() || null,
    response_days: days ? Number(days) : null,
    audience: {
      roles: ROLES.filter((r) => draft.roles.includes(r)),
      institution_ids: draft.institutions === "some" ? draft.institution_ids : null,
    },
    questions: draft.questions.map(questionBody),
  };
}

/** The service's refusal of a survey definition mapped onto the editor's fields (#/questions/2/options
 * → the third question's options); what fits no field is in `other`. */
export function surveyErrorsOf(error: unknown, draft: SurveyDraft): SurveyErrors & { other: string[] } {
  const out: SurveyErrors & { other: string[] } = { byQuestion: {}, other: [] };
  if (!(error instanceof ProblemError)) return out;
  for (const e of error.errors) {
    const parts = (fieldOfPointer(e.pointer) ?? e.parameter ?? "").split("/");
    if (parts[0] === "questions" && parts.length >= 3 && /^\d+$/.test(parts[1])) {
      const q = draft.questions[Number(parts[1])];
      const field = parts[2] as keyof QuestionErrors;
      if (q && ["id", "label", "options", "min_selections", "max_selections", "max_length", "min", "max"].includes(field)) {
        out.byQuestion[q.key] = { ...out.byQuestion[q.key], [field]: e.detail };
        continue;
      }
    }
    if (parts[0] === "audience") {
      if (parts[1] === "institution_ids") out.institution_ids = e.detail;
      else out.roles = e.detail;
      continue;
    }
    if (["title", "description", "response_days", "kind", "questions"].includes(parts[0]) && parts.length === 1) {
      out[parts[0] as "title"] = e.detail;
      continue;
    }
    out.other.push(e.detail);
  }
  return out;
}

/** A count an institution admin may or may not see (null: fewer than the minimum, withheld). */
export function countWords(count: number | null | undefined, minimum = 3): string {
  if (count === null || count === undefined) return `fewer than ${minimum} — withheld`;
  return String(count);
}
