// "Copy URL": the same audited POST as without JavaScript, but the answer (JSON) goes to the
// clipboard instead of a page. The URL is never turned into a link, opened or prefetched.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.copy-url-form");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (!navigator.clipboard || !window.fetch) {
        return; // fall back to the no-JavaScript page
      }
      event.preventDefault();
      var status = form.querySelector(".copy-status");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
        // same-origin: the request carries this site's Origin (Django's CSRF check needs it); nothing
        // is ever sent to another site.
        referrerPolicy: "same-origin"
      })
        .then(function (response) {
          if (!response.ok) { throw new Error("refused"); }
          return response.json();
        })
        .then(function (data) { return navigator.clipboard.writeText(data.url); })
        .then(function () { if (status) { status.textContent = form.dataset.copied || "OK"; } })
        .catch(function () { if (status) { status.textContent = form.dataset.failed || "!"; } });
    });
  });
})();
