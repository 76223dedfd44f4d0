"""The scale benchmark's pure helpers: the two sites' configs, ratios, verdicts and the table."""

from __future__ import annotations

import pytest
import yaml

from benchmarks.bench import (
    Row,
    Run,
    build_rows,
    format_ratio,
    format_table,
    percentile,
    plain_mkdocs_yml,
    plugin_mkdocs_yml,
    verdict,
)


def test_plain_site_is_the_plugin_site_without_the_plugin() -> None:
    plain = yaml.safe_load(plain_mkdocs_yml())
    plugin = yaml.safe_load(plugin_mkdocs_yml("2026-11-24"))
    assert plain["theme"] == plugin["theme"] == {"name": "material", "font": False}
    assert plain["site_name"] == plugin["site_name"]
    assert plain["nav"] == plugin["nav"] == ["index.md"]
    assert plain["plugins"] == ["search"]
    assert plugin["plugins"] == ["search", {"postmortems": {"today": "2026-11-24"}}]
    # records are pages MkDocs builds but does not list: one gitignore-style pattern per folder
    assert plain["not_in_nav"].split() == ["/postmortems/", "/nearmisses/"]
    assert "not_in_nav" not in plugin


@pytest.mark.parametrize(
    ("plugin", "plain", "expected"),
    [
        (10.0, 10.0, "1.00x"),
        (12.5, 10.0, "1.25x"),
        (3.0, 12.0, "0.25x"),
        (1.0, 3.0, "0.33x"),
        (5.0, 0.0, "-"),
        (5.0, None, "-"),
        (None, 5.0, "-"),
    ],
)
def test_format_ratio(plugin: float | None, plain: float | None, expected: str) -> None:
    assert format_ratio(plugin, plain) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [(1.0, 1.0, "met"), (1.01, 1.0, "not met"), (0.2, 30.0, "met"), (None, 1.0, "-")],
)
def test_verdict(value: float | None, limit: float, expected: str) -> None:
    assert verdict(value, limit) == expected


@pytest.mark.parametrize(
    ("row", "ratio", "goal", "met"),
    [
        (Row("build, warm", "s", 10.0, 9.0, 1.0, True), "0.90x", "<= 1x plain", "met"),
        (Row("build, cold", "s", 10.0, 13.0, 1.25, True), "1.30x", "<= 1.25x plain", "not met"),
        (Row("API p95", "ms", None, 31.0, 30.0, False), "-", "<= 30 ms", "not met"),
        (Row("record HTML", "KiB", 50.0, 20.0, 40.0, False), "0.40x", "<= 40 KiB", "met"),
        (Row("alert page", "KiB", None, None, 500.0, False), "-", "<= 500 KiB", "-"),
    ],
)
def test_table_line(row: Row, ratio: str, goal: str, met: str) -> None:
    header, line = format_table([row]).splitlines()
    assert header.split() == ["plain", "plugin", "ratio", "goal"]
    assert line.startswith(row.label)
    assert f"  {ratio}  {goal}" in line
    assert line.endswith(f"  {met}")


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([5.0], 0.95, 5.0), ([1, 2, 3, 4], 0.5, 2), (list(range(1, 101)), 0.95, 95)],
)
def test_percentile(values: list[float], share: float, expected: float) -> None:
    assert percentile(values, share) == expected


@pytest.mark.parametrize(
    ("cold", "warm", "peaks"),
    [
        ([10.0, 30.0, 20.0], [5.0, 4.0, 6.0], ([300, 320, 310], [100, 90, 95])),
        ([8.0], [2.0], ([80], [400])),
    ],
)
def test_build_rows_are_medians_against_plain(
    cold: list[float], warm: list[float], peaks: tuple[list[int], list[int]]
) -> None:
    plain = [Run(2.0, 50.0), Run(4.0, 70.0), Run(3.0, 60.0)][: len(cold)]
    builds = {
        "plain": plain,
        "cold": [Run(s, m) for s, m in zip(cold, peaks[0], strict=True)],
        "warm": [Run(s, m) for s, m in zip(warm, peaks[1], strict=True)],
    }
    warm_row, cold_row, memory = build_rows(builds)
    plain_s = sorted(r.seconds for r in plain)[len(plain) // 2]
    assert (warm_row.plain, warm_row.plugin, warm_row.limit) == (
        plain_s,
        sorted(warm)[len(warm) // 2],
        1.0,
    )
    assert (cold_row.plugin, cold_row.limit) == (sorted(cold)[len(cold) // 2], 1.25)
    median_peaks = [sorted(p)[len(p) // 2] for p in peaks]
    assert memory.plugin == max(median_peaks) and memory.limit == 1.5
