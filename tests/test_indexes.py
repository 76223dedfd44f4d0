"""Index pages and the on-call path, built from a tiny archive with known records."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmarchive.site.listing import md_text, rel_link, slug

from .conftest import BASE_NM, BASE_PM, front_matter, write
from .sites import build_site

NO_STAMPS = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}
MITIGATED = {"mitigation": "Rolled back the change"}
"""SEV-1/2 final post-mortems are expected to say what ended the impact (strict builds)."""


def incident(root: Path, record_id: str, **changes: str | None) -> None:
    day = record_id[4:14]
    write(
        root,
        f"postmortems/{record_id}.md",
        front_matter(BASE_PM, id=record_id, date=day, **{**NO_STAMPS, **MITIGATED, **changes}),
    )


def nearmiss(root: Path, record_id: str, **changes: str | None) -> None:
    write(
        root,
        f"nearmisses/{record_id}.md",
        front_matter(BASE_NM, id=record_id, date=record_id[3:13], **changes),
    )


@pytest.fixture
def site(archive_root: Path) -> Path:
    incident(
        archive_root,
        "INC-2026-01-10-001",
        cause_class="[cache-stampede]",
        alerts="[HighErrorRate]",
        teams="[checkout]",
        evidence_gaps="[logs-rotated]",
    )
    incident(
        archive_root,
        "INC-2026-03-01-001",
        cause_class="[cache-stampede, retry-storm]",
        alerts="[]",
        teams="[pricing]",
    )
    incident(
        archive_root,
        "INC-2026-02-15-001",
        cause_class="[retry-storm]",
        alerts="[HighErrorRate]",
        sev="1",
        teams="[sre]",
    )
    incident(
        archive_root,
        "INC-2025-12-01-001",
        cause_class="[config-blast-radius]",
        alerts="[]",
        teams="[sre]",
    )
    nearmiss(
        archive_root,
        "NM-2026-02-20-001",
        cause_class="[cache-stampede]",
        alerts="[HighErrorRate]",
        evidence_gaps="[rotated-logs]",  # an old name of logs-rotated
    )
    write(
        archive_root,
        "taxonomy/gaps.yml",
        "gaps:\n  logs-rotated:\n    title: Logs rotated away\n    aliases: [rotated-logs]\n"
        "  clock-skew:\n    title: Clock skew between sources\n",
    )
    write(
        archive_root,
        "docs/runbooks/high-error-rate.md",
        "---\nalerts: [HighErrorRate]\n---\n\n# HighErrorRate runbook\n\nSteps.\n",
    )
    return build_site(archive_root)


def ids_in(html: str) -> list[str]:
    """Record ids in the order they appear in links of the page's content."""
    content = html[html.index("<article") : html.index("</article>")]
    return re.findall(r'href="[^"]*/((?:inc|nm)-[0-9-]+)/"', content)


def listed_ids(html: str) -> list[str]:
    """Record ids in the order of the page's full listing (below a class page's cards)."""
    content = html[html.index("<article") : html.index("</article>")]
    return re.findall(
        r'href="[^"]*/((?:inc|nm)-[0-9-]+)/"', content.split('<h2 id="incidents"')[-1]
    )


def card_ids(html: str) -> list[str]:
    """Record ids of the page's cards, in order (each card links its record twice)."""
    return re.findall(r'<span class="pm-card-link"><a href="[^"]*/((?:inc|nm)-[0-9-]+)/"', html)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "classes/cache-stampede",
            ["inc-2026-03-01-001", "inc-2026-01-10-001", "nm-2026-02-20-001"],
        ),
        ("classes/retry-storm", ["inc-2026-03-01-001", "inc-2026-02-15-001"]),
        ("classes/config-blast-radius", ["inc-2025-12-01-001"]),
        ("teams/sre", ["inc-2026-02-15-001", "inc-2025-12-01-001", "nm-2026-02-20-001"]),
        ("sev/1", ["inc-2026-02-15-001"]),
        ("gaps/logs-rotated", ["inc-2026-01-10-001", "nm-2026-02-20-001"]),
        ("gaps/clock-skew", []),
        (
            "quarters/2026-q1",
            ["inc-2026-03-01-001", "inc-2026-02-15-001", "inc-2026-01-10-001", "nm-2026-02-20-001"],
        ),
    ],
)
def test_index_pages_list_expected_ids_newest_first(
    site: Path, page: str, expected: list[str]
) -> None:
    html = (site / page / "index.html").read_text()
    assert listed_ids(html) == expected
    if page.startswith("classes/"):  # and the newest, as cards, above the listing, by date
        newest_first = sorted(expected, key=lambda i: i.split("-", 1)[1][:10], reverse=True)
        assert card_ids(html) == newest_first


