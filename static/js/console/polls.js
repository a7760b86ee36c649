// Polls at the endpoint: a card per poll the organizer opened, at the top of the console, answered through the outbox
// like check-ins (one client_op_id per answer, sent exactly once, kept on the device while offline).
// - named and secret polls: one line per person recorded present or late, one tap per option (single choice: the tap
//   records, except "Khác", which waits for what it meant and "Ghi"; multiple: taps select, "Ghi" records). A secret
//   answer is confirmed first, cannot be changed, and once sent only "Đã trả lời" is shown: the choice is neither
//   drawn nor kept anywhere (state.js keeps no secret counts; the outbox parks a refused secret answer without its
//   payload).
// - endpoint polls: one count per option ("Khác" included, with an optional note), checked against the people present
//   before it is sent; typed counts are a draft kept on the device and marked unsaved until "Ghi số liệu".
//
// This module holds what the console knows of the polls and the answering; poll_cards.js, which Polls extends, draws.
import { COUNT_PATTERN, PollCards } from "./poll_cards.js";
import { forget, readStored, store } from "./storage.js";

const ATTENDED = new Set(["present", "late"]);

/** Whether two lists of option indexes hold the same ones. */
function sameChoices(a, b) {
  const left = [...(a || [])].sort((x, y) => x - y);
  const right = [...(b || [])].sort((x, y) => x - y);
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

export class Polls extends PollCards {
  /** ctx: data, labels, state, outbox, rollCall, newOpId, format, formatNodes, render(), notice(message). */
  constructor(ctx, draftsKey) {
    super();
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

  /** The line of a refused answer in the console's list of refused actions. */
  parkedText(item) {
    const { labels, format } = this.ctx;
    return format(labels.poll_parked, {
      question: item.poll_question,
      who: item.person_name || labels.poll_endpoint_counts,
    });
  }
}
