// The one place of the console that talks to the server: the /live socket (through live_client.js's LiveClient) and
// the REST calls that stand in for it when the socket is down but HTTP works. Nothing else emits or fetches.
const ACK_TIMEOUT_MS = 10000;
// The socket event of each outbox kind (issues have none: they always go over REST).
const SOCKET_EVENTS = { check_in: "check_in", link_status: "link_status", poll_answer: "answer" };
const HEARTBEAT_TIMEOUT_MS = 5000;

/** Flatten an error's details ({field: message} or nested lists) into one line. */
function detailText(details) {
  if (!details || typeof details !== "object") {
    return typeof details === "string" ? details : "";
  }
  return Object.values(details).map(detailText).filter(Boolean).join(" ");
}

export class Connection {
  /**
   * options: briefingId, lastSeq, csrfToken, and the LiveClient callbacks onSnapshot, onEvents, onState, onWatched.
   */
  constructor(options) {
    const { LiveClient } = window.MeetingHubLive;
    this.briefingId = options.briefingId;
    this.csrfToken = options.csrfToken;
    this.live = new LiveClient({
      briefingId: options.briefingId,
      lastSeq: options.lastSeq,
      strict: false, // an operator gets only the endpoint's share of the events: gaps are by design
      onSnapshot: options.onSnapshot,
      onEvents: options.onEvents,
      onState: options.onState,
      onWatched: options.onWatched,
    });
  }

  get connected() {
    return this.live.connected;
  }

  start() {
    this.live.start();
  }

  /** Tell the server the console is alive (the endpoint's "last seen"); a lost beat does not matter. */
  heartbeat() {
    if (this.connected) {
      this.live.emit("heartbeat", { briefing_id: this.briefingId }, HEARTBEAT_TIMEOUT_MS).catch(() => {});
    }
  }

  /**
   * Send one outbox item: over the socket when it is up (issues always over REST: the socket has no event for them).
   * Resolve with {ok: true, result} or {code, status?, message}; reject when no answer came (offline, timeout).
   */
  async send(item) {
    if (SOCKET_EVENTS[item.kind] && this.connected) {
      const ack = await this.live.emit(SOCKET_EVENTS[item.kind], item.payload, ACK_TIMEOUT_MS);
      if (ack && ack.ok) {
        return { ok: true, result: ack };
      }
      const error = (ack && ack.error) || {};
      return { code: error.code, message: error.message };
    }
    return this.post(item.url, item.payload);
  }

  async post(url, payload) {
    // The briefing and the poll are in the URL, not in the REST body.
    const { briefing_id: _briefing, poll_id: _poll, ...body } = payload;
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), ACK_TIMEOUT_MS);
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrfToken },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) {
        return { ok: true, result: answer };
      }
      const error = (answer && answer.error) || {};
      const details = detailText(error.details);
      const message = error.message || response.statusText || `HTTP ${response.status}`;
      return {
        code: error.code || `http_${response.status}`,
        status: response.status,
        message: details && !message.includes(details) ? `${message} ${details}` : message,
      };
    } finally {
      window.clearTimeout(timer);
    }
  }

  /** GET a JSON document of the API; resolve with null when it cannot be had now (offline, refused). */
  async fetchJson(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null;
    }
  }
}
