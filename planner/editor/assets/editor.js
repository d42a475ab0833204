/* planner edit: the plan editor page (fieldplan, MIT).
 * Retailers are drawn on one canvas layer (fine at 30 000 points); selection by click, box, lasso
 * (leaflet-lasso) or whole blocks (market areas, districts); edits go to the JSON API, and the
 * figures are estimated here at once, then replaced by the server's. window.editor is the hook
 * tests and scripts use. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var statusEl = $("status");
  var E = window.editor = { ready: false, errors: [], selected: new Set(), pending: 0, mode: "click" };
  window.addEventListener("error", function (e) { E.errors.push(String(e.message)); flagStatus(); });

  var token = new URLSearchParams(location.search).get("token");
  function api(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-Editor-Token"] = token;
    E.pending += 1; flagStatus();
    return fetch(path, { method: method, headers: headers, credentials: "same-origin",
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var err = new Error(j.detail || (r.status + " " + r.statusText)); err.status = r.status; throw err; }
          return j;
        });
      })
      .finally(function () { E.pending -= 1; flagStatus(); });
  }
  function flagStatus() {
    statusEl.dataset.ready = E.ready ? "1" : "0";
    statusEl.dataset.pending = String(E.pending);
    statusEl.dataset.selected = String(E.selected.size);
    statusEl.dataset.version = String(E.version || 0);
    statusEl.dataset.edits = String(E.edits || 0);
    statusEl.dataset.errors = E.errors.join(" | ");
  }
  function say(text, kind) { var m = $("message"); m.textContent = text; m.className = kind || ""; }
  function fmt(v, d) { return v === null || v === undefined || isNaN(v) ? "–" : Number(v).toFixed(d === undefined ? 1 : d); }
  function pct(v, d) { return v === null || v === undefined ? "–" : (100 * v).toFixed(d === undefined ? 1 : d) + " %"; }
  function signed(v, d, unit) {
    if (v === null || v === undefined || Math.abs(v) < 1e-9) return "";
    var s = (v > 0 ? "+" : "") + Number(v).toFixed(d) + (unit || "");
    return '<span class="' + (v > 0 ? "chg-pos" : "chg-neg") + '">' + s + "</span>";
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }

  // ---- data ----------------------------------------------------------------------------------
  var D = {};  // n, ids, lon, lat, owner (Int32, index into managers), locked, fixed, w, visits, key, market, district
  var managers = [], mindex = {}, colours = [];
  function colourOf(k) {
    var h = (k * 137.508 + 200) % 360;
    return "hsl(" + h.toFixed(0) + "," + (k % 2 ? 62 : 72) + "%," + (k % 3 === 0 ? 42 : 50) + "%)";
  }
  function setManagers(list) {
    managers = list; mindex = {}; colours = [];
    list.forEach(function (m, k) { mindex[m.manager_id] = k; colours.push(colourOf(k)); });
    ["target", "swap-a", "swap-b", "vacant-m", "route-m"].forEach(function (id) {
      var el = $(id), keep = el.value;
      el.innerHTML = (id === "route-m" ? '<option value="">none</option>' : "") + list.map(function (m) {
        return '<option value="' + esc(m.manager_id) + '">' + esc(m.manager_id) + (m.vacant ? " (vacant)" : "") + "</option>";
      }).join("");
      if (keep && mindex[keep] !== undefined) el.value = keep;
    });
    if ($("swap-b").selectedIndex === $("swap-a").selectedIndex && list.length > 1) $("swap-b").selectedIndex = 1;
    drawBases();
  }
  function load() {
    return api("GET", "api/plan").then(function (p) {
      var r = p.retailers, n = r.length;
      D = { n: n, ids: new Array(n), lon: new Float64Array(n), lat: new Float64Array(n), owner: new Int32Array(n),
            locked: new Uint8Array(n), fixed: new Uint8Array(n), w: new Float64Array(n), visits: new Float64Array(n),
            key: new Uint8Array(n), market: new Array(n), district: new Array(n), cls: new Array(n), byId: {} };
      setManagers(p.managers);
      for (var i = 0; i < n; i++) {
        var x = r[i];
        D.ids[i] = x.retailer_id; D.byId[x.retailer_id] = i; D.lon[i] = x.lon; D.lat[i] = x.lat;
        D.owner[i] = mindex[x.manager_id]; D.locked[i] = x.locked ? 1 : 0; D.fixed[i] = x.fixed ? 1 : 0;
        D.w[i] = x.workload_s; D.visits[i] = x.visits; D.key[i] = x.key ? 1 : 0;
        D.market[i] = x.market; D.district[i] = x.district; D.cls[i] = x["class"];
      }
      D.hasMarket = D.market.some(function (v) { return v; });
      D.hasDistrict = D.district.some(function (v) { return v; });
      $("plan-id").textContent = p.plan.id; $("scenario").textContent = p.plan.scenario;
      document.title = "planner edit: " + p.plan.id;
      projectAll();
      if (!E.fitted) { map.fitBounds(bounds(), { padding: [20, 20] }); E.fitted = true; E.fitZoom = map.getZoom(); showBlockMode(); }
      applyStatus(p); showFigures(p.figures, false);
      if (p.recovered) {
        $("banner-text").textContent = p.recovered.edits + " unsaved edits from " + (p.recovered.time || "an earlier session") +
          " were restored.";
        $("banner").hidden = false;
      }
      layer.redraw(); refreshTerritories();
      E.ready = true; flagStatus();
    });
  }
  function bounds() {
    var b = L.latLngBounds([]);
    for (var i = 0; i < D.n; i++) b.extend([D.lat[i], D.lon[i]]);
    managers.forEach(function (m) { b.extend([m.lat, m.lon]); });
    return b;
  }

  // ---- the map and the retailer canvas ---------------------------------------------------------
  var map = L.map("map", { preferCanvas: true, zoomAnimation: false, boxZoom: false, attributionControl: false });
  E.map = map;
  var px0, py0;  // projected coordinates at zoom 0
  var sx = new Float32Array(0), sy = new Float32Array(0);  // container coordinates of the last draw
  function projectAll() {
    px0 = new Float64Array(D.n); py0 = new Float64Array(D.n);
    for (var i = 0; i < D.n; i++) { var p = map.options.crs.latLngToPoint(L.latLng(D.lat[i], D.lon[i]), 0); px0[i] = p.x; py0[i] = p.y; }
  }
  var PointsLayer = L.Layer.extend({
    onAdd: function (m) {
      this._canvas = L.DomUtil.create("canvas", "points-layer");
      m.getPanes().overlayPane.appendChild(this._canvas);
      m.on("moveend zoomend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove: function (m) { L.DomUtil.remove(this._canvas); m.off("moveend zoomend resize viewreset", this.redraw, this); },
    redraw: function () {
      if (!this._map || !px0) return;
      var m = this._map, size = m.getSize(), c = this._canvas, ratio = window.devicePixelRatio || 1;
      var origin = m.containerPointToLayerPoint([0, 0]), po = m.getPixelOrigin(), scale = Math.pow(2, m.getZoom());
      L.DomUtil.setPosition(c, origin);
      c.width = size.x * ratio; c.height = size.y * ratio; c.style.width = size.x + "px"; c.style.height = size.y + "px";
      var g = c.getContext("2d"); g.setTransform(ratio, 0, 0, ratio, 0, 0); g.clearRect(0, 0, size.x, size.y);
      var n = D.n, ox = po.x + origin.x, oy = po.y + origin.y;
      if (sx.length !== n) { sx = new Float32Array(n); sy = new Float32Array(n); }
      var z = m.getZoom(), rad = z >= 16 ? 5 : z >= 14 ? 4 : z >= 12 ? 3 : 2;
      var byOwner = managers.map(function () { return []; });
      for (var i = 0; i < n; i++) {
        var x = px0[i] * scale - ox, y = py0[i] * scale - oy;
        sx[i] = x; sy[i] = y;
        if (x < -rad || y < -rad || x > size.x + rad || y > size.y + rad) continue;
        (byOwner[D.owner[i]] || (byOwner[D.owner[i]] = [])).push(i);
      }
      var arcs = rad >= 3;
      byOwner.forEach(function (list, k) {
        if (!list || !list.length) return;
        g.fillStyle = colours[k] || "#888"; g.beginPath();
        for (var j = 0; j < list.length; j++) {
          var q = list[j];
          if (arcs) { g.moveTo(sx[q] + rad, sy[q]); g.arc(sx[q], sy[q], rad, 0, 6.2832); } else g.rect(sx[q] - rad, sy[q] - rad, 2 * rad, 2 * rad);
        }
        g.fill();
      });
      g.lineWidth = 1.5; g.strokeStyle = "#111"; g.beginPath();
      for (var a = 0; a < n; a++) if (D.locked[a]) { g.moveTo(sx[a] + rad + 1.5, sy[a]); g.arc(sx[a], sy[a], rad + 1.5, 0, 6.2832); }
      g.stroke();
      if (E.selected.size) {
        g.lineWidth = 2.5; g.strokeStyle = "#ffd400"; g.beginPath();
        E.selected.forEach(function (s) { g.moveTo(sx[s] + rad + 3, sy[s]); g.arc(sx[s], sy[s], rad + 3, 0, 6.2832); });
        g.stroke();
      }
      this.drawn = (this.drawn || 0) + 1;
    }
  });
  var layer = new PointsLayer().addTo(map);
  E.layer = layer;
  var baseLayer = L.layerGroup().addTo(map), terrLayer = L.layerGroup(), routeLayer = L.layerGroup().addTo(map);
  function drawBases() {
    baseLayer.clearLayers();
    managers.forEach(function (m, k) {
      L.circleMarker([m.lat, m.lon], { radius: 7, color: "#000", weight: 2, fillColor: colours[k], fillOpacity: 1 })
        .bindTooltip(m.manager_id + (m.vacant ? " (vacant position)" : "") + " — base").addTo(baseLayer);
    });
  }

  // ---- selection ---------------------------------------------------------------------------
  // auto: whole blocks when zoomed out beyond the overview of the plan (and at the overview of a
  // large plan, where single retailers are too small to aim at)
  function blockMode() {
    var v = $("block").value;
    if (v !== "auto") return v;
    var overview = E.fitZoom === undefined ? map.getZoom() : E.fitZoom;
    if (map.getZoom() >= overview + (D.n > 5000 ? 1 : 0)) return "retailer";
    return D.hasMarket ? "market" : D.hasDistrict ? "district" : "retailer";
  }
  function showBlockMode() { $("block-now").textContent = $("block").value === "auto" ? "(" + blockMode() + ")" : ""; }
  map.on("zoomend", showBlockMode);
  $("block").addEventListener("change", showBlockMode);
  function expand(list) {
    var mode = blockMode();
    if (mode === "retailer") return list;
    var col = mode === "market" ? D.market : D.district, want = new Set();
    list.forEach(function (i) { if (col[i]) want.add(col[i]); });
    var out = list.filter(function (i) { return !col[i]; });
    for (var i = 0; i < D.n; i++) if (col[i] && want.has(col[i])) out.push(i);
    return out;
  }
  function select(list, add) {
    if (!add && !$("add-mode").checked) E.selected.clear();
    expand(list).forEach(function (i) { E.selected.add(i); });
    $("selected-count").textContent = E.selected.size + " selected";
    layer.redraw(); flagStatus();
  }
  E.select = function (ids, add) { select(ids.map(function (x) { return D.byId[x]; }).filter(function (i) { return i !== undefined; }), add); };
  E.ownerOf = function (id) { var i = D.byId[id]; return i === undefined ? null : managers[D.owner[i]].manager_id; };
  E.managerIds = function () { return managers.map(function (m) { return m.manager_id; }); };
  E.selectedIds = function () { return Array.from(E.selected).map(function (i) { return D.ids[i]; }); };
  $("clear-selection").addEventListener("click", function () { E.selected.clear(); select([], false); });
  function nearest(x, y, within) {
    var best = -1, bd = within * within;
    for (var i = 0; i < D.n; i++) { var dx = sx[i] - x, dy = sy[i] - y, d = dx * dx + dy * dy; if (d <= bd) { bd = d; best = i; } }
    return best;
  }
  var tip = L.tooltip({ direction: "top", offset: [0, -6] });
  map.on("click", function (e) {
    if (E.mode !== "click") return;
    var p = e.containerPoint, i = nearest(p.x, p.y, 8);
    if (i < 0) { if (!e.originalEvent.shiftKey) select([], false); return; }
    select([i], e.originalEvent.shiftKey);
    var m = managers[D.owner[i]];
    tip.setLatLng([D.lat[i], D.lon[i]]).setContent(esc(D.ids[i]) + " · class " + esc(D.cls[i]) + " · " + esc(m ? m.manager_id : "?") +
      (D.locked[i] ? " · locked" : "") + (D.market[i] ? " · market " + esc(D.market[i]) : "")).addTo(map);
  });
  function inPolygon(x, y, poly) {
    var inside = false;
    for (var a = 0, b = poly.length - 1; a < poly.length; b = a++) {
      var xa = poly[a].x, ya = poly[a].y, xb = poly[b].x, yb = poly[b].y;
      if (((ya > y) !== (yb > y)) && (x < (xb - xa) * (y - ya) / (yb - ya) + xa)) inside = !inside;
    }
    return inside;
  }
  var lasso = L.lasso(map, { intersect: false });
  map.on("lasso.finished", function (e) {
    var poly = e.latLngs.map(function (ll) { return map.latLngToContainerPoint(ll); });
    var minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
    poly.forEach(function (p) { minx = Math.min(minx, p.x); miny = Math.min(miny, p.y); maxx = Math.max(maxx, p.x); maxy = Math.max(maxy, p.y); });
    var got = [];
    for (var i = 0; i < D.n; i++) {
      if (sx[i] < minx || sx[i] > maxx || sy[i] < miny || sy[i] > maxy) continue;
      if (inPolygon(sx[i], sy[i], poly)) got.push(i);
    }
    select(got, e.originalEvent && e.originalEvent.shiftKey);
    if (E.mode === "lasso") setTimeout(function () { lasso.enable(); }, 0);
  });
  var boxStart = null, boxEl = $("box");
  map.getContainer().addEventListener("mousedown", function (e) {
    if (E.mode !== "box" || e.button !== 0) return;
    var r = map.getContainer().getBoundingClientRect();
    boxStart = { x: e.clientX - r.left, y: e.clientY - r.top, shift: e.shiftKey };
    e.preventDefault(); e.stopPropagation();
  }, true);
  document.addEventListener("mousemove", function (e) {
    if (!boxStart) return;
    var r = map.getContainer().getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    boxEl.hidden = false;
    boxEl.style.left = Math.min(x, boxStart.x) + "px"; boxEl.style.top = Math.min(y, boxStart.y) + "px";
    boxEl.style.width = Math.abs(x - boxStart.x) + "px"; boxEl.style.height = Math.abs(y - boxStart.y) + "px";
  });
  document.addEventListener("mouseup", function (e) {
    if (!boxStart) return;
    var r = map.getContainer().getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    var x0 = Math.min(x, boxStart.x), x1 = Math.max(x, boxStart.x), y0 = Math.min(y, boxStart.y), y1 = Math.max(y, boxStart.y);
    var got = [];
    for (var i = 0; i < D.n; i++) if (sx[i] >= x0 && sx[i] <= x1 && sy[i] >= y0 && sy[i] <= y1) got.push(i);
    boxEl.hidden = true; var add = boxStart.shift; boxStart = null;
    select(got, add);
  });
  function setMode(mode) {
    E.mode = mode;
    document.querySelectorAll("button.mode").forEach(function (b) { b.classList.toggle("active", b.dataset.mode === mode); });
    if (mode === "lasso") lasso.enable(); else if (lasso.enabled()) lasso.disable();
    if (mode === "box") map.dragging.disable(); else if (mode === "click") map.dragging.enable();
  }
  E.setMode = setMode;
  document.querySelectorAll("button.mode").forEach(function (b) { b.addEventListener("click", function () { setMode(b.dataset.mode); }); });

  // ---- figures -----------------------------------------------------------------------------
  var last = null;  // the server's last figures
  var PLAN_ROWS = [["imbalance", "Imbalance (estimated workload)", pct], ["outside_tolerance", "Managers outside the tolerance", fmt0],
    ["mean_workload_hours", "Mean workload (h)", fmt], ["compactness_min", "Compactness (min)", fmt2],
    ["service_radius_p95_min", "Service radius p95 (min)", fmt2], ["non_contiguous_territories", "Territories in several parts", fmt0],
    ["markets_split", "Market areas cut", fmt0], ["beyond_radius", "Retailers beyond max radius", fmt0],
    ["locked", "Locked retailers", fmt0], ["locks_broken", "Locks broken", fmt0], ["retailers", "Retailers", fmt0],
    ["key_customers", "Key customers", fmt0], ["visits_required", "Visits required", fmt0]];
  function fmt0(v) { return fmt(v, 0); }
  function fmt2(v) { return fmt(v, 2); }
  function showFigures(f, estimate, changePlan) {
    if (!estimate) last = f;
    var tol = f.plan.balance_tolerance;
    var prev = E.prevPlan;
    $("plan-figures").className = "figures" + (estimate ? " estimate" : "");
    $("fig-state").textContent = estimate ? "(estimate, waiting for the server)" : "";
    $("plan-figures").innerHTML = "<tr><th>Figure</th><th>Value</th><th>Change</th></tr>" + PLAN_ROWS.map(function (row) {
      var v = f.plan[row[0]], d = changePlan && prev && typeof v === "number" && typeof prev[row[0]] === "number" ? v - prev[row[0]] : null;
      var bad = (row[0] === "imbalance" && tol !== null && v > tol) || ((row[0] === "locks_broken" || row[0] === "outside_tolerance") && v > 0);
      var dd = row[2] === pct ? (d === null ? "" : signed(100 * d, 1, " pt")) : signed(d, row[2] === fmt0 ? 0 : 2);
      return '<tr data-key="' + row[0] + '"><td>' + row[1] + '</td><td class="' + (bad ? "bad" : "") + '">' + row[2](v) + "</td><td>" + dd + "</td></tr>";
    }).join("");
    var touched = new Set(f.touched || []);
    $("managers").className = "figures" + (estimate ? " estimate" : "");
    $("managers").innerHTML = "<tr><th>Manager</th><th title='estimated workload, hours per cycle'>Workload h</th>" +
      "<th title='deviation from the mean; tolerance ±" + (tol === null ? "–" : (100 * tol).toFixed(0)) + " %'>vs mean</th>" +
      "<th title='change made by the last edit'>Change</th><th>Retailers</th><th>Key</th><th>Visits</th>" +
      "<th title='workload-weighted mean travel from the base'>Compact.</th><th title='95th percentile travel from the base'>Radius p95</th><th>Parts</th></tr>" +
      f.managers.map(function (m, k) {
        var ch = m.change || {}, dev = m.deviation;
        var cls = m.within_tolerance === false ? "bad" : m.within_tolerance ? "good" : "";
        return '<tr data-manager="' + esc(m.manager_id) + '" class="' + (touched.has(m.manager_id) ? "touched" : "") + '"><td><span class="swatch" style="background:' +
          (colours[mindex[m.manager_id]] || "#888") + '"></span>' + esc(m.manager_id) + (m.vacant ? " (vacant)" : "") + "</td><td>" + fmt(m.workload_hours) +
          '</td><td class="' + cls + '">' + (dev === null ? "–" : (dev > 0 ? "+" : "") + (100 * dev).toFixed(1) + " %") + "</td><td>" +
          signed(ch.workload_hours, 1, " h") + "</td><td>" + m.retailers + " " + signed(ch.retailers, 0) + "</td><td>" + m.key_customers +
          "</td><td>" + m.visits_required + "</td><td>" + fmt(m.compactness_min, 2) + "</td><td>" + fmt(m.service_radius_p95_min, 2) +
          '</td><td class="' + (m.parts > 1 ? "bad" : "") + '">' + m.parts + "</td></tr>";
      }).join("");
    if (!estimate) {
      $("warn-count").textContent = "(" + f.warnings_total + ")";
      $("warnings").innerHTML = f.warnings.map(function (w) {
        return '<li class="' + (w.new ? "new" : "") + '" data-kind="' + w.kind + '">' + esc(w.message) + (w.new ? " (new)" : "") + "</li>";
      }).join("") || "<li class='muted'>none</li>";
    }
  }
  // the browser's estimate right after an edit: per-manager sums of the moved retailers; the daily
  // trips from the base are kept as the server last computed them
  function estimate(moved) {
    if (!last) return;
    var rows = last.managers.map(function (m) {
      return Object.assign({}, m, { change: {}, trips_h: m.workload_hours - m.designed_workload_hours });
    });
    var byId = {}; rows.forEach(function (m) { byId[m.manager_id] = m; });
    var before = rows.map(function (m) { return m.workload_hours; });
    moved.forEach(function (mv) {
      var i = mv[0], a = rows[mv[1]], b = rows[mv[2]];
      if (!a || !b) return;
      a.retailers -= 1; b.retailers += 1; a.key_customers -= D.key[i]; b.key_customers += D.key[i];
      a.visits_required -= D.visits[i]; b.visits_required += D.visits[i];
      a.designed_workload_hours -= D.w[i] / 3600; b.designed_workload_hours += D.w[i] / 3600;
    });
    var act = rows.filter(function (m) { return m.retailers > 0; });
    rows.forEach(function (m) { m.workload_hours = m.retailers > 0 ? m.designed_workload_hours + m.trips_h : 0; });
    var mean = act.reduce(function (s, m) { return s + m.workload_hours; }, 0) / Math.max(1, act.length);
    var tol = last.plan.balance_tolerance, mx = 0;
    rows.forEach(function (m, k) {
      m.deviation = m.retailers > 0 && mean > 0 ? m.workload_hours / mean - 1 : null;
      m.within_tolerance = m.deviation === null || tol === null ? null : Math.abs(m.deviation) <= tol;
      m.change = { workload_hours: m.workload_hours - before[k] };
      if (m.retailers > 0) mx = Math.max(mx, m.workload_hours);
    });
    var plan = Object.assign({}, last.plan, { mean_workload_hours: mean, imbalance: mean > 0 ? mx / mean - 1 : null,
      outside_tolerance: rows.filter(function (m) { return m.within_tolerance === false; }).length });
    E.prevPlan = last.plan;
    showFigures({ plan: plan, managers: rows, warnings: last.warnings, warnings_total: last.warnings_total,
                  touched: rows.filter(function (m) { return m.change.workload_hours; }).map(function (m) { return m.manager_id; }) }, true, true);
  }

  // ---- edits -------------------------------------------------------------------------------
  function applyStatus(s) {
    E.version = s.version; E.edits = s.edits;
    $("undo").disabled = !s.can_undo; $("redo").disabled = !s.can_redo;
    $("edit-count").textContent = s.edits + " edit" + (s.edits === 1 ? "" : "s");
    if (s.log) $("log").innerHTML = s.log.map(function (e) {
      var what = e.op === "move" ? "move " + e.request.retailers.length + " → " + e.request.to
        : e.op === "swap" ? "swap " + e.request.managers.join(" ↔ ") : e.op === "vacant" ? "vacant " + e.request.manager
        : e.op === "optimise" ? "re-optimise (" + e.moved + " moved, budget " + (100 * e.request.max_moved).toFixed(0) + " %)"
        : e.op + " " + e.request.retailers.length;
      return "<li>" + esc(what) + ' <span class="muted">' + esc(e.user) + " " + esc((e.time || "").slice(11, 19)) + "</span></li>";
    }).join("");
    flagStatus();
  }
  function applyResult(res) {
    if (res.owners) setManagers(res.owners);
    (res.changed && res.changed.retailers || []).forEach(function (c) {
      var i = D.byId[c[0]]; D.owner[i] = mindex[c[1]]; D.locked[i] = c[2] ? 1 : 0;
    });
    E.prevPlan = last ? last.plan : null;
    res.figures.touched = res.changed ? res.changed.managers : [];
    applyStatus(res); showFigures(res.figures, false, true);
    layer.redraw(); refreshTerritories(); refreshRoute();
  }
  function send(body, optimistic) {
    var undo = null, t0 = performance.now();
    if (optimistic && optimistic.length) {
      undo = optimistic.map(function (mv) { return [mv[0], D.owner[mv[0]]]; });
      optimistic.forEach(function (mv) { D.owner[mv[0]] = mv[2]; });
      layer.redraw(); estimate(optimistic);
      E.estimateMs = performance.now() - t0; statusEl.dataset.estimateMs = E.estimateMs.toFixed(1);
      statusEl.dataset.estimates = String((Number(statusEl.dataset.estimates) || 0) + 1);
    }
    return api("POST", "api/edits", body).then(function (res) {
      E.roundTripMs = performance.now() - t0; statusEl.dataset.roundTripMs = E.roundTripMs.toFixed(1);
      applyResult(res); say(body.op + " done", "ok"); return res;
    }).catch(function (err) {
      if (undo) { undo.forEach(function (u) { D.owner[u[0]] = u[1]; }); layer.redraw(); if (last) showFigures(last, false); }
      say(err.message, "error"); throw err;
    });
  }
  E.send = send;
  function selectedList() { return Array.from(E.selected).sort(function (a, b) { return a - b; }); }
  $("move").addEventListener("click", function () {
    var to = $("target").value, k = mindex[to], sel = selectedList();
    if (!sel.length) return say("select retailers first", "error");
    var free = sel.filter(function (i) { return !D.locked[i] && D.owner[i] !== k; });
    var locked = sel.filter(function (i) { return D.locked[i] && D.owner[i] !== k; }).length;
    if (!free.length) return say(locked ? "the selected retailers are locked: unlock them first" : "they are already with " + to, "error");
    send({ op: "move", retailers: free.map(function (i) { return D.ids[i]; }), to: to },
         free.map(function (i) { return [i, D.owner[i], k]; }))
      .then(function () { if (locked) say("moved " + free.length + "; " + locked + " locked retailers stay", "ok"); }).catch(function () {});
  });
  ["lock", "unlock"].forEach(function (op) {
    $(op).addEventListener("click", function () {
      var sel = selectedList().filter(function (i) { return op === "lock" ? !D.locked[i] : D.locked[i] && !D.fixed[i]; });
      if (!sel.length) return say("nothing to " + op + " in the selection", "error");
      send({ op: op, retailers: sel.map(function (i) { return D.ids[i]; }) }).catch(function () {});
    });
  });
  $("swap").addEventListener("click", function () {
    send({ op: "swap", managers: [$("swap-a").value, $("swap-b").value] }).catch(function () {});
  });
  $("vacant").addEventListener("click", function () { send({ op: "vacant", manager: $("vacant-m").value }).catch(function () {}); });
  function step(which) {
    return api("POST", "api/" + which).then(function (res) { applyResult(res); say(which + " (" + (res.undone || res.redone) + ")", "ok"); })
      .catch(function (err) { say(err.message, "error"); });
  }
  E.undo = function () { return step("undo"); }; E.redo = function () { return step("redo"); };
  $("undo").addEventListener("click", E.undo); $("redo").addEventListener("click", E.redo);
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || /INPUT|SELECT/.test(document.activeElement.tagName)) return;
    if (e.key === "z" && !e.shiftKey) { e.preventDefault(); E.undo(); }
    else if (e.key === "y" || (e.key === "Z" && e.shiftKey)) { e.preventDefault(); E.redo(); }
  });
  $("keep").addEventListener("click", function () { $("banner").hidden = true; });
  $("discard").addEventListener("click", function () {
    api("POST", "api/discard").then(function () { $("banner").hidden = true; return load(); }).then(function () { say("unsaved edits discarded", "ok"); });
  });
  function busy(on) { ["move", "lock", "unlock", "swap", "vacant", "optimise", "save"].forEach(function (id) { $(id).disabled = on; }); }
  $("optimise").addEventListener("click", function () {
    var budget = Math.max(0, Math.min(100, Number($("budget").value) || 0)) / 100;
    busy(true); $("progress").hidden = false; $("progress").value = 0;
    api("POST", "api/optimise", { max_moved: budget }).then(function (job) {
      E.job = job.id;
      (function poll() {
        api("GET", "api/jobs/" + job.id).then(function (j) {
          $("progress").value = j.progress; $("job-text").textContent = j.message || j.status;
          if (j.status === "running" || j.status === "queued") return setTimeout(poll, 300);
          busy(false); $("progress").hidden = true;
          if (j.status === "done" && j.result && j.result.edit) { applyResult(j.result.edit); say("re-optimised: " + j.message, "ok"); return; }
          say(j.message, j.status === "done" ? "ok" : "error");
        }).catch(function (err) { busy(false); say(err.message, "error"); });
      })();
    }).catch(function (err) { busy(false); $("progress").hidden = true; say(err.message, "error"); });
  });
  $("save").addEventListener("click", function () {
    busy(true); say("saving: planning the changed calendars and validating…");
    api("POST", "api/save", {}).then(function (r) {
      busy(false); E.saved = r.plan_dir;
      say("saved " + (r.valid ? "and valid: " : "(NOT valid): ") + r.plan_dir, r.valid ? "ok" : "error");
      statusEl.dataset.saved = r.plan_dir;
    }).catch(function (err) { busy(false); say(err.message, "error"); });
  });

  // ---- territories and routes on demand -------------------------------------------------------
  var terrTimer = null;
  function refreshTerritories() {
    if (!$("show-territories").checked) { map.removeLayer(terrLayer); return; }
    clearTimeout(terrTimer);
    terrTimer = setTimeout(function () {
      api("GET", "api/territories").then(function (fc) {
        terrLayer.clearLayers();
        L.geoJSON(fc, { interactive: false, style: function (f) {
          var k = mindex[f.properties.manager_id];
          return { color: colours[k] || "#666", weight: 2, fillOpacity: 0.08 };
        } }).addTo(terrLayer);
        terrLayer.addTo(map);
      });
    }, 250);
  }
  $("show-territories").addEventListener("change", refreshTerritories);
  function refreshRoute() {
    var m = $("route-m").value, d = $("route-d").value;
    routeLayer.clearLayers(); $("route-note").textContent = "";
    if (!m) return;
    api("GET", "api/routes?manager=" + encodeURIComponent(m) + (d ? "&day=" + d : "")).then(function (fc) {
      var days = {};
      fc.features.forEach(function (f) { days[f.properties.day_index] = f.properties.date; });
      if (!$("route-d").options.length || $("route-d").dataset.m !== m) {
        $("route-d").dataset.m = m;
        $("route-d").innerHTML = '<option value="">all days</option>' + Object.keys(days).map(function (k) {
          return '<option value="' + k + '">day ' + (Number(k) + 1) + " " + esc(days[k]) + "</option>";
        }).join("");
      }
      L.geoJSON(fc, { style: { color: colours[mindex[m]] || "#333", weight: 3, opacity: 0.85 } }).addTo(routeLayer);
      $("route-note").textContent = fc.features.length + " routes of the opened plan" + (fc.stale ? " — territory changed: re-planned on save" : "");
    }).catch(function (err) { say(err.message, "error"); });
  }
  $("route-m").addEventListener("change", function () { $("route-d").innerHTML = ""; refreshRoute(); });
  $("route-d").addEventListener("change", refreshRoute);

  showBlockMode();
  load().catch(function (err) { E.errors.push("load: " + err.message); say("could not load the plan: " + err.message, "error"); flagStatus(); });
})();
