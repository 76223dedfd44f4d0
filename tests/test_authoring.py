"""Scaffolding, the 30-second near-miss form, init, exports and the workflow files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pmarchive.cli import main
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig

from .conftest import BASE_NM, BASE_PM, TODAY, front_matter, write
from .sites import build_site

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def clean(root: Path, today: dt.date = TODAY) -> list[str]:
    config = ArchiveConfig(root=root, today=today)
    return [d.format_text() for d in load_archive(config).diagnostics]


def pin_today(root: Path, day: dt.date = TODAY) -> None:
    """An mkdocs.yml whose plugin options pin the archive's today (what `new` reads)."""
    write(root, "mkdocs.yml", f"plugins:\n  - postmortems:\n      today: '{day.isoformat()}'\n")


def test_new_postmortem_ids_increment_and_validate(archive_root: Path) -> None:
    pin_today(archive_root)
    paths = []
    day = TODAY.isoformat()  # a fresh draft is not yet overdue
    for _ in range(2):
        code, out = invoke(
            "new",
            "postmortem",
            "--root",
            str(archive_root),
            "--title",
            "Checkout down",
            "--sev",
            "1",
            "--class",
            "cache-stampede",
            "--date",
            day,
            "--team",
            "checkout",
        )
        assert code == 0, out
        paths.append(Path(out.strip()))
    assert [p.name for p in paths] == [f"INC-{day}-001.md", f"INC-{day}-002.md"]
    text = paths[0].read_text()
    for section in (
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Contributing factors",
        "## Action items",
        "## Where we got lucky",
    ):
        assert section in text
    assert clean(archive_root) == []


def test_new_postmortem_never_overwrites(archive_root: Path) -> None:
    existing = write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM))
    before = existing.read_bytes()
    code, out = invoke(
        "new",
        "postmortem",
        "--root",
        str(archive_root),
        "--title",
        "x",
        "--class",
        "retry-storm",
        "--date",
        "2026-05-29",
    )
    assert code == 0 and out.strip().endswith("INC-2026-05-29-002.md")
    assert existing.read_bytes() == before


BAD_POSTMORTEM_OPTIONS: list[tuple[str, list[str], list[str]]] = [
    (
        "team",
        ["--team", "chekout"],
        ["--team 'chekout': unknown team (taxonomy/teams.yml); did you mean 'checkout'?"],
    ),
    (
        "team far from any",
        ["--team", "zzzz"],
        ["--team 'zzzz': unknown team", "expected one of 'checkout', 'pricing', 'sre'"],
    ),
    ("service", ["--service", "pricing-sv"], ["--service 'pricing-sv'", "'pricing-svc'?"]),
    ("alert", ["--alert", "HighErorRate"], ["--alert 'HighErorRate'", "'HighErrorRate'?"]),
    ("class", ["--class", "cache-stampeed"], ["--class 'cache-stampeed'", "'cache-stampede'?"]),
    ("sev", ["--sev", "9"], ["--sev 9: SEV 9 is not on the severity ladder", "did you mean 3?"]),
    (
        "timestamp without a zone",
        ["--started-at", "2026-05-29T14:05"],
        ["--started-at '2026-05-29T14:05': no time zone", "2026-05-29T14:05:00Z"],
    ),
    ("not a timestamp", ["--mitigated-at", "noon"], ["--mitigated-at 'noon': not an ISO 8601"]),
    (
        "timestamps out of order",
        ["--started-at", "2026-05-29T14:05:00Z", "--detected-at", "2026-05-29T14:01:00+00:00"],
        ["--detected-at is before --started-at"],
    ),
    (
        "timestamp after today",
        ["--resolved-at", "2026-12-01T00:00:00Z"],
        ["--resolved-at '2026-12-01T00:00:00Z': after the archive's today (2026-11-24)"],
    ),
    (
        "every problem at once",
        ["--team", "chekout", "--alert", "HighErorRate", "--sev", "0"],
        ["--team 'chekout'", "--alert 'HighErorRate'", "--sev 0"],
    ),
]


@pytest.mark.parametrize(
    ("args", "messages"),
    [case[1:] for case in BAD_POSTMORTEM_OPTIONS],
    ids=[case[0] for case in BAD_POSTMORTEM_OPTIONS],
)
def test_new_postmortem_refuses_bad_options_before_writing(
    archive_root: Path, args: list[str], messages: list[str]
) -> None:
    pin_today(archive_root)
    code, out = invoke(
        "new", "postmortem", "--root", str(archive_root), "--title", "x",
        "--class", "retry-storm", *args,
    )  # fmt: skip
    assert code == 1, out
    assert out.startswith("Error: nothing was written:")
    for message in messages:
        assert message in out
    assert list((archive_root / "postmortems").iterdir()) == []


