// The console's service worker, served at /console-sw.js with SETTINGS (version, shell URLs, offline texts) put in
// front by the app. It keeps the console's shell (scripts, styles, the socket.io client) per version, and the console
// pages themselves (their HTML carries the roster), so the roll-call reopens with no connection at all.
// Everything else of the app passes straight through.
/* global SETTINGS */
"use strict";

const SHELL_CACHE = `meeting-hub-console-shell-${SETTINGS.version}`;
// Pages outlive a new version of the shell: the HTML of an open briefing must not vanish with an update.
const PAGE_CACHE = "meeting-hub-console-pages";
const CONSOLE_PATH = /^\/(console|briefings\/\d+\/console)$/;
// Serve the kept page when the network is this slow: on a dying link a fetch can hang for minutes.
const NETWORK_TIMEOUT_MS = 8000;
// The page /console (which redirects) shows offline as the console kept last.
const LATEST_PAGE_KEY = "/console";
// Shell URLs carry a content hash (?v=...); ES modules import each other by bare path. Each file is kept under its
// path, and SETTINGS.version changes with any shell file, so a kept copy is always the current one.
const shellPath = (url) => new URL(url, self.location.href).pathname;
const SHELL = new Set(SETTINGS.shell.map(shellPath));

async function keepShell(cache) {
  await Promise.all(
    SETTINGS.shell.map(async (url) => {
      // "no-cache": revalidate against the HTTP cache (a 304 when the page has just loaded the same files).
      const response = await fetch(new Request(url, { cache: "no-cache" }));
      if (!response.ok) {
        throw new Error(`${url}: ${response.status}`);
      }
      await cache.put(shellPath(url), response);
    }),
  );
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then(keepShell)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith("meeting-hub-console-shell-") && key !== SHELL_CACHE)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function pageKey(url) {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

async function keep(cache, url, response) {
  // Store a plain copy: a response marked "redirected" may not answer a navigation.
  const copy = new Response(await response.blob(), { status: response.status, headers: response.headers });
  await cache.put(pageKey(url), copy.clone());
  await cache.put(LATEST_PAGE_KEY, copy);
}

function offlinePage() {
  const body =
    `<!doctype html><html lang="vi"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${SETTINGS.offline_title}</title><p style="font:1rem sans-serif;margin:2rem">${SETTINGS.offline_message}</p>`;
  return new Response(body, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function consolePage(request) {
  const cache = await caches.open(PAGE_CACHE);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NETWORK_TIMEOUT_MS);
  try {
    const response = await fetch(request, { signal: controller.signal });
    if (response.ok && response.type === "basic" && CONSOLE_PATH.test(new URL(response.url).pathname)) {
      await keep(cache, response.url, response.clone());
    }
    return response;
  } catch (error) {
    const kept =
      (await cache.match(pageKey(request.url), { ignoreVary: true })) ||
      (await cache.match(LATEST_PAGE_KEY, { ignoreVary: true }));
    return kept || offlinePage();
  } finally {
    clearTimeout(timer);
  }
}

async function shellFile(request) {
  const cache = await caches.open(SHELL_CACHE);
  const kept = await cache.match(new URL(request.url).pathname, { ignoreVary: true });
  if (kept) {
    return kept; // versioned: a change to any shell file installs a new worker with a fresh copy
  }
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(new URL(request.url).pathname, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === "/sign-out") {
    // The kept pages hold a roster: they leave the device with the user, before the sign-out goes through.
    // (Actions not yet sent stay in the outbox, under the user's name, until that user signs in again.)
    event.respondWith(caches.delete(PAGE_CACHE).then(() => fetch(request)));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate" && CONSOLE_PATH.test(url.pathname)) {
    event.respondWith(consolePage(request));
  } else if (SHELL.has(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});

// The console asks whether its page is kept, and to fetch and keep it when the worker did not control the page's
// own load (the first visit): then the worker never saw it go by.
self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "keep-page") {
    return;
  }
  const url = new URL(event.data.url, self.location.origin);
  const answer = (ok) => event.source && event.source.postMessage({ type: "page-kept", ok });
  if (url.origin !== self.location.origin || !CONSOLE_PATH.test(url.pathname)) {
    answer(false);
    return;
  }
  event.waitUntil(
    caches.open(PAGE_CACHE).then(async (cache) => {
      const kept = await cache.match(pageKey(url.href), { ignoreVary: true });
      if (kept && !event.data.fetch) {
        answer(true);
        return;
      }
      try {
        const response = await fetch(url.href, { credentials: "same-origin", cache: "no-store" });
        if (response.ok && !response.redirected) {
          await keep(cache, url.href, response);
          answer(true);
          return;
        }
      } catch (error) {
        // offline: what is kept already will do
      }
      answer(Boolean(kept));
    }),
  );
});
