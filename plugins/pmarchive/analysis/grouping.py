"""Records grouped by cause class, factor, team, service, alert, evidence gap, SEV and quarter,
and where a record stands among the incidents of its classes (previous, next, recurrence)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pmarchive.model.records import AnyRecord, PostMortem

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
        IndexKind("gaps", "Evidence gap", "Evidence gaps", lambda r: r.evidence_gaps),
        IndexKind("sev", "Severity", "Severities", _sev_keys),
        IndexKind("quarters", "Quarter", "Quarters", lambda r: (r.quarter,)),
    )
}


@dataclass
class Groups:
    """kind -> key -> records (newest first), built in one pass over the archive."""

    by_kind: dict[str, dict[str, list[AnyRecord]]] = field(default_factory=dict)
    _incidents: dict[str, list[PostMortem]] = field(default_factory=dict)
    _positions: dict[str, dict[str, int]] = field(default_factory=dict)
    _days: dict[str, list[int]] = field(default_factory=dict)

    def get(self, kind: str, key: str) -> list[AnyRecord]:
        return self.by_kind.get(kind, {}).get(key, [])

    def incidents_of(self, cls: str) -> list[PostMortem]:
        """Post-mortems of a class, newest first (computed once per class)."""
        if cls not in self._incidents:
            found = [r for r in self.get("classes", cls) if isinstance(r, PostMortem)]
            self._incidents[cls] = found
            self._positions[cls] = {r.id: i for i, r in enumerate(found)}
            self._days[cls] = [-r.date.toordinal() for r in found]  # ascending: newest first
        return self._incidents[cls]

    def around(self, cls: str, day: dt.date) -> tuple[PostMortem | None, PostMortem | None]:
        """The newest incident of ``cls`` on or before ``day`` and the oldest after it, found
        by bisection (incidents are newest first): a record that is not one of them (a
        near-miss) stands between these two."""
        incidents = self.incidents_of(cls)
        first_on_or_before = bisect.bisect_left(self._days[cls], -day.toordinal())
        older = incidents[first_on_or_before] if first_on_or_before < len(incidents) else None
        newer = incidents[first_on_or_before - 1] if first_on_or_before > 0 else None
        return older, newer

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
            older, newer = groups.around(cls, record.date)
        else:
            older = incidents[position + 1] if position + 1 < len(incidents) else None
        gap = (record.date - older.date).days if older is not None else None
        recurrence = gap if gap is not None and gap <= RECURRENCE_DAYS else None
        result.append(Neighbours(cls, older, newer, recurrence))
    return result
