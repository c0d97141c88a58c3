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
