// Statistics page: small conveniences; every chart and table is already in the page without this file.
(function () {
  "use strict";

  // Changing the period, the unit or the district shows the new figures at once (the button stays for
  // keyboard and no-JS users; the form is a plain GET so the address can be shared).
  var form = document.querySelector("form[action='/stats']");
  if (form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
  }

  // Bars can be reached by keyboard: each announces its own label and value (from its <title>).
  document.querySelectorAll("svg.chart .bar, svg.chart .column").forEach(function (el) {
    var title = el.querySelector("title");
    if (!title) return;
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", title.textContent);
  });
})();
