"""Pain registers: cause classes (the risk register), contributing factors and evidence gaps,
each ranked by what its incidents cost, how bad they were, how recent, and the near-misses
pressing on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from pmarchive.analysis._shared import (
    DEFAULT_RECENT_DAYS,
    cause_class_or_stray,
    evidence_gaps_of,
    gap_titles,
    within_days,
)
from pmarchive.analysis.recurrence import fix_outcomes
from pmarchive.model.records import NearMiss, PostMortem, Record
from pmarchive.model.taxonomy import Taxonomy

UNFUNDED = ("none", "proposed")
"""Fix statuses of a candidate fix nobody has paid for yet: the council's proposed asks."""


@dataclass(frozen=True)
class RiskWeights:
    """Weights of the pain score; the defaults are the reference text's crude ranking, plus
    near-miss pressure."""

    w_usd: float = 1.0
    """Points per dollar of revenue impact (the key's share of each incident's dollars)."""
    w_count: float = 1000.0
    """Points per incident naming the key."""
    w_sev: float = 1000.0
    """Points per unit of the worst level's severity weight."""
    w_recent: float = 5000.0
    """Points per incident within the recent window."""
    w_nearmiss: float = 2000.0
    """Points per near-miss or weak signal naming the key (the pressure of what nearly happened)."""
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


def split_cents(usd: float | None, parts: int) -> tuple[int, ...]:
    """An incident's dollars in whole cents, split evenly into ``parts`` shares that add up to
    the whole exactly: the first shares take the leftover cents (100.00 in 3 is 33.34, 33.33,
    33.33)."""
    if parts <= 0:
        return ()
    cents = round((usd or 0.0) * 100)
    base, leftover = divmod(cents, parts)
    return tuple(base + (1 if index < leftover else 0) for index in range(parts))


@dataclass(frozen=True)
class PainEntry:
    """One key (class, factor or evidence gap) of a pain register."""

    rank: int
    slug: str
    title: str
    count: int
    """Incidents naming the key (each incident once per key)."""
    usd_cents: int
    """The key's share of its incidents' revenue impact, in cents (see ``split_cents``)."""
    worst_sev: int | None
    """The most severe level (lowest number) among its incidents; None without incidents."""
    sev_weight: float
    """Severity weight of ``worst_sev``; 0 without incidents."""
    severe: int
    """Incidents of SEV-1 or SEV-2 among ``count``."""
    recent: int
    nearmisses: int
    """Near-misses and weak signals naming the key."""
    score: float
    incident_ids: tuple[str, ...] = ()
    """Its incidents, newest first."""

    @property
    def usd(self) -> float:
        return self.usd_cents / 100


@dataclass(frozen=True)
class RiskEntry(PainEntry):
    """A cause class in the risk register: its pain, joined with the fix that would remove it."""

    candidate_fix: str = ""
    fix_status: str = "none"
    fix_landed: dt.date | None = None
    after_fix_ids: tuple[str, ...] = ()
    """Incidents dated after the class's landed fix, oldest first: the fix is not holding."""

    @property
    def recurring_after_fix(self) -> bool:
        return bool(self.after_fix_ids)

    @property
    def unfunded(self) -> bool:
        return bool(self.candidate_fix) and self.fix_status in UNFUNDED


@dataclass(frozen=True)
class RiskRegister:
    today: dt.date
    weights: RiskWeights
    entries: tuple[RiskEntry, ...]
    """Every class of the taxonomy (zeros included), highest score first; ties in slug order."""

    @property
    def total_cents(self) -> int:
        return sum(entry.usd_cents for entry in self.entries)

    def proposed_asks(self, limit: int = 5) -> tuple[RiskEntry, ...]:
        """The highest-ranked classes with incidents whose candidate fix is not funded yet."""
        return tuple(e for e in self.entries if e.unfunded and e.count)[:limit]


@dataclass(frozen=True)
class PainRegister:
    """The factor register or the evidence-gap register."""

    kind: str
    today: dt.date
    weights: RiskWeights
    entries: tuple[PainEntry, ...]

    @property
    def total_cents(self) -> int:
        return sum(entry.usd_cents for entry in self.entries)


