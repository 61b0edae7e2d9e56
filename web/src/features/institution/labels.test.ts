import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import { toCsv } from "../../ui/table";
import { clientPath, complianceWords, criteriaOf, csvName, isRefusal, slug } from "./labels";
import { hasErrors, minimumMentors, validateInstitution, validateInvite, validateWebhook } from "./validate";
import { sortInvitations } from "./Invitations";
import { countRows } from "./Dashboard";

describe("R1 in words", () => {
  it("says whether the minimum is met, not by colour", () => {
    expect(complianceWords(3, 25)).toEqual({ met: false, sentence: "Minimum not met: 3 enrolled of 25 required — 22 more mentors needed." });
    expect(complianceWords(24, 25).sentence).toContain("1 more mentor needed");
    expect(complianceWords(25, 25)).toEqual({ met: true, sentence: "Minimum met: 25 enrolled of 25 required." });
    expect(complianceWords(1, 0)).toEqual({ met: true, sentence: "No minimum applies; 1 enrolled mentor." });
  });
  it("computes the minimum as identity does", () => {
    expect([minimumMentors("academic", 49), minimumMentors("academic", 50), minimumMentors("academic", 100),
      minimumMentors("academic", 101), minimumMentors("hbcu", 500)]).toEqual([25, 50, 50, 75, 0]);
  });
});

describe("invitation form", () => {
  const base = { kind: "mentor" as const, name: "Dr. A", email: "a@school.edu", criteria: ["teaching_award"], evidence: "Award 2023", nominatedBy: "" };
  it("accepts a complete mentor invitation", () => expect(hasErrors(validateInvite(base))).toBe(false));
  it("asks for a criterion and evidence for a mentor (R2)", () => {
    const e = validateInvite({ ...base, criteria: [], evidence: " " });
    expect(e.criteria).toMatch(/criterion/);
    expect(e.evidence).toMatch(/evidence/);
  });
  it("asks who nominated when a current mentor nominated", () => {
    expect(validateInvite({ ...base, criteria: ["nominated_by_current_mentor"] }).nominated_by).toMatch(/mentor/);
  });
  it("needs no criterion for a mentee, but a valid e-mail", () => {
    expect(validateInvite({ ...base, kind: "mentee", criteria: [], evidence: "" })).toEqual({});
    expect(validateInvite({ ...base, kind: "mentee", email: "nope" }).email).toMatch(/e-mail/);
  });
  it("keeps only known criteria, in the API's order", () => {
    expect(criteriaOf(["teaching_award", "bogus", "urim_identity"])).toEqual(["urim_identity", "teaching_award"]);
  });
});

describe("institution form", () => {
  const ok = { name: "X", kind: "academic", classSize: "42", contactName: "C", contactEmail: "c@x.edu", contactPhone: "" };
  it("accepts a complete form", () => expect(validateInstitution(ok)).toEqual({}));
  it("refuses a class size that is not a whole number", () => {
    expect(validateInstitution({ ...ok, classSize: "4.5" }).class_size).toBeTruthy();
    expect(validateInstitution({ ...ok, classSize: "-1" }).class_size).toBeTruthy();
    expect(validateInstitution({ ...ok, classSize: "" }).class_size).toBeTruthy();
  });
});

describe("webhook form", () => {
  it("needs a URL and an event type", () => {
    expect(validateWebhook("", [])).toEqual({ url: expect.any(String), event_types: expect.any(String) });
    expect(validateWebhook("ftp://x", ["MentorEnrolled"]).url).toBeTruthy();
    expect(validateWebhook("https://hooks.example.org/in", ["MentorEnrolled"])).toEqual({});
  });
});

describe("helpers", () => {
  it("turns a notification's absolute link into a path of this client", () => {
    expect(clientPath("http://127.0.0.1:8080/requests/abc?x=1#y", "http://other")).toBe("/requests/abc?x=1#y");
    expect(clientPath("/inbox", "http://localhost")).toBe("/inbox");
    expect(clientPath("javascript:alert(1)", "http://localhost")).toBeNull();
    expect(clientPath(null)).toBeNull();
  });
  it("names CSV files after the institution and the day", () => {
    expect(slug("Lakeside School of Medicine")).toBe("lakeside-school-of-medicine");
    expect(csvName("Lakeside School of Medicine", "mentors", new Date("2026-03-04T10:00:00Z"))).toBe("lakeside-school-of-medicine-mentors-2026-03-04.csv");
  });
  it("treats 403 and 404 as 'not yours', not as a failure to retry", () => {
    expect(isRefusal(new ProblemError(404, {}))).toBe(true);
    expect(isRefusal(new ProblemError(403, {}))).toBe(true);
    expect(isRefusal(new ProblemError(503, {}))).toBe(false);
  });
  it("lists pending invitations first, soonest to expire first", () => {
    const rows = sortInvitations([
      { id: "a", state: "accepted", created_at: "2026-01-02" },
      { id: "b", state: "pending", expires_at: "2026-02-10" },
      { id: "c", state: "pending", expires_at: "2026-02-01" },
      { id: "d", state: "revoked", created_at: "2026-01-05" },
    ]);
    expect(rows.map((r) => r.id)).toEqual(["c", "b", "d", "a"]);
  });
  it("lists the invitations of one import, which expire together, by name", () => {
    const at = "2026-02-10T12:00:00Z";
    const rows = sortInvitations([
      { id: "z", name: "Dr. Chen Wei", state: "pending", expires_at: at },
      { id: "x", name: "Dr. Ana Flores", state: "pending", expires_at: at },
      { id: "y", name: "Dr. Ben Okafor", state: "pending", expires_at: at },
    ]);
    expect(rows.map((r) => r.id)).toEqual(["x", "y", "z"]);
  });
  it("lays the mentorship counts out per side, for the table and its CSV", () => {
    const rows = countRows({ mentees: { requests: { open: 2, accepted: 1 }, mentorships: { active: 1 } }, mentors: { requests: { open: 3 } } });
    expect(rows[0]).toEqual({ label: "Open requests", mentees: 2, mentors: 3 });
    const csv = toCsv([{ key: "w", header: "What", cell: (r: { label: string }) => r.label }], rows.slice(0, 1));
    expect(csv).toBe("What\r\nOpen requests\r\n");
  });
});
