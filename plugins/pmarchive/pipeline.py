"""One run of the archive's pipeline, without MkDocs: load and check, choose the audience, index,
and generate every page, data file and asset of the site.

The MkDocs plugin hands the result to MkDocs as generated files; ``pmarchive render`` writes it
to a folder, so the archive can move to another static site generator. Both call ``generate``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
    record_header,
    record_page_source,
    search_page,
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
    headers: dict[str, str] = field(default_factory=dict)
    """The HTML header block of each record page, by source path, sanitised: it goes in front
    of the page's rendered body (``pages`` holds only the meta and the body of a record).
    Empty until ``finish_headers`` ran (``header`` runs it)."""
    pending_headers: Callable[[], tuple[dict[str, str], IndexStats]] | None = None
    """The header pass, waiting for the search index (similar records) when it is built in
    another process; None once done."""
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

    def finish_headers(self) -> IndexStats | None:
        """Wait for the search index if it is being built elsewhere, then render every record
        header in one pass (errors of the index build are raised here)."""
        if self.pending_headers is not None:
            pending, self.pending_headers = self.pending_headers, None
            self.headers, self.index_stats = pending()
        return self.index_stats

    def header(self, src_uri: str) -> str:
        """A record page's header, handed out once (the build lets go of it afterwards)."""
        self.finish_headers()
        return self.headers.pop(src_uri, "")


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
    records are computed there while the caller goes on: the record headers, which list similar
    records, are then rendered by ``Generated.finish_headers`` (or the first ``header`` call).
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

    def headers() -> tuple[dict[str, str], IndexStats]:
        try:
            similar, stats = job.result() if job is not None else similar_records(*index_args)
        except BrokenProcessPool:  # the process could not start or died: do it here instead
            similar, stats = similar_records(*index_args)
        rendered: dict[str, str] = {}
        for record in archive.records:
            header = record_header(
                record,
                archive.taxonomy,
                env,
                link,
                class_neighbours(groups, record),
                similar.get(record.id, []),
                linker=linker,
            )
            rendered[record.src_uri] = sanitize_html(header)
        return rendered, stats

    result.pending_headers = headers
    if job is None:
        result.finish_headers()
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
    generated.finish_headers()

    def put(rel: str, data: bytes) -> None:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)

    for rel, text in generated.pages.items():
        if rel in generated.headers:  # one Markdown file per record, its header block first
            text = with_header(text, generated.headers[rel])
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
