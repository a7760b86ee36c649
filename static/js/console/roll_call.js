// The roll-call: one row per person of the endpoint, grouped by cell, with the four statuses and the row's reason
// and substitute. A status tap is an outbox item at once. A reason or substitute typed on the row is a draft kept on
// the device and marked "not saved" until it goes out: with the status tapped next, when the field is left or Enter
// pressed (the row's status again, as a new check-in with its own client_op_id), or with the row's "save" button.
import { forget, readStored, store } from "./storage.js";

const ATTENDED = new Set(["present", "late"]);

/** Whether typed fields say what a known check-in says already (spaces around the text do not count). */
function sameText(typed, current) {
  return (
    typed.note.trim() === ((current && current.note) || "") &&
    typed.substitute_name.trim() === ((current && current.substitute_name) || "")
  );
}

export class RollCall {
  /**
   * ctx: data, labels, state (ServerState), outbox, newOpId, format, formatNodes, fold, canRecord(), render(),
   * notice(message).
   */
  constructor(ctx, draftsKey) {
    this.ctx = ctx;
    this.draftsKey = draftsKey;
    this.drafts = readStored(draftsKey) || {};
    this.rows = new Map();
    this.cells = [];
    this.root = document.getElementById("roster");
  }

  build() {
    const { data, labels, format } = this.ctx;
    const cellTemplate = document.getElementById("cell-template");
    const personTemplate = document.getElementById("person-template");
    for (const cell of data.roster) {
      const section = cellTemplate.content.firstElementChild.cloneNode(true);
      section.querySelector("[data-cell-name]").textContent = cell.name;
      const list = section.querySelector("ul");
      const cellRows = [];
      for (const person of cell.people) {
        const li = personTemplate.content.firstElementChild.cloneNode(true);
        li.dataset.personId = String(person.id);
        li.querySelector(".person-name").textContent = person.name;
        li.querySelector(".person-role").textContent = person.role;
        li.querySelector(".statuses").setAttribute("aria-label", format(labels.check_in_for, { name: person.name }));
        const raise = li.querySelector("button[data-raise]");
        raise.setAttribute("aria-label", format(labels.raise_for, { name: person.name }));
        const row = {
          person,
          li,
          chip: li.querySelector("[data-chip]"),
          time: li.querySelector("[data-time]"),
          noteLine: li.querySelector(".person-note"),
          buttons: Array.from(li.querySelectorAll("button[data-status]")),
          details: li.querySelector("details"),
          note: li.querySelector('input[name="note"]'),
          substitute: li.querySelector('input[name="substitute_name"]'),
          unsaved: li.querySelector(".row-unsaved"),
          save: li.querySelector("button[data-save-reason]"),
          raise,
          error: li.querySelector(".row-error"),
          errorKind: null,
          shown: null,
        };
        this.rows.set(person.id, row);
        cellRows.push(row);
        list.append(li);
      }
      this.cells.push({ section, rows: cellRows, count: section.querySelector("[data-cell-count]") });
      this.root.append(section);
    }
    // A row with a reason typed before a reload opens with it, marked unsaved.
    for (const personId of Object.keys(this.drafts)) {
      const row = this.rows.get(Number(personId));
      if (row) {
        row.details.open = true;
      }
    }
    this.listen();
  }

