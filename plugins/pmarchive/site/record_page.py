"""Render record pages from validated records: the Markdown source and the HTML header block."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
import yaml

from pmarchive.model.frontmatter import HEADER_ROWS, item_columns
from pmarchive.model.records import AnyRecord, PostMortem
from pmarchive.model.taxonomy import Taxonomy
from pmarchive.site.safety import plain_title, safe_url
from pmarchive.site.urls import DIRECTORY_URLS, Linker

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
PACKAGE_ASSETS = Path(__file__).parent / "assets"
THEME_OVERRIDES = Path(__file__).parent / "theme"
"""Theme partials the plugin replaces (Material's inline scripts, loaded from an asset)."""
ASSETS: dict[str, bytes] = {
    f"assets/pmarchive/{path.name}": path.read_bytes()
    for path in sorted(PACKAGE_ASSETS.glob("*"))
    if path.suffix in (".css", ".js")
}
"""Stylesheets and scripts the plugin adds to every site, by their path in the site."""
SITE_WIDE = (
    "assets/pmarchive/pmarchive.css",
    "assets/pmarchive/cards.css",
    "assets/pmarchive/registers.css",
    "assets/pmarchive/search.css",
    "assets/pmarchive/search.js",
)
"""The assets every page loads; charts.js loads only on pages with charts, and fetches plotly.js
when a chart nears the screen."""

LinkResolver = Callable[[str, str], "str | None"]
"""(index kind or 'records', key) -> source path of the page the header links to, or None when
it has none (``listing.page_sources``)."""


def no_links(kind: str, key: str) -> str | None:
    return None


def template_environment(search_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """Jinja with autoescape on: every front-matter value is text, never markup.

    ``search_dirs`` (such as the site's ``overrides/``) come before the package's templates, so
    ``overrides/pmarchive/record_header.html`` replaces the shipped header block.
    """
    loaders: list[jinja2.BaseLoader] = [
        jinja2.FileSystemLoader([str(d) for d in search_dirs if d.is_dir()]),
        jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)),
    ]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = format_seconds
    env.filters["money"] = format_money
    env.filters["stamp"] = format_stamp
    env.filters["safe_url"] = safe_url
    return env


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds)
    if total < 120:
        return f"{total} s"
    minutes = round(total / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_money(amount: float | None) -> str:
    if amount is None:
        return ""
    return f"${amount:,.0f}"


def format_stamp(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _page_meta(record: AnyRecord) -> str:
    # Material prints page.meta.title and .description into the page unescaped, so the values
    # we hand it are already HTML-escaped text.
    meta: dict[str, Any] = {
        "title": plain_title(f"{record.id}: {record.title}"),
        "pmarchive_record": record.id,
        # Material's in-browser index would hold every record and every page would fetch it
        # (about 100 MB at 20,000 records): records are found through /search/ instead.
        "search": {"exclude": True},
    }
    if record.summary:
        meta["description"] = plain_title(record.summary)
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1_000_000)


def record_page_source(record: AnyRecord) -> str:
    """The Markdown source MkDocs renders for a record's page: its meta, then the body.

    The header block is not in it: Python-Markdown would parse its HTML once more on every
    build (the raw-HTML stash), which cost more than the body itself. The plugin puts the header
    (``record_header``) in front of the rendered body instead.
    """
    return f"---\n{_page_meta(record)}---\n\n{record.body}"


def record_header(
    record: AnyRecord,
    taxonomy: Taxonomy,
    env: jinja2.Environment,
    link: LinkResolver = no_links,
    neighbours: Sequence[object] = (),
    similar: Sequence[object] = (),
    linker: Linker = DIRECTORY_URLS,
    *,
    similar_slot: bool = False,
) -> str:
    """The HTML header block of a record's page (its h1, badges, fields and related records).

    The header is raw HTML, which MkDocs does not rewrite: ``linker`` turns the source paths
    ``link`` gives into URLs in the build's URL mode.

    With ``similar_slot``, the similar records are left out and ``SIMILAR_SLOT`` stands where
    they go: a build that computes them in another process fills it in later
    (``similar_records_block``), so no page waits for them.
    """
    context: dict[str, Any] = {
        "record": record,
        "is_postmortem": isinstance(record, PostMortem),
        "taxonomy": taxonomy,
        "level": taxonomy.severity.get(record.sev) if isinstance(record, PostMortem) else None,
        "href": _href(record, link, linker),
        "neighbours": neighbours,
        "similar": similar,
        "similar_slot": similar_slot,
        "rows": HEADER_ROWS[record.record_type],
        "item_columns": item_columns(),
    }
    return _one_block(env.get_template("pmarchive/record_header.html").render(context))


SIMILAR_SLOT = '<div class="pm-similar-slot"></div>'
"""What a header rendered with ``similar_slot`` holds where its similar records go (as the
sanitiser leaves it; a record's own values are escaped, so none can spell it)."""


def similar_records_block(
    record: AnyRecord,
    similar: Sequence[object],
    env: jinja2.Environment,
    link: LinkResolver = no_links,
    linker: Linker = DIRECTORY_URLS,
) -> str:
    """The header's list of similar records on its own (empty when there are none)."""
    if not similar:
        return ""
    context = {"similar": similar, "href": _href(record, link, linker)}
    return _one_block(env.get_template("pmarchive/similar_records.html").render(context))


def _href(
    record: AnyRecord, link: LinkResolver, linker: Linker
) -> Callable[[str, str], str | None]:
    def href(kind: str, key: str) -> str | None:
        target = link(kind, key)
        return linker(record.src_uri, target) if target is not None else None

    return href


def _one_block(html: str) -> str:
    # Blank lines would end Markdown's raw-HTML block early (``pmarchive render`` writes the
    # header into the Markdown); the header is one block either way.
    return "\n".join(line for line in html.splitlines() if line.strip())


def with_header(source: str, header: str) -> str:
    """A record page's Markdown ``source`` (``record_page_source``) with ``header`` as its first
    block: the whole page as one Markdown file, for ``pmarchive render`` and other generators."""
    meta_end = source.index("\n---\n", 3) + len("\n---\n")  # a YAML dump has no such line
    return f"{source[:meta_end]}\n{header}\n{source[meta_end:]}"


def render_record_page(
    record: AnyRecord,
    taxonomy: Taxonomy,
    env: jinja2.Environment,
    link: LinkResolver = no_links,
    neighbours: Sequence[object] = (),
    similar: Sequence[object] = (),
    linker: Linker = DIRECTORY_URLS,
) -> str:
    """The whole Markdown source of a record's page: meta, header block, then the body."""
    header = record_header(record, taxonomy, env, link, neighbours, similar, linker)
    return with_header(record_page_source(record), header)


def search_page(env: jinja2.Environment | None = None) -> str:
    """The /search/ page: a box, facets and results, filled by assets/pmarchive/search.js.

    It renders from page template ``search.md``, found through ``env`` (the site's custom_dir
    first); by default the package's own.
    """
    # templating imports listing, which imports this module: import it when the page is made
    from pmarchive.site.templating import DEFAULT_ENVIRONMENT, render_page

    return render_page(env or DEFAULT_ENVIRONMENT, "search")
