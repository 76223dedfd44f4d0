"""The Whoosh full-text index of the archive: incremental, atomic builds and faceted queries."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import fcntl
import hashlib
import html
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index, qparser, query
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from .records import AnyRecord, PostMortem
from .taxonomy import Taxonomy

SCHEMA_VERSION = 2
VERSION_FILE = "pmarchive-schema-version"
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 40
MAX_LIMIT = 100
CURRENT = "current"
MANIFEST = "pmarchive-manifest.json"
LOCK_FILE = "build.lock"
LOCK_WAIT_SECONDS = 300.0
SEV_LEVELS = (1, 99)
YEARS = (1, 9999)

log = logging.getLogger(__name__)


def schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        title=TEXT(stored=True, analyzer=StemmingAnalyzer(), field_boost=3.0),
        summary=TEXT(stored=True, analyzer=StemmingAnalyzer(), field_boost=1.5),
        # character positions make highlighting a lookup instead of a re-analysis of the body
        body=TEXT(stored=True, analyzer=StemmingAnalyzer(), chars=True),
        classes=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        factors=KEYWORD(stored=True, commas=True, lowercase=True),
        teams=KEYWORD(stored=True, commas=True, lowercase=True),
        services=KEYWORD(stored=True, commas=True, lowercase=True),
        alerts=KEYWORD(stored=True, commas=True, lowercase=True),
        sev=NUMERIC(stored=True),
        date=DATETIME(stored=True, sortable=True),
        year=NUMERIC(stored=True),
        status=ID(stored=True),
        url=STORED,
        content_hash=ID(stored=True),
    )


def record_kind(record: AnyRecord) -> str:
    return "post-mortem" if isinstance(record, PostMortem) else record.kind


def content_hash(record: AnyRecord) -> str:
    """Changes whenever anything indexed about the record changes."""
    payload = json.dumps(_document(record, ""), sort_keys=True, default=str)
    return hashlib.sha256(f"{SCHEMA_VERSION}:{payload}".encode()).hexdigest()


def _document(record: AnyRecord, digest: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record_kind(record),
        "title": record.title,
        "summary": record.summary,
        "body": record.body,
        "classes": ",".join(record.cause_class),
        "factors": ",".join(record.contributing_factors),
        "teams": ",".join(record.teams),
        "services": ",".join(record.services),
        "alerts": ",".join(record.alerts),
        "sev": record.sev if isinstance(record, PostMortem) else None,
        "date": dt.datetime.combine(record.date, dt.time()),
        "year": record.date.year,
        "status": record.status if isinstance(record, PostMortem) else "",
        "url": record.url,
        "content_hash": digest,
    }


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
    if old is not None and _version(old) == SCHEMA_VERSION:
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
        (new / VERSION_FILE).write_text(str(SCHEMA_VERSION))
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
        writer.commit(optimize=added + updated + removed > 0 and len(wanted) < 50_000)
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


def _version(directory: Path) -> int:
    try:
        return int((directory / VERSION_FILE).read_text())
    except (OSError, ValueError):
        return 0


def _swap_current(base: Path, target: str) -> None:
    temporary = base / f".{CURRENT}-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, base / CURRENT)


class QueryError(ValueError):
    """A query the parser cannot accept; the message says why, for the person who typed it."""


FILTER_FIELDS = {
    "class": "classes",
    "factor": "factors",
    "team": "teams",
    "service": "services",
    "alert": "alerts",
    "kind": "kind",
    "status": "status",
}
_OPPOSITE = {"after": "before", "before": "after"}
_FILTER = re.compile(r'(?<!\S)(-?)(\w+):("[^"]*"|\S+)')


@dataclass
class ParsedQuery:
    text: str
    filters: list[query.Query] = field(default_factory=list)
    exclusions: list[query.Query] = field(default_factory=list)
    after: dt.date | None = None
    """Inclusive lower bound on the record's date (applied as a document filter: a date range
    query expands into many index terms and dominated query time)."""
    before: dt.date | None = None


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name}: expected a date such as 2026-01-31, got '{value}'") from None


def parse_filters(raw: str, taxonomy: Taxonomy | None = None) -> ParsedQuery:
    """Split ``class:x sev:1..2 after:2026-01-01`` filters from the free text."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(raw)} characters long; the limit is {MAX_QUERY_CHARS}")
    parsed = ParsedQuery(text="")
    rest = []
    last = 0
    for match in _FILTER.finditer(raw):
        negate, name, value = match.group(1), match.group(2).lower(), match.group(3).strip('"')
        if name in ("after", "before"):
            if negate:
                raise QueryError(f"-{name}: is not supported; use {_OPPOSITE[name]}: instead")
            setattr(parsed, name, _date(value, name))
            rest.append(raw[last : match.start()])
            last = match.end()
            continue
        clause = _filter_clause(name, value, taxonomy)
        if clause is None:
            continue  # not a filter we know: leave it to the text parser (e.g. title:foo)
        rest.append(raw[last : match.start()])
        last = match.end()
        (parsed.exclusions if negate else parsed.filters).append(clause)
    rest.append(raw[last:])
    parsed.text = " ".join("".join(rest).split())
    return parsed


