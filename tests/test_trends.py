"""Trend pages: chart containers with data tables beneath; plotly.js shipped once, never inlined,
and never on a page: charts.js fetches it when a chart nears the viewport."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pmarchive.site.charts import PLOTLY_JS

from .conftest import BASE_NM, BASE_PM, front_matter, write
from .sites import build_site

NO_STAMPS = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}


@pytest.fixture
def site(archive_root: Path) -> Path:
    for record_id, sev, cls in (
        ("INC-2026-01-10-001", "1", "[cache-stampede]"),
        ("INC-2026-02-15-001", "2", "[cache-stampede, retry-storm]"),
        ("INC-2026-05-03-001", "3", "[config-blast-radius]"),
    ):
        write(
            archive_root,
            f"postmortems/{record_id}.md",
            front_matter(
                BASE_PM,
                id=record_id,
                date=record_id[4:14],
                sev=sev,
                cause_class=cls,
                revenue_impact_usd="1000",
                **NO_STAMPS,
            ),
        )
    write(archive_root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    return build_site(archive_root)


PAGES = {
    "trends": [
        "pyramid",
        "recurrence",
        "recurrence-top",
        "timings",
        "detection",
        "nearmisses",
        "actions",
    ],
    "risk-register": ["risk"],
    "classes/cache-stampede": ["class-cache-stampede"],
    "alerts/higherrorrate": ["alert-classes"],
}


@pytest.mark.parametrize(("page", "charts"), PAGES.items())
def test_chart_containers_with_data_tables(site: Path, page: str, charts: list[str]) -> None:
    html = (site / page / "index.html").read_text()
    for chart in charts:
        match = re.search(
            rf'<figure class="pm-chart" id="{chart}">.*?<script type="application/json" '
            rf'id="{chart}-data">(.*?)</script></figure>',
            html,
            re.S,
        )
        assert match, f"{page}: no chart {chart}"
        figure = json.loads(match.group(1).replace("<\\/", "</"))
        assert figure["data"], chart
        section = re.split(r"<h2", html[match.end() :], maxsplit=1)[0]
        assert "<table>" in section, f"{page}: no data table beneath {chart}"


@pytest.mark.parametrize(
    "page",
    [
        "trends",
        "risk-register",
        "program-health",
        "sev-audit",
        "reviews",
        "reviews/2026-q1",
        "reviews/2026-q2",
    ],
)
def test_leadership_pages_exist(site: Path, page: str) -> None:
    assert (site / page / "index.html").is_file()


def script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]*)"', html)


def test_plotly_js_shipped_once_and_never_inlined(site: Path) -> None:
    shipped = [
        p for p in site.rglob("*.js") if p.read_bytes()[:2000] == PLOTLY_JS.read_bytes()[:2000]
    ]
    assert [p.relative_to(site).as_posix() for p in shipped] == ["assets/pmarchive/plotly.min.js"]
    # charts.js fetches plotly.js from its own folder: the two must stay side by side
    assert (site / "assets/pmarchive/charts.js").is_file()
    signature = PLOTLY_JS.read_text()[200:400]
    for page in site.rglob("*.html"):
        assert signature not in page.read_text(), page
    largest = max(p.stat().st_size for p in site.rglob("*.html"))
    assert largest < 300_000


def chart_pages(site: Path) -> dict[str, str]:
    return {
        page.parent.relative_to(site).as_posix(): page.read_text()
        for page in site.rglob("*.html")
        if 'class="pm-chart"' in page.read_text()
    }


@pytest.mark.parametrize("page", PAGES)
def test_a_page_with_charts_loads_charts_js_deferred_and_never_plotly(
    site: Path, page: str
) -> None:
    html = (site / page / "index.html").read_text()
    charts_tags = re.findall(r'<script src="[^"]*charts\.js"[^>]*>', html)
    assert len(charts_tags) == 1, charts_tags
    assert " defer" in charts_tags[0]  # never blocks the content nor Material's bundle
    assert [src for src in script_sources(html) if "plotly" in src] == []
    assert "plotly.min.js" not in html


@pytest.mark.parametrize("page", ["", "program-health", "sev-audit", "reviews", "classes"])
def test_a_page_without_charts_loads_neither_script(site: Path, page: str) -> None:
    html = (site / page / "index.html").read_text()
    assert 'class="pm-chart"' not in html
    assert [src for src in script_sources(html) if "charts.js" in src or "plotly" in src] == []


def test_charts_js_is_on_exactly_the_pages_with_charts(site: Path) -> None:
    charted = chart_pages(site)
    assert set(PAGES) <= set(charted)
    loading = {
        page.parent.relative_to(site).as_posix()
        for page in site.rglob("*.html")
        if any(
            src.endswith("assets/pmarchive/charts.js") for src in script_sources(page.read_text())
        )
    }
    assert loading == set(charted)


def test_risk_register_numbers_match_the_records(site: Path) -> None:
    html = (site / "risk-register/index.html").read_text()
    # cache-stampede: 2 incidents; $1,000 of its own + half of the $1,000 it shares with
    # retry-storm = $1,500; worst SEV-1 (weight 100); none in the last 90 days; no near-miss.
    # score = 1500 + 1000*2 + 1000*100 + 5000*0 + 2000*0 = 103,500
    row = re.search(
        r"cache-stampede</a></td>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>\s*"
        r"<td>([^<]+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>",
        html,
    )
    assert row and row.groups() == ("2", "$1,500", "SEV-1", "0", "0", "103,500")
    # config-blast-radius: $1,000, SEV-3 (5), one near-miss: 1000 + 1000 + 5000 + 2000 = 9,000
    row = re.search(
        r"config-blast-radius</a></td>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>\s*"
        r"<td>([^<]+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>",
        html,
    )
    assert row and row.groups() == ("1", "$1,000", "SEV-3", "0", "1", "9,000")
