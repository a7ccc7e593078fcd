// LAPOR! - small enhancements only; every page works without this script.
"use strict";
(function () {
  // Character counters: <textarea data-counter="id-of-output" maxlength=...>.
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    var max = area.getAttribute("maxlength");
    var update = function () {
      out.textContent = area.value.length + (max ? " / " + max : "") + " karakter";
    };
    area.addEventListener("input", update);
    update();
  });
})();
