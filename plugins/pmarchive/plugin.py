"""The MkDocs plugin ``postmortems``: a thin adapter that feeds the core's output into a build.

Each hook is one step: ``on_config`` reads the options (declared once, in ``settings.py``),
``on_files`` checks the docs pages and the archive and adds what ``pipeline.generate`` made,
``on_nav`` keeps records out of the navigation, ``on_page_markdown`` fills the generated parts
of hand-written pages, ``on_page_content`` makes titles plain text, sanitises record bodies and
collects links to withheld records, ``on_post_build`` removes withheld pages, fails on leaks and
writes the static search index.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import BaseConfigOption
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.templates import TemplateContext

from pmarchive.core.diagnostics import Diagnostic, Severity
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.audience import AudienceError, resolve_audience
from pmarchive.ingest.cache import RecordCache
from pmarchive.ingest.docpages import check_doc_pages
from pmarchive.ingest.runbooks import check_runbooks
from pmarchive.model.records import AnyRecord
from pmarchive.pipeline import Generated, fill_similar, generate
from pmarchive.search.index import IndexBusyError, IndexIntegrityError
from pmarchive.settings import PLUGIN_OPTIONS, PluginOption, Settings, SettingsError, read_settings
from pmarchive.site.index_pages import not_found_context, prior_incidents_section, recent_section
from pmarchive.site.leaks import withheld_links, withheld_outputs
from pmarchive.site.record_page import SITE_WIDE, THEME_OVERRIDES
from pmarchive.site.safety import plain_title, sanitize_html
from pmarchive.site.static_search import StaticSearchError, build_static_index
from pmarchive.site.templating import FragmentError, Fragments, retired_overrides
from pmarchive.site.urls import Linker, site_linker

log = get_plugin_logger(__name__)

MAX_ERRORS_SHOWN = 200
CACHE_FOLDER = ".pmarchive-cache"
"""Build caches beside mkdocs.yml (ignored by git), apart from the audience's ``.pmarchive/``."""


def _config_option(option: PluginOption) -> BaseConfigOption[Any]:
    """The MkDocs config option for one entry of the plugin's options table."""
    if option.choices:
        return c.Choice(option.choices, default=option.default)
    if option.kind is list:
        return c.ListOfItems(c.Type(str), default=list(option.default))
    if option.optional:  # `today`; unquoted in YAML it reaches the plugin as a date
        return c.Optional(c.Type((str, dt.date)))
    if option.kind is dict:
        return c.Type(dict, default=dict(option.default))
    return c.Type(option.kind, default=option.default)


class PostmortemsConfig(base.Config):
    """The plugin's options, built from ``settings.PLUGIN_OPTIONS`` (one declaration each)."""

    locals().update({option.name: _config_option(option) for option in PLUGIN_OPTIONS})


def _report(diagnostics: Sequence[Diagnostic], what: str) -> None:
    """Warnings through the plugin logger (--strict fails on them), notices as info; errors
    stop the build with every one of them listed (up to MAX_ERRORS_SHOWN)."""
    for diagnostic in diagnostics:
        if diagnostic.severity is Severity.WARNING:
            log.warning(diagnostic.format_text())
        elif diagnostic.severity is Severity.NOTICE:  # time-dependent or renamed: never fails
            log.info(diagnostic.format_text())
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        shown = [d.format_text() for d in errors[:MAX_ERRORS_SHOWN]]
        more = len(errors) - len(shown)
        tail = f"\n... and {more} more (run 'pmarchive check')" if more > 0 else ""
        raise PluginError(f"{what} {len(errors)} error(s):\n" + "\n".join(shown) + tail)


