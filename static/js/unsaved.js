// Asks before leaving a page whose form holds typing not yet saved. A form counts from its
// first input until it is submitted, or until htmx takes it off the page (Cancel, saved).
(() => {
  const unsaved = new Set();

  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (form && form.method === "post") unsaved.add(form);
  });

  document.addEventListener("submit", (event) => unsaved.delete(event.target), true);

  window.addEventListener("beforeunload", (event) => {
    for (const form of unsaved) if (!form.isConnected) unsaved.delete(form);
    if (unsaved.size === 0) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
