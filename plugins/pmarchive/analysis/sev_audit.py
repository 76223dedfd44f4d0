"""SEV audit: the level the ladder's objective criteria imply against the level declared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pmarchive.model.records import PostMortem
from pmarchive.model.taxonomy import SeverityLevel, Taxonomy


def _criteria_met(pm: PostMortem, level: SeverityLevel) -> tuple[str, ...]:
    rule = level.criteria
    met: list[str] = []
    thresholds = (
        ("customer_impact_pct", pm.customer_impact_pct, rule.customer_impact_pct),
        ("duration_min", pm.duration_min, rule.duration_min),
        ("revenue_impact_usd", pm.revenue_impact_usd, rule.revenue_impact_usd),
    )
    for name, value, threshold in thresholds:
        if value is not None and threshold is not None and value >= threshold:
            met.append(f"{name} {value:g} ≥ {threshold:g}")
    if rule.data_loss and pm.data_loss:
        met.append("data_loss")
    if rule.security and pm.security:
        met.append("security")
    return tuple(met)


def implied_level(pm: PostMortem, taxonomy: Taxonomy) -> tuple[int | None, tuple[str, ...]]:
    """The most severe level (lowest number) any of whose criteria the incident meets, and the
    criteria met there; (None, ()) when it meets none or lacks the figures."""
    for number in sorted(taxonomy.severity):
        met = _criteria_met(pm, taxonomy.severity[number])
        if met:
            return number, met
    return None, ()


@dataclass(frozen=True)
class SevFinding:
    id: str
    title: str
    date: dt.date
    declared: int
    implied: int | None
    reasons: tuple[str, ...]
    """The criteria of the implied level that the incident meets."""

    @property
    def deflation_candidate(self) -> bool:
        return self.implied is not None and self.declared > self.implied

    @property
    def verdict(self) -> str:
        if self.implied is None:
            return "no criteria met"
        if self.declared > self.implied:
            return "deflation candidate"
        if self.declared < self.implied:
            return "declared above criteria"
        return "matches"


@dataclass(frozen=True)
class SevAudit:
    findings: tuple[SevFinding, ...]
    """One per incident, in the order given."""
    deflation_candidates: tuple[SevFinding, ...]


def sev_audit(postmortems: Sequence[PostMortem], taxonomy: Taxonomy) -> SevAudit:
    """The level the ladder's objective criteria imply versus the level declared.

    A level's criteria are met when any one holds: customer_impact_pct, duration_min or
    revenue_impact_usd at or above its threshold, or data_loss / security true where the level
    names them. Implied level = the most severe level with a criterion met (None when none is
    met or the figures are missing). Deflation candidate = declared less severe than implied
    (a higher number). Declaring more severe than the criteria is allowed: they are minimums.
    """
    findings: list[SevFinding] = []
    for pm in postmortems:
        implied, reasons = implied_level(pm, taxonomy)
        findings.append(SevFinding(pm.id, pm.title, pm.date, pm.sev, implied, reasons))
    return SevAudit(
        findings=tuple(findings),
        deflation_candidates=tuple(f for f in findings if f.deflation_candidate),
    )
