// The mentor's screens: incoming requests say who is asking (never eligibility data); a mentor at 3
// mentees has no Accept button for a fourth and is told why; my mentees with contacts and conclusion;
// the profile editor (validation, save, unpublish, publish with consent); a refusal for an untrained
// mentor; nominating a colleague. tests/web/test_mentor.py prepares the people and requests.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { heading, look, openBrowser, person, scenario, signIn } from "./harness.mjs";

const { logins, mentor, editor, mentees, marker } = scenario();
const FORBIDDEN = new RegExp(`eligib|first[- ]generation|urim|economically|disadvantaged|ethnicity|hispanic|gender|${marker}`, "i");
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

/** The request or mentorship card whose heading is the mentee's name. */
function card(page, name) {
  return page.getByRole("article").filter({ has: page.getByRole("heading", { level: 3, name, exact: true }) });
}

test("a mentor sees who is asking, declines one, accepts the third mentee and then has no Accept button", async () => {
  const page = await person(browser);
  await signIn(page, mentor);
  await page.goto("/requests");
  await heading(page, "Requests");
  const asking = card(page, mentees.asking.name);
  await asking.waitFor();
  const text = await asking.innerText();
  assert.match(text, new RegExp(mentees.asking.institution));
  assert.match(text, /Medical student, graduating in 2027/);
  assert.match(text, /residency/);
  assert.match(text, /Answer by/);
  assert.doesNotMatch(await page.locator("main").innerText(), FORBIDDEN);
  assert.match(await page.locator("main").innerText(), /You mentor 2 of at most 3 mentees/);
  assert.equal(await asking.getByRole("button", { name: "Accept" }).count(), 1);
  await look(page, "mentor-requests");

  // decline one, with a reason
  const declined = card(page, mentees.declined.name);
  await declined.getByRole("button", { name: "Decline" }).click();
  await declined.getByLabel("Reason (optional)").fill("I am on clinical service abroad this month.");
  await declined.getByRole("button", { name: "Decline request" }).click();
  await page.getByText(`You declined ${mentees.declined.name}'s request`).waitFor();

  // accept the third: the mentor is at capacity, the fourth request is declined by the platform
  await card(page, mentees.asking.name).getByRole("button", { name: "Accept" }).click();
  await page.getByText(`You accepted ${mentees.asking.name}'s request`).waitFor();
  await page.getByText(/You are at capacity/).waitFor();
  const main = await page.locator("main").innerText();
  assert.match(main, /you have 3 active mentees/i);
  assert.match(main, /conclude one of your mentorships/i);
  assert.equal(await page.getByRole("button", { name: "Accept" }).count(), 0, "no Accept button at capacity");
  const fourth = card(page, mentees.fourth.name);
  await fourth.waitFor();
  assert.equal(await fourth.getByRole("button", { name: "Accept" }).count(), 0);
  assert.match(await fourth.innerText(), /Declined by the platform/);
  assert.match(await fourth.innerText(), /reached 3 active mentees/);
  assert.match(await card(page, mentees.declined.name).innerText(), /on clinical service abroad/);
  assert.doesNotMatch(await page.locator("main").innerText(), FORBIDDEN);
  await look(page, "mentor-requests-at-capacity");

  // a reload shows the same: the capacity comes from the API, not from this page's memory
  await page.reload();
  await heading(page, "Requests");
  await page.getByText(/You are at capacity/).waitFor();
  assert.equal(await page.getByRole("button", { name: "Accept" }).count(), 0);
  await page.context().close();
});

test("my mentees: each with their card and e-mail; concluding one opens a place", async () => {
  const page = await person(browser);
  await signIn(page, mentor);
  await page.goto("/mentorships");
  await heading(page, "My mentees");
  for (const key of ["asking", "first", "second"]) {
    const c = card(page, mentees[key].name);
    await c.waitFor();
    const link = c.getByRole("link", { name: mentees[key].email });
    assert.equal(await link.getAttribute("href"), `mailto:${mentees[key].email}`);
    assert.match(await c.innerText(), new RegExp(mentees[key].institution));
  }
  assert.match(await card(page, mentees.first.name).innerText(), /Resident, graduating in 2026/);
  assert.doesNotMatch(await page.locator("main").innerText(), FORBIDDEN);
  await look(page, "mentor-mentees");

  const first = card(page, mentees.first.name);
  await first.getByRole("button", { name: "Conclude" }).click();
  await first.getByRole("button", { name: "Conclude mentorship" }).click();
  await first.getByText("Give a reason").waitFor();  // said before any request
  await first.getByLabel("Reason").fill("The goals we set are reached.");
  await first.getByRole("button", { name: "Conclude mentorship" }).click();
  await page.getByText(`Your mentorship with ${mentees.first.name} is concluded`).waitFor();
  const past = page.getByRole("heading", { level: 2, name: "Past mentorships" }).locator("xpath=..").locator("xpath=..");
  await past.getByRole("heading", { name: mentees.first.name }).waitFor();
  assert.match(await past.innerText(), /The goals we set are reached/);
  await look(page, "mentor-mentees-concluded");

  await page.goto("/requests");
  await heading(page, "Requests");
  await page.getByText(/You mentor 2 of at most 3 mentees at a time: 1 place open/).waitFor();
  assert.equal(await page.getByText(/You are at capacity/).count(), 0);
  await page.context().close();
});

