"""Lints inside `pmarchive check` and the build: located warnings, secrets that stop the build."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort

from pmarchive.cli import main

from .conftest import BASE_PM, front_matter, write
from .sites import build_site

P = "postmortems/INC-2026-05-29-001.md"
# a final SEV-2 is expected to say what ended the impact: these tests are about other findings
MITIGATION = "Reverted the namespace setting"


def check(root: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", str(root)], env={"GITHUB_ACTIONS": ""})
    return result.exit_code, result.stdout.splitlines()


def test_counterfactual_warning_has_line_and_column(archive_root: Path) -> None:
    text = (
        front_matter(BASE_PM, mitigation=MITIGATION)
        + "\nThe on-call engineer should have paged sooner.\n"
    )

    write(archive_root, P, text)
    code, lines = check(archive_root)
    line = text.splitlines().index("The on-call engineer should have paged sooner.") + 1
    assert code == 0
    assert [entry.split(": ")[0] for entry in lines] == [f"{P}:{line}:22"]
    assert "warning: counterfactual: 'should have'" in lines[0]


def test_a_reasoned_ignore_silences_a_lint(archive_root: Path) -> None:
    text = front_matter(
        BASE_PM, mitigation=MITIGATION, lint_ignore="{counterfactual: quoting the customer}"
    )
    write(archive_root, P, text + "\nThe customer wrote: you should have told us.\n")
    assert check(archive_root) == (0, [])


def fake_credentials() -> dict[str, str]:
    """Assembled at run time so this file holds no credential-shaped literal."""
    return {
        "aws": "AKIA" + "Q7" * 8,
        "github": "gh" + "p_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
        "slack": "xo" + "xb-" + "1234567890-" + "0987654321" + "-aBcDeFgHiJkLmNoPqRsTuVwX",
        "url": "https://deploy:" + "Tr0ub4dor-9x7Qz" + "@git.internal.example",
    }


@pytest.mark.parametrize("kind", list(fake_credentials()))
def test_planted_credentials_fail_the_build_and_stay_masked(
    archive_root: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = fake_credentials()[kind]
    write(
        archive_root,
        P,
        front_matter(BASE_PM, mitigation=MITIGATION)
        + f"\nDuring recovery we used {secret} once.\n",
    )
    code, lines = check(archive_root)
    assert code == 1
    assert any(": error: secret: " in line for line in lines), lines
    assert all(secret not in line for line in lines)
    with pytest.raises(Abort):
        build_site(archive_root)
    assert secret not in caplog.text
    site = archive_root / "site"
    if site.exists():
        for path in site.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes()


def test_secret_in_front_matter_of_a_broken_file_is_still_caught(archive_root: Path) -> None:
    secret = fake_credentials()["aws"]
    write(
        archive_root,
        P,
        front_matter(BASE_PM, mitigation=MITIGATION, summary=f"key {secret}", sev="nine"),
    )
    code, lines = check(archive_root)
    assert code == 1
    assert any(": error: secret: " in line for line in lines)
    assert all(secret not in line for line in lines)


def test_lints_can_be_disabled_in_mkdocs_yml(archive_root: Path) -> None:
    write(
        archive_root, P, front_matter(BASE_PM, mitigation=MITIGATION) + "\nWe failed to notice.\n"
    )
    assert check(archive_root)[1]
    write(
        archive_root,
        "mkdocs.yml",
        "site_name: x\nplugins:\n  - postmortems:\n      lints: {disable: [counterfactual]}\n",
    )
    assert check(archive_root) == (0, [])


def test_template_text_left_in_a_final_record_is_a_located_warning(archive_root: Path) -> None:
    from pmarchive.lints.template import PROMPTS

    text = front_matter(BASE_PM, mitigation=MITIGATION) + f"\n## Lessons\n\n{PROMPTS['Lessons']}\n"
    write(archive_root, P, text)
    line = text.splitlines().index(PROMPTS["Lessons"]) + 1
    code, lines = check(archive_root)
    found = [entry for entry in lines if ": placeholder: " in entry]
    assert code == 0 and found == [
        f"{P}:{line}:1: warning: placeholder: template text left in a final record: "
        f"'{PROMPTS['Lessons']}'; replace it with what happened, or remove the line"
    ]
    write(archive_root, P, text.replace("status: final", "status: review"))
    assert not [entry for entry in check(archive_root)[1] if ": placeholder: " in entry]


LUCKY = (
    "\n## What surprised us\n\nThe replica had been promoted a week earlier.\n\n"
    "## Where we got lucky\n\nIt would have been far worse at the evening peak; a second region "
    "could have failed with it.\n"
)


def test_hindsight_under_where_we_got_lucky_is_not_a_finding(archive_root: Path) -> None:
    write(archive_root, P, front_matter(BASE_PM, mitigation=MITIGATION) + LUCKY)
    assert not [entry for entry in check(archive_root)[1] if "counterfactual" in entry]
    write(
        archive_root,
        P,
        front_matter(BASE_PM, mitigation=MITIGATION)
        + LUCKY.replace("Where we got lucky", "Lessons"),
    )
    found = [entry for entry in check(archive_root)[1] if "counterfactual" in entry]
    assert [entry.split(": ")[-2] for entry in found] == ["counterfactual"] * 2
