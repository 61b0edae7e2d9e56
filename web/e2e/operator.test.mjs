// The operator: institutions with their compliance in words (and as CSV); the ejected mentor that
// Python prepared (R12, through the platform) is reinstated with a note and leaves the list; the
// sensitive-read audit log shows the read Python made; a new institution is created and its dashboard
// opens.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, settled, signIn } from "./harness.mjs";

const s = scenario();
const { logins } = s;
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function csv(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const text = fs.readFileSync(await download.path(), "utf8");
  return { header: text.split(/\r?\n/)[0], text };
}

test("the operator sees every institution's compliance in words", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  await heading(page, "Institutions");
  await settled(page);
  const lakeside = page.locator("tr", { hasText: "Lakeside School of Medicine" });
  assert.match(await lakeside.innerText(), /Minimum (not )?met: \d+ enrolled of 25 required/);
  assert.match(await page.locator("tr", { hasText: "Harbor City HBCU" }).innerText(), /No minimum applies/);
  await look(page, "operator-institutions");
  const list = await csv(page, page.getByRole("button", { name: "Download institutions (CSV)" }));
  assert.equal(list.header, "Institution,Kind,Class size,Enrolled mentors,Minimum,Still needed,Compliance,Subscription");
  assert.match(list.text, /Lakeside School of Medicine,Academic medical school,42,/);
  await lakeside.getByRole("link", { name: "Lakeside School of Medicine" }).click();
  await heading(page, "Lakeside School of Medicine");
  await settled(page);
  await look(page, "operator-dashboard");
  await page.context().close();
});

test("the operator reinstates an ejected mentor with a note", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Ejected mentors" }).click();
  await heading(page, "Ejected mentors");
  await settled(page);
  const card = page.getByRole("article", { name: s.ejected.name });
  await card.waitFor();
  assert.match(await card.innerText(), /Unresponsive: 2 requests expired unanswered/);
  assert.match(await card.innerText(), /Harbor City HBCU College of Medicine/);
  await look(page, "operator-ejected");

  await card.getByRole("button", { name: `Reinstate ${s.ejected.name}` }).click();
  // the note is required: said next to the field
  await card.getByRole("button", { name: "Confirm reinstatement" }).click();
  await card.getByText(/Write a note/).waitFor();
  await card.getByLabel(/^Note/).fill("Reviewed with the dean: requests were missed during leave");
  await look(page, "operator-reinstate-confirm");
  await card.getByRole("button", { name: "Confirm reinstatement" }).click();
  const done = page.getByRole("status").filter({ hasText: "Reinstated just now" });
  await done.waitFor();
  assert.match(await done.innerText(), new RegExp(`${s.ejected.name} — status active \\(reinstated\\)`));
  await card.waitFor({ state: "detached" });
  await look(page, "operator-reinstated");
  await page.context().close();
});

test("the operator reads the sensitive-data audit log", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  await page.goto("/audit");
  await heading(page, "Sensitive-data audit log");
  await settled(page);
  const entry = page.locator("tr", { hasText: s.purpose });
  await entry.waitFor();
  assert.match(await entry.innerText(), /Lakeside School of Medicine Admin/);
  assert.match(await entry.innerText(), /Mentee profile/);
  await look(page, "operator-audit");
  // only this reader's reads
  await entry.getByRole("button", { name: "Only reads by Lakeside School of Medicine Admin" }).click();
  await page.getByRole("button", { name: "Clear the filters" }).waitFor();
  await settled(page);
  const readers = await page.locator("tbody tr").allInnerTexts();
  assert.ok(readers.length >= 1 && readers.every((r) => r.includes("Lakeside School of Medicine Admin")), readers.join("\n"));
  await page.context().close();
});

test("the operator creates an institution and lands on its dashboard", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  await heading(page, "Institutions");
  await page.getByRole("link", { name: "Create an institution" }).click();
  await heading(page, "Create an institution");
  await look(page, "operator-new-institution");

  const form = page.getByRole("form", { name: "Create an institution" });
  await form.getByRole("button", { name: "Create the institution" }).click();
  await form.getByText("Enter the institution's name.").waitFor();
  await form.getByLabel(/^Name/).fill(s.institution);
  await form.getByLabel(/^Medical-school class size/).fill("64");
  await form.getByText("Mentor minimum: 50 enrolled mentors.").waitFor();
  await form.getByLabel(/^Contact name/).fill("Office of Student Affairs");
  await form.getByLabel(/^Contact e-mail/).fill("affairs@bayview.example.org");
  await form.getByLabel("CME credit", { exact: true }).check();
  await form.getByLabel(/^CME credit: details/).fill("CME for every training module");
  await form.getByRole("button", { name: "Create the institution" }).click();
  await heading(page, s.institution);
  await settled(page);
  assert.match(await page.locator("main").innerText(), /Minimum not met: 0 enrolled of 50 required/);
  await page.getByText("No applications are waiting for a decision.").waitFor();
  await look(page, "operator-new-dashboard");
  await page.context().close();
});
