// The report form's 분야 list follows the chosen 기관: only that organisation's categories, rebuilt from the
// list the page carries (data-categories), so no other organisation's names are ever offered.
(function () {
  "use strict";

  var org = document.getElementById("r-org");
  var category = document.getElementById("r-category");
  if (!org || !category) return;
  var all = {};
  try { all = JSON.parse(category.getAttribute("data-categories") || "{}"); } catch (e) { return; }
  var none = category.getAttribute("data-none") || "";

  function rebuild() {
    var keep = category.value;
    while (category.firstChild) category.removeChild(category.firstChild);
    category.appendChild(new Option(none, ""));
    (all[org.value] || []).forEach(function (c) {
      category.appendChild(new Option(c.name, c.code, false, c.code === keep));
    });
  }

  org.addEventListener("change", rebuild);
  rebuild();
})();
