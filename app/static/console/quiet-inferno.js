// dmn-js's production bundle carries Inferno, which reports itself as a "minified development build" on
// every load (a false alarm of the bundled copy, not a problem of this page). That one message is kept out
// of the browser console while the editor scripts load; every other error still shows.
(function () {
  var original = console.error;
  console.error = function () {
    var first = arguments[0];
    if (typeof first === "string" && first.indexOf("minified copy of the development build of Inferno") !== -1) return;
    return original.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", function () { console.error = original; });
})();
