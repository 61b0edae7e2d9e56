import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import { prepareModuleHtml, progressWords, retryNotEnrolled, validateAnswers } from "./training";

describe("a module's body", () => {
  it("drops its title heading, moves headings one level down, removes inline styles", () => {
    const html = prepareModuleHtml(
      '<h1>Asking for what you need</h1><p>Text</p><h2>How to ask</h2><table><tr><td style="text-align: right">1</td></tr></table><a href="https://x.org">x</a>',
      "Asking for what you need");
    expect(html).not.toContain("<h1");
    expect(html).toContain("<h3>How to ask</h3>");
    expect(html).not.toContain("style=");
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });
  it("keeps a first heading that is not the title, one level down", () => {
    expect(prepareModuleHtml("<h1>Other</h1>", "Title")).toBe("<h2>Other</h2>");
  });
});

describe("knowledge check", () => {
  it("needs every question answered", () => {
    expect(validateAnswers([0, undefined, 1, undefined], 4)).toEqual({ missing: [2, 4], error: "Answer questions 2 and 4 before checking your answers." });
    expect(validateAnswers([], 1).error).toBe("Answer question 1 before checking your answers.");
    expect(validateAnswers([1, 0], 2)).toEqual({ missing: [] });
  });
  it("says progress in words", () => {
    expect(progressWords({ status: "check_passed" }, true).label).toMatch(/attest/);
    expect(progressWords({ status: "attested", update_available: true }, true).label).toMatch(/newer version/);
  });
  it("waits for an enrollment on its way, not for other refusals", () => {
    expect(retryNotEnrolled(3, new ProblemError(409, { type: "https://x/problems/not-enrolled" }))).toBe(true);
    expect(retryNotEnrolled(0, new ProblemError(404, {}))).toBe(false);
  });
});
