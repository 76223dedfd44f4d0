"""Credentials never leave in a message, and are found in taxonomy files and docs pages too."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmarchive.cli import main
from pmarchive.core.credentials import mask, redact
from pmarchive.core.diagnostics import Diagnostic, Severity
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.docpages import check_doc_pages
from pmarchive.lints.rules import lint_text

from .conftest import BASE_PM, front_matter, write

P = "postmortems/INC-2026-05-29-001.md"
MAKE = Callable[..., ArchiveConfig]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def noise(n: int, alphabet: str = ALNUM, seed: int = 11) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


# name -> (token as written, the part that must never appear whole). Assembled from pieces so
# that no credential-shaped string sits in this file.
TOKENS: dict[str, tuple[str, str]] = {
    "github classic": ("gh" + "p_" + noise(36), noise(36)),
    "github fine-grained": ("github" + "_pat_" + noise(22) + "_" + noise(40, seed=3), noise(22)),
    "aws key id": ("AK" + "IA" + noise(16, UPPER_DIGITS), noise(16, UPPER_DIGITS)),
    "slack": (
        "xo" + "xb-" + noise(12, "0123456789") + "-" + noise(24),
        noise(24),
    ),
    "private key": (
        "-----BEGIN "
        + "RSA PRIVATE"
        + " KEY-----\n"
        + noise(64, seed=5)
        + "\n"
        + noise(64, seed=6),
        noise(64, seed=5),
    ),
    "jwt": (
        "ey" + "J" + noise(20, seed=1) + "." + noise(30, seed=2) + "." + noise(30, seed=4),
        noise(30, seed=2),
    ),
    "generic high-entropy": (noise(40, seed=9), noise(40, seed=9)),
}
SPECIFIC = [name for name in TOKENS if name != "generic high-entropy"]


def leaks(secret: str, text: str) -> bool:
    """Whether any 8 characters in a row of ``secret`` survive in ``text``."""
    return any(secret[i : i + 8] in text for i in range(len(secret) - 7))


def shown(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(d.format_text() + "\n" + d.format_github() for d in diagnostics)


def quoted(token: str) -> str:
    """The token as a YAML double-quoted scalar (newlines of a key block as escapes)."""
    return json.dumps(token)


# Every place a message quotes what the author wrote: name -> (changes, field of the message).
PLACES: dict[str, tuple[Callable[[str], dict[str, str | None]], str]] = {
    "unknown field name": (lambda t: {quoted(t): "1"}, ""),
    "choice": (lambda t: {"detection": quoted(t)}, "detection"),
    "vocabulary value": (lambda t: {"teams": f"[{quoted(t)}]"}, "teams"),
    "id": (lambda t: {"id": quoted(t)}, "id"),
    "related id": (lambda t: {"related": f"[{quoted(t)}]"}, "related"),
    "whole number": (lambda t: {"sev": quoted(t)}, "sev"),
    "date": (lambda t: {"date": quoted(t)}, "date"),
    "action item key": (
        lambda t: {
            "action_items": f"[{{id: AI-1, title: x, status: open, kind: prevent, {quoted(t)}: 1}}]"
        },
        "action_items[0]",
    ),
    "action item kind": (
        lambda t: {"action_items": f"[{{id: AI-1, title: x, status: open, kind: {quoted(t)}}}]"},
        "action_items[0].kind",
    ),
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("shape", list(TOKENS))
def test_no_message_shows_a_credential_whole(
    archive_root: Path, make_config: MAKE, shape: str, place: str
) -> None:
    token, secret = TOKENS[shape]
    changes, field = PLACES[place]
    write(archive_root, P, front_matter(BASE_PM, **changes(token)))
    archive = load_archive(make_config(archive_root))
    # the field's own complaint is there (so the value was quoted somewhere), masked
    about = [d for d in archive.errors if d.field.startswith(field) and d.field != "secret"]
    assert about, shown(archive.diagnostics)
    assert not leaks(secret, shown(archive.diagnostics))
    if shape in SPECIFIC:
        assert any(d.field == "secret" for d in archive.errors)


@pytest.mark.parametrize("shape", list(TOKENS))
def test_taxonomy_values_and_references_are_masked_and_scanned(
    archive_root: Path, make_config: MAKE, shape: str
) -> None:
    token, secret = TOKENS[shape]
    write(archive_root, P, front_matter(BASE_PM))
    write(
        archive_root,
        "taxonomy/alerts.yml",
        textwrap.dedent(
            f"""\
            alerts:
              HighErrorRate:
                summary: 5xx ratio above 2%
                team: {quoted(token)}
                classes: [{quoted(token)}]
            """
        ),
    )
    archive = load_archive(make_config(archive_root))
    text = shown(archive.diagnostics)
    assert not leaks(secret, text)
    fields = {d.field for d in archive.errors if d.path == "taxonomy/alerts.yml"}
    assert {"alerts.HighErrorRate.team", "alerts.HighErrorRate.classes"} <= fields
    if shape in SPECIFIC:
        assert "secret" in fields


@pytest.mark.parametrize("name", ["classes.yml", "severity.yml", "teams.yml"])
def test_a_credential_in_any_taxonomy_file_is_a_located_error(
    archive_root: Path, make_config: MAKE, name: str
) -> None:
    token = TOKENS["github classic"][0]
    path = archive_root / "taxonomy" / name
    path.write_text(path.read_text() + f"# rotated? {token}\n")
    line = path.read_text().count("\n")
    archive = load_archive(make_config(archive_root))
    (error,) = archive.errors
    assert (error.path, error.line, error.column, error.field) == (
        f"taxonomy/{name}",
        line,
        len("# rotated? ") + 1,
        "secret",
    )
    assert mask(token) in error.message and token not in error.message


def test_a_taxonomy_file_that_does_not_parse_is_still_scanned(
    archive_root: Path, make_config: MAKE
) -> None:
    token = TOKENS["aws key id"][0]
    write(archive_root, "taxonomy/factors.yml", f"factors:\n  no-canary: {{title: [x\n# {token}\n")
    errors = load_archive(make_config(archive_root)).errors
    assert [(d.path, d.line, d.field) for d in errors] == [
        ("taxonomy/factors.yml", 3, "secret"),
        ("taxonomy/factors.yml", 4, ""),
    ]


def test_blame_quotes_are_masked_too() -> None:
    token, secret = TOKENS["generic high-entropy"]
    findings = lint_text(f"The outage was caused by @{token} late at night.", 1)
    assert [f.rule for f in findings] == ["blame"]
    assert not leaks(secret, findings[0].message)


@pytest.mark.parametrize("shape", list(TOKENS))
def test_redact_masks_every_shape(shape: str) -> None:
    token, secret = TOKENS[shape]
    message = f"unknown team '{token}'; did you mean 'sre'?"
    assert not leaks(secret, redact(message))
    assert redact(message).startswith("unknown team '") and "did you mean 'sre'?" in message


BENIGN = [
    "postmortems/2026/INC-2026-05-29-001.md",
    "unknown cause class 'cache-stampeed'; did you mean 'cache-stampede'?",
    "started_at 2026-05-29T14:05:00Z is before detected_at 2026-05-29T14:06:00Z",
    "commit 3f9a2c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 broke the build",
    "runbook https://runbooks.example/high-error-rate-for-checkout-and-pricing",
    "'ConfigBlastRadiusAcrossRegions' is not a valid name",
    "alerts.HighErrorRateOnCheckoutService.team",
    "AWS access key id found (AKIA**************Z9); remove it",
    "private key block found (-----BEGIN RSA PRIVATE KEY-----); remove it",
]


@pytest.mark.parametrize("text", BENIGN)
def test_redact_leaves_ordinary_messages_alone(text: str) -> None:
    assert redact(text) == text


def test_diagnostics_are_redacted_where_they_are_made() -> None:
    token, secret = TOKENS["jwt"]
    made = Diagnostic("a.md", 1, Severity.ERROR, f"x.{token}", f"bad '{token}'")
    assert not leaks(secret, made.field + made.message)


# --- docs pages ---------------------------------------------------------------------------


def docs_root(tmp_path: Path, pages: dict[str, str | bytes]) -> Path:
    for rel, text in pages.items():
        write(tmp_path, f"docs/{rel}", text)
    return tmp_path


@pytest.mark.parametrize("shape", SPECIFIC)
@pytest.mark.parametrize(
    ("name", "template", "line", "column"),
    [
        ("page body", "# Notes\n\nThe key was {t} for a while.\n", 3, 13),
        ("page front-matter", "---\ntitle: x\ntoken_note: {t}\n---\n# Notes\n", 3, 13),
        ("code block", "# Notes\n\n```\n{t}\n```\n", 4, 1),
    ],
)
def test_credentials_in_docs_pages_are_masked_errors(
    tmp_path: Path, make_config: MAKE, shape: str, name: str, template: str, line: int, column: int
) -> None:
    token, secret = TOKENS[shape]
    root = docs_root(tmp_path, {"notes.md": template.format(t=token)})
    found = check_doc_pages(root / "docs", root, make_config(root))
    assert [(d.path, d.line, d.column, d.field, d.severity) for d in found] == [
        ("docs/notes.md", line, column, "secret", Severity.ERROR)
    ]
    assert not leaks(secret, shown(found))


def test_credentials_in_files_mkdocs_copies_are_errors(tmp_path: Path, make_config: MAKE) -> None:
    token = TOKENS["slack"][0]
    root = docs_root(
        tmp_path,
        {
            "examples/alertmanager.yml": f"receivers:\n  - slack_api_token: {token}\n",
            "img/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
        },
    )
    found = check_doc_pages(root / "docs", root, make_config(root))
    assert [(d.path, d.line, d.field) for d in found] == [
        ("docs/examples/alertmanager.yml", 2, "secret")
    ]


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("title: " + "[" * 40_000, 2, "front-matter is nested more than 32 levels deep"),
        ("title: x\nitems: " + "{a: " * 40 + "1" + "}" * 40, 3, "nested more than 32 levels"),
        ("title: " + "x" * 70_000, 2, "front-matter is 70008 bytes; the limit is 65536"),
    ],
    ids=["40,000 brackets", "nested mappings", "oversized"],
)
def test_docs_front_matter_is_capped_before_any_parser(
    tmp_path: Path, make_config: MAKE, front: str, line: int, message: str
) -> None:
    root = docs_root(tmp_path, {"index.md": f"---\n{front}\n---\n# Home\n"})
    (found,) = check_doc_pages(root / "docs", root, make_config(root))
    assert (found.path, found.line, found.severity) == ("docs/index.md", line, Severity.ERROR)
    assert message in found.message


@pytest.mark.parametrize(
    "page",
    [
        "# Home\n\nNo front-matter at all.\n",
        "---\ntitle: Home\ntags: [a, [b, c]]\n---\n# Home\n",
        "---\ntitle: " + "[" * 40_000 + "\n\nnever closed, so MkDocs never parses it\n",
        "Title: Home\nSummary: MultiMarkdown meta is not YAML\n\n# Home\n",
    ],
)
def test_ordinary_docs_pages_are_clean(tmp_path: Path, make_config: MAKE, page: str) -> None:
    root = docs_root(tmp_path, {"index.md": page})
    assert check_doc_pages(root / "docs", root, make_config(root)) == []


def test_docpages_does_not_import_mkdocs() -> None:
    code = (
        "import sys, pmarchive.ingest.docpages; "
        "print(sorted(m for m in sys.modules if 'mkdocs' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("mkdocs_yml", "folder"),
    [("", "docs"), ("docs_dir: site-src\n", "site-src")],
)
def test_check_reports_docs_pages(archive_root: Path, mkdocs_yml: str, folder: str) -> None:
    token, secret = TOKENS["github classic"]
    write(archive_root, P, front_matter(BASE_PM))
    write(archive_root, "mkdocs.yml", "site_name: x\n" + mkdocs_yml)
    write(archive_root, f"{folder}/guide.md", f"# Guide\n\nexport GH={token}\n")
    result = CliRunner().invoke(
        main, ["check", str(archive_root)], env={"GITHUB_ACTIONS": "", "PMARCHIVE_TODAY": ""}
    )
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{folder}/guide.md:3:11: error: secret: GitHub token found")
    assert not leaks(secret, result.stdout + result.stderr)
    assert "1 error," in result.stderr
