"""The static host's search index: Pagefind over the record pages of a built site.

A site with no server (GitHub Pages) gets full-text search with facets from a chunked Pagefind
index that the /search/ page loads piece by piece (a few hundred KB per search). Only the pages
of the build's records are indexed: a withheld record has no page, so it is in no index.

The index is written in shards of at most ``SHARD_PAGES`` pages, one Pagefind run after another:
the binary holds every page it indexes in memory at once (about 330 KB a page, 5.4 GB at 20,000
pages), so one run over the whole archive would need far more memory than the rest of the build.
Shard 0 is ``pagefind/``, the index search.js imports; the others are ``pagefind-shards/<n>/``,
listed in ``pagefind/shards.json``, and the page merges them into the first (Pagefind's
``mergeIndex``), so results, totals and facet counts are those of the whole archive.

The facets and result fields are written into each record page just before indexing, from the
validated record, as empty elements with ``data-pagefind-*`` attributes. They cannot come from
the record header template: the sanitiser strips every ``data-pagefind-*`` attribute from a
record page's content, and must, since a body that could set them could forge a record's SEV
or, with ``data-pagefind-body``, drop every other record from the index.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import json
import os
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pmarchive.model.records import AnyRecord, PostMortem

RECORD_SECTIONS = ("postmortems", "nearmisses")
"""The site folders holding record pages (``AnyRecord.section``): nothing else is indexed."""
OUTPUT_DIR = "pagefind"
"""Where the index goes in the site (its first shard); search.js imports
``pagefind/pagefind.js`` from there."""
SHARDS_DIR = "pagefind-shards"
"""Where the other shards go, ``pagefind-shards/1/`` and on. Not under ``pagefind/``, and no
prefix of it: Pagefind's ``mergeIndex`` skips an index whose path starts the primary's."""
MANIFEST = "shards.json"
"""In ``pagefind/``: ``{"shards": [...]}``, the site-relative folders of the shards to merge
(none when the archive fits in one)."""
STAGING_DIR = ".pagefind-staging"
"""A shard's pages, hard-linked under their site paths while Pagefind indexes them (Pagefind
reads a folder; a glob naming 2,000 pages is no way to pick them). Removed after each shard."""
SHARD_PAGES = 2000
"""The most record pages one Pagefind run indexes. Its memory grows by about 330 KB a page:
2,000 pages keep a run near 670 MB, what a plain Material build needs at its peak."""
MERGED_FILES = ("pagefind-entry.json", "index", "filter", "fragment")
"""What a merged shard's folder needs besides its ``*.pf_meta``: the page loads the scripts and
WebAssembly once, from the first shard; the rest of a bundle is removed from the others."""
FILTERS = ("class", "sev", "team", "kind", "year")
"""The facets, named as the Whoosh API names them so /search/ reads both the same way."""
CONTENT_TAG = '<article class="md-content__inner md-typeset"'
"""Material's page content. Its header, navigation and footer stay out of the index; a record
body cannot make an ``article`` (the sanitiser drops the tag), so the first one is the theme's."""
EXCLUDED_SELECTORS = (".headerlink", ".md-content__button", ".pm-neighbours", ".pm-similar")
"""Permalinks, edit buttons and lists of other records: a record would otherwise match
searches for its neighbours' ids and titles."""


T = TypeVar("T")


class StaticSearchError(Exception):
    """Pagefind could not index the site; the message is one line."""


@dataclass(frozen=True)
class StaticIndexStats:
    pages: int
    files: int
    bytes: int
    shards: int = 1

    def __str__(self) -> str:
        shards = f"{self.shards} shard{'' if self.shards == 1 else 's'}"
        return f"{self.pages} record pages in {shards}, {self.files} files, {self.bytes:,} bytes"


def record_kind(record: AnyRecord) -> str:
    """The ``kind`` facet's value, as the Whoosh index and the export spell it: a post-mortem's
    record type ('postmortem'), a near-miss record's own kind (near-miss, weak-signal)."""
    return record.record_type if isinstance(record, PostMortem) else record.kind


def record_filters(record: AnyRecord) -> dict[str, list[str]]:
    """The record's value(s) for each facet in ``FILTERS``; a facet it has none for is left out."""
    filters = {
        "class": list(record.cause_class),
        "sev": [str(record.sev)] if isinstance(record, PostMortem) else [],
        "team": list(record.teams),
        "kind": [record_kind(record)],
        "year": [str(record.date.year)],
    }
    return {name: values for name, values in filters.items() if values}


