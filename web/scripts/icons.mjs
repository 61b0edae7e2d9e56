// Renders the app icons (PNG) from public/icons/icon.svg in Debian's Chromium: icon-192/512.png
// (the rounded icon, transparent corners) and maskable-192/512.png (full-bleed brand colour, the
// figure shrunk into the central safe zone that launchers may crop to a circle). The PNGs are
// committed; run again after changing the SVG: `node scripts/icons.mjs`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(web, "public", "icons");
const svg = fs.readFileSync(path.join(dir, "icon.svg"), "utf8");
const background = svg.match(/<rect[^>]*fill="(#[0-9a-fA-F]{6})"/)[1];
const figure = svg.replace(/^[\s\S]*?<rect[^>]*\/>/, "").replace(/<\/svg>\s*$/, "");
// The safe zone of a maskable icon is the circle of radius 40% in the middle: scaled to 80% around
// the centre, the figure stays inside it.
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="${background}"/>` +
  `<g transform="translate(6.4 6.4) scale(0.8)">${figure}</g></svg>`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  for (const size of [192, 512]) {
    for (const [name, source] of [["icon", svg], ["maskable", maskable]]) {
      const page = await browser.newPage({ viewport: { width: size, height: size } });
      const html = `<html><body style="margin:0;background:transparent">` +
        `<img width="${size}" height="${size}" src="data:image/svg+xml;base64,${Buffer.from(source).toString("base64")}"></body></html>`;
      await page.setContent(html);
      await page.locator("img").evaluate((img) => img.decode());
      const out = path.join(dir, `${name}-${size}.png`);
      await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
      await page.close();
      console.log(`icons: ${path.relative(web, out)}`);
    }
  }
} finally {
  await browser.close();
}
