// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // "Use my location" on the report form: only shown where the browser can answer.
  var locate = document.querySelector("[data-locate]");
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("r-lat").value = position.coords.latitude.toFixed(6);
        document.getElementById("r-lon").value = position.coords.longitude.toFixed(6);
      });
    });
  }

  // Tell the citizen about too many photos before the upload, not after.
  document.querySelectorAll("input[type=file][data-max-files]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-files"), 10);
      input.setCustomValidity(input.files.length > max ? input.getAttribute("data-too-many") || ("max " + max) : "");
      input.reportValidity();
    });
  });

  // Hiding a complaint is serious: ask once more.
  document.querySelectorAll("form[action$='/reject']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var label = form.querySelector("button[type=submit]");
      if (!window.confirm((label ? label.textContent : "") + "?")) event.preventDefault();
    });
  });
})();
