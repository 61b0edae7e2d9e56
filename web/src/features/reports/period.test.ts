import { describe, expect, it } from "vitest";
import { addDays, addYears, lastTwelveMonths, periodFromAnswer, periodQuery, validatePeriod } from "./period";

describe("the period picker", () => {
  it("defaults to the last 12 months, today included", () => {
    expect(lastTwelveMonths("2026-05-10")).toEqual({ from: "2025-05-11", to: "2026-05-10" });
    expect(lastTwelveMonths("2026-12-31")).toEqual({ from: "2026-01-01", to: "2026-12-31" });
  });
  it("adds days and years on the calendar, 29 February becoming 28", () => {
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
    expect(addYears("2024-02-29", 1)).toBe("2025-02-28");
    expect(addYears("2030-01-15", -5)).toBe("2025-01-15");
  });
  it("sends the day after the last day as `to`, and reads it back", () => {
    expect(periodQuery({ from: "2025-01-01", to: "2025-12-31" })).toEqual({ from: "2025-01-01", to: "2026-01-01" });
    expect(periodFromAnswer({ from: "2025-01-01", to: "2026-01-01" })).toEqual({ from: "2025-01-01", to: "2025-12-31" });
    expect(periodFromAnswer(undefined)).toBeNull();
  });
  it("needs both dates, the last after the first, at most 5 years", () => {
    const today = "2026-06-01";
    expect(validatePeriod({ from: "2025-06-02", to: "2026-06-01" }, today)).toEqual({});
    expect(validatePeriod({ from: "", to: "" }, today)).toEqual({
      from: "Enter the first day of the period.", to: "Enter the last day of the period." });
    expect(validatePeriod({ from: "2026-02-30", to: "2026-03-01" }, today).from).toMatch(/year-month-day/);
    expect(validatePeriod({ from: "2026-03-01", to: "2026-03-01" }, today).to).toMatch(/after the first/);
    expect(validatePeriod({ from: "2026-03-01", to: "2026-02-01" }, today).to).toMatch(/after the first/);
    expect(validatePeriod({ from: "2020-01-01", to: "2024-12-31" }, today)).toEqual({});
    expect(validatePeriod({ from: "2020-01-01", to: "2025-01-01" }, today).to).toMatch(/5 years/);
    expect(validatePeriod({ from: "2027-01-01", to: "2027-02-01" }, today).from).toMatch(/future/);
    expect(validatePeriod({ from: "1999-12-31", to: "2000-02-01" }, today).from).toMatch(/2000/);
  });
});
