// An institution admin (the demo's "lakeside admin") sees their own institution only: Lakeside's
// dashboard with R1 in words, a pending application they review (an audited read) and decline with a
// reason, CSV downloads, the invitations (invite a mentor on an R2 criterion, revoke) and the event
// feeds (subscribe, the secret shown once, delete); another institution's dashboard is refused in
// words and shows nothing of it.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, settled, signIn } from "./harness.mjs";

const s = scenario();
const { logins } = s;
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

function section(page, title) {
  return page.locator("section.card", { has: page.getByRole("heading", { level: 2, name: title, exact: true }) });
}

/** Click a CSV button and read the file the browser saved. */
async function csv(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const text = fs.readFileSync(await download.path(), "utf8");
  return { filename: download.suggestedFilename(), header: text.split(/\r?\n/)[0], text };
}

test("the lakeside admin works on Lakeside's dashboard and nowhere else", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside admin"]);
  await page.waitForURL(`**/institutions/${s.lakeside_id}`);
  await heading(page, "Lakeside School of Medicine");
  await settled(page);

  // R1 said in words, not by colour alone
  assert.match(await section(page, "Enrolled mentors").innerText(), /Minimum (not )?met: \d+ enrolled of \d+ required/);
  // the application, named, with its two buttons and no eligibility data until asked for
  const applications = section(page, "Mentee applications");
  const row = applications.getByRole("article", { name: s.applicant });
  await row.waitFor();
  await row.getByRole("button", { name: "Approve" }).waitFor();
  await row.getByRole("button", { name: "Decline" }).waitFor();
  assert.doesNotMatch(await row.innerText(), /first-generation|race|Black/i);
  await look(page, "admin-dashboard");

  // CSV of the applications: the header row and the applicant
  const applicationsCsv = await csv(page, applications.getByRole("button", { name: "Download applications (CSV)" }));
  assert.equal(applicationsCsv.header, "Name,E-mail,Applied");
  assert.match(applicationsCsv.text, new RegExp(s.applicant));
  assert.match(applicationsCsv.filename, /^lakeside-school-of-medicine-mentee-applications-\d{4}-\d{2}-\d{2}\.csv$/);
  const counts = await csv(page, section(page, "Mentorships").getByRole("button", { name: "Download counts (CSV)" }));
  assert.equal(counts.header, "What,Of our mentees,With our mentors");
  const mentors = section(page, "Mentors in the directory").getByRole("button", { name: "Download mentors (CSV)" });
  if (await mentors.isEnabled()) {
    assert.equal((await csv(page, mentors)).header,
      "Mentor,Status,Training completed,Listed in search,Profile complete,Missing in profile,Scope,Active mentees,Open slots");
  }

  // the eligibility review: a reason first, then only the attested basis
  await row.getByRole("button", { name: /Review eligibility/ }).click();
  await row.getByLabel(/Why are you reading this record/).fill("Deciding the application");
  await row.getByRole("button", { name: "Show eligibility" }).click();
  await row.getByText("First-generation college graduate").waitFor();
  assert.match(await row.innerText(), /audit log/);
  assert.doesNotMatch(await row.innerText(), /Black|race|555 0142/i);
  await look(page, "admin-eligibility");

  // decline, with a reason
  await row.getByRole("button", { name: `Decline ${s.applicant}` }).click();
  await row.getByLabel(/Reason for declining/).fill("Enrollment at another school");
  await row.getByRole("button", { name: "Decline application" }).click();
  await applications.getByText(`The application of ${s.applicant} was declined.`).waitFor();
  await row.waitFor({ state: "detached" });

  // another institution's dashboard: refused in words, nothing of it shown
  await page.goto(`/institutions/${s.other_id}`);
  await heading(page, "Dashboard not available");
  await page.getByText("This institution's dashboard is not open to you.").waitFor();
  const body = await page.locator("main").innerText();
  assert.ok(!body.includes(s.other_name), "the other institution's name is shown");
  assert.doesNotMatch(body, /Enrolled mentors|Mentee applications|Enrollment code/);
  await look(page, "admin-refused");
  await page.goto(`/institutions/${s.other_id}/invitations`);
  await heading(page, "Invitations");
  await page.getByText("This institution's invitations are not open to you.").waitFor();
  await page.context().close();
});

