// Poll form: show as many option fields as are used (at least two), with "add" and "remove" buttons. Without
// JavaScript all ten fields show and the server ignores the blank ones.
// Set up once the page is parsed: the unsaved-text guard (a deferred script) has then put back any restored text.
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const list = document.getElementById("poll-option-rows");
  const addButton = document.getElementById("poll-option-add");
  if (!list || !addButton) return;
  const MIN_SHOWN = 2;
  const rows = Array.from(list.querySelectorAll(".poll-option-row"));
  const inputs = rows.map((row) => row.querySelector("input"));
  let shown = MIN_SHOWN;
  inputs.forEach((input, index) => {
    if (input.value.trim()) shown = Math.max(shown, index + 1);
  });

  function render() {
    rows.forEach((row, index) => {
      row.classList.toggle("d-none", index >= shown);
      row.querySelector(".poll-option-remove").classList.toggle("d-none", shown <= MIN_SHOWN);
    });
    addButton.classList.toggle("d-none", shown >= rows.length);
  }

  function changed(input) {
    // Tell the unsaved-text guard (and anything else listening) that the value moved.
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  addButton.addEventListener("click", () => {
    if (shown >= rows.length) return;
    shown += 1;
    render();
    inputs[shown - 1].focus();
  });

  rows.forEach((row, index) => {
    row.querySelector(".poll-option-remove").addEventListener("click", () => {
      // The options below move up one place, so the numbers stay in order.
      for (let i = index; i < shown - 1; i += 1) {
        inputs[i].value = inputs[i + 1].value;
        changed(inputs[i]);
      }
      inputs[shown - 1].value = "";
      changed(inputs[shown - 1]);
      shown = Math.max(MIN_SHOWN, shown - 1);
      render();
      inputs[Math.min(index, shown - 1)].focus();
    });
  });

  render();
});
