"""Time to detect and resolve, detection mix and near-miss report rate, per quarter or class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pmarchive.analysis._shared import classes_of, in_quarter
from pmarchive.analysis.stats import Spread, rate, spread
from pmarchive.core.calendar import quarter_of
from pmarchive.model.records import NearMiss, PostMortem
from pmarchive.model.schema import DETECTION_SOURCES

TimingKey = Literal["quarter", "class"]


@dataclass(frozen=True)
class TimingRow:
    group: str
    mttd: Spread
    """Seconds from start to detection."""
    mttr: Spread
    """Seconds from start to resolution."""
    mttm: Spread = field(default_factory=lambda: spread([]))
    """Seconds from start to mitigation (duration_min × 60): when customers stopped hurting."""


@dataclass(frozen=True)
class Timings:
    key: TimingKey
    rows: tuple[TimingRow, ...]

    def get(self, group: str) -> TimingRow | None:
        return next((row for row in self.rows if row.group == group), None)


def time_to_detect_and_resolve(
    postmortems: Sequence[PostMortem],
    key: TimingKey,
    groups: Sequence[str] | None = None,
) -> Timings:
    """Median and p90 of the time to detect (mttd_seconds), to mitigate (duration_min × 60)
    and to resolve (mttr_seconds), per quarter or per cause class.

    Missing values are left out, and each figure says how many values it used (n). p90 is the
    nearest-rank percentile: the value at rank ⌈0.9 × n⌉ of the n sorted values; pages show it
    only where n is at least 5. Medians and percentiles rather than means, because one long
    outage drags a mean far from the typical incident. By class, an incident with two classes
    counts in both. Every quarter of the window is a row, empty ones included.
    """
    detect: dict[str, list[float]] = {}
    resolve: dict[str, list[float]] = {}
    mitigate: dict[str, list[float]] = {}
    seen: set[str] = set()
    for pm in postmortems:
        names = (quarter_of(pm.date),) if key == "quarter" else classes_of(pm)
        seen.update(names)
        for name in names:
            if pm.mttd_seconds is not None:
                detect.setdefault(name, []).append(float(pm.mttd_seconds))
            if pm.mttr_seconds is not None:
                resolve.setdefault(name, []).append(float(pm.mttr_seconds))
            if pm.duration_min is not None:
                mitigate.setdefault(name, []).append(float(pm.duration_min) * 60)
    if groups is None:
        order: Sequence[str] = sorted(seen)
    else:
        order = groups
    rows = tuple(
        TimingRow(
            group=name,
            mttd=spread(detect.get(name, [])),
            mttr=spread(resolve.get(name, [])),
            mttm=spread(mitigate.get(name, [])),
        )
        for name in order
    )
    return Timings(key=key, rows=rows)


@dataclass(frozen=True)
class DetectionQuarter:
    quarter: str
    alert: int
    human: int
    customer: int
    other: int = 0
    """Detection values outside alert / human / customer (none in a validated archive)."""

    @property
    def total(self) -> int:
        return self.alert + self.human + self.customer + self.other

    def share(self, source: str) -> float | None:
        """Fraction of the quarter's incidents found by ``source``; None without incidents."""
        counts = {"alert": self.alert, "human": self.human, "customer": self.customer}
        counts["other"] = self.other
        if source not in counts:
            raise ValueError(f"unknown detection source '{source}'; expected one of {[*counts]}")
        return rate(counts[source], self.total)


def detection_mix(
    postmortems: Sequence[PostMortem], quarters: Sequence[str]
) -> tuple[DetectionQuarter, ...]:
    """Per quarter, how many incidents were detected by an alert, by a human and by a customer.

    Each incident counts once, in the quarter of its date; a shift towards 'alert' means the
    organisation finds its own problems before its customers do.
    """
    tallies: dict[str, dict[str, int]] = {quarter: {} for quarter in quarters}
    for pm in postmortems:
        tally = tallies.get(quarter_of(pm.date))
        if tally is None:
            continue
        source = pm.detection if pm.detection in DETECTION_SOURCES else "other"
        tally[source] = tally.get(source, 0) + 1
    return tuple(
        DetectionQuarter(
            quarter=quarter,
            alert=tally.get("alert", 0),
            human=tally.get("human", 0),
            customer=tally.get("customer", 0),
            other=tally.get("other", 0),
        )
        for quarter, tally in tallies.items()
    )


@dataclass(frozen=True)
class NearMissRate:
    quarter: str
    near_misses: int
    weak_signals: int
    reports: int
    """near_misses + weak_signals."""
    incidents: int
    per_incident: float | None
    """reports / incidents; None in a quarter without incidents."""


def nearmiss_rate(
    postmortems: Sequence[PostMortem], nearmisses: Sequence[NearMiss], quarters: Sequence[str]
) -> tuple[NearMissRate, ...]:
    """Per quarter: near-miss and weak-signal reports, incidents, and reports per incident.

    reports = near-misses + weak signals dated in the quarter; per incident = reports / incidents
    (None without incidents). A rising rate is healthy; a rate near zero means people have
    stopped reporting, not that nothing nearly went wrong.
    """
    rows: list[NearMissRate] = []
    for quarter in quarters:
        reports = in_quarter(nearmisses, quarter)
        near = sum(nm.kind == "near-miss" for nm in reports)
        weak = sum(nm.kind == "weak-signal" for nm in reports)
        incidents = len(in_quarter(postmortems, quarter))
        rows.append(
            NearMissRate(
                quarter=quarter,
                near_misses=near,
                weak_signals=weak,
                reports=near + weak,
                incidents=incidents,
                per_incident=rate(near + weak, incidents),
            )
        )
    return tuple(rows)
