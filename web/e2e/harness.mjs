// The browser tests' toolkit: Debian's Chromium driven by playwright-core against a platform that
// pytest started the README's way (tests/web/). Each test reads its scenario (the demo logins and
// what pytest prepared) from E2E_SCENARIO and saves its screenshots under E2E_ARTIFACTS.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const BASE_URL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8080";
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.resolve("e2e/artifacts");
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** What pytest prepared: { logins: { name: {email, password, role} }, ...scenario-specific }. */
export function scenario() {
  const file = process.env.E2E_SCENARIO;
  return file ? JSON.parse(fs.readFileSync(file, "utf8")) : { logins: {} };
}

export async function openBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/**
 * A person with a browser of their own (own cookies and storage) at phone size. Fails the test on a
 * script error, a refused Content-Security-Policy or a console error the page did not expect.
 */
export async function person(browser, { viewport = PHONE } = {}) {
  const context = await browser.newContext({ viewport, baseURL: BASE_URL, serviceWorkers: "allow" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !/status of (4\d\d)/.test(text)) problems.push(`console: ${text}`);
    if (/Content Security Policy|Refused to/.test(text)) problems.push(`CSP: ${text}`);
  });
  page.problems = problems;
  page.setDefaultTimeout(20_000);
  return page;
}

export async function signIn(page, login) {
  await page.goto("/signin");
  await page.getByLabel("E-mail address").fill(login.email);
  await page.getByLabel("Password", { exact: false }).first().fill(login.password);
  await page.getByRole("button", { name: /sign in/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
}

export async function signOut(page) {
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/signin");
}

/** The screen's h1, once loading is over. */
export async function heading(page, name) {
  await page.getByRole("heading", { level: 1, name }).waitFor();
  await page.locator(".loading").first().waitFor({ state: "detached", timeout: 20_000 }).catch(() => undefined);
}

/** Every part of the screen has finished loading (no loading indicator left). */
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector(".loading"), null, { timeout: 20_000 });
}

/**
 * Look at the screen as a person would, at phone and desktop size: axe-core finds no serious or
 * critical WCAG 2.2 AA violation, nothing overflows a 390 px wide phone, and a screenshot of each
 * size is saved as <name>-phone.png / <name>-desktop.png.
 */
export async function look(page, name) {
  const original = page.viewportSize();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const [size, viewport] of [["phone", PHONE], ["desktop", DESKTOP]]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    const violations = await axe(page);
    assert.deepEqual(violations, [], `${name} at ${size}: accessibility violations\n${JSON.stringify(violations, null, 1)}`);
    if (size === "phone") {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than a 390px phone`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(original ?? PHONE);
  assert.deepEqual(page.problems, [], `${name}: errors in the page`);
}

/** axe-core's serious and critical violations of WCAG 2.0–2.2 A/AA on the current page. */
export async function axe(page) {
  // Runtime evaluation is not subject to the page's Content-Security-Policy (no inline script added).
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
  }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
}

/** Poll `fn` until it returns something truthy (the platform's events take a moment to arrive). */
export async function eventually(fn, { timeout = 30_000, every = 500, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** Reload until `locator` shows (a read model catching up after an event). */
export async function reloadUntilVisible(page, locator, { timeout = 30_000 } = {}) {
  await eventually(async () => {
    if (await locator.first().isVisible().catch(() => false)) return true;
    await page.reload();
    await page.waitForTimeout(300);
    return locator.first().isVisible().catch(() => false);
  }, { timeout, what: String(locator) });
}
