// Polls at the endpoint: a card per poll the organizer opened, at the top of the console, answered through the outbox
// like check-ins (one client_op_id per answer, sent exactly once, kept on the device while offline).
// - named and secret polls: one line per person recorded present or late, one tap per option (single choice: the tap
//   records, except "Khác", which waits for what it meant and "Ghi"; multiple: taps select, "Ghi" records). A secret
//   answer is confirmed first, cannot be changed, and once sent only "Đã trả lời" is shown: the choice is neither
//   drawn nor kept anywhere (state.js keeps no secret counts; the outbox parks a refused secret answer without its
//   payload).
// - endpoint polls: one count per option ("Khác" included, with an optional note), checked against the people present
//   before it is sent; typed counts are a draft kept on the device and marked unsaved until "Ghi số liệu".
import { forget, readStored, store } from "./storage.js";

const ATTENDED = new Set(["present", "late"]);
const COUNT_PATTERN = /^\d{1,6}$/;
// How long the bar says that a poll opened or closed (the card itself stays).
const NEWS_SECONDS = 20;

/** Whether two lists of option indexes hold the same ones. */
function sameChoices(a, b) {
  const left = [...(a || [])].sort((x, y) => x - y);
  const right = [...(b || [])].sort((x, y) => x - y);
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class Polls {
  /** ctx: data, labels, state, outbox, rollCall, newOpId, format, formatNodes, render(), notice(message). */
  constructor(ctx, draftsKey) {
    this.ctx = ctx;
    this.draftsKey = draftsKey;
    // Counts typed for endpoint polls and not recorded yet, by poll id: {counts: one string per option, other}.
    this.countDrafts = readStored(draftsKey) || {};
    // Options tapped and not recorded yet (a multiple-choice answer, or "Khác"), by "poll:person". Only in memory: a
    // secret ballot's choice never goes to the device's storage, and a tap is quickly made again.
    this.selections = {};
    // What "other" meant, typed next to a selection that holds "Khác", by the same keys (in memory, as selections).
    this.otherTexts = {};
    // A message next to a person or the counts (a check that failed before anything was sent), by the same keys.
    this.errors = {};
    this.cards = new Map();
    // Polls that closed while this page was open: their card stays where the operator was answering, saying so.
    this.closedHere = new Set();
    this.section = document.getElementById("polls");
    this.root = this.section.querySelector("[data-polls]");
    // Polls closed before: folded away below the roll-call, which is the job of the hour on a phone.
    this.past = document.getElementById("polls-closed");
    this.pastRoot = this.past.querySelector("[data-polls]");
  }

  listen() {
    this.section.addEventListener("click", (event) => {
      const card = event.target.closest("[data-poll-id]");
      const entry = card && this.ctx.state.polls.byId[Number(card.dataset.pollId)];
      if (!entry) {
        return;
      }
      const voter = event.target.closest("[data-person-id]");
      const personId = voter ? Number(voter.dataset.personId) : null;
      const option = event.target.closest("button[data-option]");
      if (option && personId !== null) {
        this.tap(entry, personId, Number(option.dataset.option));
      } else if (event.target.closest("button[data-record]") && personId !== null) {
        this.recordSelection(entry, personId);
      } else if (event.target.closest("button[data-save-counts]")) {
        this.saveCounts(entry);
      }
    });
    this.root.addEventListener("input", (event) => {
      const card = event.target.closest("[data-poll-id]");
      if (!card) {
        return;
      }
      if (event.target.matches("input[data-count], input[data-other-note]")) {
        this.keepCounts(Number(card.dataset.pollId), card);
        this.ctx.render();
      } else if (event.target.matches("input[data-other-text]")) {
        const voter = event.target.closest("[data-person-id]");
        this.otherTexts[`${card.dataset.pollId}:${voter.dataset.personId}`] = event.target.value;
      }
    });
    this.root.addEventListener("keydown", (event) => {
      const card = event.target.closest("[data-poll-id]");
      if (!card || event.key !== "Enter") {
        return;
      }
      const entry = this.ctx.state.polls.byId[Number(card.dataset.pollId)];
      if (event.target.matches("input[data-count], input[data-other-note]")) {
        event.preventDefault();
        this.saveCounts(entry);
      } else if (event.target.matches("input[data-other-text]")) {
        event.preventDefault();
        this.recordSelection(entry, Number(event.target.closest("[data-person-id]").dataset.personId));
      }
    });
  }

  // What the console knows

  /** Whether answers can be recorded now: the poll is open and the briefing live. */
  writable(entry) {
    return entry.poll.status === "open" && this.ctx.state.briefingStatus === "live";
  }

  /** The options offered: the organizer's, then "Khác" (other) when the poll allows it. */
  optionTexts(poll) {
    return poll.allow_other ? [...poll.options, this.ctx.labels.poll_other] : poll.options;
  }

  /** The index of "Khác", or -1 when the poll has none. */
  otherIndex(poll) {
    return poll.allow_other ? poll.options.length : -1;
  }

  /** Return the roster split into who may answer (present, late: pending check-ins count) and who may not, why. */
  people() {
    const { data, rollCall } = this.ctx;
    const latest = rollCall.pendingByPerson();
    const eligible = [];
    const others = [];
    for (const cell of data.roster) {
      for (const person of cell.people) {
        const current = rollCall.effective(person.id, latest);
        const status = current ? current.status : null;
        (ATTENDED.has(status) ? eligible : others).push({ person, status });
      }
    }
    return { eligible, others };
  }

  /** Return the latest outbox item of each person (or "endpoint": this endpoint's counts) for a poll. */
  latestItems(pollId) {
    const latest = new Map();
    for (const item of this.ctx.outbox.items) {
      if (item.kind !== "poll_answer" || item.poll_id !== pollId) {
        continue;
      }
      if (item.person_id !== null && item.person_id !== undefined) {
        latest.set(item.person_id, item);
      } else if (item.endpoint_id === this.ctx.state.endpointId) {
        latest.set("endpoint", item); // an organizer's outbox also holds other endpoints' counts
      }
    }
    return latest;
  }

  /** A person's answer as the console knows it: a pending item wins; its choices are never read for a secret poll. */
  answerOf(entry, personId, latest) {
    const item = latest.get(personId);
    const pending = item && item.state === "pending" ? item : null;
    const parked = item && item.state === "parked" ? item : null;
    if (entry.poll.kind === "secret") {
      return { answered: Boolean(entry.answered[personId]), waiting: Boolean(pending), parked, choices: [] };
    }
    const ballot = entry.ballots[personId];
    if (pending) {
      const { choices, other_text: otherText = "" } = pending.payload;
      return { answered: true, waiting: true, parked: null, choices, otherText: otherText || "", self: false };
    }
    return {
      answered: Boolean(ballot),
      waiting: false,
      parked,
      choices: ballot ? ballot.choices : [],
      otherText: (ballot && ballot.other_text) || "",
      self: Boolean(ballot && ballot.source === "self"),
    };
  }

  /** The endpoint's counts as the console knows them (a pending item wins), or null when none were entered. */
  countsOf(entry, latest) {
    const item = latest.get("endpoint");
    if (item && item.state === "pending") {
      return { counts: item.payload.counts, other: item.payload.other_text || "", waiting: true };
    }
    if (entry.reported && entry.tally) {
      return { counts: entry.tally.counts, other: entry.otherText || "", waiting: false };
    }
    return null;
  }

  hasDrafts() {
    return this.draftCount() > 0;
  }

  /** How many answers are typed or tapped and not recorded yet (where they still can be: the others are dropped). */
  draftCount() {
    const polls = this.ctx.state.polls.byId;
    const writable = (pollId) => polls[pollId] && this.writable(polls[pollId]);
    const counts = Object.keys(this.countDrafts).filter(writable).length;
    const selections = Object.keys(this.selections).filter((key) => writable(key.split(":")[0])).length;
    return counts + selections;
  }

  // Answering

  tap(entry, personId, index) {
    if (!this.writable(entry)) {
      return;
    }
    const { poll } = entry;
    const key = `${poll.id}:${personId}`;
    delete this.errors[key];
    const current = this.answerOf(entry, personId, this.latestItems(poll.id));
    const other = this.otherIndex(poll);
    if (!(key in this.otherTexts)) {
      this.otherTexts[key] = current.otherText || ""; // a named answer's "other" text, to correct it
    }
    if (poll.multiple) {
      const selected = new Set(this.selections[key] || (poll.kind === "secret" ? [] : current.choices));
      if (selected.has(index)) {
        selected.delete(index);
      } else {
        selected.add(index);
      }
      const choices = [...selected].sort((a, b) => a - b);
      const sameOther = !choices.includes(other) || this.otherTexts[key].trim() === (current.otherText || "");
      if (poll.kind !== "secret" && sameChoices(choices, current.choices) && sameOther) {
        this.forgetSelection(key); // tapped back to what is recorded: nothing to save
      } else {
        this.selections[key] = choices;
      }
      this.ctx.render();
      return;
    }
    if (index === other) {
      // "Khác" waits for what it means (optional) and its "Ghi"; any other option is recorded by its tap.
      this.selections[key] = [other];
      this.ctx.render();
      const field = this.root.querySelector(`[data-poll-id="${poll.id}"] [data-person-id="${personId}"] input`);
      if (field) {
        field.focus();
      }
      return;
    }
    this.answer(entry, personId, [index]);
  }

  forgetSelection(key) {
    delete this.selections[key];
    delete this.otherTexts[key];
  }

  recordSelection(entry, personId) {
    const key = `${entry.poll.id}:${personId}`;
    const choices = this.selections[key] || [];
    if (!choices.length) {
      this.errors[key] = this.ctx.labels.poll_choose;
      this.ctx.render();
      return;
    }
    this.answer(entry, personId, choices);
  }

  /** Put a person's answer in the outbox (a secret one once confirmed); the tapped selection goes with it. */
  answer(entry, personId, choices) {
    const { labels, format, state, outbox } = this.ctx;
    const { poll } = entry;
    const key = `${poll.id}:${personId}`;
    const person = this.ctx.rollCall.rows.get(personId).person;
    const current = this.answerOf(entry, personId, this.latestItems(poll.id));
    const other = this.otherIndex(poll);
    const otherText = choices.includes(other) ? (this.otherTexts[key] || "").replace(/\s+/g, " ").trim() : "";
    if (poll.kind === "secret") {
      if (current.answered || current.waiting) {
        return; // taken once: the buttons are gone already, a late tap changes nothing
      }
      const texts = this.optionTexts(poll);
      const chosen = choices
        .map((index) => (index === other && otherText ? `“${texts[index]}: ${otherText}”` : `“${texts[index]}”`))
        .join(", ");
      if (!window.confirm(format(labels.poll_secret_confirm, { name: person.name, choice: chosen }))) {
        return;
      }
    } else if (current.answered && sameChoices(choices, current.choices) && otherText === current.otherText) {
      this.forgetSelection(key); // the same answer again: nothing to send
      this.ctx.render();
      return;
    }
    const payload = { poll_id: poll.id, person_id: personId, choices, client_op_id: "" };
    if (otherText) {
      payload.other_text = otherText;
    }
    const id = this.ctx.newOpId();
    const added = outbox.add({
      id,
      kind: "poll_answer",
      state: "pending",
      sealed: poll.kind === "secret",
      briefing_id: state.briefingId,
      poll_id: poll.id,
      poll_question: poll.question,
      person_id: personId,
      person_name: person.name,
      url: this.ctx.data.poll_answer_url.replace("{id}", String(poll.id)),
      created_at: new Date().toISOString(),
      payload: { ...payload, client_op_id: id },
    });
    if (!added) {
      this.errors[key] = labels.storage_full;
    } else {
      this.forgetSelection(key);
      delete this.errors[key];
    }
    this.ctx.render();
  }

  /** Remember the counts (and "other" note) typed on an endpoint poll, or forget them when they are what is known. */
  keepCounts(pollId, card) {
    const counts = Array.from(card.querySelectorAll("input[data-count]"), (input) => input.value.trim());
    const note = card.querySelector("input[data-other-note]");
    const typed = { counts, other: note ? note.value : "" };
    const entry = this.ctx.state.polls.byId[pollId];
    const known = entry ? this.countsOf(entry, this.latestItems(pollId)) : null;
    if (entry && this.sameCounts(entry.poll, typed, known)) {
      delete this.countDrafts[pollId];
    } else {
      this.countDrafts[pollId] = typed;
    }
    delete this.errors[`${pollId}:endpoint`];
    this.saveDrafts();
  }

  /** Whether typed counts say what the console knows already (nothing typed, when nothing is known). */
  sameCounts(poll, typed, known) {
    const note = this.otherCounted(poll, typed.counts) ? typed.other.trim() : "";
    if (!known) {
      return typed.counts.every((value) => value === "") && !note;
    }
    return typed.counts.every((value, index) => value === String(known.counts[index])) && note === known.other;
  }

  /** Whether typed counts give "Khác" someone (its note is only sent then). */
  otherCounted(poll, counts) {
    const other = this.otherIndex(poll);
    return other >= 0 && COUNT_PATTERN.test(counts[other] || "") && Number(counts[other]) > 0;
  }

  saveDrafts() {
    if (Object.keys(this.countDrafts).length) {
      store(this.draftsKey, this.countDrafts);
    } else {
      forget(this.draftsKey);
    }
  }

  /** Check the typed counts against the people present (the server checks again) and put them in the outbox. */
  saveCounts(entry) {
    const { labels, state, outbox } = this.ctx;
    if (!entry || !this.writable(entry)) {
      return;
    }
    const { poll } = entry;
    const key = `${poll.id}:endpoint`;
    const draft = this.countDrafts[poll.id];
    if (!draft) {
      return; // nothing typed since the counts were recorded
    }
    const problem = this.countProblem(poll, draft.counts);
    if (problem) {
      this.errors[key] = problem;
      this.ctx.render();
      return;
    }
    const counts = draft.counts.map((value) => (value === "" ? 0 : Number(value)));
    const id = this.ctx.newOpId();
    const payload = { poll_id: poll.id, endpoint_id: state.endpointId, counts, client_op_id: id };
    const note = this.otherCounted(poll, draft.counts) ? draft.other.replace(/\s+/g, " ").trim() : "";
    if (note) {
      payload.other_text = note;
    }
    const added = outbox.add({
      id,
      kind: "poll_answer",
      state: "pending",
      briefing_id: state.briefingId,
      poll_id: poll.id,
      poll_question: poll.question,
      person_id: null,
      person_name: null,
      endpoint_id: state.endpointId,
      url: this.ctx.data.poll_answer_url.replace("{id}", String(poll.id)),
      created_at: new Date().toISOString(),
      payload,
    });
    if (!added) {
      this.errors[key] = labels.storage_full; // the draft stays, still marked unsaved
    } else {
      delete this.countDrafts[poll.id];
      delete this.errors[key];
      this.saveDrafts();
    }
    this.ctx.render();
  }

  /** Return what is wrong with typed counts ("" when nothing): whole numbers, within the people present. */
  countProblem(poll, typed) {
    const { labels, format } = this.ctx;
    if (typed.some((value) => value !== "" && !COUNT_PATTERN.test(value))) {
      return labels.poll_count_invalid;
    }
    const counts = typed.map((value) => (value === "" ? 0 : Number(value)));
    const present = this.people().eligible.length;
    if (poll.multiple) {
      const texts = this.optionTexts(poll);
      const over = counts.findIndex((count) => count > present);
      if (over >= 0) {
        return format(labels.poll_count_over_option, { option: texts[over], count: counts[over], present });
      }
    } else {
      const total = counts.reduce((sum, count) => sum + count, 0);
      if (total > present) {
        return format(labels.poll_count_over_total, { total, present });
      }
    }
    return "";
  }

  // Drawing

  render() {
    const { state, labels, notice, format } = this.ctx;
    const entries = state.polls.list();
    // Counts typed for a poll that closed meanwhile (say, while the page was shut) can no longer be recorded.
    const closed = Object.keys(this.countDrafts).filter((pollId) => {
      const entry = state.polls.byId[pollId];
      return entry && entry.poll.status !== "open";
    });
    if (closed.length) {
      closed.forEach((pollId) => delete this.countDrafts[pollId]);
      this.saveDrafts();
    }
    const people = this.people();
    const seen = new Set();
    const current = [];
    const past = [];
    for (const entry of entries) {
      seen.add(entry.poll.id);
      const node = this.renderCard(entry, people);
      (entry.poll.status === "open" || this.closedHere.has(entry.poll.id) ? current : past).push(node);
    }
    for (const [pollId, card] of this.cards) {
      if (!seen.has(pollId)) {
        card.root.remove();
        this.cards.delete(pollId);
      }
    }
    place(this.root, current);
    place(this.pastRoot, past);
    this.section.hidden = current.length === 0;
    this.past.hidden = past.length === 0;
    this.past.querySelector("[data-count]").textContent = format(labels.issues_count, { n: past.length });
    // Polls opened while the console was open: say it in the bar that stays in sight, and flash the card.
    const opened = state.polls.opened.splice(0);
    // (Not one that opened and closed while the console was away: it is news no more.)
    const fresh = opened
      .map((pollId) => this.cards.get(pollId))
      .filter((card) => card && card.entry.poll.status === "open");
    if (fresh.length) {
      notice(labels.poll_opened, NEWS_SECONDS);
      fresh.forEach((card) => flash(card.root));
    }
  }

  renderCard(entry, people) {
    const { poll } = entry;
    const { labels, data } = this.ctx;
    let card = this.cards.get(poll.id);
    const mode = poll.status === "open" ? `open-${poll.kind}` : "closed";
    if (!card || card.mode !== mode) {
      const wasOpen = card && card.mode.startsWith("open");
      const root = card ? card.root : element("article", "poll-card");
      card = { root, mode, entry, voters: new Map(), inputs: [] };
      root.dataset.pollId = String(poll.id);
      root.setAttribute("aria-labelledby", `poll-${poll.id}-question`);
      root.replaceChildren(...this.cardSkeleton(poll, card));
      this.cards.set(poll.id, card);
      if (wasOpen && mode === "closed") {
        // Closed while on screen: what was tapped or typed can no longer be recorded.
        delete this.countDrafts[poll.id];
        this.saveDrafts();
        for (const key of Object.keys(this.selections)) {
          if (key.startsWith(`${poll.id}:`)) {
            this.forgetSelection(key);
          }
        }
        this.closedHere.add(poll.id);
        this.ctx.notice(labels.poll_closed_notice, NEWS_SECONDS);
        flash(root);
      }
    }
    card.entry = entry;
    card.root.dataset.status = poll.status;
    card.status.textContent = data.poll_labels.statuses[poll.status] || poll.status;
    card.status.dataset.status = poll.status;
    const latest = this.latestItems(poll.id);
    if (mode === "closed") {
      this.renderClosed(card, entry, latest);
    } else if (poll.kind === "endpoint") {
      this.renderCounts(card, entry, latest, people);
    } else {
      this.renderVoters(card, entry, latest, people);
    }
    return card.root;
  }

  cardSkeleton(poll, card) {
    const { labels, data } = this.ctx;
    const head = element("div", "poll-head");
    head.append(element("span", "poll-kind", data.poll_labels.kinds[poll.kind] || poll.kind));
    card.status = element("span", "tag");
    head.append(card.status);
    const question = element("h3", "poll-question");
    question.id = `poll-${poll.id}-question`;
    question.append(element("bdi", "", poll.question));
    const nodes = [head, question];
    if (poll.status !== "open") {
      card.summary = element("div", "poll-summary");
      card.refusals = element("ul", "poll-refusals");
      nodes.push(card.summary, card.refusals);
      return nodes;
    }
    if (poll.kind === "endpoint") {
      card.present = element("p", "poll-meta");
      const fields = element("div", "poll-counts");
      this.optionTexts(poll).forEach((text, index) => {
        const label = element("label", "count-field");
        const name = element("span", "count-option");
        name.append(element("bdi", "", text));
        const input = element("input");
        input.type = "text";
        input.inputMode = "numeric";
        input.autocomplete = "off";
        input.maxLength = 6;
        input.placeholder = "0";
        input.dataset.count = String(index);
        label.append(name, input);
        fields.append(label);
        card.inputs.push(input);
      });
      if (poll.allow_other) {
        card.noteField = element("label", "other-field");
        card.noteField.append(element("span", "", labels.poll_other_note));
        card.note = element("input");
        card.note.type = "text";
        card.note.maxLength = 200;
        card.note.autocomplete = "off";
        card.note.dataset.otherNote = "";
        card.noteField.append(card.note);
        fields.append(card.noteField);
      }
      card.total = element("p", "count-total");
      const actions = element("div", "count-actions");
      card.unsaved = element("span", "row-unsaved", labels.unsaved);
      card.recorded = element("span", "count-state");
      card.save = element("button", "save-counts", labels.poll_save_counts);
      card.save.type = "button";
      card.save.dataset.saveCounts = "";
      actions.append(card.unsaved, card.recorded, card.save);
      card.error = element("p", "row-error");
      card.error.setAttribute("role", "alert");
      card.shown = null;
      nodes.push(card.present, fields, card.total, actions, card.error);
      return nodes;
    }
    card.meta = element("p", "poll-meta");
    nodes.push(card.meta);
    if (poll.kind === "secret") {
      nodes.push(element("p", "hint poll-secret", labels.poll_secret_hint));
    }
    if (poll.multiple) {
      nodes.push(element("p", "hint", labels.poll_multiple));
    } else if (poll.kind !== "secret") {
      nodes.push(element("p", "hint", labels.poll_single)); // a secret answer is confirmed first: its hint says so
    }
    card.list = element("ul", "voters");
    card.empty = element("p", "hint", labels.poll_nobody_present);
    card.others = element("details", "not-eligible");
    card.othersSummary = element("summary");
    card.othersList = element("ul");
    card.others.append(card.othersSummary, card.othersList);
    nodes.push(card.list, card.empty, card.others);
    return nodes;
  }

  renderVoters(card, entry, latest, people) {
    const { labels, format } = this.ctx;
    const { poll } = entry;
    const writable = this.writable(entry);
    let answered = 0;
    const items = people.eligible.map(({ person }) => {
      const answer = this.answerOf(entry, person.id, latest);
      if (answer.answered || answer.waiting) {
        answered += 1;
      }
      return this.renderVoter(card, entry, person, answer, writable);
    });
    const listed = Array.from(card.list.children);
    if (listed.length !== items.length || listed.some((node, index) => node !== items[index])) {
      card.list.replaceChildren(...items);
    }
    const eligibleIds = new Set(people.eligible.map(({ person }) => person.id));
    for (const personId of card.voters.keys()) {
      if (!eligibleIds.has(personId)) {
        card.voters.delete(personId);
      }
    }
    // A person no longer present (the roll-call changed) cannot answer: what was tapped for them goes.
    for (const key of Object.keys(this.selections)) {
      const [pollId, personId] = key.split(":").map(Number);
      if (pollId === poll.id && !eligibleIds.has(personId)) {
        this.forgetSelection(key);
      }
    }
    card.meta.textContent = format(labels.poll_answered, { answered, present: items.length });
    card.empty.hidden = items.length > 0;
    card.others.hidden = people.others.length === 0;
    card.othersSummary.textContent = format(labels.poll_not_eligible, { n: people.others.length });
    const statuses = this.ctx.data.statuses;
    card.othersList.replaceChildren(
      ...people.others.map(({ person, status }) => {
        const li = element("li");
        li.append(element("bdi", "voter-name", person.name), " ");
        li.append(element("span", "chip", status ? statuses[status] : labels.not_recorded));
        return li;
      }),
    );
  }

  renderVoter(card, entry, person, answer, writable) {
    const { labels, format } = this.ctx;
    const { poll } = entry;
    const key = `${poll.id}:${person.id}`;
    let voter = card.voters.get(person.id);
    if (!voter) {
      const li = element("li", "voter");
      li.dataset.personId = String(person.id);
      const head = element("div", "voter-head");
      const name = element("span", "voter-name", person.name);
      const chip = element("span", "chip");
      head.append(name, chip);
      const options = element("div", "options");
      options.setAttribute("role", "group");
      options.setAttribute("aria-label", format(labels.poll_answer_for, { name: person.name }));
      const buttons = this.optionTexts(poll).map((text, index) => {
        const button = element("button");
        button.type = "button";
        button.dataset.option = String(index);
        button.append(element("bdi", "", text));
        options.append(button);
        return button;
      });
      const actions = element("div", "voter-actions");
      const unsaved = element("span", "row-unsaved", labels.poll_not_recorded);
      const record = element("button", "record", labels.poll_record);
      record.type = "button";
      record.dataset.record = "";
      record.setAttribute("aria-label", format(labels.poll_record_for, { name: person.name }));
      actions.append(unsaved, record);
      // What "Khác" meant: typed while "Khác" is selected (named: the recorded text is shown below otherwise).
      let otherField = null;
      let otherInput = null;
      if (poll.allow_other) {
        otherField = element("label", "other-field");
        otherField.append(element("span", "", labels.poll_other_text));
        otherInput = element("input");
        otherInput.type = "text";
        otherInput.maxLength = 200;
        otherInput.autocomplete = "off";
        otherInput.dataset.otherText = "";
        otherField.append(otherInput);
      }
      const otherLine = element("p", "voter-other");
      const error = element("p", "row-error");
      error.setAttribute("role", "alert");
      li.append(head, options, ...(otherField ? [otherField] : []), actions, otherLine, error);
      voter = { li, chip, options, buttons, otherField, otherInput, actions, unsaved, record, otherLine, error };
      card.voters.set(person.id, voter);
    }
    const secret = poll.kind === "secret";
    const selection = this.selections[key];
    const taken = secret && (answer.answered || answer.waiting);
    // A secret answer is shown as given, never as what: no option is drawn once it is taken.
    voter.options.hidden = taken;
    voter.actions.hidden = taken || !(poll.multiple || selection);
    const choosingOther = Boolean(selection && selection.includes(this.otherIndex(poll)));
    if (voter.otherField) {
      voter.otherField.hidden = taken || !choosingOther;
      voter.otherInput.disabled = !writable;
      const typed = this.otherTexts[key] || "";
      if (voter.otherInput.value !== typed && document.activeElement !== voter.otherInput) {
        voter.otherInput.value = typed;
      }
    }
    // A named answer's "other" text, as recorded (or waiting), when it is not being changed.
    const otherLine = !secret && !choosingOther && answer.otherText ? answer.otherText : "";
    voter.otherLine.replaceChildren(...(otherLine ? this.ctx.formatNodes(labels.poll_other_said, { text: otherLine }) : []));
    voter.otherLine.hidden = !otherLine;
    const pressed = selection || (secret ? [] : answer.choices);
    for (const button of voter.buttons) {
      button.setAttribute("aria-pressed", String(pressed.includes(Number(button.dataset.option))));
      button.disabled = !writable;
    }
    const unsaved = Boolean(selection);
    voter.unsaved.hidden = !unsaved;
    voter.record.disabled = !writable || !unsaved || selection.length === 0;
    voter.li.classList.toggle("has-draft", unsaved);
    let chip;
    if (answer.waiting) {
      chip = labels.poll_waiting;
    } else if (answer.answered) {
      chip = answer.self ? labels.poll_self_answered : labels.poll_answered_chip;
    } else {
      chip = labels.poll_not_answered;
    }
    voter.chip.textContent = chip;
    voter.chip.dataset.status = answer.waiting ? "waiting" : answer.answered ? "answered" : "none";
    const error = this.errors[key] || (answer.parked ? format(labels.refused, { message: answer.parked.error }) : "");
    voter.error.textContent = error;
    voter.error.hidden = !error;
    return voter.li;
  }

  renderCounts(card, entry, latest, people) {
    const { labels, format } = this.ctx;
    const { poll } = entry;
    const writable = this.writable(entry);
    const present = people.eligible.length;
    card.present.textContent = format(labels.poll_present, { n: present });
    const known = this.countsOf(entry, latest);
    let draft = this.countDrafts[poll.id];
    if (draft && this.sameCounts(poll, draft, known)) {
      delete this.countDrafts[poll.id]; // what was typed is what is recorded now (here or on another device)
      this.saveDrafts();
      draft = undefined;
    }
    const wanted = draft || {
      counts: known ? known.counts.map(String) : card.inputs.map(() => ""),
      other: known ? known.other : "",
    };
    const shown = [...wanted.counts, wanted.other].join("\u0000");
    if (card.shown !== shown && !card.root.contains(document.activeElement)) {
      card.inputs.forEach((input, index) => {
        input.value = wanted.counts[index] ?? "";
      });
      if (card.note) {
        card.note.value = wanted.other;
      }
      card.shown = shown;
    }
    for (const input of [...card.inputs, ...(card.note ? [card.note] : [])]) {
      input.disabled = !writable;
    }
    const values = card.inputs.map((input) => input.value.trim());
    if (card.noteField) {
      card.noteField.hidden = !this.otherCounted(poll, values); // what "Khác" meant, once someone said "Khác"
    }
    const numbers = values.map((value) => (COUNT_PATTERN.test(value) ? Number(value) : 0));
    if (poll.multiple) {
      card.total.textContent = format(labels.poll_each_at_most, { present });
    } else {
      card.total.textContent = format(labels.poll_total, { total: numbers.reduce((a, b) => a + b, 0), present });
    }
    card.unsaved.hidden = !draft;
    card.root.classList.toggle("has-draft", Boolean(draft));
    card.save.disabled = !writable || !draft;
    if (known && known.waiting) {
      card.recorded.textContent = labels.poll_counts_waiting;
    } else {
      card.recorded.textContent = known ? labels.poll_counts_recorded : labels.poll_counts_none;
    }
    card.recorded.dataset.status = known ? (known.waiting ? "waiting" : "recorded") : "none";
    const item = latest.get("endpoint");
    const key = `${poll.id}:endpoint`;
    const error =
      this.errors[key] || (item && item.state === "parked" ? format(labels.refused, { message: item.error }) : "");
    card.error.textContent = error;
    card.error.hidden = !error;
  }

  renderClosed(card, entry, latest) {
    const { labels, format } = this.ctx;
    const { poll } = entry;
    const tally = entry.tally || { answered: 0, counts: [] };
    const lines = [];
    if (poll.kind === "endpoint" && !entry.reported) {
      lines.push(element("p", "poll-meta", labels.poll_counts_none));
    } else {
      lines.push(element("p", "poll-meta", format(labels.poll_closed_answered, { n: tally.answered })));
    }
    // A secret poll's counts are not kept on the device: the organizer's results have them.
    if (poll.kind !== "secret" && tally.counts.length) {
      const list = element("ul", "poll-results");
      this.optionTexts(poll).forEach((text, index) => {
        const li = element("li");
        li.append(element("bdi", "", text), element("span", "poll-count", String(tally.counts[index] ?? 0)));
        list.append(li);
      });
      lines.push(list);
    }
    card.summary.replaceChildren(...lines);
    // Answers that were still waiting when it closed: refused, said next to the poll (and in the refused list).
    const refused = [...latest.values()].filter((item) => item.state === "parked");
    card.refusals.replaceChildren(
      ...refused.map((item) => {
        const li = element("li", "row-error");
        const who = item.person_name || labels.poll_endpoint_counts;
        li.append(element("bdi", "", who), `: ${format(labels.refused, { message: item.error })}`);
        return li;
      }),
    );
    card.refusals.hidden = refused.length === 0;
  }

  /** The line of a refused answer in the console's list of refused actions. */
  parkedText(item) {
    const { labels, format } = this.ctx;
    return format(labels.poll_parked, {
      question: item.poll_question,
      who: item.person_name || labels.poll_endpoint_counts,
    });
  }
}

/** Put these nodes in the container, in order; moving a node takes the focus from a field in it, so only if needed. */
function place(container, nodes) {
  const current = Array.from(container.children);
  if (current.length !== nodes.length || current.some((node, index) => node !== nodes[index])) {
    container.replaceChildren(...nodes);
  }
}

function flash(node) {
  node.classList.remove("flash");
  void node.offsetWidth; // restart the animation
  node.classList.add("flash");
}
