// Draws the analysis charts: Vega-Lite specifications (made by Altair on the server) from the
// JSON in #analysis-charts into each element with data-chart="<name>", with the vendored
// vega-embed. Without JavaScript the tables above each chart carry the same figures.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("analysis-charts");
    if (!source || typeof window.vegaEmbed !== "function") { return; }
    var specs = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var spec = specs[element.getAttribute("data-chart")];
      if (!spec) { return; }
      window.vegaEmbed(element, spec, { actions: false, renderer: "svg" }).catch(function (error) {
        element.textContent = String(error);
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
