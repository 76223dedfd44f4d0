"""The risk register: cause classes ranked by pain, with configurable weights."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from pmarchive.analysis._shared import (
    DEFAULT_RECENT_DAYS,
    cause_class_or_stray,
    classes_of,
    within_days,
)
from pmarchive.model.records import PostMortem
from pmarchive.model.taxonomy import Taxonomy


@dataclass(frozen=True)
class RiskWeights:
    """Weights of the pain score; the defaults are the reference text's crude ranking."""

    w_usd: float = 1.0
    """Points per dollar of revenue impact."""
    w_count: float = 1000.0
    """Points per incident of the class."""
    w_sev: float = 1000.0
    """Points per unit of the worst level's severity weight."""
    w_recent: float = 5000.0
    """Points per incident within the recent window."""
    sev_weight: Mapping[int, float] = field(
        default_factory=lambda: MappingProxyType({1: 100.0, 2: 30.0, 3: 5.0}), hash=False
    )
    """Severity weight by level number (SEV-1 is 100, SEV-2 30, SEV-3 5)."""
    unknown_sev_weight: float = 1.0
    """Severity weight of a level missing from ``sev_weight``."""
    recent_days: int = DEFAULT_RECENT_DAYS
    """Length of the recent window, in days up to and including today."""

    def weight_of(self, level: int) -> float:
        return self.sev_weight.get(level, self.unknown_sev_weight)


@dataclass(frozen=True)
class RiskEntry:
    rank: int
    slug: str
    title: str
    count: int
    usd: float
    worst_sev: int
    sev_weight: float
    recent: int
    score: float
    candidate_fix: str
    fix_status: str


@dataclass(frozen=True)
class RiskRegister:
    today: dt.date
    weights: RiskWeights
    entries: tuple[RiskEntry, ...]
    """Highest score first; ties in slug order."""


def risk_register(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    today: dt.date,
    weights: RiskWeights | None = None,
) -> RiskRegister:
    """Rank cause classes by pain: the next SEV-1s waiting to happen.

    Per class: n = incidents naming it, usd = sum of their revenue_impact_usd (missing counts as
    0), worst = the lowest SEV number among them, recent = those dated within the last
    ``recent_days`` days up to and including today. score = usd × w_usd + n × w_count +
    sev_weight(worst) × w_sev + recent × w_recent; with the default weights that is
    $ + 1000·n + 1000·sev_weight + 5000·recent, sev_weight 100 / 30 / 5 for SEV-1 / 2 / 3 and 1
    for any other level. Only classes with at least one incident are ranked; equal scores are
    ordered by class slug. Each row carries the class's candidate fix and fix status.
    """
    weights = weights if weights is not None else RiskWeights()
    tallies: dict[str, tuple[int, float, int, int]] = {}
    for pm in postmortems:
        usd = pm.revenue_impact_usd or 0.0
        recent = 1 if within_days(pm.date, today, weights.recent_days) else 0
        for slug in classes_of(pm):
            n, total, worst, recent_n = tallies.get(slug, (0, 0.0, pm.sev, 0))
            tallies[slug] = (n + 1, total + usd, min(worst, pm.sev), recent_n + recent)
    scored: list[tuple[float, str, int, float, int, float, int]] = []
    for slug, (n, usd, worst, recent) in tallies.items():
        sev_weight = weights.weight_of(worst)
        score = (
            usd * weights.w_usd
            + n * weights.w_count
            + sev_weight * weights.w_sev
            + recent * weights.w_recent
        )
        scored.append((score, slug, n, usd, worst, sev_weight, recent))
    scored.sort(key=lambda row: (-row[0], row[1]))
    entries: list[RiskEntry] = []
    for rank, (score, slug, n, usd, worst, sev_weight, recent) in enumerate(scored, start=1):
        cls = cause_class_or_stray(taxonomy, slug)
        entries.append(
            RiskEntry(
                rank=rank,
                slug=slug,
                title=cls.title,
                count=n,
                usd=usd,
                worst_sev=worst,
                sev_weight=sev_weight,
                recent=recent,
                score=score,
                candidate_fix=cls.candidate_fix,
                fix_status=cls.fix_status,
            )
        )
    return RiskRegister(today=today, weights=weights, entries=tuple(entries))
