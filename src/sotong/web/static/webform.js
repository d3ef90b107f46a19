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

// The report form's location picker: a small map of Seoul drawn here (no tiles, no third-party server),
// clicking it fills in latitude and longitude. The form works without it: address and the fields remain.
(function () {
  "use strict";

  var box = document.querySelector("[data-map]");
  var canvas = document.querySelector("[data-map-canvas]");
  var lat = document.getElementById("r-lat");
  var lon = document.getElementById("r-lon");
  if (!box || !canvas || !lat || !lon || !canvas.getContext) return;

  // The window shown: Seoul and its edges (degrees).
  var north = 37.72, south = 37.42, west = 126.76, east = 127.20;
  // The Han river, roughly, west to east; landmarks to find one's way.
  var river = [[37.585, 126.76], [37.56, 126.85], [37.548, 126.90], [37.53, 126.94], [37.517, 126.99],
    [37.52, 127.03], [37.53, 127.07], [37.525, 127.10], [37.54, 127.12], [37.56, 127.16], [37.58, 127.20]];
  var places = [["서울시청", 37.5663, 126.9779], ["송파구청", 37.5145, 127.1059], ["마포구청", 37.5663, 126.9019],
    ["강남역", 37.4979, 127.0276], ["북한산", 37.66, 126.98], ["김포공항", 37.5587, 126.7945]];
  var ctx = canvas.getContext("2d");

  function x(lo) { return (lo - west) / (east - west) * canvas.width; }
  function y(la) { return (north - la) / (north - south) * canvas.height; }

  function draw() {
    ctx.fillStyle = "#f4f7f2";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#dde3da";
    ctx.lineWidth = 1;
    for (var g = 0; g <= 10; g++) {
      ctx.beginPath(); ctx.moveTo(g * canvas.width / 10, 0); ctx.lineTo(g * canvas.width / 10, canvas.height); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, g * canvas.height / 10); ctx.lineTo(canvas.width, g * canvas.height / 10); ctx.stroke();
    }
    ctx.strokeStyle = "#7fb3d5";
    ctx.lineWidth = 9;
    ctx.beginPath();
    river.forEach(function (p, i) { if (i) ctx.lineTo(x(p[1]), y(p[0])); else ctx.moveTo(x(p[1]), y(p[0])); });
    ctx.stroke();
    ctx.fillStyle = "#333";
    ctx.font = "13px sans-serif";
    places.forEach(function (p) {
      ctx.beginPath(); ctx.arc(x(p[2]), y(p[1]), 3, 0, 2 * Math.PI); ctx.fill();
      ctx.fillText(p[0], x(p[2]) + 5, y(p[1]) - 4);
    });
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!isNaN(la) && !isNaN(lo) && la <= north && la >= south && lo >= west && lo <= east) {
      ctx.fillStyle = "#c0392b";
      ctx.beginPath(); ctx.arc(x(lo), y(la), 7, 0, 2 * Math.PI); ctx.fill();
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke();
    }
  }

  canvas.addEventListener("click", function (event) {
    var rect = canvas.getBoundingClientRect();
    var px = (event.clientX - rect.left) * canvas.width / rect.width;
    var py = (event.clientY - rect.top) * canvas.height / rect.height;
    lat.value = (north - py / canvas.height * (north - south)).toFixed(6);
    lon.value = (west + px / canvas.width * (east - west)).toFixed(6);
    draw();
  });
  lat.addEventListener("change", draw);
  lon.addEventListener("change", draw);
  box.hidden = false;
  draw();
})();
