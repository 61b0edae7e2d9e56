import { describe, expect, it } from "vitest";
import { auditQuery, recordLabel } from "./Audit";
import { ejectionReason } from "./Ejected";
import { rewardPolicy } from "../institution/rewards";
import { changedPreferences } from "../inbox/NotificationSettings";

describe("operator screens", () => {
  it("says why a mentor was ejected in words", () => {
    expect(ejectionReason("unresponsive: 2 requests expired unanswered within 180 days"))
      .toBe("Unresponsive: 2 requests expired unanswered within 180 days");
    expect(ejectionReason(null)).toBe("No reason was recorded.");
    expect(ejectionReason("conduct review")).toBe("conduct review");
  });
  it("sends only the offered rewards", () => {
    const none = { offered: false, details: "" };
    expect(rewardPolicy({ promotion_recognition: none, dedicated_fte: { offered: true, details: " 0.05 FTE " }, dei_credentialing_recognition: none,
      cme_credit: { offered: true, details: "" }, financial_compensation: none }))
      .toEqual({ dedicated_fte: { offered: true, details: "0.05 FTE" }, cme_credit: { offered: true, details: null } });
  });
  it("turns the audit filters into the API's query", () => {
    const id = "0b7d5f4e-1c2a-4d3b-9e8f-112233445566";
    const { filters, errors } = auditQuery({ institution: "", actor: id, subject: "nobody", since: "2026-01-31" });
    expect(filters.actor_id).toBe(id);
    expect(filters.subject_id).toBeUndefined();
    expect(errors.subject).toBeTruthy();
    expect(new Date(filters.since ?? "").getDate()).toBe(31);
    expect(recordLabel("mentee_eligibility")).toMatch(/eligibility/);
  });
  it("saves only changed, optional e-mail preferences", () => {
    const saved = [
      { category: "request_received", mandatory: true, email: true },
      { category: "request_accepted", mandatory: false, email: true },
      { category: "survey_assigned", mandatory: false, email: false },
    ];
    expect(changedPreferences(saved, { request_received: false, request_accepted: false, survey_assigned: false }))
      .toEqual({ request_accepted: false });
  });
});
