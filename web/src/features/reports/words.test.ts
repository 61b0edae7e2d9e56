import { describe, expect, it } from "vitest";
import { durationWords, evaluationWords, periodWords } from "./words";

describe("participation figures in words", () => {
  it("says response times in minutes, hours or days", () => {
    expect(durationWords(0.25)).toBe("15 min");
    expect(durationWords(5.26)).toBe("5.3 hours");
    expect(durationWords(50)).toBe("2.1 days");
    expect(durationWords(null)).toBe("—");
  });
  it("shows averages only when not withheld, and says why otherwise", () => {
    expect(evaluationWords(2, true, null, 3)).toBe("2 — averages withheld (fewer than 3)");
    expect(evaluationWords(4, false, 4.25, 3)).toBe("4 — overall 4.3 of 5");
    expect(evaluationWords(0, true, null, 3)).toBe("None");
  });
  it("names a period's first and last day", () => {
    expect(periodWords("2025-01-01", "2025-12-31", (iso) => iso.slice(0, 10))).toBe("2025-01-01 – 2025-12-31");
  });
});
