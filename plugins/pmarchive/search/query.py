"""The search query language: filters (class:, sev:1..2, after:...), free text, and the
bounds that refuse expensive or malformed queries with a message."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from whoosh import qparser, query
from whoosh.fields import Schema

from pmarchive.model.taxonomy import Taxonomy
from pmarchive.search.index import schema

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 40
SEV_LEVELS = (1, 99)
YEARS = (1, 9999)


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
