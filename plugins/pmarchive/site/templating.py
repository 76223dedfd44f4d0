"""Generated Markdown pages from Jinja templates that a site's ``overrides/`` can replace.

Templates live in the package under ``templates/pmarchive/pages/`` and are looked up after the
site's ``custom_dir``: ``overrides/pmarchive/pages/class.md`` replaces the shipped class page.
Everything a template prints is text: a value is Markdown- and HTML-escaped (``md_text``) unless
the page code hands it over as a ready fragment (``markupsafe.Markup``: a table, a chart, a
link it built from escaped parts). So an override cannot forget to escape a taxonomy title.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pmarchive.site.listing import md_text

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
