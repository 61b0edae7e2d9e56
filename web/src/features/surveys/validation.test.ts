import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import {
  answerError, answerErrorsOf, answersBody, countWords, isDate, newQuestion, questionBody, questionErrors, selectionHint,
  surveyBody, surveyErrorsOf, surveyHasErrors, validateAnswers, validateSurvey, type Question, type QuestionDraft, type SurveyDraft,
} from "./validation";

// Questions as the service stores them (rules.normalized: defaults written out).
const single: Question = { id: "stage", type: "single_choice", label: "Stage", required: true, options: ["School", "Residency"] };
const multi: Question = { id: "helped", type: "multiple_choice", label: "Helped", required: false, options: ["A", "B", "C", "D"], min_selections: 1, max_selections: 2 };
const text: Question = { id: "ideas", type: "text", label: "Ideas", required: false, max_length: 10 };
const whole: Question = { id: "hours", type: "number", label: "Hours", required: true, integer: true, min: 0, max: 200 };
const decimal: Question = { id: "score", type: "number", label: "Score", required: false, integer: false, min: -1.5 };
const day: Question = { id: "matched", type: "date", label: "Matched", required: false, min: "2020-01-01", max: "2030-12-31" };
const questions = [single, multi, text, whole, decimal, day];

describe("answer validation (mirrors rules.judge_answers)", () => {
  it("requires required answers and lets optional ones be blank", () => {
    expect(validateAnswers(questions, {})).toEqual({ stage: "An answer is required.", hours: "An answer is required." });
    expect(answerError(whole, "   ")).toBe("An answer is required.");
    expect(answerError(multi, [])).toBeUndefined();
    expect(answerError(text, "")).toBeUndefined();
  });

  it("accepts only the options of a choice question", () => {
    expect(answerError(single, "Residency")).toBeUndefined();
    expect(answerError(single, "Practice")).toBe("Choose one of the options.");
    expect(answerError(multi, ["A", "Z"])).toBe("Choose only among the options.");
  });

  it("counts the choices of a multiple-choice question against its limits", () => {
    expect(answerError(multi, ["A", "B"])).toBeUndefined();
    expect(answerError(multi, ["A", "B", "C"])).toBe("Choose at most 2 options.");
    expect(answerError({ ...multi, min_selections: 2, max_selections: 2 }, ["A"])).toBe("Choose exactly 2 options.");
    expect(answerError({ ...multi, min_selections: 2, max_selections: 3 }, ["A"])).toBe("Choose at least 2 options.");
  });

  it("limits text to its length after trimming", () => {
    expect(answerError(text, "  0123456789  ")).toBeUndefined();
    expect(answerError(text, "01234567890")).toBe("At most 10 characters (now 11).");
  });

  it("checks numbers: a number, whole when asked, within the bounds", () => {
    expect(answerError(whole, "12")).toBeUndefined();
    expect(answerError(whole, "twelve")).toBe("Enter a number, e.g. 12.");
    expect(answerError(whole, "1.5")).toBe("Enter a whole number.");
    expect(answerError(whole, "201")).toBe("Enter 200 or less.");
    expect(answerError(whole, "-1")).toBe("Enter 0 or more.");
    expect(answerError(decimal, "-1.25")).toBeUndefined();
    expect(answerError(decimal, "-2")).toBe("Enter -1.5 or more.");
    expect(answerError(decimal, "1e400")).toBe("Enter a number, e.g. 12.");
  });

  it("checks dates: real calendar dates within the bounds", () => {
    expect(isDate("2024-02-29")).toBe(true);
    expect(isDate("2023-02-29")).toBe(false);
    expect(answerError(day, "2026-05-31")).toBeUndefined();
    expect(answerError(day, "31/05/2026")).toBe("Enter a date, e.g. 2026-05-31.");
    expect(answerError(day, "2019-12-31")).toBe("Enter 2020-01-01 or later.");
    expect(answerError(day, "2031-01-01")).toBe("Enter 2030-12-31 or earlier.");
  });

  it("sends numbers as numbers, choices in the question's order, and leaves blanks out", () => {
    expect(answersBody(questions, { stage: "School", helped: ["C", "A"], ideas: "  ok ", hours: "12", score: "", matched: "" }))
      .toEqual({ stage: "School", helped: ["A", "C"], ideas: "ok", hours: 12 });
  });

  it("maps the service's 422 pointers onto the questions", () => {
    const problem = new ProblemError(422, {
      title: "Validation failed",
      errors: [{ pointer: "#/answers/hours", detail: "At most 200." }, { pointer: "#/answers/a~1b", detail: "No such question in this survey." },
        { pointer: "#/other", detail: "Something else." }],
    });
    expect(answerErrorsOf(problem)).toEqual({ byQuestion: { hours: "At most 200.", "a/b": "No such question in this survey." }, other: ["Something else."] });
    expect(answerErrorsOf(new Error("x"))).toEqual({ byQuestion: {}, other: [] });
  });

  it("says a multiple-choice question's limits in words", () => {
    expect(selectionHint(multi)).toBe("Choose 1 to 2 options.");
    expect(selectionHint({ ...multi, min_selections: 0, max_selections: 4 })).toBe("Choose any that apply.");
    expect(selectionHint({ ...multi, min_selections: 0, max_selections: 3 })).toBe("Choose up to 3 options.");
    expect(selectionHint({ ...multi, min_selections: 2, max_selections: 4 })).toBe("Choose at least 2 options.");
    expect(selectionHint({ ...multi, min_selections: 1, max_selections: 1 })).toBe("Choose 1 option.");
  });
});

