/* Draws every .pm-plot from the figure JSON beside it, in Material's light or dark palette,
   and redraws when the reader switches palette. plotly.js is loaded before this script. */
(function () {
  "use strict";
  if (typeof Plotly === "undefined") return;

  function colours() {
    var style = getComputedStyle(document.body);
    var fg = style.getPropertyValue("--md-default-fg-color").trim() || "#333";
    var grid = style.getPropertyValue("--md-default-fg-color--lightest").trim() || "#ddd";
    return { fg: fg, grid: grid };
  }

  function themed(layout) {
    var c = colours();
    var out = Object.assign({}, layout, {
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: Object.assign({}, layout.font || {}, { color: c.fg })
    });
    Object.keys(out).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        out[key] = Object.assign({}, out[key], { gridcolor: c.grid, zerolinecolor: c.grid });
      }
    });
    ["xaxis", "yaxis"].forEach(function (key) {
      if (!out[key]) out[key] = { gridcolor: c.grid, zerolinecolor: c.grid };
    });
    return out;
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    element._pmFigure = figure;
    Plotly.newPlot(element, figure.data, themed(figure.layout || {}),
      { responsive: true, displaylogo: false });
  }

  var plots = Array.prototype.slice.call(document.querySelectorAll(".pm-plot"));
  plots.forEach(draw);

  new MutationObserver(function () {
    plots.forEach(function (element) {
      if (element._pmFigure) Plotly.relayout(element, themed(element._pmFigure.layout || {}));
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
})();
