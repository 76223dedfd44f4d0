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

A warm build (no record page changed) reuses the index the last build wrote instead of running
Pagefind again: built indexes are kept in a store outside the site (MkDocs empties the site at
the start of every build), under a SHA-256 digest of everything the index depends on (the
Pagefind version, the shard size, the indexing options, and each page's site path and exact
indexed text). The store sits in the project's tree, which a pull request can fill, and the
digest is computable by anyone from the pages, so an entry is reused only if its manifest (every
file's path and SHA-256) carries an HMAC under the user's own key (the record cache's, kept
outside any repository) and every file, no more and no fewer, still has its hash; symlinks are
refused. The digest covers every page path, so a build for a narrower audience (fewer pages)
never reuses a wider audience's index.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import hmac
import html
import importlib.metadata
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pmarchive.ingest.cache import default_key_file, signing_key
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
FORCE_LANGUAGE = "en"
"""One index: a page's lang attribute never splits it."""
STORE_FORMAT = "pmarchive-pagefind-store-2"
"""Part of every digest: a change to how indexes are written or stored invalidates the store."""
STORE_KEEP = 2
"""Generations of each shard the store keeps (the newest): one per audience a user builds in
turn; all of them together are as large as the site's index."""
ENTRY_FILES = "index"
"""In a store entry: the index's files under their site paths (``pagefind/...``)."""
ENTRY_MANIFEST = "manifest.json"
"""In a store entry: the digest and every file's site path and SHA-256."""
ENTRY_SIGNATURE = "manifest.sig"
"""In a store entry: HMAC-SHA256 (hex) of the manifest's bytes under the user's key."""


T = TypeVar("T")


class StaticSearchError(Exception):
    """Pagefind could not index the site; the message is one line."""


@dataclass(frozen=True)
class StaticIndexStats:
    pages: int
    files: int
    bytes: int
    shards: int = 1
    reused_shards: int = 0
    """Shards that came from the store (Pagefind did not run for them)."""

    @property
    def reused(self) -> bool:
        """The whole index came from the store: Pagefind did not run."""
        return self.reused_shards == self.shards

    def __str__(self) -> str:
        shards = f"{self.shards} shard{'' if self.shards == 1 else 's'}"
        text = f"{self.pages} record pages in {shards}, {self.files} files, {self.bytes:,} bytes"
        if self.reused:
            return f"{text}, reused (no page changed)"
        if self.reused_shards:
            return f"{text}, {self.reused_shards} of them reused (their pages unchanged)"
        return text


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
    rest = page[end + 1 :]
    if page[start:end].endswith(" data-pagefind-body"):  # a page a --dirty build kept as it was
        end -= len(" data-pagefind-body")
        rest = _OLD_MARKUP.sub("", rest, count=1)
    return page[:end] + " data-pagefind-body>" + index_markup(record) + rest


_OLD_MARKUP = re.compile(
    r'\A(?:<span hidden data-pagefind-(?:filter|meta)="[^"]*" data-pm="[^"]*"></span>)*'
)
"""``index_markup`` as an earlier build wrote it (its values are escaped, so hold no quote)."""


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


def site_path(root: Path, path: Path, record: AnyRecord) -> Path:
    """``path`` relative to the resolved site folder ``root``; a page outside it stops the
    build (Pagefind would give it no URL in the site)."""
    try:
        return path.resolve().relative_to(root)
    except ValueError:
        raise StaticSearchError(f"the page of {record.id} ({path}) is not in {root}") from None


def stage(site_dir: Path, staging: Path, shard: Sequence[tuple[Path, AnyRecord]]) -> None:
    """Hard-link each page of ``shard`` into ``staging`` under its path in the site (a copy
    where the file system has no hard links), so Pagefind gives it the same URL."""
    root = site_dir.resolve()
    for path, record in shard:
        target = staging / site_path(root, path, record)
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
        force_language=FORCE_LANGUAGE,
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


def tool_versions() -> dict[str, str]:
    """The Pagefind client's and binary's versions, and a binary named by the environment: an
    index written by another Pagefind is another index."""
    versions = {"binary path": os.environ.get("PAGEFIND_BINARY_PATH", "")}
    for package in ("pagefind", "pagefind_bin"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = ""
    return versions


def index_digest(
    shards: Sequence[Sequence[tuple[str, str]]], shard_pages: int, first: int = 0
) -> str:
    """SHA-256 (hex) of everything the index of ``shards`` (numbered from ``first``) depends
    on: the store's format, Pagefind's version, the shard size, the indexing options, and for
    each page in shard order its site path and the SHA-256 of the text Pagefind indexes
    (``(path, text digest)``). Shard 0 holds Pagefind's scripts and the others do not, so a
    shard's number is part of it."""
    options = {
        "format": STORE_FORMAT,
        "versions": tool_versions(),
        "shard pages": shard_pages,
        "sections": list(RECORD_SECTIONS),
        "filters": list(FILTERS),
        "excluded": list(EXCLUDED_SELECTORS),
        "content": CONTENT_TAG,
        "language": FORCE_LANGUAGE,
        "merged": list(MERGED_FILES),
    }
    digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode() + b"\n")
    for number, shard in enumerate(shards, start=first):
        digest.update(f"shard {number}\n".encode())
        for relative, text_digest in shard:
            digest.update(json.dumps([relative, text_digest]).encode() + b"\n")
    return digest.hexdigest()


def _file_digest(path: Path) -> str | None:
    """SHA-256 of the regular file ``path``, never through a symlink; None if it is none."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO never blocks
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copyfile(source, target, follow_symlinks=False)


def _remove(path: Path) -> None:
    """``path`` gone, a symlink as a link (never what it points to)."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


_ENTRY_NAME = re.compile("[0-9a-f]{64}")
_TEMP_NAME = re.compile(r"\.tmp-(?:(?P<pid>[0-9]+)-)?[0-9a-f]{16}")
"""A build's folder while it stores an entry: ``.tmp-<its process id>-<random>``."""


def _left_behind(name: str) -> bool:
    """Whether the temporary folder ``name`` was left by a build that is no longer running (a
    killed one): its process is gone, or its name has no process id. No clock is read."""
    match = _TEMP_NAME.fullmatch(name)
    if match is None:
        return False
    if match["pid"] is None:
        return True
    if os.name != "posix":  # no harmless way to ask whether a process runs: keep it
        return False
    try:
        os.kill(int(match["pid"]), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # another user's process, or an id out of range
        return False
    return False


class IndexStore:
    """Built indexes, one signed entry a digest: ``<digest>/index/`` (the files under their site
    paths), ``<digest>/manifest.json`` and ``<digest>/manifest.sig``. Any OSError while storing
    turns the store off for the build; an entry that fails a check is removed and is a miss."""

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self._key = key
        self.enabled = True

    @classmethod
    def open(cls, directory: Path | None, key_file: Path | None = None) -> IndexStore | None:
        """The store in ``directory``; None without one, without a trustworthy key, or when
        ``directory`` or its parent is a symlink (a repository could point it at a folder whose
        files pruning would then remove)."""
        if directory is None or directory.is_symlink() or directory.parent.is_symlink():
            return None
        key = signing_key(key_file or default_key_file())
        return None if key is None else cls(directory, key)

    def _sign(self, manifest: bytes) -> str:
        return hmac.new(self._key, manifest, hashlib.sha256).hexdigest()

    def _entry(self, digest: str) -> Path | None:
        """The folder of ``digest``'s entry, if it is a real folder right under the store."""
        root = self.directory.resolve()
        entry = root / digest
        if entry.is_symlink() or not entry.is_dir() or entry.resolve().parent != root:
            return None
        return entry

    def _verified(self, entry: Path, digest: str) -> list[str] | None:
        """The site paths of the entry's files if its signature, digest and every file check
        out, and it holds no other file, folder or symlink; None otherwise."""
        manifest = _read_plain(entry / ENTRY_MANIFEST)
        signature = _read_plain(entry / ENTRY_SIGNATURE)
        if manifest is None or signature is None:
            return None
        if not hmac.compare_digest(signature, self._sign(manifest).encode()):
            return None
        try:
            data = json.loads(manifest)
            files = {str(rel): str(sha) for rel, sha in data["files"]}
        except (ValueError, KeyError, TypeError):
            return None
        if data.get("format") != STORE_FORMAT or data.get("digest") != digest:
            return None
        files_dir = entry / ENTRY_FILES
        if files_dir.is_symlink() or not files_dir.is_dir():
            return None
        found: set[str] = set()
        for folder, dirnames, filenames in os.walk(files_dir):
            for name in dirnames:
                if os.path.islink(os.path.join(folder, name)):
                    return None  # os.walk lists it and does not follow it
            for name in filenames:
                found.add(Path(folder, name).relative_to(files_dir).as_posix())
        if found != files.keys():
            return None
        root = files_dir.resolve()
        for relative, sha in files.items():
            path = files_dir / relative
            if not path.resolve().is_relative_to(root) or _file_digest(path) != sha:
                return None
        return sorted(files)

    def restore(self, digest: str, site_dir: Path) -> bool:
        """Put the index (or shard) stored under ``digest`` into ``site_dir`` (hard links,
        copies where linking fails); False, with nothing put there, if there is no entry that
        checks out."""
        entry = self._entry(digest)
        if entry is None:
            return False
        try:
            files = self._verified(entry, digest)
        except OSError:
            files = None
        if files is None:
            with contextlib.suppress(OSError):
                _remove(self.directory / digest)
            return False
        try:
            for relative in files:
                _link_or_copy(entry / ENTRY_FILES / relative, site_dir / relative)
            os.utime(entry)  # the newest: pruning keeps it
        except OSError:
            for folder in {relative.split("/", 1)[0] for relative in files}:
                _remove(site_dir / folder)  # its shard folders: the only ones it wrote
            return False
        return True

    def save(
        self, digest: str, site_dir: Path, folders: Sequence[str], keep: int = STORE_KEEP
    ) -> None:
        """Keep the index in ``folders`` of ``site_dir`` under ``digest``, signed, then remove
        all but the newest ``keep`` entries. An OSError turns the store off."""
        if not self.enabled:
            return
        temp: Path | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            temp = self.directory / f".tmp-{os.getpid()}-{secrets.token_hex(8)}"
            temp.mkdir(mode=0o700)
            files: list[list[str]] = []
            for name in folders:
                for folder, _, filenames in os.walk(site_dir / name):
                    for filename in sorted(filenames):
                        path = Path(folder, filename)
                        relative = path.relative_to(site_dir).as_posix()
                        sha = _file_digest(path)
                        if sha is None:
                            raise OSError(f"{path} is not a regular file")
                        _link_or_copy(path, temp / ENTRY_FILES / relative)
                        files.append([relative, sha])
            manifest = json.dumps(
                {"format": STORE_FORMAT, "digest": digest, "files": sorted(files)}
            ).encode()
            (temp / ENTRY_MANIFEST).write_bytes(manifest)
            (temp / ENTRY_SIGNATURE).write_text(self._sign(manifest), encoding="ascii")
            _remove(self.directory / digest)  # an entry that failed its checks, or a stray
            os.rename(temp, self.directory / digest)
            temp = None
            self.prune(keep)
        except OSError:
            self.enabled = False
        finally:
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)

    def prune(self, keep: int = STORE_KEEP) -> None:
        """Remove all but the ``keep`` newest entries, and what a killed build left (a
        temporary folder of a process that is gone)."""
        entries: list[tuple[float, Path]] = []
        for item in os.scandir(self.directory):
            path = Path(item.path)
            if _TEMP_NAME.fullmatch(item.name):
                if _left_behind(item.name):
                    _remove(path)
            elif _ENTRY_NAME.fullmatch(item.name):  # nothing else in the folder is ours
                entries.append((item.stat(follow_symlinks=False).st_mtime, path))
        for _, path in sorted(entries, reverse=True)[keep:]:
            _remove(path)


def _read_plain(path: Path, limit: int = 1 << 28) -> bytes | None:
    """The bytes of the regular file ``path`` (never through a symlink), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read(limit)


def build_static_index(
    site_dir: Path,
    pages: Sequence[tuple[Path, AnyRecord]],
    rewrite: Callable[[str, AnyRecord], str] | None = None,
    shard_pages: int | None = None,
    *,
    store: Path | None = None,
    ignore: str = "",
    fill: Callable[[str, AnyRecord], str] | None = None,
    key_file: Path | None = None,
) -> StaticIndexStats:
    """Index ``pages`` (each built record page with its record) into ``site_dir/pagefind/``
    and, past ``shard_pages`` (``SHARD_PAGES``) pages, ``site_dir/pagefind-shards/<n>/``.

    Each page is read once, passed through ``rewrite`` when given, annotated
    (``annotate_page``) and written back once. Any earlier index is removed first, every shard
    of it, so a --dirty rebuild keeps no fragment of a record now withheld. The shards are
    indexed one after another by a fresh Pagefind binary each, so the build's peak memory is
    one shard's. Raises ``StaticSearchError`` with a one-line message when Pagefind is missing
    or fails, or indexes another number of pages than it was given.

    With a ``store`` folder (and the user's signing key in ``key_file``, by default the record
    cache's), an index built from exactly these page texts before is linked from the store
    instead, and a new one is kept there. ``ignore`` is a placeholder the caller fills in
    later (an HTML comment, which Pagefind never indexes): it is left out of the digest.
    ``fill`` fills it in the same pass, after the digest is taken: what it puts there must be
    content Pagefind does not index (an ``EXCLUDED_SELECTORS`` element), so that a page
    indexes the same whether it was filled before Pagefind ran or after.
    """
    remove_index(site_dir)
    try:
        import pagefind.index  # noqa: F401
    except ImportError:
        raise StaticSearchError(
            "the pagefind package is not installed (pip install 'pagefind[bin]')"
        ) from None
    size = SHARD_PAGES if shard_pages is None else shard_pages
    shards = shards_of(pages, size)
    kept = IndexStore.open(store, key_file)
    root = site_dir.resolve()
    text_digests: dict[Path, tuple[str, str]] = {}
    for path, record in pages:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StaticSearchError(f"cannot read the page of {record.id}: {exc}") from None
        if rewrite is not None:
            text = rewrite(text, record)
        text = annotate_page(text, record)
        if kept is not None:
            hashed = text.replace(ignore, "") if ignore else text
            text_digests[path] = (
                site_path(root, path, record).as_posix(),
                hashlib.sha256(hashed.encode("utf-8", "surrogatepass")).hexdigest(),
            )
        if fill is not None:
            text = fill(text, record)
        path.write_text(text, encoding="utf-8")
    indexed = reused = 0
    # each shard on its own: after one edit, only the shard holding that page is indexed again
    keep = STORE_KEEP * len(shards)
    for number, shard in enumerate(shards):
        digest = ""
        if kept is not None:
            digest = index_digest([[text_digests[path] for path, _ in shard]], size, number)
            if kept.restore(digest, site_dir):
                indexed += len(shard)
                reused += 1
                continue
        indexed += _index_shard(site_dir, number, shard)
        if kept is not None:
            kept.save(digest, site_dir, [shard_folder(number)], keep)
    _write_manifest(site_dir, len(shards))
    return _stats(site_dir, indexed, len(shards), reused)


def _index_shard(site_dir: Path, number: int, shard: Sequence[tuple[Path, AnyRecord]]) -> int:
    """Pagefind over one shard; the pages indexed."""
    staging = site_dir / STAGING_DIR
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
    return count


def _write_manifest(site_dir: Path, shards: int) -> None:
    """The list of merged shards search.js reads (written anew by every build: no shard in
    the store holds it)."""
    if not (site_dir / OUTPUT_DIR / "pagefind.js").is_file():
        raise StaticSearchError(f"Pagefind wrote no pagefind.js into {site_dir / OUTPUT_DIR}")
    merged = [f"{shard_folder(number)}/" for number in range(1, shards)]
    (site_dir / OUTPUT_DIR / MANIFEST).write_text(
        json.dumps({"shards": merged}) + "\n", encoding="utf-8"
    )


def _stats(site_dir: Path, pages: int, shards: int, reused: int) -> StaticIndexStats:
    sizes = [index_size(site_dir / shard_folder(number)) for number in range(shards)]
    return StaticIndexStats(
        pages, sum(f for f, _ in sizes), sum(b for _, b in sizes), shards, reused_shards=reused
    )