test("the profile editor: a validation error, save, unpublish, publish with consent", async () => {
  const page = await person(browser);
  await signIn(page, editor);
  await page.goto("/profile");
  await heading(page, "My profile");
  await page.getByText(/Your profile is published/).waitFor();
  assert.equal(await page.getByLabel("Display name").inputValue(), editor.name);
  await look(page, "mentor-profile");

  // the directory's limits, said before any request
  await page.getByLabel("Hours per month").fill("100");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText(/whole number of hours from 0 to 80/).waitFor();
  await look(page, "mentor-profile-invalid");

  await page.getByLabel("Hours per month").fill("6");
  await page.getByLabel("About me").fill("Hospitalist who enjoys teaching; ask me about residency applications.");
  await page.getByLabel(/Local — only mentees of my own institution/).check();
  await page.getByRole("button", { name: "Add a time window" }).click();
  const second = page.getByRole("group", { name: "Time window 2" });
  await second.getByLabel("Day").selectOption("thu");
  await second.getByLabel("From").fill("07:00");
  await second.getByLabel("To").fill("08:30");
  await page.getByRole("button", { name: "Remove time window 1" }).click();
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("Your profile is saved.").waitFor();
  await page.reload();
  await heading(page, "My profile");
  assert.equal(await page.getByLabel("Hours per month").inputValue(), "6");
  assert.match(await page.getByLabel("About me").inputValue(), /residency applications/);
  const only = page.getByRole("group", { name: "Time window 1" });
  assert.equal(await only.getByLabel("Day").inputValue(), "thu");
  assert.equal(await only.getByLabel("From").inputValue(), "07:00");
  assert.equal(await page.getByRole("group", { name: "Time window 2" }).count(), 0);
  await page.getByText(/mentees of your institution can find you/).waitFor();

  await page.getByRole("button", { name: "Unpublish profile" }).click();
  await page.getByText(/Your profile is not published/).waitFor();
  // the consent is stated before its box, and publishing without it is refused in words
  const consentText = await page.locator(".consent").innerText();
  assert.match(consentText, /consent to be searched/);
  assert.match(consentText, /availability/);
  assert.match(consentText, /responsiveness/);
  await page.getByRole("button", { name: "Publish profile" }).click();
  await page.getByText(/Tick the box to give your consent/).waitFor();
  await look(page, "mentor-profile-unpublished");
  await page.getByLabel(/I consent to mentees finding my profile/).check();
  await page.getByRole("button", { name: "Publish profile" }).click();
  await page.getByText("Your profile is published: mentees can now find you in search.").waitFor();
  await look(page, "mentor-profile-published");
  await page.context().close();
});

test("a mentor without the training is told so, with the way to it", async () => {
  const page = await person(browser);
  await signIn(page, logins["riverside mentor3"]);
  await page.goto("/profile");
  await heading(page, "My profile");
  await page.getByText(/not completed the mentor training/).waitFor();
  await page.getByLabel(/I consent to mentees finding my profile/).check();
  await page.getByRole("button", { name: "Publish profile" }).click();
  await page.getByRole("alert").filter({ hasText: /training/i }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Complete your training" }).getAttribute("href"), "/training");
  await look(page, "mentor-profile-untrained");
  await page.context().close();
});

test("nominate a colleague: checked first, then listed with its status", async () => {
  const page = await person(browser);
  await signIn(page, editor);
  await page.goto("/nominate");
  await heading(page, "Nominate a colleague");
  await page.getByText("You have not nominated anyone yet.").waitFor();
  await page.getByRole("button", { name: "Send nomination" }).click();
  await page.getByText(/Enter your colleague's name/).waitFor();
  await look(page, "mentor-nominate-invalid");
  const name = `Dr. Colleague ${scenario().tag}`;
  await page.getByLabel("Colleague's name").fill(name);
  await page.getByLabel("Colleague's e-mail address").fill(`colleague-${scenario().tag}@example.org`);
  await page.getByLabel("Why you nominate them").fill("Runs our clerkship's teaching rounds; students seek her out.");
  await page.getByRole("button", { name: "Send nomination" }).click();
  await page.getByText(`Your nomination of ${name} is sent`).waitFor();
  const row = page.getByRole("row").filter({ hasText: name });
  await row.waitFor();
  assert.match(await row.innerText(), /Waiting for review/);
  await look(page, "mentor-nominate");
  await page.context().close();
});
