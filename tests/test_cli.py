"""``pmarchive check`` through click's CliRunner: exit codes and output formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pmarchive.cli import main

from .conftest import BASE_PM, front_matter, write

P = "postmortems/INC-2026-05-29-001.md"
# a final SEV-2 is expected to say what ended the impact: these tests are about other findings
MITIGATION = "Reverted the namespace setting"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env or {"GITHUB_ACTIONS": ""})
    return result.exit_code, result.stdout, result.stderr


def test_clean_archive_exits_zero(archive_root: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM, mitigation=MITIGATION))
    code, out, err = run("check", str(archive_root))
    assert (code, out) == (0, "")
    assert "1 post-mortems, 0 near-misses; 0 errors, 0 warnings" in err


def test_errors_exit_one_with_located_lines(archive_root: Path) -> None:
    write(
        archive_root,
        P,
        front_matter(BASE_PM, mitigation=MITIGATION, cause_class="[cache-stampeed]", sev="9"),
    )
    code, out, _ = run("check", str(archive_root))
    assert code == 1
    assert out.splitlines() == [
        f"{P}:5: error: sev: SEV 9 is not on the severity ladder (levels: 1, 2, 3); "
        "did you mean 3?",
        f"{P}:11: error: cause_class: unknown cause class 'cache-stampeed'; "
        "did you mean 'cache-stampede'?",
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--format", "github"), {"GITHUB_ACTIONS": ""}), ((), {"GITHUB_ACTIONS": "true"})],
    ids=["flag", "environment"],
)
def test_github_annotations(archive_root: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    write(
        archive_root,
        P,
        front_matter(BASE_PM, mitigation=MITIGATION, cause_class="[cache-stampeed]"),
    )
    code, out, _ = run("check", *args, str(archive_root), env=env)
    assert code == 1
    assert out.strip() == (
        f"::error file={P},line=11,title=cause_class::cause_class: unknown cause class "
        "'cache-stampeed'; did you mean 'cache-stampede'?"
    )


def test_warnings_pass_unless_strict(archive_root: Path) -> None:
    write(
        archive_root, P, front_matter(BASE_PM, mitigation=MITIGATION, teams="[checkout, checkout]")
    )
    assert run("check", str(archive_root))[0] == 0
    assert run("check", "--strict", str(archive_root))[0] == 1


@pytest.mark.parametrize(
    "args",
    [("check", "/definitely/not/here"), ("check", "--format", "xml", "."), ("nonsense",)],
    ids=["missing root", "bad format", "unknown command"],
)
def test_usage_errors_exit_two(args: tuple[str, ...]) -> None:
    assert run(*args)[0] == 2


def test_plugin_options_are_read_from_mkdocs_yml(archive_root: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM, mitigation=MITIGATION, jira="OPS-1"))
    write(
        archive_root,
        "mkdocs.yml",
        "site_name: x\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "plugins:\n  - postmortems:\n      extra_fields: [jira]\n",
    )
    assert run("check", str(archive_root))[0] == 0


def test_no_traceback_for_hostile_files(archive_root: Path) -> None:
    hostile = [
        b"\xff\xfe\x00garbage",
        b"---\n" + b"{" * 50_000 + b"\n---\n",
        b"---\n- just\n- a list\n---\n",
        b"---\n? [complex, key]\n: value\n---\n",
        b"---\n!!binary aGVsbG8=\n---\n",
        b"---\n" + b"a: &a [x]\nb: *a\n" + b"---\n",
        b"---\nid: [unclosed\n---\n",
        b"",
    ]
    for index, data in enumerate(hostile):
        write(archive_root, f"postmortems/INC-2026-05-29-{index:03d}.md", data)
    code, out, err = run("check", str(archive_root))
    assert code == 1
    assert "Traceback" not in out + err
    assert len(out.splitlines()) >= len(hostile)
    assert "could not be read" not in out  # each is a specific message, not the safety net


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


COMMANDS = _commands(main)


def test_the_walk_finds_every_command_and_subcommand() -> None:
    names = [name for name, _ in COMMANDS]
    assert {"check", "new postmortem", "new near-miss", "render", "search"} <= set(names)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.split()) >= 5, name
    code, out, _ = run(*name.split(), "--help")
    assert code == 0 and "Usage:" in out
    assert "Example" in out, f"{name} --help shows no example"


ARCHIVE_COMMANDS = [
    (name, command)
    for name, command in COMMANDS
    if not isinstance(command, click.Group) and name != "init"
]


@pytest.mark.parametrize(
    ("name", "command"), ARCHIVE_COMMANDS, ids=[n for n, _ in ARCHIVE_COMMANDS]
)
def test_every_archive_command_takes_root_and_config_file_the_same_way(
    name: str, command: click.Command
) -> None:
    options = {tuple(sorted(p.opts)) for p in command.params if isinstance(p, click.Option)}
    assert ("--root", "-r") in options, name
    assert ("--config-file", "-f") in options, name


def test_root_option_and_argument_agree(archive_root: Path) -> None:
    write(
        archive_root,
        P,
        front_matter(BASE_PM, mitigation=MITIGATION, cause_class="[cache-stampeed]"),
    )
    by_argument = run("check", str(archive_root))
    by_option = run("check", "--root", str(archive_root))
    assert by_argument[:2] == by_option[:2] and by_option[0] == 1


def test_config_file_elsewhere_is_read(archive_root: Path, tmp_path: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM, mitigation=MITIGATION, jira="OPS-1"))
    assert run("check", "--root", str(archive_root))[0] == 1  # jira is not a known field
    other = tmp_path / "elsewhere.yml"
    other.write_text("plugins:\n  - postmortems:\n      extra_fields: [jira]\n")
    assert run("check", "--root", str(archive_root), "-f", str(other))[0] == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("postmortem_dir: x", "unknown option 'postmortem_dir'; did you mean 'postmortems_dir'?"),
        ("similar_limit: many", "similar_limit: expected a whole number"),
        ("lints: {max_action_item: 3}", "did you mean 'max_action_items'?"),
        ("risk_weights: {w_usdd: 2}", "unknown weight 'w_usdd'; did you mean 'w_usd'?"),
        ("today: someday", "YYYY-MM-DD"),
        ("audience: everyone", "not one of public, internal, restricted"),
    ],
)
def test_bad_options_are_usage_errors_with_the_fix(
    archive_root: Path, options: str, message: str
) -> None:
    write(archive_root, "mkdocs.yml", f"plugins:\n  - postmortems:\n      {options}\n")
    code, out, err = run("check", "--root", str(archive_root))
    assert code == 2, out + err
    assert message in out + err and "Traceback" not in out + err


# --- runbooks: a site-relative runbook needs a page in docs/ ------------------------------------

RUNBOOK_PAGES = [
    ("/runbooks/foo/", ("runbooks/foo.md", "runbooks/foo/index.md", "runbooks/foo/README.md")),
    ("/runbooks/foo", ("runbooks/foo.md", "runbooks/foo/index.md", "runbooks/foo/README.md")),
    ("/runbooks/foo.html", ("runbooks/foo.md", "runbooks/foo/index.md", "runbooks/foo/README.md")),
    ("/runbooks/index.html", ("runbooks/index.md", "runbooks/README.md")),
    (
        "/runbooks/foo/#first-checks",
        ("runbooks/foo.md", "runbooks/foo/index.md", "runbooks/foo/README.md"),
    ),
    ("/files/db%20failover.pdf", ("files/db failover.pdf",)),
    ("/", ("index.md", "README.md")),
]


@pytest.mark.parametrize(("runbook", "pages"), RUNBOOK_PAGES)
def test_runbook_page_candidates(runbook: str, pages: tuple[str, ...]) -> None:
    from pmarchive.ingest.runbooks import page_candidates

    assert page_candidates(runbook) == pages


ALERTS_YML = """\
alerts:
  HighErrorRate:
    summary: 5xx ratio above 2%
    runbook: {runbook}
    team: sre
    classes: [cache-stampede, retry-storm]
