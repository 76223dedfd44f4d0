// The 404 page (theme/404.html): a missing /alerts/<name>/ offers a search for <name> and, when
// a known alert differs only in case or spelling of its URL, a link to that alert's page.
// Loaded with <script src> (no inline script under the Content-Security-Policy); text only
// ever goes in through textContent and URLs through encodeURIComponent.
(function () {
  "use strict";
  var root = document.getElementById("pm-notfound");
  if (!root) return;
  var base = root.getAttribute("data-base") || "/";
  var path = window.location.pathname;
  if (path.indexOf(base) !== 0) return;
  var match = /^alerts\/([^/]+?)(?:\.html)?\/?$/.exec(path.slice(base.length));
  if (!match) return;
  var name;
  try {
    name = decodeURIComponent(match[1]);
  } catch (error) {
    return;
  }
  if (!name) return;
  var search = document.getElementById("pm-notfound-search");
  search.setAttribute("href", root.getAttribute("data-search") + "?query=" + encodeURIComponent(name));
  search.textContent = "Search the archive for " + name;
  document.getElementById("pm-notfound-name").textContent = name;
  var slug = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  var items = root.querySelectorAll(".pm-notfound-alerts li[data-slug]");
  for (var i = 0; i < items.length; i++) {
    if (items[i].getAttribute("data-slug") === slug) {
      var known = items[i].querySelector("a");
      var offer = document.getElementById("pm-notfound-match-link");
      offer.setAttribute("href", known.getAttribute("href"));
      offer.textContent = known.textContent;
      document.getElementById("pm-notfound-match").hidden = false;
      items[i].classList.add("pm-notfound-same");
      break;
    }
  }
  document.getElementById("pm-notfound-alert").hidden = false;
})();
