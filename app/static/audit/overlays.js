// Auditor overlays on a diagram drawn by case_diagram.js: hours spent per step (data-hours) or a heatmap
// of the mean waiting time per step (data-heat).
(function () {
  var box = document.getElementById("diagram");
  if (!box) return;
  box.addEventListener("diagram:ready", function (event) {
    var viewer = event.detail;
    var overlays = viewer.get("overlays"), registry = viewer.get("elementRegistry");
    var hours = JSON.parse(box.dataset.hours || "{}");
    var heat = JSON.parse(box.dataset.heat || "{}");
    Object.keys(hours).forEach(function (id) {
      if (!registry.get(id)) return;
      var tag = document.createElement("div");
      tag.className = "audit-hours";
      tag.textContent = hours[id] + " h";
      overlays.add(id, "audit", { position: { bottom: 10, right: 10 }, html: tag });
    });
    var means = Object.keys(heat).map(function (id) { return heat[id].mean_hours; });
    var max = Math.max.apply(null, means.concat([0]));
    Object.keys(heat).forEach(function (id) {
      var element = registry.get(id);
      if (!element) return;
      var share = max > 0 ? heat[id].mean_hours / max : 0;
      var cell = document.createElement("div");
      cell.className = "audit-heat";
      cell.style.width = element.width + "px";
      cell.style.height = element.height + "px";
      cell.style.background = "rgba(211, 47, 47, " + (0.1 + 0.6 * share).toFixed(2) + ")";
      cell.title = heat[id].tasks + " × " + heat[id].mean_hours + " h (max " + heat[id].max_hours + " h)";
      cell.textContent = heat[id].mean_hours + " h";
      overlays.add(id, "audit-heat", { position: { top: 0, left: 0 }, html: cell });
    });
    box.classList.add("overlaid");
  });
})();