def record_meta(record: AnyRecord) -> dict[str, str]:
    """What a result shows besides its URL and excerpt: the fields of a Whoosh hit."""
    meta = {
        "title": record.title,
        "id": record.id,
        "date": record.date.isoformat(),
        "kind": record_kind(record),
    }
    if isinstance(record, PostMortem):
        meta["sev"] = str(record.sev)
    return meta


def index_markup(record: AnyRecord) -> str:
    """Empty elements that give Pagefind the record's facets and result fields.

    Each value sits in its own attribute (``name[data-pm]``), so a comma or colon in it is
    data, never Pagefind syntax; every value is HTML-escaped.
    """
    items = [
        *(("filter", name, value) for name, values in record_filters(record).items()
          for value in values),
        *(("meta", name, value) for name, value in record_meta(record).items()),
    ]  # fmt: skip
    return "".join(
        f'<span hidden data-pagefind-{what}="{name}[data-pm]" '
        f'data-pm="{html.escape(value, quote=True)}"></span>'
        for what, name, value in items
    )


def annotate_page(page: str, record: AnyRecord) -> str:
    """``page`` (a built record page) with its content marked as the part to index
    (``data-pagefind-body``) and ``index_markup`` at its start.

    Raises ``StaticSearchError`` when the page has no Material content element (a theme that
    is not Material, or an override that renamed it).
    """
    start = page.find(CONTENT_TAG)
    if start < 0:
        raise StaticSearchError(f"no {CONTENT_TAG}> in the page of {record.id}")
    end = page.index(">", start)
    return page[:end] + " data-pagefind-body>" + index_markup(record) + page[end + 1 :]


def record_glob(sections: Sequence[str] = RECORD_SECTIONS) -> str:
    """The glob (Pagefind's wax syntax, relative to the site) of every record page."""
    if not sections:
        raise ValueError("no record sections to index")
    joined = sections[0] if len(sections) == 1 else "{" + ",".join(sections) + "}"
    return f"{joined}/**/*.html"


def index_size(output: Path) -> tuple[int, int]:
    """(files, bytes) of a written index."""
    files = [path for path in output.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def one_line(exc: BaseException) -> str:
    """An exception as one line: Pagefind's service errors carry the whole request as a second
    argument, and a binary's output may span lines."""
    plain = type(exc) is Exception and exc.args  # the client's: (message, request)
    message = str(exc.args[0]) if plain else str(exc)
    return " ".join(message.split()) or type(exc).__name__


async def _guarded(service: Any, step: Awaitable[T]) -> T:
    """``step``, or the reason the binary stopped answering: the client waits forever for an
    answer from a binary that exited, so its reader task is watched alongside."""
    work = asyncio.ensure_future(step)
    reader = service._poll_task  # the client's reader of the binary's answers
    done, _ = await asyncio.wait({work, reader}, return_when=asyncio.FIRST_COMPLETED)
    if work in done:
        return work.result()
    work.cancel()
    failure = reader.exception() if not reader.cancelled() else None
    raise StaticSearchError(
        f"the pagefind binary stopped answering ({one_line(failure) if failure else 'exited'})"
    )


def shard_folder(number: int) -> str:
    """The site-relative folder of shard ``number``: the first is the one search.js imports."""
    return OUTPUT_DIR if number == 0 else f"{SHARDS_DIR}/{number}"


def shards_of(
    pages: Sequence[tuple[Path, AnyRecord]], size: int
) -> list[list[tuple[Path, AnyRecord]]]:
    """``pages`` in shards of at most ``size``, in a stable order (section, then id), so a
    rebuild of the same records writes the same shards; an empty archive is one empty shard."""
    if size < 1:
        raise ValueError(f"a shard holds at least one page, not {size}")
    ordered = sorted(pages, key=lambda page: (page[1].section, page[1].id))
    return [ordered[start : start + size] for start in range(0, len(ordered), size)] or [[]]


def remove_index(site_dir: Path) -> None:
    """Every shard of an earlier index, and a staging folder a killed build left behind."""
    for name in (OUTPUT_DIR, SHARDS_DIR, STAGING_DIR):
        folder = site_dir / name
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        elif folder.exists() or folder.is_symlink():
            folder.unlink()


def stage(site_dir: Path, staging: Path, shard: Sequence[tuple[Path, AnyRecord]]) -> None:
    """Hard-link each page of ``shard`` into ``staging`` under its path in the site (a copy
    where the file system has no hard links), so Pagefind gives it the same URL."""
    root = site_dir.resolve()
    for path, record in shard:
        try:
            relative = path.resolve().relative_to(root)
        except ValueError:
            raise StaticSearchError(
                f"the page of {record.id} ({path}) is not in {site_dir}"
            ) from None
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)


