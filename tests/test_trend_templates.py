"""Trend, review and search pages render from package templates that overrides/ can replace."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pmarchive.ingest.archive import Archive
from pmarchive.site.record_page import search_page
from pmarchive.site.templating import PACKAGE_TEMPLATES, PAGES, page_environment
from pmarchive.site.trend_pages import (
    TrendContext,
    alert_section,
    class_section,
    evidence_gaps_page,
    program_health_page,
    review_page,
    reviews_index,
    risk_page,
    sev_audit_page,
    trends_page,
)

from .conftest import BASE_NM, BASE_PM, TODAY, front_matter, write, write_taxonomy
from .hostile import HOSTILE_MKDOCS_YML, scan_site, write_hostile_archive
from .sites import MKDOCS_YML, REPO, build_site, load_at, page_overrides
from .test_trends import NO_STAMPS

Render = Callable[[TrendContext], str]

RENDERS: dict[str, Render] = {
    "trends": trends_page,
    "risk_register": risk_page,
    "evidence_gaps": evidence_gaps_page,
    "health": program_health_page,
    "sev_audit": sev_audit_page,
    "review": lambda ctx: review_page(ctx, ctx.quarters[-1]),
    "reviews_index": reviews_index,
    "trend_class_section": lambda ctx: class_section(
        ctx, "cache-stampede", "classes/cache-stampede.md"
    ),
    "trend_alert_section": lambda ctx: alert_section(
        ctx, ["cache-stampede"], "alerts/higherrorrate.md"
    ),
    "search": lambda ctx: search_page(ctx.env),
}
"""Every page template of this module, and how the code renders it."""

SHIPPED_FRAME = {
    "trends": "# Reliability trends\n",
    "risk_register": "# Pain-ranked risk register\n",
    "evidence_gaps": "# Evidence-gap register\n",
    "health": "# Program health\n",
    "sev_audit": "# SEV audit\n",
    "review": "# Quarterly reliability review: 2026-Q4\n",
    "reviews_index": "# Quarterly reliability reviews\n",
    "trend_class_section": "## Recurrence\n",
    "trend_alert_section": "## Recurrence of these classes\n",
    "search": "# Search the archive\n",
}

SITE_PAGES = {
    "trends": "trends",
    "risk_register": "risk-register",
    "evidence_gaps": "evidence-gaps",
    "health": "program-health",
    "sev_audit": "sev-audit",
    "review": "reviews/2026-q1",
    "reviews_index": "reviews",
    "trend_class_section": "classes/cache-stampede",
    "trend_alert_section": "alerts/higherrorrate",
    "search": "search",
}
"""Where each template shows in a built site."""


load = load_at
overrides = page_overrides


@pytest.fixture(scope="module")
def example() -> Archive:
    return load(REPO)


def test_every_page_template_is_covered() -> None:
    assert set(RENDERS) == set(SHIPPED_FRAME) == set(SITE_PAGES)


@pytest.mark.parametrize("name", RENDERS)
def test_shipped_template_exists_and_renders(example: Archive, name: str) -> None:
    assert (PACKAGE_TEMPLATES / PAGES / f"{name}.md").is_file()
    text = RENDERS[name](TrendContext(example, TODAY))
    assert SHIPPED_FRAME[name] in text
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("name", RENDERS)
def test_override_replaces_only_its_own_template(
    example: Archive, tmp_path: Path, name: str
) -> None:
    env = page_environment([overrides(tmp_path, {name: f"# Our {name} page\n"})])
    assert RENDERS[name](TrendContext(example, TODAY, env=env)) == f"# Our {name} page\n"
    other = "search" if name != "search" else "reviews_index"
    shipped = RENDERS[other](TrendContext(example, TODAY))
    assert RENDERS[other](TrendContext(example, TODAY, env=env)) == shipped


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("trends", "{{ quarters[0] }} {{ today }} {{ top_count }}"),
        ("risk_register", "{{ weights.usd }} {{ register.entries|length }}"),
        ("evidence_gaps", "{{ weights.nearmiss }} {{ gaps.entries|length }}"),
        ("review", "{{ quarter }} {{ previous_quarter }} {{ on_time }}"),
        ("sev_audit", "{{ deflation_count }} {{ newest_count }}"),
    ],
)
def test_an_override_reads_the_context(
    example: Archive, tmp_path: Path, name: str, printed: str
) -> None:
    env = page_environment([overrides(tmp_path, {name: printed + "\n"})])
    text = RENDERS[name](TrendContext(example, TODAY, env=env))
    assert "{{" not in text
    assert text.strip() and all(word not in ("", "None") for word in text.split())


HOSTILE_PRINTS = [
    ("sev_audit", "{{ audit.findings[0].title }}", "markdown"),
    ("risk_register", "{{ register.entries[0].candidate_fix }}", "markdown"),
    ("review", "{{ review.risk_register.entries[0].candidate_fix }}", "markdown"),
    ("risk_register", '{{ chart("risk", register.entries[0].candidate_fix) }}', "html"),
]
"""Overrides printing a taxonomy or record value (every payload) as Markdown text, or as a chart
caption inside the chart's raw HTML (where Markdown is not parsed, so only tags matter)."""


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_archive(root)
    return load(root)


