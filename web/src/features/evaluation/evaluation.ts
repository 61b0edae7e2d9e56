// Mentee evaluations and mentor feedback in words (R13): the states, the form's questions and their
// validation, averages as "4.3 of 5", and why a summary is withheld. Pure functions, unit-tested in
// evaluation.test.ts.
import type { components } from "../../api/schema/evaluation";
import { ProblemError } from "../../api/problem";

export type Evaluation = components["schemas"]["EvaluationOut"];
export type EvaluationListItem = components["schemas"]["EvaluationListOut"];
export type Feedback = components["schemas"]["FeedbackOut"];
export type Submission = components["schemas"]["SubmissionIn"];
type Tone = "neutral" | "good" | "warn" | "bad" | "info";

/** Submitted evaluations a mentor needs before any average or comment is shown (privacy.EVALUATION_MINIMUM). */
export const EVALUATION_MINIMUM = 3;
export const TEXT_MAX = 4000;

export const RATINGS = ["availability", "responsiveness", "guidance", "overall"] as const;
export type Rating = (typeof RATINGS)[number];

/** The mentor an evaluation names ({user_id, name}; the schema leaves it untyped). */
export function mentorOf(e: { mentor?: unknown }): { id: string | undefined; name: string } {
  const m = (e.mentor && typeof e.mentor === "object" ? e.mentor : {}) as { user_id?: unknown; name?: unknown };
  return {
    id: typeof m.user_id === "string" ? m.user_id : undefined,
    name: typeof m.name === "string" && m.name.trim() ? m.name : "Your mentor",
  };
}

export function kindWords(kind: string | undefined): string {
  if (kind === "final") return "Final evaluation (the mentorship has ended)";
  if (kind === "periodic") return "Periodic evaluation (every 6 months)";
  return kind ?? "Evaluation";
}

export function statusWords(e: Pick<Evaluation, "status" | "open">): { label: string; tone: Tone } {
  switch (e.status) {
    case "due": return e.open === false ? { label: "Closed", tone: "neutral" } : { label: "Due", tone: "info" };
    case "overdue": return e.open === false ? { label: "Closed", tone: "neutral" } : { label: "Overdue", tone: "warn" };
    case "submitted": return { label: "Submitted", tone: "good" };
    case "cancelled": return { label: "Cancelled", tone: "neutral" };
    case "scheduled": return { label: "Not due yet", tone: "neutral" };
    default: return { label: e.status ?? "—", tone: "neutral" };
  }
}

/** Whether the mentee can answer it now. */
export function isOpen(e: Pick<Evaluation, "status" | "open">): boolean {
  return (e.status === "due" || e.status === "overdue") && e.open !== false;
}

/** To answer (overdue first, then by due date), submitted (newest first), and the rest (closed, cancelled). */
export function groupEvaluations<T extends EvaluationListItem>(list: T[]): { open: T[]; submitted: T[]; other: T[] } {
  const time = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : 0);
  const open = list.filter(isOpen).sort((a, b) =>
    (a.status === "overdue" ? 0 : 1) - (b.status === "overdue" ? 0 : 1) || time(a.due_at) - time(b.due_at));
  const submitted = list.filter((e) => e.status === "submitted").sort((a, b) => time(b.submitted_at) - time(a.submitted_at));
  const other = list.filter((e) => !isOpen(e) && e.status !== "submitted");
  return { open, submitted, other };
}

// --- the form --------------------------------------------------------------------------------------

export interface Question {
  id: string;
  type: "rating" | "yes_no" | "text";
  label: string;
  required: boolean;
  min: number;
  max: number;
  maxLength: number;
}

/** Words for each end of a rating's scale: the form gives the question only. */
export const SCALE_ENDS: Record<string, [string, string]> = {
  availability: ["Hardly ever available", "Always available"],
  responsiveness: ["Slow or unreliable", "Quick and reliable"],
  guidance: ["Poor", "Excellent"],
  overall: ["Poor", "Excellent"],
};

export function scaleEnds(id: string): [string, string] {
  return SCALE_ENDS[id] ?? ["Poor", "Excellent"];
}

