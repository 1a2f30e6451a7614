// Select-all checkbox for the bulk actions of the inbox (the page works without it).
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", function () {
    document.querySelectorAll('input[name="task_id"]').forEach(function (box) { box.checked = all.checked; });
  });
});
