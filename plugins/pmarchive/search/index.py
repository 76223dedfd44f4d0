"""The Whoosh index of the archive's records: schema, documents, incremental builds in
generations swapped in atomically, one build at a time, and a manifest of hashes checked
before any index file is opened."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.analysis import Analyzer, StemmingAnalyzer
from whoosh.analysis.acore import entoken
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex

from pmarchive.model.frontmatter import FIELDS
from pmarchive.model.records import AnyRecord, PostMortem
from pmarchive.model.schema import Search
from pmarchive.search.plaintext import plain_text

SCHEMA_VERSION = 5
"""3: the body is indexed and stored as plain text; post-mortems' kind is 'postmortem'.
4: the body's words also without positions (``BODY_WORDS``), for scoring.
5: the body's analysis done once for both (``BodyAnalyzer``, ``BodyWordsAnalyzer``)."""
BODY_WORDS = "body_words"
"""The body's terms with their frequencies only. A term's postings in ``body`` carry every
position and character range, unpickled with each block even when only the frequencies are
wanted (scoring): read from here, scoring a common word costs a fraction of that. Same analyzer,
so the same frequencies, document frequencies and lengths: the same BM25F scores."""
VERSION_FILE = "pmarchive-schema-version"
CURRENT = "current"
MANIFEST = "pmarchive-manifest.json"
LOCK_FILE = "build.lock"
LOCK_WAIT_SECONDS = 300.0
log = logging.getLogger(__name__)


def _search_field(search: Search) -> Any:
    if search.type == "id":
        return ID(stored=True, unique=search.unique)
    if search.type == "text":
        return TEXT(stored=True, analyzer=StemmingAnalyzer(), field_boost=search.boost)
    if search.type == "keyword":
        return KEYWORD(stored=True, commas=True, lowercase=True, scorable=search.scorable)
    if search.type == "numeric":
        return NUMERIC(stored=True)
    return DATETIME(stored=True, sortable=search.sortable)


SEARCHED = tuple(spec for spec in FIELDS if spec.search is not None)
"""The front-matter fields the index holds, each as its declaration says."""

INDEX_LAYOUT = (
    f"{SCHEMA_VERSION}:"
    + hashlib.sha256(
        repr(
            sorted((spec.search.name, repr(spec.search)) for spec in SEARCHED if spec.search)
        ).encode()
    ).hexdigest()[:16]
)
"""The code's version and a fingerprint of the declared search fields: an index written for
another layout (a field added to the declaration, say) is rebuilt, never reused."""

OPTIMIZE_BELOW = 50_000
"""A build that changed anything merges the index into one segment below this many records
(faster searches); above it, Whoosh's own merge policy keeps the commit short."""


class _LastBody(threading.local):
    def __init__(self) -> None:
        self.text: str | None = None
        self.terms: list[str] = []


_LAST_BODY = _LastBody()


class BodyAnalyzer(Analyzer):  # type: ignore[misc]  # whoosh is untyped
    """The body's analyzer (Whoosh's stemming one), which keeps the terms of the text it last
    indexed for ``BodyWordsAnalyzer``: Whoosh indexes a document's fields in name order, so
    ``body_words`` comes right after ``body``, with the same text."""

    def __init__(self) -> None:
        self.inner = StemmingAnalyzer()

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Any]:
        if kwargs.get("mode") != "index":
            yield from self.inner(value, **kwargs)
            return
        _LAST_BODY.text = None
        terms = []
        for token in self.inner(value, **kwargs):
            if not token.stopped:
                terms.append(token.text)
            yield token
        _LAST_BODY.text, _LAST_BODY.terms = value, terms


class BodyWordsAnalyzer(Analyzer):  # type: ignore[misc]  # whoosh is untyped
    """The same analysis as ``BodyAnalyzer``; indexing the very text the body's analyzer just
    analysed, it hands back those terms instead of analysing it again (about a third of the
    index build's time went to analysing the body twice)."""

    def __init__(self) -> None:
        self.inner = StemmingAnalyzer()

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Any]:
        if (
            kwargs.get("mode") == "index"
            and _LAST_BODY.text is not None
            and (value == _LAST_BODY.text)
        ):
            yield from entoken(_LAST_BODY.terms, **kwargs)
        else:
            yield from self.inner(value, **kwargs)


def schema() -> Schema:
    fields = {spec.search.name: _search_field(spec.search) for spec in SEARCHED if spec.search}
    return Schema(
        **fields,
        kind=ID(stored=True),
        # the body as plain text (plaintext.py); character positions make highlighting a lookup
        # instead of a re-analysis of the body
        body=TEXT(stored=True, analyzer=BodyAnalyzer(), chars=True),
        body_words=TEXT(analyzer=BodyWordsAnalyzer(), phrase=False),
        year=NUMERIC(stored=True),
        url=STORED,
        content_hash=ID(stored=True),
    )