test("the lakeside admin invites a mentor on an R2 criterion, revokes, and downloads the list", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside admin"]);
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Invitations" }).click();
  await heading(page, "Invitations");
  await settled(page);

  const tag = Math.random().toString(36).slice(2, 8);
  const name = `Dr. Invited ${tag}`;
  const email = `e2e-invited-${tag}@example.org`;
  const form = page.getByRole("form", { name: "Invite a mentor" });
  // the criterion and the evidence are required (R2): said next to the fields
  await form.getByLabel(/^Name/).fill(name);
  await form.getByLabel(/^E-mail address/).fill(email);
  await form.getByRole("button", { name: "Invite the mentor" }).click();
  await form.getByText("Choose at least one admission criterion.").waitFor();
  await form.getByLabel("Track record: a teaching award").check();
  await form.getByLabel(/^Evidence/).fill("Golden Apple teaching award, 2024");
  await form.getByRole("button", { name: "Invite the mentor" }).click();
  await form.getByText(`An invitation e-mail was sent to ${name} (${email}).`).waitFor();
  assert.doesNotMatch(await page.locator("main").innerText(), /token/i);

  const sent = section(page, "Sent invitations");
  const row = sent.locator("tr", { hasText: name });
  await row.waitFor();
  assert.match(await row.innerText(), /Waiting for an answer/);
  await look(page, "admin-invitations");

  const list = await csv(page, sent.getByRole("button", { name: "Download invitations (CSV)" }));
  assert.equal(list.header, "Name,E-mail,Invited as,Status,Sent,Expires,Accepted,Revoked");
  assert.match(list.text, new RegExp(`${name},${email},Mentor,Waiting for an answer`));

  await row.getByRole("button", { name: `Revoke the invitation of ${name}` }).click();
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await sent.getByText(`The invitation of ${name} was revoked; its link no longer works.`).waitFor();
  await row.getByText("Revoked", { exact: true }).waitFor();

  // a mentor's admission basis (R2): only after saying why, and written to the audit log
  const basis = page.getByRole("form", { name: "Read a mentor's admission basis" });
  await basis.getByLabel(/^Mentor/).selectOption({ label: "Dr. Priya Raman" });
  await basis.getByLabel(/Why are you reading this record/).fill("Promotion letter for the mentor");
  await basis.getByRole("button", { name: "Show the admission basis" }).click();
  await page.getByText("Evidence: Golden Apple teaching award, 2023").waitFor();
  await page.getByText("Track record: a teaching award").last().waitFor();
  await look(page, "admin-admission-basis");

  // a mentee invitation needs only a name and an e-mail
  await page.getByLabel("A mentee").check();
  const mentee = page.getByRole("form", { name: "Invite a mentee" });
  await mentee.getByLabel(/^Name/).fill(`Student ${tag}`);
  await mentee.getByLabel(/^E-mail address/).fill(`e2e-student-${tag}@example.org`);
  await mentee.getByRole("button", { name: "Invite the mentee" }).click();
  await mentee.getByText(`An invitation e-mail was sent to Student ${tag}`, { exact: false }).waitFor();
  await look(page, "admin-invitations-mentee");
  await page.context().close();
});

test("the lakeside admin subscribes an event feed, sees its secret once, and deletes it", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside admin"]);
  await page.goto(`/institutions/${s.lakeside_id}/webhooks`);
  await heading(page, "Event feeds");
  await settled(page);
  await look(page, "admin-webhooks");

  const form = page.getByRole("form", { name: "Subscribe an address" });
  await form.getByLabel(/^Address/).fill("http://127.0.0.1:9/mentormemed-e2e-hook");
  await form.getByLabel(/\(MenteeEnrolled\)/).check();
  await form.getByRole("button", { name: "Subscribe" }).click();
  await page.getByText("only this once", { exact: false }).waitFor();
  const secret = await page.locator("code.secret").innerText();
  assert.match(secret, /^whsec_/);
  await look(page, "admin-webhook-secret");
  await page.getByRole("button", { name: "I have stored the secret" }).click();
  assert.equal(await page.getByText(secret).count(), 0);

  await page.getByRole("link", { name: "http://127.0.0.1:9/mentormemed-e2e-hook" }).click();
  await heading(page, "Webhook subscription");
  await settled(page);
  await page.getByText("Nothing has been delivered to this address yet.").or(page.getByRole("table", { name: /Deliveries/ })).first().waitFor();
  await look(page, "admin-webhook");
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await heading(page, "Event feeds");
  await page.getByText("No webhook subscriptions yet.").waitFor();
  await page.context().close();
});
