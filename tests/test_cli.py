"""``pmarchive check`` through click's CliRunner: exit codes and output formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pmarchive.cli import main

from .conftest import BASE_PM, front_matter, write

P = "postmortems/INC-2026-05-29-001.md"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env or {"GITHUB_ACTIONS": ""})
    return result.exit_code, result.stdout, result.stderr


def test_clean_archive_exits_zero(archive_root: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM))
    code, out, err = run("check", str(archive_root))
    assert (code, out) == (0, "")
    assert "1 post-mortems, 0 near-misses; 0 errors, 0 warnings" in err


def test_errors_exit_one_with_located_lines(archive_root: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM, cause_class="[cache-stampeed]", sev="9"))
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
    write(archive_root, P, front_matter(BASE_PM, cause_class="[cache-stampeed]"))
    code, out, _ = run("check", *args, str(archive_root), env=env)
    assert code == 1
    assert out.strip() == (
        f"::error file={P},line=11,title=cause_class::cause_class: unknown cause class "
        "'cache-stampeed'; did you mean 'cache-stampede'?"
    )


def test_warnings_pass_unless_strict(archive_root: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM, teams="[checkout, checkout]"))
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
    write(archive_root, P, front_matter(BASE_PM, jira="OPS-1"))
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


def test_every_command_has_help() -> None:
    for name, command in main.commands.items():
        assert command.help, name
