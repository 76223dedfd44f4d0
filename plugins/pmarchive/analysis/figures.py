"""Program-level analyses of validated records: pure functions whose formulas the pages show."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, TypeVar

from pmarchive.core.calendar import (
    add_business_days,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    quarters_between,
)
from pmarchive.model.records import NearMiss, PostMortem, Record
from pmarchive.model.taxonomy import CauseClass, SeverityLevel, Taxonomy

R = TypeVar("R", bound=Record)

RecurrenceStatus = Literal["going quiet", "recurring after fix", "no fix landed"]
TimingKey = Literal["quarter", "class"]

ACTION_KINDS = ("prevent", "detect", "recover", "investigate")
DETECTION_SOURCES = ("alert", "human", "customer")
DEFAULT_RECENT_DAYS = 90


# ---------------------------------------------------------------------------------------------
# Quarters and calendars


def quarters_spanning(records: Iterable[Record]) -> tuple[str, ...]:
    """Every quarter from the earliest record's to the latest record's; empty without records."""
    dates = [record.date for record in records]
    if not dates:
        return ()
    return quarters_between(quarter_of(min(dates)), quarter_of(max(dates)))


def _within_days(day: dt.date, today: dt.date, days: int) -> bool:
    """True when ``day`` lies in the window [today - days, today], both ends included."""
    return today - dt.timedelta(days=days) <= day <= today


def _in_quarter(records: Iterable[R], quarter: str) -> list[R]:
    return [record for record in records if quarter_of(record.date) == quarter]


def _until(records: Iterable[R], day: dt.date) -> list[R]:
    return [record for record in records if record.date <= day]


def _classes_of(record: Record) -> tuple[str, ...]:
    """The record's classes, each once (a class named twice must not count twice)."""
    return tuple(dict.fromkeys(record.cause_class))


def _class_slugs(taxonomy: Taxonomy, postmortems: Iterable[PostMortem]) -> list[str]:
    """Taxonomy classes in taxonomy order, then any class a record names that the taxonomy lacks.

    Validated records only name known classes; keeping strays visible beats dropping incidents.
    """
    known = list(taxonomy.classes)
    strays = {slug for pm in postmortems for slug in pm.cause_class} - set(known)
    return known + sorted(strays)


def _cause_class(taxonomy: Taxonomy, slug: str) -> CauseClass:
    found = taxonomy.classes.get(slug)
    return found if found is not None else CauseClass(slug=slug, title=slug)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# ---------------------------------------------------------------------------------------------
# Incident pyramid


@dataclass(frozen=True)
class PyramidLevel:
    key: str
    """'sev-1', 'sev-2', ... then 'near-miss' and 'weak-signal'."""
    label: str
    count: int
    ratio: float | None
    """This level's count divided by the count of the level above it; None at the apex or when
    the level above is empty."""


@dataclass(frozen=True)
class IncidentPyramid:
    levels: tuple[PyramidLevel, ...]
    """Apex first: SEV levels from most to least severe, then near-misses, then weak signals."""

    def count(self, key: str) -> int:
        """Count of one level by key ('sev-1', 'near-miss', ...); 0 for an absent level."""
        return next((level.count for level in self.levels if level.key == key), 0)

    @property
    def incidents(self) -> int:
        return sum(level.count for level in self.levels if level.key.startswith("sev-"))


def incident_pyramid(
    postmortems: Sequence[PostMortem], nearmisses: Sequence[NearMiss]
) -> IncidentPyramid:
    """Count each level of the pyramid and the ratio between neighbours.

    Levels: SEV-1, SEV-2 and SEV-3 always (other declared levels are added in order of level
    number), then near-misses (kind 'near-miss') and weak signals (kind 'weak-signal').
    Ratio of a level = its count / the count of the level just above it; None for the apex and
    when the level above counts zero. Near-misses of any other kind are not counted.
    """
    sev_counts: dict[int, int] = {1: 0, 2: 0, 3: 0}
    for pm in postmortems:
        sev_counts[pm.sev] = sev_counts.get(pm.sev, 0) + 1
    counted: list[tuple[str, str, int]] = [
        (f"sev-{level}", f"SEV-{level}", sev_counts[level]) for level in sorted(sev_counts)
    ]
    counted.append(("near-miss", "Near-misses", sum(nm.kind == "near-miss" for nm in nearmisses)))
    counted.append(
        ("weak-signal", "Weak signals", sum(nm.kind == "weak-signal" for nm in nearmisses))
    )
    levels: list[PyramidLevel] = []
    above: int | None = None
    for key, label, count in counted:
        ratio = count / above if above else None
        levels.append(PyramidLevel(key=key, label=label, count=count, ratio=ratio))
        above = count
    return IncidentPyramid(levels=tuple(levels))


