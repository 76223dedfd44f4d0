"""Searching an index: ranked hits with escaped plain-text snippets, facets and paging."""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import html
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from whoosh import query, scoring
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from pmarchive.model.taxonomy import Taxonomy
from pmarchive.search.index import (
    BODY_WORDS,
    IndexIntegrityError,
    _is_table,
    _read_json,
    _write_json,
    current_dir,
    open_verified,
)
from pmarchive.search.query import FREE_TEXT_FIELDS, parse_filters, text_query
from pmarchive.search.results import Hit, SearchResult
from pmarchive.search.similar import (
    _class_members,
    _Profile,
    _rank_similar,
    bo1_key_terms,
    key_text,
)

MAX_LIMIT = 100
FACETS = {"class": "classes", "sev": "sev", "team": "teams", "kind": "kind", "year": "year"}
LEAF_CACHE = 400_000
"""Scored leaves (a term in a field, a phrase, a range) and compound nodes kept per generation,
counted in scored documents (about 90 bytes each): queries typed letter by letter, paged
through or refined with a facet share most of theirs. At least this many, and room for
``LEAF_CACHE_PER_DOCUMENT`` nodes matching every record."""
LEAF_CACHE_PER_DOCUMENT = 40
"""A common word is four nodes matching nearly every record (its three fields and their OR):
below some ten of those kept, a handful of queries evicts each other's words (measured at
10,000 + 10,000, where 400,000 entries held about five words and kept nothing useful)."""
RESULT_CACHE = 64
"""Whole queries (normalised) kept per generation with their facets: paging and going back
cost a partial sort of the kept scores."""

STORED_CACHE = 500
"""Documents whose stored fields (the body too) are kept after being shown."""

TIE_BREAK = 1e-12
"""Per day of a record's date, added to its score to rank ties newest first (a day ordinal is
under 10**7, so this moves a score by under 10**-5 and two scores apart by days by less than
10**-8)."""

V = TypeVar("V")
Scores = dict[int, float]
Facets = dict[str, dict[str, int]]
_Found = tuple[Scores, Facets, list[bytes], dict[tuple[int, int], list[Hit]]]
"""A query's matches with their scores, its facets, the words to highlight, and the hits of
the pages (offset, limit) already served."""


class _Lru(Generic[V]):
    """A least-recently-used map holding at most ``size`` entries' worth, each entry weighing
    ``weight(value)`` (1 by default); its users hold the index's lock."""

    def __init__(self, size: int, weight: Callable[[V], int] = lambda _: 1) -> None:
        self.size = size
        self.weight = weight
        self._items: OrderedDict[str, V] = OrderedDict()
        self._held = 0

    def get(self, key: str) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> None:
        weight = self.weight(value)
        if weight > self.size or key in self._items:
            return
        self._items[key] = value
        self._held += weight
        while self._held > self.size:
            _, dropped = self._items.popitem(last=False)
            self._held -= self.weight(dropped)


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


_TEXT_FIELDS = FREE_TEXT_FIELDS
"""The fields free text searches (query.text_query), scored by ``_bm25_term``."""
MAX_PREFIX_TERMS = 400
"""A prefix expanding to more terms than this goes to Whoosh as one query."""


def _bm25_term(
    searcher: Searcher, q: query.Term, norms: Callable[[str, float, float], list[float]]
) -> Scores:
    """Whoosh's BM25F score of every document holding the term, as its collector would give
    (the stored weights already carry the field's boost); a block of postings at a time."""
    weighting = searcher.weighting
    if type(weighting) is not scoring.BM25F:
        top = searcher.search(q, limit=None, terms=False)
        return {docnum: float(score or 0.0) for score, docnum in top.top_n}
    field_name, text = q.fieldname, q.text
    if not isinstance(text, bytes):
        text = searcher.schema[field_name].to_bytes(text)
    if field_name == "body" and BODY_WORDS in searcher.schema:
        field_name = BODY_WORDS  # the same terms without positions: a fraction of the reading
    if (field_name, text) not in searcher.reader():
        return {}
    b = weighting._field_B.get(q.fieldname, weighting.B)
    k1 = weighting.K1
    norm = norms(field_name, b, k1)  # per document: k1 * ((1 - b) + b * length / average length)
    factor = float(q.boost) * searcher.idf(field_name, text) * (k1 + 1)
    postings = searcher.postings(field_name, text)
    if not hasattr(postings, "_read_ids"):  # deletions or several segments: Whoosh's way
        top = searcher.search(q, limit=None, terms=False)
        return {docnum: float(score or 0.0) for score, docnum in top.top_n}
    scores: Scores = {}
    while postings.is_active():
        # the block's ids and weights at once (the matcher's own arrays), then the next block
        postings._read_ids()
        postings._read_weights()
        ids, weights = postings._ids, postings._weights
        scores.update({d: factor * tf / (tf + norm[d]) for d, tf in zip(ids, weights, strict=True)})
        postings._next_block()
    return scores