def declared_text_fields() -> list[str]:
    from pmarchive.model.frontmatter import fields_for

    return [name for name in ("trigger", "mitigation") if name in fields_for("postmortem")]


def test_new_postmortem_with_every_option_validates(archive_root: Path) -> None:
    pin_today(archive_root)
    texts = {"trigger": "Scheduled cache flush", "mitigation": "Re-enabled request coalescing"}
    extra = [arg for name in declared_text_fields() for arg in (f"--{name}", texts[name])]
    code, out = invoke(
        "new", "postmortem", "--root", str(archive_root),
        "--title", "Checkout errors: after the flush #2",
        "--sev", "2",
        "--class", "thundering-herd",  # an old name: written as the current one
        "--team", "checkout", "--team", "pricing",
        "--service", "pricing-svc",
        "--alert", "HighErrorRate",
        "--started-at", "2026-11-23T14:05:00Z",
        "--detected-at", "2026-11-23T16:06:00+02:00",
        "--mitigated-at", "2026-11-23T14:11:00Z",
        "--resolved-at", "2026-11-23T14:12:00Z",
        *extra,
    )  # fmt: skip
    assert code == 0, out
    path = Path(out.strip())
    assert path.name == "INC-2026-11-23-001.md"  # the day of --started-at
    meta = yaml.safe_load(path.read_text().split("---")[1])
    assert meta["title"] == "Checkout errors: after the flush #2"
    assert meta["cause_class"] == ["cache-stampede"]
    assert (meta["teams"], meta["services"], meta["alerts"]) == (
        ["checkout", "pricing"],
        ["pricing-svc"],
        ["HighErrorRate"],
    )
    assert meta["detected_at"] == dt.datetime(2026, 11, 23, 14, 6, tzinfo=dt.timezone.utc)
    assert "detected_at: 2026-11-23T14:06:00Z" in path.read_text()
    for name in declared_text_fields():
        assert meta[name] == texts[name]
    assert clean(archive_root) == []
    result = CliRunner().invoke(main, ["check", "--strict", str(archive_root)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("analysis_sev", "sections"),
    [
        (
            "1",
            [
                "What surprised us",
                "What made the work hard",
                "Whose expertise was load-bearing",
                "Where we got lucky",
            ],
        ),
        ("3", ["Summary", "Action items"]),
    ],
)
def test_template_sections_follow_the_analysis_owed(
    archive_root: Path, analysis_sev: str, sections: list[str]
) -> None:
    code, out = invoke(
        "new", "postmortem", "--root", str(archive_root), "--title", "x",
        "--class", "retry-storm", "--sev", analysis_sev, "--date", "2026-05-29",
    )  # fmt: skip
    assert code == 0, out
    headings = re.findall(r"(?m)^## (.+)$", Path(out.strip()).read_text())
    assert [h for h in headings if h in sections] == sections
    if analysis_sev == "3":
        assert headings == sections  # a note: nothing more


NEAR_MISS_FORMS = [
    (
        "alert after a typo, service skipped",
        "HighErorRate\nHighErrorRate\n\n",
        ["did you mean 'HighErrorRate'?"],
        {"alerts": ["HighErrorRate"]},
    ),
    ("both skipped", "\n\n", [], {}),
    (
        "both given",
        "HighErrorRate\npricing-sv\npricing-svc\n",
        ["--service 'pricing-sv'"],
        {"alerts": ["HighErrorRate"], "services": ["pricing-svc"]},
    ),
]


@pytest.mark.parametrize(
    ("answers", "said", "written"),
    [case[1:] for case in NEAR_MISS_FORMS],
    ids=[case[0] for case in NEAR_MISS_FORMS],
)
def test_near_miss_form_asks_for_alert_and_service(
    archive_root: Path, answers: str, said: list[str], written: dict[str, list[str]]
) -> None:
    form = (
        "A config push nearly reached every region\nperson\nA reviewer asked\n"
        "config-blast-radus\nconfig-blast-radius\n" + answers
    )
    code, out = invoke(
        "new", "near-miss", "--root", str(archive_root), "--date", "2026-06-02", input=form
    )
    assert code == 0, out
    for question in (
        "1/5 What nearly happened?",
        "3/5 Which cause class?",
        "4/5 Which alert fired? (Enter skips)",
        "5/5 Which service? (Enter skips)",
    ):
        assert question in out
    assert "did you mean 'config-blast-radius'?" in out
    for message in said:
        assert message in out
    meta = yaml.safe_load(
        (archive_root / "nearmisses/NM-2026-06-02-001.md").read_text().split("---")[1]
    )
    assert meta["title"] == "A config push nearly reached every region"
    assert (meta["caught_by"], meta["cause_class"]) == ("person", ["config-blast-radius"])
    assert {k: meta[k] for k in ("alerts", "services") if k in meta} == written
    assert clean(archive_root) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--class", "capacity"], "--class 'capacity': unknown cause class"),
        (["--class", "retry-storm", "--alert", "HighErorRate"], "did you mean 'HighErrorRate'?"),
        (["--class", "retry-storm", "--service", "pricing"], "did you mean 'pricing-svc'?"),
    ],
    ids=["class", "alert", "service"],
)
def test_near_miss_options_are_refused_before_any_question(
    archive_root: Path, args: list[str], message: str
) -> None:
    pin_today(archive_root)
    code, out = invoke("new", "near-miss", "--root", str(archive_root), *args)
    assert code == 1 and message in out
    assert "What nearly happened?" not in out  # refused before the form asks anything
    assert list((archive_root / "nearmisses").iterdir()) == []