def _whole(text: str, bounds: tuple[int, int]) -> int | None:
    """A plain decimal within ``bounds`` (ASCII digits only: no sign, underscores or
    other scripts' digits), else None."""
    low, high = bounds
    if not re.fullmatch(r"[0-9]{1,9}", text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def _filter_clause(name: str, value: str, taxonomy: Taxonomy | None) -> query.Query | None:
    if name in FILTER_FIELDS:
        target = FILTER_FIELDS[name]
        if taxonomy is not None and target in ("classes", "factors"):
            current, _ = taxonomy.resolve(target, value)
            value = current or value
        return query.Term(target, value.lower() if target not in ("kind", "status") else value)
    if name == "sev":
        # bounded before Whoosh sees them: its numeric fields hold 32 bits, and a wider value
        # raised deep inside the search
        low, dots, high = value.partition("..")
        lo = _whole(low, SEV_LEVELS) if low else None
        hi = _whole(high, SEV_LEVELS) if high else (None if dots else lo)
        if (low and lo is None) or (high and hi is None) or (lo is None and hi is None):
            first, last = SEV_LEVELS
            raise QueryError(
                f"sev: expected a level or a range such as 1..2, each in {first}..{last}, "
                f"got '{value}'"
            )
        return query.NumericRange("sev", lo, hi)  # low > high is a range that matches none
    if name == "year":
        year = _whole(value, YEARS)
        if year is None:
            first, last = YEARS
            raise QueryError(
                f"year: expected a year such as 2026, in {first}..{last}, got '{value}'"
            )
        return query.NumericRange("year", year, year)
    return None


def text_query(text: str, schema_: Schema) -> query.Query:
    if not text:
        return query.Every()
    if re.search(r"(?:^|[\s(])[*?]", text):
        raise QueryError("leading wildcards are not supported (they scan the whole index)")
    parser = qparser.MultifieldParser(
        ["title", "summary", "body"], schema=schema_, group=qparser.AndGroup
    )
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.WildcardPlugin())
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # whoosh raises assorted errors on odd input
        raise QueryError(f"cannot parse the query: {exc}") from None
    for leaf in parsed.leaves():
        # field-prefixed terms (title:*a*, body:?x, title:*) get past the check on the raw text
        if (isinstance(leaf, query.Wildcard) and leaf.text[:1] in ("*", "?")) or (
            isinstance(leaf, query.Every) and leaf.fieldname
        ):
            raise QueryError("leading wildcards are not supported (they scan the whole index)")
    terms = list(parsed.iter_all_terms()) if hasattr(parsed, "iter_all_terms") else []
    if len(terms) > MAX_QUERY_TERMS:
        raise QueryError(f"query has {len(terms)} terms; the limit is {MAX_QUERY_TERMS}")
    if parsed is query.NullQuery:
        return query.Every()
    return parsed


_QUERY_SCHEMA = schema()


def check_query(raw: str, taxonomy: Taxonomy | None = None) -> None:
    """Raise QueryError for a query ``ArchiveIndex.search`` would refuse, without an index
    (the server answers these at once instead of queueing them behind searches)."""
    text_query(parse_filters(raw, taxonomy).text, _QUERY_SCHEMA)


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    kind: str
    sev: int | None
    date: str
    classes: list[str]
    url: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    page: int
    limit: int
    results: list[Hit]
    facets: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


