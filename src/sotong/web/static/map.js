// The case map: zoom and pan the server-drawn SVG, ask the server for finer clusters of the visible area
// (when it names a clusters URL), and, when a tile server is configured, draw its tiles under the district
// outlines. The staff case page starts zoomed around its one marker (data-view). No map library.
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var svg = document.getElementById("case-map");
  if (!svg) return;

  var originX = parseFloat(svg.getAttribute("data-origin-x"));
  var originY = parseFloat(svg.getAttribute("data-origin-y"));
  var scale = parseFloat(svg.getAttribute("data-scale"));
  var fullW = parseFloat(svg.getAttribute("data-width"));
  var fullH = parseFloat(svg.getAttribute("data-height"));
  var tiles = svg.getAttribute("data-tiles") || "";
  var clustersUrl = svg.getAttribute("data-clusters-url");
  var casesLabel = svg.getAttribute("data-cases-label") || "";
  var clusterLayer = svg.querySelector("[data-map-clusters]");
  var tileLayer = svg.querySelector("[data-map-tiles]");
  var start = (svg.getAttribute("data-view") || "").split(" ").map(parseFloat);
  var home = start.length === 4 && !start.some(isNaN)
    ? { x: start[0], y: start[1], w: start[2], h: start[3] }
    : { x: 0, y: 0, w: fullW, h: fullH };
  var view = { x: home.x, y: home.y, w: home.w, h: home.h };
  var pending = null;
  var requestId = 0;

  function toLonLat(x, y) {
    var mx = originX + x / scale;
    var my = originY + y / scale;
    var lon = mx * 360 - 180;
    var lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * my))) * 180 / Math.PI;
    return [lon, lat];
  }

  function toXY(lon, lat) {
    var mx = (lon + 180) / 360;
    var s = Math.sin(lat * Math.PI / 180);
    var my = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    return [(mx - originX) * scale, (my - originY) * scale];
  }

  function zoomFactor() { return fullW / view.w; }

  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    // District names keep their size on screen while the outlines grow.
    svg.querySelectorAll(".map-labels text").forEach(function (label) {
      label.setAttribute("font-size", 9 / Math.sqrt(zoomFactor()));
    });
    // A marker keeps its size on screen too.
    svg.querySelectorAll("[data-marker-r]").forEach(function (marker) {
      marker.setAttribute("r", parseFloat(marker.getAttribute("data-marker-r")) / zoomFactor());
    });
    drawTiles();
    clearTimeout(pending);
    pending = setTimeout(loadClusters, 250);
  }

  function drawClusters(list) {
    var z = zoomFactor();
    var biggest = 1;
    list.forEach(function (c) { if (c.count > biggest) biggest = c.count; });
    while (clusterLayer.firstChild) clusterLayer.removeChild(clusterLayer.firstChild);
    list.sort(function (a, b) { return b.count - a.count; });
    list.forEach(function (c) {
      var p = toXY(c.longitude, c.latitude);
      var g = document.createElementNS(SVG_NS, "g");
      g.setAttribute("class", "cluster");
      var circle = document.createElementNS(SVG_NS, "circle");
      circle.setAttribute("cx", p[0]);
      circle.setAttribute("cy", p[1]);
      circle.setAttribute("r", (4 + 16 * Math.sqrt(c.count / biggest)) / z);
      g.appendChild(circle);
      if (c.count > 1) {
        var text = document.createElementNS(SVG_NS, "text");
        text.setAttribute("x", p[0]);
        text.setAttribute("y", p[1]);
        text.setAttribute("dy", "0.35em");
        text.setAttribute("text-anchor", "middle");
        text.setAttribute("font-size", 10 / z);
        text.textContent = String(c.count);
        g.appendChild(text);
      }
      var title = document.createElementNS(SVG_NS, "title");
      title.textContent = c.count + " " + casesLabel;
      g.appendChild(title);
      clusterLayer.appendChild(g);
    });
  }

  function loadClusters() {
    if (!clustersUrl) return;
    var nw = toLonLat(view.x, view.y);
    var se = toLonLat(view.x + view.w, view.y + view.h);
    // About 40 cells across the visible width, never finer than the server's ~50 m public grid.
    var cell = Math.max((se[0] - nw[0]) / 40 * Math.cos(37.5 * Math.PI / 180), 0.00045);
    var bbox = [nw[0], se[1], se[0], nw[1]].map(function (v) { return v.toFixed(4); }).join(",");
    var id = ++requestId;
    fetch(clustersUrl + "&bbox=" + bbox + "&cell=" + cell.toFixed(5), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && id === requestId) drawClusters(data.clusters); })
      .catch(function () { /* keep the clusters already drawn */ });
  }

  function drawTiles() {
    if (!tiles || !tileLayer) return;
    while (tileLayer.firstChild) tileLayer.removeChild(tileLayer.firstChild);
    var pxWide = svg.getBoundingClientRect().width || fullW;
    var worldPx = scale * pxWide / view.w;
    var z = Math.max(0, Math.min(19, Math.round(Math.log(worldPx / 256) / Math.LN2)));
    var n = Math.pow(2, z);
    var x0 = Math.floor((originX + view.x / scale) * n), x1 = Math.floor((originX + (view.x + view.w) / scale) * n);
    var y0 = Math.floor((originY + view.y / scale) * n), y1 = Math.floor((originY + (view.y + view.h) / scale) * n);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > 64) return;
    for (var tx = x0; tx <= x1; tx++) {
      for (var ty = y0; ty <= y1; ty++) {
        var img = document.createElementNS(SVG_NS, "image");
        img.setAttribute("href", tiles.replace("{z}", z).replace("{x}", tx).replace("{y}", ty));
        img.setAttribute("x", (tx / n - originX) * scale);
        img.setAttribute("y", (ty / n - originY) * scale);
        img.setAttribute("width", scale / n);
        img.setAttribute("height", scale / n);
        tileLayer.appendChild(img);
      }
    }
  }

  function zoom(by, cx, cy) {
    var w = Math.min(fullW, Math.max(fullW / 64, view.w / by));
    var h = w * fullH / fullW;
    if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
    view.x = cx - (cx - view.x) * (w / view.w);
    view.y = cy - (cy - view.y) * (h / view.h);
    view.w = w;
    view.h = h;
    apply();
  }

  var tools = document.querySelector("[data-map-tools]");
  if (tools) {
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var action = event.target.getAttribute && event.target.getAttribute("data-map-zoom");
      if (action === "in") zoom(2);
      else if (action === "out") zoom(0.5);
      else if (action === "reset") { view = { x: home.x, y: home.y, w: home.w, h: home.h }; apply(); }
    });
  }

  // Clicking a cluster zooms in on it.
  var dragged = false;
  clusterLayer.addEventListener("click", function (event) {
    if (dragged) return;
    var g = event.target.closest && event.target.closest(".cluster");
    if (!g) return;
    var c = g.querySelector("circle");
    zoom(2, parseFloat(c.getAttribute("cx")), parseFloat(c.getAttribute("cy")));
  });

  // Drag to pan.
  var drag = null;
  svg.addEventListener("pointerdown", function (event) {
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false };
    dragged = false;
    svg.classList.add("dragging");
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var k = view.w / (svg.getBoundingClientRect().width || fullW);
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.x = drag.vx - dx * k;
    view.y = drag.vy - dy * k;
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
  });
  function endDrag() {
    if (drag && drag.moved) {
      dragged = true;
      apply();
    }
    drag = null;
    svg.classList.remove("dragging");
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointerleave", endDrag);

  drawTiles();
})();
