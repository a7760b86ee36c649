// File inputs in our language: a browser draws its own "Choose File / No file chosen" in the browser's language, so
// an English browser showed English inside our Vietnamese forms. Each input[type=file] is kept (it is what the form
// sends, and what the keyboard and screen readers reach) but drawn as our button and the chosen file's name.
// Without this script the native input shows and works.
(function () {
  "use strict";

  const script = document.currentScript;
  const labels = {
    choose: script.dataset.choose,
    none: script.dataset.none,
    many: script.dataset.many,
  };

  function chosenText(input) {
    const files = input.files ? Array.from(input.files) : [];
    if (!files.length) return labels.none;
    if (files.length === 1) return files[0].name;
    return labels.many.replace("{n}", String(files.length));
  }

  function enhance(input) {
    if (!input.id || input.dataset.fileInput === "1") return;
    input.dataset.fileInput = "1";
    const group = document.createElement("div");
    group.className = "input-group file-input";
    const button = document.createElement("label");
    button.className = "btn btn-outline-secondary";
    button.htmlFor = input.id;
    button.textContent = labels.choose;
    button.setAttribute("aria-hidden", "true"); // the input keeps its own label; this one only opens the picker
    const name = document.createElement("span");
    name.className = "form-control text-truncate file-input-name";
    name.setAttribute("aria-live", "polite");
    name.textContent = chosenText(input);
    input.parentNode.insertBefore(group, input);
    group.append(input, button, name);
    input.classList.add("file-input-native");
    input.addEventListener("change", () => {
      name.textContent = chosenText(input);
    });
    name.addEventListener("click", () => input.click());
  }

  function start() {
    document.querySelectorAll('input[type="file"]').forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
