"""The program-level analyses, checked on small record sets whose answers are worked by hand."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from pmarchive.analysis import figures
from pmarchive.analysis.actions import ActionItemBalance, action_item_balance
from pmarchive.analysis.health import postmortem_due, program_health
from pmarchive.analysis.pyramid import incident_pyramid
from pmarchive.analysis.recurrence import fix_outcomes, quarters_spanning, recurrence_by_class
from pmarchive.analysis.review import quarterly_review
from pmarchive.analysis.risk import RiskWeights, risk_register
from pmarchive.analysis.sev_audit import sev_audit
from pmarchive.analysis.stats import Spread, median, percentile_nearest_rank, rate
from pmarchive.analysis.timings import detection_mix, nearmiss_rate, time_to_detect_and_resolve
from pmarchive.core.calendar import (
    add_business_days,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    quarters_between,
)
from pmarchive.model.records import ActionItem, NearMiss, PostMortem
from pmarchive.model.taxonomy import CauseClass, SeverityCriteria, SeverityLevel, Taxonomy

D = dt.date.fromisoformat
TODAY = D("2026-06-15")  # a Monday; the 90-day window starts on 2026-03-17

TAX = Taxonomy(
    classes={
        "cache-stampede": CauseClass(
            "cache-stampede",
            "Cache stampede",
            candidate_fix="Request coalescing",
            fix_status="funded",
        ),
        "config-blast-radius": CauseClass(
            "config-blast-radius",
            "Config blast radius",
            candidate_fix="Config canary",
            fix_status="landed",
            fix_landed=D("2026-03-01"),
        ),
        "retry-storm": CauseClass("retry-storm", "Retry storm"),
        "capacity": CauseClass(
            "capacity", "Capacity", fix_status="landed", fix_landed=D("2026-01-15")
        ),
    },
    severity={
        1: SeverityLevel(
            1,
            "Critical",
            criteria=SeverityCriteria(
                customer_impact_pct=25, duration_min=60, data_loss=True, security=True
            ),
            due_business_days=5,
        ),
        2: SeverityLevel(
            2,
            "Major",
            criteria=SeverityCriteria(
                customer_impact_pct=5, duration_min=30, revenue_impact_usd=10_000
            ),
            due_business_days=10,
        ),
        3: SeverityLevel(3, "Minor", due_business_days=15),
    },
)


def pm(
    record_id: str,
    date: str,
    classes: tuple[str, ...] = ("cache-stampede",),
    sev: int = 2,
    **changes: Any,
) -> PostMortem:
    fields: dict[str, Any] = {"status": "final", "detection": "alert", **changes}
    return PostMortem(
        id=record_id,
        title=f"Incident {record_id}",
        date=D(date),
        cause_class=classes,
        path="x",
        sev=sev,
        **fields,
    )


def nm(record_id: str, date: str, kind: str = "near-miss") -> NearMiss:
    return NearMiss(
        id=record_id,
        title=f"Report {record_id}",
        date=D(date),
        cause_class=("cache-stampede",),
        path="x",
        kind=kind,
        caught_by="person",
    )


def item(item_id: str, status: str, kind: str, due: str | None = None) -> ActionItem:
    return ActionItem(
        item_id, f"Item {item_id}", status, kind, owner="sre", due=D(due) if due else None
    )


# --- quarters and calendars ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        ("2026-01-01", "2026-Q1"),
        ("2026-03-31", "2026-Q1"),
        ("2026-04-01", "2026-Q2"),
        ("2026-09-30", "2026-Q3"),
        ("2026-12-31", "2026-Q4"),
    ],
)
def test_quarter_of(day: str, quarter: str) -> None:
    assert quarter_of(D(day)) == quarter


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2025-Q4", "2026-Q2", ("2025-Q4", "2026-Q1", "2026-Q2")),  # crosses the year
        ("2026-Q2", "2026-Q2", ("2026-Q2",)),  # inclusive at both ends
        ("2026-Q3", "2026-Q1", ()),  # backwards: nothing
    ],
)
def test_quarters_between(first: str, last: str, expected: tuple[str, ...]) -> None:
    assert quarters_between(first, last) == expected


@pytest.mark.parametrize("bad", ["2026-Q5", "2026Q1", "26-Q1", "2026-q1"])
def test_quarters_between_rejects_malformed_quarters(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-Qn"):
        quarters_between(bad, "2026-Q4")


@pytest.mark.parametrize(
    ("quarter", "before", "first", "last"),
    [
        ("2026-Q1", "2025-Q4", "2026-01-01", "2026-03-31"),
        ("2026-Q3", "2026-Q2", "2026-07-01", "2026-09-30"),
        ("2024-Q4", "2024-Q3", "2024-10-01", "2024-12-31"),
    ],
)
def test_previous_quarter_and_bounds(quarter: str, before: str, first: str, last: str) -> None:
    assert previous_quarter(quarter) == before
    assert quarter_bounds(quarter) == (D(first), D(last))


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ([], ()),
        (["2026-02-01"], ("2026-Q1",)),
        # the empty 2026-Q1 still appears between the two records
        (["2026-04-30", "2025-11-02"], ("2025-Q4", "2026-Q1", "2026-Q2")),
    ],
)
def test_quarters_spanning(dates: list[str], expected: tuple[str, ...]) -> None:
    records = [pm(f"INC-{n}", day) for n, day in enumerate(dates)]
    assert quarters_spanning(records) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-06-10", 0, "2026-06-10"),  # Wed + 0 = same day
        ("2026-06-11", 3, "2026-06-16"),  # Thu + 3 = Fri, (weekend), Mon, Tue
        ("2026-06-05", 1, "2026-06-08"),  # Fri + 1 = Mon, not Sat
        ("2026-06-05", 5, "2026-06-12"),  # Fri + 5 = next Fri (7 calendar days)
        ("2026-06-06", 1, "2026-06-08"),  # Sat + 1 = Mon
        ("2026-06-07", 5, "2026-06-12"),  # Sun + 5 = Fri
    ],
)
def test_add_business_days_skips_weekends(start: str, days: int, expected: str) -> None:
    assert add_business_days(D(start), days) == D(expected)


# --- empty archives: sensible zeros and Nones, never an exception -----------------------------

EMPTY_CASES: list[tuple[str, Callable[[], Any], Callable[[Any], Any], Any]] = [
    (
        "pyramid counts",
        lambda: incident_pyramid([], []),
        lambda r: [(lv.key, lv.count, lv.ratio) for lv in r.levels],
        [
            ("sev-1", 0, None),
            ("sev-2", 0, None),
            ("sev-3", 0, None),
            ("near-miss", 0, None),
            ("weak-signal", 0, None),
        ],
    ),
    (
        "recurrence rows keep every class at zero",
        lambda: recurrence_by_class([], TAX, ("2026-Q1", "2026-Q2")),
        lambda r: [(c.slug, c.counts, c.status) for c in r.classes],
        [
            ("cache-stampede", (0, 0), "no fix landed"),
            ("config-blast-radius", (0, 0), "going quiet"),
            ("retry-storm", (0, 0), "no fix landed"),
            ("capacity", (0, 0), "going quiet"),
        ],
    ),
    (
        "risk register lists every class at zero, in slug order",
        lambda: risk_register([], TAX, TODAY),
        lambda r: [(e.rank, e.slug, e.count, e.worst_sev, e.score) for e in r.entries],
        [
            (1, "cache-stampede", 0, None, 0),
            (2, "capacity", 0, None, 0),
            (3, "config-blast-radius", 0, None, 0),
            (4, "retry-storm", 0, None, 0),
        ],
    ),
    (
        "timings without groups",
        lambda: time_to_detect_and_resolve([], "quarter"),
        lambda r: r.rows,
        (),
    ),
    (
        "timings with a fixed group",
        lambda: time_to_detect_and_resolve([], "class", groups=["capacity"]),
        lambda r: (r.rows[0].group, r.rows[0].mttd, r.rows[0].mttr),
        ("capacity", Spread(0, None, None), Spread(0, None, None)),
    ),
    (
        "detection mix",
        lambda: detection_mix([], ["2026-Q1"]),
        lambda r: (r[0].alert, r[0].human, r[0].customer, r[0].total, r[0].share("alert")),
        (0, 0, 0, 0, None),
    ),
    (
        "near-miss rate",
        lambda: nearmiss_rate([], [], ["2026-Q1"]),
        lambda r: (r[0].reports, r[0].incidents, r[0].per_incident),
        (0, 0, None),
    ),
    (
        "action items",
        lambda: action_item_balance([], TODAY),
        lambda r: (r.open, r.done, r.overdue, dict(r.by_kind), r.completion_rate),
        (0, 0, 0, {"prevent": 0, "detect": 0, "recover": 0, "investigate": 0}, None),
    ),
    (
        "sev audit",
        lambda: sev_audit([], TAX),
        lambda r: (r.findings, r.deflation_candidates),
        ((), ()),
    ),
    (
        "program health",
        lambda: program_health([], TAX, TODAY),
        lambda r: (
            r.published,
            r.late,
            r.on_time_rate,
            r.action_completion_rate,
            dict(r.recent_class_counts),
            r.recurring_after_fix,
            [o.slug for o in r.going_quiet],
        ),
        (0, (), None, None, {}, (), ["config-blast-radius", "capacity"]),
    ),
    (
        "quarterly review",
        lambda: quarterly_review([], [], TAX, "2026-Q2", TODAY),
        lambda r: (
            r.previous_quarter,
            r.current.pyramid.incidents,
            r.previous.nearmisses.per_incident,
            r.current.timings.mttr,
            [e for e in r.risk_register.entries if e.count],
            (r.incidents, r.overdue, r.proposed_asks),
        ),
        ("2026-Q1", 0, None, Spread(0, None, None), [], ((), (), ())),
    ),
    (
        "empty taxonomy too",
        lambda: recurrence_by_class([], Taxonomy(), ("2026-Q1",)),
        lambda r: (r.quarters, r.classes),
        (("2026-Q1",), ()),
    ),
]


@pytest.mark.parametrize(
    ("call", "project", "expected"),
    [case[1:] for case in EMPTY_CASES],
    ids=[case[0] for case in EMPTY_CASES],
)
def test_empty_archive(
    call: Callable[[], Any], project: Callable[[Any], Any], expected: Any
) -> None:
    assert project(call()) == expected


# --- records without any optional field --------------------------------------------------------

BARE = pm("INC-BARE", "2026-05-04", sev=2)  # no impact figures, durations or action items

BARE_CASES: list[tuple[str, Callable[[], Any], Any]] = [
    # usd 0 + 1 x 1000 + sev_weight(2)=30 x 1000 + recent 1 x 5000 = 36000
    ("risk score", lambda: risk_register([BARE], TAX, TODAY).entries[0].score, 36_000),
    ("risk usd", lambda: risk_register([BARE], TAX, TODAY).entries[0].usd, 0),
    (
        "timings count nothing",
        lambda: time_to_detect_and_resolve([BARE], "quarter").rows[0].mttd,
        Spread(0, None, None),
    ),
    ("sev audit implies nothing", lambda: sev_audit([BARE], TAX).findings[0].implied, None),
    ("no deflation", lambda: sev_audit([BARE], TAX).deflation_candidates, ()),
    ("no action items", lambda: action_item_balance([BARE], TODAY).total, 0),
    ("counted as an incident", lambda: incident_pyramid([BARE], []).count("sev-2"), 1),
]


@pytest.mark.parametrize(
    ("call", "expected"), [c[1:] for c in BARE_CASES], ids=[c[0] for c in BARE_CASES]
)
def test_records_without_optional_fields(call: Callable[[], Any], expected: Any) -> None:
    assert call() == expected


# --- incident pyramid ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sevs", "kinds", "expected"),
    [
        (
            # 1 SEV-1, 2 SEV-2, 4 SEV-3, 1 SEV-4; 8 near-misses, no weak signals
            [1, 2, 2, 3, 3, 3, 3, 4],
            ["near-miss"] * 8,
            [
                ("sev-1", 1, None),  # apex
                ("sev-2", 2, 2.0),  # 2 / 1
                ("sev-3", 4, 2.0),  # 4 / 2
                ("sev-4", 1, 0.25),  # 1 / 4
                ("near-miss", 8, 8.0),  # 8 / 1
                ("weak-signal", 0, 0.0),  # 0 / 8
            ],
        ),
        (
            # no SEV-1: the SEV-2 ratio has nothing to divide by
            [2, 3, 3],
            ["near-miss", "weak-signal", "weak-signal", "weak-signal"],
            [
                ("sev-1", 0, None),
                ("sev-2", 1, None),
                ("sev-3", 2, 2.0),
                ("near-miss", 1, 0.5),
                ("weak-signal", 3, 3.0),
            ],
        ),
    ],
)
def test_incident_pyramid(
    sevs: list[int], kinds: list[str], expected: list[tuple[str, int, float | None]]
) -> None:
    pms = [pm(f"INC-{n}", "2026-05-01", sev=sev) for n, sev in enumerate(sevs)]
    nms = [nm(f"NM-{n}", "2026-05-01", kind) for n, kind in enumerate(kinds)]
    pyramid = incident_pyramid(pms, nms)
    assert [(lv.key, lv.count, lv.ratio) for lv in pyramid.levels] == expected
    assert pyramid.incidents == len(sevs)


# --- recurrence by class ------------------------------------------------------------------------

RECURRENCE = [
    pm("INC-A", "2026-01-20", ("config-blast-radius",)),  # before the config fix (03-01)
    pm("INC-B", "2026-02-10", ("config-blast-radius", "cache-stampede")),
    pm("INC-C", "2026-03-01", ("config-blast-radius",)),  # on the landing day: not after it
    pm("INC-D", "2026-04-05", ("capacity",)),  # after the capacity fix (01-15)
    pm("INC-E", "2025-12-30", ("capacity",)),  # before it
    pm("INC-F", "2027-01-05", ("retry-storm",)),  # outside the quarters shown
]


@pytest.mark.parametrize(
    ("slug", "counts", "total", "status", "after_ids"),
    [
        ("config-blast-radius", (0, 3, 0), 3, "going quiet", ()),
        ("cache-stampede", (0, 1, 0), 1, "no fix landed", ()),  # fix only funded
        ("capacity", (1, 0, 1), 2, "recurring after fix", ("INC-D",)),
        ("retry-storm", (0, 0, 0), 0, "no fix landed", ()),  # INC-F lies outside
    ],
)
def test_recurrence_by_class(
    slug: str, counts: tuple[int, ...], total: int, status: str, after_ids: tuple[str, ...]
) -> None:
    table = recurrence_by_class(RECURRENCE, TAX, ("2025-Q4", "2026-Q1", "2026-Q2"))
    row = table.get(slug)
    assert row is not None
    assert (row.counts, row.total, row.status) == (counts, total, status)
    assert row.outcome.after_fix_ids == after_ids
    assert row.outcome.after_fix_count == len(after_ids)


def test_recurrence_lists_every_taxonomy_class_in_order() -> None:
    table = recurrence_by_class(RECURRENCE, TAX, quarters_between("2025-Q4", "2026-Q2"))
    assert [row.slug for row in table.classes] == list(TAX.classes)
    assert table.get("no-such-class") is None


def landed(on: str | None, status: str = "landed") -> Taxonomy:
    fix_landed = D(on) if on else None
    cls = CauseClass("config", "Config", fix_status=status, fix_landed=fix_landed)
    return Taxonomy(classes={"config": cls})


@pytest.mark.parametrize(
    ("taxonomy", "dates", "as_of", "status", "after_ids"),
    [
        (landed("2026-03-01"), [], None, "going quiet", ()),  # a fix and silence: a win
        (landed("2026-03-01"), ["2026-02-28", "2026-03-01"], None, "going quiet", ()),
        (landed("2026-03-01"), ["2026-02-28", "2026-03-02"], None, "recurring after fix", (1,)),
        (landed("2026-03-01"), ["2026-05-01", "2026-04-01"], None, "recurring after fix", (1, 0)),
        (landed(None), ["2026-03-02"], None, "no fix landed", ()),  # landed without a date
        (landed("2026-03-01", "funded"), ["2026-01-01"], None, "no fix landed", ()),
        # a review dated before the fix landed must not credit it
        (landed("2026-03-01"), ["2026-01-01"], D("2026-02-01"), "no fix landed", ()),
    ],
)
def test_going_quiet_versus_recurring_after_fix(
    taxonomy: Taxonomy,
    dates: list[str],
    as_of: dt.date | None,
    status: str,
    after_ids: tuple[int, ...],
) -> None:
    records = [pm(f"INC-{n}", day, ("config",)) for n, day in enumerate(dates)]
    (outcome,) = fix_outcomes(records, taxonomy, as_of=as_of)
    assert outcome.status == status
    # ids oldest first
    assert outcome.after_fix_ids == tuple(f"INC-{n}" for n in after_ids)


# --- risk register ------------------------------------------------------------------------------

RISK = [
    pm("INC-1", "2026-01-10", ("cache-stampede",), sev=2, revenue_impact_usd=12_000),
    pm("INC-2", "2026-04-01", ("cache-stampede",), sev=3),  # no $ figure: counts as 0
    pm("INC-3", "2026-05-01", ("retry-storm",), sev=1, revenue_impact_usd=500),
    pm("INC-4", "2026-03-16", ("config-blast-radius",), sev=3, revenue_impact_usd=2_000),
    pm("INC-5", "2026-03-17", ("config-blast-radius",), sev=3, revenue_impact_usd=0),
]
# Hand-worked with the defaults ($ + 1000·n + 1000·sev_weight + 5000·recent; window from 03-17):
#   retry-storm:         500 + 1000·1 + 1000·100 + 5000·1 = 106500
#   cache-stampede:    12000 + 1000·2 + 1000·30  + 5000·1 =  49000  (INC-2 is recent)
#   config-blast-radius: 2000 + 1000·2 + 1000·5  + 5000·1 =  14000  (INC-4 a day too old)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            None,
            [
                ("retry-storm", 106_500),
                ("cache-stampede", 49_000),
                ("config-blast-radius", 14_000),
            ],
        ),
        # count only: cache and config tie at 2 and are ordered by slug
        (
            RiskWeights(w_usd=0, w_count=1, w_sev=0, w_recent=0),
            [("cache-stampede", 2), ("config-blast-radius", 2), ("retry-storm", 1)],
        ),
        # custom ladder weights: SEV-3 is missing, so config gets unknown_sev_weight 1 → 10;
        # retry (SEV-1 → 1) ties with it at 10 and sorts after it by slug
        (
            RiskWeights(w_usd=0, w_count=0, w_sev=10, w_recent=0, sev_weight={1: 1, 2: 2}),
            [("cache-stampede", 20), ("config-blast-radius", 10), ("retry-storm", 10)],
        ),
        # a 45-day window (from 05-01): only INC-3 is recent
        (
            RiskWeights(w_usd=0, w_count=0, w_sev=0, w_recent=1, recent_days=45),
            [("retry-storm", 1), ("cache-stampede", 0), ("config-blast-radius", 0)],
        ),
        # dollars only
        (
            RiskWeights(w_usd=2, w_count=0, w_sev=0, w_recent=0),
            [("cache-stampede", 24_000), ("config-blast-radius", 4_000), ("retry-storm", 1_000)],
        ),
    ],
)
def test_risk_register_scores(
    weights: RiskWeights | None, expected: list[tuple[str, float]]
) -> None:
    register = risk_register(RISK, TAX, TODAY, weights)
    assert [(e.slug, e.score) for e in register.entries if e.count] == expected
    # every class is listed: capacity, without incidents, at score 0
    assert [e.rank for e in register.entries] == [1, 2, 3, 4]
    capacity = next(e for e in register.entries if e.slug == "capacity")
    assert (capacity.count, capacity.score) == (0, 0)


def test_risk_register_row_carries_its_figures_and_fix() -> None:
    register = risk_register(RISK, TAX, TODAY)
    cache = next(e for e in register.entries if e.slug == "cache-stampede")
    assert (cache.count, cache.usd, cache.worst_sev, cache.sev_weight, cache.recent) == (
        2,
        12_000,
        2,
        30,
        1,
    )
    assert (cache.title, cache.candidate_fix, cache.fix_status) == (
        "Cache stampede",
        "Request coalescing",
        "funded",
    )
    # capacity has no incidents: listed last, with zeros and no worst SEV
    capacity = register.entries[-1]
    assert (capacity.slug, capacity.count, capacity.usd, capacity.worst_sev) == (
        "capacity",
        0,
        0,
        None,
    )
    assert register.weights == RiskWeights()


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # a class named twice counts once: 0 + 1000 + 1000·30 + 5000 = 36000 for each class
        (
            pm("INC-X", "2026-06-01", ("cache-stampede", "cache-stampede", "retry-storm")),
            [("cache-stampede", 1, 36_000), ("retry-storm", 1, 36_000)],
        ),
        # a level off the default weights: sev_weight 1 → 0 + 1000 + 1000 + 0 (not recent)
        (pm("INC-Y", "2025-01-01", ("retry-storm",), sev=4), [("retry-storm", 1, 2_000)]),
    ],
)
def test_risk_register_edge_cases(
    record: PostMortem, expected: list[tuple[str, int, float]]
) -> None:
    entries = risk_register([record], TAX, TODAY).entries
    assert [(e.slug, e.count, e.score) for e in entries if e.count] == expected


# --- medians and nearest-rank p90 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 90, None),
        ([5], 90, 5),  # rank ⌈0.9⌉ = 1
        (list(range(1, 11)), 90, 9),  # rank ⌈9.0⌉ = 9
        (list(range(1, 12)), 90, 10),  # rank ⌈9.9⌉ = 10
        (list(range(1, 21)), 90, 18),  # rank ⌈18⌉ = 18
        (list(range(1, 71)), 90, 63),  # rank ⌈63⌉ = 63
        (list(range(1, 101)), 55, 55),  # rank ⌈55⌉ = 55; floats give 55.00000000000001 → 56
        ([100, 1, 50], 90, 100),  # sorted 1, 50, 100; rank ⌈2.7⌉ = 3
        ([1, 2, 3, 4], 50, 2),  # rank ⌈2⌉ = 2: a value, never the 2.5 interpolation
        ([3, 1, 2], 100, 3),
    ],
)
def test_percentile_nearest_rank(values: list[int], percent: float, expected: float | None) -> None:
    assert percentile_nearest_rank(values, percent) == expected


@pytest.mark.parametrize("percent", [0, -5, 100.5])
def test_percentile_rejects_out_of_range(percent: float) -> None:
    with pytest.raises(ValueError, match="percent"):
        percentile_nearest_rank([1, 2], percent)


@pytest.mark.parametrize(
    ("values", "expected"), [([], None), ([3, 1, 2], 2), ([1, 2, 3, 4], 2.5), ([7], 7)]
)
def test_median(values: list[int], expected: float | None) -> None:
    assert median(values) == expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, None), (3, 0, None), (0, 4, 0.0), (1, 4, 0.25), (6, 4, 1.5)],
)
def test_rate(part: int, whole: int, expected: float | None) -> None:
    assert rate(part, whole) == expected


FAMILY_MODULES = [
    importlib.import_module(f"pmarchive.analysis.{name}")
    for name in (
        "_shared",
        "actions",
        "health",
        "pyramid",
        "recurrence",
        "review",
        "risk",
        "sev_audit",
        "stats",
        "timings",
    )
]


@pytest.mark.parametrize("name", figures.__all__)
def test_figures_re_exports_each_name_from_its_family_module(name: str) -> None:
    """Importers of ``pmarchive.analysis.figures`` keep working, and nothing is defined there."""
    exported = getattr(figures, name)
    if inspect.isclass(exported) or inspect.isfunction(exported):
        home = exported.__module__
        assert home.startswith("pmarchive.analysis.") and home != figures.__name__, home
        assert getattr(importlib.import_module(home), name) is exported
    else:  # a constant or a type alias: the family module holds the same object
        homes = [m for m in FAMILY_MODULES if getattr(m, name, None) is exported]
        assert homes, f"{name} is not taken from a family module"


def test_figures_exports_every_public_analysis() -> None:
    public: set[str] = set()
    for module in FAMILY_MODULES:
        if module.__name__.endswith((".stats", "._shared")):
            continue  # helpers: figures carries only the statistics it always had
        public |= {
            attr
            for attr, value in vars(module).items()
            if not attr.startswith("_") and getattr(value, "__module__", None) == module.__name__
        }
    assert public <= set(figures.__all__), sorted(public - set(figures.__all__))
    assert "risk_register" in public and "quarterly_review" in public


TIMED = [
    pm("INC-1", "2026-01-05", ("cache-stampede", "retry-storm"), mttd_seconds=60, mttr_seconds=600),
    pm("INC-2", "2026-02-05", ("cache-stampede",), mttd_seconds=120),
    pm("INC-3", "2026-03-05", ("retry-storm",), mttr_seconds=1_800),
    pm("INC-4", "2026-04-05", ("capacity",), mttd_seconds=30),
]


@pytest.mark.parametrize(
    ("key", "groups", "expected"),
    [
        (
            "quarter",
            ["2026-Q1", "2026-Q2", "2026-Q3"],
            [
                # Q1 mttd 60, 120 → median 90, p90 rank ⌈1.8⌉ = 2 → 120
                # Q1 mttr 600, 1800 → median 1200, p90 1800
                ("2026-Q1", Spread(2, 90, 120), Spread(2, 1_200, 1_800)),
                ("2026-Q2", Spread(1, 30, 30), Spread(0, None, None)),
                ("2026-Q3", Spread(0, None, None), Spread(0, None, None)),  # empty still shown
            ],
        ),
        (
            "class",
            None,  # the classes present, sorted
            [
                ("cache-stampede", Spread(2, 90, 120), Spread(1, 600, 600)),
                ("capacity", Spread(1, 30, 30), Spread(0, None, None)),
                # INC-1 has two classes and counts in both
                ("retry-storm", Spread(1, 60, 60), Spread(2, 1_200, 1_800)),
            ],
        ),
    ],
)
def test_time_to_detect_and_resolve(
    key: Any, groups: list[str] | None, expected: list[tuple[str, Spread, Spread]]
) -> None:
    timings = time_to_detect_and_resolve(TIMED, key, groups)
    assert timings.key == key
    assert [(row.group, row.mttd, row.mttr) for row in timings.rows] == expected


# --- detection mix and near-miss reporting ----------------------------------------------------


def test_detection_mix_per_quarter() -> None:
    records = [
        pm("INC-1", "2026-01-05", detection="alert"),
        pm("INC-2", "2026-02-05", detection="alert"),
        pm("INC-3", "2026-03-05", detection="customer"),
        pm("INC-4", "2026-04-05", detection="human"),
        pm("INC-5", "2025-04-05", detection="human"),  # outside the quarters asked for
    ]
    mix = detection_mix(records, quarters_between("2026-Q1", "2026-Q3"))
    assert [(q.quarter, q.alert, q.human, q.customer) for q in mix] == [
        ("2026-Q1", 2, 0, 1),
        ("2026-Q2", 0, 1, 0),
        ("2026-Q3", 0, 0, 0),
    ]
    assert mix[0].share("alert") == pytest.approx(2 / 3)
    assert mix[2].share("customer") is None
    with pytest.raises(ValueError, match="detection source"):
        mix[0].share("total")


@pytest.mark.parametrize(
    ("quarter", "near", "weak", "incidents", "per_incident"),
    [
        ("2026-Q1", 3, 1, 2, 2.0),  # (3 + 1) / 2
        ("2026-Q2", 0, 1, 0, None),  # reports but no incidents: no rate
        ("2026-Q3", 0, 0, 1, 0.0),  # an incident and silence: the alarming zero
    ],
)
def test_nearmiss_rate(
    quarter: str, near: int, weak: int, incidents: int, per_incident: float | None
) -> None:
    pms = [pm("INC-1", "2026-01-10"), pm("INC-2", "2026-03-10"), pm("INC-3", "2026-08-01")]
    nms = [
        nm("NM-1", "2026-01-02"),
        nm("NM-2", "2026-02-02"),
        nm("NM-3", "2026-03-02"),
        nm("WS-1", "2026-03-03", "weak-signal"),
        nm("WS-2", "2026-05-03", "weak-signal"),
    ]
    (row,) = nearmiss_rate(pms, nms, [quarter])
    assert (row.near_misses, row.weak_signals, row.reports) == (near, weak, near + weak)
    assert (row.incidents, row.per_incident) == (incidents, per_incident)


# --- action items -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (
            [
                pm(
                    "INC-1",
                    "2026-05-01",
                    action_items=(
                        item("a1", "open", "prevent", "2026-06-14"),  # overdue (before today)
                        item("a2", "open", "detect", "2026-06-15"),  # due today: not overdue
                        item("a3", "done", "prevent", "2026-01-01"),  # done: never overdue
                        item("a4", "open", "investigate"),  # no due date
                    ),
                ),
                pm("INC-2", "2026-05-02", action_items_open=2, action_items_done=3),
                # the list wins over the derived counts carried beside it
                pm(
                    "INC-3",
                    "2026-05-03",
                    action_items=(item("b1", "done", "recover"),),
                    action_items_open=7,
                ),
            ],
            # open 3 + 2 short; done 2 + 3 short; overdue a1
            (5, 5, 1, {"prevent": 2, "detect": 1, "recover": 1, "investigate": 1}, 2, 3, 0.5),
        ),
        (
            [pm("INC-1", "2026-05-01", action_items_open=None, action_items_done=4)],
            (0, 4, 0, {"prevent": 0, "detect": 0, "recover": 0, "investigate": 0}, 0, 4, 1.0),
        ),
    ],
)
def test_action_item_balance(records: list[PostMortem], expected: tuple[Any, ...]) -> None:
    balance = action_item_balance(records, TODAY)
    assert (
        balance.open,
        balance.done,
        balance.overdue,
        dict(balance.by_kind),
        balance.short_form_open,
        balance.short_form_done,
        balance.completion_rate,
    ) == expected


def test_overdue_items_name_their_record() -> None:
    record = pm(
        "INC-9",
        "2026-05-01",
        action_items=(
            item("late-2", "open", "detect", "2026-06-01"),
            item("late-1", "open", "prevent", "2026-05-01"),
        ),
    )
    balance: ActionItemBalance = action_item_balance([record], TODAY)
    assert [(o.record_id, o.item_id, o.due) for o in balance.overdue_items] == [
        ("INC-9", "late-1", D("2026-05-01")),
        ("INC-9", "late-2", D("2026-06-01")),
    ]


# --- SEV audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "figures", "implied", "verdict"),
    [
        (2, {"customer_impact_pct": 30}, 1, "deflation candidate"),  # 30 ≥ 25
        (1, {"customer_impact_pct": 25}, 1, "matches"),  # at the threshold counts
        (3, {"customer_impact_pct": 10}, 2, "deflation candidate"),  # 10 ≥ 5, < 25
        (2, {"duration_min": 45}, 2, "matches"),  # 45 ≥ 30, < 60
        (3, {"revenue_impact_usd": 10_000}, 2, "deflation candidate"),
        (2, {"data_loss": True}, 1, "deflation candidate"),
        (3, {"security": True}, 1, "deflation candidate"),
        # any one criterion suffices: low impact, but long enough for SEV-1
        (2, {"customer_impact_pct": 1, "duration_min": 90}, 1, "deflation candidate"),
        (1, {"customer_impact_pct": 10}, 2, "declared above criteria"),  # allowed
        (1, {"customer_impact_pct": 1}, None, "no criteria met"),
        (2, {}, None, "no criteria met"),
    ],
)
def test_sev_audit_levels(
    declared: int, figures: dict[str, Any], implied: int | None, verdict: str
) -> None:
    audit = sev_audit([pm("INC-1", "2026-05-01", sev=declared, **figures)], TAX)
    (finding,) = audit.findings
    assert (finding.declared, finding.implied, finding.verdict) == (declared, implied, verdict)
    assert len(audit.deflation_candidates) == (1 if verdict == "deflation candidate" else 0)


def test_sev_audit_names_the_criteria_and_lists_deflation() -> None:
    records = [
        pm("INC-1", "2026-05-01", sev=3, customer_impact_pct=30, data_loss=True),
        pm("INC-2", "2026-05-02", sev=1, customer_impact_pct=30),
        pm("INC-3", "2026-05-03", sev=3, duration_min=31),
    ]
    audit = sev_audit(records, TAX)
    assert audit.findings[0].reasons == ("customer_impact_pct 30 ≥ 25", "data_loss")
    assert audit.findings[2].reasons == ("duration_min 31 ≥ 30",)
    assert [f.id for f in audit.deflation_candidates] == ["INC-1", "INC-3"]


# --- program health -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "sev", "due"),
    [
        ("2026-06-05", 1, "2026-06-12"),  # Fri + 5 business days = next Fri, not Wed
        ("2026-06-06", 1, "2026-06-12"),  # Sat: counting starts on Mon
        ("2026-06-10", 3, "2026-07-01"),  # Wed + 15 = three weeks on
        ("2026-06-10", 9, None),  # not on the ladder
    ],
)
def test_postmortem_due(date: str, sev: int, due: str | None) -> None:
    assert postmortem_due(pm("INC-1", date, sev=sev), TAX) == (D(due) if due else None)


@pytest.mark.parametrize(
    ("status", "today", "late"),
    [
        # SEV-1 on Friday 2026-06-05 is due Friday 2026-06-12 (5 business days over a weekend)
        ("draft", "2026-06-11", False),  # 6 calendar days on, but only 4 business days
        ("draft", "2026-06-12", False),  # the due day itself
        ("review", "2026-06-13", True),  # the Saturday after
        ("draft", "2026-06-15", True),
        ("final", "2026-06-15", False),  # final without a publish date: unknown, not judged
    ],
)
def test_late_postmortems_over_a_weekend(status: str, today: str, late: bool) -> None:
    record = pm("INC-1", "2026-06-05", sev=1, status=status)
    health = program_health([record], TAX, D(today))
    assert [r.id for r in health.late] == (["INC-1"] if late else [])
    assert health.on_time_rate == (0.0 if late else None)
    assert health.unknown == (1 if status == "final" else 0)


def test_program_health_puts_process_beside_outcome() -> None:
    records = [
        pm(
            "H1",
            "2026-05-01",
            ("cache-stampede",),
            sev=2,
            action_items=(item("a", "done", "prevent"),),
        ),
        pm("H2", "2026-06-05", ("cache-stampede",), sev=1, status="draft", action_items_open=1),
        pm("H3", "2026-06-10", ("capacity",), sev=3, status="review"),  # after capacity's fix
        pm("H4", "2026-01-01", ("retry-storm",), sev=7, status="draft"),  # SEV-7: no ladder entry
    ]
    health = program_health(records, TAX, TODAY)
    # process: H1 final without a publish date (unknown), H2 late (due 06-12), H3 within 15
    # business days, H4 unknown level
    assert (health.published, health.in_progress, health.no_deadline) == (1, 1, 1)
    assert (health.on_time, health.unknown) == (0, 1)
    assert [(r.id, r.due) for r in health.late] == [("H2", D("2026-06-12"))]
    assert health.on_time_rate == 0.0  # 0 on time / (0 on time + 1 late); H1 is not judged
    assert health.action_completion_rate == 0.5  # 1 done / (1 done + 1 open)
    # outcome: last 90 days (from 03-17), most first; H4 is too old
    assert list(health.recent_class_counts.items()) == [("cache-stampede", 2), ("capacity", 1)]
    assert health.recurring_recent == ("cache-stampede",)
    assert [(o.slug, o.after_fix_ids) for o in health.recurring_after_fix] == [
        ("capacity", ("H3",))
    ]
    assert [o.slug for o in health.going_quiet] == ["config-blast-radius"]


# --- quarterly review -----------------------------------------------------------------------------

REVIEWED = [
    pm("Q4-1", "2025-11-10", ("config-blast-radius",), sev=1, mttd_seconds=600),
    pm("Q1-1", "2026-01-20", ("capacity",), sev=2, detection="customer", mttd_seconds=300),
    pm("Q1-2", "2026-02-20", ("cache-stampede",), sev=3, mttd_seconds=100),
    pm("Q2-1", "2026-04-20", ("cache-stampede",), sev=2, revenue_impact_usd=5_000),
    pm("Q2-2", "2026-05-20", ("config-blast-radius",), sev=3, customer_impact_pct=30),
    pm("Q3-1", "2026-07-02", ("retry-storm",), sev=1),  # dated after every review below
]
REVIEWED_NM = [nm("NM-1", "2026-02-01"), nm("NM-2", "2026-04-01"), nm("NM-3", "2026-04-02")]


@pytest.mark.parametrize(
    ("quarter", "today", "as_of", "before", "current_n", "previous_n", "config_status"),
    [
        # running quarter: as of today; config's fix (03-01) recurs with Q2-2
        ("2026-Q2", "2026-06-15", "2026-06-15", "2026-Q1", 2, 2, "recurring after fix"),
        # a past quarter: as of its last day; Q2-2 is not yet known, so the fix is quiet
        ("2026-Q1", "2026-06-15", "2026-03-31", "2025-Q4", 2, 1, "going quiet"),
        # before the fix landed: it does not count as landed
        ("2025-Q4", "2026-06-15", "2025-12-31", "2025-Q3", 1, 0, "no fix landed"),
    ],
)
def test_quarterly_review_compares_with_the_quarter_before(
    quarter: str,
    today: str,
    as_of: str,
    before: str,
    current_n: int,
    previous_n: int,
    config_status: str,
) -> None:
    review = quarterly_review(REVIEWED, REVIEWED_NM, TAX, quarter, D(today))
    assert (review.quarter, review.previous_quarter, review.as_of) == (quarter, before, D(as_of))
    assert review.current.quarter == quarter and review.previous.quarter == before
    assert review.current.pyramid.incidents == current_n
    assert review.previous.pyramid.incidents == previous_n
    assert review.recurrence.quarters == (before, quarter)
    config = review.recurrence.get("config-blast-radius")
    assert config is not None and config.status == config_status
    # nothing dated after the review reaches it: Q3-1 (retry-storm) never counts
    retry = next(e for e in review.risk_register.entries if e.slug == "retry-storm")
    assert (retry.count, retry.incident_ids) == (0, ())


def test_quarterly_review_is_built_from_the_single_analyses() -> None:
    review = quarterly_review(REVIEWED, REVIEWED_NM, TAX, "2026-Q2", TODAY)
    q2 = [r for r in REVIEWED if quarter_of(r.date) == "2026-Q2"]
    known = [r for r in REVIEWED if r.date <= TODAY]
    assert review.current.detection == detection_mix(REVIEWED, ["2026-Q2"])[0]
    assert review.current.sev_audit == sev_audit(q2, TAX)
    known_nm = [r for r in REVIEWED_NM if r.date <= TODAY]
    assert review.risk_register == risk_register(known, TAX, TODAY, nearmisses=known_nm)
    assert review.program_health == program_health(known, TAX, TODAY)
    # hand-worked figures for the two quarters
    assert [d.id for d in review.current.sev_audit.deflation_candidates] == ["Q2-2"]  # 30% at SEV-3
    assert (review.current.nearmisses.reports, review.current.nearmisses.per_incident) == (2, 1.0)
    assert (review.previous.nearmisses.reports, review.previous.nearmisses.per_incident) == (1, 0.5)
    assert review.previous.detection.customer == 1
    assert review.previous.timings.mttd == Spread(2, 200, 300)  # 100, 300
    assert [(e.slug, e.usd) for e in review.current.class_pain.entries if e.count] == [
        ("cache-stampede", 5_000),
        ("config-blast-radius", 0),
    ]
    capacity = review.recurrence.get("capacity")
    assert capacity is not None and capacity.counts == (1, 0)
