/* pmarchive search: the /search/ page (results as you type, facets that toggle, paging, a
   did-you-mean for filter values outside the vocabulary) and Enter in the header box. Talks to
   /api/search when `pmarchive serve` answers it; on a static host, to the Pagefind index the
   build wrote into pagefind/ and the shards pagefind/shards.json lists. Both render the same
   way. Every value from a record or the index reaches the page as text (textContent,
   setAttribute), never as markup. */
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

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  var note = make("p", "pm-note");
  note.id = "pm-note";
  note.setAttribute("role", "alert");
  note.hidden = true;
  status.parentNode.insertBefore(note, status.nextSibling);
  var chips = make("div", "pm-chips");
  chips.id = "pm-chips";
  chips.setAttribute("aria-label", "Active filters");
  facets.parentNode.insertBefore(chips, facets);
  var pages = make("nav", "pm-pages");
  pages.setAttribute("aria-label", "Result pages");
  results.parentNode.insertBefore(pages, results.nextSibling);

  /* A snippet (the server's: escaped text with <mark> around matches; or Pagefind's excerpt) as
     nodes: an inert document parses it, its text is copied as text and only <mark> is kept. */
  function snippetNodes(fragment) {
    var parsed = new DOMParser().parseFromString(String(fragment || ""), "text/html").body;
    var out = document.createDocumentFragment();
    Array.prototype.forEach.call(parsed.childNodes, function (node) {
      out.appendChild(node.nodeName === "MARK" ? make("mark", "", node.textContent)
        : document.createTextNode(node.textContent));
    });
    return out;
  }

  /* --- the query's filters, as tokens of the box ------------------------------------------ */
  var FILTER = /(^|\s)(-?)(\w+):("[^"]*"|\S*)/g;

  function tokens(q) {
    var found = [];
    q.replace(FILTER, function (match, lead, negate, name, value) {
      found.push({ text: match.slice(lead.length), negate: negate, name: name.toLowerCase(),
        value: value.replace(/^"|"$/g, "") });
      return match;
    });
    return found;
  }

  function filterToken(name, value) {
    return name + ":" + (/\s/.test(value) ? '"' + value + '"' : value);
  }

  function hasToken(q, token) {
    return (" " + q + " ").indexOf(" " + token + " ") !== -1;
  }

  function withoutToken(q, token) {
    return (" " + q + " ").split(" " + token + " ").join(" ").replace(/\s+/g, " ").trim();
  }

  /* --- rendering --------------------------------------------------------------------------- */
  function renderChips(q) {
    clear(chips);
    tokens(q).forEach(function (token) {
      if (!token.value) return;
      var chip = make("button", "pm-chip");
      chip.type = "button";
      chip.setAttribute("data-filter", token.text);
      chip.setAttribute("aria-label", "Remove the filter " + token.text);
      chip.appendChild(make("span", "", token.text));
      chip.appendChild(make("span", "pm-chip-x", "×"));
      chips.appendChild(chip);
    });
  }

  function renderHit(hit) {
    var item = make("li", "pm-hit");
    item.setAttribute("data-id", hit.id);
    var link = make("a", "", hit.id);
    link.setAttribute("href", base + hit.url);
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(make("span", "pm-hit-title", hit.title));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(make("span", "pm-badge", hit.sev ? "SEV-" + hit.sev : hit.kind));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(make("span", "pm-hit-date", hit.date));
    var snippet = make("p", "pm-snippet");
    snippet.appendChild(snippetNodes(hit.snippet));
    item.appendChild(snippet);
    return item;
  }

  function renderFacets(data) {
    clear(facets);
    Object.keys(data.facets).forEach(function (name) {
      var counts = data.facets[name];
      var keys = Object.keys(counts);
      if (!keys.length) return;
      var group = make("div", "pm-facet");
      group.setAttribute("data-facet", name);
      group.appendChild(make("strong", "", name));
      keys.forEach(function (key) {
        var token = filterToken(name, key);
        var active = hasToken(data.query, token);
        var button = make("button", "pm-facet-value" + (active ? " pm-active" : ""));
        button.type = "button";
        button.setAttribute("data-filter", token);
        button.setAttribute("aria-pressed", active ? "true" : "false");
        button.appendChild(document.createTextNode(key + " "));
        button.appendChild(make("span", "pm-count", counts[key]));
        group.appendChild(document.createTextNode(" "));
        group.appendChild(button);
      });
      facets.appendChild(group);
    });
  }

  function pageButton(number, label, current, className) {
    var button = make("button", className || "pm-page-number", label);
    button.type = "button";
    button.setAttribute("data-page", String(number));
    if (current) button.setAttribute("aria-current", "page");
    return button;
  }

  /* previous, the first, the last and the pages around this one, next: any page in two clicks */
  function renderPages(data) {
    clear(pages);
    var last = Math.max(1, Math.ceil(data.total / data.limit));
    if (last < 2) return;
    var previous = pageButton(data.page - 1, "← previous", false, "pm-page-prev");
    previous.disabled = data.page <= 1;
    pages.appendChild(previous);
    var shown = [];
    for (var n = 1; n <= last; n++) {
      if (n === 1 || n === last || Math.abs(n - data.page) <= 2) shown.push(n);
    }
    shown.forEach(function (number, i) {
      if (i && number - shown[i - 1] > 1) pages.appendChild(make("span", "pm-page-gap", "…"));
      pages.appendChild(pageButton(number, String(number), number === data.page));
    });
    var next = pageButton(data.page + 1, "next →", false, "pm-page-next");
    next.disabled = data.page >= last;
    pages.appendChild(next);
    pages.appendChild(make("span", "pm-page", "page " + data.page + " of " + last));
  }

  function render(data) {
    results.setAttribute("data-query", data.query);
    results.setAttribute("data-engine", data.engine || "api");
    results.setAttribute("data-page", String(data.page));
    var first = data.total ? (data.page - 1) * data.limit + 1 : 0;
    var end = Math.min(data.total, data.page * data.limit);
    status.textContent = data.total + " result" + (data.total === 1 ? "" : "s") +
      (data.total > data.limit ? ", " + first + "–" + end + " shown" : "");
    clear(results);
    data.results.forEach(function (hit) { results.appendChild(renderHit(hit)); });
    renderFacets(data);
    renderPages(data);
  }

  /* "No class 'cache-stampeed'; did you mean cache-stampede?" with a link applying it */
  function showNote(reply) {
    clear(note);
    note.hidden = false;
    note.appendChild(document.createTextNode(reply.error || "The query could not be run."));
    if (reply.suggested_query) {
      note.appendChild(document.createTextNode(" "));
      var link = make("a", "pm-suggestion", "Search for " + reply.suggested_query);
      link.setAttribute("href", "?query=" + encodeURIComponent(reply.suggested_query));
      link.setAttribute("data-query", reply.suggested_query);
      note.appendChild(link);
    }
  }

  function hideNote() {
    note.hidden = true;
    clear(note);
  }

  function showRefusal(reply) {
    showNote(reply);
    status.textContent = "";
    clear(results);
    clear(pages);
    clear(facets);
  }

  /* --- the API ------------------------------------------------------------------------------ */
  function apiSearch(q) {
    var url = base + "api/search?limit=" + PAGE_SIZE + "&page=" + page + "&q=" +
      encodeURIComponent(q);
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 404 || response.status === 405) throw new Error("no-api");
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  /* --- Pagefind on a static host ------------------------------------------------------------ */
  /* The static index's facets, named as the API names them (site/static_search.py FILTERS). */
  var FACETS = ["class", "sev", "team", "kind", "year"];
  var NAMES = { classes: "class", teams: "team", kinds: "kind", type: "kind", severity: "sev" };
  /* the API's other spellings of a kind (search/query.py KIND_ALIASES) */
  var KIND_ALIASES = {
    "post-mortem": ["postmortem"], postmortems: ["postmortem"], incident: ["postmortem"],
    incidents: ["postmortem"], nearmiss: ["near-miss", "weak-signal"],
    nearmisses: ["near-miss", "weak-signal"], near_miss: ["near-miss"],
    weaksignal: ["weak-signal"], weak_signal: ["weak-signal"]
  };
  var KINDS = ["postmortem", "near-miss", "weak-signal"];
  var API_ONLY = ["factor", "service", "alert", "status", "after", "before", "title", "summary",
    "body", "id"];

  /* edit distance, for the did-you-mean of a static filter value */
  function distance(a, b) {
    var row = [];
    for (var j = 0; j <= b.length; j++) row.push(j);
    for (var i = 1; i <= a.length; i++) {
      var previous = row[0];
      row[0] = i;
      for (j = 1; j <= b.length; j++) {
        var kept = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = kept;
      }
    }
    return row[b.length];
  }

  function closest(value, candidates) {
    var best = null;
    var score = Infinity;
    candidates.forEach(function (candidate) {
      var d = distance(value.toLowerCase(), candidate.toLowerCase());
      if (d < score) { score = d; best = candidate; }
    });
    return best !== null && score <= Math.max(2, Math.floor(best.length * 0.4)) ? best : null;
  }

  /* The query box's grammar, as far as Pagefind goes: words, and facet filters (sev:1..2 is
     any of its levels). What needs the API (other filters, dates, negation) is reported; a
     value the index does not hold is refused with a did-you-mean, as the API refuses it. */
  function staticQuery(q, all) {
    var filters = {};
    var unsupported = [];
    var refusal = null;
    var text = q.replace(FILTER, function (match, lead, negate, name, value) {
      var token = match.slice(lead.length);
      name = NAMES[name.toLowerCase()] || name.toLowerCase();
      value = value.replace(/^"|"$/g, "");
      var range = /^(\d+)\.\.(\d+)$/.exec(value);
      if (FACETS.indexOf(name) === -1 && API_ONLY.indexOf(name) === -1) {
        if (!value || !/^[A-Za-z_]+$/.test(name) || value.charAt(0) === "/") return match;
        var field = closest(name, FACETS.concat(API_ONLY));
        refusal = refusal || {
          error: "No filter '" + name + ":'" + (field ? "; did you mean " + field + ":?" : ""),
          suggested_query: field ? q.replace(token, negate + field + ":" + value) : null
        };
      } else if (negate || FACETS.indexOf(name) === -1) {
        unsupported.push(token);
      } else if (name === "sev" && range) {
        var any = [];
        for (var level = +range[1]; level <= +range[2] && any.length < 10; level++) {
          any.push(String(level));
        }
        filters.sev = { any: any };
      } else {
        /* kinds are a fixed list; classes and teams are known here only as far as some record
           holds them, so only a near miss of one of those is refused */
        var known = name === "kind" ? KINDS :
          (name === "class" || name === "team") ? Object.keys(all[name] || {}) : [];
        var values = name === "kind" && KIND_ALIASES[value.toLowerCase()] ?
          KIND_ALIASES[value.toLowerCase()] : [value];
        var suggestion = closest(value, known);
        if (known.length && values.every(function (v) { return known.indexOf(v) === -1; }) &&
            (suggestion || name === "kind")) {
          refusal = refusal || {
            error: "No " + name + " '" + value + "'" +
              (suggestion ? "; did you mean " + suggestion + "?" : ""),
            suggested_query: suggestion ?
              q.replace(token, filterToken(name, suggestion)) : null
          };
        }
        filters[name] = (filters[name] || []).concat(values.length > 1 ? [{ any: values }] :
          values);
      }
      return lead;
    }).replace(/(^|\s)(AND|OR|NOT)(?=\s|$)/g, " ").replace(/["()]/g, " ").trim();
    Object.keys(filters).forEach(function (name) {
      /* one value is a plain filter; an alias standing for several is "any of them" */
      var list = filters[name];
      if (Array.isArray(list) && list.length === 1 && typeof list[0] === "object") {
        filters[name] = list[0];
      }
    });
    return { text: text, filters: filters, unsupported: unsupported, refusal: refusal };
  }

  /* The index's other shards (site/static_search.py writes pagefind/shards.json): site-relative
     folders, merged into the first so results, totals and facet counts are the whole
     archive's. Anything but a plain relative folder is ignored. Revalidated, as Pagefind
     revalidates its own entry file: a cached list could name the shards of an older build. */
  function shardFolders() {
    return fetch(base + "pagefind/shards.json", { cache: "no-cache" }).then(function (response) {
      return response.ok ? response.json() : { shards: [] };
    }).then(function (manifest) {
      var shards = manifest && Array.isArray(manifest.shards) ? manifest.shards : [];
      return shards.filter(function (folder) {
        return typeof folder === "string" && /^[\w-]+(\/[\w-]+)*\/$/.test(folder);
      });
    });
  }

  function loadPagefind() {
    if (!pagefind) {
      pagefind = import(base + "pagefind/pagefind.js").then(function (module) {
        return module.options({ baseUrl: base }).then(shardFolders).then(function (folders) {
          /* the same baseUrl: a merged index's URLs are relative to the site, as the first's */
          return Promise.all(folders.map(function (folder) {
            return module.mergeIndex(base + folder, { baseUrl: base });
          }));
        }).then(function () {
          return module.filters().then(function (all) { return { module: module, all: all }; });
        });
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
    return loadPagefind().then(function (loaded) {
      var parsed = staticQuery(q, loaded.all);
      if (parsed.refusal) return { refusal: parsed.refusal };
      var hasFilters = Object.keys(parsed.filters).length > 0;
      var search = !parsed.text && !hasFilters ? Promise.resolve(null) :
        loaded.module.search(parsed.text || null, { filters: parsed.filters });
      return search.then(function (found) {
        var hits = found ? found.results : [];
        var shown = hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
        return Promise.all(shown.map(function (hit) { return hit.data(); })).then(function (rows) {
          var facetCounts = {};
          FACETS.forEach(function (name) {
            facetCounts[name] = sorted((found ? found.filters : loaded.all)[name]);
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
                snippet: row.excerpt
              };
            })
          };
        });
      });
    });
  }

  function showStatic(q, ticket) {
    return staticSearch(q).then(function (data) {
      if (ticket !== latest) return;
      form.classList.remove("pm-no-api");
      if (data.refusal) return showRefusal(data.refusal);
      render(data);
      if (data.unsupported.length) {
        status.textContent += " (ignored here, they need the archive's search API: " +
          data.unsupported.join(" ") + ")";
      }
    }, function () {
      if (ticket !== latest) return;
      form.classList.add("pm-no-api");
      clear(results);
      clear(pages);
      status.textContent = "Full-text search needs the archive's search API or the static " +
        "search index, and this site has neither (run `pmarchive serve`). Use the search box " +
        "at the top of the page instead: it searches the site's other pages in your browser.";
    });
  }

  /* --- running a search, and the URL that holds it ------------------------------------------ */
  function stateUrl(q) {
    return "?query=" + encodeURIComponent(q) + (page > 1 ? "&page=" + page : "");
  }

  /* ``push``: a new history entry (a facet, a page, a submitted query), so back returns to the
     previous results; typing replaces the current one. */
  function run(push) {
    var q = box.value;
    var ticket = ++latest;
    if (push && window.location.search !== stateUrl(q)) {
      history.pushState({ query: q, page: page }, "", stateUrl(q));
    } else {
      history.replaceState({ query: q, page: page }, "", stateUrl(q));
    }
    hideNote();
    renderChips(q);
    if (staticMode) return showStatic(q, ticket);
    apiSearch(q).then(function (reply) {
      if (ticket !== latest) return;
      if (!reply.ok) return showRefusal(reply.data || {});
      render(reply.data);
    }).catch(function () {
      if (ticket !== latest) return;
      staticMode = true;
      showStatic(q, ticket);
    });
  }

  function searchFor(q) {
    box.value = q;
    page = 1;
    clearTimeout(timer);
    run(true);
  }

  box.addEventListener("input", function () {
    page = 1;
    clearTimeout(timer);
    timer = setTimeout(function () { run(false); }, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    page = 1;
    run(true);
  });
  /* a facet value toggles: on adds its filter to the query, on again removes it */
  facets.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".pm-facet-value") : null;
    if (!button) return;
    var token = button.getAttribute("data-filter");
    var q = box.value.trim();
    searchFor(hasToken(q, token) ? withoutToken(q, token) : (q + " " + token).trim());
  });
  chips.addEventListener("click", function (event) {
    var chip = event.target.closest ? event.target.closest(".pm-chip") : null;
    if (chip) searchFor(withoutToken(box.value.trim(), chip.getAttribute("data-filter")));
  });
  note.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.pm-suggestion") : null;
    if (!link) return;
    event.preventDefault();
    searchFor(link.getAttribute("data-query"));
  });
  pages.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-page]") : null;
    if (!button || button.disabled) return;
    page = Math.max(1, parseInt(button.getAttribute("data-page"), 10) || 1);
    clearTimeout(timer);
    run(true);
    form.scrollIntoView({ block: "start" });
  });

  function fromLocation() {
    var params = new URLSearchParams(window.location.search);
    var initial = params.get("query");
    if (initial === null && params.get("q") !== null) {
      /* an old link with `q`: take the words, and close the overlay Material opened for them */
      initial = params.get("q");
      var overlay = document.querySelector('[data-md-toggle="search"]');
      if (overlay) setTimeout(function () { overlay.checked = false; }, 0);
    }
    box.value = initial === null ? "" : initial;
    page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  }

  window.addEventListener("popstate", function () {
    fromLocation();
    clearTimeout(timer);
    run(false);
  });
  fromLocation();
  run(false);
})();
