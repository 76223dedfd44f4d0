"""The bundled example archive: clean as shipped; every planted defect found in one run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmarchive.analysis.grouping import group_records
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.audience import for_audience
from pmarchive.ingest.options import archive_config, plugin_options
from pmarchive.lints.rules import TIME_DEPENDENT_RULES

from .sites import copy_example

ROOT = Path(__file__).resolve().parent.parent


def example_copy(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "example")


def test_example_archive_is_clean_and_big_enough() -> None:
    archive = load_archive(archive_config(ROOT, plugin_options(ROOT / "mkdocs.yml")))
    assert archive.errors == [] and archive.warnings == []
    # the overdue action items are reported (as of the pinned day), never failing anything
    assert {d.field for d in archive.notices} <= set(TIME_DEPENDENT_RULES)
    assert len(archive.postmortems) >= 15 and len(archive.nearmisses) >= 15
    assert len({r.quarter for r in archive.records}) >= 6
    assert len({pm.sev for pm in archive.postmortems}) >= 3
    groups = group_records(archive.records)
    assert max(len(groups.incidents_of(c)) for c in archive.taxonomy.classes) >= 3  # recurrence


PLANTED = [
    (
        "postmortems/INC-2026-05-29-001.md",
        "cause_class: [cache-stampede,",
        "cause_class: [cache-stampeed,",
        "did you mean 'cache-stampede'?",
    ),
    (
        "postmortems/INC-2026-05-29-001.md",
        "alerts: [HighErrorRate,",
        "alerts: [HighErorRate,",
        "did you mean 'HighErrorRate'?",
    ),
    (
        "nearmisses/NM-2026-05-12-001.md",
        "cause_class:",
        "cause_clas:",
        "did you mean 'cause_class'?",
    ),
    (
        "nearmisses/NM-2026-05-12-001.md",
        "caught_by: ",
        "caught_by: lcuk\n#",
        "did you mean 'luck'?",
    ),
    (
        "postmortems/INC-2026-05-29-001.md",
        "detection: ",
        "detection: alrt\n#",
        "did you mean 'alert'?",
    ),
]


def test_planted_defects_each_get_a_located_suggestion(tmp_path: Path) -> None:
    root = example_copy(tmp_path)
    for rel, old, new, _ in PLANTED:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1))
    archive = load_archive(archive_config(root, plugin_options(root / "mkdocs.yml")))
    lines = [d.format_text() for d in archive.errors]
    for rel, _, _, suggestion in PLANTED:
        matching = [line for line in lines if line.startswith(rel) and suggestion in line]
        assert len(matching) == 1, (suggestion, lines)
        assert re.match(rf"{re.escape(rel)}:\d+: error: \w+: ", matching[0])


@pytest.mark.parametrize("alert", ["HighErrorRate", "DBPoolExhausted"])
def test_shipped_runbooks_name_real_alerts(alert: str) -> None:
    archive = load_archive(archive_config(ROOT, plugin_options(ROOT / "mkdocs.yml")))
    assert alert in archive.taxonomy.alerts
    runbook = archive.taxonomy.alerts[alert].runbook.strip("/")
    assert (ROOT / "docs" / f"{runbook}.md").is_file()


def test_example_site_has_every_alert_page_and_true_class_counts(tmp_path: Path) -> None:
    from .sites import build_site

    root = example_copy(tmp_path)
    site = build_site(root, (root / "mkdocs.yml").read_text())
    archive = for_audience(
        load_archive(archive_config(root, plugin_options(root / "mkdocs.yml"))), "internal"
    )
    for name in archive.taxonomy.alerts:
        assert (site / "alerts" / name.lower() / "index.html").is_file(), name
    overview = (site / "classes/index.html").read_text()
    for slug in archive.taxonomy.classes:
        incidents = sum(slug in r.cause_class for r in archive.postmortems)
        nearmisses = sum(slug in r.cause_class for r in archive.nearmisses)
        row = re.search(
            rf'href="{slug}/">[^<]*</a></td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>', overview
        )
        assert row and row.groups() == (str(incidents), str(nearmisses)), slug
