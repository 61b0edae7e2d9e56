// Problem details (RFC 9457) as people read them: the service's detail, each invalid field named in
// words, and something sensible when the answer is not JSON at all or never came.
import { describe, expect, test } from "vitest";
import { describe as describeError, fieldOfPointer, humanField, networkProblem, problemFromResponse, ProblemError } from "./problem";

const problemResponse = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json", ...headers } });

describe("problemFromResponse", () => {
  test("keeps the service's detail, title, type slug and request id", async () => {
    const error = await problemFromResponse(problemResponse(409, {
      type: "https://mentormemed.org/problems/no-open-slot", title: "Conflict", status: 409,
      detail: "Dr. Moreno has no open slot right now.", request_id: "req-1",
    }));
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.status).toBe(409);
    expect(error.code).toBe("no-open-slot");
    expect(error.message).toBe("Dr. Moreno has no open slot right now.");
    expect(error.requestId).toBe("req-1");
    expect(describeError(error)).toEqual({ title: "Conflict", detail: "Dr. Moreno has no open slot right now.", fields: [], requestId: "req-1" });
  });

  test("the X-Request-Id header wins over the body's", async () => {
    const error = await problemFromResponse(problemResponse(400, { detail: "Bad." , request_id: "body-id" }, { "X-Request-Id": "header-id" }));
    expect(error.requestId).toBe("header-id");
  });

  test("field errors by JSON pointer or query parameter, shown with human field names", async () => {
    const error = await problemFromResponse(problemResponse(422, {
      type: "https://mentormemed.org/problems/validation", title: "Unprocessable Content", status: 422,
      detail: "Some fields are not valid.",
      errors: [
        { pointer: "/goals/0", detail: "Shorter than minimum length 3." },
        { pointer: "#/request_received", detail: "Not a valid boolean." },
        { parameter: "page_size", detail: "Must be at most 50." },
        { detail: "The request as a whole is refused." },
        { pointer: "/ignored" }, // no detail: not shown
      ],
    }));
    expect(error.fieldError("goals/0")).toBe("Shorter than minimum length 3.");
    expect(error.fieldError("request_received")).toBe("Not a valid boolean.");
    expect(error.fieldError("page_size")).toBe("Must be at most 50.");
    expect(error.fieldError("email")).toBeUndefined();
    expect(describeError(error).fields).toEqual([
      "Goals 1: Shorter than minimum length 3.",
      "Request received: Not a valid boolean.",
      "Page size: Must be at most 50.",
      "The request as a whole is refused.",
    ]);
  });

  test("a non-JSON 502 (a proxy's HTML page) still says what happened in words", async () => {
    const response = new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", {
      status: 502, headers: { "Content-Type": "text/html", "X-Request-Id": "gw-7" },
    });
    const error = await problemFromResponse(response);
    expect(error.status).toBe(502);
    expect(error.title).toBe("The service is unavailable");
    expect(error.detail).toBe("The service did not answer. Please try again in a moment.");
    expect(error.requestId).toBe("gw-7");
    expect(describeError(error).detail).not.toContain("<");
  });

  test("a 5xx problem keeps its own detail", async () => {
    const error = await problemFromResponse(problemResponse(503, { title: "Service Unavailable", detail: "Busy; retry in 2 s." }));
    expect(error.detail).toBe("Busy; retry in 2 s.");
  });

  test("an empty or non-object body falls back to the status's title", async () => {
    const empty = await problemFromResponse(new Response(null, { status: 404 }));
    expect(empty.title).toBe("Not found");
    expect(describeError(empty).detail).toBe("Not found");
    const list = await problemFromResponse(new Response("[1, 2]", { status: 403 }));
    expect(list.title).toBe("Not allowed");
    expect(list.errors).toEqual([]);
  });

  test("the response body can still be read after the problem was made", async () => {
    const response = problemResponse(400, { detail: "x" });
    await problemFromResponse(response);
    expect(await response.json()).toEqual({ detail: "x" });
  });
});

test("a network error is a problem with status 0, in words", () => {
  const error = networkProblem();
  expect(error.status).toBe(0);
  expect(error.title).toBe("No connection");
  expect(describeError(error).detail).toBe("MentorMeMed could not be reached. Check your connection and try again.");
});

test("any other error is described by its message", () => {
  expect(describeError(new Error("Chunk failed to load"))).toEqual({ title: "Something went wrong", detail: "Chunk failed to load", fields: [] });
  expect(describeError("plain")).toEqual({ title: "Something went wrong", detail: "plain", fields: [] });
});

test("humanField and fieldOfPointer", () => {
  expect(humanField("request_received")).toBe("Request received");
  expect(humanField("goals/0")).toBe("Goals 1");
  expect(humanField("contact/email")).toBe("Contact email");
  expect(fieldOfPointer("/goals/0")).toBe("goals/0");
  expect(fieldOfPointer("#/email")).toBe("email");
  expect(fieldOfPointer(undefined)).toBeUndefined();
});
