"""Generated Markdown pages from Jinja templates that a site's ``overrides/`` can replace.

Templates live in the package under ``templates/pmarchive/pages/`` and are looked up after the
site's ``custom_dir``: ``overrides/pmarchive/pages/class.md`` replaces the shipped class page.
Everything a template prints is text: a value is Markdown- and HTML-escaped (``md_text``) unless
the page code hands it over as a ready fragment (``markupsafe.Markup``: a table, a chart, a
link it built from escaped parts). So an override cannot forget to escape a taxonomy title.

The record tables and cards of index pages are HTML (``pmarchive/records_table.html``,
``pmarchive/cards.html``, autoescaped, replaceable the same way): Python-Markdown parsing them
cell by cell cost more than every record page. A page's Markdown holds a placeholder line
instead (``Fragments``), and the plugin puts the HTML in its place once the page is rendered.
"""

from __future__ import annotations

import json
import secrets
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pmarchive.site.listing import md_text
from pmarchive.site.urls import DIRECTORY_URLS, Linker

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
PAGES = "pmarchive/pages"
"""Folder of the page templates inside a template directory."""


def _as_text(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return md_text(value)


def page_environment(search_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """Jinja for Markdown pages: ``search_dirs`` (the theme's custom_dir) before the package."""
    loaders: list[jinja2.BaseLoader] = [
        jinja2.FileSystemLoader([str(d) for d in search_dirs if d.is_dir()]),
        jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)),
    ]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,  # Markdown, not HTML: escaping is md_text, applied by finalize
        finalize=_as_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["text"] = md_text
    env.filters["yaml"] = yaml_string
    return env


def yaml_string(value: Any) -> Markup:
    """A YAML double-quoted scalar for front-matter (JSON strings are valid YAML)."""
    return Markup(json.dumps(str(value), ensure_ascii=False))


DEFAULT_ENVIRONMENT = page_environment()
"""The package's templates alone (tests, and callers that have no custom_dir)."""


def fragment(markdown: str) -> Markup:
    """Mark Markdown the page code built from escaped parts as ready to print as it is."""
    return Markup(markdown)


def render_page(env: jinja2.Environment, name: str, **context: Any) -> str:
    """The Markdown of page template ``pmarchive/pages/<name>.md`` with ``context``."""
    return env.get_template(f"{PAGES}/{name}.md").render(**context)


# --- HTML fragments: record tables and cards, outside Markdown -----------------------------------

FRAGMENT_PREFIX = "PMARCHIVEFRAGMENT"
"""Start of a placeholder token; the rest is a nonce of the build and a number."""

_HTML_ENVIRONMENTS: weakref.WeakKeyDictionary[jinja2.Environment, jinja2.Environment] = (
    weakref.WeakKeyDictionary()
)


def _as_html(value: Any) -> Any:
    return "" if value is None else value


def html_environment(env: jinja2.Environment) -> jinja2.Environment:
    """The HTML twin of page environment ``env``: the same template folders (the site's
    ``overrides/`` first), autoescape on."""
    twin = _HTML_ENVIRONMENTS.get(env)
    if twin is None:
        twin = _HTML_ENVIRONMENTS[env] = env.overlay(autoescape=True, finalize=_as_html)
    return twin


def _without_blank_lines(html: str) -> str:
    # A blank line would end Markdown's raw-HTML block early where the HTML is written into
    # Markdown (``Fragments.inline``: ``pmarchive render``, hand-written pages).
    return "\n".join(line for line in html.splitlines() if line.strip())


def render_html(env: jinja2.Environment, name: str, **context: Any) -> str:
    """The HTML of template ``pmarchive/<name>.html`` (autoescaped), found through ``env``."""
    html = html_environment(env).get_template(f"pmarchive/{name}.html").render(**context)
    return _without_blank_lines(html)


