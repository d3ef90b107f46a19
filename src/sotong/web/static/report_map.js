// The report form's map and address search. Leaflet (served from /static/vendor/leaflet) draws the shipped
// district outlines, and under them the configured tile source if there is one (none by default: no request
// leaves the deployment). A click, a drag of the pin, "지도 가운데에 표시" (for the keyboard: arrows pan, +/- zoom)
// or "현재 위치 사용" sets the hidden latitude/longitude; the server names the place and suggests the 기관.
// Without this script the form still works: the address is typed, and no position is sent.
(function () {
  "use strict";

  var box = document.querySelector("[data-report-map]");
  var lat = document.getElementById("r-lat");
  var lon = document.getElementById("r-lon");
  var org = document.getElementById("r-org");
  var address = document.getElementById("r-address");
  if (!box || !lat || !lon || !window.L) return;

  var status = box.querySelector("[data-map-status]");
  var clear = box.querySelector("[data-pin-clear]");
  var tiles = box.getAttribute("data-tiles") || "";
  var placeUrl = box.getAttribute("data-place-url");
  var english = box.getAttribute("data-lang") === "en";
  box.hidden = false;

  var map = L.map(box.querySelector("[data-map-canvas]"), {
    center: [37.5665, 126.978], zoom: 11, minZoom: 10, maxZoom: 19, keyboard: true, attributionControl: !!tiles
  });
  map.attributionControl && map.attributionControl.setPrefix(false);
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
  }

  // The schematic map: district outlines and names, the river.
  fetch(box.getAttribute("data-geo"), { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      L.geoJSON(data, {
        interactive: false,
        style: function (f) {
          return f.geometry.type === "LineString"
            ? { color: "#7fb3d5", weight: 6, opacity: 0.9 }
            : { color: "#6b8f71", weight: 1, fillColor: "#eef3ea", fillOpacity: tiles ? 0.15 : 0.9 };
        },
        onEachFeature: function (f, layer) {
          if (f.geometry.type === "LineString" || !f.properties.label) return;
          var name = english ? (f.properties.name_en || f.properties.name) : f.properties.name;
          L.tooltip({ permanent: true, direction: "center", className: "wf-district-label", interactive: false })
            .setLatLng([f.properties.label[1], f.properties.label[0]]).setContent(name).addTo(map);
        }
      }).addTo(map);
    })
    .catch(function () { /* the map stays usable without outlines */ });

  var marker = null;
  // How close a found place is shown: street level on tiles; on the outlines alone, near enough to see the district.
  var near = tiles ? 17 : 14;

  function say(text) { if (status) status.textContent = text; }

  function place(latlng, label) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, keyboard: false }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    if (clear) clear.hidden = false;
    if (label) { say(label); return; }
    say(box.getAttribute("data-pinned") || "");
    fetch(placeUrl + "?lat=" + lat.value + "&lon=" + lon.value, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var text = (box.getAttribute("data-pinned") || "") + (data.place ? " " + data.place : "");
        if (data.org) text += " " + chooseOrg(data.org);
        say(text.trim());
      })
      .catch(function () { /* the position is set; naming it is a nicety */ });
  }

  // The 기관 of the place, when it is one of ours: the 분야 list follows (webform.js listens to "change").
  function chooseOrg(slug) {
    if (!org || org.value === slug) return "";
    for (var i = 0; i < org.options.length; i++) {
      if (org.options[i].value === slug) {
        org.value = slug;
        org.dispatchEvent(new Event("change"));
        return (box.getAttribute("data-moved") || "").replace("{org}", org.options[i].text);
      }
    }
    return "";
  }

  map.on("click", function (event) { place(event.latlng); });
  box.querySelector("[data-pin-centre]").addEventListener("click", function () { place(map.getCenter()); });
  if (clear) {
    clear.addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = ""; lon.value = "";
      clear.hidden = true;
      say("");
    });
  }
  var locate = box.querySelector("[data-locate]");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
        map.setView(here, near);
        place(here);
      });
    });
  } else if (locate) {
    locate.hidden = true;
  }

  // A form shown again after a refusal keeps its pin.
  if (lat.value && lon.value && !isNaN(parseFloat(lat.value)) && !isNaN(parseFloat(lon.value))) {
    var kept = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
    map.setView(kept, near);
    place(kept);
  }

  // Address search: the server asks the 도로명주소 API (the key stays on the server).
  var search = document.querySelector("[data-address-search]");
  if (!search) return;
  var query = document.getElementById("r-address-q");
  var results = search.querySelector("[data-address-results]");
  search.hidden = false;

  function show(items, message) {
    while (results.firstChild) results.removeChild(results.firstChild);
    if (message) {
      var li = document.createElement("li");
      li.className = "wf-result-message";
      li.setAttribute("role", "alert");
      li.textContent = message;
      results.appendChild(li);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "wf-result";
      var road = document.createElement("strong");
      road.textContent = item.road;
      var jibun = document.createElement("span");
      jibun.className = "hint";
      jibun.textContent = item.jibun;
      button.appendChild(road);
      button.appendChild(jibun);
      button.addEventListener("click", function () {
        if (address) address.value = item.road;
        show([]);
        var moved = item.org ? chooseOrg(item.org) : "";
        if (item.latitude !== null && item.longitude !== null) {
          var at = L.latLng(item.latitude, item.longitude);
          map.setView(at, near);
          place(at, ((box.getAttribute("data-pinned") || "") + " " + item.area + " " + moved).trim());
        } else {
          say((item.area + " " + moved).trim());
        }
        if (address) address.focus();
      });
      li.appendChild(button);
      results.appendChild(li);
    });
  }

  function go() {
    var q = query.value.trim();
    fetch(search.getAttribute("data-url") + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().catch(function () { return {}; }); })
      .then(function (data) {
        if (data.error) show([], data.error);
        else if (!data.results || !data.results.length) show([], search.getAttribute("data-none"));
        else show(data.results);
      })
      .catch(function () { show([], search.getAttribute("data-failed")); });
  }

  search.querySelector("[data-address-go]").addEventListener("click", go);
  query.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); go(); }  // not the complaint form's submit
  });
})();
