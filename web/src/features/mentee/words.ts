// How a mentor's directory facts and a request's state read to a mentee (pure, unit-tested).
import type { components as D, paths } from "../../api/schema/directory";
import { deadline, formatDate, percent } from "../../ui/format";

type Availability = D["schemas"]["AvailabilityOut"];
type Responsiveness = D["schemas"]["ResponsivenessOut"];
type TimeWindow = D["schemas"]["TimeWindowOut"];
type Tone = "good" | "warn" | "bad" | "neutral" | "info";

export type SearchQuery = NonNullable<paths["/api/v1/directory/mentors"]["get"]["parameters"]["query"]>;

export function rankName(rank: string | null | undefined): string {
  switch (rank) {
    case "instructor": return "Instructor";
    case "assistant_professor": return "Assistant professor";
    case "associate_professor": return "Associate professor";
    case "professor": return "Professor";
    case "clinical_faculty": return "Clinical faculty";
    case "resident": return "Resident";
    case "fellow": return "Fellow";
    case "emeritus": return "Emeritus";
    case "other": return "";
    default: return rank ?? "";
  }
}

export function meetingModeName(mode: string): string {
  switch (mode) {
    case "video": return "Video";
    case "phone": return "Phone";
    case "in_person": return "In person";
    default: return mode;
  }
}

export function backgroundName(value: string): string {
  switch (value) {
    case "urim": return "Underrepresented in medicine (URiM)";
    case "first_generation": return "First-generation college graduate";
    case "low_ses": return "Raised in a low-income environment";
    default: return value;
  }
}

export function scopeName(scope: string | null | undefined): string {
  switch (scope) {
    case "local": return "Local only: mentors learners of their own institution";
    case "national": return "National: mentors learners of any institution";
    default: return "—";
  }
}

const DAYS: Record<string, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

export function windowName(w: TimeWindow): string {
  return `${DAYS[w.day ?? ""] ?? w.day} ${w.start}–${w.end}`;
}

/** Open slots (R11: 3 minus active mentees; 0 when not accepting). */
export function slotsWords(a: Availability | undefined): { label: string; tone: Tone } {
  if (!a) return { label: "Availability unknown", tone: "neutral" };
  if (a.accepting_new_mentees === false) return { label: "Not accepting new mentees", tone: "bad" };
  const open = a.open_slots ?? 0;
  if (open <= 0) return { label: "No open slot (3 active mentees)", tone: "bad" };
  return { label: `${open} of 3 slots open`, tone: open >= 2 ? "good" : "warn" };
}

/** "4 hours a month · Video, phone · Tue 18:00–20:00, Thu 07:00–08:00 (America/New_York)" */
export function availabilityWords(a: Availability | undefined): string {
  if (!a) return "Not given";
  const parts: string[] = [];
  if (a.hours_per_month) parts.push(`${a.hours_per_month} ${a.hours_per_month === 1 ? "hour" : "hours"} a month`);
  if (a.meeting_modes?.length) {
    const modes = a.meeting_modes.map(meetingModeName);
    parts.push(modes.map((m, i) => (i === 0 ? m : m.toLowerCase())).join(", "));
  }
  if (a.time_windows?.length) {
    parts.push(`${a.time_windows.map(windowName).join(", ")}${a.timezone ? ` (${a.timezone})` : ""}`);
  }
  return parts.length ? parts.join(" · ") : "Not given";
}

/** The measured responsiveness (R10) in words; a mentor with no decided requests yet is said to be new. */
export function responsivenessWords(r: Responsiveness | undefined): string {
  if (!r || !r.requests_considered || r.response_rate === null || r.response_rate === undefined) {
    return "New here: no answered requests to measure yet";
  }
  const n = r.requests_considered;
  const rate = `Answered ${percent(r.response_rate)} of ${n === 1 ? "1 request" : `their last ${n} requests`}`;
  const h = r.median_response_hours;
  if (h === null || h === undefined) return rate;
  return `${rate}, usually within ${durationWords(h)}`;
}

export function durationWords(hours: number): string {
  if (hours < 1) return "an hour";
  if (hours < 36) {
    const n = Math.round(hours);
    return `${n} ${n === 1 ? "hour" : "hours"}`;
  }
  const days = Math.round(hours / 24);
  return `${days} ${days === 1 ? "day" : "days"}`;
}

/** A request's status in words, as the mentee reads it. */
export function requestStatusWords(r: { status?: string; respond_by?: string; closed_at?: string | null; declined_automatically?: boolean },
  now: number = Date.now()): { label: string; tone: Tone; detail: string } {
  switch (r.status) {
    case "open":
      return { label: "Waiting for the mentor's answer", tone: "info",
        detail: r.respond_by ? `The mentor answers by ${deadline(r.respond_by, now)}.` : "" };
    case "accepted":
      return { label: "Accepted", tone: "good", detail: `Accepted ${formatDate(r.closed_at)}: you now have a mentorship.` };
    case "declined":
      return { label: r.declined_automatically ? "Declined automatically" : "Declined", tone: "bad",
        detail: r.declined_automatically
          ? `Closed by the program ${formatDate(r.closed_at)} (for example, the mentor left the program or reached 3 mentees).`
          : `Declined ${formatDate(r.closed_at)}.` };
    case "withdrawn":
      return { label: "Withdrawn", tone: "neutral", detail: `You withdrew it ${formatDate(r.closed_at)}.` };
    case "expired":
      return { label: "Expired: no answer in time", tone: "warn",
        detail: `The mentor did not answer by the deadline${r.respond_by ? ` (${formatDate(r.respond_by)})` : ""}. You may ask someone else, or ask again.` };
    default:
      return { label: r.status ?? "—", tone: "neutral", detail: "" };
  }
}

export function mentorshipStatusWords(status: string | undefined): { label: string; tone: Tone } {
  switch (status) {
    case "active": return { label: "Active", tone: "good" };
    case "concluded": return { label: "Concluded", tone: "neutral" };
    default: return { label: status ?? "—", tone: "neutral" };
  }
}
