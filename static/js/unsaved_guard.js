// Typed text never vanishes without a word. A form marked `data-guard-unsaved="<name>"` keeps what is typed in it
// on the device (localStorage) while typing, warns before the page is left with edits not submitted, and restores the
// text when the form is shown again: after a reload, a crash, or a session that expired while typing (the POST then
// fails or ends on the sign-in page, and the form page shows the text again once signed back in).
// A submitted draft is forgotten only once the app says the step succeeded: a success message on the page the form
// led to. Files, passwords and hidden fields are never kept.
(function () {
  "use strict";

  const PREFIX = "meeting-hub:form-draft:";
  const MAX_AGE_MS = 14 * 24 * 3600 * 1000;
  const script = document.currentScript;
  const texts = script ? script.dataset : {};
  const when = new Intl.DateTimeFormat("vi-VN", {
    timeZone: texts.timeZone || "Asia/Ho_Chi_Minh",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

  function read(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function write(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // storage full or refused: the warning before leaving still protects the text
    }
  }

  function remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      // nothing to remove
    }
  }

  function storedKeys() {
    const keys = [];
    try {
      for (let index = 0; index < window.localStorage.length; index += 1) {
        const key = window.localStorage.key(index);
        if (key && key.startsWith(PREFIX)) {
          keys.push(key);
        }
      }
    } catch (error) {
      // no storage: nothing kept
    }
    return keys;
  }

  /** The fields whose text is worth keeping. */
  function fields(form) {
    return Array.from(form.elements).filter(
      (element) =>
        element.name &&
        element.name !== "csrf_token" &&
        !element.disabled &&
        !["hidden", "file", "password", "submit", "button", "reset"].includes(element.type),
    );
  }

  function valuesOf(form) {
    const values = {};
    for (const element of fields(form)) {
      if (element.type === "checkbox" || element.type === "radio") {
        values[`${element.name}=${element.value}`] = element.checked;
      } else {
        values[element.name] = element.value;
      }
    }
    return values;
  }

  /** Whether the fields still hold what the server rendered (nothing posted back, nothing typed). */
  function untouched(form) {
    return fields(form).every((element) => {
      if (element.type === "checkbox" || element.type === "radio") {
        return element.checked === element.defaultChecked;
      }
      if (element.tagName === "SELECT") {
        return Array.from(element.options).every((option) => option.selected === option.defaultSelected);
      }
      return element.value === element.defaultValue;
    });
  }

  function fill(form, values) {
    for (const element of fields(form)) {
      if (element.type === "checkbox" || element.type === "radio") {
        const key = `${element.name}=${element.value}`;
        if (key in values) {
          element.checked = Boolean(values[key]);
        }
      } else if (element.name in values) {
        element.value = values[element.name];
      }
    }
  }

  function sameValues(shown, kept) {
    return Object.keys(kept).every((name) => !(name in shown) || shown[name] === kept[name]);
  }

  function hasText(values) {
    return Object.values(values).some((value) => typeof value === "string" && value.trim());
  }

  /** Forget drafts too old to matter, and those whose submission the app has confirmed. */
  function tidy() {
    const succeeded = Boolean(document.querySelector(".alert-success"));
    let cameFrom = "";
    try {
      cameFrom = document.referrer ? new URL(document.referrer).pathname : "";
    } catch (error) {
      cameFrom = "";
    }
    for (const key of storedKeys()) {
      const draft = read(key);
      if (!draft || Date.now() - (draft.savedAt || 0) > MAX_AGE_MS) {
        remove(key);
      } else if (draft.submitted && succeeded && draft.page === cameFrom) {
        remove(key); // the form was sent from that page and the step it led to went through
      }
    }
  }

  function notice(form, draft, key) {
    const box = document.createElement("div");
    box.className = "alert alert-warning d-flex flex-wrap align-items-center gap-2";
    box.setAttribute("role", "status");
    const text = document.createElement("span");
    text.className = "me-auto";
    const parts = {};
    for (const part of when.formatToParts(new Date(draft.savedAt))) {
      parts[part.type] = part.value;
    }
    text.textContent = (texts.restored || "")
      .replace("{time}", `${parts.hour}:${parts.minute}`)
      .replace("{date}", `${parts.day}/${parts.month}/${parts.year}`);
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-sm btn-outline-dark"; // readable on the warning's yellow
    discard.textContent = texts.discard || "";
    discard.addEventListener("click", () => {
      if (!window.confirm(texts.discardConfirm || "")) {
        return;
      }
      remove(key);
      form.reset();
      guarded.set(form, false);
      box.remove();
    });
    box.append(text, discard);
    const heading = form.querySelector("h1, h2, h3, h4, h5, h6");
    if (heading) {
      heading.after(box);
    } else {
      form.prepend(box);
    }
  }

  // form -> whether it holds edits not submitted
  const guarded = new Map();
  let submitting = false;

  tidy();
  for (const form of document.querySelectorAll("form[data-guard-unsaved]")) {
    const key = `${PREFIX}${form.dataset.guardOwner || ""}:${window.location.pathname}:${form.dataset.guardUnsaved}`;
    guarded.set(form, false);
    const draft = read(key);
    if (draft && hasText(draft.values || {})) {
      if (sameValues(valuesOf(form), draft.values)) {
        // The server showed the form again with what was posted (a refusal, whose message says why): the text is
        // on screen already and still not saved, so leaving still warns, without a "restored" notice.
        guarded.set(form, true);
      } else if (untouched(form)) {
        fill(form, draft.values);
        guarded.set(form, true);
        notice(form, draft, key);
      }
    }
    const keep = () => {
      const values = valuesOf(form);
      guarded.set(form, true);
      if (hasText(values)) {
        write(key, { values, savedAt: Date.now(), page: window.location.pathname, submitted: false });
      } else {
        remove(key);
      }
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", () => {
      const draftNow = read(key);
      if (draftNow) {
        // Kept until the app confirms the step: a session lost on the way must not take the text with it.
        write(key, { ...draftNow, submitted: true });
      }
      submitting = true;
    });
  }

  window.addEventListener("beforeunload", (event) => {
    if (!submitting && Array.from(guarded.values()).some(Boolean)) {
      event.preventDefault();
      event.returnValue = ""; // Chromium before 119 needs it set
    }
  });
  // A page kept by the back/forward cache comes back with the flag of the submission it left for.
  window.addEventListener("pageshow", () => {
    submitting = false;
  });
})();