@dataclass(frozen=True)
class _Tables:
    facets: dict[str, dict[str, int]]
    days: dict[int, int]


def _bitset(docnums: Iterable[int], size: int) -> int:
    """The documents as an int, bit n set for document n."""
    bits = bytearray(size // 8 + 1)
    for docnum in docnums:
        bits[docnum >> 3] |= 1 << (docnum & 7)
    return int.from_bytes(bits, "little")


class ArchiveIndex:
    """A read-only view of the current index generation.

    Everything cached here (the searcher, facet sets, scored leaves, whole results) belongs to
    the generation opened: a rebuild swaps in another generation, which a new ArchiveIndex
    opens, so nothing is ever served from a previous index.
    """

    def __init__(
        self,
        base: Path,
        taxonomy: Taxonomy | None = None,
        *,
        leaf_cache: int = LEAF_CACHE,
        result_cache: int = RESULT_CACHE,
    ) -> None:
        """Open the current generation under ``base``: FileNotFoundError when there is none,
        IndexIntegrityError when its files do not match its manifest. ``leaf_cache`` and
        ``result_cache`` are the sizes of the caches (in scored documents and in queries; 0
        turns one off)."""
        self.directory, self.index = _open_current(base)
        self.base = base
        self.taxonomy = taxonomy
        self._searcher: Searcher | None = None
        self._table: _Tables | None = None
        self._stored_docs: _Lru[dict[str, Any]] = _Lru(STORED_CACHE)
        self._field_norms: dict[str, list[float]] = {}
        self._profile_table: dict[int, _Profile] | None = None
        if leaf_cache == LEAF_CACHE:  # the default grows with the index
            leaf_cache = max(LEAF_CACHE, LEAF_CACHE_PER_DOCUMENT * self.index.doc_count_all())
        self._leaves: _Lru[Scores] = _Lru(leaf_cache, lambda scores: len(scores) + 1)
        self._results: _Lru[_Found] = _Lru(result_cache)
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

    def search(
        self, raw: str, *, limit: int = 20, page: int = 1, offset: int | None = None
    ) -> SearchResult:
        """One page of the ranked matches of ``raw``, the number of matches and the facets over
        all of them. ``offset`` (results to skip) wins over ``page``; ties in score go to the
        newer record."""
        limit = max(1, min(limit, MAX_LIMIT))
        start = max(0, offset) if offset is not None else (max(1, page) - 1) * limit
        key = " ".join(raw.split())
        with self._lock:
            searcher = self._shared_searcher()
            found = self._results.get(key)
            if found is None:
                found = self._match(searcher, raw)
                self._results.put(key, found)
            scores, facet_counts, words, pages_seen = found
            total = len(scores)
            pages = max(1, -(-total // limit))
            seen = pages_seen.get((start, limit))
            if seen is not None:
                return SearchResult(
                    raw, total, start // limit + 1, limit, seen, facet_counts, start, pages
                )
            days = self._days(searcher)
            # ties in score go to the newer record: its day, far below any difference in score
            # that means something, breaks them (a key the heap reads in C, not a Python key
            # function called once per match)
            ranking = {d: v + days.get(d, 0) * TIE_BREAK for d, v in scores.items()}
            top = heapq.nlargest(start + limit, ranking, key=ranking.__getitem__)[start:]
            ranked = [(docnum, scores[docnum]) for docnum in top]
            snippets = self._snippets(searcher, [docnum for docnum, _ in ranked], words)
            results = [
                self._hit(self._stored(searcher, docnum), score, snippets.get(docnum, ""))
                for docnum, score in ranked
            ]
            pages_seen[(start, limit)] = results
            return SearchResult(
                raw, total, start // limit + 1, limit, results, facet_counts, start, pages
            )

    def _match(self, searcher: Searcher, raw: str) -> _Found:
        """Every match of ``raw`` with its score, the facet counts over them and the body
        words to highlight.

        The query tree is evaluated here: each leaf (a term in a field, a phrase, a range) is
        scored by Whoosh once per generation and kept, and And, Or and Not combine those
        per-document scores as Whoosh's matchers do (a sum), so a query sharing words with an
        earlier one costs dictionary operations instead of a walk of the postings. Filters
        narrow without adding to the score.
        """
        parsed = parse_filters(raw, self.taxonomy)
        q = text_query(parsed.text, self.index.schema)
        scores = self._evaluate(searcher, q)
        for clause in parsed.filters:
            keep = self._leaf(searcher, clause)
            scores = {d: v for d, v in scores.items() if d in keep}
        for clause in parsed.exclusions:
            drop = self._leaf(searcher, clause)
            scores = {d: v for d, v in scores.items() if d not in drop}
        allowed = self._within_dates(searcher, parsed.after, parsed.before)
        if allowed is not None:
            scores = {d: v for d, v in scores.items() if d in allowed}
        words = sorted({text for field_name, text in q.iter_all_terms() if field_name == "body"})
        return scores, self._facets(searcher, scores), words, {}

    def _everything(self, searcher: Searcher) -> Scores:
        return dict.fromkeys(searcher.reader().all_doc_ids(), 0.0)

    def _evaluate(self, searcher: Searcher, q: query.Query) -> Scores:
        """The scores of ``q``'s matches. Compound nodes are kept like leaves: "cache" is an OR
        over three fields, shared by "cache timeout", "cache class:x" and the next page."""
        if q is query.NullQuery:
            return {}
        if isinstance(q, query.Every) and not q.fieldname:
            return self._everything(searcher)
        if not isinstance(q, query.And | query.Or | query.AndNot | query.Not | query.AndMaybe):
            return self._leaf(searcher, q)  # terms, phrases, prefixes, ranges
        key = repr(q)
        scores = self._leaves.get(key)
        if scores is None:
            scores = self._combine(searcher, q)
            self._leaves.put(key, scores)
        return scores

    def _combine(self, searcher: Searcher, q: query.Query) -> Scores:
        boost = float(getattr(q, "boost", 1.0) or 1.0)
        combined: Scores
        if type(q) in (query.And, query.Or):
            positive = [s for s in q.subqueries if not isinstance(s, query.Not)]
            negative = [s.query for s in q.subqueries if isinstance(s, query.Not)]
            if isinstance(q, query.Or) and negative:
                return self._leaf(searcher, q)  # "a OR NOT b": left to Whoosh
            parts = [self._evaluate(searcher, s) for s in positive] or [self._everything(searcher)]
            if isinstance(q, query.And):
                parts.sort(key=len)
                combined = dict(parts[0])
                for part in parts[1:]:
                    combined = {d: v + part[d] for d, v in combined.items() if d in part}
            else:
                combined = {}
                for part in parts:
                    for d, v in part.items():
                        combined[d] = combined.get(d, 0.0) + v
            for excluded in negative:  # Whoosh scores a NOT as 1 in each document it keeps
                drop = self._evaluate(searcher, excluded)
                combined = {d: v + 1.0 for d, v in combined.items() if d not in drop}
        elif isinstance(q, query.AndNot):
            drop = self._evaluate(searcher, q.b)
            combined = {d: v for d, v in self._evaluate(searcher, q.a).items() if d not in drop}
        elif isinstance(q, query.Not):
            drop = self._evaluate(searcher, q.query)
            return {d: 1.0 for d in searcher.reader().all_doc_ids() if d not in drop}
        elif isinstance(q, query.AndMaybe):
            extra = self._evaluate(searcher, q.b)
            combined = {d: v + extra.get(d, 0.0) for d, v in self._evaluate(searcher, q.a).items()}
        else:
            return self._leaf(searcher, q)  # terms, phrases, prefixes, ranges: Whoosh scores
        return {d: v * boost for d, v in combined.items()} if boost != 1.0 else combined

    def _leaf(self, searcher: Searcher, q: query.Query) -> Scores:
        key = repr(q)
        scores = self._leaves.get(key)
        if scores is None:
            scores = self._score_leaf(searcher, q)
            self._leaves.put(key, scores)
        return scores

    def _score_leaf(self, searcher: Searcher, q: query.Query) -> Scores:
        """Per-document scores of one leaf. A term in a text field is scored here with Whoosh's
        BM25F formula over its postings, read a block at a time, and field lengths read once
        per generation; a prefix is its terms; anything else goes through Whoosh's collector
        (which costs several times as much per posting)."""
        if isinstance(q, query.Term) and q.fieldname in _TEXT_FIELDS:
            return _bm25_term(searcher, q, lambda name, b, k1: self._norms(searcher, name, b, k1))
        if isinstance(q, query.Phrase) and q.fieldname in _TEXT_FIELDS and q.slop == 1:
            return self._phrase(searcher, q)
        if isinstance(q, query.Prefix) and q.fieldname in _TEXT_FIELDS:
            expanded = q.simplify(searcher.reader())
            terms = getattr(expanded, "subqueries", [expanded])
            if all(isinstance(t, query.Term) for t in terms) and len(terms) <= MAX_PREFIX_TERMS:
                combined: Scores = {}
                for term in terms:  # not kept one by one: a short prefix has hundreds
                    for d, v in self._score_leaf(searcher, term).items():
                        combined[d] = combined.get(d, 0.0) + v
                boost = float(q.boost)
                return {d: v * boost for d, v in combined.items()} if boost != 1.0 else combined
        top = searcher.search(q, limit=None, terms=False)
        return {docnum: float(score or 0.0) for score, docnum in top.top_n}

    def _phrase(self, searcher: Searcher, q: query.Phrase) -> Scores:
        """Documents with the words of ``q`` one after the other, scored as Whoosh scores a
        phrase (the sum of its words' scores). The candidates are the documents holding every
        word (from the words' kept scores); positions are read for those alone, one walk of
        each word's postings, instead of Whoosh's span matching over every posting."""
        field = searcher.schema[q.fieldname]
        reader = searcher.reader()
        try:
            words = [field.to_bytes(word) for word in q.words]
        except ValueError:
            return {}
        if any((q.fieldname, word) not in reader for word in words):
            return {}
        word_scores = [self._leaf(searcher, query.Term(q.fieldname, word)) for word in words]
        candidates = sorted(set.intersection(*(set(scores) for scores in word_scores)))
        found: list[dict[int, list[int]]] = []
        for word in words:
            positions: dict[int, list[int]] = {}
            postings = searcher.postings(q.fieldname, word)
            for docnum in candidates:
                if postings.is_active() and postings.id() < docnum:
                    postings.skip_to(docnum)
                if not postings.is_active():
                    break
                if postings.id() == docnum:
                    positions[docnum] = postings.value_as("positions")
            found.append(positions)
        boost = float(q.boost)
        matched: Scores = {}
        for docnum in candidates:
            starts = set(found[0].get(docnum, ()))
            for offset, positions in enumerate(found[1:], start=1):
                following = set(positions.get(docnum, ()))
                starts = {start for start in starts if start + offset in following}
            if starts:
                matched[docnum] = boost * sum(scores[docnum] for scores in word_scores)
        return matched

    def _norms(self, searcher: Searcher, field_name: str, b: float, k1: float) -> list[float]:
        """BM25's length normalisation of every document in ``field_name``, from the lengths
        as Whoosh scores them (quantised), once per generation; a field no document fills has
        no lengths at all (None)."""
        norms = self._field_norms.get(field_name)
        if norms is None:
            reader = searcher.reader()
            average = searcher.avg_field_length(field_name) or 1
            norms = [
                k1 * ((1 - b) + b * (reader.doc_field_length(d, field_name, 0) or 0) / average)
                for d in range(searcher.doc_count_all())
            ]
            self._field_norms[field_name] = norms
        return norms

    def _tables(self, searcher: Searcher) -> _Tables:
        """What every query reads about every document, once per generation and without
        unpickling any stored record: each facet value's documents as a bitset (from the
        value's postings) and each document's day (from the date column)."""
        if self._table is None:
            reader = searcher.reader()
            size = searcher.doc_count_all()
            facets: dict[str, dict[str, int]] = {}
            for name, field_name in FACETS.items():
                field = searcher.schema[field_name]
                if field_name in ("sev", "year"):  # numbers: their full-precision terms only
                    terms = [
                        (str(field.from_bytes(t)), t)
                        for t in field.sortable_terms(reader, field_name)
                    ]
                else:
                    terms = [(t.decode("utf-8"), t) for t in reader.lexicon(field_name)]
                facets[name] = {
                    value: _bitset(reader.postings(field_name, term).all_ids(), size)
                    for value, term in terms
                    if value
                }
            if reader.has_column("date"):
                column = reader.column_reader("date")
                days = {d: column[d].toordinal() for d in reader.all_doc_ids() if column[d]}
            else:
                days = {d: f["date"].date().toordinal() for d, f in reader.iter_docs()}
            self._table = _Tables(facets, days)
        return self._table

    def _stored(self, searcher: Searcher, docnum: int) -> dict[str, Any]:
        """A document's stored fields, kept for the documents recently shown."""
        key = str(docnum)
        stored = self._stored_docs.get(key)
        if stored is None:
            stored = searcher.stored_fields(docnum)
            self._stored_docs.put(key, stored)
        return stored

    def _within_dates(
        self, searcher: Searcher, after: dt.date | None, before: dt.date | None
    ) -> set[int] | None:
        if after is None and before is None:
            return None
        low = after.toordinal() if after else -1
        high = before.toordinal() if before else 10**9
        return {doc for doc, day in self._days(searcher).items() if low <= day <= high}

    def _days(self, searcher: Searcher) -> dict[int, int]:
        return self._tables(searcher).days

    def _facets(self, searcher: Searcher, matched: Scores) -> Facets:
        """Counts per class, SEV, team, kind and year over every match (not just the page):
        the matches as a bitset, and per value the population count of its intersection with
        the value's precomputed set."""
        mask = _bitset(matched, searcher.doc_count_all())
        counts: Facets = {}
        for name, values in self._tables(searcher).facets.items():
            bucket = [(value, (mask & docs).bit_count()) for value, docs in values.items()]
            counts[name] = dict(
                sorted((kv for kv in bucket if kv[1]), key=lambda kv: (-kv[1], kv[0]))
            )
        return counts

    def _snippets(
        self, searcher: Searcher, docnums: Sequence[int], words: Sequence[bytes]
    ) -> dict[int, str]:
        """A snippet per document: around its matches in the body, else its summary, else the
        start of its body; escaped, matches in <mark>."""
        spans = _positions(searcher, docnums, words)
        snippets = {}
        for docnum in docnums:
            found = spans.get(docnum)
            stored = self._stored(searcher, docnum)
            summary = stored.get("summary", "")
            if found or not summary:
                body = stored.get("body", "")
                snippet = _snippet(body, found) if found else ""
                snippets[docnum] = snippet or html.escape(" ".join(body.split()[:30]), quote=False)
            else:
                snippets[docnum] = html.escape(summary, quote=False)
        return snippets

    @staticmethod
    def _hit(stored: dict[str, Any], score: float, snippet: str) -> Hit:
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
            score=round(score, 4),
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
        reader = searcher.reader()
        body = searcher.schema["body"]
        collection: dict[str, float] | None = None  # read on the first record not cached
        for docnum, stored in reader.iter_docs():
            digest = stored.get("content_hash", "")
            terms = keyterms.get(digest)
            if terms is None:
                if collection is None:
                    collection = collection_frequencies(reader, "body")
                terms = bo1_key_terms(
                    analysed_words(body, key_text(stored)), collection, reader.doc_count_all()
                )
            fresh[digest] = terms
            table[docnum] = _Profile.from_stored(stored, terms)
        if fresh != keyterms:
            _write_json(cache_file, fresh)
        self._profile_table = table
        return table


def collection_frequencies(reader: Any, fieldname: str) -> dict[str, float]:
    """How often each term of ``fieldname`` occurs in the whole index, in one walk of its
    lexicon (what ``reader.frequency`` answers term by term)."""
    field = reader.schema[fieldname]
    return {field.from_bytes(btext): info.weight() for btext, info in reader.iter_field(fieldname)}


def analysed_words(field: Any, text: str) -> Iterator[str]:
    """The terms ``field``'s analyzer indexes for ``text`` (stop words dropped), one per
    occurrence, as Whoosh's ``field.index`` counts them."""
    for token in field.analyzer(text, mode="index", positions=True, chars=True, boosts=True):
        if not token.stopped:
            yield token.text


SNIPPET_CHARS = 220


def _positions(
    searcher: Searcher, docnums: Sequence[int], words: Sequence[bytes]
) -> dict[int, list[tuple[int, int]]]:
    """Character spans of ``words`` in the body of each of ``docnums``, read from the positions
    stored in the index (no re-analysis of the text): one walk of each word's postings, in
    document order."""
    spans: dict[int, list[tuple[int, int]]] = {}
    ordered = sorted(set(docnums))
    for word in words:
        try:
            postings = searcher.postings("body", word)
        except Exception:  # a term absent from the index
            continue
        for docnum in ordered:
            if postings.is_active() and postings.id() < docnum:
                postings.skip_to(docnum)
            if not postings.is_active():
                break
            if postings.id() == docnum:
                spans.setdefault(docnum, []).extend(
                    (start, end) for _, start, end in postings.value_as("characters")
                )
    return spans


def _snippet(body: str, spans: list[tuple[int, int]]) -> str:
    """An escaped window of the plain-text body around the first matches, matches in <mark>."""
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
