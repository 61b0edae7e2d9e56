// The Lakeside admin invites mentors from a CSV file: a file with one bad row is refused as a whole (the
// row and the field named, nothing imported), the corrected file invites all three, listed at once (and a
// file of mentees, one); then
// they change the rewards Lakeside offers its mentors, and the saved rewards are there after a reload.
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

function csvFile(rows) {
  return { name: "mentors.csv", mimeType: "text/csv", buffer: Buffer.from(["name,email,criteria,evidence", ...rows].join("\r\n") + "\r\n") };
}

test("the lakeside admin invites three mentors from a file, after correcting it", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside admin"]);
  await page.waitForURL(`**/institutions/${s.lakeside_id}`);
  await heading(page, "Lakeside School of Medicine");
  await page.getByRole("link", { name: "Invitations", exact: true }).click();
  await heading(page, "Invitations");
  await settled(page);

  const importing = section(page, "Invite from a file");
  const form = importing.getByRole("form", { name: "Invite from a file" });
  assert.ok(await form.getByLabel("Mentors").isChecked(), "mentors are the file's default");
  // the template is made in the browser: the columns identity reads, and an example
  const [download] = await Promise.all([page.waitForEvent("download"),
    form.getByRole("button", { name: /Download a template \(mentors/ }).click()]);
  assert.equal(download.suggestedFilename(), "mentor-invitations-template.csv");
  const template = fs.readFileSync(await download.path(), "utf8").split("\r\n");
  assert.equal(template[0], "name,email,criteria,evidence");

  // no file chosen: said next to the field, nothing sent
  await form.getByRole("button", { name: "Upload and invite the mentors" }).click();
  await form.getByText("Choose the CSV file to upload.").waitFor();

  const [first, second, third] = s.mentors;
  const good = (m) => `${m.name},${m.email},${m.criteria},${m.evidence}`;
  // row 3 (as the spreadsheet counts, the header being row 1) has no e-mail address
  await form.getByLabel(/^CSV file/).setInputFiles(csvFile([good(first), `${second.name},${second.email.replace("@", " at ")},${second.criteria},${second.evidence}`, good(third)]));
  // while the file is checked, the button says so and is busy
  let release, passed;
  const held = new Promise((resolve) => { release = resolve; });
  const through = new Promise((resolve) => { passed = resolve; });
  await page.route("**/mentor-invitations/import", async (route) => { await held; await route.continue(); passed(); });
  await form.getByRole("button", { name: "Upload and invite the mentors" }).click();
  const busy = form.getByRole("button", { name: "Uploading and checking…" });
  await busy.waitFor();
  assert.equal(await busy.getAttribute("aria-busy"), "true");
  assert.ok(await busy.isDisabled());
  release();
  await through;
  await page.unroute("**/mentor-invitations/import");

  await importing.getByText("Nothing was imported").waitFor();
  assert.match(await importing.locator(".error-note").innerText(), /Correct row 3 of the file and upload it again; no mentor was invited/);
  const problems = importing.getByRole("table", { name: "Problems in the file" });
  const problem = problems.locator("tbody tr");
  assert.equal(await problem.count(), 1);
  assert.deepEqual((await problem.locator("td").allInnerTexts()).slice(0, 2), ["3", "E-mail address"]);
  assert.match(await problem.innerText(), /is not an e-mail address/);
  const sent = section(page, "Sent invitations");
  await settled(page);
  for (const m of s.mentors) assert.equal(await sent.getByText(m.email).count(), 0, `${m.email} was invited from a refused file`);
  await look(page, "admin-import-refused");

  // corrected: all three invited, and listed at once
  await form.getByLabel(/^CSV file/).setInputFiles(csvFile(s.mentors.map(good)));
  assert.equal(await importing.getByText("Nothing was imported").count(), 0, "the problems of the refused file are still shown after another file was chosen");
  await form.getByRole("button", { name: "Upload and invite the mentors" }).click();
  await importing.getByText("3 mentor invitations sent.", { exact: false }).waitFor();
  for (const m of s.mentors) {
    const row = sent.locator("tr", { hasText: m.email });
    await row.waitFor();
    assert.match(await row.innerText(), /Mentor[\s\S]*Waiting for an answer/);
  }
  await look(page, "admin-import-sent");

  // a file of mentees needs only their names and e-mail addresses
  await form.getByLabel("Mentees").check();
  await form.getByRole("button", { name: /Download a template \(mentees/ }).waitFor();
  await form.getByLabel(/^CSV file/).setInputFiles({ name: "mentees.csv", mimeType: "text/csv",
    buffer: Buffer.from(`\uFEFFname,email\r\n${s.mentee.name},${s.mentee.email}\r\n`) });
  await form.getByRole("button", { name: "Upload and invite the mentees" }).click();
  await importing.getByText("1 mentee invitation sent.", { exact: false }).waitFor();
  assert.match(await sent.locator("tr", { hasText: s.mentee.email }).innerText(), /Mentee[\s\S]*Waiting for an answer/);
  await page.context().close();
});

test("the lakeside admin changes the rewards offered to mentors", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside admin"]);
  await page.waitForURL(`**/institutions/${s.lakeside_id}`);
  await heading(page, "Lakeside School of Medicine");
  await page.getByRole("link", { name: "Rewards for mentors" }).click();
  await heading(page, "Rewards for mentors");
  await settled(page);

  const reward = (name) => page.getByRole("group", { name, exact: true });
  // Lakeside's rewards as the demo set them
  assert.ok(await reward("CME credit").getByLabel("Offered to mentors").isChecked());
  assert.equal(await reward("CME credit").getByLabel(/^Details/).inputValue(), "CME for every training module");
  assert.ok(await reward("Recognition in promotion").getByLabel("Offered to mentors").isChecked());
  assert.ok(!(await reward("Dedicated FTE (protected time)").getByLabel("Offered to mentors").isChecked()));
  await look(page, "admin-rewards");

  await reward("Recognition in promotion").getByLabel("Offered to mentors").uncheck();
  await reward("Dedicated FTE (protected time)").getByLabel("Offered to mentors").check();
  await reward("Dedicated FTE (protected time)").getByLabel(/^Details/).fill(s.fte_details);
  await reward("CME credit").getByLabel(/^Details/).fill(s.cme_details);
  await page.getByRole("button", { name: "Save the rewards" }).click();
  await page.getByText("The rewards were saved.", { exact: false }).waitFor();
  assert.match(await page.locator(".notice").innerText(), /Offered to mentors: Dedicated FTE \(protected time\); CME credit\./);
  await look(page, "admin-rewards-saved");

  await page.reload();
  await heading(page, "Rewards for mentors");
  await settled(page);
  assert.ok(!(await reward("Recognition in promotion").getByLabel("Offered to mentors").isChecked()));
  assert.ok(await reward("Dedicated FTE (protected time)").getByLabel("Offered to mentors").isChecked());
  assert.equal(await reward("Dedicated FTE (protected time)").getByLabel(/^Details/).inputValue(), s.fte_details);
  assert.equal(await reward("CME credit").getByLabel(/^Details/).inputValue(), s.cme_details);
  assert.ok(!(await reward("Financial compensation").getByLabel("Offered to mentors").isChecked()));
  await page.context().close();
});
