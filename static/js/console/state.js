// What the server last told the console, at a seq: the endpoint's attendance records, its raised issues, its link
// status, the briefing's status and its polls (with what the endpoint answered). Kept on the device: a page reopened from the service worker's cache carries an
// old snapshot, and the state saved on the device is newer then, and wins.
import { readStored, store } from "./storage.js";

export class ServerState {
  /** Start from the page's snapshot and issues, then take what the device saved if it is newer. */
  constructor(data, key) {
    this.key = key;
    this.endpointId = data.endpoint.id;
    this.briefingId = data.briefing.id;
    this.seq = 0;
    this.briefingStatus = data.briefing.status;
    this.briefingStatusAt = data.briefing.status_changed_at || null;
    this.briefingStatusSeq = 0;
    this.linkStatus = null;
    this.linkSeq = 0;
    this.records = {};
    this.issues = {};
    this.polls = new PollsState(this.endpointId);
    this.applySnapshot(data.snapshot);
    for (const issue of data.issues) {
      this.applyIssue(issue, data.snapshot.seq);
    }
    this.polls.applyList(data.polls.polls, data.polls.seq);
    this.restore(readStored(key));
  }

  restore(saved) {
    if (!saved) {
      return;
    }
    const fromPage = this.issues;
    if (saved.seq > this.seq) {
      for (const name of ["seq", "briefingStatus", "briefingStatusAt", "linkStatus", "linkSeq", "records"]) {
        if (name in saved) {
          this[name] = saved[name];
        }
      }
    }
    // Issues merge one by one: one sent over REST while the socket was down is known here but raised no seq.
    this.issues = fromPage;
    for (const issue of Object.values(saved.issues || {})) {
      this.applyIssue(issue, issue.seq || 0);
    }
    // Polls merge by seq too, each part on its own (a poll's status, a person's answer, the endpoint's tally).
    this.polls.merge(saved.polls || {});
  }

  save() {
    const { seq, briefingStatus, briefingStatusAt, linkStatus, linkSeq, records, issues } = this;
    const polls = this.polls.byId;
    store(this.key, { seq, briefingStatus, briefingStatusAt, linkStatus, linkSeq, records, issues, polls });
  }

  applySnapshot(snapshot) {
    for (const record of snapshot.records) {
      if (record.endpoint_id === this.endpointId) {
        const known = this.records[record.person_id];
        if (!known || known.seq <= snapshot.seq) {
          this.records[record.person_id] = { ...record, seq: snapshot.seq };
        }
      }
    }
    const link = snapshot.endpoints.find((entry) => entry.endpoint_id === this.endpointId);
    if (link && this.linkSeq <= snapshot.seq) {
      this.linkStatus = link.link_status;
      this.linkSeq = snapshot.seq;
    }
    this.seq = Math.max(this.seq, snapshot.seq);
  }

  applyRecord(record, seq) {
    const known = this.records[record.person_id];
    if (!known || known.seq < seq) {
      this.records[record.person_id] = { ...record, seq };
    }
  }

  /** Keep what is known of an issue at a seq, unless something newer is known already. */
  applyIssue(issue, seq) {
    const known = this.issues[issue.id];
    if (known && known.seq >= seq) {
      return;
    }
    this.issues[issue.id] = {
      id: issue.id,
      title: issue.title,
      category: issue.category,
      status: issue.status,
      person_id: issue.person_id ?? (known ? known.person_id : null),
      person_name: issue.person_name ?? (known ? known.person_name : null),
      seq,
    };
  }

  applyLinkStatus(status, seq) {
    if (seq > this.linkSeq) {
      this.linkStatus = status;
      this.linkSeq = seq;
    }
  }

