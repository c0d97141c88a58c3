// Optional: refreshes a petition's confirmed count every 30 seconds. The page works without it.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-count-url");
  if (!url || !window.fetch) { return; }
  var rounds = 0;
  function refresh() {
    rounds += 1;
    if (rounds > 240) { return; } // two hours is enough for one open tab
    fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        document.querySelectorAll(".js-live-count").forEach(function (el) { el.textContent = String(data.count); });
        document.querySelectorAll(".js-live-bar").forEach(function (el) {
          el.max = Math.max(data.goal, data.count);
          el.value = data.count;
          el.textContent = data.percent + "%";
        });
      })
      .catch(function () {});
    window.setTimeout(refresh, 30000);
  }
  window.setTimeout(refresh, 30000);
})();
