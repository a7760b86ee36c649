// The bulletin's share block: "Chia sẻ" opens the phone's share sheet (Web Share API, where Zalo appears); without
// navigator.share (most desktop browsers, pages served over plain http) it copies the link instead. The copy buttons
// copy the link or the ready-made message, with the Clipboard API or, where it is missing, a selected text area.
(() => {
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on a LAN has no Clipboard API: the old selection copy still works there.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function say(button, message) {
    const status = button.closest("[data-share-block]")?.querySelector("[data-share-status]");
    if (status) status.textContent = message;
  }

  document.querySelectorAll("[data-copy-text]").forEach((button) => {
    button.addEventListener("click", () => {
      copyText(button.dataset.copyText).then(
        () => say(button, button.dataset.copied),
        () => say(button, ""),
      );
    });
  });

  document.querySelectorAll("[data-share-button]").forEach((button) => {
    button.addEventListener("click", () => {
      const data = { title: button.dataset.shareTitle, text: button.dataset.shareText, url: button.dataset.shareUrl };
      if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
        // The message already ends with the link; some apps paste both, so the text goes without it.
        navigator.share({ title: data.title, text: data.text.replace(data.url, "").trim(), url: data.url }).catch(() => {});
        return;
      }
      copyText(data.url).then(() => say(button, button.dataset.copied), () => say(button, ""));
    });
  });
})();