  listen() {
    this.root.addEventListener("click", (event) => {
      const li = event.target.closest("li.person");
      const row = li && this.rows.get(Number(li.dataset.personId));
      if (!row) {
        return;
      }
      const status = event.target.closest("button[data-status]");
      if (status) {
        this.checkIn(row, status.dataset.status, { closeDetails: true });
      } else if (event.target.closest("button[data-save-reason]")) {
        this.saveReason(row);
      }
    });
    this.root.addEventListener("input", (event) => {
      const li = event.target.closest("li.person");
      const row = li && this.rows.get(Number(li.dataset.personId));
      if (row && (event.target === row.note || event.target === row.substitute)) {
        this.clearError(row, "input");
        this.keepDraft(row);
        this.ctx.render();
      }
    });
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.matches('.extra input[type="text"]')) {
        event.preventDefault();
        this.saveReason(this.rows.get(Number(event.target.closest("li.person").dataset.personId)));
      }
    });
    // Leaving the row's fields saves what was typed, unless the next tap is on the same row (a status button sends
    // the text with it; the row's own buttons decide).
    this.root.addEventListener("focusout", (event) => {
      const li = event.target.closest("li.person");
      const row = li && this.rows.get(Number(li.dataset.personId));
      if (!row || !row.details.contains(event.target) || (event.relatedTarget && li.contains(event.relatedTarget))) {
        return;
      }
      if (this.drafts[row.person.id] && this.effective(row.person.id)) {
        this.saveReason(row);
      }
    });
  }

  /** Return the person's status, note and substitute as the console knows them: a pending action wins. */
  effective(personId, latest = this.pendingByPerson()) {
    const item = latest.get(personId);
    if (item && item.state === "pending") {
      const { status, note, substitute_name: substituteName } = item.payload;
      return { status, note, substitute_name: substituteName, recorded_at: null, waiting: true };
    }
    const record = this.ctx.state.records[personId];
    return record ? { ...record, waiting: false } : null;
  }

  pendingByPerson() {
    const latest = new Map();
    for (const item of this.ctx.outbox.items) {
      if (item.kind === "check_in" && item.briefing_id === this.ctx.data.briefing.id) {
        latest.set(item.person_id, item);
      }
    }
    return latest;
  }

  /** Remember what is typed on a row, or forget it when it is what the console has already. */
  keepDraft(row) {
    const typed = { note: row.note.value, substitute_name: row.substitute.value };
    if (sameText(typed, this.effective(row.person.id))) {
      delete this.drafts[row.person.id];
    } else {
      this.drafts[row.person.id] = typed;
    }
    this.saveDrafts();
  }

  saveDrafts() {
    if (Object.keys(this.drafts).length) {
      store(this.draftsKey, this.drafts);
    } else {
      forget(this.draftsKey);
    }
  }

  hasDrafts() {
    return Object.keys(this.drafts).length > 0;
  }

  /** Send the row's reason and substitute with the status it has; without one, say how to save them. */
  saveReason(row) {
    const current = this.effective(row.person.id);
    if (!current) {
      this.showError(row, this.ctx.labels.reason_needs_status);
      return;
    }
    this.checkIn(row, current.status, { closeDetails: false });
  }

  checkIn(row, status, { closeDetails }) {
    const { data, labels, state, outbox } = this.ctx;
    if (!this.ctx.canRecord()) {
      return;
    }
    const note = row.note.value.trim();
    const substituteName = row.substitute.value.trim();
    if (substituteName && !ATTENDED.has(status)) {
      this.showError(row, labels.substitute_needs_attendance);
      row.details.open = true;
      return;
    }
    const current = this.effective(row.person.id);
    if (
      current &&
      current.status === status &&
      (current.note || "") === note &&
      (current.substitute_name || "") === substituteName
    ) {
      this.forgetDraft(row); // a second tap on the same answer, or a field typed back to what it was
      this.ctx.render();
      return;
    }
    this.clearError(row, "input");
    const id = this.ctx.newOpId();
    const accepted = outbox.add({
      id,
      kind: "check_in",
      state: "pending",
      briefing_id: state.briefingId,
      person_id: row.person.id,
      person_name: row.person.name,
      url: data.api_url,
      created_at: new Date().toISOString(),
      payload: {
        briefing_id: state.briefingId,
        person_id: row.person.id,
        status,
        note,
        substitute_name: substituteName,
        client_op_id: id,
      },
    });
    if (!accepted) {
      this.showError(row, labels.storage_full); // the draft stays, still marked unsaved
      return;
    }
    this.forgetDraft(row);
    if (closeDetails) {
      row.details.open = false;
    }
    this.ctx.render();
  }

  forgetDraft(row) {
    if (this.drafts[row.person.id]) {
      delete this.drafts[row.person.id];
      this.saveDrafts();
    }
    row.shown = null; // refill the fields from what is now known
  }

  showError(row, message, kind = "input") {
    row.error.textContent = message;
    row.error.hidden = false;
    row.errorKind = kind;
  }

  clearError(row, kind) {
    if (row.errorKind === kind) {
      row.error.hidden = true;
      row.errorKind = null;
    }
  }

  /** Draw every row and return the totals by status (pending: nobody recorded yet). */
  render(writable, raisable) {
    const { labels, format, formatNodes, formatTime } = this.ctx;
    const statusLabels = this.ctx.data.statuses;
    const latest = this.pendingByPerson();
    const totals = { present: 0, late: 0, excused: 0, absent: 0, pending: 0 };
    for (const row of this.rows.values()) {
      const current = this.effective(row.person.id, latest);
      const status = current ? current.status : null;
      totals[status || "pending"] += 1;
      // What people typed (a substitute's name, a note) goes in isolated <bdi> nodes: see formatNodes.
      const chip = [status ? statusLabels[status] : labels.not_recorded];
      if (current && current.substitute_name) {
        chip.push(" · ", ...formatNodes(labels.substitute, { name: current.substitute_name }));
      }
      if (current && current.waiting) {
        chip.push(` · ${labels.waiting}`);
      }
      // When the server recorded it, in the network's time: a late arrival's time is part of the roll-call.
      const at = current && !current.waiting ? formatTime(current.recorded_at) : "";
      row.time.textContent = at;
      row.time.dateTime = current && at ? current.recorded_at : "";
      row.time.title = at ? format(labels.recorded_at, { time: at }) : "";
      row.time.hidden = !at;
      row.chip.replaceChildren(...chip);
      row.chip.dataset.status = status || "none";
      row.chip.classList.toggle("waiting", Boolean(current && current.waiting));
      const note = current && current.note ? current.note : "";
      row.noteLine.replaceChildren(...(note ? formatNodes(labels.note, { note }) : []));
      row.noteLine.hidden = !note;
      for (const button of row.buttons) {
        button.setAttribute("aria-pressed", String(button.dataset.status === status));
        button.disabled = !writable;
      }
      this.renderFields(row, current, writable);
      row.raise.disabled = !raisable;
      const item = latest.get(row.person.id);
      if (item && item.state === "parked") {
        this.showError(row, format(labels.refused, { message: item.error }), "parked");
      } else {
        this.clearError(row, "parked"); // the refused action was dismissed or superseded
      }
    }
    for (const cell of this.cells) {
      const done = cell.rows.filter((row) => this.effective(row.person.id, latest)).length;
      cell.count.textContent = `${done}/${cell.rows.length}`;
    }
    return totals;
  }

  renderFields(row, current, writable) {
    let draft = this.drafts[row.person.id];
    if (draft && sameText(draft, current)) {
      // What was typed is what the console has now (sent, or the same arrived from elsewhere): nothing unsaved.
      delete this.drafts[row.person.id];
      this.saveDrafts();
      draft = undefined;
    }
    // The fields show the draft when there is one; otherwise the record, refilled when it changed, unless the
    // operator is typing in them.
    const wanted = draft || {
      note: current ? current.note || "" : "",
      substitute_name: current ? current.substitute_name || "" : "",
    };
    const shown = `${wanted.note}\u0000${wanted.substitute_name}`;
    if (row.shown !== shown && !row.li.contains(document.activeElement)) {
      row.note.value = wanted.note;
      row.substitute.value = wanted.substitute_name;
      row.shown = shown;
    }
    row.unsaved.hidden = !draft;
    if (draft) {
      row.details.open = true; // unsaved text stays in sight, next to its save button
    }
    row.li.classList.toggle("has-draft", Boolean(draft));
    row.save.disabled = !draft || !writable;
  }

  /** Show only the people whose folded name holds every typed word; return how many are shown. */
  search(query) {
    const terms = this.ctx.fold(query).split(" ").filter(Boolean);
    let visible = 0;
    for (const cell of this.cells) {
      let shownInCell = 0;
      for (const row of cell.rows) {
        const match = terms.every((term) => row.person.key.includes(term));
        row.li.hidden = !match;
        shownInCell += match ? 1 : 0;
      }
      cell.section.hidden = shownInCell === 0;
      visible += shownInCell;
    }
    return visible;
  }

  personName(personId, fallback) {
    const row = personId === null || personId === undefined ? null : this.rows.get(personId);
    return row ? row.person.name : fallback || "";
  }
}
