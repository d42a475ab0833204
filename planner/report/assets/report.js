/* fieldplan report script: builds the Leaflet map from the page's inline data, makes tables
 * sortable, and records in #render-status whether the map and every chart rendered and which
 * script errors occurred (read by the browser test). No network access is needed: the
 * background map (OpenStreetMap tiles) is optional and only requested when the browser is
 * online and the reader keeps it switched on. */
(function () {
  "use strict";
  var errors = window.__reportErrors || [];
  var status = { map: 0, territories: 0, routes: 0, retailers: 0, bases: 0, layers: 0 };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // delta-encoded integer lon/lat (1e-5 degrees) -> Leaflet [lat, lon] pairs (see planner/report/geo.py)
  function decode(a) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i + 1 < a.length; i += 2) { x += a[i]; y += a[i + 1]; out.push([y / 1e5, x / 1e5]); }
    return out;
  }
  function decodePolys(g) {
    return g.map(function (poly) { return poly.map(decode); });
  }

  function baseIcon(color, label) {
    var html = '<div class="base-icon" style="background:' + color + '"><span>&#8962;</span></div>';
    return L.divIcon({ className: "base-marker", html: html, iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
  }

  // the base map of D.tiles (planner/report/tiles.py): its URL templates drawn as one group; the
  // page's data is already in the tiles' datum (GCJ-02 for AMap). null when there is none.
  function tileLayer(D, T, note) {
    var spec = D.tiles || { urls: ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"], subdomains: "", maxZoom: 19,
      attribution: "\u00a9 OpenStreetMap contributors" };
    if (!spec.urls || !spec.urls.length) return null;
    var failed = false, group = L.layerGroup();
    spec.urls.forEach(function (url, k) {
      var opts = { maxZoom: spec.maxZoom || 19, crossOrigin: false };
      if (spec.subdomains) opts.subdomains = spec.subdomains;
      if (k === 0 && spec.attribution) opts.attribution = esc(spec.attribution);
      var layer = L.tileLayer(url, opts);
      layer.on("tileerror", function () {
        if (!failed) { failed = true; note.textContent = T.background_offline; note.style.display = "block"; }
      });
      group.addLayer(layer);
    });
    return group;
  }
  function backgroundSwitch(map, body, T, tiles) {
    if (!tiles) return;
    var online = navigator.onLine !== false && !/[?&#]offline\b/.test(location.href);
    checkbox(body, T.background, online, function (v) { if (v) tiles.addTo(map); else map.removeLayer(tiles); });
    if (online) tiles.addTo(map);
  }

  function panel(title) {
    var Ctl = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "map-panel");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var h = el("div", { "class": "panel-title" }, title);
        var body = el("div", { "class": "panel-body" });
        h.addEventListener("click", function () { body.style.display = body.style.display === "none" ? "" : "none"; });
        div.appendChild(h); div.appendChild(body);
        this.body = body;
        return div;
      }
    });
    return new Ctl();
  }

  function checkbox(parent, label, checked, onchange, swatch) {
    var lab = el("label", { "class": "chk" });
    var box = el("input", { type: "checkbox" });
    box.checked = !!checked;
    box.addEventListener("change", function () { onchange(box.checked); });
    lab.appendChild(box);
    if (swatch) { var s = el("span", { "class": "swatch" }); s.style.background = swatch; lab.appendChild(s); }
    lab.appendChild(document.createTextNode(" " + label));
    parent.appendChild(lab);
    return box;
  }

  function retailerPopup(D, T, i) {
    var R = D.retailers, m = D.managers[R.m[i]] || {};
    var cls = R.cls[i], cl = D.classes[cls] ? " (" + D.classes[cls] + ")" : "";
    var h = "<b>" + esc(R.id[i]) + "</b>" + (R.name[i] ? " " + esc(R.name[i]) : "");
    h += "<br>" + esc(T["class"]) + ": " + esc(cls) + esc(cl) + (R.key[i] ? " &#9733;" : "");
    h += "<br>" + esc(T.manager) + ": " + esc(m.id || "") + (m.team ? " (" + esc(m.team) + ")" : "");
    if (R.remote && R.remote[i]) {
      h += "<br>" + esc(T.remote);
    } else {
      h += "<br>" + esc(T.visits_planned_of) + ": " + R.v[i] + (R.req[i] !== null && R.req[i] !== undefined ? " " + esc(T.of_required.replace("{n}", R.req[i])) : "");
      if (R.days[i] && R.days[i].length) {
        h += "<br>" + esc(T.visit_days) + ": " + R.days[i].map(function (d) { return esc(D.dayLabels[d] || d); }).join(", ");
      }
    }
    if (R.up[i]) { h += '<br><span class="bad">' + esc(T.not_planned) + ": " + R.up[i] + " – " + esc(R.ur[i]) + "</span>"; }
    return h;
  }

  function fitTo(map, pts) {
    if (pts.length) { map.fitBounds(L.latLngBounds(pts).pad(0.03)); } else { map.setView([0, 0], 2); }
  }

  function buildPlanMap(D, T) {
    var host = document.getElementById("map");
    if (!host || typeof L === "undefined") { throw new Error("map container or Leaflet missing"); }
    var map = L.map(host, { preferCanvas: true, zoomSnap: 0.25, attributionControl: true });
    var canvas = L.canvas({ padding: 0.3 });
    var note = document.getElementById("map-note");
    var tiles = tileLayer(D, T, note);
    var bounds = [];
    var nM = D.managers.length;
    var mgrOn = D.managers.map(function () { return true; });
    var groups = { terr: [], ret: [], routes: [], bases: [], up: [] };
    var layerOn = { terr: true, ret: true, routes: true, bases: true, up: true };
    for (var k = 0; k < nM; k++) { groups.terr.push([]); groups.ret.push([]); groups.routes.push([]); groups.bases.push([]); groups.up.push([]); }

    D.territories.forEach(function (t) {
      var m = D.managers[t.m];
      var poly = L.polygon(decodePolys(t.g), { color: m.color, weight: 2, fillColor: m.color, fillOpacity: 0.16, renderer: canvas });
      poly.bindPopup(t.info);
      groups.terr[t.m].push(poly); status.territories++;
    });
    var R = D.retailers;
    for (var i = 0; i < R.id.length; i++) {
      if (R.x[i] === null || R.y[i] === null) continue;
      var mm = D.managers[R.m[i]] || { color: "#555" };
      var ll = [R.y[i] / 1e5, R.x[i] / 1e5];
      bounds.push(ll);
      var cm = L.circleMarker(ll, {
        renderer: canvas, radius: R.key[i] ? 5.5 : 3.5, color: R.key[i] ? "#111" : mm.color, weight: R.key[i] ? 1.5 : 1,
        fillColor: mm.color, fillOpacity: 0.9
      });
      cm.bindPopup((function (j) { return function () { return retailerPopup(D, T, j); }; })(i));
      if (R.m[i] >= 0) groups.ret[R.m[i]].push(cm); status.retailers++;
      if (R.up[i]) {
        var ring = L.circleMarker(ll, { renderer: canvas, radius: 8, color: "#c62828", weight: 2, fill: false });
        ring.bindPopup((function (j) { return function () { return retailerPopup(D, T, j); }; })(i));
        if (R.m[i] >= 0) groups.up[R.m[i]].push(ring);
      }
    }
    D.managers.forEach(function (m, k) {
      if (m.lon === null) return;
      var mk = L.marker([m.lat, m.lon], { icon: baseIcon(m.color), keyboard: false, zIndexOffset: 1000 });
      mk.bindPopup(m.info);
      mk.bindTooltip(m.id, { permanent: D.managers.length <= 12, direction: "right", className: "base-label", offset: [10, 0] });
      groups.bases[k].push(mk); bounds.push([m.lat, m.lon]); status.bases++;
    });
    var routesByDay = {};
    D.routes.forEach(function (r) {
      var m = D.managers[r.m];
      var line = L.polyline(decode(r.c), { renderer: canvas, color: m.color, weight: 3.5, opacity: 0.9 });
      line.bindPopup(r.info);
      line._day = r.d;
      groups.routes[r.m].push(line);
      routesByDay[r.d] = true;
    });

    var daySel = "all";
    if (D.defaultDay !== null && D.defaultDay !== undefined) daySel = String(D.defaultDay);

    function dayMatches(line) {
      if (daySel === "all") return true;
      if (daySel.charAt(0) === "w") return D.dayWeek[line._day] === parseInt(daySel.slice(1), 10);
      return line._day === parseInt(daySel, 10);
    }
    function refresh() {
      var nRoutes = 0, nLayers = 0;
      ["terr", "up", "routes", "ret", "bases"].forEach(function (g) {
        for (var k = 0; k < nM; k++) {
          groups[g][k].forEach(function (lyr) {
            var on = layerOn[g] && mgrOn[k] && (g !== "routes" || dayMatches(lyr));
            if (on && !map.hasLayer(lyr)) map.addLayer(lyr);
            if (!on && map.hasLayer(lyr)) map.removeLayer(lyr);
            if (on) { nLayers++; if (g === "routes") nRoutes++; }
          });
        }
      });
      status.routes = nRoutes; status.layers = nLayers;
    }

    var ctl = panel(T.layers);
    ctl.addTo(map);
    var body = ctl.body;
    checkbox(body, T.territories, true, function (v) { layerOn.terr = v; refresh(); });
    checkbox(body, T.retailers_layer, true, function (v) { layerOn.ret = v; refresh(); });
    checkbox(body, T.routes_layer, true, function (v) { layerOn.routes = v; refresh(); });
    checkbox(body, T.bases, true, function (v) { layerOn.bases = v; refresh(); });
    checkbox(body, T.not_planned_layer, true, function (v) { layerOn.up = v; refresh(); });
    vacuumLayers(D, T, map, canvas, body);
    backgroundSwitch(map, body, T, tiles);
    var dayRow = el("div", { "class": "panel-row" });
    dayRow.appendChild(el("span", null, T.day + " "));
    var sel = el("select", { id: "day-select" });
    sel.appendChild(el("option", { value: "all" }, T.all_days));
    var weeks = {};
    D.days.forEach(function (d) { weeks[d.w] = true; });
    Object.keys(weeks).sort(function (a, b) { return a - b; }).forEach(function (w) {
      sel.appendChild(el("option", { value: "w" + w }, T.week_n.replace("{n}", w)));
    });
    D.days.forEach(function (d) {
      var o = el("option", { value: String(d.i) }, d.label + (routesByDay[d.i] ? "" : " –"));
      sel.appendChild(o);
    });
    sel.value = daySel;
    sel.addEventListener("change", function () { daySel = sel.value; refresh(); });
    dayRow.appendChild(sel);
    body.appendChild(dayRow);
    var mh = el("div", { "class": "panel-sub" }, T.managers_layer + " ");
    var aAll = el("a", { href: "#" }, T.all), aNone = el("a", { href: "#" }, T.none);
    mh.appendChild(aAll); mh.appendChild(document.createTextNode(" · ")); mh.appendChild(aNone);
    body.appendChild(mh);
    var list = el("div", { "class": "mgr-list" });
    body.appendChild(list);
    var boxes = D.managers.map(function (m, k) {
      return checkbox(list, m.label, true, function (v) { mgrOn[k] = v; refresh(); }, m.color);
    });
    function setAll(v) { return function (e) { e.preventDefault(); boxes.forEach(function (b, k) { b.checked = v; mgrOn[k] = v; }); refresh(); }; }
    aAll.addEventListener("click", setAll(true)); aNone.addEventListener("click", setAll(false));

    var Legend = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var d = L.DomUtil.create("div", "map-legend");
        d.innerHTML = '<span class="lg-dot key"></span> ' + esc(T.key_customer) + ' &nbsp; <span class="lg-dot"></span> ' + esc(T.other_customer) +
          ' &nbsp; <span class="lg-ring"></span> ' + esc(T.not_planned_layer) + ' &nbsp; <span class="lg-base">&#8962;</span> ' + esc(T.base);
        return d;
      }
    });
    new Legend().addTo(map);
    refresh();
    fitTo(map, bounds);
    status.map = 1;
    return map;
  }

  // the service vacuum (kpis.json -> service_vacuum, planner/report/vacuum.py): retailers whose
  // administrative base is far, ringed (dashed when this plan serves them from a near base), and
  // the retailers of market areas split by districts, coloured by district; hidden at first
  // (shown at once when the page's address has #vacuum)
  function vacuumLayers(D, T, map, canvas, body) {
    var V = D.vacuum, R = D.retailers;
    if (!V) return;
    var show = /[?&#]vacuum\b/.test(location.href);
    var vac = L.layerGroup(), split = L.layerGroup();
    status.vacuum = 0; status.split = 0;
    function at(i) { return R.x[i] === null || R.y[i] === null ? null : [R.y[i] / 1e5, R.x[i] / 1e5]; }
    V.splits.forEach(function (s) {
      s.i.forEach(function (i, k) {
        var ll = at(i);
        if (!ll) return;
        var c = L.circleMarker(ll, { renderer: canvas, radius: 7, color: s.d[k], weight: 3, fill: false });
        c.bindPopup(s.info); c.addTo(split); status.split++;
      });
    });
    V.vacuum.forEach(function (v) {
      var ll = at(v.i);
      if (!ll) return;
      var c = L.circleMarker(ll, { renderer: canvas, radius: 9, color: v.ok ? "#6a1b9a" : "#d81b60", weight: 3,
        dashArray: v.ok ? "4,3" : null, fill: false });
      c.bindPopup(v.info); c.addTo(vac); status.vacuum++;
    });
    function toggle(g) { return function (on) { if (on) map.addLayer(g); else map.removeLayer(g); }; }
    if (V.vacuum.length) checkbox(body, T.vacuum_layer + " (" + V.vacuum.length + ")", show, toggle(vac), "#d81b60");
    if (V.splits.length) checkbox(body, T.split_layer + " (" + V.splits.length + ")", show, toggle(split), V.districts.length ? V.districts[0][1] : "#4e79a7");
    if (show) { map.addLayer(split); map.addLayer(vac); }
  }

  function buildCompareMap(D, T) {
    var host = document.getElementById("map");
    if (!host || typeof L === "undefined") { throw new Error("map container or Leaflet missing"); }
    var map = L.map(host, { preferCanvas: true, zoomSnap: 0.25 });
    var canvas = L.canvas({ padding: 0.3 });
    var note = document.getElementById("map-note");
    var tiles = tileLayer(D, T, note);
    var R = D.retailers, P = D.plans, ref = 0, other = P.length > 1 ? 1 : 0;
    var layers = { refTerr: L.layerGroup(), terr: L.layerGroup(), moved: L.layerGroup(), same: L.layerGroup(), bases: L.layerGroup() };
    var on = { refTerr: true, terr: true, moved: true, same: true, bases: true };
    var bounds = [];
    for (var i = 0; i < R.id.length; i++) { if (R.x[i] !== null) bounds.push([R.y[i] / 1e5, R.x[i] / 1e5]); }

    function mgr(k) { return k >= 0 ? D.managers[k] : null; }
    function popup(i) {
      var a = mgr(R.a[ref][i]), b = mgr(R.a[other][i]);
      var cls = R.cls[i], cl = D.classes[cls] ? " (" + D.classes[cls] + ")" : "";
      return "<b>" + esc(R.id[i]) + "</b>" + (R.name[i] ? " " + esc(R.name[i]) : "") +
        "<br>" + esc(T["class"]) + ": " + esc(cls) + esc(cl) +
        "<br>" + esc(P[ref].label) + ": " + esc(a ? a.id : T.not_in_plan) +
        "<br>" + esc(P[other].label) + ": " + esc(b ? b.id : T.not_in_plan);
    }
    function draw() {
      Object.keys(layers).forEach(function (k) { layers[k].clearLayers(); });
      status.territories = 0; status.retailers = 0; status.bases = 0;
      P[ref].territories.forEach(function (t) {
        L.polygon(decodePolys(t.g), { renderer: canvas, color: "#333", weight: 2, dashArray: "6,5", fill: false, interactive: false }).addTo(layers.refTerr);
        status.territories++;
      });
      if (other !== ref) {
        P[other].territories.forEach(function (t) {
          var m = D.managers[t.m];
          var p = L.polygon(decodePolys(t.g), { renderer: canvas, color: m.color, weight: 1.5, fillColor: m.color, fillOpacity: 0.14 });
          p.bindPopup(esc(P[other].label) + ": " + esc(m.id));
          p.addTo(layers.terr); status.territories++;
        });
      }
      var nMoved = 0;
      for (var i = 0; i < R.id.length; i++) {
        if (R.x[i] === null) continue;
        var ll = [R.y[i] / 1e5, R.x[i] / 1e5], a = R.a[ref][i], b = R.a[other][i];
        if (a !== b) {
          var to = mgr(b), from = mgr(a);
          var cm = L.circleMarker(ll, { renderer: canvas, radius: 6, color: from ? from.color : "#000", weight: 3,
            fillColor: to ? to.color : "#fff", fillOpacity: 1 });
          cm.bindPopup((function (j) { return function () { return popup(j); }; })(i));
          cm.addTo(layers.moved); nMoved++;
        } else {
          var c = L.circleMarker(ll, { renderer: canvas, radius: 2.5, color: "#777", weight: 0, fillColor: "#777", fillOpacity: 0.55 });
          c.bindPopup((function (j) { return function () { return popup(j); }; })(i));
          c.addTo(layers.same);
        }
        status.retailers++;
      }
      var seen = {};
      [ref, other].forEach(function (p, n) {
        P[p].bases.forEach(function (b) {
          if (n === 1 && p === ref) return;
          var key = b.m + ":" + b.lat + ":" + b.lon;
          if (seen[key]) return;
          seen[key] = true;
          var m = D.managers[b.m];
          var mk = L.marker([b.lat, b.lon], { icon: baseIcon(m.color), keyboard: false });
          mk.bindTooltip(m.id, { permanent: D.managers.length <= 12, direction: "right", className: "base-label", offset: [10, 0] });
          mk.addTo(layers.bases); status.bases++; bounds.push([b.lat, b.lon]);
        });
      });
      status.moved = nMoved;
      var cnt = document.getElementById("moved-count");
      if (cnt) cnt.textContent = String(nMoved);
    }
    function refresh() {
      var n = 0;
      Object.keys(layers).forEach(function (k) {
        if (on[k] && !map.hasLayer(layers[k])) map.addLayer(layers[k]);
        if (!on[k] && map.hasLayer(layers[k])) map.removeLayer(layers[k]);
        if (on[k]) n += layers[k].getLayers().length;
      });
      status.layers = n;
    }
    var ctl = panel(T.layers);
    ctl.addTo(map);
    var body = ctl.body;
    if (P.length > 2) {
      var row = el("div", { "class": "panel-row" });
      row.appendChild(el("span", null, T.compare_with + " "));
      var sel = el("select", { id: "plan-select" });
      P.forEach(function (p, k) { if (k !== ref) sel.appendChild(el("option", { value: String(k) }, p.label)); });
      sel.value = String(other);
      sel.addEventListener("change", function () { other = parseInt(sel.value, 10); draw(); refresh(); });
      row.appendChild(sel); body.appendChild(row);
    }
    checkbox(body, T.moved, true, function (v) { on.moved = v; refresh(); });
    checkbox(body, T.unchanged_retailers, true, function (v) { on.same = v; refresh(); });
    checkbox(body, T.ref_territories, true, function (v) { on.refTerr = v; refresh(); });
    checkbox(body, T.other_territories, true, function (v) { on.terr = v; refresh(); });
    checkbox(body, T.bases, true, function (v) { on.bases = v; refresh(); });
    backgroundSwitch(map, body, T, tiles);
    var lg = el("div", { "class": "mgr-list" });
    D.managers.forEach(function (m) {
      var row = el("div", { "class": "chk" }); var s = el("span", { "class": "swatch" }); s.style.background = m.color;
      row.appendChild(s); row.appendChild(document.createTextNode(" " + m.label)); lg.appendChild(row);
    });
    body.appendChild(lg);
    draw();
    refresh();
    fitTo(map, bounds);
    status.map = 1;
    return map;
  }

  function sortable() {
    var tables = document.querySelectorAll("table.sortable");
    Array.prototype.forEach.call(tables, function (table) {
      var ths = table.querySelectorAll("thead th");
      Array.prototype.forEach.call(ths, function (th, col) {
        th.addEventListener("click", function () {
          var tbody = table.tBodies[0];
          var rows = Array.prototype.slice.call(tbody.rows);
          var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
          Array.prototype.forEach.call(ths, function (h) { h.removeAttribute("data-dir"); });
          th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
          rows.sort(function (a, b) {
            var ca = a.cells[col], cb = b.cells[col];
            var va = ca ? ca.getAttribute("data-v") : null, vb = cb ? cb.getAttribute("data-v") : null;
            if (va !== null && vb !== null && va !== "" && vb !== "" && !isNaN(+va) && !isNaN(+vb)) return dir * (+va - +vb);
            var ta = ca ? ca.textContent : "", tb = cb ? cb.textContent : "";
            return dir * ta.localeCompare(tb, undefined, { numeric: true });
          });
          rows.forEach(function (r) { tbody.appendChild(r); });
        });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("button.show-more"), function (b) {
      b.addEventListener("click", function () {
        var t = document.getElementById(b.getAttribute("data-table"));
        Array.prototype.forEach.call(t.querySelectorAll("tr.more"), function (r) { r.classList.remove("more"); });
        b.style.display = "none";
      });
    });
  }

  function checkCharts() {
    var svgs = document.querySelectorAll("svg.chart"), ok = 0, names = [];
    Array.prototype.forEach.call(svgs, function (s) {
      var r = s.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && s.querySelectorAll("[data-value]").length > 0) { ok++; names.push(s.getAttribute("data-chart")); }
    });
    return { total: svgs.length, ok: ok, names: names };
  }

  function writeStatus(charts) {
    var s = document.getElementById("render-status");
    if (!s) { s = el("div", { id: "render-status" }); document.body.appendChild(s); }
    var expected = parseInt(s.getAttribute("data-charts-expected") || "0", 10);
    var ok = errors.length === 0 && status.map === 1 && charts.ok === charts.total && charts.total === expected;
    s.setAttribute("data-ok", ok ? "1" : "0");
    s.setAttribute("data-map", String(status.map));
    s.setAttribute("data-territories", String(status.territories));
    s.setAttribute("data-retailers", String(status.retailers));
    s.setAttribute("data-routes", String(status.routes));
    s.setAttribute("data-bases", String(status.bases));
    s.setAttribute("data-layers", String(status.layers));
    if (status.moved !== undefined) s.setAttribute("data-moved", String(status.moved));
    if (status.vacuum !== undefined) { s.setAttribute("data-vacuum", String(status.vacuum)); s.setAttribute("data-split", String(status.split)); }
    s.setAttribute("data-charts", String(charts.ok));
    s.setAttribute("data-chart-names", charts.names.join(","));
    s.setAttribute("data-errors", errors.join(" | "));
    if (window.performance && performance.now) s.setAttribute("data-render-ms", String(Math.round(performance.now())));
    s.textContent = ok ? "rendered" : "problems: " + errors.join(" | ");
  }

  function main() {
    var D = null, T = {};
    try {
      D = JSON.parse(document.getElementById("report-data").textContent);
      T = D.labels || {};
      var map = null;
      if (D.kind === "assessment") status.map = 1;  // planner assess: a page without a map
      else map = D.kind === "compare" ? buildCompareMap(D, T) : buildPlanMap(D, T);
      window.fieldplanReport = { map: map, status: status };  // for readers' own scripts and tests
    } catch (e) {
      errors.push("map: " + (e && e.message ? e.message : String(e)));
    }
    try { sortable(); } catch (e) { errors.push("tables: " + e.message); }
    var charts = { total: 0, ok: 0, names: [] };
    try { charts = checkCharts(); } catch (e) { errors.push("charts: " + e.message); }
    writeStatus(charts);
    window.addEventListener("error", function () { writeStatus(checkCharts()); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main); else main();
})();
