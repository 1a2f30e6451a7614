// After-sales report charts (Chart.js, served from the app). Data and labels come from JSON blocks in the page.
(function () {
  function start() {
    if (!window.Chart) return;
    var data = JSON.parse(document.getElementById("report-data").textContent);
    var text = JSON.parse(document.getElementById("report-text").textContent);
    window.Chart.defaults.animation = false;
    function draw(id, config) {
      var canvas = document.getElementById(id);
      if (canvas) new window.Chart(canvas, config);
    }
    var processes = Object.keys(data.by_process);
    draw("chart-cases", {
      type: "bar",
      data: { labels: processes, datasets: [{ label: text.cases, data: processes.map(function (p) { return data.by_process[p]; }) }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    draw("chart-resolution", {
      type: "bar",
      data: { labels: data.resolution.map(function (r) { return r.process; }),
              datasets: [{ label: text.median, data: data.resolution.map(function (r) { return r.median; }) },
                         { label: text.p90, data: data.resolution.map(function (r) { return r.p90; }) }] },
      options: { scales: { y: { beginAtZero: true } } }
    });
    draw("chart-satisfaction", {
      type: "bar",
      data: { labels: data.satisfaction.map(function (r) { return r.aspect; }),
              datasets: [{ label: text.average, data: data.satisfaction.map(function (r) { return r.average; }) }] },
      options: { scales: { y: { min: 0, max: 5 } } }
    });
    document.body.dataset.charts = "ready";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