def _pain(
    keys: Iterable[str],
    titles: Mapping[str, str],
    postmortems: Sequence[PostMortem],
    nearmisses: Sequence[NearMiss],
    keys_of: Callable[[Record], Sequence[str]],
    today: dt.date,
    weights: RiskWeights,
) -> list[PainEntry]:
    """Every key's measures and score, ranked; keys a record names beyond ``keys`` are added."""
    order = list(dict.fromkeys(keys))
    counts: dict[str, int] = {}
    cents: dict[str, int] = {}
    worst: dict[str, int] = {}
    severe: dict[str, int] = {}
    recent: dict[str, int] = {}
    near: dict[str, int] = {}
    ids: dict[str, list[str]] = {}
    for pm in sorted(postmortems, key=lambda p: (p.date, p.id), reverse=True):
        named = tuple(dict.fromkeys(keys_of(pm)))
        is_recent = within_days(pm.date, today, weights.recent_days)
        for slug, share in zip(named, split_cents(pm.revenue_impact_usd, len(named)), strict=True):
            if slug not in counts and slug not in order:
                order.append(slug)  # a stray key: keeping it visible beats dropping incidents
            counts[slug] = counts.get(slug, 0) + 1
            cents[slug] = cents.get(slug, 0) + share
            worst[slug] = min(worst.get(slug, pm.sev), pm.sev)
            severe[slug] = severe.get(slug, 0) + (pm.sev <= 2)
            recent[slug] = recent.get(slug, 0) + is_recent
            ids.setdefault(slug, []).append(pm.id)
    for nm in nearmisses:
        for slug in dict.fromkeys(keys_of(nm)):
            if slug not in order:
                order.append(slug)
            near[slug] = near.get(slug, 0) + 1
    scored: list[PainEntry] = []
    for slug in order:
        level = worst.get(slug)
        sev_weight = 0.0 if level is None else weights.weight_of(level)
        score = (
            cents.get(slug, 0) / 100 * weights.w_usd
            + counts.get(slug, 0) * weights.w_count
            + sev_weight * weights.w_sev
            + recent.get(slug, 0) * weights.w_recent
            + near.get(slug, 0) * weights.w_nearmiss
        )
        scored.append(
            PainEntry(
                rank=0,
                slug=slug,
                title=titles.get(slug, slug),
                count=counts.get(slug, 0),
                usd_cents=cents.get(slug, 0),
                worst_sev=level,
                sev_weight=sev_weight,
                severe=severe.get(slug, 0),
                recent=recent.get(slug, 0),
                nearmisses=near.get(slug, 0),
                score=score,
                incident_ids=tuple(ids.get(slug, ())),
            )
        )
    scored.sort(key=lambda entry: (-entry.score, entry.slug))
    return [replace(entry, rank=rank) for rank, entry in enumerate(scored, start=1)]


def risk_register(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    today: dt.date,
    weights: RiskWeights | None = None,
    nearmisses: Sequence[NearMiss] = (),
) -> RiskRegister:
    """Rank cause classes by pain: the next SEV-1s waiting to happen.

    Per class: n = incidents naming it; $ = its share of their revenue_impact_usd, each
    incident's dollars split evenly across its classes (to the cent, the leftover cents to the
    first classes listed), so the column adds up to the archive's total exactly once; worst =
    the lowest SEV number among them; recent = those dated within the last ``recent_days`` days
    up to and including today; near-misses = near-misses and weak signals naming the class.
    score = $ × w_usd + n × w_count + sev_weight(worst) × w_sev + recent × w_recent +
    near-misses × w_nearmiss; with the default weights $ + 1000·n + 1000·sev_weight +
    5000·recent + 2000·near-misses, sev_weight 100 / 30 / 5 for SEV-1 / 2 / 3, 1 for any other
    level and 0 without incidents. Every class of the taxonomy is listed, zeros included;
    equal scores are ordered by slug. Each row carries the class's candidate fix and fix
    status; a class whose fix landed (fix_status 'landed' with a fix_landed date on or before
    today) and which has incidents dated after that day is flagged as recurring after its fix.
    """
    weights = weights if weights is not None else RiskWeights()
    titles = {slug: cls.title for slug, cls in taxonomy.classes.items()}
    outcomes = {o.slug: o for o in fix_outcomes(postmortems, taxonomy, as_of=today)}
    entries: list[RiskEntry] = []
    for entry in _pain(
        taxonomy.classes,
        titles,
        postmortems,
        nearmisses,
        lambda record: record.cause_class,
        today,
        weights,
    ):
        cls = cause_class_or_stray(taxonomy, entry.slug)
        outcome = outcomes.get(entry.slug)
        entries.append(
            RiskEntry(
                **entry.__dict__,
                candidate_fix=cls.candidate_fix,
                fix_status=cls.fix_status,
                fix_landed=cls.fix_landed,
                after_fix_ids=outcome.after_fix_ids if outcome is not None else (),
            )
        )
    return RiskRegister(today=today, weights=weights, entries=tuple(entries))


def factor_register(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    today: dt.date,
    weights: RiskWeights | None = None,
    nearmisses: Sequence[NearMiss] = (),
) -> PainRegister:
    """The risk register's measures per contributing factor: the budget lines that cut across
    classes. Each incident's dollars are split evenly across its factors (an incident without
    factors adds to none); the score uses the same weights as the risk register. Every factor
    of the taxonomy is listed, zeros included."""
    weights = weights if weights is not None else RiskWeights()
    titles = {slug: factor.title for slug, factor in taxonomy.factors.items()}
    entries = _pain(
        taxonomy.factors,
        titles,
        postmortems,
        nearmisses,
        lambda record: record.contributing_factors,
        today,
        weights,
    )
    return PainRegister("factors", today, weights, tuple(entries))


def gap_register(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    today: dt.date,
    weights: RiskWeights | None = None,
    nearmisses: Sequence[NearMiss] = (),
) -> PainRegister:
    """The risk register's measures per evidence gap: which gaps hid the most, and the most
    severe, incidents (the 'investigate' investment signal). n = incidents whose investigation
    names the gap, severe = those of SEV-1 or SEV-2, worst = the most severe level among them;
    dollars are split evenly across an incident's gaps; same weights as the risk register.
    Every gap of taxonomy/gaps.yml is listed, zeros included."""
    weights = weights if weights is not None else RiskWeights()
    titles = gap_titles(taxonomy)
    entries = _pain(titles, titles, postmortems, nearmisses, evidence_gaps_of, today, weights)
    return PainRegister("gaps", today, weights, tuple(entries))
