// Words for the codes the identity, directory and notifications APIs answer with (institution admins'
// and operators' screens). Pure functions, unit-tested in labels.test.ts.

export const MENTOR_CRITERIA = [
  { value: "urim_identity", label: "Shared background: underrepresented in medicine (self-identified)", group: "Shared background" },
  { value: "first_generation", label: "Shared background: first-generation college graduate", group: "Shared background" },
  { value: "low_ses_upbringing", label: "Shared background: raised in a low-income environment", group: "Shared background" },
  { value: "high_teaching_evaluations", label: "Track record: high teaching-evaluation ratings", group: "Track record with learners" },
  { value: "teaching_award", label: "Track record: a teaching award", group: "Track record with learners" },
  { value: "nominated_by_educational_leadership", label: "Nomination by educational leadership", group: "Nomination" },
  { value: "nominated_by_department_leadership", label: "Nomination by department leadership", group: "Nomination" },
  { value: "nominated_by_current_mentor", label: "Nomination by a current (active) mentor", group: "Nomination" },
] as const;

export type MentorCriterion = (typeof MENTOR_CRITERIA)[number]["value"];

export function criteriaOf(values: string[]): MentorCriterion[] {
  return MENTOR_CRITERIA.map((c) => c.value).filter((c) => values.includes(c));
}

export const ELIGIBILITY: Record<string, string> = {
  urim: "Underrepresented in medicine (URiM)",
  first_generation: "First-generation college graduate",
  economically_disadvantaged: "From an economically disadvantaged background",
};

export function eligibilityLabel(code: string): string {
  return ELIGIBILITY[code] ?? code;
}

export function invitationKind(kind: string | undefined): string {
  switch (kind) {
    case "mentor": return "Mentor";
    case "mentee": return "Mentee";
    case "institution_admin": return "Administrator";
    default: return kind ?? "—";
  }
}

export function invitationState(state: string | undefined): { label: string; tone: "neutral" | "good" | "warn" | "bad" | "info" } {
  switch (state) {
    case "pending": return { label: "Waiting for an answer", tone: "info" };
    case "accepted": return { label: "Accepted", tone: "good" };
    case "revoked": return { label: "Revoked", tone: "neutral" };
    case "expired": return { label: "Expired", tone: "warn" };
    default: return { label: state ?? "—", tone: "neutral" };
  }
}

export function userStatus(status: string | undefined): string {
  switch (status) {
    case "pending": return "Waiting for approval";
    case "active": return "Active";
    case "declined": return "Declined";
    case "ejected": return "Ejected";
    case "exited": return "Exited";
    case "deactivated": return "Deactivated";
    default: return status ?? "—";
  }
}

export function yesNo(value: boolean | null | undefined): string {
  return value ? "Yes" : "No";
}

export function scopeLabel(scope: string | null | undefined): string {
  if (scope === "local") return "Local (own institution's mentees)";
  if (scope === "national") return "National (all mentees)";
  return "Not chosen yet";
}

export function trackLabel(track: string | undefined): string {
  if (track === "mentor") return "Mentors";
  if (track === "mentee") return "Mentees";
  return track ?? "—";
}

export function kindLabel(kind: string | undefined): string {
  if (kind === "hbcu") return "HBCU";
  if (kind === "academic") return "Academic medical school";
  return kind ?? "—";
}

/** R1 in words: whether the minimum is met, so that no one has to read a colour. */
export function complianceWords(active: number, minimum: number): { met: boolean; sentence: string } {
  if (minimum <= 0) return { met: true, sentence: `No minimum applies; ${plural(active, "enrolled mentor")}.` };
  if (active >= minimum) {
    return { met: true, sentence: `Minimum met: ${active} enrolled of ${minimum} required.` };
  }
  const short = minimum - active;
  return { met: false, sentence: `Minimum not met: ${active} enrolled of ${minimum} required — ${plural(short, "more mentor")} needed.` };
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** "Lakeside School of Medicine" → "lakeside-school-of-medicine", for file names. */
export function slug(text: string | undefined): string {
  const s = (text ?? "").toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return s || "institution";
}

/** A file name for a list's CSV: "<slug>-<what>-<yyyy-mm-dd>.csv". */
export function csvName(owner: string | undefined, what: string, now: Date = new Date()): string {
  return `${slug(owner)}-${what}-${now.toISOString().slice(0, 10)}.csv`;
}

/** A notification's link (absolute, made with the platform's public address) as a path in this client. */
export function clientPath(link: string | null | undefined, origin: string = globalThis.location?.origin ?? "http://localhost"): string | null {
  if (!link) return null;
  try {
    const url = new URL(link, origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return `${url.pathname}${url.search}${url.hash}` || "/";
  } catch {
    return null;
  }
}

export { isRefusal } from "./queries";
