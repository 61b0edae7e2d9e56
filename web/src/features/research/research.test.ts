import { describe, expect, it } from "vitest";
import { EMPTY_REQUEST, auditActionWords, requestBodyOf, requestStatusWords, sizeWords, validateReason, validateRequest, type RequestForm } from "./research";

const good: RequestForm = {
  title: "Mentoring and match", purpose: "Does mentoring help residency match?", irb_status: "approved",
  irb_number: "IRB-2026-17", datasets: ["evaluations", "mentorships"], period_start: "2025-01-01", period_end: "2025-12-31",
};
const today = "2026-06-01";

describe("the data request form", () => {
  it("accepts a complete request", () => {
    expect(validateRequest(good, today)).toEqual({});
    expect(validateRequest({ ...good, irb_status: "pending", irb_number: "" }, today)).toEqual({});
  });
  it("names every missing field at once", () => {
    expect(Object.keys(validateRequest(EMPTY_REQUEST, today)).sort()).toEqual(
      ["datasets", "irb_status", "period_end", "period_start", "purpose", "title"]);
    expect(validateRequest({ ...good, title: "   " }, today).title).toMatch(/title/);
  });
  it("needs the IRB number when approved or exempt", () => {
    expect(validateRequest({ ...good, irb_number: " " }, today).irb_number).toMatch(/required when the study is approved or exempt/);
    expect(validateRequest({ ...good, irb_status: "exempt", irb_number: "" }, today).irb_number).toBeTruthy();
    expect(validateRequest({ ...good, irb_status: "not_human_subjects", irb_number: "" }, today).irb_number).toBeUndefined();
  });
  it("needs a period that ends after it starts and not in the future", () => {
    expect(validateRequest({ ...good, period_end: "2024-12-31" }, today).period_end).toMatch(/after the first/);
    expect(validateRequest({ ...good, period_end: "2026-06-02" }, today).period_end).toMatch(/future/);
  });
  it("sends the catalogue's names in its order, texts trimmed, an empty IRB number as null", () => {
    expect(requestBodyOf({ ...good, title: " T ", datasets: ["evaluations", "bogus", "mentorships"], irb_status: "pending", irb_number: " " }))
      .toMatchObject({ title: "T", datasets: ["mentorships", "evaluations"], irb_status: "pending", irb_number: null });
  });
});

describe("research in words", () => {
  it("says statuses, audit actions and sizes", () => {
    expect(requestStatusWords("submitted").label).toBe("Waiting for a decision");
    expect(requestStatusWords("denied").tone).toBe("bad");
    expect(auditActionWords("export_downloaded")).toBe("Export downloaded");
    expect(sizeWords(2048)).toBe("2 KB");
  });
  it("needs a reason for a decision", () => {
    expect(validateReason("  ")).toMatch(/reason/);
    expect(validateReason("IRB approval on file")).toBeUndefined();
  });
});
