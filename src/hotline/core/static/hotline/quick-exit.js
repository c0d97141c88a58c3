/* "Leave this page" (modelled on GOV.UK's "Exit this page"): the link works without JavaScript; with it,
   leaving also replaces this page's entry in the tab's history (Back does not return to it), hides the page
   at once, and three presses of Shift in a row leave too. Loaded as a static file: the CSP allows no
   inline script. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) { return; }
  var status = document.querySelector("[data-quick-exit-status]");
  var hint = document.querySelector("[data-quick-exit-hint]");
  var presses = 0;
  var timer = null;

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.documentElement.classList.add("quick-exit-leaving");
    document.title = "";
    window.location.replace(link.href);
  }

  function reset() {
    presses = 0;
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (status) { status.textContent = ""; }
  }

  link.addEventListener("click", leave);
  if (hint) { hint.hidden = false; }

  document.addEventListener("keydown", function (event) {
    // Only Shift pressed on its own, three times within five seconds: typing capitals never leaves.
    if (event.key !== "Shift") { reset(); return; }
    if (event.repeat) { return; }
    presses += 1;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(reset, 5000);
    if (presses >= 3) { reset(); leave(null); return; }
    if (status) { status.textContent = presses === 1 ? status.dataset.twoMore : status.dataset.oneMore; }
  });

  // Coming back through the browser's page cache: show the page again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.documentElement.classList.remove("quick-exit-leaving"); }
  });
}());