def test_near_miss_from_options(archive_root: Path) -> None:
    pin_today(archive_root)
    code, out = invoke(
        "new", "near-miss", "--root", str(archive_root), "--what", "Disk at 95%",
        "--caught-by", "defense", "--class", "retry-storm", "--kind", "weak-signal",
        "--alert", "HighErrorRate", "--service", "pricing-svc",
    )  # fmt: skip
    assert code == 0, out  # every answer given: nothing is asked
    meta = yaml.safe_load(Path(out.strip()).read_text().split("---")[1])
    assert (meta["alerts"], meta["services"]) == (["HighErrorRate"], ["pricing-svc"])
    assert clean(archive_root) == []


def test_init_creates_an_archive_that_builds_strictly(tmp_path: Path) -> None:
    target = tmp_path / "archive"
    code, out = invoke("init", str(target), "--today", TODAY.isoformat())
    assert code == 0, out
    assert clean(target, TODAY) == []
    yml = (
        (target / "mkdocs.yml")
        .read_text()
        .replace("audience: internal", f"audience: internal\n      today: '{TODAY.isoformat()}'")
    )
    site = build_site(target, yml)
    assert (site / "trends/index.html").is_file()
    assert list((site / "postmortems").iterdir())
    # a second init keeps every file as it is
    (target / "docs/index.md").write_text("# Ours\n")
    code, out = invoke("init", str(target), "--today", TODAY.isoformat())
    assert code == 0 and (target / "docs/index.md").read_text() == "# Ours\n"
    assert "docs/index.md" not in out


