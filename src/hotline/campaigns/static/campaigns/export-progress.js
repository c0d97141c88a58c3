// Staff export page: follow the worker's progress and reload when the file is ready.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-status-url");
  var bar = document.getElementById("export-progress");
  var label = document.getElementById("export-progress-label");
  if (!url || !bar || !window.fetch) { return; }
  var rounds = 0;
  function poll() {
    rounds += 1;
    if (rounds > 900) { return; }
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        bar.value = data.progress;
        if (label) { label.textContent = data.progress + "%"; }
        if (data.state === "done" || data.state === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
