// The mentee's screens and their states, as Lakeside's mentee1 of the demo (trained, with an accepted
// mentorship and an open request): a search with no result, the search kept in the URL, a request
// refused in words (asking the same mentor twice) and withdrawn, the request and mentorship pages as a
// mentor (who accepts there) and an operator see them, a mentorship concluded, the account and its
// profile, training; a mentor's CME certificates; the operator's directory. pytest prepares two fresh
// mentors (tests/web/test_mentee.py): one to ask, one asked already, who accepts in the browser and whose
// mentorship the mentee then concludes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, signIn } from "./harness.mjs";

const s = scenario();
const { logins } = s;
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test("a search with no result says so, and the search lives in the URL", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside mentee1"]);
  await heading(page, "Find a mentor");
  await page.locator("ol.cards > li").first().waitFor();
  await look(page, "mentee-search");

  await page.getByLabel("Search mentors").fill("Medicine");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/q=Medicine/);
  await page.getByRole("heading", { level: 2, name: /mentors? found/ }).waitFor();

  await page.getByLabel("Search mentors").fill("xyzzyqwertnothing");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("heading", { level: 2, name: "No mentors found" }).waitFor();
  assert.match(await page.locator("main").innerText(), /No published mentor matches “xyzzyqwertnothing”/);
  await look(page, "mentee-search-empty");

  await page.goBack();
  await page.waitForURL(/q=Medicine/);
  await page.getByRole("heading", { level: 2, name: /mentors? found/ }).waitFor();
  assert.equal(await page.getByLabel("Search mentors").inputValue(), "Medicine");

  // A facet narrows the search and is kept in the URL too.
  await page.getByLabel("Only mentors with an open slot").check();
  await page.waitForURL(/has_open_slot=true/);
  await page.getByRole("heading", { level: 2, name: /mentors? found|No mentors found/ }).waitFor();
  await page.reload();
  await heading(page, "Find a mentor");
  assert.equal(await page.getByLabel(/Only mentors with an open slot/).isChecked(), true);
  await page.context().close();
});

test("asking the same mentor twice is refused in words; the request is withdrawn after a confirmation", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside mentee1"]);
  await page.goto(`/mentors/${s.asked.id}`);
  await heading(page, s.asked.name);
  await look(page, "mentee-mentor-page");

  const ask = async () => {
    await page.getByRole("button", { name: "Ask for mentorship" }).click();
    await page.getByLabel("Message").fill("Could you advise me on residency applications?");
    await page.getByLabel("Goals").fill("Residency applications");
    await page.getByRole("button", { name: "Send request" }).click();
  };
  // The form checks its fields before sending.
  await page.getByRole("button", { name: "Ask for mentorship" }).click();
  await page.getByRole("button", { name: "Send request" }).click();
  await page.getByText("Write a short message").waitFor();
  await page.getByText("Write at least one goal").waitFor();
  await look(page, "mentee-ask-invalid");
  await page.getByRole("button", { name: "Cancel" }).click();

  await ask();
  await heading(page, "My requests");
  await page.goto(`/mentors/${s.asked.id}`);
  await heading(page, s.asked.name);
  await ask();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /already have an open request to this mentor/);
  await page.getByRole("link", { name: "See my requests" }).waitFor();
  await look(page, "mentee-request-refused");

  await page.getByRole("link", { name: "See my requests" }).click();
  await heading(page, "My requests");
  const card = page.locator("article").filter({ has: page.getByRole("heading", { name: s.asked.name }) });
  assert.match(await card.innerText(), /Waiting for the mentor's answer/);
  assert.match(await card.innerText(), /The mentor answers by .*\(in \d+ (days|hours)\)/);
  await look(page, "mentee-my-requests");
  await card.getByRole("link", { name: /^Details/ }).click();
  await heading(page, `Your request to ${s.asked.name}`);
  await look(page, "mentee-request-page");
  await page.getByRole("button", { name: /^Withdraw request/ }).click();
  await page.getByText(`Withdraw your request to ${s.asked.name}?`).waitFor();
  await look(page, "mentee-withdraw-confirm");
  await page.getByRole("button", { name: "Yes, withdraw" }).click();
  await page.getByText("Withdrawn", { exact: true }).first().waitFor();
  await page.context().close();
});

