// The live dashboard's endpoint board, made for a thousand endpoints: one tile per endpoint, updated in place; the
// filter (signal, share checked in, group, search) and the order (problems first, or by name) are applied together in
// `layout`, which the page calls on demand and every few seconds, so that tiles do not jump on every event.
(function () {
  "use strict";

  const { fold, format } = window.MeetingHubLive;
  const COUNTS = ["expected", "present", "late", "excused", "absent", "pending"];
  // Problems first: no signal at all, then silent for too long, then a link reported poor, then the rest.
  const SIGNAL_RANK = { none: 0, stale: 1, degraded: 2, ok: 3 };

  // Counts in the page's language (31.560 in Vietnamese, 31,560 in English), whatever the browser's own locale.
  const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "vi");

  /** Write a count the way the page's language writes numbers. */
  function formatNumber(n) {
    return numberFormat.format(n);
  }

  /** Return the share of an endpoint's expected people already recorded, 0..1 (1 when nobody is expected). */
  function shareOf(counts) {
    return counts.expected ? (counts.expected - counts.pending) / counts.expected : 1;
  }

  /** Set an element's text only when it changes: most updates touch a few of a thousand tiles. */
  function setText(element, text) {
    if (element.textContent !== text) {
      element.textContent = text;
    }
  }

  class Board {
    /**
     * endpoints: [{id, name, group, key, console_url}] in name order; container: the element that holds the tiles;
     * template: the <template> of one tile.
     */
    constructor(endpoints, container, template) {
      this.container = container;
      this.views = new Map();
      this.shown = [];
      const fragment = document.createDocumentFragment();
      endpoints.forEach((endpoint, index) => {
        const tile = template.content.firstElementChild.cloneNode(true);
        tile.dataset.endpointId = String(endpoint.id);
        tile.setAttribute("aria-label", endpoint.name);
        tile.querySelector(".tile-name").textContent = endpoint.name;
        const consoleLink = tile.querySelector(".tile-console");
        if (endpoint.console_url) {
          consoleLink.href = endpoint.console_url;
          consoleLink.hidden = false;
        }
        const counts = {};
        for (const element of tile.querySelectorAll("[data-count]")) {
          counts[element.dataset.count] = element;
        }
        this.views.set(endpoint.id, {
          endpoint,
          index,
          tile,
          counts,
          badge: tile.querySelector(".link-badge"),
          seen: tile.querySelector(".tile-seen"),
          bar: tile.querySelector(".progress-bar"),
          poll: tile.querySelector(".tile-poll"),
          pollComplete: false,
          signal: "none",
          texts: null,
          share: 1,
          barWidth: "",
        });
        fragment.append(tile);
        this.shown.push(tile);
      });
      container.append(fragment);
      // "Updated N seconds ago" changes every second on every tile: write it only on the tiles on screen (and those
      // about to be), and bring a tile up to date when it scrolls into view.
      this.onScreen = new Set();
      this.observer = new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            const view = this.views.get(Number(entry.target.dataset.endpointId));
            if (entry.isIntersecting) {
              this.onScreen.add(view);
              this.writeSignal(view);
            } else {
              this.onScreen.delete(view);
            }
          }
        },
        { rootMargin: "400px 0px" },
      );
      for (const view of this.views.values()) {
        this.observer.observe(view.tile);
      }
    }

    /** Show an endpoint's counts (an object with COUNTS) on its tile. */
    showCounts(endpointId, counts) {
      const view = this.views.get(endpointId);
      for (const name of COUNTS) {
        setText(view.counts[name], formatNumber(counts[name]));
      }
      view.share = shareOf(counts);
      const width = `${Math.round(100 * view.share * (counts.expected ? 1 : 0))}%`;
      if (view.barWidth !== width) {
        view.bar.style.width = width;
        view.barWidth = width;
      }
    }

    /** Show an endpoint's answered/eligible of the open poll ("" hides it); complete: everyone present answered. */
    showPoll(endpointId, text, complete) {
      const view = this.views.get(endpointId);
      setText(view.poll, text);
      if (view.poll.hidden !== !text) {
        view.poll.hidden = !text;
      }
      if (view.pollComplete !== complete) {
        view.poll.classList.toggle("poll-complete", complete);
        view.pollComplete = complete;
      }
    }

    /** Show an endpoint's signal: its class ("none", "stale", "degraded", "ok"), badge and "last heard" text. */
    showSignal(endpointId, signal, badgeText, badgeClass, seenText) {
      const view = this.views.get(endpointId);
      view.texts = { badgeText, badgeClass, seenText };
      if (view.signal !== signal) {
        view.tile.dataset.signal = signal;
        view.signal = signal;
      }
      if (this.onScreen.has(view)) {
        this.writeSignal(view);
      }
    }

    /** Write the last signal texts given for a tile. */
    writeSignal(view) {
      if (!view.texts) {
        return;
      }
      setText(view.badge, view.texts.badgeText);
      if (view.badge.className !== view.texts.badgeClass) {
        view.badge.className = view.texts.badgeClass;
      }
      setText(view.seen, view.texts.seenText);
    }

    /** Return whether an endpoint passes the filter {chip, threshold, group, words}. */
    matches(view, filter) {
      if (filter.group && view.endpoint.group !== filter.group) {
        return false;
      }
      if (filter.chip === "nosignal" && view.signal !== "none") {
        return false;
      }
      if (filter.chip === "stale" && view.signal !== "stale") {
        return false;
      }
      if (filter.chip === "below" && !(view.share * 100 < filter.threshold)) {
        return false;
      }
      return filter.words.every((word) => view.endpoint.key.includes(word));
    }

    /** Return how many endpoints each chip would show, within the group and search of the filter. */
    chipCounts(filter) {
      const counts = { all: 0, nosignal: 0, stale: 0, below: 0 };
      const unfiltered = { ...filter, chip: "all" };
      for (const view of this.views.values()) {
        if (!this.matches(view, unfiltered)) {
          continue;
        }
        counts.all += 1;
        counts.nosignal += view.signal === "none" ? 1 : 0;
        counts.stale += view.signal === "stale" ? 1 : 0;
        counts.below += view.share * 100 < filter.threshold ? 1 : 0;
      }
      return counts;
    }

    /** Show the endpoints passing the filter, in the order asked ("problems" or "name"); return how many are shown. */
    layout(filter, order) {
      const chosen = [...this.views.values()].filter((view) => this.matches(view, filter));
      if (order === "problems") {
        chosen.sort(
          (a, b) => SIGNAL_RANK[a.signal] - SIGNAL_RANK[b.signal] || a.share - b.share || a.index - b.index,
        );
      }
      const tiles = chosen.map((view) => view.tile);
      const same = tiles.length === this.shown.length && tiles.every((tile, i) => tile === this.shown[i]);
      if (!same) {
        this.container.replaceChildren(...tiles);
        this.shown = tiles;
      }
      return tiles.length;
    }
  }

  /** The per-group totals table: one row per group, filled from the endpoints' counts and signals. */
  class GroupTable {
    constructor(groups, endpoints, body, labels) {
      this.labels = labels;
      this.groupOf = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint.group]));
      this.rows = new Map();
      const template = body.querySelector("template");
      for (const group of groups) {
        const row = template.content.firstElementChild.cloneNode(true);
        row.querySelector("th").textContent = group.name;
        const cells = {};
        for (const cell of row.querySelectorAll("[data-col]")) {
          cells[cell.dataset.col] = cell;
        }
        this.rows.set(group.key, cells);
        body.append(row);
      }
    }

    /** Fill the rows from counts (endpoint id -> counts) and signals (endpoint id -> signal). */
    show(counts, signals) {
      const sums = new Map();
      for (const key of this.rows.keys()) {
        sums.set(key, { endpoints: 0, heard: 0, expected: 0, present: 0, late: 0, excused: 0, absent: 0, pending: 0 });
      }
      for (const [endpointId, entry] of counts) {
        const sum = sums.get(this.groupOf.get(endpointId));
        if (!sum) {
          continue;
        }
        sum.endpoints += 1;
        const signal = signals.get(endpointId);
        sum.heard += signal === "ok" || signal === "degraded" ? 1 : 0;
        for (const name of COUNTS) {
          sum[name] += entry[name];
        }
      }
      for (const [key, cells] of this.rows) {
        const sum = sums.get(key);
        const heard = { n: formatNumber(sum.heard), total: formatNumber(sum.endpoints) };
        setText(cells.endpoints, format(this.labels.group_heard, heard));
        for (const name of COUNTS) {
          setText(cells[name], formatNumber(sum[name]));
        }
        setText(cells.share, `${Math.floor(100 * shareOf(sum))}%`);
      }
    }
  }

  /** Split a search into folded words, each of which an endpoint's key must contain. */
  function searchWords(text) {
    return fold(text).split(" ").filter(Boolean);
  }

  window.MeetingHubDashboard = { Board, GroupTable, searchWords, formatNumber, COUNTS };
})();
