// The web client's performance budget, printed as JSON (npm run perf -- <platform URL>):
//   - the first screen's JavaScript (dist/index.html's module script and modulepreloads), gzip ≤ 200 KB;
//   - Lighthouse (its default config = the mobile preset: a mid-range phone, simulated slow 4G) on the
//     sign-in, search (/mentors, a demo mentee) and dashboard (/institutions/<id>, a demo admin)
//     screens: performance ≥ 90, accessibility ≥ 95 (the median of --runs runs, default 3).
// Each figure says whether it is within budget; the exit status is 1 when any is not.
//
// Debian's Chromium is started by playwright-core with a remote-debugging port; a person signs in
// in a page of its default context (the refresh token lands in the HttpOnly cookie), and Lighthouse
// opens the screen in the same browser with disableStorageReset, so the client's silent refresh from
// the cookie signs it in, as it would for a returning person. Each run starts cold all the same (HTTP
// cache, service worker and Cache Storage cleared; only cookies kept): the figures are a first visit's.
//
// Needs a running platform with the demo data (`make demo`); logins from PERF_MENTEE / PERF_ADMIN
// ("email:password"), by default the demo's lakeside mentee1 and admin.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const RUNS = Number(option("--runs", process.env.PERF_RUNS ?? "3"));
// Which screens to audit (comma-separated; all three by default): a change to one screen can be measured
// without the others.
const SCREENS = new Set(option("--screens", "sign-in,search,dashboard").split(","));
const BASE_URL = (args[0] ?? process.env.E2E_BASE_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DEMO_PASSWORD = "mentormemed-demo-2025";
const login = (value, fallback) => {
  const [email, ...rest] = (value ?? fallback).split(":");
  return { email, password: rest.join(":") };
};
const MENTEE = login(process.env.PERF_MENTEE, `mentee1@lakeside.demo.mentormemed.org:${DEMO_PASSWORD}`);
const ADMIN = login(process.env.PERF_ADMIN, `admin@lakeside.demo.mentormemed.org:${DEMO_PASSWORD}`);

const BUDGET = { firstScreenJsGzipKb: 200, performance: 90, accessibility: 95 };
// As in e2e/harness.mjs.
const CHROME_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

/** The JavaScript the first screen loads before anything else: index.html's module script(s) and
 * modulepreload links (the screens themselves are lazy chunks; the sign-in screen is in the entry). */
function firstScreenJs() {
  const dist = path.join(web, "dist");
  const html = fs.readFileSync(path.join(dist, "index.html"), "utf8");
  const srcs = new Set();
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    if (/type=["']module["']/.test(tag)) srcs.add(tag.match(/src=["']([^"']+)["']/)?.[1]);
  }
  for (const tag of html.match(/<link\b[^>]*>/g) ?? []) {
    if (/rel=["']modulepreload["']/.test(tag)) srcs.add(tag.match(/href=["']([^"']+)["']/)?.[1]);
  }
  srcs.delete(undefined);
  const files = [...srcs].map((src) => {
    const bytes = fs.readFileSync(path.join(dist, src.replace(/^\//, "")));
    return { file: src, bytes: bytes.length, gzip_bytes: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  const gzip = files.reduce((sum, f) => sum + f.gzip_bytes, 0);
  const kb = Math.round((gzip / 1024) * 10) / 10;
  return { files, gzip_bytes: gzip, gzip_kb: kb, budget_kb: BUDGET.firstScreenJsGzipKb, within_budget: kb <= BUDGET.firstScreenJsGzipKb };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function signIn(context, who, landing = /.*/) {
  await context.clearCookies();
  const page = await context.newPage();
  try {
    await page.goto(`${BASE_URL}/signin`);
    await page.getByLabel("E-mail address").fill(who.email);
    await page.getByLabel("Password", { exact: false }).first().fill(who.password);
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/signin") && landing.test(url.pathname), { timeout: 20_000 });
    // The role's first screen (an admin lands on their institution's dashboard).
    await page.getByRole("heading", { level: 1 }).waitFor({ timeout: 20_000 });
    return new URL(page.url()).pathname;
  } finally {
    await page.close();
  }
}

let lighthouseVersion = null;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** A cold start but for the session: the HTTP cache, the service worker and every other kind of
 * storage of the origin cleared, the cookies (the refresh token) kept. */
async function coldStart(context) {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.clearBrowserCache");
    await cdp.send("Storage.clearDataForOrigin", {
      origin: new URL(BASE_URL).origin,
      storageTypes: "cache_storage,service_workers,local_storage,indexeddb,file_systems,websql,shader_cache",
    });
  } finally {
    await page.close();
  }
}

async function audit(context, port, name, url) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    await coldStart(context);
    const result = await lighthouse(url, {
      port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility"],
      disableStorageReset: true,
      // bf-cache (weight 0, not part of the score) navigates away and back, reloading the page at the
      // end of the run; the tab is then closed with that reload's token refresh in flight, its rotated
      // cookie lost, and the next run's refresh is taken for token reuse (identity revokes the family).
      skipAudits: ["bf-cache"],
    });
    const { lhr } = result;
    if (process.env.PERF_SAVE_DIR) {
      fs.mkdirSync(process.env.PERF_SAVE_DIR, { recursive: true });
      fs.writeFileSync(path.join(process.env.PERF_SAVE_DIR, `${name}-${i + 1}.json`), JSON.stringify(lhr));
    }
    lighthouseVersion = lhr.lighthouseVersion;
    if (lhr.runtimeError) throw new Error(`${name}: Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    const metric = (id) => Math.round(lhr.audits[id]?.numericValue ?? NaN);
    runs.push({
      performance: Math.round(lhr.categories.performance.score * 100),
      accessibility: Math.round(lhr.categories.accessibility.score * 100),
      final_url: lhr.finalDisplayedUrl,
      metrics_ms: {
        first_contentful_paint: metric("first-contentful-paint"),
        largest_contentful_paint: metric("largest-contentful-paint"),
        total_blocking_time: metric("total-blocking-time"),
        speed_index: metric("speed-index"),
      },
      cumulative_layout_shift: lhr.audits["cumulative-layout-shift"]?.numericValue ?? null,
      // Where the blocking time comes from (simulated, i.e. the observed work times the CPU slowdown).
      main_thread_ms: metric("mainthread-work-breakdown"),
      script_bootup_ms: metric("bootup-time"),
      long_tasks_ms: (lhr.audits["long-tasks"]?.details?.items ?? []).map((t) => Math.round(t.duration)),
      bootup_by_script: (lhr.audits["bootup-time"]?.details?.items ?? []).slice(0, 6).map((i) => ({ url: String(i.url).replace(/^https?:\/\/[^/]+/, ""), total_ms: Math.round(i.total), scripting_ms: Math.round(i.scripting) })),
      long_task_sources: (lhr.audits["long-tasks"]?.details?.items ?? []).slice(0, 4).map((t) => ({ url: String(t.url).replace(/^https?:\/\/[^/]+/, ""), start_ms: Math.round(t.startTime), ms: Math.round(t.duration) })),
      failed_accessibility_audits: lhr.categories.accessibility.auditRefs
        .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
        .map((ref) => ref.id),
    });
  }
  const performance = median(runs.map((r) => r.performance));
  const accessibility = median(runs.map((r) => r.accessibility));
  const landed = new URL(runs.at(-1).final_url).pathname;
  const expected = new URL(url).pathname;
  return {
    name,
    url,
    landed_on: landed,
    signed_in_as_expected: landed === expected,
    performance: { score: performance, budget: BUDGET.performance, within_budget: performance >= BUDGET.performance },
    accessibility: { score: accessibility, budget: BUDGET.accessibility, within_budget: accessibility >= BUDGET.accessibility },
    within_budget: performance >= BUDGET.performance && accessibility >= BUDGET.accessibility && landed === expected,
    runs,
  };
}

async function main() {
  const js = firstScreenJs();
  const port = await freePort();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "mmm-perf-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: null,
    args: [...CHROME_FLAGS, `--remote-debugging-port=${port}`],
  });
  const screens = [];
  try {
    if (SCREENS.has("sign-in")) screens.push(await audit(context, port, "sign-in", `${BASE_URL}/signin`));
    if (SCREENS.has("search")) {
      await signIn(context, MENTEE);
      screens.push(await audit(context, port, "search", `${BASE_URL}/mentors`));
    }
    if (SCREENS.has("dashboard")) {
      const dashboard = await signIn(context, ADMIN, /^\/institutions\//);
      if (!dashboard.startsWith("/institutions/")) throw new Error(`the admin landed on ${dashboard}, not a dashboard`);
      screens.push(await audit(context, port, "dashboard", `${BASE_URL}${dashboard}`));
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const report = {
    base_url: BASE_URL,
    lighthouse: {
      version: lighthouseVersion,
      preset: "mobile (Lighthouse's default config)",
      runs_per_screen: RUNS,
      score: "median",
      cache: "cold: HTTP cache, service worker and site storage cleared before each run, the session cookie kept",
    },
    chromium: CHROMIUM,
    first_screen_js: js,
    screens,
    within_budget: js.within_budget && SCREENS.size === 3 && screens.every((s) => s.within_budget),
  };
  console.log(JSON.stringify(report, null, 2));
  return report.within_budget ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`perf-budget: ${error.stack ?? error}`);
  process.exit(2);
});