test("the request and mentorship pages the e-mails link to: the mentor answers there; an operator sees both sides", async () => {
  const mentor = await person(browser);
  await signIn(mentor, { email: s.concluded.email, password: s.concluded.password });
  await mentor.goto(`/requests/${s.request_id}`);
  await heading(mentor, /^Request from/);
  assert.match(await mentor.locator("main").innerText(), /Could you advise me on research\?[\s\S]*research/);
  assert.match(await mentor.locator("main").innerText(), /Please answer by .*\(in \d+ (days|hours)\)/);
  await look(mentor, "mentor-request-page");
  await mentor.getByRole("button", { name: "Decline", exact: true }).click();
  await mentor.getByRole("button", { name: "Decline request" }).click();
  await mentor.getByText("Say in a few words why you decline.").waitFor();
  await look(mentor, "mentor-request-decline-form");
  await mentor.getByRole("button", { name: "Cancel" }).click();
  await mentor.getByRole("button", { name: "Accept", exact: true }).click();
  await mentor.locator(`a[href="mailto:${s.mentee.email}"]`).waitFor();
  await heading(mentor, `Request from ${s.mentee.name}`);
  await mentor.getByRole("link", { name: "Go to the mentorship" }).click();
  await heading(mentor, `Mentorship with ${s.mentee.name}`);
  const mentorshipUrl = new URL(mentor.url()).pathname;
  await mentor.getByRole("button", { name: /^Conclude/ }).waitFor();
  await look(mentor, "mentor-mentorship-page");
  await mentor.context().close();

  const operator = await person(browser);
  await signIn(operator, logins.operator);
  await operator.goto(`/requests/${s.request_id}`);
  await heading(operator, "Mentorship request");
  await operator.getByText(s.mentee.name, { exact: false }).first().waitFor();
  await operator.getByText(s.concluded.name, { exact: false }).first().waitFor();
  await look(operator, "operator-request-page");
  await operator.goto(mentorshipUrl);
  await heading(operator, "Mentorship");
  await operator.locator(`a[href="mailto:${s.concluded.email}"]`).waitFor();
  assert.equal(await operator.getByRole("button", { name: /^Conclude/ }).count(), 0, "an operator does not conclude");
  await look(operator, "operator-mentorship-page");
  await operator.context().close();
});

test("my mentorships show the mentor's contact; concluding asks for a reason and a confirmation", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside mentee1"]);
  await page.goto("/mentorships");
  await heading(page, "My mentorships");
  const card = page.locator("article").filter({ has: page.getByRole("heading", { name: s.concluded.name }) });
  await card.locator(`a[href="mailto:${s.concluded.email}"]`).waitFor();
  await look(page, "mentee-my-mentorships");
  await card.getByRole("button", { name: /^Conclude/ }).click();
  await card.getByRole("button", { name: "Conclude mentorship" }).click();
  await card.getByText("Say in a few words why you conclude this mentorship.").waitFor();
  await card.getByLabel("Why are you concluding this mentorship?").fill("Goals reached: research project found.");
  await card.getByRole("button", { name: "Conclude mentorship" }).click();
  await card.getByText(`Conclude your mentorship with ${s.concluded.name}?`).waitFor();
  await look(page, "mentee-conclude-confirm");
  await card.getByRole("button", { name: "Yes, conclude" }).click();
  const past = page.locator("section").filter({ has: page.getByRole("heading", { name: /^Past/ }) });
  await past.getByText("Goals reached: research project found.").waitFor();

  const ms = past.locator("article").filter({ has: page.getByRole("heading", { name: s.concluded.name }) });
  await ms.getByRole("link", { name: /^Details/ }).click();
  await heading(page, `Mentorship with ${s.concluded.name}`);
  assert.match(await page.locator("main").innerText(), /Concluded[\s\S]*by you/);
  await look(page, "mentee-mentorship-page");
  await page.context().close();
});

test("account and profile, training", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside mentee1"]);
  await page.goto("/account");
  await heading(page, "My account");
  const text = await page.locator("main").innerText();
  assert.match(text, /Lakeside School of Medicine/);
  assert.match(text, /Mentee/);
  assert.match(text, /You accepted the mentee agreement, version \d+/);
  await look(page, "mentee-account");
  await page.getByRole("button", { name: "Show and edit my profile" }).click();
  await page.getByLabel("Pronouns").waitFor();
  assert.match(await page.locator("section.sensitive").innerText(), /First-generation college graduate/);
  await page.getByLabel("Pronouns").fill("they/them");
  await page.getByLabel("Birth year (optional)").fill("19");
  await page.getByRole("button", { name: "Save my profile" }).click();
  await page.getByText("Enter the birth year as four digits").waitFor();
  await page.getByLabel("Birth year (optional)").fill("");
  await page.getByRole("button", { name: "Save my profile" }).click();
  await page.getByText("Your profile is saved.").waitFor();
  await look(page, "mentee-account-profile");

  await page.goto("/training");
  await heading(page, "Training");
  await page.getByText("Your required training is complete").waitFor();
  await look(page, "mentee-training");
  await page.context().close();

  const partWay = await person(browser);
  await signIn(partWay, logins["lakeside mentee2"]);
  await partWay.goto("/training");
  await heading(partWay, "Training");
  await partWay.getByText(/1 of \d+ required modules completed/).waitFor();
  await look(partWay, "mentee-training-part-way");
  await partWay.context().close();
});

test("a mentor downloads a CME certificate; the operator's directory", async () => {
  const page = await person(browser);
  await signIn(page, logins["lakeside mentor1"]);
  await page.goto("/training/cme");
  await heading(page, "My CME certificates");
  await page.getByText(/Total: [\d.]+ CME credit hours/).waitFor();
  await look(page, "mentor-cme");
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: /^Download certificate \(PDF\)/ }).first().click(),
  ]);
  assert.match(file.suggestedFilename(), /^cme-certificate-.+\.pdf$/);
  await page.context().close();

  const operator = await person(browser);
  await signIn(operator, logins.operator);
  // local-only mentors of every institution (other tests of a run publish more mentors than a page holds)
  await operator.goto("/mentors?scope=local");
  await heading(operator, "Directory");
  await operator.locator("ol.cards > li").first().waitFor();
  assert.match(await operator.locator("main").innerText(), /Local only/);
  await look(operator, "operator-directory");
  await operator.context().close();
});
