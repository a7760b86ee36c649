// Date, time and month text inputs (data-date-input="date|time|month"): dd/mm/yyyy, 24-hour hh:mm and mm/yyyy
// whatever the browser's language. While one types digits the separators are added (a phone's digit pad has no "/"
// or ":"); on leaving the field a readable value is written out in full (1/2/2026 -> 01/02/2026, 8h30 -> 08:30).
// The server reads and checks every value itself (meeting_hub/date_fields.py): without this script the fields still
// work, and nothing here refuses input.
(function () {
  "use strict";

  // Each format's groups of digits, and the largest first digit of a two-digit group (a day starts with 0-3): a
  // larger one is a single-digit number, written with its 0 (typing 8 in a time gives "08:").
  const MASKS = {
    date: { separator: "/", groups: [{ size: 2, maxFirst: 3 }, { size: 2, maxFirst: 1 }, { size: 4 }] },
    time: { separator: ":", groups: [{ size: 2, maxFirst: 2 }, { size: 2, maxFirst: 5 }] },
    month: { separator: "/", groups: [{ size: 2, maxFirst: 1 }, { size: 4 }] },
  };

  const pad = (number) => String(number).padStart(2, "0");

  /** Lay digits out in the format's groups, with the separator as soon as a group is complete. */
  function maskDigits(digits, mask) {
    const parts = [];
    let current = "";
    for (const digit of digits) {
      const group = mask.groups[parts.length];
      if (!group) break;
      current = current === "" && group.maxFirst !== undefined && Number(digit) > group.maxFirst ? `0${digit}` : current + digit;
      if (current.length === group.size) {
        parts.push(current);
        current = "";
      }
    }
    let out = parts.join(mask.separator);
    if (current) {
      out += (parts.length ? mask.separator : "") + current;
    } else if (parts.length && parts.length < mask.groups.length) {
      out += mask.separator;
    }
    return out;
  }

  const digitsOf = (text) => text.replace(/\D/g, "");

  /** Write a readable value in full; leave anything else as typed (the server will say what is wrong). */
  function normalise(kind, value) {
    const text = value.trim();
    let found;
    if (kind === "date") {
      found = text.match(/^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$/);
      if (found) {
        const year = found[3].length === 2 ? `20${found[3]}` : found[3];
        return `${pad(found[1])}/${pad(found[2])}/${year}`;
      }
      found = text.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/);
      if (found) return `${pad(found[3])}/${pad(found[2])}/${found[1]}`;
    } else if (kind === "time") {
      found = text.match(/^(\d{1,2})\s*(?::|h|g)\s*(\d{2})?$/i) || text.match(/^(\d{1,2})(\d{2})$/);
      if (found) return `${pad(found[1])}:${found[2] || "00"}`;
    } else if (kind === "month") {
      found = text.match(/^(\d{1,2})\s*[/.-]\s*(\d{4})$/);
      if (found) return `${pad(found[1])}/${found[2]}`;
      found = text.match(/^(\d{4})-(\d{1,2})$/);
      if (found) return `${pad(found[2])}/${found[1]}`;
    }
    return value;
  }

  function onInput(event) {
    const input = event.target;
    const mask = MASKS[input.dataset.dateInput];
    const value = input.value;
    // Only while typing one character at the end: deleting, pasting or editing in the middle is left alone, and
    // so is a value the user lays out their own way (1/2/2026), which is written in full on leaving the field.
    if (event.inputType !== "insertText" || !event.data || event.data.length !== 1) return;
    if (input.selectionStart !== value.length) return;
    const before = value.slice(0, -1);
    if (before !== maskDigits(digitsOf(before), mask)) return;
    let masked;
    if (/\d/.test(event.data)) {
      masked = maskDigits(digitsOf(value), mask);
    } else if (/[/.:hg-]/i.test(event.data) && before) {
      // A separator typed by habit: after a one-digit day, month or hour it writes the 0 ("1" + "/" gives "01/");
      // anywhere else it is dropped ("18/" + "/" stays "18/"), since the mask adds separators itself.
      const groups = before.split(mask.separator);
      const current = groups[groups.length - 1];
      const isLastGroup = groups.length === mask.groups.length;
      masked =
        current.length === 1 && !isLastGroup
          ? before.slice(0, -1) + pad(current) + mask.separator
          : before;
    } else {
      return;
    }
    if (masked !== value) {
      input.value = masked;
      input.setSelectionRange(masked.length, masked.length);
    }
  }

  function onChange(event) {
    const input = event.target;
    const value = normalise(input.dataset.dateInput, input.value);
    if (value !== input.value) input.value = value;
  }

  function enhance(root) {
    root.querySelectorAll("input[data-date-input]").forEach((input) => {
      if (input.type === "hidden" || input.dataset.dateInputReady) return;
      input.dataset.dateInputReady = "1";
      input.addEventListener("input", onInput);
      input.addEventListener("change", onChange);
    });
  }

  enhance(document);
  window.MeetingHubDateInputs = { enhance, normalise };
})();
