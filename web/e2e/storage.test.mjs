// Nothing of the person stays in the browser: after signing in, using the client and signing out,
// localStorage, sessionStorage, IndexedDB and the service worker's caches hold no token and no personal
// data; the refresh token was only ever in an HttpOnly cookie; a reload after sign-out stays signed out.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BASE_URL, eventually, look, openBrowser, person, scenario, signIn, signOut } from "./harness.mjs";

const { logins, personal = [] } = scenario();
const mentee = logins["lakeside mentee1"];
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const REFRESH_COOKIE = "mmm_refresh";
// Today's placeholder titles and the finished screens' titles (web/src/features/).
const SCREENS = [
  ["/mentors", /^(Find a mentor|FindMentor)$/],
  ["/requests", /^(My requests|MyRequests)$/],
  ["/mentorships", /^(My mentorships|MyMentorships)$/],
  ["/training", /^Training$/],
  ["/account", /^(My account|Account)$/],
];

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

/** Everything the page's origin keeps: Web Storage, IndexedDB databases, Cache Storage (with bodies). */
async function stored(page) {
  return page.evaluate(async () => {
    const dump = (storage) => Object.fromEntries(Array.from({ length: storage.length }, (_, i) => storage.key(i)).map((k) => [k, storage.getItem(k)]));
    const caches_ = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      const entries = [];
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        const type = response?.headers.get("Content-Type") ?? "";
        const body = response && /text|javascript|json|css|svg|manifest/.test(type) ? await response.text() : "";
        entries.push({ url: request.url, method: request.method, type, body });
      }
      caches_.push({ name, entries });
    }
    return {
      localStorage: dump(localStorage),
      sessionStorage: dump(sessionStorage),
      indexedDB: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [],
      caches: caches_,
      documentCookie: document.cookie,
    };
  });
}

function assertNothingPersonal(where, text) {
  assert.doesNotMatch(text, JWT, `${where} holds something that looks like a token`);
  for (const value of [mentee.email, ...personal]) {
    assert.ok(!text.toLowerCase().includes(String(value).toLowerCase()), `${where} holds personal data (${value})`);
  }
}

test("after signing in, using the client and signing out, the browser keeps no token and no personal data", async () => {
  assert.ok(mentee, "the demo login 'lakeside mentee1' is in the scenario");
  const page = await person(browser);
  const context = page.context();
  await signIn(page, mentee);

  // The refresh token: an HttpOnly, SameSite=Strict cookie for identity's auth paths only, unseen by script.
  const cookie = (await context.cookies()).find((c) => c.name === REFRESH_COOKIE);
  assert.ok(cookie && cookie.value, "the refresh cookie is set after sign-in");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  assert.equal(cookie.path, "/api/v1/identity/auth");
  assert.ok(!(await page.evaluate(() => document.cookie)).includes(REFRESH_COOKIE), "script can read the refresh cookie");

  // Use the client: the screens of the mentee's menu, each looked at (axe, overflow, screenshots).
  for (const [path, title] of SCREENS) {
    await page.goto(path);
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    await page.locator(".loading").first().waitFor({ state: "detached", timeout: 20_000 }).catch(() => undefined);
    await look(page, `storage${path.replace(/\//g, "-")}`);
  }

  // The service worker is installed and its cache filled, so the check below means something.
  const shell = await eventually(async () => {
    const { caches: found } = await stored(page);
    const cache = found.find((c) => c.name.startsWith("mmm-shell-"));
    return cache && cache.entries.some((e) => new URL(e.url).pathname === "/index.html") ? cache : null;
  }, { timeout: 30_000, what: "the service worker's shell cache" });
  assert.ok(shell.entries.some((e) => /^\/assets\/.+\.js$/.test(new URL(e.url).pathname)), "the shell cache holds the scripts");

  const signedIn = await stored(page);
  for (const [where, value] of [["localStorage", signedIn.localStorage], ["sessionStorage", signedIn.sessionStorage]]) {
    assertNothingPersonal(`${where} while signed in`, JSON.stringify(value));
  }

  await signOut(page);
  const left = await stored(page);

  assertNothingPersonal("localStorage", JSON.stringify(left.localStorage));
  assertNothingPersonal("sessionStorage", JSON.stringify(left.sessionStorage));
  assert.deepEqual(left.indexedDB, [], "the client keeps no IndexedDB database");
  assertNothingPersonal("document.cookie", left.documentCookie);
  for (const cache of left.caches) {
    for (const entry of cache.entries) {
      const url = new URL(entry.url);
      assert.equal(url.origin, new URL(BASE_URL).origin, `cache ${cache.name} holds another origin's ${entry.url}`);
      assert.ok(!url.pathname.startsWith("/api/"), `cache ${cache.name} holds an API answer: ${url.pathname}`);
      assert.equal(entry.method, "GET");
      assertNothingPersonal(`cache ${cache.name} ${url.pathname}`, entry.body);
    }
  }

  // Sign-out revoked the session and cleared the cookie: a reload does not sign the person back in.
  const after_ = (await context.cookies()).find((c) => c.name === REFRESH_COOKIE);
  assert.ok(!after_ || !after_.value, "the refresh cookie is cleared at sign-out");
  await page.reload();
  await page.waitForURL("**/signin");
  await page.goto("/mentors");
  await page.waitForURL("**/signin");
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  // Even the old cookie, put back, signs nobody in: identity revoked its token family.
  const { name, value, domain, path, httpOnly, sameSite, secure } = cookie;
  await context.addCookies([{ name, value, domain, path, httpOnly, sameSite, secure }]);
  await page.goto("/mentors");
  await page.waitForURL("**/signin");
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await context.close();
});

test("offline, the installed client still opens from its shell cache (and asks to sign in)", async () => {
  const page = await person(browser);
  const context = page.context();
  await page.goto("/signin");
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await eventually(() => page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    const names = await caches.keys();
    return Boolean(registration?.active) && names.some((n) => n.startsWith("mmm-shell-"));
  }), { what: "the service worker's shell cache" });
  await context.setOffline(true);
  await page.goto("/mentors");
  await page.waitForURL("**/signin");
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  // The silent refresh could not reach identity: expected offline, the only error allowed.
  const offline = page.problems.filter((p) => /ERR_INTERNET_DISCONNECTED/.test(p));
  page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !offline.includes(p)));
  await look(page, "storage-offline-signin");
  await context.setOffline(false);
  await context.close();
});
