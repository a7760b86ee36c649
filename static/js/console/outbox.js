// The outbox: every action of this user (check-ins, link reports, raised issues, poll answers), in the order taken,
// kept in localStorage before it is sent. An action leaves the outbox only on an ok answer; one refused for good is
// parked and shown; anything else is retried with backoff. An item marked `sealed` (a secret ballot) keeps its
// payload only until it is answered: refused, it is parked without it, so the choice never stays on the device.
import { readStored, store } from "./storage.js";

// Refusals that sending again cannot change; rate_limited, unauthorized, try_again, server errors and timeouts are
// retried. An HTTP answer without our JSON error (a proxy's page) counts by its status.
const PERMANENT_ERRORS = new Set(["forbidden", "invalid", "not_found", "conflict"]);
const PERMANENT_STATUSES = new Set([403, 404, 409, 422]);
// What can go over REST when the socket is down (a link report only means something over the socket).
const REST_KINDS = new Set(["check_in", "issue", "poll_answer"]);
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

export class Outbox {
  /** options: key (localStorage), connection, onSettled(item, result), onChange() (after every change). */
  constructor(options) {
    this.key = options.key;
    this.connection = options.connection;
    this.onSettled = options.onSettled;
    this.onChange = options.onChange;
    this.items = readStored(this.key) || [];
    this.pumping = false;
    this.retryTimer = null;
    this.retryMs = 0;
    this.signedOut = false;
    // Another tab of the console changed the outbox: show the same thing.
    window.addEventListener("storage", (event) => {
      if (event.key === this.key) {
        this.items = readStored(this.key) || [];
        this.onChange();
      }
    });
    window.addEventListener("online", () => this.retryNow());
  }

  save() {
    return store(this.key, this.items);
  }

  /**
   * Keep an item on the device, in place of those `replaces` picks, and start sending it; return false (and change
   * nothing) when storage is full.
   */
  add(item, { replaces = () => false } = {}) {
    const before = this.items;
    this.items = [...before.filter((entry) => !replaces(entry)), item];
    if (!this.save()) {
      this.items = before;
      this.save();
      return false;
    }
    this.onChange();
    this.pump();
    return true;
  }

  /** Drop the items a test says are no longer wanted (a link report superseded, a parked item dismissed). */
  drop(test) {
    this.items = this.items.filter((item) => !test(item));
    this.save();
    this.onChange();
  }

  find(id) {
    return this.items.find((item) => item.id === id);
  }

  pending() {
    return this.items.filter((item) => item.state === "pending");
  }

  parked() {
    return this.items.filter((item) => item.state === "parked");
  }

  retryNow() {
    this.retryMs = 0;
    this.pump();
  }

  /** Return the next action that can go out now: anything with the socket up; all but link reports over REST. */
  nextSendable() {
    const pending = this.pending();
    if (this.connection.connected) {
      return pending[0];
    }
    if (!navigator.onLine) {
      return undefined;
    }
    return pending.find((item) => REST_KINDS.has(item.kind));
  }

  async pump() {
    if (this.pumping) {
      return;
    }
    this.pumping = true;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    try {
      for (;;) {
        const item = this.nextSendable();
        if (!item) {
          break;
        }
        let outcome;
        try {
          outcome = await this.connection.send(item);
        } catch (error) {
          outcome = { code: "network" }; // no answer: offline, timed out, or the connection dropped mid-way
        }
        // A refused form token means another sign-in replaced this page's session: the same remedy as a lost one.
        this.signedOut = outcome.code === "unauthorized" || outcome.code === "csrf_failed";
        if (outcome.ok) {
          this.items = this.items.filter((entry) => entry.id !== item.id);
          this.save();
          this.onSettled(item, outcome.result);
          this.retryMs = 0;
        } else if (isPermanent(outcome)) {
          item.state = "parked";
          item.error = outcome.message || "";
          if (item.sealed) {
            item.payload = null; // nothing sends a parked item again: the secret choice has no reason to stay
          }
          this.save();
        } else {
          this.retryMs = this.retryMs ? Math.min(this.retryMs * 2, MAX_RETRY_MS) : FIRST_RETRY_MS;
          this.retryTimer = window.setTimeout(() => this.pump(), this.retryMs + Math.random() * 500);
          break;
        }
        this.onChange();
      }
    } finally {
      this.pumping = false;
      this.onChange();
    }
  }
}

function isPermanent(outcome) {
  return PERMANENT_ERRORS.has(outcome.code) || (outcome.code !== "try_again" && PERMANENT_STATUSES.has(outcome.status));
}