POSTMORTEM_KIND = "postmortem"
"""A post-mortem's kind, spelt as its ``record_type`` (and the export's); a near-miss record's
kind is its own ``kind`` field (near-miss or weak-signal)."""


def record_kind(record: AnyRecord) -> str:
    return POSTMORTEM_KIND if isinstance(record, PostMortem) else record.kind


def content_hash(record: AnyRecord) -> str:
    """Changes whenever anything indexed about the record changes."""
    # the raw body (a change to it changes the plain text); stripping runs only on the records
    # a build re-indexes, and SCHEMA_VERSION changes with the way it strips
    payload = json.dumps(_document(record, "", plain=False), sort_keys=True, default=str)
    return hashlib.sha256(f"{SCHEMA_VERSION}:{payload}".encode()).hexdigest()


def _indexed_value(search: Search, value: Any) -> Any:
    if search.type == "keyword":
        return ",".join(value or ())
    if search.type == "datetime" and isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if value is None and search.type in ("id", "text"):
        return ""  # a field the record kind does not carry is empty, not absent
    return value


def _document(record: AnyRecord, digest: str, *, plain: bool = True) -> dict[str, Any]:
    document = {
        spec.search.name: _indexed_value(spec.search, getattr(record, spec.name, None))
        for spec in SEARCHED
        if spec.search is not None
    }
    body = plain_text(record.body) if plain else record.body
    document.update(
        kind=record_kind(record),
        body=body,
        body_words=body if plain else "",
        year=record.date.year,
        url=record.url,
        content_hash=digest,
    )
    return document


@dataclass(frozen=True)
class IndexStats:
    added: int
    updated: int
    removed: int
    unchanged: int
    generation: str
    rebuilt: str = ""
    """Why the previous generation was not reused (it failed its manifest check), or ""."""


class IndexBusyError(RuntimeError):
    """Another build held the index's lock for longer than this one would wait."""


class IndexIntegrityError(RuntimeError):
    """The index's files are not the ones its build wrote (corrupted, or written by someone
    else); it is never opened, since Whoosh unpickles parts of its files."""


def current_dir(base: Path) -> Path | None:
    link = base / CURRENT
    if not link.exists():
        return None
    return (base / os.readlink(link)).resolve() if link.is_symlink() else link


