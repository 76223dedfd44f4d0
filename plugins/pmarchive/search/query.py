"""The search query language: filters (class:, sev:1..2, after:...), free text, and the
bounds that refuse expensive or malformed queries with a message."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from whoosh import qparser, query
from whoosh.fields import Schema

from pmarchive.core.suggest import allowed_list, closest
from pmarchive.model.schema import NEARMISS_KINDS, STATUSES
from pmarchive.model.taxonomy import Taxonomy
from pmarchive.search.index import POSTMORTEM_KIND, SEARCHED, schema

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 40
SEV_LEVELS = (1, 99)
YEARS = (1, 9999)


class QueryError(ValueError):
    """A query the parser cannot accept; the message says why, for the person who typed it."""


class VocabularyError(QueryError):
    """A filter outside the vocabulary (``class:cache-stampeed``, ``foo:bar``): the message
    says what is not there and the closest valid value; ``suggested_query`` is the query with
    that value in its place ("" when nothing is close)."""

    def __init__(
        self, message: str, field: str, value: str, suggestion: str | None, suggested_query: str
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.suggestion = suggestion
        self.suggested_query = suggested_query

    def to_json(self) -> dict[str, str | None]:
        return {
            "error": str(self),
            "field": self.field,
            "value": self.value,
            "suggestion": self.suggestion,
            "suggested_query": self.suggested_query or None,
        }


FILTER_FIELDS = {
    "class": "classes",
    "factor": "factors",
    "team": "teams",
    "service": "services",
    "alert": "alerts",
    "kind": "kind",
    "status": "status",
}
FILTER_ALIASES = {
    "classes": "class",
    "factors": "factor",
    "teams": "team",
    "services": "service",
    "alerts": "alert",
    "kinds": "kind",
    "severity": "sev",
    "type": "kind",
}
"""Other names of filters (the index's own field names, a plural) that mean the same filter."""
FREE_TEXT_FIELDS = (
    *dict.fromkeys(s.search.name for s in SEARCHED if s.search and s.search.type == "text"),
    "body",
)
"""The fields free text searches: every declared text field (title, summary, mitigation,
trigger...) and the body."""
TEXT_FIELDS = (*FREE_TEXT_FIELDS, "id")
"""Fields a ``name:word`` may name that are searched as text, not filtered on a vocabulary."""
KINDS = (POSTMORTEM_KIND, *NEARMISS_KINDS)
"""The one spelling of each kind of record, as search, the pages and the export write it."""
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "post-mortem": (POSTMORTEM_KIND,),
    "postmortems": (POSTMORTEM_KIND,),
    "incident": (POSTMORTEM_KIND,),
    "incidents": (POSTMORTEM_KIND,),
    "nearmiss": NEARMISS_KINDS,  # the record type: every near-miss record, weak signals too
    "nearmisses": NEARMISS_KINDS,
    "near_miss": ("near-miss",),
    "weaksignal": ("weak-signal",),
    "weak_signal": ("weak-signal",),
}
"""Other spellings of a kind, accepted and mapped (a record type stands for all its kinds)."""
_OPPOSITE = {"after": "before", "before": "after"}
_FILTER = re.compile(r'(?<!\S)(-?)(\w+):("[^"]*"|\S*)')
_VOCABULARY = {"class": "classes", "factor": "factors", "team": "teams", "service": "services",
               "alert": "alerts"}  # fmt: skip
_NOUNS = {"class": ("class", "classes"), "factor": ("factor", "factors"),
          "team": ("team", "teams"), "service": ("service", "services"),
          "alert": ("alert", "alerts"), "kind": ("kind", "kinds"),
          "status": ("status", "statuses")}  # fmt: skip


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
        name = FILTER_ALIASES.get(name, name)
        if not _known_name(name):
            if value and name.isalpha() and not value.startswith("/"):
                raise _unknown_filter(raw, match, name, value)
            continue  # "note: ..." or a URL: words, not a filter
        if not value and name not in TEXT_FIELDS:
            raise _vocabulary_error(raw, match, name, value, taxonomy)
        if name in ("after", "before"):
            if negate:
                raise QueryError(f"-{name}: is not supported; use {_OPPOSITE[name]}: instead")
            setattr(parsed, name, _date(value, name))
            rest.append(raw[last : match.start()])
            last = match.end()
            continue
        clause = _filter_clause(name, value, taxonomy, raw, match)
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


def _known_name(name: str) -> bool:
    return (
        name in FILTER_FIELDS or name in ("sev", "year", "after", "before") or (name in TEXT_FIELDS)
    )


def _replaced(raw: str, match: re.Match[str], replacement: str) -> str:
    return raw[: match.start()] + replacement + raw[match.end() :]


def _as_value(text: str) -> str:
    return f'"{text}"' if any(c.isspace() for c in text) else text


