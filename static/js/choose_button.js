// A button that picks a value in a select, e.g. "Đề xuất: …" next to the agency of an assignment: the suggestion
// fills the select, the user still submits (or changes it). Markup: data-choose-for="<select id>" data-choose-value.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-choose-for]");
  if (!button) return;
  const select = document.getElementById(button.dataset.chooseFor);
  if (!select) return;
  select.value = button.dataset.chooseValue;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  select.focus();
});
