// Series form: show the fields of the chosen rule and a live preview of the next six dates (computed by the server,
// so the rule is written once, in Python).
(function () {
  "use strict";
  const form = document.getElementById("series-form");
  if (!form) return;
  const previewList = document.getElementById("preview-dates");
  const previewRule = document.getElementById("preview-rule");
  const weekdayBox = document.getElementById("rule-weekday");
  const dayBox = document.getElementById("rule-day");
  const allEndpoints = form.querySelector("[name=all_endpoints]");
  const endpointChoice = document.getElementById("endpoint-choice");
  let pending = null;

  function ruleKind() {
    const checked = form.querySelector("[name=rule_kind]:checked");
    return checked ? checked.value : "weekday";
  }

  function toggleFields() {
    const byDay = ruleKind() === "day";
    weekdayBox.hidden = byDay;
    dayBox.hidden = !byDay;
    endpointChoice.hidden = allEndpoints.checked;
  }

  function refreshPreview() {
    const params = new URLSearchParams({
      rule_kind: ruleKind(),
      weekday: form.weekday.value,
      week: form.week.value,
      day: form.day.value,
      first_month: form.first_month.value,
    });
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.previewUrl + "?" + params.toString(), { signal: pending.signal, credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        previewRule.textContent = data.rule || data.error || "";
        previewList.replaceChildren(
          ...data.dates.map((item) => {
            const li = document.createElement("li");
            li.textContent = item.label + (item.holiday ? " ⚠ " + item.holiday : "");
            if (item.holiday) li.className = "text-warning-emphasis";
            return li;
          })
        );
      })
      .catch((error) => {
        if (error.name !== "AbortError") previewRule.textContent = "";
      });
  }

  form.addEventListener("input", () => {
    toggleFields();
    refreshPreview();
  });
  form.addEventListener("change", () => {
    toggleFields();
    refreshPreview();
  });
  toggleFields();
  refreshPreview();
})();
