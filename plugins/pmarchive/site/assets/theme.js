/* The small scripts Material for MkDocs writes inline into every page, loaded from a file so the
   site runs under a Content-Security-Policy that forbids inline script. Each <script> tag that
   loads this file names its part in data-part; the parts run where Material's inline ones did. */
(function () {
  "use strict";
  var script = document.currentScript;
  var part = script ? script.getAttribute("data-part") : null;

  function hash(text) {
    return Array.prototype.reduce.call(String(text), function (acc, ch) {
      return (acc << 5) - acc + ch.charCodeAt(0);
    }, 0);
  }

  var parts = {
    /* Storage helpers the theme bundle expects as globals, scoped to the site's path. */
    base: function () {
      window.__md_scope = new URL(script.getAttribute("data-scope") || ".", location);
      window.__md_hash = hash;
      window.__md_get = function (key, storage, scope) {
        storage = storage || localStorage;
        scope = scope || window.__md_scope;
        return JSON.parse(storage.getItem(scope.pathname + "." + key));
      };
      window.__md_set = function (key, value, storage, scope) {
        storage = storage || localStorage;
        scope = scope || window.__md_scope;
        try { storage.setItem(scope.pathname + "." + key, JSON.stringify(value)); } catch (e) { /* full or disabled */ }
      };
    },
    /* The reader's saved colour palette, applied before the page paints. */
    palette: function () {
      var palette = window.__md_get("__palette");
      if (!palette || !palette.color) return;
      if (palette.color.media === "(prefers-color-scheme)") {
        var light = matchMedia("(prefers-color-scheme: light)").matches;
        var input = document.querySelector(light
          ? "[data-md-color-media='(prefers-color-scheme: light)']"
          : "[data-md-color-media='(prefers-color-scheme: dark)']");
        if (input) {
          ["media", "scheme", "primary", "accent"].forEach(function (name) {
            palette.color[name] = input.getAttribute("data-md-color-" + name);
          });
        }
      }
      Object.keys(palette.color).forEach(function (name) {
        document.body.setAttribute("data-md-color-" + name, palette.color[name]);
      });
    },
    /* Linked content tabs, and the tab a #fragment points at. */
    content: function () {
      if (script.getAttribute("data-tabs-link") === "yes") {
        var tabs = window.__md_get("__tabs");
        if (Array.isArray(tabs)) {
          document.querySelectorAll(".tabbed-set").forEach(function (set) {
            var labels = set.querySelector(".tabbed-labels");
            if (!labels) return;
            var done = false;
            tabs.forEach(function (tab) {
              if (done) return;
              Array.prototype.forEach.call(labels.getElementsByTagName("label"), function (label) {
                if (!done && label.innerText.trim() === tab) {
                  var input = document.getElementById(label.htmlFor);
                  if (input) input.checked = true;
                  done = true;
                }
              });
            });
          });
        }
      }
      var target = document.getElementById(location.hash.slice(1));
      if (target && target.name) target.checked = target.name.indexOf("__tabbed_") === 0;
    },
    outdated: function () {
      var el = document.querySelector("[data-md-component=outdated]");
      var base = new URL(script.getAttribute("data-base") || ".", location);
      if (el && window.__md_get("__outdated", sessionStorage, base) === true) el.hidden = false;
    },
    announce: function () {
      var el = document.querySelector("[data-md-component=announce]");
      if (!el) return;
      var content = el.querySelector(".md-typeset");
      if (content && hash(content.innerHTML) === window.__md_get("__announce")) el.hidden = true;
    },
    consent: function () {
      var form = document.forms.consent;
      if (!form) return;
      var consent = window.__md_get("__consent");
      if (consent) {
        Array.prototype.forEach.call(form.elements, function (input) {
          if (input.name) input.checked = consent[input.name] || false;
        });
      } else if (location.protocol !== "file:") {
        setTimeout(function () {
          var box = document.querySelector("[data-md-component=consent]");
          if (box) box.hidden = false;
        }, 250);
      }
      ["submit", "reset"].forEach(function (action) {
        form.addEventListener(action, function (event) {
          event.preventDefault();
          if (event.type === "reset") {
            Array.prototype.forEach.call(form.elements, function (input) {
              if (input.name) input.checked = false;
            });
          }
          var chosen = {};
          Array.from(new FormData(form).keys()).forEach(function (key) { chosen[key] = true; });
          window.__md_set("__consent", chosen);
          location.hash = "";
          location.reload();
        });
      });
    }
  };
  if (part && parts[part]) parts[part]();
})();
