import { describe, expect, it } from "vitest";
import { newIdempotencyKey, parseGoals, refusalAdvice, validateRequest } from "./requestForm";

describe("request form (RequestIn's limits)", () => {
  it("takes one goal per line, without blank lines or bullets", () => {
    expect(parseGoals("  residency applications \n\n- research\n2. step 1 \r\nUSMLE")).toEqual(
      ["residency applications", "research", "step 1", "USMLE"]);
  });
  it("needs a message and 1 to 10 goals of at most 300 characters", () => {
    expect(validateRequest("", "a")).toEqual({ message: expect.stringMatching(/message/) });
    expect(validateRequest("Hello", " \n ")).toEqual({ goals: expect.stringMatching(/at least one/) });
    expect(validateRequest("Hello", Array.from({ length: 11 }, (_, i) => `goal ${i}`).join("\n")).goals).toMatch(/at most 10/);
    expect(validateRequest("Hello", `ok\n${"x".repeat(301)}`).goals).toMatch(/Goal 2 is too long/);
    expect(validateRequest("x".repeat(4001), "ok").message).toMatch(/at most 4000/);
    expect(validateRequest("Hello", `${"x".repeat(300)}\nresidency`)).toEqual({});
  });
  it("makes a UUID v4 key, also without crypto.randomUUID", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(newIdempotencyKey()).toMatch(uuid);
    const fallback = newIdempotencyKey({ getRandomValues: (a) => crypto.getRandomValues(a) });
    expect(fallback).toMatch(uuid);
    expect(newIdempotencyKey()).not.toBe(newIdempotencyKey());
  });
  it("says what to do after a refusal", () => {
    expect(refusalAdvice("mentee-not-trained")?.link?.to).toBe("/training");
    expect(refusalAdvice("request-already-open")?.link?.to).toBe("/requests");
    expect(refusalAdvice("something-else")).toBeNull();
  });
});