FACETS = {"class": "classes", "sev": "sev", "team": "teams", "kind": "kind", "year": "year"}


def _open_current(base: Path) -> tuple[Path, FileIndex]:
    for attempt in range(3):
        directory = current_dir(base)
        if directory is None:
            raise FileNotFoundError(f"no search index under {base}")
        try:
            return directory, open_verified(directory)
        except IndexIntegrityError:
            # a build may have swapped in a new generation and removed this one meanwhile
            if attempt == 2 or current_dir(base) == directory:
                raise
    raise AssertionError("unreachable")


class ArchiveIndex:
    """A read-only view of the current index generation."""

    def __init__(self, base: Path, taxonomy: Taxonomy | None = None) -> None:
        """Open the current generation under ``base``: FileNotFoundError when there is none,
        IndexIntegrityError when its files do not match its manifest."""
        self.directory, self.index = _open_current(base)
        self.base = base
        self.taxonomy = taxonomy
        self._searcher: Searcher | None = None
        self._facet_table: dict[int, dict[str, tuple[str, ...]]] | None = None
        self._day_table: dict[int, int] | None = None
        self._profile_table: dict[int, _Profile] | None = None
        self._lock = threading.Lock()

    def _shared_searcher(self) -> Searcher:
        """One searcher for the life of this generation: its per-field caches (facets, field
        lengths) are built once instead of on every query."""
        if self._searcher is None:
            self._searcher = self.index.searcher()
        return self._searcher

    def close(self) -> None:
        with self._lock:  # after any search in another thread has finished with the searcher
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def search(self, raw: str, *, limit: int = 20, page: int = 1) -> SearchResult:
        limit = max(1, min(limit, MAX_LIMIT))
        page = max(1, page)
        parsed = parse_filters(raw, self.taxonomy)
        q = text_query(parsed.text, self.index.schema)
        clauses = [q, *parsed.filters]
        final: query.Query = query.And(clauses) if len(clauses) > 1 else q
        if parsed.exclusions:
            final = query.AndNot(final, query.Or(parsed.exclusions))
        with self._lock:
            searcher = self._shared_searcher()
            allowed = self._within_dates(searcher, parsed.after, parsed.before)
            if allowed is not None and not allowed:
                # Whoosh reads an empty filter as no filter: a range that holds no record
                # (before:1900-01-01, or after a later day than before) matches none
                empty: dict[str, dict[str, int]] = {name: {} for name in FACETS}
                return SearchResult(raw, 0, page, limit, [], empty)
            # One scored walk over every match: it yields the page, the total and the facets.
            # (A separate unscored walk for the counts cost as much again.)
            top = searcher.search(final, limit=None, filter=allowed)
            matched = [docnum for _, docnum in top.top_n]
            words = sorted(
                {text for field_name, text in final.iter_all_terms() if field_name == "body"}
            )
            results = [
                self._hit(hit, _snippet(searcher, hit.docnum, hit.get("body", ""), words))
                for hit in top[(page - 1) * limit : page * limit]
            ]
            facet_counts = self._facets(searcher, matched)
            return SearchResult(raw, len(matched), page, limit, results, facet_counts)

    def _facet_values(self, searcher: Searcher) -> dict[int, dict[str, tuple[str, ...]]]:
        """Facet values of every document, read once per generation from the stored fields."""
        if self._facet_table is None:
            table: dict[int, dict[str, tuple[str, ...]]] = {}
            for docnum, stored in searcher.reader().iter_docs():
                row: dict[str, tuple[str, ...]] = {}
                for name, field_name in FACETS.items():
                    value = stored.get(field_name)
                    if value in (None, ""):
                        row[name] = ()
                    elif field_name in ("classes", "teams"):
                        row[name] = tuple(v for v in str(value).split(",") if v)
                    else:
                        row[name] = (str(value),)
                table[docnum] = row
            self._facet_table = table
        return self._facet_table

    def _within_dates(
        self, searcher: Searcher, after: dt.date | None, before: dt.date | None
    ) -> set[int] | None:
        if after is None and before is None:
            return None
        low = after.toordinal() if after else -1
        high = before.toordinal() if before else 10**9
        return {doc for doc, day in self._days(searcher).items() if low <= day <= high}

    def _days(self, searcher: Searcher) -> dict[int, int]:
        if self._day_table is None:
            self._day_table = {
                docnum: stored["date"].date().toordinal()
                for docnum, stored in searcher.reader().iter_docs()
            }
        return self._day_table

    def _facets(self, searcher: Searcher, matched: list[int]) -> dict[str, dict[str, int]]:
        """Counts per class, SEV, team, kind and year over every match (not just the page):
        matching documents are listed without scoring and counted from a per-document table."""
        table = self._facet_values(searcher)
        counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        for docnum in matched:
            for name, values in table[docnum].items():
                bucket = counts[name]
                for value in values:
                    bucket[value] = bucket.get(value, 0) + 1
        return {
            name: dict(sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0])))
            for name, bucket in counts.items()
        }

    @staticmethod
    def _hit(hit: Any, snippet: str = "") -> Hit:
        snippet = snippet or html.escape(hit.get("summary", ""), quote=False)
        if not snippet:
            snippet = html.escape(" ".join(hit.get("body", "").split()[:30]), quote=False)
        stored = hit.fields()
        sev = stored.get("sev") or None
        return Hit(
            id=stored["id"],
            title=stored["title"],
            kind=stored["kind"],
            sev=sev,
            date=stored["date"].date().isoformat(),
            classes=[c for c in stored.get("classes", "").split(",") if c],
            url=stored["url"],
            snippet=snippet,
            score=round(float(hit.score or 0.0), 4),
        )

    def similar(self, record_id: str, limit: int = 5) -> list[Hit]:
        """Records most like this one (see ``similar_all``); KeyError for an unknown id."""
        found = self.similar_all([record_id], limit)
        if record_id not in found:
            raise KeyError(record_id)
        return found[record_id]

    def similar_all(self, ids: Iterable[str], limit: int = 5) -> dict[str, list[Hit]]:
        """Similar records of every id, computed in one pass (for the static pages).

        Candidates share a cause class with the record (the nearest PER_CLASS of each class by
        date). Score = 3 x shared classes + shared factors, services and alerts + 2 x shared key
        terms (Whoosh's key terms of the text, Bo1 model); ties go to the closer date. A record
        whose classes nobody else has gets no similar records. Results are cached in the index
        generation, keyed by every record's content hash, so an unchanged rebuild reuses them.
        """
        wanted = sorted(set(ids))
        with self._lock:
            searcher = self._shared_searcher()
            profiles = self._profiles(searcher)
            digest = hashlib.sha256(
                json.dumps(sorted((p.id, p.digest) for p in profiles.values())).encode()
            ).hexdigest()
            cache_file = self._cache_dir() / f"similar-{limit}.json"
            cached = _read_json(cache_file)
            if cached.get("digest") == digest and _is_table(cached.get("similar")):
                table = cached["similar"]
            else:
                members = _class_members(profiles)
                table = {p.id: _rank_similar(p, members, limit) for p in profiles.values()}
                _write_json(cache_file, {"digest": digest, "similar": table})
            by_id = {p.id: p for p in profiles.values()}
            return {
                record_id: [
                    by_id[other].hit() for other in table.get(record_id, []) if other in by_id
                ]
                for record_id in wanted
                if record_id in by_id
            }

    def _cache_dir(self) -> Path:
        return self.directory  # the generation opened, even if a build has swapped in another

    def _profiles(self, searcher: Searcher) -> dict[int, _Profile]:
        """What similarity compares, per document; key terms cached by content hash."""
        if self._profile_table is not None:
            return self._profile_table
        cache_file = self._cache_dir() / "keyterms.json"
        keyterms: dict[str, list[str]] = _read_json(cache_file)
        if not _is_table(keyterms):
            keyterms = {}
        fresh: dict[str, list[str]] = {}
        table: dict[int, _Profile] = {}
        for docnum, stored in searcher.reader().iter_docs():
            digest = stored.get("content_hash", "")
            terms = keyterms.get(digest)
            if terms is None:
                text = " ".join(
                    (
                        stored.get("title", ""),
                        stored.get("summary", ""),
                        stored.get("body", "")[:6000],
                    )
                )
                terms = [w for w, _ in searcher.key_terms_from_text("body", text, numterms=10)]
            fresh[digest] = terms
            table[docnum] = _Profile.from_stored(stored, terms)
        if fresh != keyterms:
            _write_json(cache_file, fresh)
        self._profile_table = table
        return table


