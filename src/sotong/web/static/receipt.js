// The receipt's copy and share buttons (a file, not inline: the CSP allows no inline script). Share uses the
// Web Share API where the browser has it (phones); copy works everywhere, with a selection as a last resort.
(function () {
  "use strict";

  var status = document.querySelector("[data-copy-status]");

  function say(text) { if (status) status.textContent = text; }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { say(button.getAttribute("data-copied") || ""); };
      field.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand && document.execCommand("copy")) done();
        });
      } else if (document.execCommand && document.execCommand("copy")) {
        done();
      }
    });
  });

  if (!navigator.share) return;
  document.querySelectorAll("[data-share]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-share"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: button.getAttribute("data-share-title") || "", url: field.value })
        .catch(function () { /* the citizen closed the share sheet */ });
    });
  });
})();
