/* Draws every .pm-plot from the figure JSON beside it, in Material's light or dark palette, and
   redraws when the reader switches palette. plotly.js (4.8 MB) is not on the page: this script
   fetches it, from its own folder, the first time a chart nears the viewport, so an on-call
   reader gets the content and Material's bundle first, and a chart that never scrolls near
   never costs the download. Loaded with `defer`: the page is parsed when this runs. */
(function () {
  "use strict";
  var plots = Array.prototype.slice.call(document.querySelectorAll(".pm-plot"));
  if (!plots.length) return;

  // Beside this script in either URL mode and under any sub-path: resolve against our own URL.
  var self = document.currentScript || document.querySelector('script[src$="charts.js"]');
  var PLOTLY_SRC = new URL("plotly.min.js", self ? self.src : document.baseURI).href;
  // Start the download a little before a chart scrolls in, so it is drawn when it arrives.
  var NEAR = "300px 0px";

  var plotly = "idle"; // then "loading", "ready" or "failed"
  var waiting = []; // charts near the viewport while plotly.js is on its way

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

  // The figure's own height, held while the chart waits, so the page does not jump when it
  // draws (the stylesheet holds the usual height until this runs).
  function reserve(element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source) return;
    element._pmFigure = JSON.parse(source.textContent);
    var height = (element._pmFigure.layout || {}).height;
    if (typeof height === "number") element.style.minHeight = height + "px";
  }

  function draw(element) {
    var figure = element._pmFigure;
    if (!figure || element._pmDrawn) return;
    element._pmDrawn = true;
    Plotly.newPlot(element, figure.data, themed(figure.layout || {}),
      { responsive: true, displaylogo: false });
  }

  function settle(state) {
    plotly = state;
    var ready = waiting.splice(0);
    ready.forEach(function (element) {
      if (state === "ready") draw(element);
      else element.setAttribute("data-pm-state", "unavailable");
    });
  }

  function load() {
    if (plotly !== "idle") return;
    plotly = "loading";
    var tag = document.createElement("script");
    tag.src = PLOTLY_SRC;
    tag.onload = function () { settle(typeof Plotly === "undefined" ? "failed" : "ready"); };
    tag.onerror = function () { settle("failed"); };
    document.head.appendChild(tag);
  }

  function near(element) {
    if (plotly === "ready") return draw(element);
    if (plotly === "failed") return element.setAttribute("data-pm-state", "unavailable");
    waiting.push(element);
    load();
  }

  var observer = "IntersectionObserver" in window
    ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        near(entry.target);
      });
    }, { rootMargin: NEAR })
    : null;

  plots.forEach(function (element) {
    reserve(element);
    if (observer) observer.observe(element);
    else near(element);
  });

  // Charts not drawn yet take the palette in force when they draw.
  new MutationObserver(function () {
    plots.forEach(function (element) {
      if (element._pmDrawn) Plotly.relayout(element, themed(element._pmFigure.layout || {}));
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
})();
