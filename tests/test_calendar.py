"""One clock per run, and an unchanged archive that never turns red because days pass."""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmarchive.cli import main
from pmarchive.core import clock as clock
from pmarchive.core.diagnostics import Severity
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.options import archive_config, plugin_options
from pmarchive.lints.rules import LintConfig

from .conftest import BASE_PM, TODAY, front_matter, write
from .sites import MKDOCS_YML, build_site, copy_example

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("configured", "env", "expected"),
    [
        ("2026-11-24", "2030-01-01", dt.date(2026, 11, 24)),  # configured wins
        (dt.date(2025, 1, 2), None, dt.date(2025, 1, 2)),  # a YAML date is taken as is
        (None, "2030-01-01", dt.date(2030, 1, 1)),  # then the environment
    ],
)
def test_run_today_prefers_the_configured_day(
    monkeypatch: pytest.MonkeyPatch, configured: object, env: str | None, expected: dt.date
) -> None:
    if env is None:
        monkeypatch.delenv(clock.ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(clock.ENV_VAR, env)
    assert clock.run_today(configured) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "24/11/2026"])
def test_a_bad_day_is_a_located_usage_error(bad: str) -> None:
    with pytest.raises(clock.ClockError, match="YYYY-MM-DD"):
        clock.run_today(bad)
    code, out = invoke("init", "unused", "--today", bad)
    assert code == 2 and "YYYY-MM-DD" in out and "Traceback" not in out


def test_the_clock_is_read_once_per_run(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that crosses midnight still measures every record from one day."""
    days = iter([dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 26)])
    reads: list[dt.date] = []

    def today() -> dt.date:
        reads.append(next(days))
        return reads[-1]

    fake = types.SimpleNamespace(date=types.SimpleNamespace(today=today, fromisoformat=None))
    monkeypatch.setattr(clock, "dt", fake)
    monkeypatch.delenv(clock.ENV_VAR, raising=False)
    for n in range(1, 4):
        write(
            archive_root,
            f"postmortems/INC-2026-05-29-00{n}.md",
            front_matter(BASE_PM, id=f"INC-2026-05-29-00{n}", status="draft"),
        )
    archive = load_archive(archive_config(archive_root, {}))
    assert reads == [dt.date(2026, 11, 24)]
    assert archive.config.today == dt.date(2026, 11, 24)


OVERDUE_ITEM = "[{id: AI-1, title: Coalesce, due: 2026-06-30, status: open, kind: prevent}]"


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"status": "draft"}, "overdue-draft"),
        ({"action_items": OVERDUE_ITEM}, "overdue-action-item"),
    ],
)
@pytest.mark.parametrize(
    ("fail_on_overdue", "severity"), [(False, Severity.NOTICE), (True, Severity.WARNING)]
)
def test_time_dependent_findings_are_notices_unless_the_archive_opts_in(
    archive_root: Path,
    fail_on_overdue: bool,
    severity: Severity,
    changes: dict[str, str],
    rule: str,
) -> None:
    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, **changes))
    config = archive_config(
        archive_root, {"today": "2026-11-24", "lints": {"fail_on_overdue": fail_on_overdue}}
    )
    assert config.lints == LintConfig(fail_on_overdue=fail_on_overdue)
    found = [d for d in load_archive(config).diagnostics if d.field == rule]
    assert [d.severity for d in found] == [severity]
    # the day before it fell due, nothing
    early = archive_config(archive_root, {"today": "2026-06-01"})
    assert [d for d in load_archive(early).diagnostics if d.field == rule] == []


def test_a_draft_ages_without_failing_a_strict_build(archive_root: Path) -> None:
    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, status="draft"))
    far = MKDOCS_YML.replace("2026-11-24", "2031-11-24")
    site = build_site(archive_root, far, strict=True)
    page = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    assert "INC-2026-05-29-001" in page
    code, out = invoke("check", str(archive_root))
    assert code == 0 and "notice: overdue-draft:" in out
    code, out = invoke("check", "--strict", str(archive_root))
    assert code == 0, out


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        ("cause_class", "[thundering-herd]", "cache-stampede"),
        ("contributing_factors", "[no-dedup]", "no-coalescing"),
    ],
)
def test_a_documented_rename_never_fails_a_strict_build(
    archive_root: Path, field: str, old: str, new: str
) -> None:
    """The taxonomy says: keep the old name as an alias and leave old records untouched."""
    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, **{field: old}))
    site = build_site(archive_root, strict=True)
    code, out = invoke("check", "--strict", str(archive_root))
    assert code == 0, out
    assert f"is counted as '{new}'" in out
    assert (site / "postmortems/inc-2026-05-29-001/index.html").is_file()


def _example_copy(tmp_path: Path, today: dt.date) -> Path:
    root = copy_example(tmp_path / "example")
    yml = (root / "mkdocs.yml").read_text()
    assert 'today: "2026-11-24"' in yml
    (root / "mkdocs.yml").write_text(yml.replace('today: "2026-11-24"', f'today: "{today}"'))
    return root


def test_the_example_archive_stays_valid_a_year_on(tmp_path: Path) -> None:
    later = TODAY + dt.timedelta(days=366)
    root = _example_copy(tmp_path, later)
    site = build_site(root, (root / "mkdocs.yml").read_text(), strict=True)
    assert (site / "risk-register/index.html").is_file()
    code, out = invoke(
        "new", "postmortem", "--root", str(root), "--title", "A year on", "--class", "retry-storm"
    )
    assert code == 0, out
    assert Path(out.strip()).name.startswith(f"INC-{later.isoformat()}-")
    code, out = invoke(
        "new",
        "near-miss",
        "--root",
        str(root),
        "--what",
        "Disk at 95%",
        "--caught-by",
        "defense",
        "--class",
        "retry-storm",
    )
    assert code == 0, out
    assert Path(out.strip()).name.startswith(f"NM-{later.isoformat()}-")
    code, out = invoke("check", "--strict", str(root))
    assert code == 0, out
    assert load_archive(archive_config(root, plugin_options(root / "mkdocs.yml"))).errors == []


@pytest.mark.parametrize("kind", ["postmortem", "near-miss"])
def test_new_uses_the_archive_today_and_refuses_a_later_date(archive_root: Path, kind: str) -> None:
    write(archive_root, "mkdocs.yml", "plugins:\n  - postmortems:\n      today: '2026-11-24'\n")
    extra = (
        ["--title", "x", "--class", "retry-storm"]
        if kind == "postmortem"
        else ["--what", "x", "--caught-by", "luck", "--class", "retry-storm"]
    )
    code, out = invoke("new", kind, "--root", str(archive_root), *extra)
    assert code == 0 and "2026-11-24-001.md" in out, out
    code, out = invoke("new", kind, "--root", str(archive_root), *extra, "--date", "2026-11-25")
    assert code == 1 and "after the archive's today (2026-11-24)" in out


def test_init_reads_the_pinned_day_from_the_environment(tmp_path: Path) -> None:
    code, out = invoke("init", str(tmp_path / "a"), env={clock.ENV_VAR: "2026-03-04"})
    assert code == 0, out
    assert any(Path(line).name == "INC-2026-03-04-001.md" for line in out.splitlines())
