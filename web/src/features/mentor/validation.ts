// Client-side checks of the mentor's forms, with the services' own limits (directory's ProfileUpdate,
// identity's NominationIn, mentorship's ReasonIn), so that most mistakes are said before a request.

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const DAY_NAMES: Record<string, string> = {
  mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday",
};

export const LIMITS = {
  displayName: 120,
  city: 100,
  bio: 4000,
  specialties: 5,
  languages: 10,
  language: 40,
  hoursMin: 0,
  hoursMax: 80,
  timeWindows: 21,
  reason: 1000,
  nominationName: 200,
  evidence: 2000,
} as const;

export interface TimeWindowRow {
  day: string;
  start: string;
  end: string;
}

export interface ProfileForm {
  display_name: string;
  academic_rank: string;
  specialties: string[];
  languages: string;
  city: string;
  state: string;
  bio: string;
  scope: string;
  accepting_new_mentees: boolean;
  hours_per_month: string;
  meeting_modes: string[];
  time_windows: TimeWindowRow[];
  timezone: string;
}

export type ProfileErrors = Partial<Record<keyof ProfileForm, string>> & { windows?: Record<number, string> };

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** "English, Spanish ,english" -> ["English", "Spanish", "english"] (blank items dropped). */
export function splitList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

export function validateProfile(form: ProfileForm): ProfileErrors {
  const errors: ProfileErrors = {};
  const name = form.display_name.trim();
  if (!name) errors.display_name = "Enter the name mentees will see.";
  else if (name.length > LIMITS.displayName) errors.display_name = `Use at most ${LIMITS.displayName} characters.`;
  if (form.specialties.length > LIMITS.specialties) errors.specialties = `Choose at most ${LIMITS.specialties} specialties.`;
  const languages = splitList(form.languages);
  if (languages.length > LIMITS.languages) errors.languages = `List at most ${LIMITS.languages} languages.`;
  else if (languages.some((l) => l.length > LIMITS.language)) errors.languages = `Each language has at most ${LIMITS.language} characters.`;
  else if (new Set(languages.map((l) => l.toLowerCase())).size !== languages.length) errors.languages = "Give each language once.";
  if (form.city.trim().length > LIMITS.city) errors.city = `Use at most ${LIMITS.city} characters.`;
  if (form.bio.length > LIMITS.bio) errors.bio = `Use at most ${LIMITS.bio} characters (now ${form.bio.length}).`;
  const hours = form.hours_per_month.trim();
  if (hours && !(/^\d+$/.test(hours) && Number(hours) >= LIMITS.hoursMin && Number(hours) <= LIMITS.hoursMax)) {
    errors.hours_per_month = `Enter a whole number of hours from ${LIMITS.hoursMin} to ${LIMITS.hoursMax}.`;
  }
  if (form.time_windows.length > LIMITS.timeWindows) errors.time_windows = `Give at most ${LIMITS.timeWindows} time windows.`;
  const windows: Record<number, string> = {};
  form.time_windows.forEach((w, i) => {  // every problem of the window at once, as the service names them
    const problems: string[] = [];
    if (!DAYS.includes(w.day as (typeof DAYS)[number])) problems.push("Choose a day.");
    if (!HHMM.test(w.start) || !HHMM.test(w.end)) problems.push("Give a start and an end time (HH:MM, 24-hour).");
    else if (w.end <= w.start) problems.push("The end time must be after the start time.");
    if (problems.length) windows[i] = problems.join(" ");
  });
  if (Object.keys(windows).length) errors.windows = windows;
  return errors;
}

export function hasErrors(errors: ProfileErrors): boolean {
  return Object.entries(errors).some(([key, value]) => (key === "windows" ? Object.keys(value as object).length > 0 : Boolean(value)));
}

export interface NominationForm {
  name: string;
  email: string;
  evidence: string;
}

export function validateNomination(form: NominationForm): Partial<Record<keyof NominationForm, string>> {
  const errors: Partial<Record<keyof NominationForm, string>> = {};
  const name = form.name.trim();
  if (!name) errors.name = "Enter your colleague's name.";
  else if (name.length > LIMITS.nominationName) errors.name = `Use at most ${LIMITS.nominationName} characters.`;
  const email = form.email.trim();
  if (!email) errors.email = "Enter your colleague's e-mail address.";
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = "Enter an e-mail address like name@hospital.org.";
  const evidence = form.evidence.trim();
  if (!evidence) errors.evidence = "Say why you nominate them: their work with learners, in a few sentences.";
  else if (evidence.length > LIMITS.evidence) errors.evidence = `Use at most ${LIMITS.evidence} characters (now ${evidence.length}).`;
  return errors;
}

/** A reason the mentorship API accepts (1 to 1000 characters), or an error in words. */
export function validateReason(reason: string, { required }: { required: boolean }): string | undefined {
  const text = reason.trim();
  if (!text && required) return "Give a reason: the mentee reads it.";
  if (text.length > LIMITS.reason) return `Use at most ${LIMITS.reason} characters (now ${text.length}).`;
  return undefined;
}
