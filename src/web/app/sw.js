/*
 * The members' app service worker: it keeps the app's shell (page, modules,
 * style, icons) so the app opens without a network, and nothing else.
 * Alerts and answers always come from the appliance and are never cached.
 */
"use strict";
const CACHE = "tocsin-shell-v3";
// Every module the app imports: a unit test of the appliance checks the list.
const SHELL = [
  "/app/",
  "/app/alerts.js",
  "/app/app.js",
  "/app/checkin.js",
  "/app/location.js",
  "/app/motion.js",
  "/app/router.js",
  "/app/session.js",
  "/app/state.js",
  "/app/util.js",
  "/app/views/alert.js",
  "/app/views/critical.js",
  "/app/views/home.js",
  "/app/views/login.js",
  "/app/views/settings.js",
  "/app/views/timer.js",
  "/app/app.css",
  "/app/manifest.webmanifest",
  "/app/icon-192.png",
  "/app/icon-512.png",
  "/ui/i18n/en.js",
  "/ui/i18n/fi.js",
  "/ui/i18n/sv.js",
  "/ui/lib/api.js",
  "/ui/lib/dialog.js",
  "/ui/lib/dom.js",
  "/ui/lib/i18n.js",
  "/ui/lib/seal.js",
  "/ui/lib/storage.js",
  "/ui/lib/toast.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The network first, so a new appliance version shows at once; the cached
// shell only when the appliance can't be reached.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())),
  );
});

// A tap on a system notification brings the app forward.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((windows) => {
      for (const w of windows) if (w.url.includes("/app/")) return w.focus();
      return self.clients.openWindow("/app/");
    }),
  );
});
