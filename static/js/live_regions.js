// A live region (the computed grades, the eligibility verdict) is swapped only when the
// server's answer differs from the one it shows. Leaving a field posts its change again with
// the values already posted as they were typed; swapping the same answer in would replace
// the "Go to" link under a pointer mid-click, so that the click goes nowhere, and would make
// a screen reader read the region out again.
(() => {
  const shown = new WeakMap();

  document.addEventListener("htmx:beforeSwap", (event) => {
    const { target, serverResponse } = event.detail;
    if (!target.hasAttribute("aria-live") || !event.detail.shouldSwap) return;
    if (shown.get(target) === serverResponse) {
      event.detail.shouldSwap = false;
    } else {
      shown.set(target, serverResponse);
    }
  });
})();
