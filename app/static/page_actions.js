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
