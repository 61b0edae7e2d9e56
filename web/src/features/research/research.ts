// Research data requests (R16) in words, and the request form's validation (the evaluation service's
// rules, checked here first so that a person sees every mistake at once). Unit-tested in research.test.ts.
import type { components } from "../../api/schema/evaluation";
import { todayIso } from "../reports/period";

export type DataRequest = components["schemas"]["DataRequestOut"];
export type DataRequestIn = components["schemas"]["DataRequestIn"];
export type Dataset = components["schemas"]["DatasetOut"];
export type AuditEntry = components["schemas"]["AuditEntryOut"];
type IrbStatus = DataRequestIn["irb_status"];
type DatasetName = DataRequestIn["datasets"][number];
type Tone = "neutral" | "good" | "warn" | "bad" | "info";

export const IRB_STATUSES: { value: IrbStatus; label: string }[] = [
  { value: "approved", label: "Approved by an IRB" },
  { value: "exempt", label: "Exempt (determined by an IRB)" },
  { value: "pending", label: "Submitted to an IRB, decision pending" },
  { value: "not_human_subjects", label: "Not human-subjects research" },
];
const IRB_NUMBER_REQUIRED: string[] = ["approved", "exempt"];
const DATASET_NAMES: DatasetName[] = ["mentorships", "evaluations", "requests", "participation_summary"];

export const LIMITS = { title: 200, purpose: 5000, irbNumber: 100, reason: 2000 };

export function irbWords(status: string | undefined): string {
  return IRB_STATUSES.find((s) => s.value === status)?.label ?? status ?? "—";
}

export function irbNumberRequired(status: string): boolean {
  return IRB_NUMBER_REQUIRED.includes(status);
}

export function datasetTitle(name: string | undefined): string {
  switch (name) {
    case "mentorships": return "Mentorships";
    case "evaluations": return "Evaluations";
    case "requests": return "Mentorship requests";
    case "participation_summary": return "Participation summary";
    default: return (name ?? "—").replace(/_/g, " ");
  }
}

export function requestStatusWords(status: string | undefined): { label: string; tone: Tone } {
  switch (status) {
    case "submitted": return { label: "Waiting for a decision", tone: "info" };
    case "approved": return { label: "Approved", tone: "good" };
    case "denied": return { label: "Denied", tone: "bad" };
    default: return { label: status ?? "—", tone: "neutral" };
  }
}

export function auditActionWords(action: string | undefined): string {
  switch (action) {
    case "request_submitted": return "Request submitted";
    case "request_decided": return "Request decided";
    case "export_created": return "Export created";
    case "download_link_created": return "Download link created";
    case "export_downloaded": return "Export downloaded";
    case "download_refused": return "Download refused";
    default: return action ?? "—";
  }
}

export interface RequestForm {
  title: string;
  purpose: string;
  irb_status: string;
  irb_number: string;
  datasets: string[];
  period_start: string;
  period_end: string;
}

export type RequestErrors = Partial<Record<keyof RequestForm, string>>;

export const EMPTY_REQUEST: RequestForm = {
  title: "", purpose: "", irb_status: "", irb_number: "", datasets: [], period_start: "", period_end: "",
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function validateRequest(form: RequestForm, today: string = todayIso()): RequestErrors {
  const errors: RequestErrors = {};
  if (!form.title.trim()) errors.title = "Give the study a title.";
  else if (form.title.length > LIMITS.title) errors.title = `At most ${LIMITS.title} characters.`;
  if (!form.purpose.trim()) errors.purpose = "Say what the data is for: the research question and how the data will be used.";
  else if (form.purpose.length > LIMITS.purpose) errors.purpose = `At most ${LIMITS.purpose} characters.`;
  if (!IRB_STATUSES.some((s) => s.value === form.irb_status)) errors.irb_status = "Choose the study's IRB status.";
  else if (irbNumberRequired(form.irb_status) && !form.irb_number.trim()) {
    errors.irb_number = "Enter the IRB protocol number: it is required when the study is approved or exempt.";
  }
  if (form.irb_number.length > LIMITS.irbNumber) errors.irb_number = `At most ${LIMITS.irbNumber} characters.`;
  if (form.datasets.length === 0) errors.datasets = "Choose at least one dataset.";
  if (!form.period_start) errors.period_start = "Enter the first day of the period.";
  else if (!DATE.test(form.period_start)) errors.period_start = "Enter a date as year-month-day.";
  if (!form.period_end) errors.period_end = "Enter the last day of the period.";
  else if (!DATE.test(form.period_end)) errors.period_end = "Enter a date as year-month-day.";
  else if (form.period_end > today) errors.period_end = "The last day cannot be in the future.";
  else if (form.period_start && DATE.test(form.period_start) && form.period_end <= form.period_start) {
    errors.period_end = "The last day must be after the first day.";
  }
  return errors;
}

export function requestBodyOf(form: RequestForm): DataRequestIn {
  const irb = IRB_STATUSES.find((s) => s.value === form.irb_status)?.value ?? "pending";
  return {
    title: form.title.trim(),
    purpose: form.purpose.trim(),
    irb_status: irb,
    irb_number: form.irb_number.trim() || null,
    datasets: DATASET_NAMES.filter((d) => form.datasets.includes(d)),
    period_start: form.period_start,
    period_end: form.period_end,
  };
}

/** A decision needs a reason of a few words; the requester reads it. */
export function validateReason(reason: string): string | undefined {
  if (!reason.trim()) return "Give a reason: the requester reads it with the decision.";
  if (reason.length > LIMITS.reason) return `At most ${LIMITS.reason} characters.`;
  return undefined;
}

/** 12345 → "12 KB". */
export function sizeWords(bytes: number | undefined): string {
  if (bytes === undefined) return "—";
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