PER_CLASS = 300


@dataclass(frozen=True)
class _Profile:
    id: str
    digest: str
    day: int
    classes: frozenset[str]
    context: frozenset[str]
    terms: frozenset[str]
    stored: dict[str, Any] = field(compare=False, hash=False)

    @classmethod
    def from_stored(cls, stored: dict[str, Any], terms: list[str]) -> _Profile:
        def values(name: str) -> set[str]:
            return {f"{name}:{v}" for v in str(stored.get(name, "")).split(",") if v}

        return cls(
            id=stored["id"],
            digest=stored.get("content_hash", ""),
            day=stored["date"].date().toordinal(),
            classes=frozenset(c for c in str(stored.get("classes", "")).split(",") if c),
            context=frozenset(values("factors") | values("services") | values("alerts")),
            terms=frozenset(terms),
            stored={k: v for k, v in stored.items() if k != "body"},
        )

    def hit(self) -> Hit:
        stored = self.stored
        return Hit(
            id=self.id,
            title=stored["title"],
            kind=stored["kind"],
            sev=stored.get("sev") or None,
            date=stored["date"].date().isoformat(),
            classes=sorted(self.classes),
            url=stored["url"],
            snippet=html.escape(stored.get("summary", ""), quote=False),
            score=0.0,
        )


