// Survey kinds, statuses, roles and question types in words.

export function kindLabel(kind: string | undefined): string {
  if (kind === "career_update") return "Career update";
  if (kind === "program_feedback") return "Program feedback";
  return kind ?? "Survey";
}

export function surveyStatus(status: string | undefined): { label: string; tone: "neutral" | "good" | "warn" | "info" } {
  switch (status) {
    case "draft": return { label: "Draft — not sent yet", tone: "neutral" };
    case "open": return { label: "Open", tone: "good" };
    case "closed": return { label: "Closed", tone: "neutral" };
    default: return { label: status ?? "—", tone: "neutral" };
  }
}

export function assignmentStatus(status: string | undefined): { label: string; tone: "neutral" | "good" | "warn" | "info" } {
  switch (status) {
    case "open": return { label: "To answer", tone: "warn" };
    case "completed": return { label: "Answered", tone: "good" };
    case "closed": return { label: "Closed", tone: "neutral" };
    default: return { label: status ?? "—", tone: "neutral" };
  }
}

export const ROLE_LABELS: Record<string, string> = {
  mentee: "Mentees",
  mentor: "Mentors",
  alumni: "Alumni (mentees who left the program)",
};

export const TYPE_LABELS: Record<string, string> = {
  single_choice: "One choice",
  multiple_choice: "Several choices",
  text: "Text",
  number: "Number",
  date: "Date",
};

export function rolesWords(roles: string[] | undefined): string {
  const names = (roles ?? []).map((r) => (r === "alumni" ? "alumni" : `${r}s`));
  if (names.length <= 1) return names[0] ?? "nobody";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
