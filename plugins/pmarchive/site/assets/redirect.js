/* Alias pages of renamed classes and factors: a meta refresh drops the #fragment, so this goes
   to the canonical page with it. An asset, not inline: the site's CSP allows scripts from 'self'. */
(function () {
  "use strict";
  var canonical = document.querySelector('link[rel="canonical"]');
  if (canonical && canonical.href) {
    window.location.replace(canonical.href + window.location.hash);
  }
})();
