// The "no briefing yet" page: ask the server every few seconds (and when the device comes back online or the page
// into view) whether there is a briefing to take now, and go straight to it. No socket here: an operator is not in
// any briefing's room before one opens, and a small JSON poll works on every link.
(function () {
  "use strict";

  const page = document.getElementById("waiting");
  const pollMs = Number(page.dataset.pollSeconds) * 1000;
  let timer = null;
  let asking = false;

  async function ask() {
    if (asking) {
      return;
    }
    asking = true;
    window.clearTimeout(timer);
    try {
      const response = await fetch(page.dataset.nextUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      const answer = response.ok ? await response.json() : null;
      if (answer && answer.url) {
        page.querySelector("[data-status]").textContent = page.dataset.goingText;
        window.location.assign(answer.url);
        return;
      }
    } catch (error) {
      // offline: ask again later
    } finally {
      asking = false;
    }
    timer = window.setTimeout(ask, pollMs);
  }

  window.addEventListener("online", ask);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      ask();
    }
  });
  timer = window.setTimeout(ask, pollMs);
})();