# ---------------------------------------------------------------------------------------------
# Recurrence by cause class and fix outcomes


@dataclass(frozen=True)
class FixOutcome:
    slug: str
    title: str
    fix_status: str
    fix_landed: dt.date | None
    status: RecurrenceStatus
    after_fix_ids: tuple[str, ...] = ()
    """Ids of the incidents dated after the fix landed, oldest first."""

    @property
    def after_fix_count(self) -> int:
        return len(self.after_fix_ids)


def fix_outcomes(
    postmortems: Sequence[PostMortem], taxonomy: Taxonomy, as_of: dt.date | None = None
) -> tuple[FixOutcome, ...]:
    """Per class, whether its landed fix is holding.

    A fix counts as landed when the class's fix_status is 'landed' and fix_landed is a date (on or
    before ``as_of`` when given). 'going quiet': fix landed and no incident of the class is dated
    after fix_landed. 'recurring after fix': fix landed and incidents are dated after it (their
    ids are listed). 'no fix landed': every other class. All incidents count, whatever quarter.
    """
    oldest_first = sorted(postmortems, key=lambda pm: (pm.date, pm.id))
    outcomes: list[FixOutcome] = []
    for slug in _class_slugs(taxonomy, postmortems):
        cls = _cause_class(taxonomy, slug)
        landed = cls.fix_landed if cls.fix_status == "landed" else None
        if landed is not None and as_of is not None and landed > as_of:
            landed = None
        status: RecurrenceStatus = "no fix landed"
        after: tuple[str, ...] = ()
        if landed is not None:
            after = tuple(
                pm.id for pm in oldest_first if slug in pm.cause_class and pm.date > landed
            )
            status = "recurring after fix" if after else "going quiet"
        outcomes.append(
            FixOutcome(
                slug=slug,
                title=cls.title,
                fix_status=cls.fix_status,
                fix_landed=cls.fix_landed,
                status=status,
                after_fix_ids=after,
            )
        )
    return tuple(outcomes)


@dataclass(frozen=True)
class ClassRecurrence:
    slug: str
    title: str
    counts: tuple[int, ...]
    """Incidents per quarter, aligned with ``RecurrenceByClass.quarters``."""
    total: int
    """Sum of ``counts``: incidents within the quarters shown."""
    outcome: FixOutcome

    @property
    def status(self) -> RecurrenceStatus:
        return self.outcome.status


@dataclass(frozen=True)
class RecurrenceByClass:
    quarters: tuple[str, ...]
    classes: tuple[ClassRecurrence, ...]
    """Every taxonomy class in taxonomy order, zeros included."""

    def get(self, slug: str) -> ClassRecurrence | None:
        return next((row for row in self.classes if row.slug == slug), None)


def recurrence_by_class(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    quarters: Sequence[str],
    as_of: dt.date | None = None,
) -> RecurrenceByClass:
    """Incidents per cause class per quarter, with each class's fix outcome.

    Count of a class in a quarter = incidents dated in that quarter naming the class; an incident
    with two classes counts once in each. Every class of the taxonomy appears, zeros included.
    The status comes from ``fix_outcomes`` and looks at all incidents, not only these quarters.
    """
    shown = tuple(quarters)
    position = {quarter: index for index, quarter in enumerate(shown)}
    outcomes = {outcome.slug: outcome for outcome in fix_outcomes(postmortems, taxonomy, as_of)}
    tallies: dict[str, list[int]] = {slug: [0] * len(shown) for slug in outcomes}
    for pm in postmortems:
        index = position.get(quarter_of(pm.date))
        if index is None:
            continue
        for slug in _classes_of(pm):
            tallies[slug][index] += 1
    rows = tuple(
        ClassRecurrence(
            slug=slug,
            title=outcome.title,
            counts=tuple(tallies[slug]),
            total=sum(tallies[slug]),
            outcome=outcome,
        )
        for slug, outcome in outcomes.items()
    )
    return RecurrenceByClass(quarters=shown, classes=rows)


# ---------------------------------------------------------------------------------------------
# Risk register (pain ranking)


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
        recent = 1 if _within_days(pm.date, today, weights.recent_days) else 0
        for slug in _classes_of(pm):
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
        cls = _cause_class(taxonomy, slug)
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


# ---------------------------------------------------------------------------------------------
# Time to detect and resolve


def median(values: Sequence[float]) -> float | None:
    """The middle value of the sorted values (the mean of the two middle ones for an even count);
    None without values."""
    return float(statistics.median(values)) if values else None


