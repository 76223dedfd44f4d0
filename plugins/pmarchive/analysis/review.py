"""The quarterly reliability review: every figure for one quarter beside the quarter before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pmarchive.analysis._shared import in_quarter, until
from pmarchive.analysis.actions import ActionItemBalance, action_item_balance
from pmarchive.analysis.health import ProgramHealth, program_health
from pmarchive.analysis.pyramid import IncidentPyramid, incident_pyramid
from pmarchive.analysis.recurrence import RecurrenceByClass, recurrence_by_class
from pmarchive.analysis.risk import RiskRegister, RiskWeights, risk_register
from pmarchive.analysis.sev_audit import SevAudit, sev_audit
from pmarchive.analysis.timings import (
    DetectionQuarter,
    NearMissRate,
    TimingRow,
    detection_mix,
    nearmiss_rate,
    time_to_detect_and_resolve,
)
from pmarchive.core.calendar import previous_quarter, quarter_bounds
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


def quarterly_review(
    postmortems: Sequence[PostMortem],
    nearmisses: Sequence[NearMiss],
    taxonomy: Taxonomy,
    quarter: str,
    today: dt.date,
    weights: RiskWeights | None = None,
) -> QuarterlyReview:
    """Every figure above for one quarter and for the quarter before it, for comparison.

    The review is taken as of the quarter's last day (today, while the quarter runs): records
    dated later are left out and fixes that landed later do not count as landed. The taxonomy's
    candidate fixes and the action items' status are as they stand now; the archive keeps no
    history of them.
    """
    weights = weights if weights is not None else RiskWeights()
    before = previous_quarter(quarter)
    as_of = min(quarter_bounds(quarter)[1], today)
    pms = until(postmortems, as_of)
    return QuarterlyReview(
        quarter=quarter,
        previous_quarter=before,
        as_of=as_of,
        current=_quarter_figures(postmortems, nearmisses, taxonomy, quarter, as_of, weights),
        previous=_quarter_figures(postmortems, nearmisses, taxonomy, before, as_of, weights),
        recurrence=recurrence_by_class(pms, taxonomy, (before, quarter), as_of=as_of),
        risk_register=risk_register(pms, taxonomy, as_of, weights),
        program_health=program_health(pms, taxonomy, as_of, weights.recent_days),
    )
