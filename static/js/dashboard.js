// The live dashboard: network and group totals, a tile per invited endpoint (dashboard_view.js), and a feed. Counts
// are derived from a map of records (person -> status) and each endpoint's expected number, never incremented, so
// applying an event twice, or a snapshot after events, cannot skew them. Only the endpoints an event touched are
// counted again, once per frame, whatever the number of events: a thousand endpoints stay cheap to follow.
(function () {
  "use strict";

  const { LiveClient, format, formatNodes, isolated, readJson, showConnectionState } = window.MeetingHubLive;
  const { Board, GroupTable, searchWords, formatNumber, COUNTS } = window.MeetingHubDashboard;
  const { PollPanel } = window.MeetingHubDashboardPolls;
  const data = readJson("dashboard-data");
  const labels = readJson("dashboard-labels");
  const statusLabels = data.statuses;
  const briefingId = data.briefing.id;
  const STATUSES = ["present", "late", "excused", "absent"];
  const FEED_LIMIT = 50;
  const TICK_MS = 1000;
  // The order and the filter follow the data at most this often (and at once when the viewer asks): tiles that
  // jumped on every check-in could not be read.
  const LAYOUT_MS = 5000;
  const VIEW_KEY = "meeting-hub-dashboard-view";
  const staleAfterMs = data.stale_after_seconds * 1000;
  // "N seconds ago" compares with the server's clock: the page's computer may be minutes off.
  const clockOffset = Date.parse(data.server_time) - Date.now();
  const serverNow = () => Date.now() + clockOffset;

  const endpointNames = new Map(data.endpoints.map((endpoint) => [endpoint.id, endpoint.name]));
  const state = {
    briefingStatus: data.briefing.status,
    records: new Map(), // person id -> {endpoint_id, status, seq}
    endpoints: new Map(), // endpoint id -> {expected, link_status, last_seen_at, linkSeq}
    people: new Map(), // endpoint id -> Set of the person ids recorded there
  };
  const counts = new Map(); // endpoint id -> {expected, present, late, excused, absent, pending}
  const signals = new Map(); // endpoint id -> "none" | "stale" | "degraded" | "ok"
  const dirty = new Set(); // endpoints whose counts must be derived again

  function setRecord(personId, record) {
    const previous = state.records.get(personId);
    if (previous && previous.endpoint_id !== record.endpoint_id) {
      state.people.get(previous.endpoint_id)?.delete(personId);
      dirty.add(previous.endpoint_id);
    }
    state.records.set(personId, record);
    if (!state.people.has(record.endpoint_id)) {
      state.people.set(record.endpoint_id, new Set());
    }
    state.people.get(record.endpoint_id).add(personId);
    dirty.add(record.endpoint_id);
  }

  function applySnapshot(snapshot) {
    state.records = new Map();
    state.people = new Map();
    for (const record of snapshot.records) {
      setRecord(record.person_id, { ...record, seq: snapshot.seq });
    }
    for (const entry of snapshot.endpoints) {
      state.endpoints.set(entry.endpoint_id, { ...entry, linkSeq: snapshot.seq });
    }
    for (const endpoint of data.endpoints) {
      dirty.add(endpoint.id);
    }
    pollPanel.applySnapshot(snapshot);
  }

  function personName(personId) {
    return data.names[String(personId)] || format(labels.unknown_person, { id: personId });
  }

  function lower(text) {
    return String(text).toLocaleLowerCase("vi");
  }

  /** Return hh:mm:ss (24-hour) of a time in the network's time zone, not the browser's; now without one. */
  function formatTime(iso) {
    return window.MeetingHubLive.vnTime.time(iso || serverNow(), { seconds: true });
  }

  /**
   * Return the feed line of an event, or null for events the feed does not show (a heartbeat with no change). Its
   * parts are strings and isolated <bdi> nodes: what people typed (names, notes, titles) cannot reorder the line.
   */
  function describe(event, previousLink) {
    const where = isolated(endpointNames.get(event.endpoint_id) || "");
    if (event.type === "attendance") {
      const parts = [where, ": ", isolated(personName(event.person_id))];
      parts.push(` — ${lower(statusLabels[event.status] || event.status)}`);
      if (event.substitute_name) {
        parts.push(" (", ...formatNodes(labels.substitute, { name: event.substitute_name }), ")");
      }
      if (event.via === "self") {
        parts.push(` (${labels.self})`);
      }
      if (event.note) {
        parts.push(" — ", isolated(event.note));
      }
      return { parts, at: event.recorded_at, kind: event.status };
    }
    if (event.type === "link_status") {
      if (previousLink === event.link_status) {
        return null;
      }
      const parts = [where, `: ${statusLabels[`link_${event.link_status}`]}`];
      return { parts, at: event.last_seen_at, kind: "link" };
    }
    if (event.type === "issue") {
      const template = labels[`issue_${event.action}`];
      if (!template) {
        return null;
      }
      const parts = [where, ": ", ...formatNodes(template, { title: event.title })];
      if (event.action === "raise") {
        parts.push(" (", isolated(data.categories[event.category] || event.category));
        if (event.person_id) {
          parts.push(" · ", isolated(personName(event.person_id)));
        }
        parts.push(")");
      }
      return { parts, at: event.at, kind: "issue" };
    }
    if (event.type === "briefing") {
      const text = {
        live: labels.briefing_opened,
        ended: labels.briefing_closed,
        cancelled: labels.briefing_was_cancelled,
      }[event.status];
      return text ? { parts: [text], at: event.at, kind: "briefing" } : null;
    }
    if (event.type === "poll") {
      const line = pollPanel.describe(event);
      return line ? { parts: line.parts, at: line.at, kind: "poll" } : null;
    }
    return null;
  }

  const feedEl = document.getElementById("feed");

  /** Put lines (oldest first) at the top of the feed; only the newest FEED_LIMIT of a burst are ever drawn. */
  function addToFeed(lines) {
    const shown = lines.filter(Boolean).slice(-FEED_LIMIT);
    if (!shown.length) {
      return;
    }
    const fragment = document.createDocumentFragment();
    for (const line of shown.reverse()) {
      const li = document.createElement("li");
      li.dataset.kind = line.kind;
      const time = document.createElement("time");
      time.textContent = formatTime(line.at);
      li.append(time, " ", ...line.parts);
      fragment.append(li);
    }
    feedEl.prepend(fragment);
    while (feedEl.children.length > FEED_LIMIT) {
      feedEl.lastElementChild.remove();
    }
    document.getElementById("feed-empty").hidden = true;
  }

  // Feed lines wait for the next frame with the counts: a burst of a thousand events draws only the newest lines.
  let feedQueue = [];

  function applyEvents(events) {
    for (const event of events) {
      let previousLink;
      if (event.type === "attendance") {
        const known = state.records.get(event.person_id);
        if (!known || known.seq < event.seq) {
          setRecord(event.person_id, { ...event, seq: event.seq });
        }
      } else if (event.type === "link_status") {
        const endpoint = state.endpoints.get(event.endpoint_id);
        previousLink = endpoint ? endpoint.link_status : undefined;
        if (endpoint && endpoint.linkSeq < event.seq) {
          endpoint.link_status = event.link_status;
          endpoint.last_seen_at = event.last_seen_at;
          endpoint.linkSeq = event.seq;
          dirty.add(event.endpoint_id);
        }
      } else if (event.type === "briefing" && event.briefing_id === briefingId) {
        state.briefingStatus = event.status;
      } else if (event.type === "poll") {
        pollPanel.applyEvent(event);
      }
      feedQueue.push(describe(event, previousLink));
    }
    scheduleRender();
  }

  // Counting and drawing

  const board = new Board(data.endpoints, document.getElementById("tiles"), document.getElementById("tile-template"));
  const pollPanel = new PollPanel(
    document.getElementById("polls-panel"),
    document.getElementById("polls"),
    document.getElementById("poll-template"),
    labels,
    board,
  );
  const eligible = new Map(); // endpoint id -> people present or late: who may answer a poll there
  const groupTable = new GroupTable(data.groups, data.endpoints, document.getElementById("group-rows"), labels);

  function countEndpoint(endpointId) {
    const entry = { expected: (state.endpoints.get(endpointId) || {}).expected || 0, pending: 0 };
    for (const status of STATUSES) {
      entry[status] = 0;
    }
    for (const personId of state.people.get(endpointId) || []) {
      const status = state.records.get(personId).status;
      if (STATUSES.includes(status)) {
        entry[status] += 1;
      }
    }
    const recorded = STATUSES.reduce((sum, status) => sum + entry[status], 0);
    entry.pending = Math.max(entry.expected - recorded, 0);
    return entry;
  }

  // At most this often: each frame that changes a tile lays out the grid of a thousand tiles again, and counts that
  // change four times a second read as live. A quiet dashboard still draws an event at once.
  const RENDER_EVERY_MS = 250;
  let renderQueued = false;
  let lastRender = -Infinity;

  /** Draw soon, once for however many events come meanwhile (in a hidden tab, without waiting for a frame). */
  function scheduleRender() {
    if (renderQueued) {
      return;
    }
    renderQueued = true;
    const run = () => {
      renderQueued = false;
      lastRender = performance.now();
      render();
    };
    const wait = Math.max(0, lastRender + RENDER_EVERY_MS - performance.now());
    window.setTimeout(() => (document.hidden ? run() : window.requestAnimationFrame(run)), wait);
  }

  /** Draw what changed since the last frame: the touched endpoints' tiles, the totals, groups, chips and feed. */
  function render() {
    const now = serverNow();
    const live = state.briefingStatus === "live";
    for (const endpointId of dirty) {
      if (!endpointNames.has(endpointId)) {
        continue; // an endpoint no longer invited: its events stay in the feed only
      }
      const entry = countEndpoint(endpointId);
      counts.set(endpointId, entry);
      eligible.set(endpointId, entry.present + entry.late);
      board.showCounts(endpointId, entry);
      refreshSignal(endpointId, now, live);
    }
    if (dirty.size) {
      layoutDue = true;
    }
    pollPanel.render(eligible, dirty.size > 0);
    dirty.clear();
    addToFeed(feedQueue);
    feedQueue = [];
    const totals = Object.fromEntries(COUNTS.map((name) => [name, 0]));
    for (const entry of counts.values()) {
      for (const name of COUNTS) {
        totals[name] += entry[name];
      }
    }
    for (const element of document.querySelectorAll("#totals [data-count]")) {
      const text = formatNumber(totals[element.dataset.count]);
      if (element.textContent !== text) {
        element.textContent = text;
      }
    }
    const badge = document.getElementById("briefing-status");
    badge.textContent = labels[`briefing_${state.briefingStatus}`] || "";
    badge.className = `badge ms-1 ${state.briefingStatus === "live" ? "text-bg-danger" : "text-bg-secondary"}`;
    renderSummaries();
  }

  /** Return an endpoint's signal and the texts of its tile, at `now` (server time). */
  function signalOf(entry, now, live) {
    const status = entry.link_status;
    const seenAt = entry.last_seen_at ? Date.parse(entry.last_seen_at) : null;
    const age = seenAt === null ? null : Math.max(0, now - seenAt);
    let signal = "ok";
    if (age === null || status === "down") {
      signal = "none";
    } else if (live && age > staleAfterMs) {
      signal = "stale";
    } else if (status === "degraded") {
      signal = "degraded";
    }
    let seen;
    if (age === null) {
      seen = labels.never_seen;
    } else if (age < 60000) {
      seen = format(labels.seen_seconds, { n: Math.floor(age / 1000) });
    } else if (age < 3600000) {
      seen = format(labels.seen_minutes, { n: Math.floor(age / 60000) });
    } else {
      seen = format(labels.seen_at, { time: formatTime(entry.last_seen_at).slice(0, 5) });
    }
    if (signal === "stale") {
      seen = `${labels.stale} · ${seen}`;
    }
    return {
      signal,
      seen,
      badge: status ? statusLabels[`link_${status}`] : labels.no_link,
      badgeClass: `badge link-badge link-${status || "none"}`,
    };
  }

  /** Work out an endpoint's signal now and show it on its tile. */
  function refreshSignal(endpointId, now, live) {
    const shown = signalOf(state.endpoints.get(endpointId) || {}, now, live);
    if (signals.get(endpointId) !== shown.signal) {
      signals.set(endpointId, shown.signal);
      layoutDue = true;
    }
    board.showSignal(endpointId, shown.signal, shown.badge, shown.badgeClass, shown.seen);
  }

  /** Refresh every endpoint's signal and "updated N seconds ago" (time alone changes them), then the summaries. */
  function renderPresence() {
    const now = serverNow();
    const live = state.briefingStatus === "live";
    for (const endpoint of data.endpoints) {
      refreshSignal(endpoint.id, now, live);
    }
    renderSummaries();
  }

  /** Show how many endpoints are heard, the groups' totals and the chips' counts. */
  function renderSummaries() {
    let heard = 0;
    for (const signal of signals.values()) {
      heard += signal === "ok" || signal === "degraded" ? 1 : 0;
    }
    document.getElementById("endpoints-heard").textContent = format(labels.endpoints_heard, {
      n: formatNumber(heard),
      total: formatNumber(data.endpoints.length),
    });
    groupTable.show(counts, signals);
    const chipCounts = board.chipCounts(currentFilter());
    for (const [chip, n] of Object.entries(chipCounts)) {
      const element = document.querySelector(`[data-chip-count="${chip}"]`);
      if (element.textContent !== formatNumber(n)) {
        element.textContent = formatNumber(n);
      }
    }
  }

  // Filter and order

  const controls = {
    chips: document.querySelectorAll('input[name="chip"]'),
    orders: document.querySelectorAll('input[name="order"]'),
    threshold: document.getElementById("threshold"),
    thresholdError: document.getElementById("threshold-error"),
    group: document.getElementById("group-filter"),
    search: document.getElementById("endpoint-search"),
    shown: document.getElementById("tiles-shown"),
    empty: document.getElementById("tiles-empty"),
  };
  const view = { chip: "all", order: "problems", threshold: 50, group: "", search: "" };
  let layoutDue = true;

  function currentFilter() {
    return { chip: view.chip, threshold: view.threshold, group: view.group, words: searchWords(view.search) };
  }

  /** Apply the filter and the order now; the viewer's choices are kept for the next visit. */
  function layout() {
    layoutDue = false;
    const shown = board.layout(currentFilter(), view.order);
    const total = data.endpoints.length;
    controls.shown.textContent = format(labels.tiles_shown, { n: formatNumber(shown), total: formatNumber(total) });
    controls.empty.hidden = shown > 0;
    for (const element of document.querySelectorAll("[data-threshold]")) {
      element.textContent = String(view.threshold);
    }
    try {
      window.localStorage.setItem(VIEW_KEY, JSON.stringify({ ...view, search: "" }));
    } catch (error) {
      // Private browsing or a full storage: the choices are then only kept for this visit.
    }
  }

  function restoreView() {
    let saved = {};
    try {
      saved = JSON.parse(window.localStorage.getItem(VIEW_KEY) || "{}") || {};
    } catch (error) {
      saved = {};
    }
    if (["all", "nosignal", "stale", "below"].includes(saved.chip)) {
      view.chip = saved.chip;
    }
    if (["problems", "name"].includes(saved.order)) {
      view.order = saved.order;
    }
    if (Number.isInteger(saved.threshold) && saved.threshold >= 1 && saved.threshold <= 100) {
      view.threshold = saved.threshold;
    }
    if (data.groups.some((group) => group.key === saved.group)) {
      view.group = saved.group;
    }
    for (const input of controls.chips) {
      input.checked = input.value === view.chip;
    }
    for (const input of controls.orders) {
      input.checked = input.value === view.order;
    }
    controls.threshold.value = String(view.threshold);
    controls.group.value = view.group;
  }

  function onChoice() {
    view.chip = [...controls.chips].find((input) => input.checked)?.value || "all";
    view.order = [...controls.orders].find((input) => input.checked)?.value || "problems";
    view.group = controls.group.value;
    window.clearTimeout(searchTimer); // a search still being typed applies with the choice
    view.search = controls.search.value;
    layout();
    renderSummaries();
  }

  function onThreshold() {
    const value = Number(controls.threshold.value);
    const valid = controls.threshold.value.trim() !== "" && Number.isInteger(value) && value >= 1 && value <= 100;
    controls.threshold.classList.toggle("is-invalid", !valid);
    controls.threshold.setAttribute("aria-invalid", String(!valid));
    controls.thresholdError.hidden = valid;
    if (valid && value !== view.threshold) {
      view.threshold = value;
      onChoice();
    }
  }

  let searchTimer = null;
  function onSearch() {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      view.search = controls.search.value;
      layout();
      renderSummaries();
    }, 150);
  }

  for (const input of [...controls.chips, ...controls.orders]) {
    input.addEventListener("change", onChoice);
  }
  controls.group.addEventListener("change", onChoice);
  controls.threshold.addEventListener("input", onThreshold);
  controls.search.addEventListener("input", onSearch);
  document.getElementById("relayout").addEventListener("click", layout);
  // Enter in the search field applies it at once instead of submitting the form.
  document.getElementById("tile-controls").addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(searchTimer);
    view.search = controls.search.value;
    layout();
    renderSummaries();
  });

  function showConnection(connection, detail) {
    const element = showConnectionState(labels, connection, detail);
    element.className = `badge fs-6 ${connection === "online" ? "text-bg-success" : "text-bg-warning"}`;
  }

  performance.mark("dashboard:start");
  applySnapshot(data.snapshot);
  // The feed opens with the latest logged events, replayed over a blank link history to tell changes from heartbeats.
  const history = new Map();
  const opening = [];
  for (const event of data.recent_events) {
    opening.push(describe(event, history.get(event.endpoint_id)));
    if (event.type === "link_status") {
      history.set(event.endpoint_id, event.link_status);
    }
  }
  addToFeed(opening);
  restoreView();
  render();
  layout();
  performance.measure("dashboard:first-render", "dashboard:start");
  window.setInterval(renderPresence, TICK_MS);
  window.setInterval(() => layoutDue && layout(), LAYOUT_MS);

  new LiveClient({
    briefingId,
    lastSeq: data.snapshot.seq,
    strict: true,
    onSnapshot: (snapshot) => {
      applySnapshot(snapshot); // every endpoint is marked for the next frame
      scheduleRender();
    },
    onEvents: applyEvents,
    onState: showConnection,
  }).start();
})();
