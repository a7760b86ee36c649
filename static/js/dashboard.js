// The live dashboard: a tile per invited endpoint, network totals and a feed. Counts are derived from a map of
// records (person -> status) and each endpoint's expected number, never incremented, so applying an event twice, or
// a snapshot after events, cannot skew them.
(function () {
  "use strict";

  const { LiveClient, format, readJson, showConnectionState } = window.MeetingHubLive;
  const data = readJson("dashboard-data");
  const labels = readJson("dashboard-labels");
  const statusLabels = data.statuses;
  const briefingId = data.briefing.id;
  const STATUSES = ["present", "late", "excused", "absent"];
  const FEED_LIMIT = 50;
  const TICK_MS = 1000;
  const staleAfterMs = data.stale_after_seconds * 1000;
  // "N seconds ago" compares with the server's clock: the page's computer may be minutes off.
  const clockOffset = Date.parse(data.server_time) - Date.now();
  const serverNow = () => Date.now() + clockOffset;

  const endpointNames = new Map(data.endpoints.map((endpoint) => [endpoint.id, endpoint.name]));
  const state = {
    briefingStatus: data.briefing.status,
    records: new Map(), // person id -> {endpoint_id, status, seq}
    endpoints: new Map(), // endpoint id -> {expected, link_status, last_seen_at, linkSeq}
  };

  function applySnapshot(snapshot) {
    state.records = new Map(
      snapshot.records.map((record) => [record.person_id, { ...record, seq: snapshot.seq }]),
    );
    for (const entry of snapshot.endpoints) {
      state.endpoints.set(entry.endpoint_id, { ...entry, linkSeq: snapshot.seq });
    }
  }

  function personName(personId) {
    return data.names[String(personId)] || format(labels.unknown_person, { id: personId });
  }

  function lower(text) {
    return String(text).toLocaleLowerCase("vi");
  }

  /** Return hh:mm:ss (24-hour) of a time in the network's time zone, not the browser's; now without one. */
  function timeOf(iso) {
    return window.MeetingHubLive.vnTime.time(iso || serverNow(), { seconds: true });
  }

  /** Return the feed line of an event, or null for events the feed does not show (a heartbeat with no change). */
  function describe(event, previousLink) {
    const where = endpointNames.get(event.endpoint_id) || "";
    if (event.type === "attendance") {
      let text = `${where}: ${personName(event.person_id)} — ${lower(statusLabels[event.status] || event.status)}`;
      if (event.substitute_name) {
        text += ` (${format(labels.substitute, { name: event.substitute_name })})`;
      }
      if (event.via === "self") {
        text += ` (${labels.self})`;
      }
      if (event.note) {
        text += ` — ${event.note}`;
      }
      return { text, at: event.recorded_at, kind: event.status };
    }
    if (event.type === "link_status") {
      if (previousLink === event.link_status) {
        return null;
      }
      return { text: `${where}: ${statusLabels[`link_${event.link_status}`]}`, at: event.last_seen_at, kind: "link" };
    }
    if (event.type === "issue") {
      const template = labels[`issue_${event.action}`];
      if (!template) {
        return null;
      }
      let text = `${where}: ${format(template, { title: event.title })}`;
      if (event.action === "raise") {
        const details = [data.categories[event.category] || event.category];
        if (event.person_id) {
          details.push(personName(event.person_id));
        }
        text += ` (${details.join(" · ")})`;
      }
      return { text, at: event.at, kind: "issue" };
    }
    if (event.type === "briefing") {
      const text = {
        live: labels.briefing_opened,
        ended: labels.briefing_closed,
        cancelled: labels.briefing_was_cancelled,
      }[event.status];
      return text ? { text, at: event.at, kind: "briefing" } : null;
    }
    return null;
  }

  const feedEl = document.getElementById("feed");

  function addToFeed(line) {
    if (!line) {
      return;
    }
    const li = document.createElement("li");
    li.dataset.kind = line.kind;
    const time = document.createElement("time");
    time.textContent = timeOf(line.at);
    li.append(time, ` ${line.text}`);
    feedEl.prepend(li);
    while (feedEl.children.length > FEED_LIMIT) {
      feedEl.lastElementChild.remove();
    }
    document.getElementById("feed-empty").hidden = true;
  }

  function applyEvents(events) {
    for (const event of events) {
      let previousLink;
      if (event.type === "attendance") {
        const known = state.records.get(event.person_id);
        if (!known || known.seq < event.seq) {
          state.records.set(event.person_id, { ...event, seq: event.seq });
        }
      } else if (event.type === "link_status") {
        const endpoint = state.endpoints.get(event.endpoint_id);
        previousLink = endpoint ? endpoint.link_status : undefined;
        if (endpoint && endpoint.linkSeq < event.seq) {
          endpoint.link_status = event.link_status;
          endpoint.last_seen_at = event.last_seen_at;
          endpoint.linkSeq = event.seq;
        }
      } else if (event.type === "briefing" && event.briefing_id === briefingId) {
        state.briefingStatus = event.status;
      }
      addToFeed(describe(event, previousLink));
    }
    render();
  }

  // Tiles

  const tiles = new Map();

  function buildTiles() {
    const template = document.getElementById("tile-template");
    const container = document.getElementById("tiles");
    for (const endpoint of data.endpoints) {
      const column = template.content.firstElementChild.cloneNode(true);
      const tile = column.querySelector(".tile");
      tile.dataset.endpointId = String(endpoint.id);
      tile.setAttribute("aria-label", endpoint.name);
      column.querySelector(".tile-name").textContent = endpoint.name;
      const consoleLink = column.querySelector(".tile-console");
      if (endpoint.console_url) {
        consoleLink.href = endpoint.console_url;
        consoleLink.hidden = false;
      }
      const counts = {};
      for (const element of column.querySelectorAll("[data-count]")) {
        counts[element.dataset.count] = element;
      }
      tiles.set(endpoint.id, {
        tile,
        counts,
        badge: column.querySelector(".link-badge"),
        seen: column.querySelector(".tile-seen"),
        bar: column.querySelector(".progress-bar"),
      });
      container.append(column);
    }
  }

  function countsByEndpoint() {
    const counts = new Map();
    for (const endpoint of data.endpoints) {
      const expected = (state.endpoints.get(endpoint.id) || {}).expected || 0;
      counts.set(endpoint.id, { expected, present: 0, late: 0, excused: 0, absent: 0, pending: 0 });
    }
    for (const record of state.records.values()) {
      const entry = counts.get(record.endpoint_id);
      if (entry && STATUSES.includes(record.status)) {
        entry[record.status] += 1;
      }
    }
    for (const entry of counts.values()) {
      const recorded = STATUSES.reduce((sum, status) => sum + entry[status], 0);
      entry.pending = Math.max(entry.expected - recorded, 0);
    }
    return counts;
  }

  function render() {
    const counts = countsByEndpoint();
    const totals = { expected: 0, present: 0, late: 0, excused: 0, absent: 0, pending: 0 };
    for (const [endpointId, entry] of counts) {
      const tile = tiles.get(endpointId);
      for (const [name, value] of Object.entries(entry)) {
        totals[name] += value;
        tile.counts[name].textContent = String(value);
      }
      const done = entry.expected ? Math.round((100 * (entry.expected - entry.pending)) / entry.expected) : 0;
      tile.bar.style.width = `${done}%`;
    }
    for (const element of document.querySelectorAll("#totals [data-count]")) {
      element.textContent = String(totals[element.dataset.count]);
    }
    const badge = document.getElementById("briefing-status");
    badge.textContent = labels[`briefing_${state.briefingStatus}`] || "";
    badge.className = `badge ms-1 ${state.briefingStatus === "live" ? "text-bg-danger" : "text-bg-secondary"}`;
    renderPresence();
  }

  /** Refresh link badges, "updated N seconds ago" and the stale marks: every second, and on every change. */
  function renderPresence() {
    const now = serverNow();
    const live = state.briefingStatus === "live";
    let heard = 0;
    for (const [endpointId, tile] of tiles) {
      const entry = state.endpoints.get(endpointId) || {};
      const status = entry.link_status;
      tile.badge.textContent = status ? statusLabels[`link_${status}`] : labels.no_link;
      tile.badge.className = `badge link-badge link-${status || "none"}`;
      const seenAt = entry.last_seen_at ? Date.parse(entry.last_seen_at) : null;
      const age = seenAt === null ? null : Math.max(0, now - seenAt);
      const stale = live && (age === null || age > staleAfterMs);
      if (!stale && age !== null) {
        heard += 1;
      }
      let text;
      if (age === null) {
        text = labels.never_seen;
      } else if (age < 60000) {
        text = format(labels.seen_seconds, { n: Math.floor(age / 1000) });
      } else if (age < 3600000) {
        text = format(labels.seen_minutes, { n: Math.floor(age / 60000) });
      } else {
        text = format(labels.seen_at, { time: timeOf(entry.last_seen_at).slice(0, 5) });
      }
      tile.seen.textContent = stale && age !== null ? `${labels.stale} · ${text}` : text;
      tile.tile.classList.toggle("stale", stale);
    }
    document.getElementById("endpoints-heard").textContent = format(labels.endpoints_heard, { n: heard, total: tiles.size });
  }

  function showConnection(connection, detail) {
    const element = showConnectionState(labels, connection, detail);
    element.className = `badge fs-6 ${connection === "online" ? "text-bg-success" : "text-bg-warning"}`;
  }

  buildTiles();
  applySnapshot(data.snapshot);
  // The feed opens with the latest logged events, replayed over a blank link history to tell changes from heartbeats.
  const history = new Map();
  for (const event of data.recent_events) {
    addToFeed(describe(event, history.get(event.endpoint_id)));
    if (event.type === "link_status") {
      history.set(event.endpoint_id, event.link_status);
    }
  }
  render();
  window.setInterval(renderPresence, TICK_MS);

  new LiveClient({
    briefingId,
    lastSeq: data.snapshot.seq,
    strict: true,
    onSnapshot: (snapshot) => {
      applySnapshot(snapshot);
      render();
    },
    onEvents: applyEvents,
    onState: showConnection,
  }).start();
})();
