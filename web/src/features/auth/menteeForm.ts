// What a mentee gives when joining (self-registration with an enrollment code, or an invitation) and
// later edits in "My account": the profile (contact, demographics), the eligibility attestation (R4),
// a password. Pure functions, so the forms' validation is the same everywhere and unit-tested; the
// limits are those of identity's OpenAPI (MenteeRegistration, MenteeProfileIn, InvitationAccept).
import type { components } from "../../api/schema/identity";

export type MenteeProfileIn = components["schemas"]["MenteeProfileIn"];
export type Eligibility = components["schemas"]["MenteeRegistration"]["eligibility"][number];
type TrainingStage = NonNullable<components["schemas"]["Demographics"]["training_stage"]>;

export type Errors = Record<string, string | undefined>;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;
export const NAME_MAX = 200;

export const ELIGIBILITY: { value: Eligibility; label: string }[] = [
  { value: "urim", label: "I belong to a group underrepresented in medicine (URiM)" },
  { value: "first_generation", label: "I am the first in my family to graduate from college (first-generation)" },
  { value: "economically_disadvantaged", label: "I come from an economically disadvantaged background" },
];

export function eligibilityName(value: string): string {
  switch (value) {
    case "urim": return "Underrepresented in medicine (URiM)";
    case "first_generation": return "First-generation college graduate";
    case "economically_disadvantaged": return "Economically disadvantaged background";
    default: return value;
  }
}

export const TRAINING_STAGES: { value: TrainingStage; label: string }[] = [
  { value: "premedical", label: "Premedical student" },
  { value: "medical_student", label: "Medical student" },
  { value: "resident", label: "Resident" },
  { value: "fellow", label: "Fellow" },
  { value: "other", label: "Other" },
];

/** The race and ethnicity categories offered as checkboxes (U.S. federal categories); anything else
 * is written in the person's own words. */
export const RACE_ETHNICITY = [
  "American Indian or Alaska Native",
  "Asian",
  "Black or African American",
  "Hispanic or Latino",
  "Middle Eastern or North African",
  "Native Hawaiian or Other Pacific Islander",
  "White",
];

const HISPANIC = "Hispanic or Latino";

/** The profile as the form holds it: strings, so that inputs stay controlled. */
export interface ProfileForm {
  preferredEmail: string;
  phone: string;
  mailingAddress: string;
  trainingStage: string;
  expectedGraduationYear: string;
  pronouns: string;
  genderIdentity: string;
  birthYear: string;
  raceEthnicity: string[];
  raceOther: string;
  /** The stored answer to "Hispanic or Latino?" (the form asks it through the race/ethnicity list). */
  hispanic: "" | "yes" | "no";
}

