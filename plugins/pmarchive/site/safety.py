"""What may reach a page: plain-text titles, allowed URL schemes, and sanitised record HTML.

Front-matter, taxonomy and record bodies are written by many people and read on the same origin
as the search API, so nothing in them may run script. Values in templates are escaped by Jinja;
this module covers the three places where escaping alone is not enough:

- Page titles. Material prints ``{{ page.title | striptags }}`` into ``<title>``, and
  ``striptags`` turns ``&lt;`` back into ``<``. A title is therefore made plain text with no
  angle brackets at all, then escaped: safe raw, escaped, or after ``striptags``.
- URLs. Only ``http``, ``https``, ``mailto`` and relative URLs are ever rendered as links.
- Record bodies. Markdown lets authors write raw HTML; the rendered body goes through an
  allow-list (nh3, the binding of the Ammonia sanitiser) that keeps what write-ups use
  (tables, details/summary, code, kbd, sub/sup, images) and drops everything else.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes a rendered link may use; relative URLs (no scheme) are allowed too."""

_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def plain_title(title: str) -> str:
    """``title`` (plain or HTML-escaped text) as escaped text without any angle bracket.

    ``<`` and ``>`` become the single guillemets ‹ ›, so no later unescaping (Material's
    ``striptags``) can turn the title back into markup. Idempotent.
    """
    text = html.unescape(_TAG.sub("", title))
    text = " ".join(text.replace("<", "‹").replace(">", "›").split())
    return html.escape(text, quote=True)


def safe_url(url: str) -> str | None:
    """``url`` when it may be rendered as a link (http, https, mailto or relative), else None.

    Browsers ignore tabs, newlines and other control characters inside a scheme
    (``java\\tscript:``), and treat a backslash like a slash, so both are judged on the URL a
    browser would see, not on its raw text.
    """
    seen = _CONTROL.sub("", url).replace("\\", "/")
    if not seen:
        return None
    try:
        parts = urlsplit(seen)
    except ValueError:
        return None
    if parts.scheme:
        return url.strip() if parts.scheme.lower() in LINK_SCHEMES else None
    if seen.startswith("//"):
        return None  # scheme-relative: another host, chosen by whoever wrote the value
    # "javascript&colon;..." only turns into a scheme once unescaped, so judge that too
    unescaped = _CONTROL.sub("", html.unescape(seen))
    if ":" in unescaped.split("/", 1)[0] and urlsplit(unescaped).scheme:
        return None
    return url.strip()


ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
        "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1",
        "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
        "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
    }
)  # fmt: skip
"""Tags a record body may use: what write-ups need, nothing that loads or runs anything else."""

_GENERIC_ATTRIBUTES = frozenset(
    {"class", "id", "title", "lang", "dir", "data-field", "data-record", "data-class"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(_GENERIC_ATTRIBUTES),
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "details": {"open"},
    "abbr": {"title"},
}
"""Attributes per tag; of ``data-*``, only the three the record header uses (inert data)."""

_RESERVED_IDS = re.compile(r"^(?:__|md-|pm-)", re.IGNORECASE)
"""Ids the theme and the plugin's scripts look up (``__config``, ``pm-search``...): a body may
not define one, or it would shadow the real element (DOM clobbering)."""


def _attribute_filter(tag: str, name: str, value: str) -> str | None:
    if name == "id" and _RESERVED_IDS.match(value):
        return None
    if name in ("href", "src"):
        return value if safe_url(value) is not None else None
    return value


def sanitize_html(fragment: str) -> str:
    """``fragment`` with every tag, attribute and URL outside the allow-list removed.

    Script and style elements go with their content; comments go; links get
    ``rel="noopener noreferrer"``.
    """
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items() if names},
        url_schemes=set(LINK_SCHEMES),
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
