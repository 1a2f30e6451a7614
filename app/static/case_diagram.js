// Draws the case's diagram with the bpmn-js viewer and marks the completed path and the current tasks.
(function () {
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  var markers = JSON.parse(box.dataset.markers || "{}");
  var viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      var done = new Set(markers.done || []), current = new Set(markers.current || []);
      done.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "done"); });
      current.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, "current"); });
      // a flow is on the completed path when both of its ends were reached
      registry.filter(function (e) { return e.waypoints && e.source && e.target; }).forEach(function (flow) {
        var from = flow.source.id, to = flow.target.id;
        if (done.has(from) && (done.has(to) || current.has(to))) canvas.addMarker(flow.id, "done");
      });
      box.dispatchEvent(new CustomEvent("diagram:ready", { detail: viewer }));  // for page-specific overlays
      box.classList.add("rendered");
    })
    .catch(function () {
      box.classList.add("failed");
      box.textContent = box.dataset.error;
    });
})();
