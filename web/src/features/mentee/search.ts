// The mentor search's state lives in the URL (so back and forward work, and a search can be shared):
// these functions read it into the directory's typed query and write changes back (pure, unit-tested).
// The enumerations are records keyed by the generated types' unions, so an API change fails the build.
import type { SearchQuery } from "./words";

type Specialty = NonNullable<SearchQuery["specialty"]>;
type State = NonNullable<SearchQuery["state"]>;
type MeetingMode = NonNullable<SearchQuery["meeting_mode"]>;
type Background = NonNullable<SearchQuery["shared_background"]>;
type Scope = NonNullable<SearchQuery["scope"]>;

const SPECIALTIES: Record<Specialty, true> = {
  "Addiction Medicine": true, "Allergy and Immunology": true, "Anesthesiology": true,
  "Cardiology": true, "Child and Adolescent Psychiatry": true, "Critical Care Medicine": true,
  "Dermatology": true, "Diagnostic Radiology": true, "Emergency Medicine": true,
  "Endocrinology": true, "Family Medicine": true, "Gastroenterology": true,
  "General Surgery": true, "Geriatric Medicine": true, "Hematology and Oncology": true,
  "Hospice and Palliative Medicine": true, "Infectious Disease": true, "Internal Medicine": true,
  "Interventional Radiology": true, "Medical Genetics and Genomics": true, "Nephrology": true,
  "Neurological Surgery": true, "Neurology": true, "Nuclear Medicine": true,
  "Obstetrics and Gynecology": true, "Ophthalmology": true, "Orthopaedic Surgery": true,
  "Otolaryngology": true, "Pathology": true, "Pediatrics": true,
  "Physical Medicine and Rehabilitation": true, "Plastic Surgery": true, "Preventive Medicine": true,
  "Psychiatry": true, "Pulmonology": true, "Radiation Oncology": true,
  "Rheumatology": true, "Sports Medicine": true, "Thoracic Surgery": true,
  "Urology": true, "Vascular Surgery": true,
};
const STATES: Record<State, true> = {
  "AL": true, "AK": true, "AZ": true, "AR": true, "CA": true, "CO": true, "CT": true, "DE": true, "DC": true,
  "FL": true, "GA": true, "HI": true, "ID": true, "IL": true, "IN": true, "IA": true, "KS": true, "KY": true,
  "LA": true, "ME": true, "MD": true, "MA": true, "MI": true, "MN": true, "MS": true, "MO": true, "MT": true,
  "NE": true, "NV": true, "NH": true, "NJ": true, "NM": true, "NY": true, "NC": true, "ND": true, "OH": true,
  "OK": true, "OR": true, "PA": true, "PR": true, "RI": true, "SC": true, "SD": true, "TN": true, "TX": true,
  "UT": true, "VT": true, "VA": true, "WA": true, "WV": true, "WI": true, "WY": true,
};
const MEETING_MODES: Record<MeetingMode, true> = { video: true, phone: true, in_person: true };
const BACKGROUNDS: Record<Background, true> = { urim: true, first_generation: true, low_ses: true };
const SCOPES: Record<Scope, true> = { local: true, national: true };

export const PER_PAGE = 10;

export type Search = SearchQuery & { page: number };

function oneOf<T extends string>(value: string | null, allowed: Record<T, true>): T | undefined {
  if (value === null) return undefined;
  for (const key of Object.keys(allowed) as T[]) if (key === value) return key;
  return undefined;
}

function text(value: string | null, max: number): string | undefined {
  const t = (value ?? "").trim();
  return t && t.length <= max ? t : undefined;
}

/** The search in the URL, as the directory's query; unknown or malformed values are left out. */
export function parseSearch(params: URLSearchParams): Search {
  const page = Number(params.get("page") ?? "1");
  const search: Search = { page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1 };
  const q = text(params.get("q"), 200);
  if (q) search.q = q;
  const specialty = oneOf(params.get("specialty"), SPECIALTIES);
  if (specialty) search.specialty = specialty;
  const interest = text(params.get("interest"), 80);
  if (interest) search.interest = interest;
  const language = text(params.get("language"), 40);
  if (language) search.language = language;
  const state = oneOf(params.get("state"), STATES);
  if (state) search.state = state;
  const mode = oneOf(params.get("meeting_mode"), MEETING_MODES);
  if (mode) search.meeting_mode = mode;
  const background = oneOf(params.get("shared_background"), BACKGROUNDS);
  if (background) search.shared_background = background;
  const scope = oneOf(params.get("scope"), SCOPES);
  if (scope) search.scope = scope;
  if (params.get("has_open_slot") === "true") search.has_open_slot = true;
  return search;
}

/** The directory's query for a search (its page size included). */
export function toQuery(search: Search): SearchQuery {
  return { ...search, per_page: PER_PAGE };
}

export const FILTER_KEYS = ["specialty", "interest", "language", "state", "meeting_mode", "shared_background", "scope",
  "has_open_slot"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** The URL's parameters after a change: an empty value removes the key, and any change other than the
 * page goes back to the first page. */
export function changed(params: URLSearchParams, updates: Record<string, string | null>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(updates)) {
    if (value === null || value === "") next.delete(key);
    else next.set(key, value);
  }
  if (!("page" in updates)) next.delete("page");
  if (next.get("page") === "1") next.delete("page");
  return next;
}

/** How many filters (not the free text) are set. */
export function activeFilters(search: Search): number {
  return FILTER_KEYS.filter((k) => search[k] !== undefined).length;
}

export function pageCount(total: number, perPage: number = PER_PAGE): number {
  return Math.max(1, Math.ceil(total / perPage));
}
