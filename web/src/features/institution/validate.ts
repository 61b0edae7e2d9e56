// Client-side checks of the admin and operator forms (the services check again; these only spare a
// round trip and say what is missing next to the field).

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface InviteInput {
  kind: "mentor" | "mentee" | "institution_admin";
  name: string;
  email: string;
  criteria: string[];
  evidence: string;
  nominatedBy: string;
}

export type Errors<K extends string> = Partial<Record<K, string>>;

export function validateInvite(input: InviteInput): Errors<"name" | "email" | "criteria" | "evidence" | "nominated_by"> {
  const errors: Errors<"name" | "email" | "criteria" | "evidence" | "nominated_by"> = {};
  if (!input.name.trim()) errors.name = "Enter the person's name.";
  else if (input.name.trim().length > 200) errors.name = "Use at most 200 characters.";
  if (!input.email.trim()) errors.email = "Enter the person's e-mail address.";
  else if (!EMAIL.test(input.email.trim())) errors.email = "Enter an e-mail address like name@school.edu.";
  if (input.kind === "mentor") {
    if (input.criteria.length === 0) errors.criteria = "Choose at least one admission criterion.";
    if (!input.evidence.trim()) errors.evidence = "Describe the evidence for the criterion.";
    else if (input.evidence.length > 2000) errors.evidence = "Use at most 2,000 characters.";
    if (input.criteria.includes("nominated_by_current_mentor") && !input.nominatedBy) {
      errors.nominated_by = "Choose the active mentor who nominated them.";
    }
  }
  return errors;
}

export interface InstitutionInput {
  name: string;
  kind: string;
  classSize: string;
  contactName: string;
  contactEmail: string;
  contactPhone: string;
}

export function validateInstitution(input: InstitutionInput): Errors<"name" | "kind" | "class_size" | "contact_name" | "contact_email"> {
  const errors: Errors<"name" | "kind" | "class_size" | "contact_name" | "contact_email"> = {};
  if (!input.name.trim()) errors.name = "Enter the institution's name.";
  if (input.kind !== "academic" && input.kind !== "hbcu") errors.kind = "Choose the kind of institution.";
  const size = Number(input.classSize);
  if (!input.classSize.trim()) errors.class_size = "Enter the medical-school class size.";
  else if (!/^\d+$/.test(input.classSize.trim()) || size > 100_000) errors.class_size = "Enter a whole number from 0 to 100,000.";
  if (!input.contactName.trim()) errors.contact_name = "Enter the contact person's name.";
  if (!input.contactEmail.trim()) errors.contact_email = "Enter the contact's e-mail address.";
  else if (!EMAIL.test(input.contactEmail.trim())) errors.contact_email = "Enter an e-mail address like name@school.edu.";
  return errors;
}

/** R1, as identity computes it: class < 50 → 25 mentors; 50–100 → 50; > 100 → 75; HBCU → none. */
export function minimumMentors(kind: string, classSize: number): number {
  if (kind === "hbcu") return 0;
  if (classSize < 50) return 25;
  if (classSize <= 100) return 50;
  return 75;
}

export function validateWebhook(url: string, eventTypes: string[]): Errors<"url" | "event_types"> {
  const errors: Errors<"url" | "event_types"> = {};
  let parsed: URL | null = null;
  try {
    parsed = new URL(url.trim());
  } catch {
    parsed = null;
  }
  if (!url.trim()) errors.url = "Enter the address that receives the events.";
  else if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) errors.url = "Enter a full address starting with https://.";
  if (eventTypes.length === 0) errors.event_types = "Choose at least one kind of event.";
  return errors;
}

export function hasErrors(errors: object): boolean {
  return Object.values(errors).some(Boolean);
}
