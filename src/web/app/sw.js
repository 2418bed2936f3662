/*
 * The members' app service worker: it keeps the app's shell (page, script,
 * style, icons) so the app opens without a network, and nothing else.
 * Alerts and answers always come from the appliance and are never cached.
 */
"use strict";
const CACHE = "tocsin-shell-v1";
const SHELL = [
  "/app/",
  "/app/app.js",
  "/app/app.css",
  "/app/seal.js",
  "/app/manifest.webmanifest",
  "/app/icon-192.png",
  "/app/icon-512.png",
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