def mkdocs_linker(config: MkDocsConfig, files: Files) -> Linker:
    """Links in the core's raw HTML by MkDocs' own rules: File.url and get_relative_url."""

    urls: dict[str, str] = {}  # every record header links to the same few dozen pages

    def url(src_uri: str) -> str:
        found = urls.get(src_uri)
        if found is None:
            file = files.get_file_from_path(src_uri)
            if file is None:  # generated later in this build: MkDocs puts it where File says
                file = File(src_uri, None, config.site_dir, config.use_directory_urls)
            found = urls[src_uri] = file.url
        return found

    def link(from_src: str, to_src: str) -> str:
        return get_relative_url(url(to_src), url(from_src))

    return link


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.generated: Generated | None = None
        self.audience = "internal"
        self.dirty = False
        self.leaks: list[str] = []
        self.index_process: ProcessPoolExecutor | None = None
        self.packed: dict[str, bytes] = {}
        """Record pages' HTML between rendering and writing, compressed (``_pack_record``)."""

    @property
    def enabled(self) -> bool:
        return self.settings is not None and self.settings.enabled

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        root = Path(config.config_file_path).resolve().parent
        try:
            self.settings = read_settings(root, dict(self.config))
            self.audience = resolve_audience(self.settings.audience)
        except (SettingsError, AudienceError) as exc:
            raise PluginError(f"postmortems: {exc}") from None
        if not self.settings.enabled:
            return config
        # Material's inline scripts, moved into an asset; after custom_dir, so overrides/ wins
        dirs = config.theme.dirs
        if str(THEME_OVERRIDES) not in dirs:
            dirs.insert(1 if config.theme.custom_dir and dirs else 0, str(THEME_OVERRIDES))
        for asset in SITE_WIDE:
            target = config.extra_css if asset.endswith(".css") else config.extra_javascript
            if asset not in [str(item) for item in target]:
                target.append(asset)
        return config

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.dirty = dirty

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.leaks = []
        self.packed = {}
        self.generated = None
        self._stop_index_process()
        if self.enabled and self.audience == "public" and self.dirty:
            raise PluginError(
                "a public build always starts from a clean site directory; drop --dirty"
            )

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        if not self.enabled:
            return files
        assert self.settings is not None
        core = self.settings.archive
        # before MkDocs reads any page: its libyaml parse of a hostile front-matter can crash
        _report(check_doc_pages(Path(config.docs_dir), core.root, core), "the docs pages have")
        cache = _record_cache(self.settings, Path(config.docs_dir))
        full = load_archive(core, cache)
        if cache is not None:
            log.info("records: %d unchanged (cached), %d read", cache.hits, cache.misses)
        _report(full.diagnostics, "the archive has")
        docs_pages = [f.src_uri for f in files if f.generated_by is None]
        _report(
            check_runbooks(full.taxonomy, core.taxonomy_path, Path(config.docs_dir), core.root,
                           pages=docs_pages),
            "the runbooks have",
        )  # fmt: skip
        custom_dir = config.theme.custom_dir
        for retired in retired_overrides([Path(custom_dir)] if custom_dir else []):
            log.warning(retired)
        # The Whoosh index (and similar records) is built on the second core while MkDocs
        # renders every page; record pages get their similar records after the build
        # (on_post_build), so no page waits for it.
        if (os.cpu_count() or 1) > 1:
            context = _process_context(len(full.records))
            self.index_process = ProcessPoolExecutor(max_workers=1, mp_context=context)
        try:
            generated = self.generated = generate(
                full,
                self.settings,
                self.audience,
                template_dirs=[Path(custom_dir)] if custom_dir else [],
                doc_pages=frozenset(f.src_uri for f in files.documentation_pages()),
                linker=mkdocs_linker(config, files),
                background=self.index_process,
            )
        except (IndexBusyError, IndexIntegrityError) as exc:
            raise PluginError(f"search index: {exc}") from None
        if generated.archive.withheld:
            log.info("%d records withheld from the %s audience", generated.archive.withheld,
                     self.audience)  # fmt: skip
        records = generated.record_uris
        pages = sorted(generated.pages.items(), key=lambda item: item[0] in records)
        for src_uri, text in [*pages, *generated.data_files.items()]:
            files.append(File.generated(config, src_uri, content=text))
        for src_uri, blob in generated.assets.items():
            files.append(File.generated(config, src_uri, content=blob))
        for src_uri, path in generated.static_files.items():
            files.append(File.generated(config, src_uri, abs_src_path=str(path)))
        for src_uri, text in generated.redirects.items():
            if files.get_file_from_path(src_uri) is None:  # a hand-written page wins
                files.append(File.generated(config, src_uri, content=text))
        return files

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        # Records are reached through index pages and search; a nav entry per record would be
        # rendered into every page and make the build quadratic.
        if self.generated is not None:
            records = self.generated.record_uris
            nav.items = _without_records(nav.items, records)
            nav.pages = [page for page in nav.pages if page.file.src_uri not in records]
        return nav

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.generated is None or self.settings is None:
            return markdown
        archive, src = self.generated.archive, page.file.src_uri
        # a hand-written page's generated parts: their HTML tables and cards written in
        inline = Fragments(self.generated.fragments.linker)
        env = self.generated.pages_env
        marker = self.settings.recent_marker
        if marker and marker in markdown:
            recent = recent_section(archive, src, env=env, fragments=inline)
            markdown = markdown.replace(marker, recent)
        alerts = page.meta.get("alerts") if src not in self.generated.record_uris else None
        if isinstance(alerts, list) and alerts:
            names = [str(name) for name in alerts]
            for name in names:
                if name not in archive.taxonomy.alerts:
                    log.warning("%s: alerts: unknown alert '%s'", src, name)
            known = [n for n in names if n in archive.taxonomy.alerts]
            markdown += "\n\n" + prior_incidents_section(
                archive, self.generated.groups, known, src, env=env, fragments=inline
            )
        return markdown

    # MkDocs renders every page before it writes any, so the whole archive's HTML would be held
    # at once: the build's peak memory. A record page's HTML waits compressed instead (about a
    # quarter of its size), from the last on_page_content handler of every plugin to the first
    # on_page_context one, and is let go of once the page is written.

    @event_priority(-100)
    def _pack_record(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.generated is None or page.file.src_uri not in self.generated.record_uris:
            return html
        self.packed[page.file.src_uri] = zlib.compress(html.encode("utf-8"), 1)
        page.markdown = None  # read once, by the render that made ``html``
        return ""

    @event_priority(100)
    def _unpack_record(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext | None:
        packed = self.packed.pop(page.file.src_uri, None)
        if packed is not None:
            page.content = zlib.decompress(packed).decode("utf-8")
        return context

    @event_priority(-100)
    def _release_record(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        if self.generated is not None and page.file.src_uri in self.generated.record_uris:
            page.content = None  # written once this returns; anchors are checked without it
        return output

    on_page_context = CombinedEvent(_unpack_record)
    on_post_page = CombinedEvent(_release_record)

    def _on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if not self.enabled:
            return html
        # Titles are plain text on every page: Material's `striptags` would unescape markup.
        if page.title is not None:
            page.title = plain_title(page.title)
            if "title" in page.meta:
                page.meta["title"] = page.title
        if self.generated is None:
            return html
        src = page.file.src_uri
        if src in self.generated.record_uris:
            html = sanitize_html(html)  # record bodies may hold raw HTML: allow-list only
            # the header (sanitised, with the record's h1) comes first, outside Markdown
            html = self._record_header(src) + "\n" + html
        elif src in self.generated.fragments:  # a generated index page: its tables and cards
            try:
                html = self.generated.fragments.substitute(src, html)
            except FragmentError as exc:
                raise PluginError(str(exc)) from None
        # MkDocs only logs links to missing pages at INFO level; a link to a withheld record
        # would tell the reader it exists, so it fails the build.
        for target in withheld_links(html, self.generated.archive.withheld_ids):
            self.leaks.append(
                f"{page.file.src_uri} links to {target}, "
                f"a record withheld from the {self.audience} audience"
            )
        return html

    on_page_content = CombinedEvent(_on_page_content, _pack_record)

    def on_template_context(
        self, context: TemplateContext, /, *, template_name: str, config: MkDocsConfig
    ) -> TemplateContext | None:
        # theme/404.html lists every alert with a page and offers a search for an unknown one
        if template_name == "404.html" and self.generated is not None:
            linker = site_linker(config.use_directory_urls)
            cast(dict[str, Any], context)["pmarchive_404"] = not_found_context(
                self.generated.archive, linker
            )
        return context

    def _record_header(self, src_uri: str) -> str:
        assert self.generated is not None
        try:
            return self.generated.header(src_uri)
        except Exception as exc:  # an index built in-process (one core) that failed
            self._stop_index_process()
            raise PluginError(f"search index: {exc or type(exc).__name__}") from None

    def _finish_index(self) -> dict[str, str]:
        """Wait for the search index and similar records from the second process; the similar
        records of each page written before they were known, by source path."""
        assert self.generated is not None
        try:
            stats = self.generated.finish_index()
            blocks = self.generated.similar_blocks()
        except Exception as exc:  # raised in the index process, or that process died
            raise PluginError(f"search index: {exc or type(exc).__name__}") from None
        finally:
            self._stop_index_process()
        log.info("search index: %s", stats)
        return blocks

    def _stop_index_process(self) -> None:
        if self.index_process is not None:
            self.index_process.shutdown(wait=True, cancel_futures=True)
            self.index_process = None

    def on_build_error(self, *, error: Exception) -> None:
        self._stop_index_process()

    def on_shutdown(self) -> None:
        self._stop_index_process()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        generated = self.generated
        if generated is None:
            self._stop_index_process()
            return
        # A --dirty rebuild keeps old files: a record just withheld from this audience must
        # not stay published by its page from an earlier build.
        for path in withheld_outputs(Path(config.site_dir), generated.archive.withheld_ids):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            log.info("removed %s: withheld from the %s audience", path, self.audience)
        if self.leaks:
            self._stop_index_process()
            raise PluginError("\n".join(self.leaks))
        settings = self.settings
        assert settings is not None
        static = settings.static_search
        marker = generated.similar_marker
        if static and not generated.index_done():
            # The second process is still at the search index: Pagefind indexes the pages
            # meanwhile (it skips the similar-records lists and comments, so it needs none of
            # it), and the lists go in afterwards, in a pass of their own.
            _static_search_index(config, settings, generated, None)
            static = False
        blocks = self._finish_index()  # index errors count even when no record page rendered

        def with_similar(page: str, record: AnyRecord) -> str:
            block = blocks.get(record.src_uri)
            return page if block is None else fill_similar(page, marker, block)

        if static:  # one pass over the pages: filled, then indexed
            _static_search_index(config, settings, generated, with_similar)
        elif blocks:
            for record, path in _record_pages(config, generated):
                if record.src_uri in blocks:
                    page = path.read_text(encoding="utf-8")
                    path.write_text(with_similar(page, record), encoding="utf-8")

    def on_serve(self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any) -> None:
        if not self.enabled or self.settings is None:
            return
        core = self.settings.archive
        for folder in (core.postmortems_path, core.nearmisses_path, core.taxonomy_path):
            if folder.is_dir():
                server.watch(str(folder))


SPAWN_FROM = 2000
"""From this many records the index process is spawned rather than forked. A forked process
maps every page of this one (the records, the generated pages) and its resident size counts
them: at 10,000 + 10,000 it peaked at 987 MiB forked against 800 MiB spawned, the cold build's
peak. Below it, a fork saves the fresh interpreter's start-up and sending the records."""


def _process_context(records: int) -> multiprocessing.context.BaseContext:
    """Fork when this is the only thread (``mkdocs build``: no re-import, no copy of the
    records) and the archive is small; spawn when others run (``mkdocs serve``), since a forked
    child would inherit locks they hold, or from ``SPAWN_FROM`` records."""
    fork = threading.active_count() == 1 and records < SPAWN_FROM
    return multiprocessing.get_context("fork" if fork else "spawn")


def _cache_folder(settings: Settings, docs_dir: Path, name: str) -> Path | None:
    """``.pmarchive-cache/<name>`` beside mkdocs.yml, or None when that folder would be inside
    a watched folder (docs or records): `mkdocs serve` would rebuild on every file it writes."""
    directory = settings.root.resolve() / CACHE_FOLDER / name
    core = settings.archive
    watched = (docs_dir, core.postmortems_path, core.nearmisses_path, core.taxonomy_path)
    if any(directory.is_relative_to(folder.resolve()) for folder in watched):
        return None
    return directory


def _record_cache(settings: Settings, docs_dir: Path) -> RecordCache | None:
    """The record cache in ``.pmarchive-cache/records``, or None when that folder is watched
    (``_cache_folder``) or there is no signing key.

    Not under ``.pmarchive/``: that folder holds what an audience may see (its search index,
    which ``pmarchive serve`` publishes), and the cache holds every record, restricted ones too.
    """
    directory = _cache_folder(settings, docs_dir, "records")
    if directory is None:
        return None
    return RecordCache.open(directory, settings.archive)


def _record_pages(config: MkDocsConfig, generated: Generated) -> list[tuple[AnyRecord, Path]]:
    """Each record of the build with its written page."""
    site_dir = str(config.site_dir)
    return [
        (r, Path(File(r.src_uri, None, site_dir, config.use_directory_urls).abs_dest_path))
        for r in generated.archive.records
        if r.src_uri in generated.record_uris
    ]


def _static_search_index(
    config: MkDocsConfig,
    settings: Settings,
    generated: Generated,
    fill: Callable[[str, AnyRecord], str] | None,
) -> None:
    """Pagefind over the pages this build wrote for its audience's records (a static host's
    search); ``fill`` puts their similar records in, in the same pass (Pagefind does not index
    them, so the index is the same with or without). A failure stops the build with one
    line."""
    pages = [(path, record) for record, path in _record_pages(config, generated)]
    # a warm build whose record pages Pagefind would see unchanged reuses the last index (a
    # signed store beside the record cache, out of the site and of every watched folder)
    store = _cache_folder(settings, Path(config.docs_dir), "pagefind")
    try:
        stats = build_static_index(
            Path(config.site_dir), pages, store=store, ignore=generated.similar_marker, fill=fill
        )
    except StaticSearchError as exc:
        raise PluginError(f"static search index: {exc}") from None
    log.info("static search index: %s", stats)


def _without_records(items: list[Any], record_uris: frozenset[str]) -> list[Any]:
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
