import createClient from "openapi-fetch";
import { describe, expect, it } from "vitest";
import { csvBody, data, problemOf } from "./client";
import type { paths as IdentityPaths } from "./schema/identity";
import { ProblemError } from "./problem";

// openapi-fetch reads an error answer's body itself (into `error`): the problem must come from there.
describe("data() and an error answer", () => {
  it("keeps the service's detail, type and field errors although the body was read", async () => {
    const response = new Response('{"x":1}', { status: 410, headers: { "X-Request-Id": "req-9" } });
    await response.text(); // as openapi-fetch does
    const body = { type: "https://mentormemed.org/problems/invitation-revoked", title: "Gone",
      detail: "This invitation has been revoked; ask for a new one.", errors: [{ pointer: "#/token", detail: "Gone." }] };
    const error = await data(Promise.resolve({ error: body, response })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    const problem = error as ProblemError;
    expect(problem.status).toBe(410);
    expect(problem.code).toBe("invitation-revoked");
    expect(problem.detail).toBe("This invitation has been revoked; ask for a new one.");
    expect(problem.fieldError("token")).toBe("Gone.");
    expect(problem.requestId).toBe("req-9");
  });
  it("says the status in words when the body was not a JSON object", async () => {
    const response = new Response("<html>Bad gateway</html>", { status: 502 });
    await response.text();
    const problem = await problemOf({ error: "<html>Bad gateway</html>", response });
    expect(problem.status).toBe(502);
    expect(problem.detail).toMatch(/did not answer/);
  });
});

// The bulk imports take a CSV file as it is: not JSON-encoded, named text/csv.
describe("csvBody()", () => {
  it("sends the text unchanged as text/csv", async () => {
    const sent: Request[] = [];
    const client = createClient<IdentityPaths>({
      baseUrl: "http://mmm.test",
      fetch: async (request: Request) => {
        sent.push(request);
        return new Response('{"kind":"mentee","count":1,"invitations":[]}', { status: 201, headers: { "Content-Type": "application/json" } });
      },
    });
    const text = "name,email\r\nJosé \"Pepe\" Ruiz,jr@example.org\r\n";
    const created = await data(client.POST("/api/v1/identity/institutions/{institution_id}/mentee-invitations/import",
      { params: { path: { institution_id: "i-1" } }, ...csvBody(text) }));
    expect(created.count).toBe(1);
    expect(sent[0].url).toBe("http://mmm.test/api/v1/identity/institutions/i-1/mentee-invitations/import");
    expect(sent[0].headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(await sent[0].text()).toBe(text);
  });
});