def test_alert_page_is_the_on_call_landing_page(site: Path) -> None:
    html = (site / "alerts/higherrorrate/index.html").read_text()
    html = html[html.index("<article") : html.index("</article>")]
    split = html.index('<h2 id="same-cause-class-other-alerts"')
    own = card_ids(html[:split])
    assert own == ["nm-2026-02-20-001", "inc-2026-02-15-001", "inc-2026-01-10-001"]
    rest = html[split : html.index('<h2 id="recurrence')]
    # cards and compact lists, nothing wider than a phone (the charts' tables come after)
    assert "<table" not in html[:split] and "<table" not in rest
    # same class, different alert: INC-2026-03-01-001 has both classes but not this alert
    assert re.findall(r'href="[^"]*/((?:inc|nm)-[0-9-]+)/"', rest) == [
        "inc-2026-03-01-001",
        "inc-2026-03-01-001",
    ]
    assert "<li>2026-03-01 · SEV-2 · <a " in rest
    assert 'href="../../classes/cache-stampede/"' in rest
    assert "All 3 records of cache-stampede" in rest
    assert 'href="../../runbooks/high-error-rate/"' in html


def test_alert_without_history_lists_its_usual_classes(archive_root: Path) -> None:
    incident(archive_root, "INC-2026-01-10-001", cause_class="[retry-storm]", alerts="[]")
    site = build_site(archive_root)
    html = (site / "alerts/higherrorrate/index.html").read_text()
    assert "no recorded incidents or near-misses yet" in html
    assert "inc-2026-01-10-001" in html  # retry-storm is one of the alert's usual classes


def test_runbook_gets_prior_incidents(site: Path) -> None:
    html = (site / "runbooks/high-error-rate/index.html").read_text()
    assert "Prior incidents" in html
    assert card_ids(html) == ["nm-2026-02-20-001", "inc-2026-02-15-001", "inc-2026-01-10-001"]
    assert 'href="../../alerts/higherrorrate/"' in html
    assert 'href="../../classes/cache-stampede/"' in html  # its classes' recurrence charts
    assert 'href="../../risk-register/"' in html


def test_alias_url_redirects_to_the_current_class(site: Path) -> None:
    html = (site / "classes/thundering-herd/index.html").read_text()
    assert 'http-equiv="refresh" content="0; url=../cache-stampede/"' in html
    # the #fragment survives through the redirect asset, loaded before the meta refresh
    assert html.index('<script src="../../assets/pmarchive/redirect.js">') < html.index("refresh")
    assert "location.hash" in (site / "assets/pmarchive/redirect.js").read_text()


def test_class_overview_counts_match_records(site: Path) -> None:
    html = (site / "classes/index.html").read_text()
    row = re.search(
        r"Cache stampede \(cache-stampede\)</a></td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", html
    )
    assert row and row.groups() == ("2", "1")


def test_incident_header_links_and_neighbours(site: Path) -> None:
    html = (site / "postmortems/inc-2026-03-01-001/index.html").read_text()
    assert 'href="../../classes/cache-stampede/"' in html
    assert "previous incident: INC-2026-01-10-001" in html
    assert "Recurrence: the previous incident of this class was 50 days earlier." in html
    older = (site / "postmortems/inc-2026-01-10-001/index.html").read_text()
    assert "next incident: INC-2026-03-01-001" in older


