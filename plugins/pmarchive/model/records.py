"""Typed records: post-mortems and near-misses / weak signals, as validated from front-matter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class ActionItem:
    id: str
    title: str
    status: str
    kind: str
    owner: str = ""
    due: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class Record:
    """What every record has; the file it came from travels with it for error messages."""

    id: str
    title: str
    date: dt.date
    cause_class: tuple[str, ...]
    path: str
    body: str = ""
    body_line: int = 1
    summary: str = ""
    contributing_factors: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    visibility: str = "internal"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    lint_ignore: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Lint rule -> the reason it is silenced in this file."""
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    """File line of each front-matter field, for messages about the record as a whole."""

    @property
    def quarter(self) -> str:
        return f"{self.date.year}-Q{(self.date.month - 1) // 3 + 1}"

    section: ClassVar[str] = ""
    """URL section of this record kind: 'postmortems' or 'nearmisses'."""

    @property
    def url(self) -> str:
        """Site-relative URL, part of the stable URL contract."""
        return f"{self.section}/{self.id.lower()}/"

    @property
    def src_uri(self) -> str:
        return f"{self.section}/{self.id.lower()}.md"


@dataclass(frozen=True, kw_only=True)
class PostMortem(Record):
    status: str
    sev: int
    detection: str
    priority: str | None = None
    started_at: dt.datetime | None = None
    detected_at: dt.datetime | None = None
    mitigated_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    duration_min: float | None = None
    mttd_seconds: int | None = None
    mttr_seconds: int | None = None
    customer_impact_pct: float | None = None
    revenue_impact_usd: float | None = None
    data_loss: bool = False
    security: bool = False
    action_items: tuple[ActionItem, ...] = ()
    action_items_open: int | None = None
    action_items_done: int | None = None
    authors: tuple[str, ...] = ()

    record_type: Literal["postmortem"] = "postmortem"

    section: ClassVar[str] = "postmortems"

    @property
    def open_items(self) -> int:
        if self.action_items:
            return sum(1 for item in self.action_items if item.status != "done")
        return self.action_items_open or 0

    @property
    def done_items(self) -> int:
        if self.action_items:
            return sum(1 for item in self.action_items if item.status == "done")
        return self.action_items_done or 0


@dataclass(frozen=True, kw_only=True)
class NearMiss(Record):
    kind: str
    caught_by: str
    where_blind: str = ""
    suggested_defense: str = ""
    reporter: str = ""

    record_type: Literal["nearmiss"] = "nearmiss"

    section: ClassVar[str] = "nearmisses"


AnyRecord = PostMortem | NearMiss


def derived_durations(
    started: dt.datetime | None,
    detected: dt.datetime | None,
    mitigated: dt.datetime | None,
    resolved: dt.datetime | None,
) -> dict[str, float]:
    """duration_min = mitigated - started; mttd = detected - started; mttr = resolved - started."""
    out: dict[str, float] = {}
    if started is not None and mitigated is not None:
        out["duration_min"] = (mitigated - started).total_seconds() / 60
    if started is not None and detected is not None:
        out["mttd_seconds"] = (detected - started).total_seconds()
    if started is not None and resolved is not None:
        out["mttr_seconds"] = (resolved - started).total_seconds()
    return out
