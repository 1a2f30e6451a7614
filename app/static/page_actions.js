// Loaded in <head> without defer, so the listeners exist before any control can be used.
// Small page behaviours declared in the markup (no inline handlers: the Content-Security-Policy allows
// scripts from this site's files only): data-print prints the page, data-autosubmit sends the form of a
// select when it changes.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
// data-preview on a select: show the page again for the chosen value (?name=value), e.g. which held tasks
// would go to the chosen substitute; the other fields of the form are kept in the URL too.
document.addEventListener("change", (event) => {
  const field = event.target.closest("select[data-preview]");
  if (!field || !field.form) return;
  const params = new URLSearchParams();
  new FormData(field.form).forEach((value, key) => { if (key !== "csrf_token" && value) params.set(key, value); });
  window.location.search = params.toString();
});
