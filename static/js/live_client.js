// The /live socket as the console and the dashboard use it: connect, watch a briefing, catch up by seq, and pass on
// each event once. Python-socketio delivers at most once and has no connection-state recovery, so every (re)connect
// sends `watch` with the last seq applied and gets back the missed events or a fresh snapshot.
(function () {
  "use strict";

  const WATCH_TIMEOUT_MS = 15000;
  const RESYNC_RETRY_MS = 2000;
  // Events of several server processes reach a dashboard in the order their processes send them, so a later seq may
  // come first by a few milliseconds (more under load). Wait this long for a missing seq before asking the server.
  const GAP_WAIT_MS = 2000;

  /** Fold Vietnamese text for search: lower case, no diacritics, đ -> d, single spaces (like meeting_hub.vietnamese.fold). */
  function fold(text) {
    return (text || "")
      .replace(/[đĐ]/g, "d")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .join(" ");
  }

  /** Return a fresh client_op_id; crypto.randomUUID only exists in secure contexts, so fall back to random bytes. */
  function newOpId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Fill "{name}" placeholders of a translated label. */
  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  /**
   * Return a <bdi> holding text someone typed (a name, a note, a title): the browser lays it out apart from the text
   * around it, so that a right-to-left name or a bidi override (U+202E) inside it cannot reorder that text.
   */
  function isolated(text) {
    const element = document.createElement("bdi");
    element.textContent = String(text);
    return element;
  }

  /** Fill a translated label as nodes to append: its own text as strings, each value in an isolated <bdi>. */
  function formatNodes(template, values) {
    const nodes = [];
    let rest = String(template);
    for (let match = rest.match(/\{(\w+)\}/); match; match = rest.match(/\{(\w+)\}/)) {
      nodes.push(rest.slice(0, match.index), match[1] in values ? isolated(values[match[1]]) : match[0]);
      rest = rest.slice(match.index + match[0].length);
    }
    nodes.push(rest);
    return nodes.filter((node) => node !== "");
  }

  /** Read the JSON a page embeds in <script type="application/json" id=...>. */
  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  /**
   * A watched briefing over the /live namespace.
   *
   * options: briefingId, lastSeq (the seq of the state the page starts from), strict (dashboards: every event reaches
   * them, so a seq gap that stays open for gapWaitMs means something was lost and triggers a catch-up by seq;
   * operators only get their endpoint's share and see gaps by design), onSnapshot(snapshot), onEvents(events),
   * onState(state, detail), onWatched().
   */
  class LiveClient {
    constructor(options) {
      this.briefingId = options.briefingId;
      this.lastSeq = options.lastSeq ?? null;
      this.strict = Boolean(options.strict);
      this.onSnapshot = options.onSnapshot || (() => {});
      this.onEvents = options.onEvents || (() => {});
      this.onState = options.onState || (() => {});
      this.onWatched = options.onWatched || (() => {});
      this.gapWaitMs = options.gapWaitMs ?? GAP_WAIT_MS;
      this.catchingUp = false;
      this.buffer = [];
      this.pending = new Map(); // seq -> event that came before the seqs it follows (strict mode)
      this.gapTimer = null;
      this.socket = null;
    }

    get connected() {
      return Boolean(this.socket && this.socket.connected);
    }

    start() {
      this.socket = window.io("/live", {
        autoConnect: false,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 5000,
        timeout: 10000,
      });
      const socket = this.socket;
      socket.on("connect", () => {
        this.onState("online");
        this.watch(this.lastSeq);
      });
      socket.on("disconnect", (reason) => {
        this.catchingUp = false;
        this.onState(navigator.onLine ? "connecting" : "offline");
        // The server closed the connection on purpose (a restart, a deploy): socket.io leaves it closed; come back.
        if (reason === "io server disconnect" && navigator.onLine) {
          window.setTimeout(() => socket.connect(), RESYNC_RETRY_MS);
        }
      });
      socket.on("connect_error", () => {
        // socket.active is false when the server refused us (no valid session): retrying would not help.
        this.onState(socket.active ? (navigator.onLine ? "connecting" : "offline") : "refused");
      });
      socket.on("events", (message) => {
        if (message && message.briefing_id === this.briefingId && Array.isArray(message.events)) {
          this.receive(message.events);
        }
      });
      // The browser knows before the socket does when the device drops off the network: an open websocket can live
      // on for a ping timeout (or forever on some networks). Close it at once and reopen it when the network returns.
      window.addEventListener("offline", () => {
        socket.disconnect();
        this.onState("offline");
      });
      window.addEventListener("online", () => {
        this.onState("connecting");
        socket.connect();
      });
      if (navigator.onLine) {
        this.onState("connecting");
        socket.connect();
      } else {
        this.onState("offline");
      }
    }

    /** Send an event and resolve with its ack; reject when not connected or when no ack comes within timeoutMs. */
    emit(name, data, timeoutMs) {
      return new Promise((resolve, reject) => {
        if (!this.connected) {
          reject(new Error("not connected"));
          return;
        }
        this.socket.timeout(timeoutMs).emit(name, data, (error, ack) => (error ? reject(error) : resolve(ack)));
      });
    }

    /** Ask for what happened after lastSeq (or, without it, a fresh snapshot); events arriving meanwhile wait. */
    watch(lastSeq) {
      this.catchingUp = true;
      const message = { briefing_id: this.briefingId };
      if (lastSeq !== null && lastSeq !== undefined) {
        message.last_seq = lastSeq;
      }
      this.emit("watch", message, WATCH_TIMEOUT_MS)
        .then((ack) => {
          if (!ack || !ack.ok) {
            this.catchingUp = false;
            this.onState("error", ack && ack.error);
            return;
          }
          if (ack.snapshot) {
            this.lastSeq = ack.snapshot.seq;
            this.onSnapshot(ack.snapshot);
          } else {
            const missed = (ack.events || []).filter((event) => this.lastSeq === null || event.seq > this.lastSeq);
            const newest = missed.reduce((top, event) => Math.max(top, event.seq), ack.seq);
            this.lastSeq = Math.max(this.lastSeq ?? 0, newest);
            if (missed.length) {
              this.onEvents(missed);
            }
          }
          this.catchingUp = false;
          const waiting = this.buffer;
          this.buffer = [];
          this.receive(waiting);
          this.onWatched();
        })
        .catch(() => {
          this.catchingUp = false;
          if (this.connected) {
            window.setTimeout(() => this.connected && this.watch(this.lastSeq), RESYNC_RETRY_MS);
          }
        });
    }

    /** Apply live events in seq order, each once; in strict mode hold back those after a gap until it closes. */
    receive(events) {
      if (this.catchingUp) {
        this.buffer.push(...events);
        return;
      }
      for (const event of events) {
        if (this.lastSeq === null || event.seq > this.lastSeq) {
          this.pending.set(event.seq, event);
        }
      }
      for (const seq of this.pending.keys()) {
        if (this.lastSeq !== null && seq <= this.lastSeq) {
          this.pending.delete(seq);
        }
      }
      const fresh = [];
      if (!this.strict || this.lastSeq === null) {
        fresh.push(...[...this.pending.values()].sort((a, b) => a.seq - b.seq));
        this.pending.clear();
      } else {
        while (this.pending.has(this.lastSeq + 1)) {
          fresh.push(this.pending.get(this.lastSeq + 1));
          this.pending.delete(this.lastSeq + 1);
          this.lastSeq += 1;
        }
      }
      if (fresh.length) {
        this.lastSeq = Math.max(this.lastSeq ?? 0, fresh[fresh.length - 1].seq);
        this.onEvents(fresh);
      }
      this.watchGap();
    }

    /** While a gap is open, ask once for what came after lastSeq if it is still open gapWaitMs later. */
    watchGap() {
      if (!this.pending.size) {
        window.clearTimeout(this.gapTimer);
        this.gapTimer = null;
      } else if (this.gapTimer === null) {
        this.gapTimer = window.setTimeout(() => {
          this.gapTimer = null;
          if (this.pending.size && this.connected && !this.catchingUp) {
            this.watch(this.lastSeq);
          }
        }, this.gapWaitMs);
      }
    }
  }

  /** Show a LiveClient state in the page's #connection badge, in the page's labels; return the badge. */
  function showConnectionState(labels, connection, detail) {
    const element = document.getElementById("connection");
    const text = {
      online: labels.connection_online,
      connecting: labels.connection_connecting,
      offline: labels.connection_offline,
      refused: labels.connection_refused,
    };
    element.textContent = connection === "error" ? (detail && detail.message) || "" : text[connection];
    element.dataset.state = connection;
    return element;
  }

  // Times as the network reads them: dd/mm/yyyy and 24-hour hh:mm in the network's time zone (the page's
  // <html data-time-zone>, else Asia/Ho_Chi_Minh), whatever the browser's zone and language. The parts come from Intl
  // and are laid out here, so an en-US browser in New York shows the same "18/12/2026 08:00" as one in Hà Nội.
  const TIME_ZONE = document.documentElement.dataset.timeZone || "Asia/Ho_Chi_Minh";
  let partsFormat = null;

  /** Return {day, month, year, hour, minute, second} (two-digit strings, four for the year) of a time in the zone. */
  function localParts(value) {
    if (partsFormat === null) {
      partsFormat = new Intl.DateTimeFormat("en-US", {
        timeZone: TIME_ZONE,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      });
    }
    const at = value instanceof Date ? value : new Date(value);
    const parts = {};
    for (const part of partsFormat.formatToParts(at)) parts[part.type] = part.value;
    return parts;
  }

  /**
   * Format a time (ISO 8601 string with its offset, Date or milliseconds) in the network's time zone:
   * vnTime.date -> "18/12/2026", vnTime.time -> "08:30" ("08:30:05" with {seconds: true}), vnTime.dateTime ->
   * "18/12/2026 08:30". An empty or unreadable value gives "".
   */
  const vnTime = {
    date(value) {
      if (value === null || value === undefined || value === "" || Number.isNaN(new Date(value).getTime())) return "";
      const p = localParts(value);
      return `${p.day}/${p.month}/${p.year}`;
    },
    time(value, options = {}) {
      if (value === null || value === undefined || value === "" || Number.isNaN(new Date(value).getTime())) return "";
      const p = localParts(value);
      return options.seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
    },
    dateTime(value) {
      const day = vnTime.date(value);
      return day && `${day} ${vnTime.time(value)}`;
    },
    timeZone: TIME_ZONE,
  };

  window.MeetingHubLive = {
    LiveClient,
    fold,
    newOpId,
    format,
    formatNodes,
    isolated,
    readJson,
    showConnectionState,
    vnTime,
  };
})();
