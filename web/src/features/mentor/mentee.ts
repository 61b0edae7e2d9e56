// What a mentor reads about who is asking: the mentee card of the mentorship API (name, institution,
// training stage, expected graduation year — never eligibility or demographics), and a request's
// deadline in words.
import type { components } from "../../api/schema/mentorship";

export type MenteeCard = components["schemas"]["MenteeCardOut"];
export type MentorshipRequest = components["schemas"]["RequestOut"];
export type Mentorship = components["schemas"]["MentorshipOut"];
export type MentorshipMe = components["schemas"]["MeOut"];

const STAGES: Record<string, string> = {
  premedical: "Premedical student",
  medical_student: "Medical student",
  resident: "Resident",
  fellow: "Fellow",
  other: "Other stage of training",
};

export function stageName(stage: string | null | undefined): string | null {
  if (!stage) return null;
  return STAGES[stage] ?? stage.replace(/_/g, " ");
}

/** "Medical student, graduating in 2027"; what is unknown is left out; null when nothing is known. */
export function studies(card: MenteeCard | null | undefined): string | null {
  const stage = stageName(card?.training_stage);
  const year = card?.expected_graduation_year;
  if (stage && year) return `${stage}, graduating in ${year}`;
  if (stage) return stage;
  if (year) return `Graduating in ${year}`;
  return null;
}

export function menteeName(card: MenteeCard | null | undefined): string {
  return card?.name || "A mentee";
}

export function institutionName(card: MenteeCard | null | undefined): string {
  return card?.institution_name || "Institution not known yet";
}

export const SOON_HOURS = 48;

/** Whether a deadline has passed ("overdue"), is within two days ("soon"), or neither. */
export function urgency(respondBy: string | undefined, now: number = Date.now()): "overdue" | "soon" | null {
  if (!respondBy) return null;
  const left = new Date(respondBy).getTime() - now;
  if (left <= 0) return "overdue";
  if (left <= SOON_HOURS * 3_600_000) return "soon";
  return null;
}

/** An answered request's outcome in words, with a tone for its badge. */
export function outcome(req: MentorshipRequest): { label: string; tone: "good" | "warn" | "bad" | "neutral" } {
  switch (req.status) {
    case "accepted": return { label: "Accepted", tone: "good" };
    case "declined":
      return req.declined_automatically
        ? { label: "Declined by the platform", tone: "neutral" }
        : { label: "Declined", tone: "warn" };
    case "expired": return { label: "Expired without an answer", tone: "bad" };
    case "withdrawn": return { label: "Withdrawn by the mentee", tone: "neutral" };
    default: return { label: "Open", tone: "neutral" };
  }
}

/** Why the platform declined a request, in words ("at capacity", "mentor ejected", ...). */
export function automaticReason(reason: string | null | undefined): string {
  if (reason === "at capacity") return "You had reached 3 active mentees, so the platform declined it for you (it does not count against you).";
  return reason ? `The platform declined it: ${reason}.` : "The platform declined it.";
}
