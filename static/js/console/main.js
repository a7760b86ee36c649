// The operator's roll-call console: wires the modules together and draws what is not a row or an issue (counters,
// outbox, refused actions, link status, the briefing's state). Modules by concern: storage.js (the device),
// state.js (what the server said), connection.js (the only one that talks to the server), outbox.js (actions until
// they are answered), roll_call.js (the rows and their reasons), issues.js (raised issues and their draft),
// polls.js (the polls and the endpoint's answers; poll_cards.js draws them).
import { Connection } from "./connection.js";
import { Issues } from "./issues.js";
import { Outbox } from "./outbox.js";
import { Polls } from "./polls.js";
import { RollCall } from "./roll_call.js";
import { ServerState } from "./state.js";
import { storageKeys } from "./storage.js";

const { fold, newOpId, format, formatNodes, readJson, showConnectionState } = window.MeetingHubLive;
const data = readJson("console-data");
const labels = readJson("console-labels");
const statusLabels = data.statuses;
const keys = storageKeys(data.user, data.briefing.id, data.endpoint.id);

// Times are the network's (Asia/Ho_Chi_Minh), 24-hour, whatever the browser's own time zone and language.
const timeFormat = new Intl.DateTimeFormat("vi-VN", {
  timeZone: data.time_zone,
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** Return an ISO time as HH:MM in the network's time zone ("" when there is none). */
function formatTime(iso) {
  const date = iso ? new Date(iso) : null;
  return date && !Number.isNaN(date.getTime()) ? timeFormat.format(date) : "";
}

const state = new ServerState(data, keys.state);

const connection = new Connection({
  briefingId: state.briefingId,
  lastSeq: state.seq,
  csrfToken: document.querySelector('meta[name="csrf-token"]').content,
  onSnapshot: (snapshot) => {
    state.applySnapshot(snapshot);
    state.save();
    render();
    // A snapshot carries neither issues nor the briefing's status: the events that would have told are gone.
    refreshIssues(snapshot.seq);
    refreshBriefing(snapshot.seq);
    refreshPolls(); // nor the polls
  },
  onEvents: (events) => {
    state.applyEvents(events);
    render();
    if (state.polls.stale) {
      refreshPolls();
    }
  },
  onState: showConnection,
  onWatched: () => {
    beat();
    outbox.retryNow();
  },
});

const outbox = new Outbox({
  key: keys.outbox,
  connection,
  onSettled: (item, result) => {
    if (item.kind === "check_in" && result.record && result.seq) {
      state.applyRecord(result.record, result.seq);
    } else if (item.kind === "link_status" && result.seq) {
      state.applyLinkStatus(item.payload.status, result.seq);
    } else if (item.kind === "issue" && result.id && !state.issues[result.id]) {
      // A replay answers the issue as it was raised: anything known already (from an event) is newer.
      state.applyIssue(result, state.seq);
    } else if (item.kind === "poll_answer") {
      // A socket ack carries the answer's result under `result`; a REST answer is the result itself.
      state.polls.applyAnswer(item, result.result || result);
    }
    state.save();
  },
  onChange: () => render(),
});

function canRecord() {
  // Operators take the roll-call while the briefing is live; organizers may also correct it once it has ended.
  return state.briefingStatus === "live" || (!data.reports_link && state.briefingStatus === "ended");
}

function canRaise() {
  return state.briefingStatus === "live" || state.briefingStatus === "ended";
}

const ctx = {
  data,
  labels,
  state,
  outbox,
  newOpId,
  format,
  formatNodes,
  fold,
  formatTime,
  canRecord,
  canRaise,
  render,
  notice,
};
const rollCall = new RollCall(ctx, keys.rowDrafts);
ctx.rollCall = rollCall;
const issues = new Issues(ctx, keys.issueDraft);
const polls = new Polls(ctx, keys.pollDrafts);

async function refreshIssues(seq) {
  const list = await connection.fetchJson(data.issues_url);
  if (!list) {
    return; // offline again: the list catches up with the next snapshot or event
  }
  for (const issue of list) {
    if (issue.endpoint_id === state.endpointId) {
      state.applyIssue(issue, seq);
    }
  }
  state.save();
  render();
}

let pollsRefresh = null;

/** Ask for the polls and the endpoint's answers again (one request at a time; offline: the next event asks again). */
function refreshPolls() {
  if (pollsRefresh) {
    return;
  }
  pollsRefresh = connection
    .fetchJson(data.polls_url)
    .then((fresh) => {
      if (fresh) {
        state.polls.applyList(fresh.polls, fresh.seq);
        state.save();
        render();
      }
    })
    .finally(() => {
      pollsRefresh = null;
    });
}

async function refreshBriefing(seq) {
  const briefing = await connection.fetchJson(data.briefing_url);
  if (briefing && seq >= state.briefingStatusSeq) {
    state.briefingStatus = briefing.status;
    state.briefingStatusAt = briefing.status_changed_at;
    state.briefingStatusSeq = seq;
    state.save();
    render();
  }
}

function beat() {
  if (data.reports_link && state.briefingStatus === "live") {
    connection.heartbeat();
  }
}

function reportLink(status) {
  if (state.briefingStatus !== "live") {
    return;
  }
  // Only the latest report matters: an older one still waiting is replaced, not sent after it.
  const stale = (item) => item.kind === "link_status" && item.briefing_id === state.briefingId && item.state === "pending";
  const added = outbox.add(
    {
      id: newOpId(),
      kind: "link_status",
      state: "pending",
      briefing_id: state.briefingId,
      created_at: new Date().toISOString(),
      payload: { briefing_id: state.briefingId, status },
    },
    { replaces: stale },
  );
  if (!added) {
    notice(labels.storage_full);
  }
}

// Drawing

const counters = {};
for (const element of document.querySelectorAll("[data-count]")) {
  counters[element.dataset.count] = element;
}
let noticeText = "";

function render() {
  const raisable = canRaise();
  const totals = rollCall.render(canRecord(), raisable);
  for (const [name, element] of Object.entries(counters)) {
    element.textContent = String(totals[name]);
  }
  polls.render();
  renderOutbox();
  issues.render(raisable);
  renderLink();
  renderBriefingState();
}

function renderOutbox() {
  const waiting = outbox.pending().length;
  const unsaved = Object.keys(rollCall.drafts).length;
  const unsavedAnswers = polls.draftCount();
  // Text typed but not saved yet (a reason, a substitute, an issue being written, a poll's counts or choices) is not
  // in the outbox: "all sent" alone would read as if it were.
  const drafting = unsaved > 0 || unsavedAnswers > 0 || issues.hasText();
  const element = document.getElementById("outbox");
  if (waiting) {
    element.textContent = format(labels.outbox_pending, { n: waiting });
  } else {
    element.textContent = drafting ? labels.outbox_empty_unsaved : labels.outbox_empty;
  }
  element.classList.toggle("waiting", waiting > 0 || drafting);
  if (outbox.signedOut && waiting) {
    element.textContent += ` — ${labels.session_expired}`;
  }
  const drafts = document.getElementById("drafts");
  drafts.textContent = [
    unsaved ? format(labels.rows_unsaved, { n: unsaved }) : "",
    unsavedAnswers ? format(labels.polls_unsaved, { n: unsavedAnswers }) : "",
  ]
    .filter(Boolean)
    .join(" · ");
  drafts.hidden = !unsaved && !unsavedAnswers;
  const parked = outbox.parked();
  const section = document.getElementById("parked");
  section.hidden = parked.length === 0;
  section.querySelector("ul").replaceChildren(...parked.map(parkedLine));
}

function parkedLine(item) {
  const li = document.createElement("li");
  const text = document.createElement("span");
  let what;
  if (item.kind === "check_in") {
    what = `${item.person_name} — ${statusLabels[item.payload.status]}`;
  } else if (item.kind === "issue") {
    what = format(labels.issue_parked, { title: item.payload.title });
  } else if (item.kind === "poll_answer") {
    what = polls.parkedText(item);
  } else {
    what = format(labels.link_status_label, { status: statusLabels[`link_${item.payload.status}`] });
  }
  text.textContent = `${what}: ${item.error}`;
  const actions = document.createElement("span");
  actions.className = "parked-actions";
  // A refused issue is text someone said: it can be corrected and sent again, not only thrown away.
  if (item.kind === "issue" && item.briefing_id === state.briefingId && item.payload.endpoint_id === state.endpointId) {
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
}

function renderLink() {
  const waiting = outbox.pending().filter((item) => item.kind === "link_status" && item.briefing_id === state.briefingId);
  const status = waiting.length ? waiting[waiting.length - 1].payload.status : state.linkStatus;
  for (const button of document.querySelectorAll("button[data-link]")) {
    button.setAttribute("aria-pressed", String(button.dataset.link === status));
    button.classList.toggle("waiting", Boolean(waiting.length) && button.dataset.link === status);
    button.disabled = state.briefingStatus !== "live";
  }
}

let shownStatus = state.briefingStatus;

/** Say what the briefing's state means for the roll-call, in the bar that stays on screen while scrolling. */
function renderBriefingState() {
  const element = document.getElementById("briefing-state");
  const changed = shownStatus !== state.briefingStatus;
  if (changed) {
    shownStatus = state.briefingStatus;
    noticeText = ""; // a passing message belonged to the state before
  }
  const at = formatTime(state.briefingStatusAt);
  const messages = {
    scheduled: labels.briefing_scheduled,
    ended: data.reports_link ? (at ? format(labels.briefing_ended_at, { time: at }) : labels.briefing_ended) : "",
    cancelled: labels.briefing_cancelled,
  };
  const message = messages[state.briefingStatus] || noticeText;
  element.textContent = message;
  element.hidden = !message;
  element.dataset.status = state.briefingStatus;
  if (changed && message) {
    // Closed, cancelled or reopened while the operator was looking elsewhere: the bar says it where they are, and
    // a screen reader hears it (the element is a live region).
    element.classList.remove("flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("flash");
  }
}

let noticeTimer = null;

/**
 * Show a passing message in the briefing's bar (until the briefing's state says something else), for `seconds` when
 * given: a piece of news should not keep the sticky bar tall for the rest of the briefing.
 */
function notice(message, seconds = 0) {
  noticeText = message;
  window.clearTimeout(noticeTimer);
  if (seconds) {
    noticeTimer = window.setTimeout(() => {
      if (noticeText === message) {
        noticeText = "";
        renderBriefingState();
      }
    }, seconds * 1000);
  }
  renderBriefingState();
}

function showConnection(connectionState, detail) {
  showConnectionState(labels, connectionState, detail);
  if (connectionState === "refused") {
    outbox.signedOut = true;
    render();
  }
}

// Events of the page

document.getElementById("search").addEventListener("input", (event) => {
  document.getElementById("nobody").hidden = rollCall.search(event.target.value) > 0;
});
for (const button of document.querySelectorAll("button[data-link]")) {
  button.addEventListener("click", () => reportLink(button.dataset.link));
}
document.getElementById("parked").addEventListener("click", (event) => {
  const edit = event.target.closest("button[data-edit]");
  const parkedIssue = edit && outbox.find(edit.dataset.edit);
  if (parkedIssue) {
    const known = parkedIssue.person_id !== null && rollCall.rows.has(parkedIssue.person_id);
    issues.open(known ? parkedIssue.person_id : null, edit, parkedIssue);
    return;
  }
  const button = event.target.closest("button[data-dismiss]");
  if (button && window.confirm(labels.dismiss_confirm)) {
    outbox.drop((item) => item.id === button.dataset.dismiss);
  }
});
// Text typed and not yet in the outbox is kept on this device, but only this page sends it: say so before leaving.
// Actions in the outbox are not asked about: they go out on their own as soon as the console is open again. Reasons
// that can no longer be saved (the roll-call has closed) are not asked about either: there is nothing left to do.
window.addEventListener("beforeunload", (event) => {
  if ((rollCall.hasDrafts() && canRecord()) || issues.hasText() || polls.hasDrafts()) {
    event.preventDefault();
    event.returnValue = ""; // Chromium before 119 needs it set
  }
});

rollCall.build();
issues.listen();
polls.listen();
render();
connection.start();
outbox.pump();
window.setInterval(beat, Math.max(data.heartbeat_seconds, 1) * 1000);
registerServiceWorker();

/**
 * Let the service worker keep this page, its scripts and styles, so the console reopens with no connection at all.
 * It needs a secure context (HTTPS, or localhost): elsewhere the outbox still keeps every action, but a reload without
 * a connection cannot reopen the page.
 */
function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) {
    return;
  }
  // Whether this load went through the worker; if not (the first visit), the worker never saw the page go by.
  const controlledAtLoad = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "page-kept" && event.data.ok) {
      document.body.dataset.offlineReady = "1";
    }
  });
  const keep = () => {
    navigator.serviceWorker
      .register(data.service_worker_url, { scope: "/" })
      .catch(() => null) // offline: the worker already installed still answers
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (registration.active) {
          registration.active.postMessage({ type: "keep-page", url: window.location.href, fetch: !controlledAtLoad });
        }
      });
  };
  // A module runs after the document is parsed, maybe after "load" too.
  if (document.readyState === "complete") {
    keep();
  } else {
    window.addEventListener("load", keep);
  }
}
