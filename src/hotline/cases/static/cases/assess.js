// Leaving the assessment page ends the analyst's exposure session (welfare time count).
// Submitting the assessment ends it on the server; any other way of leaving sends a keepalive POST.
(function () {
  "use strict";
  var form = document.querySelector("form.leave-form");
  var assessment = document.querySelector("form.assessment-form");
  if (!form || !window.fetch) { return; }
  var submitting = false;
  if (assessment) {
    assessment.addEventListener("submit", function () { submitting = true; });
  }
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("pagehide", function () {
    if (submitting) { return; }
    var data = new FormData(form);
    data.append("beacon", "1");
    fetch(form.action, {
      method: "POST",
      body: data,
      keepalive: true,
      credentials: "same-origin",
      referrerPolicy: "same-origin" // carries this site's Origin for the CSRF check
    });
  });
})();
