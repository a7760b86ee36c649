// Drawing the poll cards: the open polls at the top of the console, those closed before folded below the roll-call.
// Nodes are made once per poll and person and updated in place, so a render never takes the focus from a field being
// typed in. Polls (polls.js: what the console knows, and the answering) extends this class: its methods and fields
// are those of the Polls instance.

/** A count as the operator may type it: a whole number of people. */
export const COUNT_PATTERN = /^\d{1,6}$/;
// How long the bar says that a poll opened or closed (the card itself stays).
const NEWS_SECONDS = 20;

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

export class PollCards {
  /** Draw every poll card, in order (open ones first), and point out those opened since the last drawing. */
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
}
