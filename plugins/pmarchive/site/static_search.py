"""The static host's search index: Pagefind over the record pages of a built site.

A site with no server (GitHub Pages) gets full-text search with facets from a chunked Pagefind
index that the /search/ page loads piece by piece (a few hundred KB per search). Only the pages
of the build's records are indexed: a withheld record has no page, so it is in no index.

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
import shutil
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pmarchive.model.records import AnyRecord, PostMortem

RECORD_SECTIONS = ("postmortems", "nearmisses")
"""The site folders holding record pages (``AnyRecord.section``): nothing else is indexed."""
OUTPUT_DIR = "pagefind"
"""Where the index goes in the site; search.js imports ``pagefind/pagefind.js`` from there."""
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

    def __str__(self) -> str:
        return f"{self.pages} record pages, {self.files} files, {self.bytes:,} bytes"


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


async def _write_index(site_dir: Path, output: Path) -> int:
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    config = IndexConfig(
        exclude_selectors=list(EXCLUDED_SELECTORS),
        force_language="en",  # one index: a page's lang attribute never splits it
    )
    service = await PagefindService().launch()
    try:
        index = await _guarded(service, service.create_index(config))
        # One request for the whole site: the Python client reads the binary's answers once
        # every 0.1 s, so a request per page would take over half an hour at 20,000 records.
        added = await _guarded(service, index.add_directory(str(site_dir), glob=record_glob()))
        await _guarded(service, index.write_files(str(output)))
    finally:
        service._poll_task.cancel()
        if service._backend.returncode is None:
            service._backend.terminate()
        await service._backend.wait()
    return int(added["page_count"])


def build_static_index(site_dir: Path, pages: Sequence[tuple[Path, AnyRecord]]) -> StaticIndexStats:
    """Index ``pages`` (each built record page with its record) into ``site_dir/pagefind/``.

    Each page is annotated in place (``annotate_page``); any earlier index is removed first, so
    a --dirty rebuild keeps no fragment of a record now withheld. Pages Pagefind finds under the
    record sections without the annotation are not indexed (``data-pagefind-body`` on some
    pages excludes the others). Raises ``StaticSearchError`` with a one-line message when
    Pagefind is missing or fails, or indexes another number of pages than it was given.
    """
    output = site_dir / OUTPUT_DIR
    if output.exists():
        shutil.rmtree(output)
    try:
        import pagefind.index  # noqa: F401
    except ImportError:
        raise StaticSearchError(
            "the pagefind package is not installed (pip install 'pagefind[bin]')"
        ) from None
    for path, record in pages:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StaticSearchError(f"cannot read the page of {record.id}: {exc}") from None
        path.write_text(annotate_page(text, record), encoding="utf-8")
    try:
        # its own thread and event loop: the build may run where a loop is already running
        # (a test driving a browser), and asyncio.run refuses to nest
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            work = pool.submit(asyncio.run, _write_index(site_dir.resolve(), output.resolve()))
            indexed = work.result()
    except StaticSearchError:
        raise
    except Exception as exc:  # the binary or its client: every failure stops the build
        from pagefind.service import get_executable

        raise StaticSearchError(f"Pagefind ({get_executable()}) failed: {one_line(exc)}") from exc
    if indexed != len(pages) or not (output / "pagefind.js").is_file():
        raise StaticSearchError(
            f"Pagefind indexed {indexed} of {len(pages)} record pages into {output}"
        )
    files, size = index_size(output)
    return StaticIndexStats(indexed, files, size)
