"""The quarterly reliability review: every figure for one quarter beside the quarter before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pmarchive.analysis._shared import evidence_gaps_of, in_quarter, until
from pmarchive.analysis.actions import ActionItemBalance, OverdueItem, action_item_balance
from pmarchive.analysis.health import ProgramHealth, program_health
from pmarchive.analysis.pyramid import IncidentPyramid, incident_pyramid
from pmarchive.analysis.recurrence import RecurrenceByClass, recurrence_by_class
from pmarchive.analysis.risk import RiskEntry, RiskRegister, RiskWeights, risk_register
from pmarchive.analysis.sev_audit import SevAudit, sev_audit
from pmarchive.analysis.timings import (
    DetectionQuarter,
    NearMissRate,
    TimingRow,
    detection_mix,
    nearmiss_rate,
    time_to_detect_and_resolve,
)
from pmarchive.core.calendar import previous_quarter, quarter_bounds, quarter_of
from pmarchive.model.records import NearMiss, PostMortem
from pmarchive.model.taxonomy import Taxonomy


@dataclass(frozen=True)
class QuarterFigures:
    quarter: str
    pyramid: IncidentPyramid
    class_pain: RiskRegister
    """The quarter's incidents ranked by pain, as of the quarter's end (or the review date)."""
    timings: TimingRow
    detection: DetectionQuarter
    nearmisses: NearMissRate
    actions: ActionItemBalance
    """Action items of the quarter's post-mortems, in their current state."""
    sev_audit: SevAudit


@dataclass(frozen=True)
class QuarterlyReview:
    quarter: str
    previous_quarter: str
    as_of: dt.date
    """The quarter's last day, or today for the quarter still running."""
    current: QuarterFigures
    previous: QuarterFigures
    recurrence: RecurrenceByClass
    """Per class, counts in (previous quarter, quarter) and the fix outcome as of ``as_of``."""
    risk_register: RiskRegister
    program_health: ProgramHealth
    partial: bool = False
    """The quarter is still running on the run's today: its figures are not final."""
    has_previous: bool = True
    """The previous quarter lies within the data; False for the first quarter, which has
    nothing to be compared with."""
    incidents: tuple[PostMortem, ...] = ()
    """The quarter's incidents, oldest first."""
    nearmisses: tuple[NearMiss, ...] = ()
    """The quarter's near-misses and weak signals, oldest first."""
    overdue: tuple[OverdueItem, ...] = ()
    """Open action items past due on the run's today, of every incident up to the quarter's end."""
    new_gaps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Evidence gaps first named in this quarter, each with the ids of the quarter's records
    naming it."""
    proposed_asks: tuple[RiskEntry, ...] = ()
    """The highest-ranked classes whose candidate fix is not funded (status none or proposed)."""


def _quarter_figures(
    postmortems: Sequence[PostMortem],
    nearmisses: Sequence[NearMiss],
    taxonomy: Taxonomy,
    quarter: str,
    as_of: dt.date,
    weights: RiskWeights,
) -> QuarterFigures:
    pms = until(in_quarter(postmortems, quarter), as_of)
    nms = until(in_quarter(nearmisses, quarter), as_of)
    end = min(quarter_bounds(quarter)[1], as_of)
    timings = time_to_detect_and_resolve(pms, "quarter", groups=(quarter,))
    return QuarterFigures(
        quarter=quarter,
        pyramid=incident_pyramid(pms, nms),
        class_pain=risk_register(pms, taxonomy, end, weights),
        timings=timings.rows[0],
        detection=detection_mix(pms, (quarter,))[0],
        nearmisses=nearmiss_rate(pms, nms, (quarter,))[0],
        actions=action_item_balance(pms, as_of),
        sev_audit=sev_audit(pms, taxonomy),
    )


PROPOSED_ASKS = 5
"""Unfunded candidate fixes a review proposes."""


def _new_gaps(
    records: Sequence[PostMortem | NearMiss], quarter: str, first_day: dt.date
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    seen_before = {gap for r in records if r.date < first_day for gap in evidence_gaps_of(r)}
    found: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.date, r.id)):
        if quarter_of(record.date) != quarter:
            continue
        for gap in evidence_gaps_of(record):
            if gap not in seen_before:
                found.setdefault(gap, []).append(record.id)
    return tuple((gap, tuple(ids)) for gap, ids in found.items())


def quarterly_review(
    postmortems: Sequence[PostMortem],
    nearmisses: Sequence[NearMiss],
    taxonomy: Taxonomy,
    quarter: str,
    today: dt.date,
    weights: RiskWeights | None = None,
    data_begins: str | None = None,
) -> QuarterlyReview:
    """Every figure above for one quarter and for the quarter before it, for comparison.

    The review is taken as of the quarter's last day (today, while the quarter runs, which is
    then marked partial): records dated later are left out and fixes that landed later do not
    count as landed. The previous quarter is compared only when it lies within the data
    (``data_begins``, default the earliest record's quarter). Overdue action items are those
    still open and past due on the run's today, from every incident up to the quarter's end.
    New evidence gaps are gaps the quarter's records name that no earlier record named. The
    proposed asks are the register's highest-ranked classes with incidents whose candidate fix
    is unfunded (status none or proposed). The taxonomy's candidate fixes and the action items'
    status are as they stand now; the archive keeps no history of them.
    """
    weights = weights if weights is not None else RiskWeights()
    before = previous_quarter(quarter)
    first_day, last_day = quarter_bounds(quarter)
    as_of = min(last_day, today)
    pms = until(postmortems, as_of)
    nms = until(nearmisses, as_of)
    if data_begins is None:
        dates = [r.date for r in (*postmortems, *nearmisses)]
        data_begins = quarter_of(min(dates)) if dates else quarter
    register = risk_register(pms, taxonomy, as_of, weights, nms)
    by_date = lambda r: (r.date, r.id)  # noqa: E731
    overdue = action_item_balance(pms, today).overdue_items
    return QuarterlyReview(
        quarter=quarter,
        previous_quarter=before,
        as_of=as_of,
        current=_quarter_figures(postmortems, nearmisses, taxonomy, quarter, as_of, weights),
        previous=_quarter_figures(postmortems, nearmisses, taxonomy, before, as_of, weights),
        recurrence=recurrence_by_class(pms, taxonomy, (before, quarter), as_of=as_of),
        risk_register=register,
        program_health=program_health(pms, taxonomy, as_of, weights.recent_days),
        partial=today < last_day,
        has_previous=before >= data_begins,
        incidents=tuple(sorted(in_quarter(pms, quarter), key=by_date)),
        nearmisses=tuple(sorted(in_quarter(nms, quarter), key=by_date)),
        overdue=overdue,
        new_gaps=_new_gaps([*pms, *nms], quarter, first_day),
        proposed_asks=register.proposed_asks(PROPOSED_ASKS),
    )