def percentile_nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: sort the n values and take the one at rank ⌈percent/100 × n⌉
    (ranks count from 1). It is always one of the values, never an interpolation: for ten values
    p90 is the 9th smallest, for eleven the 10th. None without values."""
    if not values:
        return None
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be above 0 and at most 100, not {percent}")
    # Exact arithmetic: 55 / 100 * 100 in floats is 55.00000000000001, whose ceiling is 56.
    rank = max(1, math.ceil(Fraction(str(percent)) * len(values) / 100))
    return float(sorted(values)[rank - 1])


@dataclass(frozen=True)
class Spread:
    count: int
    """How many values were present (records without the field are left out)."""
    median: float | None
    p90: float | None


def spread(values: Sequence[float]) -> Spread:
    """Count, median and nearest-rank p90 of the values."""
    return Spread(count=len(values), median=median(values), p90=percentile_nearest_rank(values, 90))


@dataclass(frozen=True)
class TimingRow:
    group: str
    mttd: Spread
    """Seconds from start to detection."""
    mttr: Spread
    """Seconds from start to resolution."""


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
    """Median and p90 of mttd_seconds and of mttr_seconds per quarter or per cause class.

    Missing values are left out, and each figure says how many values it used. p90 is the
    nearest-rank percentile: the value at rank ⌈0.9 × n⌉ of the n sorted values. Medians and
    percentiles rather than means, because one long outage drags a mean far from the typical
    incident. By class, an incident with two classes counts in both. ``groups`` fixes the rows
    and their order (so empty quarters show); without it, every group with an incident, sorted.
    """
    detect: dict[str, list[float]] = {}
    resolve: dict[str, list[float]] = {}
    seen: set[str] = set()
    for pm in postmortems:
        names = (quarter_of(pm.date),) if key == "quarter" else _classes_of(pm)
        seen.update(names)
        for name in names:
            if pm.mttd_seconds is not None:
                detect.setdefault(name, []).append(float(pm.mttd_seconds))
            if pm.mttr_seconds is not None:
                resolve.setdefault(name, []).append(float(pm.mttr_seconds))
    if groups is None:
        order: Sequence[str] = sorted(seen)
    else:
        order = groups
    rows = tuple(
        TimingRow(
            group=name,
            mttd=spread(detect.get(name, [])),
            mttr=spread(resolve.get(name, [])),
        )
        for name in order
    )
    return Timings(key=key, rows=rows)


# ---------------------------------------------------------------------------------------------
# Detection mix and near-miss reporting


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
        return _rate(counts[source], self.total)


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
        reports = _in_quarter(nearmisses, quarter)
        near = sum(nm.kind == "near-miss" for nm in reports)
        weak = sum(nm.kind == "weak-signal" for nm in reports)
        incidents = len(_in_quarter(postmortems, quarter))
        rows.append(
            NearMissRate(
                quarter=quarter,
                near_misses=near,
                weak_signals=weak,
                reports=near + weak,
                incidents=incidents,
                per_incident=_rate(near + weak, incidents),
            )
        )
    return tuple(rows)


# ---------------------------------------------------------------------------------------------
# Action items


@dataclass(frozen=True)
class OverdueItem:
    record_id: str
    item_id: str
    title: str
    owner: str
    due: dt.date


@dataclass(frozen=True)
class ActionItemBalance:
    open: int
    done: int
    overdue: int
    by_kind: Mapping[str, int] = field(hash=False)
    """Items per kind, open and done together; prevent / detect / recover / investigate always."""
    short_form_open: int
    """Open items known only from action_items_open (no list): in ``open``, not in kinds."""
    short_form_done: int
    """Done items known only from action_items_done (no list): in ``done``, not in kinds."""
    overdue_items: tuple[OverdueItem, ...] = ()

    @property
    def total(self) -> int:
        return self.open + self.done

    @property
    def completion_rate(self) -> float | None:
        """done / (open + done); None without items."""
        return _rate(self.done, self.total)


def action_item_balance(postmortems: Sequence[PostMortem], today: dt.date) -> ActionItemBalance:
    """Open, done and overdue action items and the balance of their kinds.

    From listed items: open = status other than 'done', done = status 'done', overdue = open
    with a due date before today, and a count per kind. A post-mortem without a list but with
    action_items_open / action_items_done adds those numbers to open / done only (and to
    short_form_open / short_form_done), since it says nothing of kinds or due dates.
    """
    open_n = done_n = short_open = short_done = 0
    kinds: dict[str, int] = dict.fromkeys(ACTION_KINDS, 0)
    overdue: list[OverdueItem] = []
    for pm in postmortems:
        if not pm.action_items:
            short_open += pm.action_items_open or 0
            short_done += pm.action_items_done or 0
            continue
        for item in pm.action_items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
            if item.status == "done":
                done_n += 1
                continue
            open_n += 1
            if item.due is not None and item.due < today:
                overdue.append(OverdueItem(pm.id, item.id, item.title, item.owner, item.due))
    overdue.sort(key=lambda item: (item.due, item.record_id, item.item_id))
    return ActionItemBalance(
        open=open_n + short_open,
        done=done_n + short_done,
        overdue=len(overdue),
        by_kind=MappingProxyType(kinds),
        short_form_open=short_open,
        short_form_done=short_done,
        overdue_items=tuple(overdue),
    )


# ---------------------------------------------------------------------------------------------
# SEV audit


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


# ---------------------------------------------------------------------------------------------
# Program health


def postmortem_due(pm: PostMortem, taxonomy: Taxonomy) -> dt.date | None:
    """Incident date + the ladder's due_business_days for its SEV, in business days (Mon-Fri);
    None when the SEV is not on the ladder."""
    level = taxonomy.severity.get(pm.sev)
    return None if level is None else add_business_days(pm.date, level.due_business_days)


@dataclass(frozen=True)
class LatePostMortem:
    id: str
    title: str
    sev: int
    status: str
    due: dt.date


@dataclass(frozen=True)
class ProgramHealth:
    today: dt.date
    recent_days: int
    published: int
    """Post-mortems with status 'final' (counted as on time: the archive has no publish date)."""
    in_progress: int
    """Drafts and reviews still within their due date: not yet judged."""
    late: tuple[LatePostMortem, ...]
    """Drafts and reviews past their due date, oldest due first."""
    no_deadline: int
    """Drafts and reviews whose SEV is not on the ladder, so no due date is known."""
    on_time_rate: float | None
    """published / (published + late); None when neither."""
    actions: ActionItemBalance
    recent_class_counts: Mapping[str, int] = field(hash=False)
    """Incidents per class within the recent window, most first (classes with none left out)."""
    recurring_recent: tuple[str, ...]
    """Classes with two or more incidents within the recent window."""
    recurring_after_fix: tuple[FixOutcome, ...]
    going_quiet: tuple[FixOutcome, ...]

    @property
    def action_completion_rate(self) -> float | None:
        return self.actions.completion_rate


def program_health(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    today: dt.date,
    recent_days: int = DEFAULT_RECENT_DAYS,
) -> ProgramHealth:
    """Process figures beside the outcomes they serve.

    Process: a post-mortem is due ``due_business_days`` business days (Mon-Fri) after the
    incident, per its SEV on the ladder. Final ones count as published on time (there is no
    publish date); drafts and reviews are late once today is after the due date, and not yet
    judged before it. on-time rate = published / (published + late). Action items: completion
    rate = done / (open + done), overdue = open past due (see ``action_item_balance``).
    Outcomes: incidents per class within the last ``recent_days`` days up to today, the classes
    with two or more there, and the classes recurring after their fix (see ``fix_outcomes``).
    """
    published = in_progress = no_deadline = 0
    late: list[LatePostMortem] = []
    for pm in postmortems:
        if pm.status == "final":
            published += 1
            continue
        due = postmortem_due(pm, taxonomy)
        if due is None:
            no_deadline += 1
        elif today > due:
            late.append(LatePostMortem(pm.id, pm.title, pm.sev, pm.status, due))
        else:
            in_progress += 1
    late.sort(key=lambda row: (row.due, row.id))

    recent: dict[str, int] = {}
    for pm in postmortems:
        if _within_days(pm.date, today, recent_days):
            for slug in _classes_of(pm):
                recent[slug] = recent.get(slug, 0) + 1
    ordered = dict(sorted(recent.items(), key=lambda kv: (-kv[1], kv[0])))
    outcomes = fix_outcomes(postmortems, taxonomy, as_of=today)
    return ProgramHealth(
        today=today,
        recent_days=recent_days,
        published=published,
        in_progress=in_progress,
        late=tuple(late),
        no_deadline=no_deadline,
        on_time_rate=_rate(published, published + len(late)),
        actions=action_item_balance(postmortems, today),
        recent_class_counts=MappingProxyType(ordered),
        recurring_recent=tuple(slug for slug, n in ordered.items() if n >= 2),
        recurring_after_fix=tuple(o for o in outcomes if o.status == "recurring after fix"),
        going_quiet=tuple(o for o in outcomes if o.status == "going quiet"),
    )


# ---------------------------------------------------------------------------------------------
# Quarterly reliability review


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
    pms = _until(_in_quarter(postmortems, quarter), as_of)
    nms = _until(_in_quarter(nearmisses, quarter), as_of)
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
    pms = _until(postmortems, as_of)
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
