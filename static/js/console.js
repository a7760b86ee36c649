// The operator's roll-call console. Every action goes first into an outbox kept in localStorage (it survives a reload
// and a phone going to sleep), then over the socket, or REST when the socket is down but HTTP works. An action leaves
// the outbox only on an ok answer; one refused for good is parked and shown; anything else is retried with backoff.
(function () {
  "use strict";

  const { LiveClient, fold, newOpId, format, readJson } = window.MeetingHubLive;
  const data = readJson("console-data");
  const labels = readJson("console-labels");
  const statusLabels = data.statuses;
  const briefingId = data.briefing.id;
  const endpointId = data.endpoint.id;
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

  // Refusals that sending again cannot change; rate_limited, unauthorized, server errors and timeouts are retried.
  const PERMANENT_ERRORS = new Set(["forbidden", "invalid", "not_found", "conflict"]);
  const ACK_TIMEOUT_MS = 10000;
  const HEARTBEAT_TIMEOUT_MS = 5000;
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;
  const ATTENDED = new Set(["present", "late"]);

  // Keyed by user: two operators sharing a phone never send each other's actions.
  const OUTBOX_KEY = `meeting-hub:outbox:${data.user}`;
  const STATE_KEY = `meeting-hub:console:${data.user}:${briefingId}:${endpointId}`;

  function readStored(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function store(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (error) {
      return false;
    }
  }

  // What the server last told us, at a seq. A page reopened from the service worker's cache carries an old snapshot:
  // the state saved on the device is newer then, and wins.
  const state = { seq: 0, briefingStatus: data.briefing.status, linkStatus: null, linkSeq: 0, records: {} };

  function applySnapshot(snapshot) {
    for (const record of snapshot.records) {
      if (record.endpoint_id !== endpointId) {
        continue;
      }
      const known = state.records[record.person_id];
      if (!known || known.seq <= snapshot.seq) {
        state.records[record.person_id] = { ...record, seq: snapshot.seq };
      }
    }
    const link = snapshot.endpoints.find((entry) => entry.endpoint_id === endpointId);
    if (link && state.linkSeq <= snapshot.seq) {
      state.linkStatus = link.link_status;
      state.linkSeq = snapshot.seq;
    }
    state.seq = Math.max(state.seq, snapshot.seq);
  }

  function applyRecord(record, seq) {
    const known = state.records[record.person_id];
    if (!known || known.seq < seq) {
      state.records[record.person_id] = { ...record, seq };
    }
  }

  function applyEvents(events) {
    for (const event of events) {
      if (event.type === "attendance" && event.endpoint_id === endpointId) {
        applyRecord(event, event.seq);
      } else if (event.type === "link_status" && event.endpoint_id === endpointId && event.seq > state.linkSeq) {
        state.linkStatus = event.link_status;
        state.linkSeq = event.seq;
      } else if (event.type === "briefing" && event.briefing_id === briefingId) {
        state.briefingStatus = event.status;
      }
      state.seq = Math.max(state.seq, event.seq);
    }
    saveState();
    render();
  }

  function saveState() {
    store(STATE_KEY, state);
  }

  applySnapshot(data.snapshot);
  const saved = readStored(STATE_KEY);
  if (saved && saved.seq > state.seq) {
    Object.assign(state, saved);
  }

  // The outbox: every action of this user, in the order taken.
  let outbox = readStored(OUTBOX_KEY) || [];

  function saveOutbox() {
    return store(OUTBOX_KEY, outbox);
  }

  function enqueue(item) {
    outbox.push(item);
    if (!saveOutbox()) {
      outbox = outbox.filter((entry) => entry.id !== item.id);
      notice(labels.storage_full);
      return false;
    }
    render();
    pump();
    return true;
  }

  // Sending

  const live = new LiveClient({
    briefingId,
    lastSeq: state.seq,
    strict: false,
    onSnapshot: (snapshot) => {
      applySnapshot(snapshot);
      saveState();
      render();
    },
    onEvents: applyEvents,
    onState: showConnection,
    onWatched: () => {
      retryMs = 0;
      beat();
      pump();
    },
  });

  let pumping = false;
  let retryTimer = null;
  let retryMs = 0;
  let signedOut = false;

  /** Return the next action that can go out now: anything over the socket; only check-ins over REST. */
  function nextSendable() {
    const pending = outbox.filter((item) => item.state === "pending");
    if (live.connected) {
      return pending[0];
    }
    if (!navigator.onLine) {
      return undefined;
    }
    return pending.find((item) => item.kind === "check_in");
  }

  async function sendOverRest(item) {
    const { briefing_id: _briefing, ...body } = item.payload;
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), ACK_TIMEOUT_MS);
    try {
      const response = await fetch(item.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) {
        return { ok: true, result: answer };
      }
      const error = (answer && answer.error) || {};
      return { code: error.code || `http_${response.status}`, message: error.message || response.statusText };
    } finally {
      window.clearTimeout(timer);
    }
  }

  async function send(item) {
    if (live.connected) {
      const ack = await live.emit(item.kind, item.payload, ACK_TIMEOUT_MS);
      if (ack && ack.ok) {
        return { ok: true, result: ack };
      }
      const error = (ack && ack.error) || {};
      return { code: error.code, message: error.message };
    }
    return sendOverRest(item);
  }

  function settle(item, result) {
    outbox = outbox.filter((entry) => entry.id !== item.id);
    saveOutbox();
    if (item.kind === "check_in" && result.record && result.seq) {
      applyRecord(result.record, result.seq);
    } else if (item.kind === "link_status" && result.seq > state.linkSeq) {
      state.linkStatus = item.payload.status;
      state.linkSeq = result.seq;
    }
    saveState();
  }

  function park(item, message) {
    item.state = "parked";
    item.error = message || "";
    saveOutbox();
  }

  async function pump() {
    if (pumping) {
      return;
    }
    pumping = true;
    window.clearTimeout(retryTimer);
    retryTimer = null;
    try {
      for (;;) {
        const item = nextSendable();
        if (!item) {
          break;
        }
        let outcome;
        try {
          outcome = await send(item);
        } catch (error) {
          outcome = { code: "network" }; // no answer: offline, timed out, or the connection dropped mid-way
        }
        signedOut = outcome.code === "unauthorized";
        if (outcome.ok) {
          settle(item, outcome.result);
          retryMs = 0;
        } else if (PERMANENT_ERRORS.has(outcome.code)) {
          park(item, outcome.message);
        } else {
          retryMs = retryMs ? Math.min(retryMs * 2, MAX_RETRY_MS) : FIRST_RETRY_MS;
          retryTimer = window.setTimeout(pump, retryMs + Math.random() * 500);
          break;
        }
        render();
      }
    } finally {
      pumping = false;
      render();
    }
  }

  window.addEventListener("online", () => {
    retryMs = 0;
    pump();
  });
  // Another tab of the console changed the outbox: show the same thing.
  window.addEventListener("storage", (event) => {
    if (event.key === OUTBOX_KEY) {
      outbox = readStored(OUTBOX_KEY) || [];
      render();
    }
  });

  function beat() {
    if (data.reports_link && live.connected && state.briefingStatus === "live") {
      live.emit("heartbeat", { briefing_id: briefingId }, HEARTBEAT_TIMEOUT_MS).catch(() => {});
    }
  }

  // Actions

  function canRecord() {
    // Operators take the roll-call while the briefing is live; organizers may also correct it once it has ended.
    return state.briefingStatus === "live" || (!data.reports_link && state.briefingStatus === "ended");
  }

  function pendingByPerson() {
    const latest = new Map();
    for (const item of outbox) {
      if (item.kind === "check_in" && item.briefing_id === briefingId) {
        latest.set(item.person_id, item);
      }
    }
    return latest;
  }

  function effective(personId, latest) {
    const item = latest.get(personId);
    if (item && item.state === "pending") {
      const { status, note, substitute_name: substituteName } = item.payload;
      return { status, note, substitute_name: substituteName, waiting: true };
    }
    const record = state.records[personId];
    return record ? { ...record, waiting: false } : null;
  }

  function checkIn(personId, status) {
    const row = rows.get(personId);
    if (!row || !canRecord()) {
      return;
    }
    const note = row.note.value.trim();
    const substituteName = row.substitute.value.trim();
    if (substituteName && !ATTENDED.has(status)) {
      showRowError(row, labels.substitute_needs_attendance);
      return;
    }
    const current = effective(personId, pendingByPerson());
    if (
      current &&
      current.status === status &&
      (current.note || "") === note &&
      (current.substitute_name || "") === substituteName
    ) {
      return; // a second tap on the same answer
    }
    if (row.errorKind === "input") {
      row.error.hidden = true;
      row.errorKind = null;
    }
    const id = newOpId();
    const accepted = enqueue({
      id,
      kind: "check_in",
      state: "pending",
      briefing_id: briefingId,
      person_id: personId,
      person_name: row.person.name,
      url: data.api_url,
      created_at: new Date().toISOString(),
      payload: {
        briefing_id: briefingId,
        person_id: personId,
        status,
        note,
        substitute_name: substituteName,
        client_op_id: id,
      },
    });
    if (accepted) {
      row.details.open = false;
    }
  }

  function reportLink(status) {
    if (state.briefingStatus !== "live") {
      return;
    }
    // Only the latest report matters: an older one still waiting is replaced, not sent after it.
    outbox = outbox.filter(
      (item) => !(item.kind === "link_status" && item.briefing_id === briefingId && item.state === "pending"),
    );
    enqueue({
      id: newOpId(),
      kind: "link_status",
      state: "pending",
      briefing_id: briefingId,
      created_at: new Date().toISOString(),
      payload: { briefing_id: briefingId, status },
    });
  }

  // The page

  const rosterEl = document.getElementById("roster");
  const rows = new Map();
  const cellSections = [];

  function buildRoster() {
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
        const row = {
          person,
          li,
          chip: li.querySelector("[data-chip]"),
          noteLine: li.querySelector(".person-note"),
          buttons: Array.from(li.querySelectorAll("button[data-status]")),
          details: li.querySelector("details"),
          note: li.querySelector('input[name="note"]'),
          substitute: li.querySelector('input[name="substitute_name"]'),
          error: li.querySelector(".row-error"),
          errorKind: null,
          shown: null,
        };
        rows.set(person.id, row);
        cellRows.push(row);
        list.append(li);
      }
      cellSections.push({ section, rows: cellRows, count: section.querySelector("[data-cell-count]") });
      rosterEl.append(section);
    }
  }

  function showRowError(row, message, kind = "input") {
    row.error.textContent = message;
    row.error.hidden = false;
    row.errorKind = kind;
  }

  const counters = {};
  for (const element of document.querySelectorAll("[data-count]")) {
    counters[element.dataset.count] = element;
  }

  function render() {
    const latest = pendingByPerson();
    const totals = { present: 0, late: 0, excused: 0, absent: 0, pending: 0 };
    const writable = canRecord();
    for (const row of rows.values()) {
      const current = effective(row.person.id, latest);
      const status = current ? current.status : null;
      if (status) {
        totals[status] += 1;
      } else {
        totals.pending += 1;
      }
      let chip = status ? statusLabels[status] : labels.not_recorded;
      if (current && current.substitute_name) {
        chip += ` · ${format(labels.substitute, { name: current.substitute_name })}`;
      }
      if (current && current.waiting) {
        chip += ` · ${labels.waiting}`;
      }
      row.chip.textContent = chip;
      row.chip.dataset.status = status || "none";
      row.chip.classList.toggle("waiting", Boolean(current && current.waiting));
      row.noteLine.textContent = current && current.note ? format(labels.note, { note: current.note }) : "";
      row.noteLine.hidden = !row.noteLine.textContent;
      for (const button of row.buttons) {
        button.setAttribute("aria-pressed", String(button.dataset.status === status));
        button.disabled = !writable;
      }
      // Refill the fields from the record when it changed, unless the operator is typing in them.
      const shown = current ? `${current.note || ""}\u0000${current.substitute_name || ""}` : "\u0000";
      if (row.shown !== shown && !row.li.contains(document.activeElement)) {
        row.note.value = current ? current.note || "" : "";
        row.substitute.value = current ? current.substitute_name || "" : "";
        row.shown = shown;
      }
      const item = latest.get(row.person.id);
      if (item && item.state === "parked") {
        showRowError(row, format(labels.refused, { message: item.error }), "parked");
      } else if (row.errorKind === "parked") {
        row.error.hidden = true; // the refused action was dismissed or superseded
        row.errorKind = null;
      }
    }
    for (const [name, element] of Object.entries(counters)) {
      element.textContent = String(totals[name]);
    }
    for (const cell of cellSections) {
      const done = cell.rows.filter((row) => effective(row.person.id, latest)).length;
      cell.count.textContent = `${done}/${cell.rows.length}`;
    }
    renderOutbox();
    renderLink();
    renderBriefingState();
  }

  function renderOutbox() {
    const waiting = outbox.filter((item) => item.state === "pending").length;
    const element = document.getElementById("outbox");
    element.textContent = waiting ? format(labels.outbox_pending, { n: waiting }) : labels.outbox_empty;
    element.classList.toggle("waiting", waiting > 0);
    if (signedOut && waiting) {
      element.textContent += ` — ${labels.session_expired}`;
    }
    const parked = outbox.filter((item) => item.state === "parked");
    const section = document.getElementById("parked");
    section.hidden = parked.length === 0;
    const list = section.querySelector("ul");
    list.replaceChildren(
      ...parked.map((item) => {
        const li = document.createElement("li");
        const text = document.createElement("span");
        const what =
          item.kind === "check_in"
            ? `${item.person_name} — ${statusLabels[item.payload.status]}`
            : format(labels.link_status_label, { status: statusLabels[`link_${item.payload.status}`] });
        text.textContent = `${what}: ${item.error}`;
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.dataset.dismiss = item.id;
        dismiss.textContent = labels.dismiss;
        li.append(text, dismiss);
        return li;
      }),
    );
  }

  function renderLink() {
    const waiting = outbox.filter(
      (item) => item.kind === "link_status" && item.briefing_id === briefingId && item.state === "pending",
    );
    const status = waiting.length ? waiting[waiting.length - 1].payload.status : state.linkStatus;
    for (const button of document.querySelectorAll("button[data-link]")) {
      button.setAttribute("aria-pressed", String(button.dataset.link === status));
      button.classList.toggle("waiting", Boolean(waiting.length) && button.dataset.link === status);
      button.disabled = state.briefingStatus !== "live";
    }
  }

  function renderBriefingState() {
    const element = document.getElementById("briefing-state");
    const messages = {
      scheduled: labels.briefing_scheduled,
      ended: data.reports_link ? labels.briefing_ended : "",
      cancelled: labels.briefing_cancelled,
    };
    const message = messages[state.briefingStatus] || "";
    element.textContent = message;
    element.hidden = !message;
  }

  function notice(message) {
    const element = document.getElementById("briefing-state");
    element.textContent = message;
    element.hidden = false;
  }

  function showConnection(connection, detail) {
    const element = document.getElementById("connection");
    const text = {
      online: labels.connection_online,
      connecting: labels.connection_connecting,
      offline: labels.connection_offline,
      refused: labels.connection_refused,
    };
    element.textContent = connection === "error" ? (detail && detail.message) || "" : text[connection];
    element.dataset.state = connection;
    if (connection === "refused") {
      signedOut = true;
      render();
    }
  }

  function applySearch(query) {
    const terms = fold(query).split(" ").filter(Boolean);
    let visible = 0;
    for (const cell of cellSections) {
      let shownInCell = 0;
      for (const row of cell.rows) {
        const match = terms.every((term) => row.person.key.includes(term));
        row.li.hidden = !match;
        shownInCell += match ? 1 : 0;
      }
      cell.section.hidden = shownInCell === 0;
      visible += shownInCell;
    }
    document.getElementById("nobody").hidden = visible > 0;
  }

  rosterEl.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-status]");
    if (button) {
      checkIn(Number(button.closest("li.person").dataset.personId), button.dataset.status);
    }
  });
  rosterEl.addEventListener("input", (event) => {
    const li = event.target.closest("li.person");
    const row = li && rows.get(Number(li.dataset.personId));
    if (row && row.errorKind === "input") {
      row.error.hidden = true;
      row.errorKind = null;
    }
  });
  document.getElementById("search").addEventListener("input", (event) => applySearch(event.target.value));
  for (const button of document.querySelectorAll("button[data-link]")) {
    button.addEventListener("click", () => reportLink(button.dataset.link));
  }
  document.getElementById("parked").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-dismiss]");
    if (button) {
      outbox = outbox.filter((item) => item.id !== button.dataset.dismiss);
      saveOutbox();
      render();
    }
  });

  buildRoster();
  render();
  live.start();
  pump();
  window.setInterval(beat, Math.max(data.heartbeat_seconds, 1) * 1000);

  // The service worker keeps this page, its scripts and styles, so the console reopens with no connection at all.
  // It needs a secure context (HTTPS, or localhost): elsewhere the outbox still keeps every action, but a reload
  // without a connection cannot reopen the page.
  if ("serviceWorker" in navigator) {
    // Whether this load went through the worker; if not (the first visit), the worker never saw the page go by.
    const controlledAtLoad = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "page-kept" && event.data.ok) {
        document.body.dataset.offlineReady = "1";
      }
    });
    window.addEventListener("load", () => {
      navigator.serviceWorker
        .register(data.service_worker_url, { scope: "/" })
        .catch(() => null) // offline: the worker already installed still answers
        .then(() => navigator.serviceWorker.ready)
        .then((registration) => {
          if (registration.active) {
            const fetch = !controlledAtLoad;
            registration.active.postMessage({ type: "keep-page", url: window.location.href, fetch });
          }
        });
    });
  }
})();
