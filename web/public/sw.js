// MentorMeMed's service worker: it caches the application SHELL only — index.html, the built
// scripts and styles (/assets/), the icons and the manifest — so that the app opens without a
// network. It never stores an API answer: /api/ requests are not even intercepted (network only),
// and nothing is written to the cache after installation. The build (vite.config.ts, shellManifest)
// fills in VERSION and SHELL; a new build is a new cache, and older ones are deleted on activation.
const VERSION = "dev";
const SHELL = [/* SHELL */];
const CACHE = `mmm-shell-${VERSION}`;
const PREFIX = "mmm-shell-";

self.addEventListener("install", (event) => {
  // cache: "reload" — the files as the server has them now, not the browser's HTTP cache.
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The APIs (personal data): straight to the network, never cached.
  if (url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // Network first, so a deploy is seen at once; the cached shell only when offline.
    event.respondWith(fetch(request).catch(() => caches.match("/index.html").then((r) => r || Response.error())));
    return;
  }
  if (url.pathname.startsWith("/assets/") || SHELL.includes(url.pathname)) {
    // Shell files: hashed names never change content, so the cache answers first.
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
  }
});
