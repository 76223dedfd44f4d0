"""The MkDocs plugin ``postmortems``: a thin adapter that feeds the core's output into a build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from pmarchive.analysis.figures import RiskWeights
from pmarchive.analysis.grouping import INDEX_KINDS, Groups, class_neighbours, group_records
from pmarchive.core.diagnostics import Severity
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.audience import AudienceError, for_audience, resolve_audience
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.docpages import check_doc_pages
from pmarchive.ingest.options import archive_config
from pmarchive.search.index import IndexBusyError, IndexIntegrityError, build_index
from pmarchive.search.searcher import ArchiveIndex
from pmarchive.site.charts import PLOTLY_ASSET, PLOTLY_JS
from pmarchive.site.export import combined_schema, json_schema, to_json
from pmarchive.site.index_pages import (
    IndexOptions,
    alias_redirects,
    all_index_pages,
    prior_incidents_section,
    recent_section,
)
from pmarchive.site.leaks import withheld_links, withheld_outputs
from pmarchive.site.listing import index_url
from pmarchive.site.record_page import (
    ASSETS,
    SITE_WIDE,
    THEME_OVERRIDES,
    render_record_page,
    search_page,
    template_environment,
)
from pmarchive.site.safety import plain_title, sanitize_html
from pmarchive.site.trend_pages import TrendContext, trend_pages

log = get_plugin_logger(__name__)

MAX_ERRORS_SHOWN = 200


class PostmortemsConfig(base.Config):
    postmortems_dir = c.Type(str, default="postmortems")
    """Folder of post-mortems, relative to mkdocs.yml."""
    nearmisses_dir = c.Type(str, default="nearmisses")
    """Folder of near-misses and weak signals, relative to mkdocs.yml."""
    taxonomy_dir = c.Type(str, default="taxonomy")
    """Folder of the taxonomy YAML files, relative to mkdocs.yml."""
    postmortem_id_pattern = c.Type(str, default=r"INC-\d{4}-\d{2}-\d{2}-\d{3}")
    """Regular expression every post-mortem id must match in full."""
    nearmiss_id_pattern = c.Type(str, default=r"NM-\d{4}-\d{2}-\d{2}-\d{3}")
    """Regular expression every near-miss id must match in full."""
    extra_fields = c.ListOfItems(c.Type(str), default=[])
    """Front-matter fields this organisation adds; any other unknown field is an error."""
    max_frontmatter_bytes = c.Type(int, default=64 * 1024)
    """Front-matter larger than this is refused before it is parsed."""
    max_nesting = c.Type(int, default=32)
    """Front-matter nested deeper than this is refused before it is parsed."""
    max_body_bytes = c.Type(int, default=1024 * 1024)
    """A record body larger than this (bytes) is refused with the size and the cap."""
    today = c.Optional(c.Type(str))
    """ISO date that 'in the future' is measured from (default: the build's day)."""
    same_class_limit = c.Type(int, default=20)
    """Records per class in an alert page's 'same class, different alert' lists."""
    recent_marker = c.Type(str, default="<!-- pmarchive:recent -->")
    """Where the home page gets its generated 'recent incidents' part."""
    search_index_dir = c.Type(str, default=".pmarchive/search-index")
    """Whoosh index, relative to mkdocs.yml; kept out of the site unless you put it there."""
    similar_limit = c.Type(int, default=5)
    """How many similar records each record page lists."""
    lints = c.Type(dict, default={})
    """Lint settings: ``disable: [rule, ...]``, phrases, max_action_items, secret_patterns..."""
    risk_weights = c.Type(dict, default={})
    """Risk-register weights: w_usd, w_count, w_sev, w_recent, recent_days, sev_weight."""
    audience = c.Choice(("public", "internal", "restricted"), default="internal")
    """Who the build is for; records above it appear nowhere in it. PMARCHIVE_AUDIENCE wins."""


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.archive: Archive | None = None
        self.groups: Groups | None = None
        self.core_config: ArchiveConfig | None = None
        self.index_dir = Path(".pmarchive/search-index")
        self.audience = "internal"
        self.dirty = False
        self.leaks: list[str] = []
        self.record_uris: set[str] = set()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        root = Path(config.config_file_path).resolve().parent
        try:
            self.core_config = archive_config(root, dict(self.config))
        except (TypeError, ValueError) as exc:
            raise PluginError(f"postmortems: {exc}") from None
        try:
            self.audience = resolve_audience(self.config.audience)
        except AudienceError as exc:
            raise PluginError(str(exc)) from None
        # one index per audience: a public build never reads or writes the internal index
        self.index_dir = root / self.config.search_index_dir / self.audience
        # Material's inline scripts, moved into an asset; after the site's custom_dir, so
        # overrides/ still wins.
        dirs = config.theme.dirs
        position = 1 if config.theme.custom_dir and dirs else 0
        if str(THEME_OVERRIDES) not in dirs:
            dirs.insert(position, str(THEME_OVERRIDES))
        for asset in SITE_WIDE:
            target = config.extra_css if asset.endswith(".css") else config.extra_javascript
            if asset not in [str(item) for item in target]:
                target.append(asset)
        return config

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.dirty = dirty

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.leaks = []
        if self.audience == "public" and self.dirty:
            raise PluginError(
                "a public build always starts from a clean site directory; drop --dirty"
            )

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        assert self.core_config is not None
        # before MkDocs reads any page: its libyaml parse of a hostile front-matter can crash
        self._check_doc_pages(Path(config.docs_dir))
        full = load_archive(self.core_config)
        for warning in full.warnings:
            log.warning(warning.format_text())
        for notice in full.notices:  # time-dependent or renamed: reported, never failing --strict
            log.info(notice.format_text())
        if full.errors:
            shown = [d.format_text() for d in full.errors[:MAX_ERRORS_SHOWN]]
            more = len(full.errors) - len(shown)
            tail = f"\n... and {more} more (run 'pmarchive check')" if more > 0 else ""
            raise PluginError(
                f"the archive has {len(full.errors)} error(s):\n" + "\n".join(shown) + tail
            )
        archive = self.archive = for_audience(full, self.audience)
        if archive.withheld:
            log.info("%d records withheld from the %s audience", archive.withheld, self.audience)
        custom_dir = config.theme.custom_dir
        env = template_environment([Path(custom_dir)] if custom_dir else [])
        by_id = archive.by_id()
        groups = self.groups = group_records(archive.records)

        def link(kind: str, key: str) -> str | None:
            if kind == "records":
                return by_id[key].url if key in by_id else None
            return index_url(kind, key) if kind in INDEX_KINDS else None

        try:
            stats = build_index(archive.records, self.index_dir)
            log.info("search index: %s", stats)
            archive_index = ArchiveIndex(self.index_dir)
            try:
                similar = archive_index.similar_all(by_id, self.config.similar_limit)
            finally:
                archive_index.close()  # `mkdocs serve` rebuilds must not pile up searchers
        except (IndexBusyError, IndexIntegrityError) as exc:
            raise PluginError(f"search index: {exc}") from None
        self.record_uris = set()
        for record in archive.records:
            content = render_record_page(
                record,
                archive.taxonomy,
                env,
                link,
                class_neighbours(groups, record),
                similar.get(record.id, []),
            )
            files.append(File.generated(config, record.src_uri, content=content))
            self.record_uris.add(record.src_uri)
        options = IndexOptions(
            same_class_limit=self.config.same_class_limit,
            doc_pages=frozenset(f.src_uri for f in files.documentation_pages()),
        )
        try:
            weights = RiskWeights(**self.config.risk_weights)
        except TypeError as exc:
            raise PluginError(f"postmortems: risk_weights: {exc}") from None
        trends = TrendContext(archive, self.core_config.effective_today(), weights)
        index_pages = all_index_pages(archive, options, groups, trends)
        index_pages.update(trend_pages(trends))
        for src_uri, content in index_pages.items():
            files.append(File.generated(config, src_uri, content=content))
        files.append(File.generated(config, PLOTLY_ASSET, abs_src_path=str(PLOTLY_JS)))
        for src_uri, text in data_files(archive).items():
            files.append(File.generated(config, src_uri, content=text))
        files.append(File.generated(config, "search.md", content=search_page()))
        for asset, data in ASSETS.items():
            files.append(File.generated(config, asset, content=data))
        for src_uri, content in alias_redirects(archive).items():
            if files.get_file_from_path(src_uri) is None:
                files.append(File.generated(config, src_uri, content=content))
        log.info(
            "%d post-mortems and %d near-misses added",
            len(archive.postmortems),
            len(archive.nearmisses),
        )
        return files

    def _check_doc_pages(self, docs_dir: Path) -> None:
        assert self.core_config is not None
        found = check_doc_pages(docs_dir, self.core_config.root, self.core_config)
        for diagnostic in found:
            if diagnostic.severity is Severity.WARNING:
                log.warning(diagnostic.format_text())
            elif diagnostic.severity is Severity.NOTICE:
                log.info(diagnostic.format_text())
        errors = [d for d in found if d.severity is Severity.ERROR]
        if errors:
            shown = [d.format_text() for d in errors[:MAX_ERRORS_SHOWN]]
            raise PluginError(f"the docs pages have {len(errors)} error(s):\n" + "\n".join(shown))

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.archive is None or self.groups is None:
            return markdown
        src = page.file.src_uri
        marker = self.config.recent_marker
        if marker and marker in markdown:
            markdown = markdown.replace(marker, recent_section(self.archive, src))
        alerts = page.meta.get("alerts") if src not in self.record_uris else None
        if isinstance(alerts, list) and alerts:
            names = [str(name) for name in alerts]
            unknown = [n for n in names if n not in self.archive.taxonomy.alerts]
            for name in unknown:
                log.warning("%s: alerts: unknown alert '%s'", src, name)
            known = [n for n in names if n in self.archive.taxonomy.alerts]
            markdown += "\n\n" + prior_incidents_section(self.archive, self.groups, known, src)
        return markdown

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        # Titles are plain text on every page: Material's `striptags` would unescape markup.
        if page.title is not None:
            page.title = plain_title(page.title)
            if "title" in page.meta:
                page.meta["title"] = page.title
        if page.file.src_uri in self.record_uris:
            html = sanitize_html(html)  # record bodies may hold raw HTML: allow-list only
        # MkDocs only logs links to missing pages at INFO level; a link to a withheld record
        # would tell the reader it exists, so it fails the build.
        if self.archive is not None and self.archive.withheld_ids:
            for target in withheld_links(html, self.archive.withheld_ids):
                self.leaks.append(
                    f"{page.file.src_uri} links to {target}, "
                    f"a record withheld from the {self.audience} audience"
                )
        return html

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        # A --dirty rebuild keeps old files: a record just withheld from this audience must
        # not stay published by its page from an earlier build.
        if self.archive is not None and self.archive.withheld_ids:
            for path in withheld_outputs(Path(config.site_dir), self.archive.withheld_ids):
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                log.info("removed %s: withheld from the %s audience", path, self.audience)
        if self.leaks:
            raise PluginError("\n".join(self.leaks))

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        # Records are reached through index pages and search; a nav entry per record would be
        # rendered into every page and make the build quadratic.
        nav.items = _without_records(nav.items, self.record_uris)
        nav.pages = [page for page in nav.pages if page.file.src_uri not in self.record_uris]
        return nav

    def on_serve(self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any) -> None:
        if self.core_config is None:
            return
        for folder in (
            self.core_config.postmortems_path,
            self.core_config.nearmisses_path,
            self.core_config.taxonomy_path,
        ):
            if folder.is_dir():
                server.watch(str(folder))


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


def _without_records(items: list[Any], record_uris: set[str]) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if isinstance(item, Page) and item.file.src_uri in record_uris:
            continue
        if isinstance(item, Section):
            item.children = _without_records(item.children, record_uris)
            if not item.children:
                continue
        kept.append(item)
    return kept
