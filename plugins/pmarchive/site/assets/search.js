/* pmarchive search: the /search/ page (results as you type, facets, paging) and Enter in the
   header box. Talks to /api/search when `pmarchive serve` answers it; on a static host, to the
   Pagefind index the build wrote into pagefind/. Both render the same way. */
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
    /* `query`, not `q`: Material opens its own search overlay over any page whose URL has `q` */
    window.location.href = base + "search/?query=" + encodeURIComponent(input.value);
  }, true);

  var form = searchPage();
  if (!form) return;
  var box = document.getElementById("pm-q");
  var results = document.getElementById("pm-results");
  var facets = document.getElementById("pm-facets");
  var status = document.getElementById("pm-status");
  var timer = null;
  var latest = 0;
  var page = 1;
  var PAGE_SIZE = 20;
  var staticMode = false; /* set once /api/search has said it is not there */
  var pagefind = null; /* the Pagefind module, loaded once */
  var pages = document.createElement("nav");
  pages.className = "pm-pages";
  pages.setAttribute("aria-label", "Result pages");
  results.parentNode.insertBefore(pages, results.nextSibling);

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  /* Pagefind's excerpt with only its <mark> kept and everything else as escaped text, whatever
     the index holds: an inert document parses it, so nothing in it loads or runs. */
  function marksOnly(fragment) {
    var body = new DOMParser().parseFromString(String(fragment || ""), "text/html").body;
    var out = "";
    Array.prototype.forEach.call(body.childNodes, function (node) {
      out += node.nodeName === "MARK" ? "<mark>" + esc(node.textContent) + "</mark>"
        : esc(node.textContent);
    });
    return out;
  }

  function render(data) {
    results.setAttribute("data-query", data.query);
    results.setAttribute("data-engine", data.engine || "api");
    status.textContent = data.total + " result" + (data.total === 1 ? "" : "s");
    results.innerHTML = data.results.map(function (hit) {
      var sev = hit.sev ? "SEV-" + hit.sev : hit.kind;
      return '<li class="pm-hit" data-id="' + esc(hit.id) + '">' +
        '<a href="' + esc(base + hit.url) + '">' + esc(hit.id) + "</a> " +
        '<span class="pm-hit-title">' + esc(hit.title) + "</span> " +
        '<span class="pm-badge">' + esc(sev) + "</span> " +
        '<span class="pm-hit-date">' + esc(hit.date) + "</span>" +
        /* snippets are HTML-escaped with <mark> around matches (the server's, or marksOnly) */
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
    var last = Math.max(1, Math.ceil(data.total / data.limit));
    pages.innerHTML = last < 2 ? "" :
      '<button type="button" class="pm-page-prev" data-page="' + (data.page - 1) + '"' +
      (data.page <= 1 ? " disabled" : "") + ">← previous</button> " +
      '<span class="pm-page">page ' + data.page + " of " + last + "</span> " +
      '<button type="button" class="pm-page-next" data-page="' + (data.page + 1) + '"' +
      (data.page >= last ? " disabled" : "") + ">next →</button>";
  }

  function apiSearch(q) {
    var url = base + "api/search?limit=" + PAGE_SIZE + "&page=" + page + "&q=" +
      encodeURIComponent(q);
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 404 || response.status === 405) throw new Error("no-api");
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  /* The static index's facets, named as the API names them (site/static_search.py FILTERS). */
  var FACETS = ["class", "sev", "team", "kind", "year"];
  var FILTER = /(^|\s)(-?)(\w+):("[^"]*"|\S+)/g;

  /* The query box's grammar, as far as Pagefind goes: words, and facet filters (sev:1..2 is
     any of its levels). What needs the API (other filters, dates, negation) is reported. */
  function staticQuery(q) {
    var filters = {};
    var unsupported = [];
    var text = q.replace(FILTER, function (match, lead, negate, name, value) {
      name = name.toLowerCase();
      value = value.replace(/^"|"$/g, "");
      var range = /^(\d+)\.\.(\d+)$/.exec(value);
      if (negate || FACETS.indexOf(name) === -1) {
        unsupported.push(match.trim());
      } else if (name === "sev" && range) {
        var any = [];
        for (var level = +range[1]; level <= +range[2] && any.length < 10; level++) {
          any.push(String(level));
        }
        filters.sev = { any: any };
      } else {
        filters[name] = (filters[name] || []).concat([value]);
      }
      return lead;
    }).replace(/(^|\s)(AND|OR|NOT)(?=\s|$)/g, " ").replace(/["()]/g, " ").trim();
    return { text: text, filters: filters, unsupported: unsupported };
  }

  function loadPagefind() {
    if (!pagefind) {
      pagefind = import(base + "pagefind/pagefind.js").then(function (module) {
        return module.options({ baseUrl: base }).then(function () { return module; });
      });
    }
    return pagefind;
  }

  function sorted(counts) {
    var out = {};
    Object.keys(counts || {}).filter(function (key) { return counts[key] > 0; })
      .sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : a > b ? 1 : 0); })
      .forEach(function (key) { out[key] = counts[key]; });
    return out;
  }

  function staticSearch(q) {
    var parsed = staticQuery(q);
    return loadPagefind().then(function (module) {
      var hasFilters = Object.keys(parsed.filters).length > 0;
      if (!parsed.text && !hasFilters) {
        return module.filters().then(function (all) { return { all: all, found: null }; });
      }
      return module.search(parsed.text || null, { filters: parsed.filters })
        .then(function (found) { return { all: null, found: found }; });
    }).then(function (reply) {
      var found = reply.found;
      var hits = found ? found.results : [];
      var shown = hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      return Promise.all(shown.map(function (hit) { return hit.data(); })).then(function (rows) {
        var facetCounts = {};
        FACETS.forEach(function (name) {
          facetCounts[name] = sorted((found ? found.filters : reply.all)[name]);
        });
        return {
          engine: "pagefind",
          query: q,
          total: hits.length,
          page: page,
          limit: PAGE_SIZE,
          unsupported: parsed.unsupported,
          facets: facetCounts,
          results: rows.map(function (row) {
            var meta = row.meta || {};
            var url = String(row.url || "");
            return {
              id: meta.id || "",
              title: meta.title || "",
              kind: meta.kind || "",
              sev: meta.sev || null,
              date: meta.date || "",
              url: url.indexOf(base) === 0 ? url.slice(base.length) : url.replace(/^\//, ""),
              snippet: marksOnly(row.excerpt),
            };
          }),
        };
      });
    });
  }

  function showStatic(q, ticket) {
    return staticSearch(q).then(function (data) {
      if (ticket !== latest) return;
      form.classList.remove("pm-no-api");
      render(data);
      if (data.unsupported.length) {
        status.textContent += " (ignored here, they need the archive's search API: " +
          data.unsupported.join(" ") + ")";
      }
    }, function () {
      if (ticket !== latest) return;
      form.classList.add("pm-no-api");
      results.innerHTML = "";
      pages.innerHTML = "";
      status.textContent = "Full-text search needs the archive's search API or the static " +
        "search index, and this site has neither (run `pmarchive serve`). Use the search box " +
        "at the top of the page instead: it searches the site's other pages in your browser.";
    });
  }

  function run() {
    var q = box.value;
    var ticket = ++latest;
    history.replaceState(null, "", "?query=" + encodeURIComponent(q) +
      (page > 1 ? "&page=" + page : ""));
    if (staticMode) return showStatic(q, ticket);
    apiSearch(q).then(function (reply) {
      if (ticket !== latest) return;
      if (!reply.ok) {
        status.textContent = reply.data.error || "The query could not be run.";
        results.innerHTML = "";
        pages.innerHTML = "";
        return;
      }
      render(reply.data);
    }).catch(function () {
      if (ticket !== latest) return;
      staticMode = true;
      showStatic(q, ticket);
    });
  }

  box.addEventListener("input", function () {
    page = 1;
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
    page = 1;
    run();
  });
  pages.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-page]") : null;
    if (!button || button.disabled) return;
    page = Math.max(1, parseInt(button.getAttribute("data-page"), 10) || 1);
    run();
  });
  var params = new URLSearchParams(window.location.search);
  var initial = params.get("query");
  if (initial === null && params.get("q") !== null) {
    /* an old link with `q`: take the words, and close the overlay Material opened for them */
    initial = params.get("q");
    var overlay = document.querySelector('[data-md-toggle="search"]');
    if (overlay) setTimeout(function () { overlay.checked = false; }, 0);
  }
  if (initial !== null) box.value = initial;
  page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  run();
})();
