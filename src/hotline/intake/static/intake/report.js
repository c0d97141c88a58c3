/* Bookmarklet support: /report/#url=<address> puts the address into the first field.
   The fragment never reaches the server; it is removed from the address bar and history at once.
   Without JavaScript the form works as usual (the address is typed or pasted). */
(function () {
  "use strict";
  var match = /^#url=(.+)$/.exec(window.location.hash || "");
  if (!match) { return; }
  var address = "";
  try { address = decodeURIComponent(match[1]); } catch (e) { address = ""; }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  var field = document.getElementById("id_url_1");
  var channel = document.querySelector('input[name="channel"]');
  if (field && address && !field.value) {
    field.value = address.slice(0, 8192);
    if (channel) { channel.value = "bookmark"; }
    var first = document.getElementById("id_kind_0");
    if (first) { first.focus(); }
  }
}());
/* The questions that fit the kind of report: choosing a kind shows its sections at once (without JavaScript
   the "Show the questions" button reloads the form with them). Hidden sections keep what was typed. */
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  if (!form) { return; }
  var sections = form.querySelectorAll(".kind-section[data-kinds]");
  var nojs = form.querySelectorAll("[data-nojs-only]");
  if (!sections.length) { return; }
  var i;
  for (i = 0; i < nojs.length; i += 1) { nojs[i].hidden = true; }
  var texts = form.querySelector("[data-description-texts]");
  var label = form.querySelector("label[for=id_description]");
  var help = document.getElementById("id_description_help");
  var situations = ["trafficking", "grooming", "travelling_offender", "sextortion"];
  function show(kind) {
    for (var j = 0; j < sections.length; j += 1) {
      sections[j].hidden = sections[j].getAttribute("data-kinds").split(" ").indexOf(kind) < 0;
    }
    if (texts && label) {  // the description's question fits the kind too
      var which = situations.indexOf(kind) < 0 ? "material" : "situation";
      label.textContent = texts.getAttribute("data-" + which + "-label");
      if (help) { help.textContent = texts.getAttribute("data-" + which + "-help"); }
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "kind") { show(event.target.value); }
  });
}());