def _manifested(name: str) -> bool:
    """Whoosh's files and the schema version are hashed; the JSON caches written beside them
    later are parsed as plain JSON (never unpickled), so they may change without a rebuild."""
    return not name.endswith((".json", ".tmp"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(directory: Path) -> None:
    """Record the sha256 of every file the build wrote into the generation ``directory``."""
    files = {
        entry.name: _sha256(entry)
        for entry in sorted(directory.iterdir())
        if _manifested(entry.name) and entry.is_file()
    }
    _write_json(directory / MANIFEST, {"version": SCHEMA_VERSION, "files": files})


def manifest_problem(directory: Path) -> str:
    """What is wrong with the generation ``directory`` against its manifest, or "" if its
    files are exactly the ones the build wrote."""
    try:
        recorded = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        return "has no manifest of its files"
    except (OSError, ValueError):
        return "has an unreadable manifest"
    files = recorded.get("files") if isinstance(recorded, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return "has an unreadable manifest"
    try:
        entries = [entry for entry in directory.iterdir() if _manifested(entry.name)]
    except OSError:
        return "cannot be listed"
    for entry in entries:
        if entry.is_symlink() or not entry.is_file():
            return f"holds '{entry.name}', which is not a regular file"
    present = {entry.name for entry in entries}
    if present != files.keys():
        odd = sorted(present ^ files.keys())[:3]
        return f"does not hold the files its manifest lists ({', '.join(odd)})"
    for name, expected in sorted(files.items()):
        try:
            actual = _sha256(directory / name)
        except OSError:
            return f"cannot read '{name}'"
        if actual != expected:
            return f"has a file that does not match its manifest ('{name}')"
    return ""


def open_verified(directory: Path) -> FileIndex:
    """Open a generation only if its files match its manifest (IndexIntegrityError if not)."""
    problem = manifest_problem(directory)
    if problem:
        raise IndexIntegrityError(f"the search index {directory} {problem}")
    try:
        return index.open_dir(str(directory))
    except Exception as exc:  # whoosh raises assorted errors on an unreadable index
        raise IndexIntegrityError(f"the search index {directory} cannot be read ({exc})") from exc


@contextlib.contextmanager
def build_lock(base: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock file beside the index: one build at a time per index folder.

    Waits up to ``wait`` seconds (default LOCK_WAIT_SECONDS) for another build to finish, then
    raises IndexBusyError.
    """
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    path = base / LOCK_FILE
    with path.open("a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"another build is updating the search index under {base} "
                        f"(it holds {path}); gave up after waiting {wait:g} s"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def build_index(
    records: Sequence[AnyRecord], base: Path, *, wait: float | None = None
) -> IndexStats:
    """Bring the index under ``base`` up to date with ``records``.

    The new generation is written beside the current one (a copy of its segment files), then
    the ``current`` link is swapped with an atomic rename: a build that fails or is killed
    leaves the previous generation answering. Unchanged records (same content hash) are not
    re-indexed. Builds of one index take turns (``build_lock``). A previous generation whose
    files do not match its manifest is never opened: the index is rebuilt from ``records``.
    """
    base.mkdir(parents=True, exist_ok=True)
    with build_lock(base, wait):
        return _build_locked(records, base)


def _build_locked(records: Sequence[AnyRecord], base: Path) -> IndexStats:
    old = current_dir(base)
    number = (
        max((int(p.name[4:]) for p in base.glob("gen-*") if p.name[4:].isdigit()), default=0) + 1
    )
    new = base / f"gen-{number}"
    if new.exists():
        shutil.rmtree(new)
    wanted = {record.id: (record, content_hash(record)) for record in records}
    existing: dict[str, str] | None = None
    rebuilt = ""
    if old is not None and _version(old) == INDEX_LAYOUT:
        try:
            existing = _indexed_hashes(old)
        except IndexIntegrityError as exc:
            rebuilt = f"{exc}; rebuilt it from the records"
            log.info("%s", rebuilt)  # callers show IndexStats.rebuilt in their own voice
    if old is not None and existing is not None:
        if existing == {record_id: digest for record_id, (_, digest) in wanted.items()}:
            return IndexStats(0, 0, 0, len(wanted), old.name)
        shutil.copytree(old, new)
        idx = index.open_dir(str(new))
    else:
        existing = {}
        new.mkdir()
        (new / VERSION_FILE).write_text(INDEX_LAYOUT)
        idx = index.create_in(str(new), schema())
    added = updated = removed = unchanged = 0
    writer = idx.writer()
    try:
        for record_id in existing.keys() - wanted.keys():
            writer.delete_by_term("id", record_id)
            removed += 1
        for record_id, (record, digest) in wanted.items():
            if existing.get(record_id) == digest:
                unchanged += 1
                continue
            if record_id in existing:
                updated += 1
            else:
                added += 1
            document = {k: v for k, v in _document(record, digest).items() if v is not None}
            writer.update_document(**document)
        writer.commit(optimize=added + updated + removed > 0 and len(wanted) < OPTIMIZE_BELOW)
    except BaseException:
        writer.cancel()
        shutil.rmtree(new, ignore_errors=True)
        raise
    try:
        write_manifest(new)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    _swap_current(base, new.name)
    for stale in base.glob("gen-*"):
        if stale.name != new.name and (old is None or stale.resolve() != old):
            shutil.rmtree(stale, ignore_errors=True)
    if old is not None and old.name != new.name:
        shutil.rmtree(old, ignore_errors=True)
    return IndexStats(added, updated, removed, unchanged, new.name, rebuilt)


def _indexed_hashes(directory: Path) -> dict[str, str]:
    """Content hash per record id in a verified generation (IndexIntegrityError otherwise)."""
    existing: dict[str, str] = {}
    try:
        with open_verified(directory).searcher() as searcher:
            for fields in searcher.all_stored_fields():
                existing[fields["id"]] = fields.get("content_hash", "")
    except IndexIntegrityError:
        raise
    except Exception as exc:  # verified files that whoosh still cannot read: start afresh
        raise IndexIntegrityError(f"the search index {directory} cannot be read ({exc})") from exc
    return existing


def _version(directory: Path) -> str:
    try:
        return (directory / VERSION_FILE).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _swap_current(base: Path, target: str) -> None:
    temporary = base / f".{CURRENT}-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, base / CURRENT)


def _read_json(path: Path) -> dict[str, Any]:
    """A cached JSON object, or {} when it is missing, unreadable or not an object."""
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _is_table(value: Any) -> bool:
    """A cache table as written: record key -> list of strings (anything else is ignored)."""
    return isinstance(value, dict) and all(
        isinstance(items, list) and all(isinstance(item, str) for item in items)
        for items in value.values()
    )


def _write_json(path: Path, payload: Any) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload))
    os.replace(temporary, path)