def prune_merged(output: Path) -> None:
    """Remove from a merged shard's folder what the page never loads from it (the scripts,
    the UI and the WebAssembly come from the first shard)."""
    for path in output.iterdir():
        if path.name in MERGED_FILES or path.suffix == ".pf_meta":
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


async def _write_index(source: Path, output: Path) -> int:
    """One Pagefind run: the record pages under ``source`` into ``output``; the pages indexed.
    The binary is stopped before this returns, so the next shard's starts with no memory."""
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    config = IndexConfig(
        exclude_selectors=list(EXCLUDED_SELECTORS),
        force_language="en",  # one index: a page's lang attribute never splits it
    )
    service = await PagefindService().launch()
    try:
        index = await _guarded(service, service.create_index(config))
        # One request for the whole shard: the Python client reads the binary's answers once
        # every 0.1 s, so a request per page would take over half an hour at 20,000 records.
        added = await _guarded(service, index.add_directory(str(source), glob=record_glob()))
        await _guarded(service, index.write_files(str(output)))
    finally:
        service._poll_task.cancel()
        if service._backend.returncode is None:
            service._backend.terminate()
        await service._backend.wait()
    return int(added["page_count"])


def _run_pagefind(source: Path, output: Path) -> int:
    """``_write_index`` in its own thread and event loop: the build may run where a loop is
    already running (a test driving a browser), and asyncio.run refuses to nest."""
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _write_index(source, output)).result()
    except StaticSearchError:
        raise
    except Exception as exc:  # the binary or its client: every failure stops the build
        from pagefind.service import get_executable

        raise StaticSearchError(f"Pagefind ({get_executable()}) failed: {one_line(exc)}") from exc


def build_static_index(
    site_dir: Path,
    pages: Sequence[tuple[Path, AnyRecord]],
    rewrite: Callable[[str, AnyRecord], str] | None = None,
    shard_pages: int | None = None,
) -> StaticIndexStats:
    """Index ``pages`` (each built record page with its record) into ``site_dir/pagefind/``
    and, past ``shard_pages`` (``SHARD_PAGES``) pages, ``site_dir/pagefind-shards/<n>/``.

    Each page is read once, passed through ``rewrite`` when given, annotated
    (``annotate_page``) and written back once. Any earlier index is removed first, every shard
    of it, so a --dirty rebuild keeps no fragment of a record now withheld. The shards are
    indexed one after another by a fresh Pagefind binary each, so the build's peak memory is
    one shard's. Raises ``StaticSearchError`` with a one-line message when Pagefind is missing
    or fails, or indexes another number of pages than it was given.
    """
    remove_index(site_dir)
    try:
        import pagefind.index  # noqa: F401
    except ImportError:
        raise StaticSearchError(
            "the pagefind package is not installed (pip install 'pagefind[bin]')"
        ) from None
    shards = shards_of(pages, SHARD_PAGES if shard_pages is None else shard_pages)
    for path, record in pages:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StaticSearchError(f"cannot read the page of {record.id}: {exc}") from None
        if rewrite is not None:
            text = rewrite(text, record)
        path.write_text(annotate_page(text, record), encoding="utf-8")
    staging = site_dir / STAGING_DIR
    indexed = 0
    for number, shard in enumerate(shards):
        output = site_dir / shard_folder(number)
        try:
            stage(site_dir, staging, shard)
            count = _run_pagefind(staging.resolve(), output.resolve())
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if count != len(shard) or not (output / "pagefind-entry.json").is_file():
            raise StaticSearchError(
                f"Pagefind indexed {count} of {len(shard)} record pages into {output}"
            )
        if number:
            prune_merged(output)
        indexed += count
    if not (site_dir / OUTPUT_DIR / "pagefind.js").is_file():
        raise StaticSearchError(f"Pagefind wrote no pagefind.js into {site_dir / OUTPUT_DIR}")
    merged = [f"{shard_folder(number)}/" for number in range(1, len(shards))]
    (site_dir / OUTPUT_DIR / MANIFEST).write_text(
        json.dumps({"shards": merged}) + "\n", encoding="utf-8"
    )
    sizes = [index_size(site_dir / shard_folder(number)) for number in range(len(shards))]
    return StaticIndexStats(
        indexed, sum(files for files, _ in sizes), sum(size for _, size in sizes), len(shards)
    )