def _rank_similar(profile: _Profile, by_class: dict[str, list[_Profile]], limit: int) -> list[str]:
    candidates: set[_Profile] = set()
    for cls in profile.classes:
        members = by_class.get(cls, [])
        # the PER_CLASS members nearest in time (members are sorted by day)
        days = [m.day for m in members]
        centre = bisect.bisect_left(days, profile.day)
        low = max(0, centre - PER_CLASS // 2)
        candidates.update(members[low : low + PER_CLASS])
    candidates.discard(profile)
    scored = sorted(
        (
            -(
                3 * len(profile.classes & other.classes)
                + len(profile.context & other.context)
                + 2 * len(profile.terms & other.terms)
            ),
            abs(profile.day - other.day),
            other.id,
        )
        for other in candidates
    )
    return [other_id for _, _, other_id in scored[:limit]]


def _class_members(profiles: dict[int, _Profile]) -> dict[str, list[_Profile]]:
    """Profiles per class, sorted by day."""
    members: dict[str, list[_Profile]] = {}
    for p in profiles.values():
        for cls in p.classes:
            members.setdefault(cls, []).append(p)
    for group in members.values():
        group.sort(key=lambda p: (p.day, p.id))
    return members


SNIPPET_CHARS = 220


def _snippet(searcher: Searcher, docnum: int, body: str, words: Sequence[bytes]) -> str:
    """An escaped window of the body around the first query terms, matches in <mark>.

    Reads the character positions stored in the index for just this document and these terms
    (no re-analysis of the text, no per-match bookkeeping during the search).
    """
    spans: list[tuple[int, int]] = []
    for word in words:
        try:
            postings = searcher.postings("body", word)
        except Exception:  # a term absent from the index
            continue
        postings.skip_to(docnum)
        if postings.is_active() and postings.id() == docnum:
            spans.extend((start, end) for _, start, end in postings.value_as("characters"))
    if not spans:
        return ""
    spans.sort()
    first = spans[0][0]
    start = max(0, first - SNIPPET_CHARS // 3)
    end = min(len(body), start + SNIPPET_CHARS)
    pieces = ["…" if start else ""]
    cursor = start
    for left, right in spans:
        if left < cursor or right > end:
            continue
        pieces.append(html.escape(body[cursor:left], quote=False))
        pieces.append(f"<mark>{html.escape(body[left:right], quote=False)}</mark>")
        cursor = right
    pieces.append(html.escape(body[cursor:end], quote=False))
    pieces.append("…" if end < len(body) else "")
    return " ".join("".join(pieces).split())


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
