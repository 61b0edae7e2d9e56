// The evaluation screens: a mentee sees a final evaluation due, answers it (a missing rating is pointed
// out first) and sees it submitted; the mentor's feedback is withheld under 3 evaluations and shows no
// answer; the admin of the mentor's institution reads the participation report (evaluations withheld)
// and downloads its CSV. tests/web/test_evaluation.py makes and concludes the mentorship.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, settled, signIn } from "./harness.mjs";

const { mentee, mentor, admin, institution_id: institutionId, evaluation_id: evaluationId, comment } = scenario();
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  return { filename: download.suggestedFilename(), bytes: fs.readFileSync(await download.path()) };
}

test("a mentee sees the final evaluation due, answers it and sees it submitted", async () => {
  const page = await person(browser);
  await signIn(page, mentee);
  const menu = page.getByRole("button", { name: "Menu" });
  await menu.click();
  await page.getByRole("link", { name: "My evaluations" }).click();
  await heading(page, "My evaluations");
  const toAnswer = page.getByRole("list", { name: "Evaluations to answer" });
  const card = toAnswer.getByRole("article").filter({ has: page.getByRole("heading", { name: mentor.name, exact: true }) });
  await card.waitFor();
  const text = await card.innerText();
  assert.match(text, /Due/);
  assert.match(text, /Final evaluation/);
  assert.match(text, /Closes/);
  await look(page, "evaluations-due");

  await card.getByRole("link", { name: `Evaluate now: ${mentor.name}` }).click();
  await page.waitForURL(`**/evaluations/${evaluationId}`);
  await heading(page, `Evaluate ${mentor.name}`);
  await settled(page);
  const group = (name) => page.getByRole("group", { name });
  await group(/How available/).getByRole("radio", { name: /^5/ }).check();
  await group(/How quickly and reliably/).getByRole("radio", { name: /^4/ }).check();
  await group(/quality of your mentor's guidance/).getByRole("radio", { name: /^5/ }).check();
  await page.getByLabel("A comment for your mentor (optional)").fill(comment);
  const main = await page.locator("main").innerText();
  assert.match(main, /without your name, and only once at least 3 evaluations/);
  // the overall rating and the recommendation are left out: the form says so before anything is sent
  await page.getByRole("button", { name: "Submit evaluation" }).click();
  await page.getByText("Some answers are missing").waitFor();
  await page.getByText("Choose a rating from 1 to 5 for your overall rating.").waitFor();
  await page.getByText("Answer yes or no.").waitFor();
  await look(page, "evaluation-form-errors");

  await group(/Overall, how would you rate/).getByRole("radio", { name: /^4/ }).check();
  await group(/Would you recommend/).getByRole("radio", { name: "Yes" }).check();
  await page.getByRole("button", { name: "Submit evaluation" }).click();
  await page.getByText("Thank you: your evaluation is submitted.").waitFor();
  await page.getByText("Submitted", { exact: true }).first().waitFor();
  const answers = await page.locator("main").innerText();
  assert.match(answers, /5 of 5 \(Always available\)/);
  assert.match(answers, new RegExp(comment));
  assert.equal(await page.getByRole("button", { name: "Submit evaluation" }).count(), 0, "no form once submitted");
  await look(page, "evaluation-submitted");

  await page.goto("/evaluations");
  await heading(page, "My evaluations");
  const submitted = page.getByRole("list", { name: "Submitted evaluations" });
  await submitted.getByRole("heading", { name: mentor.name, exact: true }).waitFor();
  assert.match(await page.locator("main").innerText(), /Nothing to answer now/);
  await look(page, "evaluations-submitted");
  await page.context().close();
});

test("the mentor's feedback is withheld under 3 evaluations; the participation PDF downloads", async () => {
  const page = await person(browser);
  await signIn(page, mentor);
  await page.goto("/feedback");
  await heading(page, "My feedback");
  await settled(page);
  const main = await page.locator("main").innerText();
  assert.match(main, /1 submitted evaluation/);
  assert.match(main, /Withheld/);
  assert.match(main, /withheld until at least 3 evaluations have been submitted \(1 so far, 2 more needed\)/);
  assert.doesNotMatch(main, new RegExp(comment), "no comment shown under 3 evaluations");
  assert.doesNotMatch(main, /\d\.\d of 5|would recommend/i, "no figure shown under 3 evaluations");
  await look(page, "feedback-withheld");

  // the period picker checks its dates first
  await page.getByLabel(/^To( |$)/).fill("2001-01-01");
  await page.getByRole("button", { name: "Download my participation report (PDF)" }).click();
  await page.getByText("The last day must be after the first day.").waitFor();
  await page.getByLabel(/^To( |$)/).fill(new Date().toISOString().slice(0, 10));
  const pdf = await downloaded(page, page.getByRole("button", { name: "Download my participation report (PDF)" }));
  assert.equal(pdf.bytes.subarray(0, 5).toString(), "%PDF-");
  assert.match(pdf.filename, /^my-participation-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.pdf$/);
  await page.getByText("Your participation report was downloaded.").waitFor();
  await page.context().close();
});

test("the admin of the mentor's institution reads the participation report and downloads its CSV", async () => {
  const page = await person(browser);
  await signIn(page, admin);
  await heading(page, /.+/);
  await page.getByRole("link", { name: "Participation report" }).first().click();
  await page.waitForURL(`**/institutions/${institutionId}/participation`);
  await heading(page, "Participation report");
  await settled(page);
  const row = page.getByRole("row").filter({ hasText: mentor.name });
  await row.waitFor();
  const cells = await row.innerText();
  assert.match(cells, /1 — averages withheld \(fewer than 3\)/);
  assert.match(cells, /Active/);
  assert.equal(await row.getByRole("button", { name: `PDF report: ${mentor.name}` }).count(), 1);
  assert.match(await page.locator("main").innerText(), /Rewards the institution offers its mentors/);
  await look(page, "participation-report");

  const csv = await downloaded(page, page.getByRole("button", { name: "Download the report (CSV)" }));
  const lines = csv.bytes.toString("utf8").split(/\r?\n/);
  assert.equal(lines[0], "mentor_id,name,status,period_from,period_to,active_mentorships,mentorships_started,mentee_months," +
    "requests_received,requests_answered,response_rate,median_response_hours,evaluation_count,evaluations_withheld," +
    "average_availability,average_responsiveness,average_guidance,average_overall,would_recommend_share," +
    "training_completed,cme_hours");
  assert.ok(lines.some((l) => l.includes(mentor.name)), "the mentor's row is in the CSV");
  assert.match(csv.filename, /participation-.*\.csv$/);

  // a period of more than 5 years is refused before anything is asked
  await page.getByLabel(/^From( |$)/).fill("2015-01-01");
  await page.getByRole("button", { name: "Show the report" }).click();
  await page.getByText("A period of at most 5 years.").waitFor();
  await page.context().close();
});
