"""The reliability council's pages: register arithmetic worked by hand, the quarterly review as
a meeting document, timeliness from the publish date, the trend window and readable charts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from pmarchive.analysis.actions import action_item_balance
from pmarchive.analysis.health import program_health
from pmarchive.analysis.review import quarterly_review
from pmarchive.analysis.risk import (
    RiskWeights,
    factor_register,
    gap_register,
    risk_register,
    split_cents,
)
from pmarchive.analysis.stats import spread
from pmarchive.core.calendar import quarter_of
from pmarchive.ingest.audience import for_audience
from pmarchive.model.records import ActionItem, NearMiss
from pmarchive.model.taxonomy import CauseClass, Factor, Gap, SeverityLevel, Taxonomy
from pmarchive.settings import SettingsError, read_settings
from pmarchive.site import charts
from pmarchive.site.trend_pages import TrendContext, trend_pages, window_quarters

from .conftest import BASE_PM, front_matter, write
from .conftest import TODAY as SITE_TODAY
from .sites import build_site, copy_example, load_at
from .test_analyses import pm

D = dt.date.fromisoformat
NO_STAMPS: dict[str, str | None] = {
    "started_at": None,
    "detected_at": None,
    "mitigated_at": None,
    "resolved_at": None,
}
TODAY = D("2026-06-15")

TAX = Taxonomy(
    classes={
        "cache-stampede": CauseClass("cache-stampede", "Cache stampede", candidate_fix="Coalesce"),
        "config-blast-radius": CauseClass(
            "config-blast-radius",
            "Config blast radius",
            candidate_fix="Canary",
            fix_status="landed",
            fix_landed=D("2026-03-01"),
        ),
        "retry-storm": CauseClass(
            "retry-storm", "Retry storm", candidate_fix="Retry budget", fix_status="proposed"
        ),
        "capacity": CauseClass("capacity", "Capacity"),
    },
    factors={"no-canary": Factor("no-canary", "No canary"), "no-dedup": Factor("no-dedup", "x")},
    gaps={
        "logs-rotated": Gap("logs-rotated", "Logs rotated"),
        "trace-sampled-out": Gap("trace-sampled-out", "Trace sampled out"),
        "no-audit-log": Gap("no-audit-log", "No audit log"),
    },
    severity={
        1: SeverityLevel(1, "Critical", due_business_days=5),
        2: SeverityLevel(2, "Major", due_business_days=10),
        3: SeverityLevel(3, "Minor", due_business_days=15),
    },
)


def nm(record_id: str, date: str, classes: tuple[str, ...], **changes: Any) -> NearMiss:
    fields: dict[str, Any] = {"kind": "near-miss", "caught_by": "person", **changes}
    return NearMiss(
        id=record_id, title=record_id, date=D(date), cause_class=classes, path="x", **fields
    )


# --- splitting an incident's dollars ---------------------------------------------------------


@pytest.mark.parametrize(
    ("usd", "parts", "expected"),
    [
        (100.0, 3, (3334, 3333, 3333)),  # the leftover cent goes to the first class listed
        (390_000, 2, (19_500_000, 19_500_000)),
        (0.01, 2, (1, 0)),
        (0.05, 3, (2, 2, 1)),
        (None, 2, (0, 0)),  # no figure counts as 0
        (1234.56, 1, (123_456,)),
        (10.0, 0, ()),
    ],
)
def test_split_cents(usd: float | None, parts: int, expected: tuple[int, ...]) -> None:
    shares = split_cents(usd, parts)
    assert shares == expected
    assert sum(shares) == (round((usd or 0) * 100) if parts else 0)


MIXED = [
    pm(
        "INC-1", "2026-01-10", ("cache-stampede", "config-blast-radius"), revenue_impact_usd=390_000
    ),
    pm(
        "INC-2", "2026-02-11", ("cache-stampede", "retry-storm", "capacity"), revenue_impact_usd=100
    ),
    pm("INC-3", "2026-03-12", ("retry-storm",), sev=1, revenue_impact_usd=0.05),
    pm("INC-4", "2026-04-13", ("config-blast-radius", "config-blast-radius")),  # named twice
    pm(
        "INC-5",
        "2026-05-14",
        ("config-blast-radius", "retry-storm"),
        revenue_impact_usd=333.33,
        contributing_factors=("no-canary", "no-dedup"),
        evidence_gaps=("logs-rotated", "trace-sampled-out", "no-audit-log"),
    ),
]


@pytest.mark.parametrize("register", [risk_register, factor_register, gap_register])
def test_each_incidents_dollars_are_counted_exactly_once(register: Any) -> None:
    result = register(MIXED, TAX, TODAY)
    keyed = {
        risk_register: lambda p: p.cause_class,
        factor_register: lambda p: p.contributing_factors,
        gap_register: lambda p: p.evidence_gaps,
    }[register]
    expected = sum(round((p.revenue_impact_usd or 0) * 100) for p in MIXED if keyed(p))
    assert result.total_cents == sum(e.usd_cents for e in result.entries) == expected


def test_class_shares_worked_by_hand() -> None:
    entries = {e.slug: e for e in risk_register(MIXED, TAX, TODAY).entries}
    # INC-1 $390,000 / 2; INC-2 $100 / 3 (33.34 to the first); INC-5 $333.33 / 2 (166.67 first)
    assert entries["cache-stampede"].usd_cents == 19_500_000 + 3334
    assert entries["config-blast-radius"].usd_cents == 19_500_000 + 16_667
    assert entries["retry-storm"].usd_cents == 3333 + 5 + 16_666
    assert entries["capacity"].usd_cents == 3333
    # counts stay per class: an incident with two classes is an incident of each
    assert entries["config-blast-radius"].count == 3  # INC-4 names it twice, counted once


@pytest.mark.parametrize(
    ("w_nearmiss", "reports", "pressure"),
    [(0, 3, 0), (2000, 0, 0), (2000, 3, 6000), (7.5, 2, 15)],
)
def test_near_miss_pressure_adds_its_weight_per_report(
    w_nearmiss: float, reports: int, pressure: float
) -> None:
    near = [nm(f"NM-{i}", "2026-05-01", ("capacity", "capacity")) for i in range(reports)]
    near.append(nm("WS-1", "2026-05-02", ("retry-storm",), kind="weak-signal"))
    weights = RiskWeights(w_nearmiss=w_nearmiss)
    plain = {e.slug: e for e in risk_register(MIXED, TAX, TODAY, weights).entries}
    pressed = {e.slug: e for e in risk_register(MIXED, TAX, TODAY, weights, near).entries}
    assert pressed["capacity"].nearmisses == reports
    assert pressed["capacity"].score - plain["capacity"].score == pressure
    # a weak signal presses too
    assert pressed["retry-storm"].score - plain["retry-storm"].score == w_nearmiss


@pytest.mark.parametrize(
    ("status", "landed", "dates", "today", "after"),
    [
        ("landed", "2026-03-01", ["2026-02-01", "2026-04-01", "2026-05-01"], TODAY, (1, 2)),
        ("landed", "2026-03-01", ["2026-02-01", "2026-03-01"], TODAY, ()),  # the day itself
        ("landed", "2026-07-01", ["2026-05-01"], TODAY, ()),  # lands after today: not yet
        ("funded", "2026-03-01", ["2026-04-01"], TODAY, ()),  # not landed, whatever the date
        ("landed", None, ["2026-04-01"], TODAY, ()),
    ],
)
def test_recurring_after_fix_flag(
    status: str, landed: str | None, dates: list[str], today: dt.date, after: tuple[int, ...]
) -> None:
    tax = Taxonomy(
        classes={
            "retry-storm": CauseClass(
                "retry-storm",
                "Retry storm",
                fix_status=status,
                fix_landed=D(landed) if landed else None,
            )
        }
    )
    records = [pm(f"INC-{i}", day, ("retry-storm",)) for i, day in enumerate(dates)]
    (entry,) = risk_register(records, tax, today).entries
    assert entry.after_fix_ids == tuple(f"INC-{i}" for i in after)
    assert entry.recurring_after_fix is bool(after)


def test_every_key_of_the_taxonomy_is_listed() -> None:
    assert {e.slug for e in risk_register([], TAX, TODAY).entries} == set(TAX.classes)
    assert {e.slug for e in factor_register([], TAX, TODAY).entries} == set(TAX.factors)
    assert {e.slug for e in gap_register([], TAX, TODAY).entries} == set(TAX.gaps)


def test_gap_register_ranks_the_gaps_that_hid_the_most_severe_incidents() -> None:
    records = [
        pm("G1", "2026-05-01", sev=1, evidence_gaps=("no-audit-log",)),
        pm("G2", "2026-05-02", sev=3, evidence_gaps=("logs-rotated",)),
        pm("G3", "2026-05-03", sev=3, evidence_gaps=("logs-rotated",)),
    ]
    entries = gap_register(records, TAX, TODAY).entries
    assert [(e.slug, e.count, e.severe, e.worst_sev) for e in entries] == [
        ("no-audit-log", 1, 1, 1),  # 1000 + 100·1000 + 5000 = 106,000
        ("logs-rotated", 2, 0, 3),  # 2000 + 5·1000 + 10,000 = 17,000
        ("trace-sampled-out", 0, 0, None),
    ]


# --- program health: timeliness from the publish date --------------------------------------


@pytest.mark.parametrize(
    ("published", "verdict"),
    [
        ("2026-06-12", "on time"),  # SEV-1 of Fri 06-05 is due Fri 06-12: the day itself
        ("2026-06-08", "on time"),
        ("2026-06-15", "late"),
        (None, "unknown"),  # never counted as on time
    ],
)
def test_timeliness_from_the_publish_date(published: str | None, verdict: str) -> None:
    record = pm("P1", "2026-06-05", sev=1, published=D(published) if published else None)
    health = program_health([record], TAX, TODAY)
    assert (health.on_time, len(health.late), health.unknown) == (
        verdict == "on time",
        verdict == "late",
        verdict == "unknown",
    )
    assert health.on_time_rate == {"on time": 1.0, "late": 0.0, "unknown": None}[verdict]
    if verdict == "late":
        assert health.late[0].published == D(published or "")


# --- quarterly review --------------------------------------------------------------------------


def item(item_id: str, due: str, status: str = "open") -> ActionItem:
    return ActionItem(item_id, f"Item {item_id}", status, "prevent", owner="sre", due=D(due))


REVIEWED = [
    pm(
        "Q1-1",
        "2026-02-01",
        evidence_gaps=("logs-rotated",),
        action_items=(item("a", "2026-03-01"),),
    ),
    pm(
        "Q2-1",
        "2026-04-02",
        evidence_gaps=("logs-rotated", "no-audit-log"),
        mitigation="Rolled back",
    ),
    pm("Q2-2", "2026-05-03", ("retry-storm",), action_items=(item("b", "2026-07-01"),)),
    pm("Q3-1", "2026-07-04", action_items=(item("c", "2026-05-01"),)),  # after the review
]


@pytest.mark.parametrize(
    ("quarter", "today", "partial", "has_previous", "incidents"),
    [
        ("2026-Q2", TODAY, True, True, ("Q2-1", "Q2-2")),
        ("2026-Q1", TODAY, False, False, ("Q1-1",)),  # the data begins in 2026-Q1
        ("2026-Q2", D("2026-08-01"), False, True, ("Q2-1", "Q2-2")),
    ],
)
def test_review_marks_partial_and_compares_only_within_the_data(
    quarter: str, today: dt.date, partial: bool, has_previous: bool, incidents: tuple[str, ...]
) -> None:
    review = quarterly_review(REVIEWED, [], TAX, quarter, today)
    assert (review.partial, review.has_previous) == (partial, has_previous)
    assert tuple(p.id for p in review.incidents) == incidents


def test_review_overdue_items_new_gaps_and_asks() -> None:
    review = quarterly_review(REVIEWED, [], TAX, "2026-Q2", D("2026-08-01"))
    # open and past due on the run's today, from incidents up to the quarter's end
    assert [(o.record_id, o.item_id) for o in review.overdue] == [("Q1-1", "a"), ("Q2-2", "b")]
    assert review.new_gaps == (("no-audit-log", ("Q2-1",)),)  # logs-rotated was seen in Q1
    # unfunded candidate fixes with incidents: retry-storm (proposed) and cache-stampede (none)
    assert [e.slug for e in review.proposed_asks] == ["cache-stampede", "retry-storm"]


# --- charts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (1, 1), (8, 1), (9, 2), (16, 2), (17, 5), (40, 5), (41, 10)]
)
def test_count_ticks_are_whole_numbers(largest: int, step: int) -> None:
    assert charts.count_step(largest) == step
    axis = charts.count_axis(largest)
    assert (axis["tickformat"], axis["dtick"]) == (",d", step)


def test_twelve_series_get_twelve_colours_and_more_fold_into_other() -> None:
    assert len(set(charts.COLOURS)) == 12
    assert len(set(charts.series_colours([str(i) for i in range(12)]).values())) == 12
    series = [(f"s{i}", [i, 1]) for i in range(14)]
    folded = charts.top_and_other(series)
    assert len(folded) == 12 and folded[-1][0] == "other"
    assert sum(sum(v) for _, v in folded) == sum(sum(v) for _, v in series)


@pytest.mark.parametrize(("n", "shown"), [(1, False), (4, False), (5, True), (9, True)])
def test_p90_only_with_five_values(n: int, shown: bool) -> None:
    values = [float(v) for v in range(1, n + 1)]
    assert (spread(values).p90_shown is not None) is shown


# --- pages: the example archive, its review of 2026-Q3 -------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = copy_example(tmp_path_factory.mktemp("example"))
    from .sites import build_config

    site = Path(build_config(root / "mkdocs.yml").site_dir)
    return site, for_audience(load_at(root), "internal")  # the example's build audience


@pytest.mark.parametrize("quarter", ["2026-Q2", "2026-Q3", "2026-Q4"])
def test_review_lists_every_incident_of_its_quarter_and_every_overdue_item(
    example: tuple[Path, Any], quarter: str
) -> None:
    site, archive = example
    html = (site / "reviews" / quarter.lower() / "index.html").read_text()
    ids = [p.id for p in archive.postmortems if quarter_of(p.date) == quarter]
    for record_id in ids:
        assert f'href="../../postmortems/{record_id.lower()}/"' in html, record_id
    assert f"Incidents this quarter ({len(ids)})" in html
    end = {"2026-Q2": "2026-06-30", "2026-Q3": "2026-09-30", "2026-Q4": "2026-12-31"}[quarter]
    known = [p for p in archive.postmortems if p.date <= D(end)]
    overdue = action_item_balance(known, SITE_TODAY).overdue_items
    assert overdue, "the example archive has overdue items"
    section = html[html.index("Overdue action items") :]
    for o in overdue:
        row = re.search(
            rf"{o.record_id.lower()}/\">{re.escape(o.record_id)}</a></td>\s*<td>{o.item_id}</td>"
            rf".*?<td>{re.escape(o.owner)}</td>\s*<td>{o.due.isoformat()}</td>",
            section,
            re.S,
        )
        assert row, (o.record_id, o.item_id)


def test_review_of_the_running_quarter_is_partial(example: tuple[Path, Any]) -> None:
    site, _ = example
    running = (site / "reviews/2026-q4/index.html").read_text()
    assert "Partial quarter" in running and "2026-Q4 (partial)" in running
    closed = (site / "reviews/2026-q3/index.html").read_text()
    assert "Partial quarter" not in closed
    # the first quarter of the data is compared with nothing
    first = (site / "reviews/2025-q1/index.html").read_text()
    assert (
        "2024-Q4 (no data)" in first
        and "+" not in re.split("Incidents this", first)[0].split("Headline figures")[1]
    )


def test_registers_page_lists_every_class_and_states_the_rule(example: tuple[Path, Any]) -> None:
    site, archive = example
    html = (site / "risk-register/index.html").read_text()
    for slug in archive.taxonomy.classes:
        assert f'href="../classes/{slug}/"' in html, slug
    assert "split evenly across its classes" in html
    assert "near-misses and weak signals × 2000" in html
    assert "recurring after fix" in html  # retry-storm
    assert '<details class="pm-more">' in html
    total = sum(p.revenue_impact_usd or 0 for p in archive.postmortems)
    assert f"${total:,.0f} the window" in html


def test_program_health_lists_overdue_items_and_links_every_record(
    example: tuple[Path, Any],
) -> None:
    site, archive = example
    html = (site / "program-health/index.html").read_text()
    overdue = action_item_balance(archive.postmortems, SITE_TODAY).overdue_items
    assert f"Overdue action items ({len(overdue)})" in html
    for o in overdue:
        assert f'../postmortems/{o.record_id.lower()}/">{o.record_id}</a>' in html
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    for table in tables[1:]:
        for cell in re.findall(r"<tr>\s*<td>(.*?)</td>", table, re.S):
            assert cell.startswith("<a href="), cell


# --- the trend window ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "today", "length", "expected"),
    [
        (["2017-03-01", "2026-05-01"], "2026-11-24", 8, ("2025-Q1", "2026-Q4")),
        (["2026-02-01"], "2026-11-24", 8, ("2026-Q1", "2026-Q4")),  # not before the data
        (["2026-02-01"], "2026-11-24", 2, ("2026-Q3", "2026-Q4")),
        ([], "2026-11-24", 8, None),
    ],
)
def test_window_quarters(
    dates: list[str], today: str, length: int, expected: tuple[str, str] | None
) -> None:
    records = [pm(f"W{i}", day) for i, day in enumerate(dates)]
    window = window_quarters(records, D(today), length)
    if expected is None:
        assert window == ()
    else:
        assert (window[0], window[-1]) == expected and len(window) <= length


def test_backfilled_2017_record_leaves_review_pages_at_the_window(archive_root: Path) -> None:
    for record_id in ("INC-2026-05-29-001", "INC-2017-03-01-001"):
        write(
            archive_root,
            f"postmortems/{record_id}.md",
            front_matter(
                BASE_PM,
                id=record_id,
                date=record_id[4:14],
                mitigation="Rolled back",
                **NO_STAMPS,
            ),
        )
    site = build_site(archive_root)
    reviews = sorted(p.name for p in (site / "reviews").iterdir() if p.is_dir())
    assert len(reviews) == 8 and reviews[0] == "2025-q1" and reviews[-1] == "2026-q4"
    trends = (site / "trends/index.html").read_text()
    assert "2017" not in trends.split("Window:")[1].split("</p>")[0].split("as of")[0]
    assert "1 record outside the window" in trends
    # the old record stays on its class page and its own page
    assert "INC-2017-03-01-001" in (site / "classes/cache-stampede/index.html").read_text()
    assert (site / "postmortems/inc-2017-03-01-001/index.html").is_file()


@pytest.mark.parametrize("window", [1, 3, 8])
def test_window_option_sets_the_number_of_review_pages(window: int) -> None:
    from .sites import REPO

    archive = load_at(REPO)
    pages = trend_pages(TrendContext(archive, SITE_TODAY, window=window))
    assert len([p for p in pages if re.fullmatch(r"reviews/\d{4}-q\d\.md", p)]) == window


@pytest.mark.parametrize(
    ("value", "expected"),
    [({}, 8), ({"trend_window_quarters": 4}, 4), ({"trend_window_quarters": 0}, None)],
)
def test_trend_window_setting(tmp_path: Path, value: dict[str, int], expected: int | None) -> None:
    options = {"today": "2026-11-24", **value}
    if expected is None:
        with pytest.raises(SettingsError, match=r"trend_window_quarters.*at least 1.*8"):
            read_settings(tmp_path, options)
    else:
        assert read_settings(tmp_path, options).trend_window_quarters == expected


def test_withheld_records_are_counted_on_review_pages(archive_root: Path) -> None:
    from .conftest import write_mixed_archive

    write_mixed_archive(archive_root)
    yml = (
        "site_name: Tiny\ntheme:\n  name: material\n  font: false\nplugins:\n"
        '  - postmortems:\n      today: "2026-11-24"\n      audience: public\n'
        "nav:\n  - Home: index.md\n"
    )
    site = build_site(archive_root, yml, strict=False)  # the shared records lack mitigations
    html = (site / "reviews/2026-q2/index.html").read_text()
    assert "2 records are withheld from the public audience" in html
    assert re.search(r"[.;] 2 records are withheld", html)  # its own sentence
