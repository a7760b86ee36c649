// A frozen version of the minutes is laid out as a PDF by a background job, a few seconds after it is frozen. While
// one is being prepared, ask the API now and then, and swap its status for the download link once it is ready (no
// reload: a correction being typed on the same page stays where it is).
(function () {
  "use strict";

  const url = document.currentScript && document.currentScript.dataset.url;
  const LIMIT_MS = 10 * 60 * 1000;
  const started = Date.now();
  let delay = 1500;

  function waiting() {
    return Array.from(document.querySelectorAll("[data-minutes-version]")).filter((box) =>
      box.querySelector("[data-minutes-preparing]"),
    );
  }

  function show(box, state) {
    const status = box.querySelector("[data-minutes-preparing]");
    if (state === "ready") {
      box.querySelector("[data-minutes-link]").hidden = false;
      status.remove();
    } else if (state === "failed") {
      status.removeAttribute("data-minutes-preparing");
      status.className = "small text-danger";
      status.textContent = status.dataset.failedText;
    }
  }

  async function check() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const states = new Map((await response.json()).map((version) => [String(version.version), version.state]));
        for (const box of waiting()) {
          show(box, states.get(box.dataset.minutesVersion));
        }
      }
    } catch (error) {
      // the link dropped for a moment: ask again at the next beat
    }
    if (waiting().length && Date.now() - started < LIMIT_MS) {
      delay = Math.min(delay * 1.5, 15000);
      window.setTimeout(check, delay);
    }
  }

  if (url && waiting().length) {
    window.setTimeout(check, delay);
  }
})();
