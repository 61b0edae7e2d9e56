// Sign-in as each role lands on the role's first screen; a wrong password is said in words.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, signIn, signOut } from "./harness.mjs";

const { logins } = scenario();
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test("a wrong password is refused in words, with nothing else said", async () => {
  const page = await person(browser);
  await page.goto("/signin");
  await heading(page, "Sign in");
  await look(page, "signin");
  await page.getByLabel("E-mail address").fill(logins.operator.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").innerText(), /password|e-mail/i);
  await look(page, "signin-refused");
  await page.context().close();
});

test("the operator signs in, sees the institutions and signs out", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  await heading(page, "Institutions");
  await signOut(page);
  await page.goto("/institutions");
  await page.waitForURL("**/signin");
  await page.context().close();
});