/** The questions of the form's definition, as far as they are well formed. */
export function questionsOf(definition: unknown): Question[] {
  const raw = definition && typeof definition === "object" ? (definition as { questions?: unknown }).questions : undefined;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((q): Question[] => {
    if (!q || typeof q !== "object") return [];
    const { id, type, label, required, min, max, max_length: maxLength } = q as Record<string, unknown>;
    if (typeof id !== "string" || (type !== "rating" && type !== "yes_no" && type !== "text")) return [];
    return [{
      id, type, label: typeof label === "string" ? label : id,
      required: required === true,
      min: typeof min === "number" ? min : 1,
      max: typeof max === "number" ? max : 5,
      maxLength: typeof maxLength === "number" ? maxLength : TEXT_MAX,
    }];
  });
}

export interface EvaluationForm {
  availability: number | null;
  responsiveness: number | null;
  guidance: number | null;
  overall: number | null;
  would_recommend: boolean | null;
  program_text: string;
  shared_text: string;
}

export type EvaluationErrors = Partial<Record<keyof EvaluationForm, string>>;

export const EMPTY_FORM: EvaluationForm = {
  availability: null, responsiveness: null, guidance: null, overall: null, would_recommend: null,
  program_text: "", shared_text: "",
};

const RATING_NAMES: Record<Rating, string> = {
  availability: "availability", responsiveness: "responsiveness", guidance: "the quality of guidance", overall: "your overall rating",
};

export function validateEvaluation(form: EvaluationForm, textMax: number = TEXT_MAX): EvaluationErrors {
  const errors: EvaluationErrors = {};
  for (const r of RATINGS) {
    const v = form[r];
    if (v === null) errors[r] = `Choose a rating from 1 to 5 for ${RATING_NAMES[r]}.`;
    else if (!Number.isInteger(v) || v < 1 || v > 5) errors[r] = "A rating is a whole number from 1 to 5.";
  }
  if (form.would_recommend === null) errors.would_recommend = "Answer yes or no.";
  for (const t of ["program_text", "shared_text"] as const) {
    if (form[t].length > textMax) errors[t] = `At most ${textMax} characters (you wrote ${form[t].length}).`;
  }
  return errors;
}

export function hasErrors(errors: object): boolean {
  return Object.values(errors).some(Boolean);
}

/** The body to POST, once the form is valid. */
export function submissionOf(form: EvaluationForm, version: number): Submission {
  return {
    form_version: version,
    availability: form.availability ?? 0,
    responsiveness: form.responsiveness ?? 0,
    guidance: form.guidance ?? 0,
    overall: form.overall ?? 0,
    would_recommend: form.would_recommend === true,
    program_text: form.program_text.trim() || null,
    shared_text: form.shared_text.trim() || null,
  };
}

/** A 409 of the submission in words: what happened and what the mentee can do. */
export function conflictWords(error: unknown): string | null {
  if (!(error instanceof ProblemError) || error.status !== 409) return null;
  switch (error.code) {
    case "already-submitted": return "This evaluation was already submitted (perhaps in another tab or window). Your first answers are kept; they cannot be changed.";
    case "evaluation-closed": return "This evaluation has closed: the time to answer it is over, so it can no longer be submitted.";
    case "evaluation-cancelled": return "This evaluation was cancelled because the mentorship ended before it fell due. There is nothing to answer.";
    case "not-yet-due": return "This evaluation is not due yet. You will get a notification when it opens.";
    default: return error.detail ?? "This evaluation cannot be submitted now.";
  }
}

// --- feedback ----------------------------------------------------------------------------------------

/** 4.333 → "4.3 of 5". */
export function ratingWords(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${(Math.round(value * 10) / 10).toFixed(1)} of 5`;
}

/** 0.8 → "80 % would recommend". */
export function recommendWords(share: number | null | undefined): string {
  if (share === null || share === undefined) return "—";
  return `${Math.round(share * 100)} % would recommend`;
}

export function evaluationsCount(n: number): string {
  return `${n} submitted evaluation${n === 1 ? "" : "s"}`;
}

/** Why a summary is withheld, in a sentence (no figure is shown with it). */
export function withheldSentence(count: number, minimum: number = EVALUATION_MINIMUM): string {
  const missing = Math.max(1, minimum - count);
  return `Your averages and comments are withheld until at least ${minimum} evaluations have been submitted ` +
    `(${count} so far, ${missing} more needed), so that no mentee's answers can be recognised.`;
}
