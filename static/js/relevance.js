// Shows a field only where it applies: a wrapper marked data-shown-when="kind=death" shows
// while the form's "kind" holds "death", and is hidden otherwise (registry.web.forms).
// A hidden field's inputs are disabled, so that a value typed before the choice changed is
// not posted: the model would refuse it (a cause of death on a relapse).
(() => {
  const apply = (root) => {
    for (const wrapper of root.querySelectorAll("[data-shown-when]")) {
      const [name, value] = wrapper.dataset.shownWhen.split("=");
      const chooser = wrapper.closest("form")?.elements.namedItem(name);
      if (!chooser) continue;
      const shown = chooser.value === value;
      wrapper.hidden = !shown;
      for (const input of wrapper.querySelectorAll("input, select, textarea")) {
        input.disabled = !shown;
      }
    }
  };

  document.addEventListener("change", (event) => {
    if (event.target.form) apply(event.target.form);
  });
  // htmx swaps a section's form in after the page has loaded.
  document.addEventListener("htmx:load", (event) => apply(event.target));
  document.addEventListener("DOMContentLoaded", () => apply(document));
})();
