import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The gateway serves dist/ at `/` and the APIs under /api/v1/; `npm run dev` proxies those to a
// platform started with `make up` (MMM_GATEWAY, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react(), shellManifest()],
  build: { outDir: "dist", sourcemap: false, assetsInlineLimit: 0, target: "es2022" },
  server: { proxy: { "/api": process.env.MMM_GATEWAY ?? "http://127.0.0.1:8080" } },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});

/** The service worker's shell: after the build, dist/sw.js (copied from public/) gets the list of
 * files to cache — index.html, every built script and style, the icons, the manifest — and a version
 * (a hash of those files) that names its cache. */
function shellManifest(): Plugin {
  let outDir = "dist";
  return {
    name: "mmm-shell-manifest",
    apply: "build",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else files.push("/" + path.relative(outDir, full).split(path.sep).join("/"));
        }
      };
      walk(outDir);
      const shell = files
        .filter((f) => f === "/index.html" || f === "/manifest.webmanifest" || f.startsWith("/icons/") ||
          (f.startsWith("/assets/") && /\.(js|css)$/.test(f)))
        .sort();
      const hash = createHash("sha256");
      for (const f of shell) hash.update(f).update(fs.readFileSync(path.join(outDir, f)));
      const target = path.join(outDir, "sw.js");
      const source = fs.readFileSync(target, "utf8");
      if (!source.includes('const VERSION = "dev";') || !source.includes("[/* SHELL */]")) {
        this.error("public/sw.js lacks the VERSION or SHELL marker the build fills in");
      }
      hash.update(source);
      fs.writeFileSync(target, source
        .replace('const VERSION = "dev";', `const VERSION = "${hash.digest("hex").slice(0, 16)}";`)
        .replace("[/* SHELL */]", JSON.stringify(shell)));
    },
  };
}
