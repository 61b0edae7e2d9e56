// Accepting invitations (the token in the link's fragment): a mentor reads the agreement, sets a password
// and is signed in at once; an invited mentee also gives a profile and the eligibility attestation and
// then waits for the institution's approval; a used, revoked or unknown invitation is said in words.
// pytest (tests/web/test_mentee.py) creates the invitations through the admin's API.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario } from "./harness.mjs";

const s = scenario();
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test("a mentor accepts the invitation and is signed in", async () => {
  const page = await person(browser);
  await page.goto(`/accept-invitation#token=${s.mentor.token}`);
  await heading(page, "Accept your invitation");
  const facts = await page.locator("main dl").innerText();
  assert.match(facts, new RegExp(s.institution));
  assert.match(facts, /Mentor/);
  assert.match(facts, new RegExp(s.mentor.email.replace(/[.+]/g, "\\$&")));
  assert.equal(await page.locator("section.sensitive").count(), 0, "a mentor is not asked for eligibility");
  await look(page, "accept-invitation-mentor");

  // Too short a password and unequal confirmation are caught before anything is sent.
  await page.getByLabel(/^Password/).fill("short");
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.getByText("Use at least 10 characters.").waitFor();
  await page.getByText("Read the agreement and tick the box to accept it.").waitFor();
  await look(page, "accept-invitation-invalid");

  await page.getByLabel(/^Password/).fill(s.password);
  await page.getByLabel("Confirm password").fill(s.password);
  await page.getByLabel(/I have read and accept the/).check();
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.waitForURL("**/requests"); // signed in: a mentor's first screen
  await page.goto("/account");
  await heading(page, "My account");
  assert.match(await page.locator("main").innerText(), new RegExp(s.mentor.name));
  await page.context().close();

  // The same link again: already used, in words.
  const again = await person(browser);
  await again.goto(`/accept-invitation#token=${s.mentor.token}`);
  await heading(again, "Accept your invitation");
  await again.getByText("This invitation has already been used.", { exact: false }).waitFor();
  await look(again, "accept-invitation-used");
  await again.context().close();
});

test("an invited mentee attests eligibility and waits for approval", async () => {
  const page = await person(browser);
  await page.goto(`/accept-invitation#token=${s.mentee.token}`);
  await heading(page, "Accept your invitation");
  const sensitive = page.locator("section.sensitive");
  assert.match(await sensitive.innerText(), /Who sees it/);
  await look(page, "accept-invitation-mentee");
  await page.getByLabel(/^Password/).fill(s.password);
  await page.getByLabel("Confirm password").fill(s.password);
  await page.getByLabel(/I have read and accept the/).check();
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.getByText("Choose at least one: the program is for learners of these groups.", { exact: false }).waitFor();
  await sensitive.getByLabel(/economically disadvantaged/).check();
  await sensitive.getByLabel(/I attest/).check();
  await sensitive.getByLabel("Black or African American").check();
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.getByText("Invitation accepted.").waitFor();
  assert.match(await page.locator("main").innerText(), /approves mentee applications before anyone can sign\s+in/);
  await look(page, "accept-invitation-mentee-waiting");

  await page.goto("/signin");
  await page.getByLabel("E-mail address").fill(s.mentee.email);
  await page.getByLabel("Password").fill(s.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").innerText(), /waiting for approval/);
  await look(page, "signin-pending-approval");
  await page.context().close();
});

test("a revoked or unknown invitation is said in words", async () => {
  const page = await person(browser);
  await page.goto(`/accept-invitation#token=${s.revoked_token}`);
  await heading(page, "Accept your invitation");
  await page.getByText("This invitation was withdrawn by your institution.", { exact: false }).waitFor();
  await look(page, "accept-invitation-revoked");
  await page.goto("/accept-invitation#token=not-a-real-invitation-token");
  await page.reload();
  await heading(page, "Accept your invitation");
  await page.getByText("This invitation link is not valid.", { exact: false }).waitFor();
  await page.goto("/accept-invitation");
  await heading(page, "Accept your invitation");
  await page.getByText("missing its invitation code", { exact: false }).waitFor();
  await look(page, "accept-invitation-missing");
  await page.context().close();
});

test("registration checks its answers before sending, and says an unknown enrollment code at its field", async () => {
  const page = await person(browser);
  await page.goto("/register");
  await heading(page, "Register as a mentee");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByText("Some answers need your attention").waitFor();
  for (const words of ["Enter the enrollment code your school gave you.", "Enter your name.", "Enter your e-mail address.",
    "Choose a password.", "Choose at least one: the program is for learners of these groups.",
    "Tick the box to attest that what you chose is true.", "Read the agreement and tick the box to accept it."]) {
    await page.getByText(words).waitFor();
  }
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-invalid")), "true",
    "the focus moves to the first field to correct");
  await look(page, "register-invalid");

  await page.getByLabel("Enrollment code").fill("NOSUCHCODE");
  await page.getByLabel("Full name").fill("Casey Example");
  await page.getByLabel("E-mail address").fill(`e2e-unknown-code-${Date.now()}@example.org`);
  await page.getByLabel(/^Password/).fill(s.password);
  await page.getByLabel("Confirm password").fill(s.password);
  await page.getByLabel(/low-income|economically disadvantaged/).check();
  await page.getByLabel(/I attest/).check();
  await page.getByLabel(/I have read and accept the/).check();
  await page.getByRole("button", { name: "Register" }).click();
  const field = page.locator(".field").filter({ has: page.getByLabel("Enrollment code") });
  await field.getByText("Unknown enrollment code.").waitFor();
  await look(page, "register-unknown-code");
  await page.context().close();
});
