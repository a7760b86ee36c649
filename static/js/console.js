// The operator's roll-call console. Every action goes first into an outbox kept in localStorage (it survives a reload
// and a phone going to sleep), then over the socket, or REST when the socket is down but HTTP works. An action leaves
// the outbox only on an ok answer; one refused for good is parked and shown; anything else is retried with backoff.
// Raised issues ("ý kiến, kiến nghị") go through the same outbox, in the same order, always over REST (the socket has
// no event for them); the console lists the endpoint's issues and follows their steps from the live `issue` events.
(function () {
  "use strict";

  const { LiveClient, fold, newOpId, format, readJson, showConnectionState } = window.MeetingHubLive;
  const data = readJson("console-data");
  const labels = readJson("console-labels");
  const statusLabels = data.statuses;
  const briefingId = data.briefing.id;
  const endpointId = data.endpoint.id;
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

  // Refusals that sending again cannot change; rate_limited, unauthorized, try_again, server errors and timeouts are
  // retried. An HTTP answer without our JSON error (a proxy's page) counts by its status.
  const PERMANENT_ERRORS = new Set(["forbidden", "invalid", "not_found", "conflict"]);
  const PERMANENT_STATUSES = new Set([403, 404, 409, 422]);
  // What can go over REST when the socket is down (a link report only means something over the socket).
  const REST_KINDS = new Set(["check_in", "issue"]);
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
  const state = { seq: 0, briefingStatus: data.briefing.status, linkStatus: null, linkSeq: 0, records: {}, issues: {} };

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

  /** Keep what is known of an issue at a seq, unless something newer is known already. */
  function applyIssue(issue, seq) {
    const known = state.issues[issue.id];
    if (known && known.seq >= seq) {
      return;
    }
    state.issues[issue.id] = {
      id: issue.id,
      title: issue.title,
      category: issue.category,
      status: issue.status,
      person_id: issue.person_id ?? (known ? known.person_id : null),
      person_name: issue.person_name ?? (known ? known.person_name : null),
      seq,
    };
  }

  function applyEvents(events) {
    for (const event of events) {
      if (event.type === "attendance" && event.endpoint_id === endpointId) {
        applyRecord(event, event.seq);
      } else if (event.type === "issue" && event.endpoint_id === endpointId) {
        applyIssue({ ...event, id: event.issue_id }, event.seq);
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
  for (const issue of data.issues) {
    applyIssue(issue, data.snapshot.seq);
  }
  const saved = readStored(STATE_KEY);
  if (saved) {
    const fromPage = state.issues;
    if (saved.seq > state.seq) {
      Object.assign(state, saved);
    }
    // Issues merge one by one: one sent over REST while the socket was down is known here but raised no seq.
    state.issues = fromPage;
    for (const issue of Object.values(saved.issues || {})) {
      applyIssue(issue, issue.seq || 0);
    }
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
      refreshIssues(snapshot.seq); // a snapshot carries no issues: the events that would have told are gone
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

  /** Return the next action that can go out now: anything with the socket up; check-ins and issues over REST. */
  function nextSendable() {
    const pending = outbox.filter((item) => item.state === "pending");
    if (live.connected) {
      return pending[0];
    }
    if (!navigator.onLine) {
      return undefined;
    }
    return pending.find((item) => REST_KINDS.has(item.kind));
  }

  /** Flatten an error's details ({field: message} or nested lists) into one line. */
  function detailText(details) {
    if (!details || typeof details !== "object") {
      return typeof details === "string" ? details : "";
    }
    return Object.values(details).map(detailText).filter(Boolean).join(" ");
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

  async function send(item) {
    if (item.kind === "issue") {
      return sendOverRest(item);
    }
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
    } else if (item.kind === "issue" && result.id && !state.issues[result.id]) {
      // A replay answers the issue as it was raised: anything known already (from an event) is newer.
      applyIssue(result, state.seq);
    }
    saveState();
  }

  function isPermanent(outcome) {
    return (
      PERMANENT_ERRORS.has(outcome.code) || (outcome.code !== "try_again" && PERMANENT_STATUSES.has(outcome.status))
    );
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
        // A refused form token means another sign-in replaced this page's session: the same remedy as a lost one.
        signedOut = outcome.code === "unauthorized" || outcome.code === "csrf_failed";
        if (outcome.ok) {
          settle(item, outcome.result);
          retryMs = 0;
        } else if (isPermanent(outcome)) {
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

  /** Read the endpoint's issues of this briefing again (the same URL lists them), as of a snapshot's seq. */
  async function refreshIssues(seq) {
    try {
      const response = await fetch(data.issues_url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        return;
      }
      for (const issue of await response.json()) {
        if (issue.endpoint_id === endpointId) {
          applyIssue(issue, seq);
        }
      }
      saveState();
      render();
    } catch (error) {
      // offline again: the list catches up with the next snapshot or event
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

  function canRaise() {
    return state.briefingStatus === "live" || state.briefingStatus === "ended";
  }

  const issueDialog = document.getElementById("issue-dialog");
  const issueForm = document.getElementById("issue-form");
  const issueError = issueForm.querySelector(".form-error");
  // Who raises the issue being written (null: the endpoint as a whole), the parked item it replaces, the opener.
  let issueDraft = { personId: null, personName: "", replaces: null, opener: null };

  function openIssueForm(personId, opener, from) {
    if (!canRaise()) {
      notice(labels.issues_not_open);
      return;
    }
    const row = personId === null ? null : rows.get(personId);
    const personName = row ? row.person.name : (from && from.person_name) || "";
    issueDraft = { personId, personName, replaces: from ? from.id : null, opener };
    issueForm.reset();
    if (from) {
      issueForm.elements.category.value = from.payload.category;
      issueForm.elements.title.value = from.payload.title;
      issueForm.elements.content.value = from.payload.content;
    }
    issueError.hidden = true;
    document.getElementById("issue-raiser").textContent =
      personId === null
        ? format(labels.raised_by_endpoint, { endpoint: data.endpoint.name })
        : format(labels.raised_by, { name: personName });
    if (typeof issueDialog.showModal === "function") {
      issueDialog.showModal();
    } else {
      issueDialog.setAttribute("open", "");
    }
    issueForm.elements.category.focus();
  }

  function closeIssueForm() {
    if (typeof issueDialog.close === "function") {
      issueDialog.close();
    } else {
      issueDialog.removeAttribute("open");
    }
  }

  function raiseIssue() {
    const category = issueForm.elements.category.value;
    const title = issueForm.elements.title.value.replace(/\s+/g, " ").trim();
    const content = issueForm.elements.content.value.trim();
    const problem = !category ? labels.issue_category_required : !title ? labels.issue_title_required : "";
    if (problem) {
      issueError.textContent = problem;
      issueError.hidden = false;
      (category ? issueForm.elements.title : issueForm.elements.category).focus();
      return;
    }
    const id = newOpId();
    const item = {
      id,
      kind: "issue",
      state: "pending",
      briefing_id: briefingId,
      person_id: issueDraft.personId,
      person_name: issueDraft.personName,
      url: data.issues_url,
      created_at: new Date().toISOString(),
      payload: { endpoint_id: endpointId, person_id: issueDraft.personId, category, title, content, client_op_id: id },
    };
    const replaced = issueDraft.replaces;
    const before = outbox;
    if (replaced) {
      outbox = outbox.filter((entry) => entry.id !== replaced);
    }
    if (!enqueue(item)) {
      outbox = before; // storage full: the parked original stays, and the form stays open with what was typed
      saveOutbox();
      issueError.textContent = labels.storage_full;
      issueError.hidden = false;
      return;
    }
    closeIssueForm();
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
        const raise = li.querySelector("button[data-raise]");
        raise.setAttribute("aria-label", format(labels.raise_for, { name: person.name }));
        const row = {
          person,
          li,
          chip: li.querySelector("[data-chip]"),
          noteLine: li.querySelector(".person-note"),
          buttons: Array.from(li.querySelectorAll("button[data-status]")),
          details: li.querySelector("details"),
          note: li.querySelector('input[name="note"]'),
          substitute: li.querySelector('input[name="substitute_name"]'),
          raise,
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
    const raisable = canRaise();
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
      row.raise.disabled = !raisable;
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
    renderIssues(raisable);
    renderLink();
    renderBriefingState();
  }

  function personName(personId, fallback) {
    const row = personId === null || personId === undefined ? null : rows.get(personId);
    return row ? row.person.name : fallback || "";
  }

  function issueLine(title, meta, tag, status) {
    const li = document.createElement("li");
    const line = document.createElement("div");
    line.className = "issue-line";
    const name = document.createElement("span");
    name.className = "issue-title";
    name.textContent = title;
    const chip = document.createElement("span");
    chip.className = "tag";
    chip.dataset.status = status;
    chip.textContent = tag;
    line.append(name, " ", chip);
    const details = document.createElement("div");
    details.className = "issue-meta";
    details.textContent = meta;
    li.append(line, details);
    return li;
  }

  function renderIssues(raisable) {
    const categories = new Map(data.categories.map((category) => [category.code, category.name]));
    const metaOf = (category, personId, fallbackName) =>
      [categories.get(category) || category, personName(personId, fallbackName) || labels.whole_endpoint].join(" · ");
    const sent = Object.values(state.issues)
      .sort((a, b) => a.id - b.id)
      .map((issue) => {
        const li = issueLine(
          issue.title,
          metaOf(issue.category, issue.person_id, issue.person_name),
          data.issue_statuses[issue.status] || issue.status,
          issue.status,
        );
        li.dataset.issueId = String(issue.id);
        return li;
      });
    const waiting = outbox
      .filter(
        (item) =>
          item.kind === "issue" &&
          item.state === "pending" &&
          item.briefing_id === briefingId &&
          item.payload.endpoint_id === endpointId,
      )
      .map((item) => {
        const li = issueLine(
          item.payload.title,
          metaOf(item.payload.category, item.person_id, item.person_name),
          labels.issue_waiting,
          "waiting",
        );
        li.dataset.opId = item.id;
        return li;
      });
    document.getElementById("issues").replaceChildren(...sent, ...waiting);
    const count = sent.length + waiting.length;
    document.getElementById("issues-count").textContent = count ? format(labels.issues_count, { n: count }) : "";
    document.getElementById("issues-empty").hidden = count > 0;
    for (const button of document.querySelectorAll(".issues button[data-raise]")) {
      button.disabled = !raisable;
    }
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
        let what;
        if (item.kind === "check_in") {
          what = `${item.person_name} — ${statusLabels[item.payload.status]}`;
        } else if (item.kind === "issue") {
          what = format(labels.issue_parked, { title: item.payload.title });
        } else {
          what = format(labels.link_status_label, { status: statusLabels[`link_${item.payload.status}`] });
        }
        text.textContent = `${what}: ${item.error}`;
        const actions = document.createElement("span");
        actions.className = "parked-actions";
        // A refused issue is text someone said: it can be corrected and sent again, not only thrown away.
        if (item.kind === "issue" && item.briefing_id === briefingId && item.payload.endpoint_id === endpointId) {
          const edit = document.createElement("button");
          edit.type = "button";
          edit.dataset.edit = item.id;
          edit.textContent = labels.issue_edit;
          actions.append(edit);
        }
        const dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.dataset.dismiss = item.id;
        dismiss.textContent = labels.dismiss;
        actions.append(dismiss);
        li.append(text, actions);
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
    showConnectionState(labels, connection, detail);
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
    const raise = event.target.closest("button[data-raise]");
    if (raise) {
      openIssueForm(Number(raise.closest("li.person").dataset.personId), raise);
    }
  });
  document.querySelector(".issues button[data-raise]").addEventListener("click", (event) => {
    openIssueForm(null, event.currentTarget);
  });
  issueForm.addEventListener("submit", (event) => {
    event.preventDefault();
    raiseIssue();
  });
  issueForm.addEventListener("input", () => {
    issueError.hidden = true;
  });
  issueForm.querySelector("button[data-cancel]").addEventListener("click", closeIssueForm);
  issueDialog.addEventListener("close", () => {
    if (issueDraft.opener && issueDraft.opener.isConnected) {
      issueDraft.opener.focus();
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
    const edit = event.target.closest("button[data-edit]");
    const parkedIssue = edit && outbox.find((item) => item.id === edit.dataset.edit);
    if (parkedIssue) {
      const known = parkedIssue.person_id !== null && rows.has(parkedIssue.person_id);
      openIssueForm(known ? parkedIssue.person_id : null, edit, parkedIssue);
      return;
    }
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
