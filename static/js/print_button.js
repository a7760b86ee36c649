// Buttons marked data-print open the browser's print dialog.
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
