import { describe, expect, it } from "vitest";
import { automaticReason, outcome, studies, urgency } from "./mentee";
import { hasErrors, splitList, validateNomination, validateProfile, validateReason, type ProfileForm } from "./validation";

const good: ProfileForm = {
  display_name: "Dr. Ada Lovelace", academic_rank: "professor", specialties: ["Cardiology"], languages: "English, Spanish",
  city: "Atlanta", state: "GA", bio: "I teach.", scope: "national", accepting_new_mentees: true, hours_per_month: "4",
  meeting_modes: ["video"], time_windows: [{ day: "tue", start: "18:00", end: "20:00" }], timezone: "America/New_York",
};

describe("validateProfile", () => {
  it("accepts a complete profile and a draft with empty optional fields", () => {
    expect(hasErrors(validateProfile(good))).toBe(false);
    const draft = { ...good, academic_rank: "", specialties: [], languages: "", city: "", state: "", bio: "",
      scope: "", hours_per_month: "", meeting_modes: [], time_windows: [], timezone: "" };
    expect(hasErrors(validateProfile(draft))).toBe(false);
  });

  it("needs a display name within 120 characters", () => {
    expect(validateProfile({ ...good, display_name: "  " }).display_name).toMatch(/name/);
    expect(validateProfile({ ...good, display_name: "x".repeat(121) }).display_name).toMatch(/120/);
  });

  it("keeps the directory's limits: hours 0-80 whole, 5 specialties, 10 languages of 40, bio 4000", () => {
    for (const hours of ["81", "-1", "2.5", "four"]) expect(validateProfile({ ...good, hours_per_month: hours }).hours_per_month).toBeTruthy();
    for (const hours of ["0", "80", ""]) expect(validateProfile({ ...good, hours_per_month: hours }).hours_per_month).toBeUndefined();
    expect(validateProfile({ ...good, specialties: ["a", "b", "c", "d", "e", "f"] }).specialties).toMatch(/5/);
    expect(validateProfile({ ...good, languages: Array.from({ length: 11 }, (_, i) => `L${i}`).join(",") }).languages).toMatch(/10/);
    expect(validateProfile({ ...good, languages: "x".repeat(41) }).languages).toMatch(/40/);
    expect(validateProfile({ ...good, languages: "English, english" }).languages).toMatch(/once/);
    expect(validateProfile({ ...good, bio: "x".repeat(4001) }).bio).toMatch(/4000/);
  });

  it("checks each time window: a day, HH:MM times, the end after the start", () => {
    const errors = validateProfile({ ...good, time_windows: [
      { day: "tue", start: "18:00", end: "20:00" },
      { day: "wed", start: "20:00", end: "18:00" },
      { day: "thu", start: "", end: "10:00" },
      { day: "someday", start: "09:00", end: "10:00" },
      { day: "someday", start: "25:00", end: "10:00" },
    ] });
    expect(errors.windows?.[0]).toBeUndefined();
    expect(errors.windows?.[1]).toMatch(/after/);
    expect(errors.windows?.[2]).toMatch(/HH:MM/);
    expect(errors.windows?.[3]).toMatch(/day/);
    expect(errors.windows?.[4]).toBe("Choose a day. Give a start and an end time (HH:MM, 24-hour).");  // both at once
    expect(hasErrors(errors)).toBe(true);
    const many = Array.from({ length: 22 }, () => ({ day: "mon", start: "08:00", end: "09:00" }));
    expect(validateProfile({ ...good, time_windows: many }).time_windows).toMatch(/21/);
  });

  it("splits a list of languages", () => {
    expect(splitList(" English, ,Spanish ")).toEqual(["English", "Spanish"]);
  });
});

describe("validateNomination", () => {
  it("needs a name, a valid e-mail and evidence, within identity's limits", () => {
    expect(validateNomination({ name: "Dr. B", email: "b@example.org", evidence: "Great teacher." })).toEqual({});
    const errors = validateNomination({ name: "", email: "not-an-email", evidence: " " });
    expect(Object.keys(errors).sort()).toEqual(["email", "evidence", "name"]);
    expect(validateNomination({ name: "x".repeat(201), email: "b@example.org", evidence: "y" }).name).toMatch(/200/);
    expect(validateNomination({ name: "B", email: "b@example.org", evidence: "y".repeat(2001) }).evidence).toMatch(/2000/);
  });
});

describe("validateReason", () => {
  it("is optional for a decline, required to conclude, at most 1000 characters", () => {
    expect(validateReason("", { required: false })).toBeUndefined();
    expect(validateReason("  ", { required: true })).toMatch(/reason/);
    expect(validateReason("x".repeat(1001), { required: false })).toMatch(/1000/);
  });
});

describe("the mentee card and deadlines in words", () => {
  it("says the training stage and the year, leaving out what is unknown", () => {
    expect(studies({ training_stage: "medical_student", expected_graduation_year: 2027 })).toBe("Medical student, graduating in 2027");
    expect(studies({ training_stage: "resident", expected_graduation_year: null })).toBe("Resident");
    expect(studies({ training_stage: null, expected_graduation_year: 2030 })).toBe("Graduating in 2030");
    expect(studies({})).toBeNull();
  });

  it("marks a deadline overdue or due within two days", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(urgency("2026-03-01T11:00:00Z", now)).toBe("overdue");
    expect(urgency("2026-03-02T12:00:00Z", now)).toBe("soon");
    expect(urgency("2026-03-10T12:00:00Z", now)).toBeNull();
  });

  it("says an answered request's outcome in words", () => {
    expect(outcome({ status: "declined", declined_automatically: true }).label).toMatch(/platform/);
    expect(outcome({ status: "expired" }).label).toMatch(/Expired/);
    expect(automaticReason("at capacity")).toMatch(/3 active mentees/);
  });
});