"""


@pytest.mark.parametrize(
    ("runbook", "pages", "warned"),
    [
        ("/runbooks/high-error-rate/", ["runbooks/high-error-rate.md"], False),
        ("/runbooks/high-error-rate/", ["runbooks/high-error-rate/index.md"], False),
        ("/runbooks/high-error-rate/", ["runbooks/high-eror-rate.md"], True),
        ("/runbooks/high-error-rate/", [], True),
        ("https://wiki.example/runbooks/high-error-rate", [], False),
        ("//wiki.example/runbooks/high-error-rate", [], False),
    ],
    ids=["page", "folder index", "misspelt page", "no page", "elsewhere", "scheme-relative"],
)
def test_check_warns_when_a_site_runbook_has_no_page(
    archive_root: Path, runbook: str, pages: list[str], warned: bool
) -> None:
    shutil.rmtree(archive_root / "docs")  # only the pages of this case
    write(archive_root, "taxonomy/alerts.yml", ALERTS_YML.format(runbook=runbook))
    write(archive_root, "docs/index.md", "# Home\n")
    for page in pages:
        write(archive_root, f"docs/{page}", "# Runbook\n")
    code, out, err = run("check", str(archive_root))
    strict = run("check", "--strict", str(archive_root))[0]
    assert code == 0 and "0 errors" in err
    if not warned:
        assert (out, strict) == ("", 0)
        return
    assert strict == 1
    closest = pages[0].removesuffix(".md") if pages else "index"
    url = f"/{closest}/" if pages else "/"
    assert out.splitlines() == [
        "taxonomy/alerts.yml:4: warning: alerts.HighErrorRate.runbook: alert 'HighErrorRate': "
        f"runbook '{runbook}' has no page (expected docs/runbooks/high-error-rate.md or "
        f"docs/runbooks/high-error-rate/index.md); the closest existing page is '{url}' "
        f"(docs/{pages[0] if pages else 'index.md'}); write the page, or point the runbook at "
        "an existing one"
    ]


def test_runbooks_are_not_checked_without_a_docs_folder(archive_root: Path) -> None:
    from pmarchive.ingest.runbooks import check_runbooks
    from pmarchive.ingest.taxonomy import load_taxonomy

    taxonomy, _ = load_taxonomy(archive_root / "taxonomy", archive_root)
    docs = archive_root / "docs"
    shutil.rmtree(docs)
    assert check_runbooks(taxonomy, archive_root / "taxonomy", docs, archive_root) == []
    docs.mkdir()
    (found,) = check_runbooks(taxonomy, archive_root / "taxonomy", docs, archive_root)
    assert (found.path, found.line, found.field) == (
        "taxonomy/alerts.yml",
        4,
        "alerts.HighErrorRate.runbook",
    )
    assert found.message.endswith(
        "; docs/ has no pages; write the page, or point the runbook at an existing one"
    )


@pytest.mark.parametrize(
    "root",
    [
        Path(__file__).resolve().parent.parent,
        Path(__file__).resolve().parent.parent / "plugins/pmarchive/authoring/skeleton",
    ],
    ids=["example archive", "init skeleton"],
)
def test_every_site_runbook_of_the_shipped_archives_has_a_page(root: Path) -> None:
    from pmarchive.ingest.runbooks import check_runbooks, site_relative
    from pmarchive.ingest.taxonomy import load_taxonomy

    taxonomy, _ = load_taxonomy(root / "taxonomy", root)
    assert [a for a in taxonomy.alerts.values() if site_relative(a.runbook)]
    found = check_runbooks(taxonomy, root / "taxonomy", root / "docs", root)
    assert [d.format_text() for d in found] == []