function q(patch: Partial<QuestionDraft>): QuestionDraft {
  return { ...newQuestion([]), label: "A question", ...patch };
}

function survey(patch: Partial<SurveyDraft> = {}): SurveyDraft {
  return {
    kind: "program_feedback", title: "Feedback", description: "", response_days: "14", roles: ["mentee"], institutions: "all",
    institution_ids: [], questions: [q({ type: "text" })], ...patch,
  };
}

describe("question editor validation (mirrors QuestionIn and rules.question_errors)", () => {
  it("needs a label and a valid id", () => {
    expect(questionErrors(q({ type: "text", label: "  " }))).toEqual({ label: "Write the question." });
    expect(questionErrors(q({ type: "text", id: "1abc" })).id).toMatch(/a letter first/);
    expect(questionErrors(q({ type: "text", label: "x".repeat(501) })).label).toBe("At most 500 characters (now 501).");
  });

  it("needs two to fifty distinct options for choice questions", () => {
    expect(questionErrors(q({ type: "single_choice", options: "Only one" })).options).toMatch(/between 2 and 50/);
    expect(questionErrors(q({ type: "single_choice", options: "Yes\n yes \n" })).options).toBe("Options must differ.");
    expect(questionErrors(q({ type: "single_choice", options: "Yes\n\nNo\n" }))).toEqual({});
  });

  it("bounds the choices of a multiple-choice question by its options", () => {
    const base = { type: "multiple_choice" as const, options: "A\nB\nC" };
    expect(questionErrors(q({ ...base, max_selections: "4" })).max_selections).toBe("At most the number of options (3).");
    expect(questionErrors(q({ ...base, min_selections: "3", max_selections: "2" })).min_selections).toBe("Must not be more than the most choices.");
    expect(questionErrors(q({ ...base, min_selections: "x" })).min_selections).toMatch(/whole number/);
    expect(questionErrors(q({ ...base, min_selections: "0", max_selections: "3" }))).toEqual({});
  });

  it("checks a text question's length and a number's and a date's bounds", () => {
    expect(questionErrors(q({ type: "text", max_length: "5001" })).max_length).toMatch(/1 to 5000/);
    expect(questionErrors(q({ type: "number", min: "10", max: "1" })).min).toBe("Must not be more than the highest.");
    expect(questionErrors(q({ type: "number", min: "0.5", integer: true })).min).toMatch(/whole number/);
    expect(questionErrors(q({ type: "number", max: "lots" })).max).toBe("Must be a number.");
    expect(questionErrors(q({ type: "date", min: "2030-01-01", max: "2020-01-01" })).min).toBe("Must not be after the latest.");
    expect(questionErrors(q({ type: "date", min: "2030-13-01" })).min).toMatch(/YYYY-MM-DD/);
  });

  it("checks the survey: title, days, audience, at least one question, distinct ids", () => {
    expect(surveyHasErrors(validateSurvey(survey()))).toBe(false);
    const bad = validateSurvey(survey({ title: "", response_days: "0", roles: [], questions: [] }));
    expect(bad.title).toBe("Give the survey a title.");
    expect(bad.response_days).toMatch(/1 to 365/);
    expect(bad.roles).toBe("Choose at least one group to ask.");
    expect(bad.questions).toBe("Add at least one question.");
    expect(validateSurvey(survey({ kind: "career_update", roles: ["mentor"] })).roles).toBe("Career updates are asked of mentees and alumni only.");
    expect(validateSurvey(survey({ institutions: "some" })).institution_ids).toMatch(/at least one institution/);
    const twins = [q({ type: "text", id: "same" }), q({ type: "text", id: "same" })];
    const errors = validateSurvey(survey({ questions: twins }));
    expect(errors.byQuestion[twins[0].key]).toBeUndefined();
    expect(errors.byQuestion[twins[1].key]).toEqual({ id: "Another question has the id same." });
  });

  it("gives new questions ids that are not taken", () => {
    const first = newQuestion([]);
    const second = newQuestion([first]);
    expect([first.id, second.id]).toEqual(["q1", "q2"]);
    expect(newQuestion([{ ...first, id: "q2" }]).id).toBe("q3");
    expect(second.key).not.toBe(first.key);
  });

  it("sends only the fields a question's type uses", () => {
    const leftovers = { options: "A\nB", min: "1", max: "9", max_length: "20", min_selections: "1" };
    expect(questionBody(q({ id: "t", type: "text", ...leftovers }))).toEqual({ id: "t", type: "text", label: "A question", required: false, max_length: 20 });
    expect(questionBody(q({ id: "n", type: "number", integer: true, ...leftovers })))
      .toEqual({ id: "n", type: "number", label: "A question", required: false, integer: true, min: 1, max: 9 });
    expect(questionBody(q({ id: "m", type: "multiple_choice", ...leftovers, max_selections: "" })))
      .toEqual({ id: "m", type: "multiple_choice", label: "A question", required: false, options: ["A", "B"], min_selections: 1 });
    const body = surveyBody(survey({ roles: ["alumni", "mentee"], response_days: "" }));
    expect(body.audience).toEqual({ roles: ["mentee", "alumni"], institution_ids: null });
    expect(body.response_days).toBeNull();
  });

  it("maps the service's 422 pointers onto the editor's fields", () => {
    const draft = survey({ questions: [q({ type: "text" }), q({ type: "single_choice", options: "A" })] });
    const problem = new ProblemError(422, { errors: [
      { pointer: "#/questions/1/options", detail: "Give between 2 and 50 options." },
      { pointer: "#/title", detail: "Too long." },
      { pointer: "#/audience/roles", detail: "Career updates are asked of mentees and alumni only." },
      { pointer: "#/whatever", detail: "Odd." },
    ] });
    const mapped = surveyErrorsOf(problem, draft);
    expect(mapped.byQuestion[draft.questions[1].key]).toEqual({ options: "Give between 2 and 50 options." });
    expect(mapped.title).toBe("Too long.");
    expect(mapped.roles).toMatch(/Career updates/);
    expect(mapped.other).toEqual(["Odd."]);
  });
});

describe("withheld counts", () => {
  it("says a withheld count in words", () => {
    expect(countWords(null)).toBe("fewer than 3 — withheld");
    expect(countWords(undefined, 5)).toBe("fewer than 5 — withheld");
    expect(countWords(0)).toBe("0");
    expect(countWords(7)).toBe("7");
  });
});
