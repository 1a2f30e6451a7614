// Draws the case's diagram with the bpmn-js (navigated) viewer, marks the completed path and the current
// tasks, and opens zoomed to the current tasks. Zoom and pan: mouse (wheel, drag), keyboard (+ - 0 and
// arrows while the diagram has focus), touch (one finger pans, two fingers pinch) and buttons (zoom in,
// zoom out, fit to screen, show current tasks). Button labels come from data-* attributes (page language).
(function () {
  var box = document.getElementById("diagram");
  if (!box || !(window.BpmnJS)) return;
  var markers = JSON.parse(box.dataset.markers || "{}");
  var viewer = new window.BpmnJS({ container: box });
  var canvas, currentIds = [];

  function focusCurrent() {
    var registry = viewer.get("elementRegistry");
    var shapes = currentIds.map(function (id) { return registry.get(id); }).filter(Boolean);
    if (!shapes.length) { canvas.zoom("fit-viewport", "auto"); return; }
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    shapes.forEach(function (s) {
      minX = Math.min(minX, s.x); minY = Math.min(minY, s.y);
      maxX = Math.max(maxX, s.x + s.width); maxY = Math.max(maxY, s.y + s.height);
    });
    var pad = 160, size = canvas.getSize();
    var w = maxX - minX + 2 * pad, h = maxY - minY + 2 * pad;
    var scale = Math.min(1.2, size.width / w, size.height / h);
    if (scale < 0.6 && shapes.length > 1) {  // current tasks far apart: show the first one readably
      var s0 = shapes[0];
      minX = s0.x; minY = s0.y; maxX = s0.x + s0.width; maxY = s0.y + s0.height;
      scale = Math.min(1, size.width / (s0.width + 2 * pad), size.height / (s0.height + 2 * pad));
    }
    canvas.zoom(Math.max(scale, 0.3));
    var vb = canvas.viewbox();
    canvas.viewbox({ x: (minX + maxX) / 2 - vb.width / 2, y: (minY + maxY) / 2 - vb.height / 2,
                     width: vb.width, height: vb.height });
  }

  function zoomBy(factor) {
    var size = canvas.getSize();
    canvas.zoom(Math.min(4, Math.max(0.2, canvas.zoom() * factor)), { x: size.width / 2, y: size.height / 2 });
  }

  function button(label, text, action, cls) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "btn btn-light btn-sm border " + (cls || "");
    b.textContent = text; b.title = label; b.setAttribute("aria-label", label);
    b.addEventListener("click", function () { action(); box.focus(); });
    return b;
  }

  function controls() {
    var bar = document.createElement("div");
    bar.className = "diagram-tools";
    bar.appendChild(button(box.dataset.zoomIn || "Zoom in", "+", function () { zoomBy(1.25); }, "zoom-in"));
    bar.appendChild(button(box.dataset.zoomOut || "Zoom out", "−", function () { zoomBy(0.8); }, "zoom-out"));
    bar.appendChild(button(box.dataset.fit || "Fit", "⤢", function () { canvas.zoom("fit-viewport", "auto"); }, "fit"));
    if (currentIds.length) bar.appendChild(button(box.dataset.focus || "Current", "◎", focusCurrent, "focus-current"));
    box.parentNode.insertBefore(bar, box);
  }

  function keyboard() {
    box.addEventListener("keydown", function (e) {
      var step = 60, handled = true;
      if (e.key === "+" || e.key === "=") zoomBy(1.25);
      else if (e.key === "-" || e.key === "_") zoomBy(0.8);
      else if (e.key === "0") canvas.zoom("fit-viewport", "auto");
      else if (e.key === "ArrowLeft") canvas.scroll({ dx: step, dy: 0 });
      else if (e.key === "ArrowRight") canvas.scroll({ dx: -step, dy: 0 });
      else if (e.key === "ArrowUp") canvas.scroll({ dx: 0, dy: step });
      else if (e.key === "ArrowDown") canvas.scroll({ dx: 0, dy: -step });
      else handled = false;
      if (handled) e.preventDefault();
    });
  }

  function touch() {  // one finger pans, two fingers pinch-zoom (mouse dragging is the viewer's own)
    var points = {}, last = null;
    function list() { return Object.keys(points).map(function (k) { return points[k]; }); }
    function spread(p) { return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y); }
    box.addEventListener("pointerdown", function (e) {
      if (e.pointerType !== "touch") return;
      points[e.pointerId] = { x: e.clientX, y: e.clientY }; last = null;
    });
    box.addEventListener("pointermove", function (e) {
      if (e.pointerType !== "touch" || !points[e.pointerId]) return;
      var before = points[e.pointerId];
      points[e.pointerId] = { x: e.clientX, y: e.clientY };
      var p = list();
      if (p.length === 1) canvas.scroll({ dx: e.clientX - before.x, dy: e.clientY - before.y });
      else if (p.length === 2) {
        var d = spread(p);
        if (last) {
          var rect = box.getBoundingClientRect();
          canvas.zoom(Math.min(4, Math.max(0.2, canvas.zoom() * d / last)),
                      { x: (p[0].x + p[1].x) / 2 - rect.left, y: (p[0].y + p[1].y) / 2 - rect.top });
        }
        last = d;
      }
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (type) {
      box.addEventListener(type, function (e) { delete points[e.pointerId]; last = null; });
    });
  }

  // the diagram's element names in the page language (data-names: element id -> English name on an English page)
  function named(xml) {
    var names = JSON.parse(box.dataset.names || "{}");
    if (!Object.keys(names).length) return xml;
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) return xml;
    Array.prototype.forEach.call(doc.querySelectorAll("[id][name]"), function (el) {
      var name = names[el.getAttribute("id")];
      if (typeof name === "string" && name) el.setAttribute("name", name);
    });
    return new XMLSerializer().serializeToString(doc);
  }

  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return viewer.importXML(named(xml)); })
    .then(function () {
      canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var done = new Set(markers.done || []), current = new Set(markers.current || []);
      done.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "done"); });
      current.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "current"); });
      currentIds = Array.from(current).filter(function (id) { return registry.get(id); });
      // a flow is on the completed path when both of its ends were reached
      registry.filter(function (e) { return e.waypoints && e.source && e.target; }).forEach(function (flow) {
        var from = flow.source.id, to = flow.target.id;
        if (done.has(from) && (done.has(to) || current.has(to))) canvas.addMarker(flow.id, "done");
      });
      if (currentIds.length) focusCurrent(); else canvas.zoom("fit-viewport", "auto");
      controls(); keyboard(); touch();
      box.dispatchEvent(new CustomEvent("diagram:ready", { detail: viewer }));  // for page-specific overlays
      box.classList.add("rendered");
    })
    .catch(function () {
      box.classList.add("failed");
      box.textContent = box.dataset.error;
    });
})();
