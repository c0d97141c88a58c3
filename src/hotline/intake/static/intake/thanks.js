/* The thank-you page's copy button: shown only with JavaScript (without it the code is selected with one
   tap: user-select: all). Copies the 16 digits without their spaces. */
(function () {
  "use strict";
  var box = document.querySelector("[data-copy-receipt]");
  var receipt = document.getElementById("receipt");
  if (!box || !receipt || !navigator.clipboard) { return; }
  var button = box.querySelector("button");
  var status = box.querySelector("[aria-live]");
  box.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(receipt.textContent.replace(/\s+/g, "")).then(function () {
      status.textContent = button.getAttribute("data-copied");
    });
  });
}());