export function emptyProfile(): ProfileForm {
  return {
    preferredEmail: "", phone: "", mailingAddress: "", trainingStage: "", expectedGraduationYear: "",
    pronouns: "", genderIdentity: "", birthYear: "", raceEthnicity: [], raceOther: "", hispanic: "",
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(value: string): boolean {
  return EMAIL.test(value.trim());
}

function year(value: string, min: number, max: number, what: string): string | undefined {
  const text = value.trim();
  if (!text) return undefined;
  if (!/^\d{4}$/.test(text)) return `Enter the ${what} as four digits, like 2028.`;
  const n = Number(text);
  if (n < min || n > max) return `Enter a ${what} between ${min} and ${max}.`;
  return undefined;
}

function others(raceOther: string): string[] {
  return raceOther.split(/[,;\n]/).map((s) => s.trim()).filter(Boolean);
}

/** Client-side checks of the profile, keyed like the service's pointers ("profile/contact/phone"). */
export function validateProfile(p: ProfileForm): Errors {
  const errors: Errors = {};
  if (p.preferredEmail.trim() && !isEmail(p.preferredEmail)) {
    errors["profile/contact/preferred_email"] = "Enter an e-mail address like name@school.edu, or leave it empty.";
  }
  if (p.phone.trim().length > 50) errors["profile/contact/phone"] = "Use at most 50 characters.";
  if (p.mailingAddress.trim().length > 500) errors["profile/contact/mailing_address"] = "Use at most 500 characters.";
  errors["profile/demographics/expected_graduation_year"] = year(p.expectedGraduationYear, 1950, 2100, "graduation year");
  errors["profile/demographics/birth_year"] = year(p.birthYear, 1900, 2100, "birth year");
  if (p.pronouns.trim().length > 50) errors["profile/demographics/pronouns"] = "Use at most 50 characters.";
  if (p.genderIdentity.trim().length > 100) errors["profile/demographics/gender_identity"] = "Use at most 100 characters.";
  const race = [...p.raceEthnicity, ...others(p.raceOther)];
  if (race.length > 10) errors["profile/demographics/race_ethnicity"] = "Choose or write at most 10.";
  else if (others(p.raceOther).some((s) => s.length > 100)) {
    errors["profile/demographics/race_ethnicity"] = "Each description may have at most 100 characters.";
  }
  return clean(errors);
}

function orNull(value: string): string | null {
  const text = value.trim();
  return text ? text : null;
}

function yearOrNull(value: string): number | null {
  const text = value.trim();
  return text ? Number(text) : null;
}

/** The profile in the shape identity takes (empty fields are null, not ""). */
export function toProfileIn(p: ProfileForm): MenteeProfileIn {
  const race = Array.from(new Set([...p.raceEthnicity, ...others(p.raceOther)]));
  return {
    contact: {
      preferred_email: orNull(p.preferredEmail),
      phone: orNull(p.phone),
      mailing_address: orNull(p.mailingAddress),
    },
    demographics: {
      training_stage: (orNull(p.trainingStage) as TrainingStage | null),
      expected_graduation_year: yearOrNull(p.expectedGraduationYear),
      birth_year: yearOrNull(p.birthYear),
      pronouns: orNull(p.pronouns),
      gender_identity: orNull(p.genderIdentity),
      race_ethnicity: race,
      // One question (the federal combined one): ticking "Hispanic or Latino" answers it; a "no" stored
      // before is kept while it stays unticked, and nothing is assumed otherwise.
      hispanic_or_latino: race.includes(HISPANIC) ? true : p.hispanic === "no" ? false : null,
    },
  };
}

/** A stored profile (identity answers free-form objects) back into the form. */
export function fromStoredProfile(demographics: Record<string, unknown>, contact: Record<string, unknown>): ProfileForm {
  const text = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
  const race = Array.isArray(demographics.race_ethnicity)
    ? demographics.race_ethnicity.filter((v): v is string => typeof v === "string")
    : [];
  const hispanic = demographics.hispanic_or_latino;
  if (hispanic === true && !race.includes(HISPANIC)) race.push(HISPANIC);
  return {
    preferredEmail: text(contact.preferred_email),
    phone: text(contact.phone),
    mailingAddress: text(contact.mailing_address),
    trainingStage: text(demographics.training_stage),
    expectedGraduationYear: text(demographics.expected_graduation_year),
    pronouns: text(demographics.pronouns),
    genderIdentity: text(demographics.gender_identity),
    birthYear: text(demographics.birth_year),
    raceEthnicity: race.filter((r) => RACE_ETHNICITY.includes(r)),
    raceOther: race.filter((r) => !RACE_ETHNICITY.includes(r)).join(", "),
    hispanic: hispanic === true ? "yes" : hispanic === false ? "no" : "",
  };
}

export function validatePassword(password: string, confirm: string): Errors {
  const errors: Errors = {};
  if (!password) errors.password = "Choose a password.";
  else if (password.length < PASSWORD_MIN) errors.password = `Use at least ${PASSWORD_MIN} characters.`;
  else if (password.length > PASSWORD_MAX) errors.password = `Use at most ${PASSWORD_MAX} characters.`;
  if (!errors.password && confirm !== password) errors.confirm = "The two passwords differ: type the same password twice.";
  return clean(errors);
}

export function validateName(name: string): string | undefined {
  if (!name.trim()) return "Enter your name.";
  if (name.trim().length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return undefined;
}

/** R4: at least one basis, and the attestation. */
export function validateEligibility(eligibility: string[], attested: boolean): Errors {
  const errors: Errors = {};
  if (eligibility.length === 0) errors.eligibility = "Choose at least one: the program is for learners of these groups.";
  if (!attested) errors.attested = "Tick the box to attest that what you chose is true.";
  return clean(errors);
}

export function validateAgreement(hasAgreement: boolean, accepted: boolean): Errors {
  return hasAgreement && !accepted ? { accept_agreement_version: "Read the agreement and tick the box to accept it." } : {};
}

export interface RegistrationForm {
  enrollmentCode: string;
  name: string;
  email: string;
  password: string;
  confirm: string;
  profile: ProfileForm;
  eligibility: string[];
  attested: boolean;
  agreementAccepted: boolean;
}

export function validateRegistration(f: RegistrationForm, hasAgreement: boolean): Errors {
  const errors: Errors = {};
  const code = f.enrollmentCode.trim();
  if (!code) errors.enrollment_code = "Enter the enrollment code your school gave you.";
  else if (code.length < 4 || code.length > 40) errors.enrollment_code = "An enrollment code has 4 to 40 characters.";
  errors.name = validateName(f.name);
  if (!f.email.trim()) errors.email = "Enter your e-mail address.";
  else if (!isEmail(f.email)) errors.email = "Enter an e-mail address like name@school.edu.";
  return clean({
    ...errors,
    ...validatePassword(f.password, f.confirm),
    ...validateProfile(f.profile),
    ...validateEligibility(f.eligibility, f.attested),
    ...validateAgreement(hasAgreement, f.agreementAccepted),
  });
}

export function clean(errors: Errors): Errors {
  const out: Errors = {};
  for (const [key, value] of Object.entries(errors)) if (value) out[key] = value;
  return out;
}

export function hasErrors(errors: Errors): boolean {
  return Object.values(errors).some(Boolean);
}
