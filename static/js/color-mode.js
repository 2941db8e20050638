// The page's colour theme (accounts/color_modes.py). Loaded in <head> without
// "defer", so "auto" becomes light or dark before the body is first drawn: no flash
// of the wrong theme. The toggle in the header works without this script (a form
// post and a reload); with htmx, the new toggle it swaps in carries the new mode.
(function () {
  "use strict";
  var root = document.documentElement;
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  function apply() {
    var mode = root.getAttribute("data-color-mode");
    var dark = mode === "dark" || (mode !== "light" && systemDark.matches);
    root.setAttribute("data-bs-theme", dark ? "dark" : "light");
  }

  apply();
  systemDark.addEventListener("change", apply);
  document.addEventListener("htmx:load", function (event) {
    var toggle = event.detail.elt;
    if (toggle.classList && toggle.classList.contains("color-mode-toggle")) {
      root.setAttribute("data-color-mode", toggle.getAttribute("data-color-mode"));
      apply();
    }
  });
})();
