import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import {
  EMPTY_FORM, conflictWords, groupEvaluations, hasErrors, mentorOf, questionsOf, ratingWords, recommendWords,
  statusWords, submissionOf, validateEvaluation, withheldSentence, type EvaluationForm,
} from "./evaluation";

const complete: EvaluationForm = {
  availability: 4, responsiveness: 5, guidance: 3, overall: 4, would_recommend: true, program_text: "", shared_text: "",
};

describe("validateEvaluation", () => {
  it("accepts four ratings and a yes/no, the texts being optional", () => {
    expect(hasErrors(validateEvaluation(complete))).toBe(false);
    expect(hasErrors(validateEvaluation({ ...complete, would_recommend: false }))).toBe(false);
  });
  it("names every unanswered question at once", () => {
    const errors = validateEvaluation(EMPTY_FORM);
    expect(Object.keys(errors).sort()).toEqual(["availability", "guidance", "overall", "responsiveness", "would_recommend"]);
    expect(errors.guidance).toMatch(/1 to 5.*guidance/);
    expect(errors.would_recommend).toMatch(/yes or no/);
  });
  it("refuses a rating outside 1-5 and texts over the limit", () => {
    expect(validateEvaluation({ ...complete, overall: 6 }).overall).toMatch(/1 to 5/);
    expect(validateEvaluation({ ...complete, overall: 2.5 }).overall).toMatch(/whole/);
    expect(validateEvaluation({ ...complete, shared_text: "x".repeat(4001) }).shared_text).toMatch(/4000.*4001/);
    expect(validateEvaluation({ ...complete, program_text: "x".repeat(4000) }).program_text).toBeUndefined();
  });
  it("sends trimmed texts, null when empty, and the form's version", () => {
    expect(submissionOf({ ...complete, program_text: "  ", shared_text: " Thanks! " }, 2)).toEqual({
      form_version: 2, availability: 4, responsiveness: 5, guidance: 3, overall: 4, would_recommend: true,
      program_text: null, shared_text: "Thanks!",
    });
  });
});

describe("the form's questions", () => {
  it("reads the definition and skips what it does not know", () => {
    const qs = questionsOf({ questions: [
      { id: "availability", type: "rating", min: 1, max: 5, required: true, label: "How available?" },
      { id: "odd", type: "slider" }, null,
      { id: "shared_text", type: "text", max_length: 4000, label: "A comment" },
    ] });
    expect(qs.map((q) => [q.id, q.type, q.required])).toEqual([["availability", "rating", true], ["shared_text", "text", false]]);
    expect(questionsOf(undefined)).toEqual([]);
  });
});

describe("evaluations in words", () => {
  it("puts overdue then due first, submitted below, newest first", () => {
    const list = [
      { id: "s1", status: "submitted", submitted_at: "2026-01-01T00:00:00Z" },
      { id: "d2", status: "due", open: true, due_at: "2026-03-01T00:00:00Z" },
      { id: "o1", status: "overdue", open: true, due_at: "2026-02-01T00:00:00Z" },
      { id: "d1", status: "due", open: true, due_at: "2026-01-15T00:00:00Z" },
      { id: "s2", status: "submitted", submitted_at: "2026-02-01T00:00:00Z" },
      { id: "c", status: "overdue", open: false },
      { id: "x", status: "cancelled" },
    ];
    const g = groupEvaluations(list);
    expect(g.open.map((e) => e.id)).toEqual(["o1", "d1", "d2"]);
    expect(g.submitted.map((e) => e.id)).toEqual(["s2", "s1"]);
    expect(g.other.map((e) => e.id)).toEqual(["c", "x"]);
  });
  it("says the status in words, a closed one as closed", () => {
    expect(statusWords({ status: "overdue", open: true }).label).toBe("Overdue");
    expect(statusWords({ status: "due", open: false }).label).toBe("Closed");
    expect(statusWords({ status: "submitted" }).label).toBe("Submitted");
  });
  it("names the mentor, or says 'Your mentor'", () => {
    expect(mentorOf({ mentor: { user_id: "m", name: "Dr. Ada" } })).toEqual({ id: "m", name: "Dr. Ada" });
    expect(mentorOf({ mentor: { user_id: "m", name: null } }).name).toBe("Your mentor");
    expect(mentorOf({}).id).toBeUndefined();
  });
  it("explains each 409 in words", () => {
    const p = (type: string) => new ProblemError(409, { type: `https://mentormemed.org/problems/${type}`, detail: "x" });
    expect(conflictWords(p("already-submitted"))).toMatch(/already submitted/);
    expect(conflictWords(p("evaluation-closed"))).toMatch(/closed/);
    expect(conflictWords(p("something-new"))).toBe("x");
    expect(conflictWords(new ProblemError(422, {}))).toBeNull();
  });
});

describe("feedback in words", () => {
  it("says averages as 'x.y of 5' and the share who would recommend", () => {
    expect(ratingWords(4.333)).toBe("4.3 of 5");
    expect(ratingWords(5)).toBe("5.0 of 5");
    expect(ratingWords(null)).toBe("—");
    expect(recommendWords(0.6667)).toBe("67 % would recommend");
  });
  it("says why the summary is withheld, without figures of the answers", () => {
    expect(withheldSentence(1)).toMatch(/at least 3 evaluations.*1 so far, 2 more needed/);
    expect(withheldSentence(0)).toMatch(/0 so far, 3 more needed/);
  });
});