def test_records_stay_out_of_nav_while_index_pages_exist(site: Path) -> None:
    home = (site / "index.html").read_text()
    assert "inc-2026-01-10-001" not in home[: home.index("<article")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("HighErrorRate", "higherrorrate"), ("2026-Q1", "2026-q1"), ("a b/c", "a-b-c"), ("", "-")],
)
def test_slug(value: str, expected: str) -> None:
    assert slug(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a|b", "a\\|b"), ("<script>", "&lt;script&gt;"), ("*x*", "\\*x\\*"), ("a  b", "a b")],
)
def test_md_text_escapes_markup(value: str, expected: str) -> None:
    assert md_text(value) == expected


@pytest.mark.parametrize(
    ("src", "target", "expected"),
    [
        ("index.md", "classes/x.md", "classes/x.md"),
        ("classes/x.md", "postmortems/a.md", "../postmortems/a.md"),
        ("classes/x/2025.md", "postmortems/a.md", "../../postmortems/a.md"),
    ],
)
def test_rel_link(src: str, target: str, expected: str) -> None:
    assert rel_link(src, target) == expected


def test_long_listings_continue_on_numbered_pages(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmarchive.site.listing.PAGE_SIZE", 2)
    for day in range(1, 6):
        incident(archive_root, f"INC-2026-01-0{day}-001", cause_class="[retry-storm]")
    site = build_site(archive_root)  # strict: every pager link resolves
    pages = [
        listed_ids((site / path / "index.html").read_text())
        for path in ("classes/retry-storm", "classes/retry-storm/2", "classes/retry-storm/3")
    ]
    assert pages == [
        ["inc-2026-01-05-001", "inc-2026-01-04-001"],
        ["inc-2026-01-03-001", "inc-2026-01-02-001"],
        ["inc-2026-01-01-001"],
    ]
    assert not (site / "classes/retry-storm/4").exists()


def test_evidence_gaps_have_a_register_page_and_linked_headers(site: Path) -> None:
    register = (site / "evidence-gaps" / "index.html").read_text()
    assert 'href="../gaps/logs-rotated/"' in register
    assert 'href="../gaps/clock-skew/"' in register  # every gap of the taxonomy, zeros too
    header = (site / "postmortems" / "inc-2026-01-10-001" / "index.html").read_text()
    assert 'href="../../gaps/logs-rotated/"' in header


def _neighbours_by_scanning(incidents: list, day: object) -> tuple[object, object]:
    """What ``Groups.around`` answers, the slow way: every incident looked at."""
    older = [r for r in incidents if r.date <= day]
    newer = [r for r in incidents if r.date > day]
    return (older[0] if older else None), (newer[-1] if newer else None)


@pytest.mark.parametrize("nearmisses", [40, 400])
def test_a_near_miss_stands_between_the_same_incidents_as_by_scanning(
    tmp_path: Path, nearmisses: int
) -> None:
    """Near-misses' previous / next incidents of each class come from a bisection of the
    class's incidents by date (a scan per near-miss made record headers quadratic at 10,000
    + 10,000); they are the ones a scan finds, ties of dates included."""
    import datetime as dt

    from benchmarks.synthetic import write_archive
    from pmarchive.analysis.grouping import class_neighbours, group_records
    from pmarchive.ingest.archive import load_archive
    from pmarchive.ingest.config import ArchiveConfig

    from .sites import REPO

    root = tmp_path / "archive"
    write_archive(root, 120, REPO / "taxonomy", nearmisses=nearmisses)
    for path in sorted((root / "postmortems").glob("*.md"))[::20]:  # same day, same classes
        twin = path.read_text(encoding="utf-8").replace("-001", "-002", 1)
        path.with_name(path.name.replace("-001", "-002")).write_text(twin, encoding="utf-8")
    archive = load_archive(ArchiveConfig(root=root, today=dt.date(2026, 11, 24)))
    assert not archive.errors
    groups = group_records(archive.records)
    compared = 0
    for record in archive.nearmisses:
        for found in class_neighbours(groups, record):
            expected = _neighbours_by_scanning(groups.incidents_of(found.cause_class), record.date)
            assert (found.previous, found.next) == expected, record.id
            compared += 1
    dates = [r.date for r in archive.postmortems]
    assert compared >= nearmisses and len(dates) > len(set(dates))  # incidents on one day
    assert {r.date for r in archive.nearmisses} & set(dates)  # near-misses on an incident's day
