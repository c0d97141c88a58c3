// Keyboard shortcuts for the common verdicts on the assessment form (progressive enhancement: without
// JavaScript the radio buttons work as always). Keys 1-5 choose a verdict when focus is not in a text field;
// nothing is saved by a key, the analyst still presses a button. The keys are listed on the page.
(function () {
  "use strict";
  var form = document.querySelector("form.assessment-form");
  if (!form) { return; }
  var keys = {
    "1": "csam_baseline",
    "2": "csam_national",
    "3": "harmful_not_illegal",
    "4": "not_csam",
    "5": "unreachable"
  };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) { return; }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    var typing = tag === "textarea" || tag === "select" || target.isContentEditable ||
      (tag === "input" && !/^(radio|checkbox|button|submit)$/.test(target.type));
    if (typing || !Object.prototype.hasOwnProperty.call(keys, event.key)) { return; }
    var radio = form.querySelector('input[name="verdict"][value="' + keys[event.key] + '"]');
    if (!radio) { return; }
    event.preventDefault();
    radio.checked = true;
    radio.focus();
  });
})();
