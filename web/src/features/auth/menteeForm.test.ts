import { describe, expect, it } from "vitest";
import {
  emptyProfile, fromStoredProfile, hasErrors, toProfileIn, validateEligibility, validatePassword, validateProfile,
  validateRegistration, type RegistrationForm,
} from "./menteeForm";

function form(overrides: Partial<RegistrationForm> = {}): RegistrationForm {
  return {
    enrollmentCode: "LAKE-1234", name: "Jordan Ellis", email: "jordan@school.edu", password: "a-long-password",
    confirm: "a-long-password", profile: emptyProfile(), eligibility: ["first_generation"], attested: true,
    agreementAccepted: true, ...overrides,
  };
}

describe("password", () => {
  it("needs at least 10 characters, as identity does", () => {
    expect(validatePassword("", "").password).toBe("Choose a password.");
    expect(validatePassword("123456789", "123456789").password).toMatch(/at least 10/);
    expect(validatePassword("1234567890", "1234567890")).toEqual({});
    expect(validatePassword("x".repeat(257), "x".repeat(257)).password).toMatch(/at most 256/);
  });
  it("must be typed twice the same", () => {
    expect(validatePassword("a-long-password", "a-long-passwort").confirm).toMatch(/differ/);
  });
});

describe("eligibility (R4)", () => {
  it("needs at least one basis and the attestation", () => {
    expect(validateEligibility([], true).eligibility).toMatch(/at least one/);
    expect(validateEligibility(["urim"], false).attested).toMatch(/attest/);
    expect(validateEligibility(["urim", "economically_disadvantaged"], true)).toEqual({});
  });
});

describe("registration", () => {
  it("accepts a complete form", () => {
    expect(validateRegistration(form(), true)).toEqual({});
  });
  it("names each missing or wrong answer", () => {
    const errors = validateRegistration(form({ enrollmentCode: " ", name: "", email: "jordan", attested: false,
      agreementAccepted: false, eligibility: [] }), true);
    expect(Object.keys(errors).sort()).toEqual(["accept_agreement_version", "attested", "eligibility", "email",
      "enrollment_code", "name"]);
  });
  it("does not ask to accept an agreement that does not exist", () => {
    expect(validateRegistration(form({ agreementAccepted: false }), false)).toEqual({});
  });
  it("checks an enrollment code's length", () => {
    expect(validateRegistration(form({ enrollmentCode: "abc" }), true).enrollment_code).toMatch(/4 to 40/);
  });
});

describe("profile", () => {
  it("checks years and the preferred e-mail with the API's limits", () => {
    const p = { ...emptyProfile(), expectedGraduationYear: "28", birthYear: "1850", preferredEmail: "nope" };
    const errors = validateProfile(p);
    expect(errors["profile/demographics/expected_graduation_year"]).toMatch(/four digits/);
    expect(errors["profile/demographics/birth_year"]).toMatch(/between 1900 and 2100/);
    expect(errors["profile/contact/preferred_email"]).toMatch(/e-mail/);
    expect(hasErrors(validateProfile(emptyProfile()))).toBe(false);
  });
  it("limits race and ethnicity to 10 answers of 100 characters", () => {
    expect(validateProfile({ ...emptyProfile(), raceOther: Array.from({ length: 11 }, (_, i) => `g${i}`).join(",") })
      ["profile/demographics/race_ethnicity"]).toMatch(/at most 10/);
    expect(validateProfile({ ...emptyProfile(), raceOther: "x".repeat(101) })["profile/demographics/race_ethnicity"])
      .toMatch(/100 characters/);
  });
  it("sends empty answers as null, years as numbers, own words as more entries", () => {
    const body = toProfileIn({ ...emptyProfile(), expectedGraduationYear: "2028", raceEthnicity: ["Asian"],
      raceOther: "Hmong; Lao", trainingStage: "medical_student" });
    expect(body).toEqual({
      contact: { preferred_email: null, phone: null, mailing_address: null },
      demographics: { training_stage: "medical_student", expected_graduation_year: 2028, birth_year: null, pronouns: null,
        gender_identity: null, race_ethnicity: ["Asian", "Hmong", "Lao"], hispanic_or_latino: null },
    });
  });
  it("answers Hispanic or Latino through the list, keeping a stored no", () => {
    expect(toProfileIn({ ...emptyProfile(), raceEthnicity: ["Hispanic or Latino"] }).demographics.hispanic_or_latino).toBe(true);
    const stored = fromStoredProfile({ hispanic_or_latino: false, race_ethnicity: ["White"] }, {});
    expect(toProfileIn(stored).demographics.hispanic_or_latino).toBe(false);
  });
  it("round-trips a stored profile", () => {
    const stored = fromStoredProfile(
      { race_ethnicity: ["Black or African American", "Garifuna"], hispanic_or_latino: true, expected_graduation_year: 2027,
        training_stage: "medical_student" },
      { phone: "555-0100" });
    expect(stored.raceEthnicity).toEqual(["Black or African American", "Hispanic or Latino"]);
    expect(stored.raceOther).toBe("Garifuna");
    expect(stored.expectedGraduationYear).toBe("2027");
    const again = toProfileIn(stored);
    expect(again.demographics.race_ethnicity).toEqual(["Black or African American", "Hispanic or Latino", "Garifuna"]);
    expect(again.contact.phone).toBe("555-0100");
  });
});
