// What the server last told the console, at a seq: the endpoint's attendance records, its raised issues, its link
// status and the briefing's status. Kept on the device: a page reopened from the service worker's cache carries an
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
    this.applySnapshot(data.snapshot);
    for (const issue of data.issues) {
      this.applyIssue(issue, data.snapshot.seq);
    }
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
  }

  save() {
    const { seq, briefingStatus, briefingStatusAt, linkStatus, linkSeq, records, issues } = this;
    store(this.key, { seq, briefingStatus, briefingStatusAt, linkStatus, linkSeq, records, issues });
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
      }
      this.seq = Math.max(this.seq, event.seq);
    }
    this.save();
  }
}
