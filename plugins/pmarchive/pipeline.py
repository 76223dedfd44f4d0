"""One run of the archive's pipeline, without MkDocs: load and check, choose the audience, index,
and generate every page, data file and asset of the site.

The MkDocs plugin hands the result to MkDocs as generated files; ``pmarchive render`` writes it
to a folder, so the archive can move to another static site generator. Both call ``generate``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from pmarchive.analysis.grouping import Groups, class_neighbours, group_records
from pmarchive.ingest.archive import Archive
from pmarchive.ingest.audience import for_audience
from pmarchive.model.records import AnyRecord
from pmarchive.search.index import IndexStats, build_index
from pmarchive.search.results import Hit
from pmarchive.search.searcher import ArchiveIndex
from pmarchive.settings import Settings
from pmarchive.site.charts import PLOTLY_ASSET, PLOTLY_JS
from pmarchive.site.export import combined_schema, json_schema, to_json
from pmarchive.site.index_pages import IndexOptions, alias_redirects, all_index_pages
from pmarchive.site.listing import page_sources
from pmarchive.site.record_page import (
    ASSETS,
    SIMILAR_SLOT,
    record_header,
    record_page_source,
    search_page,
    similar_records_block,
    template_environment,
    with_header,
)
from pmarchive.site.safety import sanitize_html
from pmarchive.site.templating import DEFAULT_ENVIRONMENT, Fragments, page_environment
from pmarchive.site.trend_pages import TrendContext, trend_pages
from pmarchive.site.urls import DIRECTORY_URLS, Linker


@dataclass
class Generated:
    """Everything one run adds to a site, by path inside the site's source or output."""

    archive: Archive
    """The archive as the build's audience may see it."""
    groups: Groups
    pages: dict[str, str] = field(default_factory=dict)
    """Markdown source of every generated page (records first), by source path."""
    record_uris: frozenset[str] = frozenset()
    """Source paths of the record pages among ``pages``."""
    render_header: Callable[[str], str] | None = None
    """A record page's sanitised HTML header block by source path (it goes in front of the
    page's rendered body: ``pages`` holds only the meta and the body of a record), with
    ``SIMILAR_SLOT`` where its similar records go (``header`` fills it)."""
    render_similar: Callable[[str, Mapping[str, list[Hit]]], str] | None = None
    """A record page's list of similar records on its own, sanitised (for ``similar_blocks``)."""
    pending_index: Callable[[], tuple[dict[str, list[Hit]], IndexStats]] | None = None
    """The search index and the similar records, while another process builds them; None once
    ``finish_index`` has them."""
    index_done: Callable[[], bool] = lambda: True
    """Whether ``finish_index`` would return at once (the other process has finished)."""
    similar: dict[str, list[Hit]] | None = None
    """Each record's similar records, by id, once known."""
    similar_marker: str = ""
    """What a header rendered before the similar records were known holds in their place:
    an HTML comment with a token of this build, which no record body can spell (the sanitiser
    drops comments) and ``fill_similar`` replaces."""
    late_similar: set[str] = field(default_factory=set)
    """Record pages whose header holds ``similar_marker``."""
    data_files: dict[str, str] = field(default_factory=dict)
    """/data/: the audience's dataset and the JSON Schema of the front-matter."""
    assets: dict[str, bytes] = field(default_factory=dict)
    """Stylesheets and scripts the site loads, by site path."""
    static_files: dict[str, Path] = field(default_factory=dict)
    """Files copied as they are (plotly.js from its package), by site path."""
    redirects: dict[str, str] = field(default_factory=dict)
    """HTML pages at old URLs (aliases of renamed classes and factors), by site path."""
    fragments: Fragments = field(default_factory=Fragments)
    """The HTML record tables and cards of the generated index pages, which ``pages`` hold as
    placeholder lines: the plugin puts them in the rendered HTML (``Fragments.substitute``),
    ``write_generated`` into the Markdown. Its ``linker`` is the build's."""
    index_stats: IndexStats | None = None
    pages_env: jinja2.Environment = DEFAULT_ENVIRONMENT
    """The page templates of this build (the site's overrides first), for hand-written pages'
    generated parts (recent records, prior incidents)."""

    def finish_index(self) -> IndexStats | None:
        """Wait for the search index and the similar records if another process builds them
        (its errors are raised here)."""
        if self.pending_index is not None:
            pending, self.pending_index = self.pending_index, None
            self.similar, self.index_stats = pending()
        return self.index_stats

    def header(self, src_uri: str) -> str:
        """A record page's header. While the similar records are still being computed, it holds
        ``similar_marker`` in their place, and ``similar_blocks`` has them later."""
        assert self.render_header is not None and self.render_similar is not None
        header = self.render_header(src_uri)
        if self.similar is None:
            self.late_similar.add(src_uri)
            return header.replace(SIMILAR_SLOT, self.similar_marker, 1)
        return fill_similar(header, SIMILAR_SLOT, self.render_similar(src_uri, self.similar))

    def similar_blocks(self) -> dict[str, str]:
        """The similar records of each page whose header got ``similar_marker``, as the HTML
        that replaces it (empty for a record with none); waits for the index."""
        self.finish_index()
        assert self.similar is not None and self.render_similar is not None
        return {uri: self.render_similar(uri, self.similar) for uri in sorted(self.late_similar)}


def fill_similar(text: str, marker: str, block: str) -> str:
    """A record's header or written page with its similar records (``block``, maybe empty) in
    place of ``marker``; no blank line is left (it would end a Markdown raw-HTML block)."""
    if not block:
        return text.replace(marker + "\n", "", 1).replace(marker, "", 1)
    return text.replace(marker, block, 1)