def _unknown_filter(raw: str, match: re.Match[str], name: str, value: str) -> VocabularyError:
    names = [*FILTER_FIELDS, "sev", "year", "after", "before", *TEXT_FIELDS]
    best = closest(name, [*names, *FILTER_ALIASES])
    best = FILTER_ALIASES.get(best, best) if best else None
    fixed = _replaced(raw, match, f"{match.group(1)}{best}:{match.group(3)}") if best else ""
    hint = (
        f"did you mean {best}:?"
        if best
        else "filters are " + allowed_list([f"{n}:" for n in names], limit=20)
    )
    return VocabularyError(f"No filter '{name}:'; {hint}", name, value, best, fixed)


def vocabulary(name: str, taxonomy: Taxonomy | None) -> list[str] | None:
    """The values filter ``name`` accepts, or None when any value is accepted (no taxonomy)."""
    if name == "kind":
        return list(KINDS)
    if name == "status":
        return list(STATUSES)
    if name == "sev":
        return [str(level) for level in sorted(taxonomy.severity)] if taxonomy else None
    if taxonomy is None or name not in _VOCABULARY:
        return None
    return taxonomy.names(_VOCABULARY[name])


def _vocabulary_error(
    raw: str, match: re.Match[str], name: str, value: str, taxonomy: Taxonomy | None
) -> VocabularyError:
    allowed = vocabulary(name, taxonomy) or []
    noun, plural = _NOUNS.get(name, (name, name))
    if not value:
        example = f" such as {name}:{allowed[0]}" if allowed else ""
        return VocabularyError(f"{name}: needs a value{example}", name, value, None, "")
    aliases: list[str] = []
    if taxonomy is not None and name in _VOCABULARY:
        aliases = list(taxonomy.aliases(_VOCABULARY[name]))
    elif name == "kind":
        aliases = list(KIND_ALIASES)
    best = closest(value, [*allowed, *aliases])
    if best is not None and best not in allowed:  # an alias: suggest what it stands for
        if name == "kind":
            best = best if len(KIND_ALIASES[best]) > 1 else KIND_ALIASES[best][0]
        elif taxonomy is not None:
            best = taxonomy.resolve(_VOCABULARY[name], best)[0]
    if best is None:
        return VocabularyError(
            f"No {noun} '{value}'; {plural} are {allowed_list(allowed)}", name, value, None, ""
        )
    fixed = _replaced(raw, match, f"{match.group(1)}{name}:{_as_value(best)}")
    return VocabularyError(f"No {noun} '{value}'; did you mean {best}?", name, value, best, fixed)


def _resolve(name: str, value: str, taxonomy: Taxonomy | None) -> list[str] | None:
    """The indexed value(s) a filter value stands for (an alias mapped), or None if unknown."""
    if name == "kind":
        lowered = value.lower()
        return [lowered] if lowered in KINDS else list(KIND_ALIASES.get(lowered, ())) or None
    if name == "status":
        return [value.lower()] if value.lower() in STATUSES else None
    if taxonomy is None or name not in _VOCABULARY:
        return [value.lower()]
    vocabulary_name = _VOCABULARY[name]
    current, _ = taxonomy.resolve(vocabulary_name, value)
    if current is None:  # names are matched as the index holds them: lowercased
        names = {n.lower(): n for n in taxonomy.names(vocabulary_name)}
        current = names.get(value.lower())
        if current is None:
            aliases = {a.lower(): s for a, s in taxonomy.aliases(vocabulary_name).items()}
            current = aliases.get(value.lower())
    return [current.lower()] if current is not None else None


def _filter_clause(
    name: str, value: str, taxonomy: Taxonomy | None, raw: str, match: re.Match[str]
) -> query.Query | None:
    if name in TEXT_FIELDS:
        return None  # searched as text by the parser
    if name in FILTER_FIELDS:
        values = _resolve(name, value, taxonomy)
        if values is None:
            raise _vocabulary_error(raw, match, name, value, taxonomy)
        terms = [query.Term(FILTER_FIELDS[name], v) for v in values]
        return terms[0] if len(terms) == 1 else query.Or(terms)
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
        levels = sorted(taxonomy.severity) if taxonomy is not None else []
        outside = [n for n in (lo, hi) if n is not None and levels and n not in levels]
        if outside:
            low_, high_ = levels[0], levels[-1]
            near = [min(max(n, low_), high_) if n is not None else None for n in (lo, hi)]
            best = str(near[0]) if lo == hi else f"{near[0] or ''}..{near[1] or ''}"
            fixed = _replaced(raw, match, f"{match.group(1)}sev:{best}")
            raise VocabularyError(
                f"No sev '{value}'; levels are {low_}..{high_}; did you mean {best}?",
                "sev",
                value,
                best,
                fixed,
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
        list(FREE_TEXT_FIELDS), schema=schema_, group=qparser.AndGroup
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