  /** Apply live events (the endpoint's share of the briefing's, and the briefing's own status changes). */
  applyEvents(events) {
    for (const event of events) {
      if (event.type === "attendance" && event.endpoint_id === this.endpointId) {
        this.applyRecord(event, event.seq);
      } else if (event.type === "issue" && event.endpoint_id === this.endpointId) {
        this.applyIssue({ ...event, id: event.issue_id }, event.seq);
      } else if (event.type === "link_status" && event.endpoint_id === this.endpointId) {
        this.applyLinkStatus(event.link_status, event.seq);
      } else if (event.type === "briefing" && event.briefing_id === this.briefingId) {
        // Opened, closed, reopened: the console follows each without a reload.
        if (event.seq > this.briefingStatusSeq) {
          this.briefingStatus = event.status;
          this.briefingStatusAt = event.at || null;
          this.briefingStatusSeq = event.seq;
        }
      } else if (event.type === "poll" && event.briefing_id === this.briefingId) {
        this.polls.applyEvent(event);
      }
      this.seq = Math.max(this.seq, event.seq);
    }
    this.save();
  }
}

/**
 * The briefing's polls as the server told them, each with what this endpoint answered: the poll (question, options,
 * status) at statusSeq, the endpoint's tally at tallySeq, each person's choices with their seq (named), and who has
 * answered (secret: never what; the set only grows). Every part takes the newest seq, so applying an older or the
 * same thing again changes nothing.
 */
export class PollsState {
  constructor(endpointId) {
    this.endpointId = endpointId;
    this.byId = {};
    // Set when a secret poll's tally says more people answered here than the console knows of (another device, a
    // self-answer): the events do not say who, the console asks the server again.
    this.stale = false;
    // Polls opened since the page was drawn, for the console to point them out.
    this.opened = [];
  }

  entry(poll) {
    let entry = this.byId[poll.id];
    if (!entry) {
      entry = {
        poll,
        statusSeq: -1,
        tally: null,
        tallySeq: -1,
        reported: false,
        otherText: null,
        otherSeq: -1,
        ballots: {},
        answered: {},
      };
      this.byId[poll.id] = entry;
    }
    return entry;
  }

  applyPoll(poll, seq) {
    const entry = this.entry(poll);
    if (seq >= entry.statusSeq) {
      const { results: _r, tally: _t, ballots: _b, answered_people: _a, recorded_at: _at, ...plain } = poll;
      entry.poll = plain;
      entry.statusSeq = seq;
    }
    return entry;
  }

  applyTally(entry, tally, seq, { reported = false, otherText } = {}) {
    if (tally && seq >= entry.tallySeq) {
      // A secret poll's counts are never kept: with one person answered here, they would tell that person's choice.
      const counts = entry.poll.kind === "secret" ? [] : [...(tally.counts || [])];
      entry.tally = { answered: tally.answered, counts };
      entry.tallySeq = seq;
      if (otherText !== undefined) {
        entry.otherText = otherText; // an endpoint poll's note of what "other" meant (undefined: not told)
      }
    }
    // Endpoint polls: whether counts were entered at all (zeros entered are not "nothing entered yet").
    if (reported) {
      entry.reported = true;
    }
    if (entry.poll.kind === "secret" && entry.tally && entry.tally.answered > Object.keys(entry.answered).length) {
      this.stale = true;
    }
  }

  /** Keep a named poll's answer of one person: choices, "other" text, and who entered it (operator or self). */
  applyBallot(entry, personId, ballot, seq) {
    const known = entry.ballots[personId];
    if (!known || known.seq < seq) {
      const { choices, other_text: otherText = null, source = "operator" } = ballot;
      entry.ballots[personId] = { choices: [...choices], other_text: otherText, source, seq };
    }
  }

  markAnswered(pollId, personId) {
    const entry = this.byId[pollId];
    if (entry) {
      entry.answered[personId] = true;
    }
  }

