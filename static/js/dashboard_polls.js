// The dashboard's live poll tally. Each endpoint's tally is kept as the latest one seen (with its seq) and the totals
// are summed from those, never incremented: an "answered" event carries the endpoint's whole tally, so applying an
// event twice, or after a snapshot that already reflects it, cannot count an answer twice. The eligible people of
// an endpoint (present or late) come from the dashboard's own roll-call counts, as the server's results do.
(function () {
  "use strict";

  const { format, formatNodes } = window.MeetingHubLive;
  const { formatNumber } = window.MeetingHubDashboard;
  // Closed polls shown under the open ones: the newest few (their results stay on the briefing page).
  const CLOSED_SHOWN = 3;
  const percentFormat = new Intl.NumberFormat(document.documentElement.lang || "vi", {
    style: "percent",
    maximumFractionDigits: 0,
  });

  /** Write a share 0..1 the way the page's language writes percentages (no share of nobody: a dash). */
  function formatShare(part, whole) {
    return whole ? percentFormat.format(part / whole) : "–";
  }

  function setText(element, text) {
    if (element.textContent !== text) {
      element.textContent = text;
    }
  }

  class PollPanel {
    /**
     * section: the panel (hidden while there is no poll); list: where the poll cards go; template: one card;
     * labels: translated texts; board: the tiles (each shows its answered/eligible of the newest open poll).
     */
    constructor(section, list, template, labels, board) {
      this.section = section;
      this.list = list;
      this.template = template;
      this.labels = labels;
      this.board = board;
      this.polls = new Map(); // poll id -> {poll, statusSeq, tallies: Map endpoint id -> {answered, counts, seq}}
      this.cards = new Map(); // poll id -> the card's elements
      this.dirty = true;
      this.tilesShowPoll = false;
    }

    /** Replace every poll with the snapshot's (its tallies as of snapshot.seq). */
    applySnapshot(snapshot) {
      this.polls = new Map();
      for (const entry of snapshot.polls || []) {
        const tallies = new Map();
        for (const row of entry.by_endpoint) {
          tallies.set(row.endpoint_id, { answered: row.answered, counts: row.counts, seq: snapshot.seq });
        }
        this.polls.set(entry.id, { poll: entry, statusSeq: snapshot.seq, tallies });
      }
      this.dirty = true;
    }

    /** Apply one "poll" event (opened, answered, closed): a tally or a status newer than the one held. */
    applyEvent(event) {
      const known = this.polls.get(event.poll_id);
      if (event.action === "answered") {
        if (known) {
          this.setTally(known, event.endpoint_id, event.tally, event.seq);
        }
        return;
      }
      if (event.action !== "opened" && event.action !== "closed") {
        return;
      }
      const entry = known || { poll: event.poll, statusSeq: -1, tallies: new Map() };
      this.polls.set(event.poll_id, entry);
      if (entry.statusSeq < event.seq) {
        entry.poll = event.poll;
        entry.statusSeq = event.seq;
      }
      // The results carried are every endpoint's tally at that seq (the closed event's are final).
      for (const row of (event.poll.results || {}).by_endpoint || []) {
        this.setTally(entry, row.endpoint_id, row, event.seq);
      }
      this.dirty = true;
    }

    /** Return the feed's line of a "poll" event ({parts, at}), or null for answers (too many to list). */
    describe(event) {
      if (event.action === "opened") {
        return { parts: formatNodes(this.labels.poll_opened, { question: event.poll.question }), at: event.poll.opened_at };
      }
      if (event.action === "closed") {
        return { parts: formatNodes(this.labels.poll_closed, { question: event.poll.question }), at: event.poll.closed_at };
      }
      return null;
    }

    setTally(entry, endpointId, tally, seq) {
      const current = entry.tallies.get(endpointId);
      if (!current || current.seq < seq) {
        entry.tallies.set(endpointId, { answered: tally.answered, counts: tally.counts, seq });
        this.dirty = true;
      }
    }

    /** Return the polls to show: open ones (oldest first), then the newest closed ones. */
    shown() {
      const all = [...this.polls.values()];
      const open = all.filter((entry) => entry.poll.status === "open");
      const closed = all.filter((entry) => entry.poll.status === "closed").slice(-CLOSED_SHOWN).reverse();
      return [...open, ...closed];
    }

    /** Return an option's texts: the poll's own, and "other" when the poll has it. */
    optionTexts(poll) {
      return poll.allow_other ? [...poll.options, this.labels.poll_other] : [...poll.options];
    }

    /**
     * Draw the panel and the tiles' badges. eligible: endpoint id -> people present or late; changed: whether the
     * roll-call changed since the last call (the shares then move even without a poll event).
     */
    render(eligible, changed) {
      if (!this.dirty && !changed) {
        return;
      }
      this.dirty = false;
      const shown = this.shown();
      this.section.hidden = shown.length === 0;
      const keep = new Set(shown.map((entry) => entry.poll.id));
      for (const [pollId, card] of this.cards) {
        if (!keep.has(pollId)) {
          card.root.remove();
          this.cards.delete(pollId);
        }
      }
      const eligibleTotal = [...eligible.values()].reduce((sum, n) => sum + n, 0);
      shown.forEach((entry, position) => {
        const card = this.cardFor(entry.poll);
        if (this.list.children[position] !== card.root) {
          this.list.insertBefore(card.root, this.list.children[position] || null);
        }
        this.fillCard(card, entry, eligibleTotal);
      });
      this.renderTiles(shown.find((entry) => entry.poll.status === "open"), eligible);
    }

    cardFor(poll) {
      let card = this.cards.get(poll.id);
      if (card) {
        return card;
      }
      const root = this.template.content.firstElementChild.cloneNode(true);
      root.dataset.pollId = String(poll.id);
      root.querySelector(".poll-question").textContent = poll.question;
      root.querySelector(".poll-kind").textContent = this.labels[`poll_kind_${poll.kind}`] || "";
      const optionTemplate = root.querySelector(".poll-options template");
      const options = this.optionTexts(poll).map((text, index) => {
        const row = optionTemplate.content.firstElementChild.cloneNode(true);
        row.dataset.option = String(index);
        row.querySelector(".poll-option-text").textContent = text;
        row.querySelector(".progress").setAttribute("aria-label", text);
        optionTemplate.parentElement.append(row);
        return {
          row,
          count: row.querySelector(".poll-option-count"),
          share: row.querySelector(".poll-option-share"),
          bar: row.querySelector(".progress-bar"),
          meter: row.querySelector(".progress"),
        };
      });
      card = {
        root,
        options,
        status: root.querySelector(".poll-status"),
        answered: root.querySelector(".poll-answered"),
        endpoints: root.querySelector(".poll-endpoints"),
        multipleNote: root.querySelector(".poll-multiple"),
      };
      card.multipleNote.hidden = !poll.multiple;
      this.cards.set(poll.id, card);
      return card;
    }

    fillCard(card, entry, eligibleTotal) {
      const { poll } = entry;
      const closed = poll.status === "closed";
      card.root.dataset.status = poll.status;
      setText(card.status, closed ? this.labels.poll_closed_final : this.labels.poll_open);
      const className = `badge poll-status ${closed ? "text-bg-secondary" : "text-bg-danger"}`;
      if (card.status.className !== className) {
        card.status.className = className;
      }
      const totals = card.options.map(() => 0);
      let answered = 0;
      let endpointsAnswering = 0;
      for (const tally of entry.tallies.values()) {
        answered += tally.answered;
        endpointsAnswering += tally.answered > 0 ? 1 : 0;
        tally.counts.forEach((count, index) => {
          if (index < totals.length) {
            totals[index] += count;
          }
        });
      }
      card.options.forEach((option, index) => {
        setText(option.count, formatNumber(totals[index]));
        setText(option.share, formatShare(totals[index], answered));
        const width = `${answered ? Math.round((100 * totals[index]) / answered) : 0}%`;
        if (option.bar.style.width !== width) {
          option.bar.style.width = width;
        }
        option.meter.setAttribute("aria-valuenow", String(totals[index]));
        option.meter.setAttribute("aria-valuemax", String(answered));
      });
      setText(
        card.answered,
        format(this.labels.poll_answered, {
          answered: formatNumber(answered),
          eligible: formatNumber(eligibleTotal),
          share: formatShare(answered, eligibleTotal),
        }),
      );
      setText(
        card.endpoints,
        format(this.labels.poll_endpoints, {
          n: formatNumber(endpointsAnswering),
          total: formatNumber(this.board.views.size),
        }),
      );
    }

    /** Show each tile's answered/eligible for the newest open poll (nothing when none is open or nobody is there). */
    renderTiles(entry, eligible) {
      if (!entry && !this.tilesShowPoll) {
        return; // nothing shown on the tiles, nothing to show: a thousand tiles need no visit
      }
      this.tilesShowPoll = Boolean(entry);
      for (const endpointId of this.board.views.keys()) {
        let text = "";
        let complete = false;
        const answered = entry ? (entry.tallies.get(endpointId) || { answered: 0 }).answered : 0;
        const people = eligible.get(endpointId) || 0;
        // Where nobody is present yet, nobody can answer: no line rather than a thousand "0/0".
        if (entry && (answered || people)) {
          text = format(this.labels.poll_tile, { answered: formatNumber(answered), eligible: formatNumber(people) });
          complete = people > 0 && answered >= people;
        }
        this.board.showPoll(endpointId, text, complete);
      }
    }
  }

  window.MeetingHubDashboardPolls = { PollPanel, formatShare };
})();
