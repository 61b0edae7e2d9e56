// Surveys (R14): the operator writes a program-feedback survey for Lakeside's mentees with one question
// of each type (a validation error first: the summary takes the focus), saves and opens it; the demo's
// "lakeside mentee1" finds it in My surveys and answers it (a validation error first), and is thanked;
// the operator's statistics count the answer; the Lakeside admin sees the completion with the small
// counts withheld in words; a Lakeside mentor opening the mentee's survey is told it is not found.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, settled, signIn } from "./harness.mjs";

const s = scenario();
const { logins } = s;
let browser;
let surveyId;
let assignmentId;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function nav(page, name) {
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
}

/** The focused element's text (the error summary after a failed submit). */
async function focusedText(page) {
  return page.evaluate(() => document.activeElement?.textContent ?? "");
}

test("the operator writes a survey with one question of each type and opens it", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  await nav(page, "Surveys");
  await heading(page, "Surveys");
  await settled(page);
  await look(page, "surveys-manage");

  await page.getByRole("link", { name: "New survey" }).click();
  await heading(page, "New survey");
  await settled(page);
  const form = page.getByRole("form", { name: "New survey" });
  assert.ok(await form.getByLabel(/^Program feedback/).isChecked());
  await form.getByLabel(/^Title/).fill(s.title);
  await form.getByLabel(/^Description/).fill("Three minutes about your first months in the program.");
  await form.getByLabel(/^Days to answer/).fill("14");
  assert.ok(await form.getByRole("group", { name: "Groups" }).getByLabel("Mentees", { exact: true }).isChecked());
  await form.getByLabel("Only the institutions I choose").check();
  await form.getByRole("group", { name: "Which institutions" }).getByLabel(s.lakeside_name).check();

  // question 1, one choice — with a single option: refused here, the summary takes the focus
  const q1 = form.getByRole("group", { name: "Question 1" });
  await q1.getByLabel("Question (required)").fill("How did you hear of the program?");
  await q1.getByLabel("An answer is required").check();
  await q1.getByLabel("Options (required)").fill("My school");
  await form.getByRole("button", { name: "Save the draft" }).click();
  const summary = form.locator(".error-summary");
  await summary.waitFor();
  assert.match(await summary.innerText(), /Question 1, options: Give between 2 and 50 options, one per line\./);
  assert.match(await focusedText(page), /The survey is not saved yet/);
  const options = q1.getByLabel("Options (required)");
  const described = await options.getAttribute("aria-describedby");
  assert.ok(described && (await page.locator(`[id="${described.split(" ").pop()}"]`).innerText()).includes("Give between 2 and 50"),
    "the options' error is tied to the field");
  await look(page, "surveys-new-errors");
  await options.fill("My school\nA friend\nSocial media");

  async function add(n, type) {
    await form.getByRole("button", { name: "Add a question" }).click();
    const q = form.getByRole("group", { name: `Question ${n}` });
    await q.getByLabel("Type of answer").selectOption({ label: type });
    return q;
  }
  const q2 = await add(2, "Several choices");
  await q2.getByLabel("Question (required)").fill("What has helped you most?");
  await q2.getByLabel("Options (required)").fill("My mentor\nTraining modules\nPeers\nEvents");
  await q2.getByLabel(/^Most choices/).fill("2");
  const q3 = await add(3, "Text");
  await q3.getByLabel("Question (required)").fill("What should we change?");
  await q3.getByLabel(/^Longest answer/).fill("500");
  const q4 = await add(4, "Number");
  await q4.getByLabel("Question (required)").fill("Hours a month with your mentor");
  await q4.getByLabel("An answer is required").check();
  await q4.getByLabel(/^Lowest/).fill("0");
  await q4.getByLabel(/^Highest/).fill("100");
  await q4.getByLabel("Whole numbers only").check();
  const q5 = await add(5, "Date");
  await q5.getByLabel("Question (required)").fill("When did you first meet your mentor?");
  await q5.getByLabel(/^Earliest/).fill("2024-01-01");
  // reorder: the date moves up and back down
  await q5.getByRole("button", { name: "Move question 5 up" }).click();
  assert.equal(await form.getByRole("group", { name: "Question 4" }).getByLabel("Question (required)").inputValue(),
    "When did you first meet your mentor?");
  await form.getByRole("group", { name: "Question 4" }).getByRole("button", { name: "Move question 4 down" }).click();
  assert.equal(await form.getByRole("group", { name: "Question 5" }).getByLabel("Question (required)").inputValue(),
    "When did you first meet your mentor?");
  await look(page, "surveys-new");

  await form.getByRole("button", { name: "Save the draft" }).click();
  await heading(page, s.title);
  await settled(page);
  surveyId = new URL(page.url()).pathname.split("/").pop();
  await page.getByText("The survey is saved as a draft.").waitFor();
  assert.match(await page.locator("main").innerText(), /Draft — not sent yet/);
  await look(page, "surveys-draft");

  await page.getByRole("button", { name: "Open the survey" }).click();
  const confirm = page.getByRole("group", { name: "Open the survey" });
  assert.match(await confirm.innerText(), new RegExp(`Opening asks all active mentees of ${s.lakeside_name} to answer, by e-mail, within 14 days`));
  await look(page, "surveys-open-confirm");
  await confirm.getByRole("button", { name: "Yes, open and ask them" }).click();
  await page.getByText(`The survey is open: ${s.lakeside_mentees} people were asked by e-mail.`).waitFor();
  await settled(page);
  await look(page, "surveys-opened");
  await page.context().close();
});