def data_files(archive: Archive) -> dict[str, str]:
    """/data/: the audience's dataset and the JSON Schema of the front-matter."""
    extra = archive.config.extra_fields
    schemas = {
        "data/schema.json": combined_schema(archive.taxonomy, extra),
        "data/schema-postmortem.json": json_schema("postmortem", archive.taxonomy, extra),
        "data/schema-nearmiss.json": json_schema("nearmiss", archive.taxonomy, extra),
    }
    return {
        "data/postmortems.json": to_json(archive.postmortems),
        "data/nearmisses.json": to_json(archive.nearmisses),
        **{path: json.dumps(schema, indent=2) + "\n" for path, schema in schemas.items()},
    }


def similar_records(
    records: Sequence[AnyRecord], index_dir: Path, limit: int
) -> tuple[dict[str, list[Hit]], IndexStats]:
    """Bring the audience's index up to date and list each record's similar records.

    A module-level function of picklable arguments, so a build can run it in a second process
    (``generate``'s ``background``) while it renders the other pages.
    """
    stats = build_index(records, index_dir)
    searcher = ArchiveIndex(index_dir)
    try:
        similar = searcher.similar_all([record.id for record in records], limit)
    finally:
        searcher.close()  # `mkdocs serve` rebuilds must not pile up open searchers
    return similar, stats


def generate(
    full: Archive,
    settings: Settings,
    audience: str,
    *,
    template_dirs: Sequence[Path] = (),
    doc_pages: frozenset[str] | None = None,
    linker: Linker = DIRECTORY_URLS,
    background: Executor | None = None,
) -> Generated:
    """Every page, data file and asset of the site for ``audience``, from a checked archive.

    ``full`` must have no errors. ``template_dirs`` (the theme's ``custom_dir``) come before
    the package's templates; ``doc_pages`` are the site's hand-written pages, which index pages
    may link to (runbooks). ``linker`` makes the links in raw HTML (record headers, chart
    scripts, redirects) in the build's URL mode; the plugin passes MkDocs' own.

    With ``background`` (an executor of another process), the search index and the similar
    records are computed there while the caller goes on: a record header asked for before
    they are known holds ``Generated.similar_marker`` in their place, which the caller replaces
    in the written page with ``Generated.similar_blocks()`` (``fill_similar``).
    """
    archive = for_audience(full, audience)
    groups = group_records(archive.records)
    link = page_sources(archive.by_id())
    env = template_environment(list(template_dirs))
    pages_env = page_environment(list(template_dirs))

    index_args = (archive.records, settings.index_dir(audience), settings.similar_limit)
    job = background.submit(similar_records, *index_args) if background is not None else None
    fragments = Fragments(linker, deferred=True)
    result = Generated(archive=archive, groups=groups, pages_env=pages_env, fragments=fragments)
    for record in archive.records:
        result.pages[record.src_uri] = record_page_source(record)
    by_uri = {record.src_uri: record for record in archive.records}

    def render_header(src_uri: str) -> str:
        record = by_uri[src_uri]
        neighbours = class_neighbours(groups, record)
        header = record_header(
            record, archive.taxonomy, env, link, neighbours, linker=linker, similar_slot=True
        )
        return sanitize_html(header)

    def render_similar(src_uri: str, similar: Mapping[str, list[Hit]]) -> str:
        record = by_uri[src_uri]
        block = similar_records_block(record, similar.get(record.id, []), env, link, linker)
        return sanitize_html(block)

    def index() -> tuple[dict[str, list[Hit]], IndexStats]:
        try:
            return job.result() if job is not None else similar_records(*index_args)
        except BrokenProcessPool:  # the process could not start or died: do it here instead
            return similar_records(*index_args)

    result.render_header, result.render_similar = render_header, render_similar
    result.pending_index = index
    if job is not None:
        result.index_done = job.done
    result.similar_marker = f"<!--pm-similar-{secrets.token_hex(16)}-->"
    if job is None:
        result.finish_index()
    result.record_uris = frozenset(result.pages)
    options = IndexOptions(same_class_limit=settings.same_class_limit, doc_pages=doc_pages)
    trends = TrendContext(
        archive,
        settings.archive.today,
        settings.risk_weights,
        linker,
        env=pages_env,
        window=settings.trend_window_quarters,
    )
    result.pages.update(
        all_index_pages(archive, options, groups, trends, env=pages_env, fragments=fragments)
    )
    result.pages.update(trend_pages(trends))
    result.pages["search.md"] = search_page(pages_env)
    result.data_files = data_files(archive)
    result.assets = dict(ASSETS)
    result.static_files = {PLOTLY_ASSET: PLOTLY_JS}
    result.redirects = alias_redirects(archive, linker)
    return result


def write_generated(generated: Generated, out: Path) -> list[Path]:
    """Write every generated page, data file, asset and redirect under ``out`` (for ``render``).

    Pages keep their source paths (Markdown with front-matter); the rest keep their site
    paths. Existing files are replaced only inside ``out``, which the caller made for it.
    """
    written: list[Path] = []
    generated.finish_index()

    def put(rel: str, data: bytes) -> None:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)

    for rel, text in generated.pages.items():
        if rel in generated.record_uris:  # one Markdown file per record, its header block first
            text = with_header(text, generated.header(rel))
        elif rel in generated.fragments:  # index pages: tables and cards as raw-HTML blocks
            text = generated.fragments.inline(rel, text)
        put(rel, text.encode("utf-8"))
    for rel, text in generated.data_files.items():
        put(rel, text.encode("utf-8"))
    for rel, blob in generated.assets.items():
        put(rel, blob)
    for rel, path in generated.static_files.items():
        put(rel, path.read_bytes())
    for rel, text in generated.redirects.items():
        put(rel, text.encode("utf-8"))
    return written
