"""Searching an index: ranked hits with escaped snippets, facets and paging."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from whoosh import query
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from pmarchive.model.taxonomy import Taxonomy
from pmarchive.search.index import (
    IndexIntegrityError,
    _is_table,
    _read_json,
    _write_json,
    current_dir,
    open_verified,
)
from pmarchive.search.query import parse_filters, text_query
from pmarchive.search.results import Hit, SearchResult
from pmarchive.search.similar import _class_members, _Profile, _rank_similar

MAX_LIMIT = 100
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
