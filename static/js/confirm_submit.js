// Forms marked data-confirm ask before they are sent (the message is the attribute's value). Loaded on every page.
document.addEventListener("submit", (event) => {
  const message = event.target instanceof HTMLFormElement ? event.target.dataset.confirm : undefined;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