test("a Lakeside mentee answers the survey, after a validation error, and is thanked", async () => {
  assert.ok(surveyId, "the survey was created");
  const page = await person(browser);
  await signIn(page, logins["lakeside mentee1"]);
  await nav(page, "My surveys");
  await heading(page, "My surveys");
  await settled(page);
  const card = page.getByRole("article", { name: s.title });
  assert.match(await card.innerText(), /To answer[\s\S]*Please answer by/);
  await look(page, "surveys-mine");

  await card.getByRole("link", { name: `Answer ${s.title}` }).click();
  await heading(page, s.title);
  await settled(page);
  assignmentId = new URL(page.url()).pathname.split("/").pop();
  const form = page.getByRole("form", { name: s.title });
  await form.getByRole("group", { name: /How did you hear of the program\?/ }).getByLabel("A friend").check();
  const helped = form.getByRole("group", { name: /What has helped you most\?/ });
  await helped.getByLabel("My mentor").check();
  await helped.getByLabel("Peers").check();
  await form.getByLabel(/What should we change\?/).fill("More evening events, please.");
  await form.getByLabel(/When did you first meet your mentor\?/).fill("2025-09-15");
  // the required number left empty: refused here, said at the question and in the focused summary
  await form.getByRole("button", { name: "Send my answers" }).click();
  const summary = form.locator(".error-summary");
  await summary.waitFor();
  assert.match(await focusedText(page), /One answer needs attention/);
  assert.match(await summary.innerText(), /Hours a month with your mentor: An answer is required\./);
  const hours = form.getByLabel(/Hours a month with your mentor/);
  assert.equal(await hours.getAttribute("aria-invalid"), "true");
  assert.match(await hours.getAttribute("aria-describedby"), /answer-q4-error/);
  const groupDescribed = await helped.getAttribute("aria-describedby");
  assert.match(groupDescribed, /answer-q2-hint/);
  await look(page, "surveys-answer-errors");
  await summary.getByRole("link", { name: /Hours a month/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "answer-q4");

  await hours.fill("6");
  await form.getByRole("button", { name: "Send my answers" }).click();
  await page.getByText("Thank you — your answers are sent.").waitFor();
  const answers = page.locator(".survey-answers");
  assert.match(await answers.innerText(), /A friend[\s\S]*My mentor, Peers[\s\S]*More evening events[\s\S]*6[\s\S]*2025-09-15/);
  await look(page, "surveys-thanks");

  await page.getByRole("link", { name: "Back to My surveys" }).click();
  await heading(page, "My surveys");
  await settled(page);
  const done = page.getByRole("article", { name: s.title });
  await done.getByText("Answered", { exact: true }).waitFor();
  assert.match(await done.innerText(), /Answered \w+ \d+, \d{4}/);
  await look(page, "surveys-mine-answered");
  await page.context().close();
});

test("the operator's statistics count the answer", async () => {
  const page = await person(browser);
  await signIn(page, logins.operator);
  await page.goto(`/surveys/manage/${surveyId}`);
  await heading(page, s.title);
  await settled(page);
  const stats = page.locator("section.card", { has: page.getByRole("heading", { level: 2, name: "Statistics" }) });
  assert.match(await stats.locator(".stats").innerText(), new RegExp(`Asked\\s*${s.lakeside_mentees}\\s*Answered\\s*1\\s*Completion`));
  assert.match(await stats.locator("table.data-table").innerText(), new RegExp(s.lakeside_name));
  const heard = stats.getByRole("table", { name: "Answers to “How did you hear of the program?”" });
  assert.equal(await heard.getByRole("row", { name: /A friend/ }).getByRole("cell").innerText(), "1");
  assert.equal(await heard.getByRole("row", { name: /My school/ }).getByRole("cell").innerText(), "0");
  assert.match(await stats.innerText(), /More evening events, please\./);
  assert.match(await stats.innerText(), /Mean\s*6/);
  assert.doesNotMatch(await stats.innerText(), /Jordan|Ellis|mentee1/);
  await look(page, "surveys-statistics");

  await page.getByRole("link", { name: "All surveys" }).click();
  await heading(page, "Surveys");
  await settled(page);
  const row = page.locator("tr", { hasText: s.title });
  await row.locator('td[data-label="Answered"]', { hasText: /^1$/ }).waitFor();
  assert.match(await row.innerText(), new RegExp(`Program feedback[\\s\\S]*Open[\\s\\S]*${s.lakeside_mentees}`));
  await page.context().close();
});

test("the Lakeside admin sees the completion with small counts withheld", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside admin"]);
  await heading(page, s.lakeside_name);
  await settled(page);
  await page.getByRole("main").getByRole("link", { name: "Surveys", exact: true }).click();
  await heading(page, "Surveys");
  await settled(page);
  const row = page.locator("tr", { hasText: s.title });
  const text = await row.innerText();
  assert.match(text, /fewer than 3 — withheld/);
  assert.match(text, /withheld \(a count is under 3\)/);
  assert.doesNotMatch(text, /\b1\b/);
  await look(page, "surveys-institution");
  await page.context().close();
});

test("a mentor cannot open the mentee's survey", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside mentor1"]);
  await page.goto(`/surveys/${assignmentId}`);
  await heading(page, "Survey not found");
  assert.doesNotMatch(await page.locator("main").innerText(), new RegExp(s.title));
  await look(page, "surveys-not-found");
  await nav(page, "My surveys");
  await heading(page, "My surveys");
  await settled(page);
  assert.doesNotMatch(await page.locator("main").innerText(), new RegExp(s.title));
  await look(page, "surveys-mentor-list");
  await page.context().close();
});
