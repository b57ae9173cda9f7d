// Engage's service worker (docs/offline.md), served at the root so it covers the app.
// It keeps the app shell only: the "Offline visits" page and the static files it needs, which
// hold no personal data. Pages and API answers are never stored: case data lives only in
// IndexedDB, encrypted by offline.js. Offline, any page opens the shell instead.
"use strict";
const CACHE = "engage-shell-{{ version }}";
const SHELL = "{% url 'offline:shell' %}";
const KEPT = [SHELL{% for asset in assets %}, "{{ asset|escapejs }}"{% endfor %}];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

function keep(path, response) {
  // Only the shell's own addresses are ever written, whatever else the page asks for.
  if (KEPT.includes(path) && response.ok && response.type === "basic") {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(path, copy));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // The network first; offline, the shell (which says when a page is not kept offline).
    event.respondWith(
      fetch(request)
        .then((response) => (url.pathname === SHELL ? keep(SHELL, response) : response))
        .catch(() => caches.match(SHELL))
    );
    return;
  }
  if (KEPT.includes(url.pathname) && !url.search) {
    event.respondWith(
      fetch(request)
        .then((response) => keep(url.pathname, response))
        .catch(() => caches.match(url.pathname))
    );
  }
  // Everything else goes to the network untouched and is not stored.
});