def render_macro(env: jinja2.Environment, name: str, macro: str, *args: Any) -> str:
    """The HTML of macro ``macro`` of template ``pmarchive/<name>.html`` called with ``args``."""
    module = html_environment(env).get_template(f"pmarchive/{name}.html").module
    return _without_blank_lines(str(getattr(module, macro)(*args)))


RETIRED_TEMPLATES = {
    "pmarchive/pages/records_table.md": "pmarchive/records_table.html",
    "pmarchive/cards.md": "pmarchive/cards.html",
}
"""Markdown templates whose HTML form replaced them: an override of one no longer applies."""


def retired_overrides(search_dirs: Sequence[Path]) -> list[str]:
    """One line for each override in ``search_dirs`` of a template the build no longer reads,
    naming its replacement (else the override would be ignored without a word)."""
    return [
        f"{directory / old}: no longer used; record tables and cards are HTML now: "
        f"override {new} instead (autoescaped, links are ready URLs)"
        for directory in search_dirs
        for old, new in RETIRED_TEMPLATES.items()
        if (directory / old).is_file()
    ]


class FragmentError(Exception):
    """A fragment printed into a page's Markdown is not in the page's HTML as its own
    paragraph (an override printed it inside other text, a code block or a raw-HTML block)."""


class Fragments:
    """The HTML fragments of generated pages and the Markdown that stands for them.

    ``place`` returns what a page template prints where the fragment goes. Inline (the default),
    that is the HTML itself, as a raw-HTML block of the Markdown: for hand-written pages' generated
    parts and for whole Markdown files. Deferred, it is a line holding a token unique to this
    build (``PMARCHIVEFRAGMENT<nonce>-<n>``), which Python-Markdown turns into
    ``<p>TOKEN</p>`` for the price of one paragraph; ``substitute`` then puts the HTML in its
    place in the page's rendered HTML, by exact match, for that page only.

    ``linker`` makes the fragments' links (raw HTML, which MkDocs does not rewrite) in the
    build's URL mode.
    """

    def __init__(self, linker: Linker = DIRECTORY_URLS, *, deferred: bool = False) -> None:
        self.linker = linker
        self.deferred = deferred
        self._nonce = secrets.token_hex(8)
        self._count = 0
        self._pages: dict[str, dict[str, str]] = {}

    def place(self, src: str, html: str) -> Markup:
        """What page ``src``'s Markdown holds for ``html``: a block of its own."""
        if not self.deferred:
            return Markup(f"\n\n{html}\n\n")
        self._count += 1
        token = f"{FRAGMENT_PREFIX}{self._nonce}-{self._count}"
        self._pages.setdefault(src, {})[token] = html
        return Markup(f"\n\n{token}\n\n")

    def printed(self, src: str, markdown: str) -> None:
        """Forget the fragments of page ``src`` its template did not print (an override may
        leave a table out); the rest must come back from Markdown."""
        placed = self._pages.get(src)
        if placed:
            kept = {token: html for token, html in placed.items() if token in markdown}
            if kept:
                self._pages[src] = kept
            else:
                del self._pages[src]

    def __contains__(self, src: object) -> bool:
        return src in self._pages

    def inline(self, src: str, markdown: str) -> str:
        """Page ``src``'s Markdown with its fragments written in as raw-HTML blocks: one whole
        Markdown file (``pmarchive render``)."""
        for token, html in self._pages.get(src, {}).items():
            markdown = markdown.replace(token, html)
        return markdown

    def substitute(self, src: str, html: str) -> str:
        """Page ``src``'s rendered ``html`` with each ``<p>TOKEN</p>`` replaced by its fragment.
        Handed out once: the build lets go of the fragments afterwards."""
        for token, fragment_html in self._pages.pop(src, {}).items():
            placeholder = f"<p>{token}</p>"
            if placeholder not in html:
                raise FragmentError(
                    f"{src}: a generated record table or card list is missing from the "
                    f"rendered page; a page template must print it on a line of its own "
                    f"(as the shipped ones do), not inside text, code or HTML"
                )
            html = html.replace(placeholder, fragment_html)
        return html
