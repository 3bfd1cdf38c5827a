// Shows beside each lab value the number in the registry's own unit as it is typed: an
// <output data-converts="ID"> reads the input ID and the unit list named in
// data-unit-input, and multiplies by that unit's factor from data-factors (written by
// registry.web.lab_forms from registry.analytes). Nothing shows for a value already in the
// registry's unit, one that is not a number, or an analyte kept as entered (no factors).
(() => {
  // A number as the server reads it (registry.web.numbers.number_from_text): a decimal
  // comma is a decimal point, but a comma before exactly three digits could as well
  // separate thousands (1,000): the server refuses it, so nothing is shown for it.
  const number = (text) => {
    const typed = text.trim().replace(/\s*[xX×*]\s*10\s*(\^|\*\*)\s*/, "e");
    if (!/^[-+]?(\d+([.,]\d+)?|[.,]\d+)([eE][-+]?\d{1,3})?$/.test(typed)) return null;
    if (/,\d{3}([eE]|$)/.test(typed)) return null;
    return Number(typed.replace(",", "."));
  };

  const show = (output) => {
    const input = document.getElementById(output.dataset.converts);
    const unit = document.getElementById(output.dataset.unitInput);
    const factors = JSON.parse(output.dataset.factors || "{}");
    const value = input ? number(input.value) : null;
    const factor = unit ? factors[unit.value] : undefined;
    const own = output.dataset.seriesUnit;
    if (value === null || factor === undefined || unit.value === own) {
      output.textContent = "";
      return;
    }
    const below = output.closest("tr, form")?.querySelector("input[type=checkbox]")?.checked;
    const converted = Number((value * factor).toPrecision(6));
    output.textContent = `= ${below ? "< " : ""}${converted} ${own}`;
  };

  const apply = (root) => {
    for (const output of root.querySelectorAll("output[data-converts]")) show(output);
  };

  for (const kind of ["input", "change"]) {
    document.addEventListener(kind, (event) => {
      const scope = event.target.closest("tr, form");
      if (scope) apply(scope);
    });
  }
  document.addEventListener("htmx:load", (event) => apply(event.target));
  document.addEventListener("DOMContentLoaded", () => apply(document));
})();