@pytest.fixture
def exported(archive_root: Path) -> Path:
    write(
        archive_root,
        "postmortems/INC-2026-05-29-001.md",
        front_matter(
            BASE_PM,
            visibility="public",
            mitigation="Reverted the namespace setting",
            action_items="[{id: AI-1, title: Coalesce, status: open, kind: prevent}]",
        ),
    )
    write(archive_root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    return archive_root


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_exports_round_trip_and_respect_the_audience(exported: Path, audience: str) -> None:
    outputs = {}
    for fmt in ("json", "jsonl", "csv"):
        code, out = invoke(
            "export", "--root", str(exported), "--format", fmt, "--audience", audience
        )
        assert code == 0, out
        outputs[fmt] = out
    as_json = json.loads(outputs["json"])
    as_jsonl = [json.loads(line) for line in outputs["jsonl"].splitlines()]
    as_csv = list(csv.DictReader(io.StringIO(outputs["csv"])))
    expected = {
        "internal": ["INC-2026-05-29-001", "NM-2026-06-02-001"],
        "public": ["INC-2026-05-29-001"],
    }[audience]
    assert [r["id"] for r in as_json] == expected == [r["id"] for r in as_jsonl]
    assert [r["id"] for r in as_csv] == expected
    incident = as_json[0]
    assert incident["cause_class"] == ["cache-stampede"] and incident["sev"] == 2
    assert incident["started_at"] == "2026-05-29T14:05:00Z" and incident["mttr_seconds"] == 420
    assert incident["action_items"][0]["id"] == "AI-1"
    assert as_csv[0]["teams"] == "checkout;pricing" and as_csv[0]["action_items_open"] == "1"


def test_export_never_overwrites(exported: Path) -> None:
    target = exported / "out.json"
    target.write_text("keep")
    code, out = invoke("export", "--root", str(exported), "-o", str(target))
    assert code == 1 and "already exists" in out and target.read_text() == "keep"


def test_site_publishes_data_and_schema(exported: Path) -> None:
    site = build_site(exported)
    assert [r["id"] for r in json.loads((site / "data/postmortems.json").read_text())] == [
        "INC-2026-05-29-001"
    ]
    schema = json.loads((site / "data/schema-postmortem.json").read_text())
    assert schema["properties"]["cause_class"]["items"]["enum"] == [
        "cache-stampede",
        "config-blast-radius",
        "retry-storm",
    ]
    assert {"id", "title", "status", "sev", "date", "cause_class", "detection"} == set(
        schema["required"]
    )
    assert len(json.loads((site / "data/schema.json").read_text())["oneOf"]) == 2


def test_workflows_parse_and_run_the_same_checks_as_make_test() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for workflow in (ROOT / ".github/workflows").glob("*.yml"):
        data = yaml.safe_load(workflow.read_text())
        runs = " ".join(
            step.get("run", "") for job in data["jobs"].values() for step in job["steps"]
        )
        assert "pmarchive check --format github" in runs
        assert "mkdocs build --strict" in runs
        assert "make test" in runs
    assert "$(BIN)/pmarchive check" in makefile and "$(BIN)/mkdocs build --strict" in makefile
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["entry"].startswith("pmarchive check")


def test_explicit_audience_flag_wins_over_the_environment(exported: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["export", "--root", str(exported), "--audience", "public"],
        env={"PMARCHIVE_AUDIENCE": "restricted"},
    )
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)] == ["INC-2026-05-29-001"]


WORKFLOWS = [
    ROOT / ".github/workflows/archive.yml",
    ROOT / "plugins/pmarchive/authoring/skeleton/github-workflows/archive.yml",
]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=["repository", "skeleton"])
def test_pages_get_the_public_audience_only(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    publish = data["jobs"]["publish"]
    # a job's permissions replace the workflow's: checkout needs contents: read
    assert publish["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert publish["concurrency"]["group"] == "pages"
    builds = [step for step in publish["steps"] if "mkdocs build" in step.get("run", "")]
    assert builds and all(step["env"]["PMARCHIVE_AUDIENCE"] == "public" for step in builds)
    assert all("SITE_URL" in step["env"] for step in builds)


@pytest.mark.parametrize(
    "yml", [ROOT / "mkdocs.yml", ROOT / "plugins/pmarchive/authoring/skeleton/mkdocs.yml"]
)
def test_site_url_comes_from_the_environment(yml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.config import load_config

    monkeypatch.delenv("SITE_URL", raising=False)
    assert "127.0.0.1" not in yml.read_text() and "localhost" not in yml.read_text()
    assert not load_config(str(yml))["site_url"]
    monkeypatch.setenv("SITE_URL", "https://archive.example/")
    assert load_config(str(yml))["site_url"] == "https://archive.example/"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("git+https://git.example/sre/pmarchive@v0.1.0", "pmarchive @ git+https://git.example/"),
        ("file:///srv/pmarchive", "pmarchive @ file:///srv/pmarchive"),
        ("./vendor/pmarchive", "./vendor/pmarchive"),
        (None, "# pmarchive @ git+"),
    ],
)
def test_init_never_pins_a_bare_package_name(source: str | None, line: str) -> None:
    from pmarchive.authoring.scaffold import requirements_text

    text = requirements_text(source)
    assert line in text
    active = [row for row in text.splitlines() if row and not row.startswith("#")]
    assert not [row for row in active if re.fullmatch(r"pmarchive\s*(==.*)?", row)]


def test_init_writes_where_this_pmarchive_came_from(tmp_path: Path) -> None:
    code, out = invoke("init", str(tmp_path / "a"), "--today", TODAY.isoformat())
    assert code == 0, out
    text = (tmp_path / "a/requirements.txt").read_text()
    # this checkout is installed in editable mode from its folder
    assert f"pmarchive @ {ROOT.as_uri()}" in text
