import { describe, expect, it } from "vitest";
import { ProblemError } from "../../api/problem";
import { DETAILS_MAX, offeredInWords, rewardForm, rewardPolicy, rewardServerErrors, validateRewards } from "./rewards";

describe("the reward policy form", () => {
  it("starts from the saved policy, whatever its shape", () => {
    const form = rewardForm({ cme_credit: { offered: true, details: "12 credits" }, dedicated_fte: { offered: false, details: "0.1" },
      financial_compensation: "yes", unknown_reward: { offered: true } });
    expect(form.cme_credit).toEqual({ offered: true, details: "12 credits" });
    expect(form.dedicated_fte).toEqual({ offered: false, details: "0.1" });
    expect(form.financial_compensation).toEqual({ offered: false, details: "" });
    expect(form.promotion_recognition).toEqual({ offered: false, details: "" });
    expect(Object.keys(rewardForm(null))).toHaveLength(5);
  });
  it("saves the whole policy: the offered rewards with their trimmed details", () => {
    const form = rewardForm({});
    form.cme_credit = { offered: true, details: "  Up to 12 credits a year " };
    form.promotion_recognition = { offered: true, details: "  " };
    form.dedicated_fte = { offered: false, details: "kept in the form, not sent" };
    expect(rewardPolicy(form)).toEqual({
      promotion_recognition: { offered: true, details: null },
      cme_credit: { offered: true, details: "Up to 12 credits a year" },
    });
    expect(rewardPolicy(rewardForm({}))).toEqual({});
  });
  it("refuses details longer than the service takes, on the offered reward only", () => {
    const form = rewardForm({});
    form.cme_credit = { offered: true, details: "x".repeat(DETAILS_MAX + 1) };
    form.dedicated_fte = { offered: false, details: "x".repeat(DETAILS_MAX + 1) };
    const errors = validateRewards(form);
    expect(Object.keys(errors)).toEqual(["cme_credit"]);
    expect(errors.cme_credit).toMatch(/“CME credit” are longer than 2,000 characters/);
    form.cme_credit.details = "x".repeat(DETAILS_MAX);
    expect(validateRewards(form)).toEqual({});
  });
  it("puts the service's refusal next to the reward it names", () => {
    const refusal = new ProblemError(422, { errors: [
      { pointer: "#/cme_credit/details", detail: "Longer than maximum length 2000." },
      { pointer: "#/dedicated_fte/offered", detail: "Missing data for required field." },
      { pointer: "#/cash", detail: "Unknown field." },
    ] });
    expect(rewardServerErrors(refusal)).toEqual({
      byReward: { cme_credit: "Longer than maximum length 2000.", dedicated_fte: "Missing data for required field." },
      other: true,
    });
    expect(rewardServerErrors(new ProblemError(422, { errors: [{ pointer: "#/cme_credit", detail: "Not a valid mapping type." }] })))
      .toEqual({ byReward: { cme_credit: "Not a valid mapping type." }, other: false });
    expect(rewardServerErrors(new ProblemError(503, {})).other).toBe(true);
    expect(rewardServerErrors(null)).toEqual({ byReward: {}, other: false });
  });
  it("says what is offered in words", () => {
    expect(offeredInWords(rewardForm({}))).toBe("No reward is offered to mentors yet.");
    expect(offeredInWords(rewardForm({ cme_credit: { offered: true }, promotion_recognition: { offered: true } })))
      .toBe("Offered to mentors: Recognition in promotion; CME credit.");
  });
});