  /** Take the polls of the page or of the console's polls URL, as they were at seq (or later). */
  applyList(polls, seq) {
    for (const poll of polls) {
      const entry = this.applyPoll(poll, seq);
      for (const ballot of poll.ballots || []) {
        this.applyBallot(entry, ballot.person_id, ballot, ballot.seq);
      }
      for (const personId of poll.answered_people || []) {
        entry.answered[personId] = true;
      }
      const otherText = poll.kind === "endpoint" ? poll.other_text ?? null : undefined;
      this.applyTally(entry, poll.tally, seq, { reported: Boolean(poll.recorded_at), otherText });
      entry.otherSeq = Math.max(entry.otherSeq ?? -1, seq);
    }
    this.stale = Object.values(this.byId).some(
      (entry) => entry.poll.kind === "secret" && entry.tally && entry.tally.answered > Object.keys(entry.answered).length,
    );
  }

  /** Take what the device saved (a page reopened from the cache is older than it). */
  merge(saved) {
    for (const stored of Object.values(saved)) {
      if (!stored || !stored.poll) {
        continue;
      }
      const entry = this.applyPoll(stored.poll, stored.statusSeq);
      for (const [personId, ballot] of Object.entries(stored.ballots || {})) {
        this.applyBallot(entry, Number(personId), ballot, ballot.seq);
      }
      Object.assign(entry.answered, stored.answered || {});
      const { reported, otherText } = stored;
      this.applyTally(entry, stored.tally, stored.tallySeq, { reported: Boolean(reported), otherText });
      entry.otherSeq = Math.max(entry.otherSeq, stored.otherSeq ?? -1);
    }
  }

  applyEvent(event) {
    if (event.action === "opened" || event.action === "closed") {
      const known = Boolean(this.byId[event.poll_id]);
      const entry = this.applyPoll(event.poll, event.seq);
      const mine = ((event.poll.results && event.poll.results.by_endpoint) || []).find(
        (row) => row.endpoint_id === this.endpointId,
      );
      this.applyTally(entry, mine, event.seq);
      if (event.action === "opened" && !known) {
        this.opened.push(event.poll_id);
      }
    } else if (event.action === "answered" && event.endpoint_id === this.endpointId) {
      const entry = this.byId[event.poll_id];
      if (!entry) {
        this.stale = true; // an answer to a poll this console has not heard of: ask for the polls again
        return;
      }
      if (entry.poll.kind === "named" && event.person_id !== undefined && event.person_id !== null) {
        this.applyBallot(entry, event.person_id, { ...event, choices: event.choices || [] }, event.seq);
      }
      this.applyTally(entry, event.tally, event.seq, { reported: true });
      if (entry.poll.kind === "endpoint" && entry.poll.allow_other && event.seq > entry.otherSeq) {
        this.stale = true; // the event does not carry the "other" note: ask for it
      }
    }
  }

  /** Take the answer the server acknowledged for an outbox item. */
  applyAnswer(item, answer) {
    const entry = this.byId[item.poll_id];
    if (!entry || !answer) {
      return;
    }
    const seq = answer.seq || 0;
    if (entry.poll.kind === "named" && answer.person_id !== undefined && answer.choices) {
      this.applyBallot(entry, answer.person_id, answer, seq);
    } else if (entry.poll.kind === "secret") {
      entry.answered[item.person_id] = true;
    }
    const otherText = entry.poll.kind === "endpoint" ? (item.payload && item.payload.other_text) || null : undefined;
    this.applyTally(entry, answer.tally, seq, { reported: true, otherText });
    if (otherText !== undefined) {
      entry.otherSeq = Math.max(entry.otherSeq, seq);
    }
  }

  /** Return the polls in the order the console shows them: open ones (newest first), then closed ones. */
  list() {
    const rank = (entry) => (entry.poll.status === "open" ? 0 : 1);
    const when = (entry) => entry.poll.closed_at || entry.poll.opened_at || "";
    return Object.values(this.byId)
      .filter((entry) => entry.poll.status === "open" || entry.poll.status === "closed")
      .sort((a, b) => rank(a) - rank(b) || when(b).localeCompare(when(a)) || b.poll.id - a.poll.id);
  }
}
