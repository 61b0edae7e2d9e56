import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The gateway serves dist/ at `/` and the APIs under /api/v1/; `npm run dev` proxies those to a
// platform started with `make up` (MMM_GATEWAY, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, assetsInlineLimit: 0, target: "es2022" },
  server: { proxy: { "/api": process.env.MMM_GATEWAY ?? "http://127.0.0.1:8080" } },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
