/* pmarchive search: the /search/ page (results as you type, facets) and Enter in the header box.
   Talks to /api/search served by `pmarchive serve`; on a static host it says so. */
(function () {
  "use strict";
  /* The site root as a path, from Material's page config (the site may live under a sub-path). */
  var base = "/";
  try {
    var config = JSON.parse(document.getElementById("__config").textContent);
    base = new URL(config.base.replace(/\/?$/, "/"), window.location.href).pathname;
  } catch (error) { /* not a Material page: assume the site is served at the root */ }

  function searchPage() {
    return document.getElementById("pm-search");
  }

  /* Enter in Material's header search box opens the archive's search page. */
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input || !input.classList ||
        !input.classList.contains("md-search__input") || searchPage()) return;
    event.preventDefault();
    event.stopPropagation();
    window.location.href = base + "search/?q=" + encodeURIComponent(input.value);
  }, true);

  var form = searchPage();
  if (!form) return;
  var box = document.getElementById("pm-q");
  var results = document.getElementById("pm-results");
  var facets = document.getElementById("pm-facets");
  var status = document.getElementById("pm-status");
  var timer = null;
  var latest = 0;

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function render(data) {
    results.setAttribute("data-query", data.query);
    status.textContent = data.total + " result" + (data.total === 1 ? "" : "s");
    results.innerHTML = data.results.map(function (hit) {
      var sev = hit.sev ? "SEV-" + hit.sev : hit.kind;
      return '<li class="pm-hit" data-id="' + esc(hit.id) + '">' +
        '<a href="' + esc(base + hit.url) + '">' + esc(hit.id) + "</a> " +
        '<span class="pm-hit-title">' + esc(hit.title) + "</span> " +
        '<span class="pm-badge">' + esc(sev) + "</span> " +
        '<span class="pm-hit-date">' + esc(hit.date) + "</span>" +
        /* snippets come from the server already HTML-escaped, with <mark> around matches */
        '<p class="pm-snippet">' + hit.snippet + "</p></li>";
    }).join("");
    facets.innerHTML = Object.keys(data.facets).map(function (name) {
      var counts = data.facets[name];
      var keys = Object.keys(counts);
      if (!keys.length) return "";
      return '<div class="pm-facet" data-facet="' + esc(name) + '"><strong>' + esc(name) +
        "</strong> " + keys.map(function (key) {
          return '<button type="button" class="pm-facet-value" data-filter="' +
            esc(name + ":" + key) + '">' + esc(key) + ' <span class="pm-count">' +
            counts[key] + "</span></button>";
        }).join(" ") + "</div>";
    }).join("");
  }

  function run() {
    var q = box.value;
    var ticket = ++latest;
    var url = base + "api/search?limit=20&q=" + encodeURIComponent(q);
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 404 || response.status === 405) throw new Error("no-api");
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (reply) {
      if (ticket !== latest) return;
      if (!reply.ok) {
        status.textContent = reply.data.error || "The query could not be run.";
        results.innerHTML = "";
        return;
      }
      render(reply.data);
    }).catch(function () {
      if (ticket !== latest) return;
      form.classList.add("pm-no-api");
      status.textContent = "Full-text search needs the archive's search API, which this " +
        "site is not served with (run `pmarchive serve`). Use the search box at the top of " +
        "the page instead: it searches titles and text in your browser.";
    });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  facets.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".pm-facet-value") : null;
    if (!button) return;
    var filter = button.getAttribute("data-filter");
    if (box.value.indexOf(filter) === -1) box.value = (box.value + " " + filter).trim();
    run();
  });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial !== null) box.value = initial;
  run();
})();
