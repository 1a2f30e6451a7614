// SLA dashboard charts (Chart.js, served from the app). Data and labels come from JSON blocks in the page.
(function () {
  if (!window.Chart) return;
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var text = JSON.parse(document.getElementById("dashboard-text").textContent);
  window.Chart.defaults.animation = false;
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, config);
  }
  var months = data.complaints.map(function (r) { return r.month; });
  draw("chart-complaints", {
    type: "bar",
    data: { labels: months, datasets: data.limits.map(function (limit) {
      return { label: text.within.replace("{n}", limit), data: data.complaints.map(function (r) { return r["within_" + limit]; }) };
    }) },
    options: { scales: { y: { min: 0, max: 100 } } }
  });
  var groups = Object.keys(data.overdue_by_department);
  draw("chart-overdue", {
    type: "bar",
    data: { labels: groups.map(function (g) { return text.groups[g] || g; }),
            datasets: [{ label: text.overdue, data: groups.map(function (g) { return data.overdue_by_department[g]; }) }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  draw("chart-cycle", {
    type: "bar",
    data: { labels: data.cycle_times.map(function (r) { return (text.processes || {})[r.process_id] || r.process_id; }),
            datasets: [{ label: text.mean, data: data.cycle_times.map(function (r) { return r.mean_days; }) },
                       { label: text.median, data: data.cycle_times.map(function (r) { return r.median_days; }) }] },
    options: { scales: { y: { beginAtZero: true } } }
  });
  document.body.dataset.charts = "ready";
})();
