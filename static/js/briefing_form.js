// Briefing form: add an empty agenda row (rows left empty are ignored by the server).
(function () {
  "use strict";
  const button = document.getElementById("add-agenda-row");
  if (!button) return;
  button.addEventListener("click", function () {
    const rows = document.getElementById("agenda-rows");
    const copy = rows.querySelector(".agenda-row:last-child").cloneNode(true);
    copy.querySelectorAll("input").forEach((input) => {
      input.value = "";
    });
    rows.appendChild(copy);
    copy.querySelector("input").focus();
  });
})();
