// A calendar button beside each date box (registry.dates.StudyDateInput), on the pages and
// in the admin: it opens the browser's own date picker and writes the chosen day back in the
// study's format. Without JavaScript, or in a browser without showPicker(), the box still
// takes typing and pasting.
//
// On the admin's page for a new patient, the date boxes follow the study chosen for it,
// whose format each choice carries (registry.admin.patients.StudyChoice): a date already
// typed is rewritten in the new format, and the hint and the placeholder say it.
(() => {
  // What the server reads as a date (registry.dates): the ISO order with separators in any
  // study, and each format's own order, with separators or, as a phone's number pad types
  // it, without.
  const ISO = /^\s*(?<year>\d{4})\s*[-/.\s]\s*(?<month>\d{1,2})\s*[-/.\s]\s*(?<day>\d{1,2})\s*$/;
  const TYPED = {
    "YYYY-MM-DD": [/^\s*(?<year>\d{4})(?<month>\d{2})(?<day>\d{2})\s*$/],
    "DD/MM/YYYY": [
      /^\s*(?<day>\d{1,2})\s*[-/.\s]\s*(?<month>\d{1,2})\s*[-/.\s]\s*(?<year>\d{4})\s*$/,
      /^\s*(?<day>\d{2})(?<month>\d{2})(?<year>\d{4})\s*$/,
    ],
  };

  // The picker opens on the day already typed, if the box holds one.
  function typedIso(text, format) {
    const match = [ISO, ...TYPED[format]].map((form) => form.exec(text)).find(Boolean);
    if (!match) return "";
    const { year, month, day } = match.groups;
    return `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`;
  }

  function written(iso, format) {
    const [year, month, day] = iso.split("-");
    return format === "DD/MM/YYYY" ? `${day}/${month}/${year}` : iso;
  }

  function followStudy(choice) {
    const format = choice.selectedOptions[0]?.dataset.dateFormat;
    if (!format) return;
    choice.form.querySelectorAll("input[data-date-format]").forEach((box) => {
      const from = box.dataset.dateFormat;
      if (from === format) return;
      const iso = typedIso(box.value, from);
      if (iso) box.value = written(iso, format);
      box.dataset.dateFormat = format;
      box.placeholder = format;
      const hint = box.id && document.getElementById(`${box.id}_helptext`);
      if (hint) hint.innerHTML = hint.innerHTML.replace(`As ${from}`, `As ${format}`);
    });
  }

  function calendarIcon() {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M4 1v2M12 1v2M1.5 3.5h13v11h-13zM1.5 6.5h13M4 9h2M7 9h2M10 9h2M4 12h2M7 12h2");
    svg.append(path);
    return svg;
  }

  function enhance(box) {
    // The admin's hidden row that "Add another" copies: a copy would not keep the listeners.
    if (box.dataset.picker || box.disabled || box.closest(".empty-form")) return;
    box.dataset.picker = "on";
    // Rendered but unseen: showPicker() needs an input on the page, placed under the button.
    const native = document.createElement("input");
    native.type = "date";
    native.className = "date-native";
    native.tabIndex = -1;
    native.setAttribute("aria-hidden", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "date-picker";
    button.setAttribute("aria-label", "Calendar");
    // Every date box has one: each is described by its box's label ("Calendar, Date of
    // birth"), not named by it, so that the label still names the box alone.
    const label = box.labels && box.labels[0];
    if (label) {
      label.id = label.id || `${box.id}_label`;
      button.setAttribute("aria-describedby", label.id);
    }
    button.append(calendarIcon());
    button.addEventListener("click", () => {
      // Read on each use: the box's format follows a study chosen on the page.
      native.value = typedIso(box.value, box.dataset.dateFormat);
      native.showPicker();
    });
    native.addEventListener("change", () => {
      if (!native.value) return;
      box.value = written(native.value, box.dataset.dateFormat);
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.dispatchEvent(new Event("change", { bubbles: true }));
      box.focus();
    });
    box.after(button, native);
  }

  function enhanceAll(root) {
    if (!("showPicker" in HTMLInputElement.prototype)) return;
    root.querySelectorAll("input[data-date-format]").forEach(enhance);
  }

  function studyChoice() {
    return document.querySelector("select[name=study] option[data-date-format]")?.parentElement;
  }

  document.addEventListener("DOMContentLoaded", () => {
    enhanceAll(document);
    studyChoice()?.addEventListener("change", (event) => followStudy(event.target));
  });
  document.addEventListener("htmx:load", (event) => enhanceAll(event.detail.elt));
  // A row the admin adds to an inline, copied from a row in the page's first format.
  document.addEventListener("formset:added", (event) => {
    const choice = studyChoice();
    if (choice) followStudy(choice);
    enhanceAll(event.target);
  });
})();
