// The browser session with a fake server (an injected fetch): silent refresh on a 401 with one retry,
// one refresh at a time, a failed refresh signs out, sign-out forgets the token even offline, and the
// access token is never written anywhere but memory.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { ProblemError } from "../api/problem";
import { decodeClaims, Session } from "./session";

const ORIGIN = "http://localhost";
const API = `${ORIGIN}/api/v1/mentorship/requests`;

interface Call {
  method: string;
  url: string;
  authorization: string | null;
  body: string | null;
}

type Handler = (call: Call) => Response | Promise<Response>;

/** A fake platform: records each request and answers with the handler's response. */
function server(handler: Handler) {
  const calls: Call[] = [];
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), ORIGIN), init);
    const call: Call = {
      method: request.method,
      url: new URL(request.url).pathname,
      authorization: request.headers.get("Authorization"),
      body: request.method === "GET" ? null : await request.clone().text(),
    };
    calls.push(call);
    return handler(call);
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

const json = (status: number, body: unknown, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
const tokens = (access: string, expiresIn = 900) => json(200, { access_token: access, expires_in: expiresIn, token_type: "Bearer" });
const problem = (status: number, slug: string, detail: string) =>
  json(status, { type: `https://mentormemed.org/problems/${slug}`, title: slug, status, detail }, "application/problem+json");

const paths = (calls: Call[]) => calls.map((c) => `${c.method} ${c.url}`);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  localStorage.clear();
  sessionStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("sign-in", () => {
  test("asks identity for the refresh token in a cookie and keeps the access token in memory", async () => {
    const { calls, fetchImpl } = server(() => tokens("access-1"));
    const session = new Session(fetchImpl);
    await session.signIn("mentee1@example.org", "secret-password");
    expect(session.signedIn).toBe(true);
    expect(session.accessToken()).toBe("access-1");
    expect(paths(calls)).toEqual(["POST /api/v1/identity/auth/token"]);
    expect(JSON.parse(calls[0].body!)).toEqual({ email: "mentee1@example.org", password: "secret-password", refresh_in: "cookie" });
  });

  test("a refused sign-in is a ProblemError with the service's words, and nobody is signed in", async () => {
    const { fetchImpl } = server(() => problem(401, "invalid-credentials", "The e-mail address or password is wrong."));
    const session = new Session(fetchImpl);
    const error = await session.signIn("a@b.c", "nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).detail).toBe("The e-mail address or password is wrong.");
    expect((error as ProblemError).code).toBe("invalid-credentials");
    expect(session.signedIn).toBe(false);
  });
});

describe("silent refresh", () => {
  test("a 401 is refreshed from the cookie once and the request retried with the new token", async () => {
    let apiCalls = 0;
    const { calls, fetchImpl } = server((call) => {
      if (call.url.endsWith("/auth/token")) return tokens("old");
      if (call.url.endsWith("/auth/refresh")) return tokens("new");
      apiCalls += 1;
      return call.authorization === "Bearer new" ? json(200, { items: [] }) : problem(401, "unauthorized", "Expired.");
    });
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    const response = await session.fetch(new Request(API));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ items: [] });
    expect(apiCalls).toBe(2);
    expect(paths(calls)).toEqual([
      "POST /api/v1/identity/auth/token",
      "GET /api/v1/mentorship/requests",
      "POST /api/v1/identity/auth/refresh",
      "GET /api/v1/mentorship/requests",
    ]);
    expect(calls[1].authorization).toBe("Bearer old");
    expect(calls[3].authorization).toBe("Bearer new");
    expect(calls[2].body).toBe("{}"); // the refresh token travels in the HttpOnly cookie, not the body
  });

  test("the retry happens once: a second 401 is returned, not refreshed again", async () => {
    const { calls, fetchImpl } = server((call) => {
      if (call.url.endsWith("/auth/token")) return tokens("old");
      if (call.url.endsWith("/auth/refresh")) return tokens("new");
      return problem(401, "unauthorized", "Still not.");
    });
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    const response = await session.fetch(new Request(API));
    expect(response.status).toBe(401);
    expect(paths(calls).filter((p) => p.endsWith("/auth/refresh"))).toHaveLength(1);
    expect(paths(calls).filter((p) => p.endsWith("/requests"))).toHaveLength(2);
  });

  test("a request body is sent again on the retry", async () => {
    const { calls, fetchImpl } = server((call) => {
      if (call.url.endsWith("/auth/token")) return tokens("old");
      if (call.url.endsWith("/auth/refresh")) return tokens("new");
      return call.authorization === "Bearer new" ? json(201, { id: "r1" }) : problem(401, "unauthorized", "Expired.");
    });
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    const body = JSON.stringify({ mentor_id: "m1", message: "Hello" });
    const response = await session.fetch(new Request(API, { method: "POST", body, headers: { "Content-Type": "application/json" } }));
    expect(response.status).toBe(201);
    const posts = calls.filter((c) => c.url.endsWith("/requests"));
    expect(posts.map((c) => c.body)).toEqual([body, body]);
  });

  test("refreshes are single-flight: concurrent 401s share one refresh", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { calls, fetchImpl } = server(async (call) => {
      if (call.url.endsWith("/auth/token")) return tokens("old");
      if (call.url.endsWith("/auth/refresh")) {
        await gate;
        return tokens("new");
      }
      return call.authorization === "Bearer new" ? json(200, { ok: true }) : problem(401, "unauthorized", "Expired.");
    });
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    const pending = [1, 2, 3].map(() => session.fetch(new Request(API)));
    await vi.waitFor(() => expect(paths(calls).filter((p) => p.endsWith("/auth/refresh"))).toHaveLength(1));
    release();
    const responses = await Promise.all(pending);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(paths(calls).filter((p) => p.endsWith("/auth/refresh"))).toHaveLength(1);
  });

  test("across tabs, a refresh holds the Web Lock mmm-refresh", async () => {
    const names: string[] = [];
    const locks = { request: vi.fn(async (name: string, fn: () => Promise<unknown>) => { names.push(name); return fn(); }) };
    vi.stubGlobal("navigator", { ...navigator, locks });
    try {
      const { fetchImpl } = server((call) => (call.url.endsWith("/auth/refresh") ? tokens("new") : tokens("old")));
      const session = new Session(fetchImpl);
      expect(await session.refresh()).toBe(true);
      expect(names).toEqual(["mmm-refresh"]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  test("a refresh that fails signs the person out and tells the listeners", async () => {
    const { calls, fetchImpl } = server((call) => {
      if (call.url.endsWith("/auth/token")) return tokens("old");
      if (call.url.endsWith("/auth/refresh")) return problem(401, "invalid-token", "The session has ended.");
      return problem(401, "unauthorized", "Expired.");
    });
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    const listener = vi.fn();
    session.subscribe(listener);
    const response = await session.fetch(new Request(API));
    expect(response.status).toBe(401);
    expect(session.signedIn).toBe(false);
    expect(session.accessToken()).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
    // A later call goes without any token.
    await session.fetch(new Request(API));
    expect(calls.at(-1)!.authorization).toBeNull();
  });

  test("at start, no refresh cookie means no session (and no error)", async () => {
    const { fetchImpl } = server(() => problem(401, "invalid-token", "No refresh token."));
    const session = new Session(fetchImpl);
    expect(await session.refresh()).toBe(false);
    expect(session.signedIn).toBe(false);
  });

  test("the token is renewed a minute before it expires", async () => {
    const { calls, fetchImpl } = server((call) => (call.url.endsWith("/auth/refresh") ? tokens("renewed", 300) : tokens("first", 300)));
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    await vi.advanceTimersByTimeAsync(239_000);
    expect(paths(calls).filter((p) => p.endsWith("/auth/refresh"))).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(paths(calls).filter((p) => p.endsWith("/auth/refresh"))).toHaveLength(1);
    expect(session.accessToken()).toBe("renewed");
    await session.signOut();
  });

  test("a request cannot reach the server: a ProblemError in words (status 0)", async () => {
    const fetchImpl = vi.fn(async () => { throw new TypeError("Failed to fetch"); }) as unknown as typeof fetch;
    const session = new Session(fetchImpl);
    const error = await session.fetch(new Request(API)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(0);
    expect((error as ProblemError).detail).toMatch(/could not be reached/);
  });
});

describe("sign-out", () => {
  test("revokes on the server and forgets the token", async () => {
    const { calls, fetchImpl } = server((call) => (call.url.endsWith("/auth/signout") ? new Response(null, { status: 204 }) : tokens("t")));
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    await session.signOut();
    expect(paths(calls)).toEqual(["POST /api/v1/identity/auth/token", "POST /api/v1/identity/auth/signout"]);
    expect(calls[1].authorization).toBe("Bearer t");
    expect(session.signedIn).toBe(false);
    expect(session.accessToken()).toBeNull();
  });

  test("forgets the token even when the server cannot be reached", async () => {
    let online = true;
    const fetchImpl = vi.fn(async () => {
      if (!online) throw new TypeError("Failed to fetch");
      return tokens("t");
    }) as unknown as typeof fetch;
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    const listener = vi.fn();
    session.subscribe(listener);
    online = false;
    await expect(session.signOut()).resolves.toBeUndefined();
    expect(session.signedIn).toBe(false);
    expect(session.accessToken()).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  test("forgets the token when the server answers with an error", async () => {
    const { fetchImpl } = server((call) => (call.url.endsWith("/auth/signout") ? problem(503, "unavailable", "Down.") : tokens("t")));
    const session = new Session(fetchImpl);
    await session.signIn("a@b.c", "pw");
    await session.signOut();
    expect(session.signedIn).toBe(false);
  });
});

test("the access token is never written to localStorage, sessionStorage or a script-readable cookie", async () => {
  const setItem = vi.spyOn(Storage.prototype, "setItem");
  const { fetchImpl } = server((call) => {
    if (call.url.endsWith("/auth/token")) return tokens("eyJhbGciOiJFZERTQSJ9.first.sig");
    if (call.url.endsWith("/auth/refresh")) return tokens("eyJhbGciOiJFZERTQSJ9.second.sig");
    if (call.url.endsWith("/auth/signout")) return new Response(null, { status: 204 });
    return call.authorization?.includes("second") ? json(200, {}) : problem(401, "unauthorized", "Expired.");
  });
  const session = new Session(fetchImpl);
  await session.signIn("a@b.c", "pw");
  await session.fetch(new Request(API));
  expect(session.accessToken()).toContain("second");
  await session.signOut();
  expect(setItem).not.toHaveBeenCalled();
  expect(localStorage.length).toBe(0);
  expect(sessionStorage.length).toBe(0);
  expect(document.cookie).not.toContain("eyJ");
});

describe("decodeClaims", () => {
  const jwt = (payload: unknown) =>
    ["e30", btoa(JSON.stringify(payload)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), "sig"].join(".");

  test("reads role, subject and institution from the token's payload", () => {
    expect(decodeClaims(jwt({ sub: "u1", role: "institution_admin", inst: "i1", exp: 1 }))).toEqual({
      sub: "u1", role: "institution_admin", inst: "i1",
    });
  });

  test("reads an operator without institution", () => {
    expect(decodeClaims(jwt({ sub: "u2", role: "operator", inst: null }))?.inst).toBeNull();
  });

  test("gives null for a token that is not a JWT or lacks a role", () => {
    expect(decodeClaims("opaque")).toBeNull();
    expect(decodeClaims("a.%%%.c")).toBeNull();
    expect(decodeClaims(jwt({ sub: "u1" }))).toBeNull();
  });
});
