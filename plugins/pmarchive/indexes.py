"""Index pages: records grouped by cause class, factor, team, service, alert, SEV and quarter.

Every kind of index page is rendered by the same functions; the kinds differ by their key only.
Pages are Markdown whose links point at other pages' source files, so MkDocs checks them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .records import AnyRecord, NearMiss, PostMortem
from .render import format_seconds

PAGE_SIZE = 400
"""Records per listing page; longer listings continue on numbered pages, so no page grows past
a few hundred KB however large the archive (about 0.6 KB of HTML per row)."""
RECURRENCE_DAYS = 90


@dataclass(frozen=True)
class IndexKind:
    """One family of index pages: its URL section, its label and the keys a record files under."""

    section: str
    label: str
    plural: str
    keys: Callable[[AnyRecord], Iterable[str]]


def _sev_keys(record: AnyRecord) -> Iterable[str]:
    return (str(record.sev),) if isinstance(record, PostMortem) else ()


INDEX_KINDS: dict[str, IndexKind] = {
    kind.section: kind
    for kind in (
        IndexKind("classes", "Cause class", "Cause classes", lambda r: r.cause_class),
        IndexKind(
            "factors",
            "Contributing factor",
            "Contributing factors",
            lambda r: r.contributing_factors,
        ),
        IndexKind("teams", "Team", "Teams", lambda r: r.teams),
        IndexKind("services", "Service", "Services", lambda r: r.services),
        IndexKind("alerts", "Alert", "Alerts", lambda r: r.alerts),
        IndexKind("sev", "Severity", "Severities", _sev_keys),
        IndexKind("quarters", "Quarter", "Quarters", lambda r: (r.quarter,)),
    )
}


def slug(key: str) -> str:
    """Lowercase URL segment of an index key: 'HighErrorRate' -> 'higherrorrate'."""
    return re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-") or "-"


def index_src(section: str, key: str | None = None, page: int = 1) -> str:
    """Source path of an index page (``page`` > 1: its continuation pages, /<key>/<n>/)."""
    if key is None:
        return f"{section}/index.md"
    if page == 1:
        return f"{section}/{slug(key)}.md"
    return f"{section}/{slug(key)}/{page}.md"


def index_url(section: str, key: str | None = None) -> str:
    return f"{section}/" if key is None else f"{section}/{slug(key)}/"


@dataclass
class Groups:
    """kind -> key -> records (newest first), built in one pass over the archive."""

    by_kind: dict[str, dict[str, list[AnyRecord]]] = field(default_factory=dict)
    _incidents: dict[str, list[PostMortem]] = field(default_factory=dict)
    _positions: dict[str, dict[str, int]] = field(default_factory=dict)

    def get(self, kind: str, key: str) -> list[AnyRecord]:
        return self.by_kind.get(kind, {}).get(key, [])

    def incidents_of(self, cls: str) -> list[PostMortem]:
        """Post-mortems of a class, newest first (computed once per class)."""
        if cls not in self._incidents:
            found = [r for r in self.get("classes", cls) if isinstance(r, PostMortem)]
            self._incidents[cls] = found
            self._positions[cls] = {r.id: i for i, r in enumerate(found)}
        return self._incidents[cls]

    def position(self, cls: str, record_id: str) -> int | None:
        self.incidents_of(cls)
        return self._positions[cls].get(record_id)


def group_records(records: Sequence[AnyRecord]) -> Groups:
    groups = Groups({kind: {} for kind in INDEX_KINDS})
    for record in newest_first(records):
        for kind, spec in INDEX_KINDS.items():
            for key in spec.keys(record):
                groups.by_kind[kind].setdefault(key, []).append(record)
    return groups


def newest_first(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    return sorted(records, key=lambda r: (r.date, r.id), reverse=True)


# --- Markdown helpers --------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def md_text(value: object) -> str:
    """Plain text made safe for a Markdown table cell: no markup, no HTML, no pipes."""
    text = " ".join(str(value).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def rel_link(from_src: str, to_src: str) -> str:
    """Relative link between two source files, as MkDocs resolves Markdown links."""
    depth = from_src.count("/")
    return "../" * depth + to_src


def _record_row(record: AnyRecord, from_src: str) -> str:
    link = f"[{md_text(record.id)}]({rel_link(from_src, record.src_uri)})"
    if isinstance(record, PostMortem):
        sev = f"SEV-{record.sev}"
        duration = format_seconds(record.duration_min * 60 if record.duration_min else None)
    else:
        sev = record.kind
        duration = ""
    classes = ", ".join(
        f"[{md_text(c)}]({rel_link(from_src, index_src('classes', c))})" for c in record.cause_class
    )
    teams = ", ".join(md_text(t) for t in record.teams)
    return (
        f"| {record.date.isoformat()} | {link} | {md_text(record.title)} | {sev} | {duration} "
        f"| {classes} | {teams} |"
    )


def record_table(records: Sequence[AnyRecord], from_src: str) -> str:
    """The listing every index page uses: date, id, title, SEV, duration, classes, teams."""
    if not records:
        return "_None yet._\n"
    head = (
        "| Date | Id | Title | SEV | Duration | Classes | Teams |\n|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(_record_row(r, from_src) for r in records) + "\n"


def counts_line(records: Sequence[AnyRecord]) -> str:
    incidents = sum(isinstance(r, PostMortem) for r in records)
    nearmisses = len(records) - incidents
    last = max((r.date for r in records), default=None)
    seen = f", last seen {last.isoformat()}" if last else ""
    return (
        f"**{incidents}** incident{'s' * (incidents != 1)}, **{nearmisses}** near-miss"
        f"{'es' * (nearmisses != 1)} and weak signal{'s' * (nearmisses != 1)}{seen}."
    )


def listing(records: Sequence[AnyRecord], src: str) -> str:
    """Incidents, then near-misses and weak signals, as two tables."""
    incidents = [r for r in records if isinstance(r, PostMortem)]
    nearmisses = [r for r in records if isinstance(r, NearMiss)]
    parts = []
    for heading, group in (("Incidents", incidents), ("Near-misses and weak signals", nearmisses)):
        parts.append(f"## {heading}\n")
        parts.append(record_table(group, src))
    return "\n".join(parts)


def paginate(records: Sequence[AnyRecord]) -> list[Sequence[AnyRecord]]:
    """Newest-first records cut into pages of PAGE_SIZE (at least one, possibly empty, page)."""
    return [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [records]


def pager(section: str, key: str, current: int, total: int) -> str:
    """Links between the numbered pages of one listing."""
    if total == 1:
        return ""
    src = index_src(section, key, current)
    links = [
        f"**{n}**" if n == current else f"[{n}]({rel_link(src, index_src(section, key, n))})"
        for n in range(1, total + 1)
    ]
    return f"\nPages (newest first): {' '.join(links)}\n"


@dataclass(frozen=True)
class Neighbours:
    """Where a record stands among the incidents of one of its classes."""

    cause_class: str
    previous: PostMortem | None
    next: PostMortem | None
    recurrence_days: int | None
    """Days since the previous incident of the class, when within RECURRENCE_DAYS."""


def class_neighbours(groups: Groups, record: AnyRecord) -> list[Neighbours]:
    """Previous / next incident of each of the record's classes, and recurrence within 90 days."""
    result = []
    for cls in record.cause_class:
        incidents = groups.incidents_of(cls)
        position = groups.position(cls, record.id)
        newer = incidents[position - 1] if position is not None and position > 0 else None
        if position is None:  # a near-miss: its neighbours are the incidents around its date
            older_list = [r for r in incidents if r.date <= record.date]
            older = older_list[0] if older_list else None
            newer_list = [r for r in incidents if r.date > record.date]
            newer = newer_list[-1] if newer_list else None
        else:
            older = incidents[position + 1] if position + 1 < len(incidents) else None
        gap = (record.date - older.date).days if older is not None else None
        recurrence = gap if gap is not None and gap <= RECURRENCE_DAYS else None
        result.append(Neighbours(cls, older, newer, recurrence))
    return result
