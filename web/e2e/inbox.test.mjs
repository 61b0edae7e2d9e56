// A demo person with notifications (Python waited for at least two unread): the header's badge says
// how many; marking one read lowers it by one; "Mark all as read" clears it; each item's link leads
// into this client; e-mail settings show the mandatory kinds as always on, in words.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, heading, look, openBrowser, person, scenario, settled, signIn } from "./harness.mjs";

const s = scenario();
const login = s.logins[s.who];
let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

/** The unread count on the header's inbox link (0 when it shows none). */
async function badge(page) {
  // One read of the DOM: the badge re-renders while the inbox query refreshes.
  const text = await page.evaluate(() => document.querySelector("a.inbox-link .count")?.textContent ?? "");
  return Number(text.trim()) || 0;
}

test("a person reads their notifications and the unread badge follows", async () => {
  const page = await person(browser);
  await signIn(page, login);
  const before = await eventually(async () => (await badge(page)) || null, { what: "the unread badge" });
  assert.ok(before >= 2, `expected at least 2 unread, the badge says ${before}`);
  await page.locator("a.inbox-link").click();
  await heading(page, "Inbox");
  await settled(page);
  await page.getByText(`You have ${before} unread notifications.`).waitFor();
  await look(page, "inbox");

  const list = page.getByRole("list", { name: "Notifications" });
  const first = list.locator("li.unread").first();
  const title = await first.getByRole("heading").innerText();
  const open = first.getByRole("link", { name: `Open: ${title}` });
  if (await open.count()) assert.match(await open.getAttribute("href"), /^\/[a-z]/, "an item's link leads into this client");
  await first.getByRole("button", { name: /^Mark as read: / }).click();
  await eventually(async () => (await badge(page)) === before - 1, { what: "the badge to drop by one" });
  await page.getByText(before - 1 === 1 ? "You have 1 unread notification." : `You have ${before - 1} unread notifications.`).waitFor();
  await list.getByRole("article", { name: title }).first().waitFor();

  await page.getByRole("button", { name: "Mark all as read" }).click();
  await page.getByText(/notifications? marked as read\./).waitFor();
  await eventually(async () => (await badge(page)) === 0, { what: "the badge to clear" });
  await page.getByText("You have no unread notifications.").waitFor();
  assert.equal(await list.locator("li.unread").count(), 0);
  await look(page, "inbox-read");

  await page.getByLabel("Show unread only").check();
  await page.getByText("No unread notifications.", { exact: true }).waitFor();
  await page.context().close();
});

test("notification settings: mandatory kinds always on, the others switchable", async () => {
  const page = await person(browser);
  await signIn(page, login);
  await page.goto("/settings/notifications");
  await heading(page, "Notification settings");
  await settled(page);
  await page.getByRole("heading", { name: "Always by e-mail" }).waitFor();
  assert.match(await page.locator("main").innerText(), /always on/);
  await look(page, "notification-settings");
  const box = page.getByRole("checkbox").first();
  const was = await box.isChecked();
  await box.setChecked(!was);
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Your settings were saved.").waitFor();
  await page.reload();
  await heading(page, "Notification settings");
  await settled(page);
  assert.equal(await page.getByRole("checkbox").first().isChecked(), !was);
  await page.getByRole("checkbox").first().setChecked(was);
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Your settings were saved.").waitFor();
  await page.context().close();
});
