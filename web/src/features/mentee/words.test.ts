import { describe, expect, it } from "vitest";
import { availabilityWords, requestStatusWords, responsivenessWords, slotsWords } from "./words";

describe("directory facts in words", () => {
  it("says open slots, and why there is none", () => {
    expect(slotsWords({ accepting_new_mentees: true, open_slots: 2 }).label).toBe("2 of 3 slots open");
    expect(slotsWords({ accepting_new_mentees: true, open_slots: 0 }).label).toMatch(/No open slot/);
    expect(slotsWords({ accepting_new_mentees: false, open_slots: 0 }).label).toBe("Not accepting new mentees");
  });
  it("says availability", () => {
    expect(availabilityWords({ hours_per_month: 4, meeting_modes: ["video", "in_person"],
      time_windows: [{ day: "tue", start: "18:00", end: "20:00" }], timezone: "America/New_York" }))
      .toBe("4 hours a month · Video, in person · Tue 18:00–20:00 (America/New_York)");
    expect(availabilityWords({})).toBe("Not given");
  });
  it("says responsiveness, and that a new mentor has none yet", () => {
    expect(responsivenessWords({ requests_considered: 0, score: 0.5, response_rate: null })).toMatch(/New here/);
    expect(responsivenessWords({ requests_considered: 4, response_rate: 0.75, median_response_hours: 50, score: 0.6 }))
      .toBe("Answered 75 % of their last 4 requests, usually within 2 days");
    expect(responsivenessWords({ requests_considered: 1, response_rate: 1, median_response_hours: 0.2, score: 1 }))
      .toBe("Answered 100 % of 1 request, usually within an hour");
  });
  it("says a request's status", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const open = requestStatusWords({ status: "open", respond_by: "2026-01-04T00:00:00Z" }, now);
    expect(open.label).toMatch(/Waiting/);
    expect(open.detail).toMatch(/in 3 days/);
    expect(requestStatusWords({ status: "expired", respond_by: "2025-12-30T00:00:00Z" }).label).toMatch(/Expired/);
    expect(requestStatusWords({ status: "declined", declined_automatically: true }).label).toBe("Declined automatically");
  });
});
