/* fieldplan route sheet script: one small Leaflet map per day from the page's inline data
 * (stops numbered in sequence, the manager's base, the day's route along the roads). The sheet
 * itself (times, shops, phone numbers, navigation links) is plain HTML and needs no script.
 * Coordinates are already in the base map's datum (GCJ-02 for AMap tiles). The background tiles
 * are only requested when the browser is online. #render-status records what was drawn and the
 * page's width (read by the browser tests). */
(function () {
  "use strict";
  var errors = window.__sheetErrors || [];
  var status = { maps: 0, stops: 0, routes: 0 };
  var maps = [], leaflets = [];

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function decode(a) {  // delta-encoded 1e-5 degree integers -> [lat, lon] (planner/report/geo.py)
    var out = [], x = 0, y = 0;
    for (var i = 0; i + 1 < a.length; i += 2) { x += a[i]; y += a[i + 1]; out.push([y / 1e5, x / 1e5]); }
    return out;
  }
  function tiles(spec) {
    if (!spec || !spec.urls || !spec.urls.length) return null;
    var online = navigator.onLine !== false && !/[?&#]offline\b/.test(location.href);
    if (!online) return null;
    var g = L.layerGroup();
    spec.urls.forEach(function (url, k) {
      var o = { maxZoom: spec.maxZoom || 19 };
      if (spec.subdomains) o.subdomains = spec.subdomains;
      if (k === 0 && spec.attribution) o.attribution = esc(spec.attribution);
      g.addLayer(L.tileLayer(url, o));
    });
    return g;
  }

  function dayMap(D, day) {
    var host = document.getElementById("map-" + day.i);
    if (!host) return;
    var map = L.map(host, { zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: true, zoomControl: false });
    L.control.zoom({ position: "topright" }).addTo(map);
    var t = tiles(D.tiles);
    if (t) t.addTo(map);
    var pts = [];
    if (day.route && day.route.length) {
      var line = decode(day.route);
      L.polyline(line, { color: "#0b5cad", weight: 4, opacity: 0.85 }).addTo(map);
      line.forEach(function (p) { pts.push(p); });
      status.routes++;
    }
    if (D.base) {
      var b = [D.base[1], D.base[0]];
      L.marker(b, { icon: L.divIcon({ className: "", html: '<div class="base-icon">&#8962;</div>', iconSize: [20, 20], iconAnchor: [10, 10] }),
        keyboard: false }).addTo(map);
      pts.push(b);
    }
    day.stops.forEach(function (s) {
      if (s.x === null || s.y === null) return;
      var ll = [s.y, s.x];
      var icon = L.divIcon({ className: "", html: '<div class="stop-icon' + (s.key ? " key" : "") + '">' + s.seq + "</div>",
        iconSize: [22, 22], iconAnchor: [11, 11] });
      L.marker(ll, { icon: icon, keyboard: false, title: s.seq + " " + s.name }).addTo(map)
        .bindPopup("<b>" + s.seq + ". " + esc(s.name || s.id) + "</b><br>" + esc(s.arrival.slice(0, 5)) + " · " + esc(s.id));
      pts.push(ll);
      status.stops++;
    });
    var fit = function () {
      map.invalidateSize(false);
      if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.15), { maxZoom: 17, animate: false });
      else map.setView([0, 0], 2);
    };
    fit();
    maps.push(fit);
    leaflets.push(map);
    status.maps++;
  }

  function writeStatus() {
    var s = document.getElementById("render-status");
    if (!s) return;
    var expected = parseInt(s.getAttribute("data-maps-expected") || "0", 10);
    var ok = errors.length === 0 && status.maps === expected;
    s.setAttribute("data-ok", ok ? "1" : "0");
    s.setAttribute("data-maps", String(status.maps));
    s.setAttribute("data-stops", String(status.stops));
    s.setAttribute("data-routes", String(status.routes));
    s.setAttribute("data-errors", errors.join(" | "));
    s.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth));
    s.setAttribute("data-client-width", String(document.documentElement.clientWidth));
    s.textContent = ok ? "rendered" : "problems: " + errors.join(" | ");
    if (window.parent && window.parent !== window) {  // shown in a frame (e.g. a phone-sized test frame)
      var attrs = {};
      Array.prototype.forEach.call(s.attributes, function (a) { attrs[a.name] = a.value; });
      try { window.parent.postMessage({ fieldplanSheet: attrs }, "*"); } catch (e) { /* no parent to tell */ }
    }
  }

  function main() {
    try {
      var D = JSON.parse(document.getElementById("sheet-data").textContent);
      if (typeof L === "undefined") throw new Error("Leaflet missing");
      D.days.forEach(function (day) {
        try { dayMap(D, day); } catch (e) { errors.push("map " + day.date + ": " + e.message); }
      });
      window.fieldplanSheet = { data: D, status: status, maps: leaflets };  // for readers' scripts and tests
    } catch (e) {
      errors.push("sheet: " + (e && e.message ? e.message : String(e)));
    }
    writeStatus();
    // printing lays the page out again (A4): redraw the maps at their printed size
    var redraw = function () { maps.forEach(function (f) { f(); }); };
    window.addEventListener("beforeprint", redraw);
    if (window.matchMedia) {
      var mq = window.matchMedia("print");
      if (mq.addEventListener) mq.addEventListener("change", redraw);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main); else main();
})();
