// Research data requests: a mentor asks for data (the missing IRB number pointed out first), the operator
// approves it with a reason after confirming, the mentor downloads the ZIP; a mentee does not find the
// request; an administrator finds no decision buttons, even on their own request; the operator reads the
// research audit log. tests/web/test_research.py prepares the administrator's request and checks the result.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, settled, signIn } from "./harness.mjs";

const { mentor, mentee, admin, operator, title, admin_request_id: adminRequestId, period_start: periodStart, period_end: periodEnd } = scenario();
const tag = title.split(" ").pop();
let browser;
let requestPath;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test("a mentor submits a data request, after the form points out a missing IRB number", async () => {
  const page = await person(browser);
  await signIn(page, mentor);
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("link", { name: "Research data" }).click();
  await heading(page, "Research data");
  await settled(page);
  assert.match(await page.locator("main").innerText(), /You have not asked for research data yet/);
  await page.getByLabel("Title of the study").fill(title);
  await page.getByLabel("Purpose").fill("Does mentoring by faculty of similar background change residency match rates?");
  await page.getByLabel("IRB status").selectOption("approved");
  await page.getByRole("checkbox", { name: "Mentorships" }).check();
  await page.getByRole("checkbox", { name: "Evaluations" }).check();
  assert.match(await page.locator("main").innerText(), /Columns: mentor, kind, submitted_month/);
  await page.getByLabel(/^From( |$)/).fill(periodStart);
  await page.getByLabel(/^To( |$)/).fill(periodEnd);
  await page.getByRole("button", { name: "Submit the request" }).click();
  await page.getByText("Enter the IRB protocol number: it is required when the study is approved or exempt.").waitFor();
  await look(page, "research-form-error");

  await page.getByLabel("IRB protocol number").fill(`IRB-${tag}`);
  await page.getByRole("button", { name: "Submit the request" }).click();
  await heading(page, title);
  await page.getByText("Your request is submitted.").waitFor();
  requestPath = new URL(page.url()).pathname;
  assert.match(requestPath, /^\/research\/requests\/[0-9a-f-]{36}$/);
  assert.match(await page.locator("main").innerText(), /Waiting for a decision/);
  assert.equal(await page.getByRole("button", { name: "Approve" }).count(), 0, "a requester cannot decide");
  await look(page, "research-request-submitted");
  await page.context().close();
});

test("the operator approves it with a reason, after confirming", async () => {
  const page = await person(browser);
  await signIn(page, operator);
  await page.goto("/research/requests");
  await heading(page, "Research data");
  await settled(page);
  await page.getByRole("link", { name: title }).click();
  await heading(page, title);
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText("Give a reason: the requester reads it with the decision.").waitFor();
  await page.getByLabel("Reason").fill("IRB approval on file; de-identified data only");
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText(/Approve this request\?/).waitFor();
  await look(page, "research-decision-confirm");
  await page.getByRole("button", { name: "Yes, approve" }).click();
  await page.getByText("Only the requester can download the export.").waitFor();
  const main = await page.locator("main").innerText();
  assert.match(main, /Approved/);
  assert.match(main, /IRB approval on file; de-identified data only/);
  assert.equal(await page.getByRole("button", { name: "Approve" }).count(), 0);
  await look(page, "research-request-approved");
  await page.context().close();
});

test("the mentor downloads the export as a ZIP", async () => {
  const page = await person(browser);
  await signIn(page, mentor);
  await page.goto(requestPath);
  await heading(page, title);
  assert.match(await page.locator("main").innerText(), /IRB approval on file; de-identified data only/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download the export" }).click()]);
  const bytes = fs.readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 2).toString(), "PK", "a ZIP");
  assert.match(download.suggestedFilename(), /^research-export-\d{4}-\d{2}-\d{2}\.zip$/);
  await page.getByText("The export was downloaded.").waitFor();
  await look(page, "research-export-downloaded");

  await page.goto("/research/requests");
  await heading(page, "Research data");
  const card = page.getByRole("article").filter({ has: page.getByRole("link", { name: title }) });
  await card.waitFor();
  assert.match(await card.innerText(), /Approved/);
  assert.match(await card.innerText(), /Reason for the decision: “IRB approval on file/);
  await page.context().close();
});

test("a mentee does not find the mentor's request", async () => {
  const page = await person(browser);
  await signIn(page, mentee);
  await page.goto(requestPath);
  await heading(page, "Page not found");
  assert.match(await page.locator("main").innerText(), /no data request of yours at this address/);
  await page.goto("/research/requests");
  await heading(page, "Research data");
  await settled(page);
  assert.doesNotMatch(await page.locator("main").innerText(), new RegExp(title));
  await look(page, "research-mentee-empty");
  await page.context().close();
});

test("an administrator cannot decide: not the mentor's request, nor their own", async () => {
  const page = await person(browser);
  await signIn(page, admin);
  await page.goto(requestPath);
  await heading(page, "Page not found");
  await page.goto(`/research/requests/${adminRequestId}`);
  await heading(page, /Advising outcomes/);
  await settled(page);
  assert.match(await page.locator("main").innerText(), /Not decided yet/);
  assert.equal(await page.getByRole("button", { name: "Approve" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Deny" }).count(), 0);
  await look(page, "research-admin-own-request");
  await page.goto("/research/audit");
  await heading(page, "Page not found");
  await page.context().close();
});

test("the operator reads the research audit log", async () => {
  const page = await person(browser);
  await signIn(page, operator);
  await page.goto("/research/requests");
  await heading(page, "Research data");
  await page.getByRole("link", { name: "Research audit log" }).click();
  await heading(page, "Research audit log");
  await settled(page);
  const main = await page.locator("main").innerText();
  for (const words of ["Request submitted", "Request decided", "Export created", "Download link created", "Export downloaded"]) {
    assert.match(main, new RegExp(words));
  }
  await page.getByLabel("Action").selectOption("export_downloaded");
  await page.getByRole("cell", { name: "Export downloaded" }).first().waitFor();
  await look(page, "research-audit");
  await page.context().close();
});
