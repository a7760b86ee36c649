// Refuse an oversized PDF before sending it: on a weak link, a 20 MB upload the server will refuse wastes minutes.
(() => {
  const form = document.getElementById("bulletin-form");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    const input = document.getElementById("file");
    const file = input.files && input.files[0];
    if (file && file.size > Number(form.dataset.maxBytes)) {
      event.preventDefault();
      input.classList.add("is-invalid");
    }
  });
})();
