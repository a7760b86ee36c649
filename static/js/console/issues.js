// Raised issues ("ý kiến, kiến nghị") at the endpoint: the dialog to write one, the draft being written (kept on the
// device while typing, so a reload, a closed dialog or a lost session never loses it), and the endpoint's list.
// A saved issue is an outbox item like any other action, sent over REST.
import { forget, readStored, store } from "./storage.js";

const FIELDS = ["category", "title", "content"];

export class Issues {
  /** ctx: data, labels, state, outbox, rollCall, newOpId, format, canRaise(), render(), notice(message), confirm. */
  constructor(ctx, draftKey) {
    this.ctx = ctx;
    this.draftKey = draftKey;
    // Who raises the issue being written (null: the endpoint as a whole), its text, the parked item it replaces.
    this.draft = readStored(draftKey);
    this.opener = null;
    this.dialog = document.getElementById("issue-dialog");
    this.form = document.getElementById("issue-form");
    this.error = this.form.querySelector(".form-error");
    this.banner = document.getElementById("issue-draft");
  }

  listen() {
    document.querySelector(".issues button[data-raise]").addEventListener("click", (event) => {
      this.open(null, event.currentTarget);
    });
    this.ctx.rollCall.root.addEventListener("click", (event) => {
      const raise = event.target.closest("button[data-raise]");
      if (raise) {
        this.open(Number(raise.closest("li.person").dataset.personId), raise);
      }
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.form.addEventListener("input", () => {
      this.error.hidden = true;
      this.keepTyped();
    });
    this.form.querySelector("button[data-close]").addEventListener("click", () => this.close());
    this.form.querySelector("button[data-discard]").addEventListener("click", () => this.discard());
    this.dialog.addEventListener("close", () => {
      if (this.opener && this.opener.isConnected) {
        this.opener.focus();
      }
      this.ctx.render(); // the banner of a draft kept for later
    });
    this.banner.querySelector("button[data-resume]").addEventListener("click", (event) => {
      this.resume(event.currentTarget);
    });
    this.banner.querySelector("button[data-discard]").addEventListener("click", () => this.discard());
  }

  /** Open the form for a person (null: the whole endpoint), or to correct a parked issue (from). */
  open(personId, opener, from = null) {
    const { labels, rollCall } = this.ctx;
    if (!this.ctx.canRaise()) {
      this.ctx.notice(labels.issues_not_open);
      return;
    }
    if (this.hasText() && !window.confirm(labels.issue_draft_replace)) {
      this.resume(opener);
      return;
    }
    const personName = rollCall.personName(personId, from && from.person_name);
    this.draft = {
      personId,
      personName,
      replaces: from ? from.id : null,
      category: from ? from.payload.category : "",
      title: from ? from.payload.title : "",
      content: from ? from.payload.content : "",
    };
    this.show(opener);
  }

  /** Reopen the form with the draft kept on the device. */
  resume(opener) {
    if (this.draft) {
      this.show(opener);
    }
  }

  show(opener) {
    const { labels, formatNodes, data } = this.ctx;
    this.opener = opener;
    this.form.reset();
    for (const name of FIELDS) {
      this.form.elements[name].value = this.draft[name] || "";
    }
    this.error.hidden = true;
    document
      .getElementById("issue-raiser")
      .replaceChildren(
        ...(this.draft.personId === null
          ? formatNodes(labels.raised_by_endpoint, { endpoint: data.endpoint.name })
          : formatNodes(labels.raised_by, { name: this.draft.personName })),
      );
    if (typeof this.dialog.showModal === "function") {
      this.dialog.showModal();
    } else {
      this.dialog.setAttribute("open", "");
    }
    this.form.elements.category.focus();
  }

  close() {
    if (typeof this.dialog.close === "function") {
      this.dialog.close();
    } else {
      this.dialog.removeAttribute("open");
      this.ctx.render();
    }
  }

  keepTyped() {
    if (!this.draft) {
      return;
    }
    for (const name of FIELDS) {
      this.draft[name] = this.form.elements[name].value;
    }
    if (!store(this.draftKey, this.draft)) {
      this.error.textContent = this.ctx.labels.storage_full;
      this.error.hidden = false;
    }
  }

  /** Whether text is being written that is not in the outbox yet. */
  hasText() {
    return Boolean(this.draft && (this.draft.title.trim() || this.draft.content.trim()));
  }

  /** Throw the draft away, once the operator has said so. */
  discard() {
    if (this.hasText() && !window.confirm(this.ctx.labels.issue_draft_discard_confirm)) {
      return;
    }
    this.forgetDraft();
    if (this.dialog.open) {
      this.close();
    } else {
      this.ctx.render();
    }
  }

  forgetDraft() {
    this.draft = null;
    forget(this.draftKey);
  }

  save() {
    const { labels, data, state, outbox } = this.ctx;
    this.keepTyped();
    const category = this.form.elements.category.value;
    const title = this.form.elements.title.value.replace(/\s+/g, " ").trim();
    const content = this.form.elements.content.value.trim();
    const problem = !category ? labels.issue_category_required : !title ? labels.issue_title_required : "";
    if (problem) {
      this.error.textContent = problem;
      this.error.hidden = false;
      (category ? this.form.elements.title : this.form.elements.category).focus();
      return;
    }
    const id = this.ctx.newOpId();
    const draft = this.draft;
    const item = {
      id,
      kind: "issue",
      state: "pending",
      briefing_id: state.briefingId,
      person_id: draft.personId,
      person_name: draft.personName,
      url: data.issues_url,
      created_at: new Date().toISOString(),
      payload: { endpoint_id: state.endpointId, person_id: draft.personId, category, title, content, client_op_id: id },
    };
    // Storage full: the parked original stays, and the form stays open with what was typed.
    if (!outbox.add(item, { replaces: (entry) => entry.id === draft.replaces })) {
      this.error.textContent = labels.storage_full;
      this.error.hidden = false;
      return;
    }
    this.forgetDraft();
    this.close();
  }

  /** Draw the endpoint's issues: those the server knows, then those waiting in the outbox; and the draft's banner. */
  render(raisable) {
    const { data, labels, format, state, outbox, rollCall } = this.ctx;
    const categories = new Map(data.categories.map((category) => [category.code, category.name]));
    const metaOf = (category, personId, fallbackName) =>
      [categories.get(category) || category, rollCall.personName(personId, fallbackName) || labels.whole_endpoint].join(
        " · ",
      );
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
      .pending()
      .filter(
        (item) =>
          item.kind === "issue" && item.briefing_id === state.briefingId && item.payload.endpoint_id === state.endpointId,
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
    const kept = this.hasText() && !this.dialog.open;
    this.banner.hidden = !kept;
    if (kept) {
      const who = this.draft.personId === null ? labels.whole_endpoint : this.draft.personName;
      this.banner.querySelector("[data-draft-text]").textContent = format(labels.issue_draft_kept, {
        title: this.draft.title.trim() || labels.issue_untitled,
        name: who,
      });
    }
  }
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
