// The journey across roles, each person in a browser of their own: a student registers with their
// school's enrollment code → the institution's admin approves the application → the mentee completes the
// required training → finds a mentor by a word of the mentor's profile → asks (a double click: one
// request) → the mentor accepts → each sees the other's contact. pytest (tests/web/test_mentee.py) prepares
// the enrollment code, the training answers and a fresh published mentor, and checks afterwards through
// the API that exactly one request exists.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, heading, look, openBrowser, person, reloadUntilVisible, scenario, signIn } from "./harness.mjs";

const s = scenario();
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The admin's "Approve" button for one applicant: its aria-label may name them, or its row does. */
async function approveButton(page, name) {
  const named = page.getByRole("button", { name: new RegExp(`^Approve ${escape(name)}$`) });
  if (await named.count()) return named;
  return page.locator("tr, li, article").filter({ hasText: name }).last().getByRole("button", { name: /^Approve/ });
}

test("register → approve → train → find → ask → accept → contacts", async () => {
  const { mentee, mentor, modules, word } = s;

  // 1. The student registers with the enrollment code.
  const student = await person(browser);
  await student.goto("/register");
  await heading(student, "Register as a mentee");
  await look(student, "journey-register");
  await student.getByLabel("Enrollment code").fill(s.enrollment_code);
  await student.getByLabel("Full name").fill(mentee.name);
  await student.getByLabel("E-mail address").fill(mentee.email);
  await student.getByLabel(/^Password/).fill(mentee.password);
  await student.getByLabel("Confirm password").fill(mentee.password);
  await student.getByLabel("Where are you in your training?").selectOption("medical_student");
  await student.getByLabel("Expected graduation year").fill("2028");
  const sensitive = student.locator("section.sensitive");
  assert.match(await sensitive.innerText(), /Why we ask/);
  assert.match(await sensitive.innerText(), /never shown to mentors/);
  await sensitive.getByLabel(/first in my family/).check();
  await sensitive.getByLabel(/I attest/).check();
  await student.getByLabel(/I have read and accept the/).check();
  await student.getByRole("button", { name: "Register" }).click();
  await student.getByText("Application received").waitFor();
  assert.match(await student.locator("main").innerText(), /approves it\. Until then you cannot\s+sign in/);
  await look(student, "journey-registered");

  // Signing in before the approval is refused in words.
  await student.goto("/signin");
  await student.getByLabel("E-mail address").fill(mentee.email);
  await student.getByLabel("Password").fill(mentee.password);
  await student.getByRole("button", { name: "Sign in" }).click();
  await student.getByRole("alert").waitFor();
  assert.match(await student.getByRole("alert").innerText(), /waiting for approval/);
  await look(student, "journey-signin-pending");

  // 2. The institution's admin approves the application on their dashboard.
  const admin = await person(browser, { viewport: { width: 1280, height: 800 } });
  await signIn(admin, s.logins[s.admin]);
  await admin.waitForURL(`**/institutions/${s.institution_id}`);
  await admin.getByRole("heading", { name: "Mentee applications" }).waitFor();
  await reloadUntilVisible(admin, admin.getByText(mentee.name));
  await look(admin, "journey-admin-applications");
  await (await approveButton(admin, mentee.name)).click();
  await eventually(async () => (await admin.getByText(mentee.name).count()) === 0 || /approved/i.test(await admin.locator("main").innerText()),
    { what: "the application to leave the list" });
  await admin.context().close();

  // 3. The mentee signs in and completes every required module in the browser.
  await signIn(student, { email: mentee.email, password: mentee.password });
  await heading(student, "Find a mentor");
  await student.goto("/training");
  await heading(student, "Training");
  await reloadUntilVisible(student, student.getByRole("link", { name: modules[0].title }));
  await look(student, "journey-training");
  for (const [n, module] of modules.entries()) {
    await student.getByRole("link", { name: module.title, exact: true }).click();
    await heading(student, module.title);
    if (module.answers.length) {
      for (const [i, answer] of module.answers.entries()) {
        await student.getByRole("group", { name: new RegExp(`^Question ${i + 1}:`) }).getByRole("radio").nth(answer).check();
      }
      await student.getByRole("button", { name: "Check my answers" }).click();
      await student.getByText("Passed.").waitFor();
    }
    if (n === 0) await look(student, "journey-module");
    await student.getByRole("button", { name: "I completed this module" }).click();
    await student.getByText("You completed this module").waitFor();
    await student.getByRole("link", { name: "Back to Training" }).first().click();
    await heading(student, "Training");
  }
  await reloadUntilVisible(student, student.getByText("Your required training is complete"));
  await look(student, "journey-trained");

  // 4. The mentee finds the mentor by a word of their profile.
  await student.goto("/mentors");
  await heading(student, "Find a mentor");
  await student.getByLabel("Search mentors").fill(word);
  await student.getByRole("button", { name: "Search", exact: true }).click();
  await student.waitForURL(new RegExp(`[?&]q=${word}`));
  await student.getByRole("link", { name: mentor.name }).waitFor();
  // The mentor with the word is on the first page of results (others may resemble the word — the search
  // tolerates typos — and a close match with more open time may rank above it).
  const names = await student.locator("main ol.cards > li h3").allInnerTexts();
  assert.ok(names.map((n) => n.trim()).includes(mentor.name), `${mentor.name} not among ${names}`);
  await look(student, "journey-search");
  await student.getByRole("link", { name: mentor.name }).click();
  await heading(student, mentor.name);

  // 5. They ask, clicking "Send request" twice quickly: one request (and, until the training's completion
  // reaches the mentorship service, the refusal says so and they send again).
  await student.getByRole("button", { name: "Ask for mentorship" }).click();
  await student.getByLabel("Message").fill("I am a second-year student interested in hospital medicine. Could you mentor me?");
  await student.getByLabel("Goals").fill("Choose a specialty\nFind a research project");
  await look(student, "journey-ask");
  await eventually(async () => {
    if (student.url().endsWith("/requests")) return true;
    const send = student.getByRole("button", { name: "Send request" });
    if (await send.isEnabled().catch(() => false)) {
      await send.dblclick();
      await Promise.race([student.waitForURL("**/requests", { timeout: 5_000 }), student.getByRole("alert").waitFor({ timeout: 5_000 })])
        .catch(() => undefined);
    }
    if (student.url().endsWith("/requests")) return true;
    const alert = await student.getByRole("alert").innerText().catch(() => "");
    assert.match(alert, /training|enrolled/i, `refused: ${alert}`);
    await student.waitForTimeout(1000);
    return false;
  }, { timeout: 60_000, what: "the request to be sent" });
  await heading(student, "My requests");
  await student.getByRole("heading", { level: 2, name: mentor.name }).waitFor();
  assert.equal(await student.locator("main article").count(), 1, "exactly one request");
  assert.match(await student.locator("main article").innerText(), /Waiting for the mentor's answer[\s\S]*answers by/);
  await look(student, "journey-my-requests");

  // 6. The mentor signs in and accepts.
  const doctor = await person(browser);
  await signIn(doctor, { email: mentor.email, password: mentor.password });
  await heading(doctor, "Requests");
  const card = doctor.locator("article").filter({ has: doctor.getByRole("heading", { name: mentee.name }) });
  await card.waitFor();
  await look(doctor, "journey-mentor-requests");
  await card.getByRole("button", { name: /^Accept/ }).click();
  await eventually(async () => (await card.getByRole("button", { name: /^Accept/ }).count()) === 0, { what: "the request to be answered" });

  // 7. Each sees the other's contact.
  await student.goto("/mentorships");
  await heading(student, "My mentorships");
  await student.locator(`a[href="mailto:${mentor.email}"]`).waitFor();
  await look(student, "journey-my-mentorships");
  await doctor.goto("/mentorships");
  await heading(doctor, "My mentees");
  await doctor.locator(`a[href="mailto:${mentee.email}"]`).waitFor();
  await look(doctor, "journey-my-mentees");
  await doctor.context().close();
  await student.context().close();
});