@pytest.mark.parametrize(("name", "printed", "context"), HOSTILE_PRINTS)
def test_a_hostile_value_printed_by_an_override_stays_text(
    hostile_archive: Archive, tmp_path: Path, name: str, printed: str, context: str
) -> None:
    env = page_environment([overrides(tmp_path, {name: f"Printed: {printed}\n"})])
    text = RENDERS[name](TrendContext(hostile_archive, TODAY, env=env))
    assert "&lt;/title&gt;&lt;script&gt;" in text  # the payload is there, as text
    for markup in ("<script>window", "<img", "<svg"):
        assert markup not in text, markup
    if context == "markdown":  # no live link, no live attribute list
        assert "](javascript:" not in text
        assert re.search(r"(?<!\\)\{:", text) is None


@pytest.fixture(scope="module")
def overridden_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("overridden")
    write_taxonomy(root)
    for record_id, cls in (
        ("INC-2026-01-10-001", "[cache-stampede]"),
        ("INC-2026-05-03-001", "[cache-stampede, config-blast-radius]"),
    ):
        write(
            root,
            f"postmortems/{record_id}.md",
            front_matter(BASE_PM, id=record_id, date=record_id[4:14], cause_class=cls, **NO_STAMPS),
        )
    write(root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    overrides(root, {name: f"# Ours: {name}\n\nOverride of {name}.\n" for name in SITE_PAGES})
    config = MKDOCS_YML.replace("  font: false\n", "  font: false\n  custom_dir: overrides\n")
    return build_site(root, config)


@pytest.mark.parametrize(("name", "page"), SITE_PAGES.items())
def test_an_override_replaces_the_page_in_a_build(
    overridden_site: Path, name: str, page: str
) -> None:
    html = (overridden_site / page / "index.html").read_text()
    assert f"Override of {name}." in html
    assert SHIPPED_FRAME[name].lstrip("# ").strip() not in html.split("<article", 1)[1]


@pytest.fixture(scope="module")
def hostile_overridden_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-overridden")
    write_hostile_archive(root)
    overrides(root, {"sev_audit": "# Audit\n\nFirst: {{ audit.findings[0].title }}\n"})
    config = HOSTILE_MKDOCS_YML.replace(
        "  font: false\n", "  font: false\n  custom_dir: overrides\n"
    )
    return build_site(root, config, strict=False)


def test_a_hostile_value_an_override_prints_stays_inert_in_a_build(
    hostile_overridden_site: Path,
) -> None:
    html = (hostile_overridden_site / "sev-audit/index.html").read_text()
    assert "First:" in html and "&lt;/title&gt;&lt;script&gt;" in html
    pages, problems = scan_site(hostile_overridden_site)
    assert pages >= 25
    assert problems == []
