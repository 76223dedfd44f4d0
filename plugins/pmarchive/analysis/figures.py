"""Every program-level analysis under one name, re-exported from the module of its family.

The analyses live in ``stats``, ``pyramid``, ``recurrence``, ``risk``, ``timings``, ``actions``,
``sev_audit``, ``health`` and ``review``; this module keeps ``pmarchive.analysis.figures`` working
for importers until they import from those modules directly.
"""

from __future__ import annotations

from pmarchive.analysis._shared import DEFAULT_RECENT_DAYS
from pmarchive.analysis.actions import (
    ActionItemBalance,
    OverdueItem,
    action_item_balance,
)
from pmarchive.analysis.health import LatePostMortem, ProgramHealth, postmortem_due, program_health
from pmarchive.analysis.pyramid import IncidentPyramid, PyramidLevel, incident_pyramid
from pmarchive.analysis.recurrence import (
    ClassRecurrence,
    FixOutcome,
    RecurrenceByClass,
    RecurrenceStatus,
    fix_outcomes,
    quarters_spanning,
    recurrence_by_class,
)
from pmarchive.analysis.review import QuarterFigures, QuarterlyReview, quarterly_review
from pmarchive.analysis.risk import (
    PainEntry,
    PainRegister,
    RiskEntry,
    RiskRegister,
    RiskWeights,
    factor_register,
    gap_register,
    risk_register,
    split_cents,
)
from pmarchive.analysis.sev_audit import SevAudit, SevFinding, implied_level, sev_audit
from pmarchive.analysis.stats import (
    MIN_P90_VALUES,
    Spread,
    median,
    percentile_nearest_rank,
    spread,
)
from pmarchive.analysis.timings import (
    DetectionQuarter,
    NearMissRate,
    TimingKey,
    TimingRow,
    Timings,
    detection_mix,
    nearmiss_rate,
    time_to_detect_and_resolve,
)
from pmarchive.model.schema import ACTION_KINDS, DETECTION_SOURCES

__all__ = [
    "ACTION_KINDS",
    "DEFAULT_RECENT_DAYS",
    "DETECTION_SOURCES",
    "MIN_P90_VALUES",
    "ActionItemBalance",
    "ClassRecurrence",
    "DetectionQuarter",
    "FixOutcome",
    "IncidentPyramid",
    "LatePostMortem",
    "NearMissRate",
    "OverdueItem",
    "PainEntry",
    "PainRegister",
    "ProgramHealth",
    "PyramidLevel",
    "QuarterFigures",
    "QuarterlyReview",
    "RecurrenceByClass",
    "RecurrenceStatus",
    "RiskEntry",
    "RiskRegister",
    "RiskWeights",
    "SevAudit",
    "SevFinding",
    "Spread",
    "TimingKey",
    "TimingRow",
    "Timings",
    "action_item_balance",
    "detection_mix",
    "factor_register",
    "fix_outcomes",
    "gap_register",
    "implied_level",
    "incident_pyramid",
    "median",
    "nearmiss_rate",
    "percentile_nearest_rank",
    "postmortem_due",
    "program_health",
    "quarterly_review",
    "quarters_spanning",
    "recurrence_by_class",
    "risk_register",
    "sev_audit",
    "split_cents",
    "spread",
    "time_to_detect_and_resolve",
]
