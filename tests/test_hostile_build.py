"""Hostile docs pages and options stop `mkdocs build` with a located message, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.exceptions import Abort, PluginError

from .conftest import BASE_PM, front_matter, write
from .sites import MKDOCS_YML, build_site

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("---\ntitle: " + "[" * 40_000 + "\n---\n\n# Deep\n", "docs/deep.md:"),
        ("---\ntitle: ok\n---\n\n# Token\n\n" + GITHUB_TOKEN + "\n", "docs/deep.md:"),
        ("---\n" + "k: " + "x" * 200_000 + "\n---\n\n# Big\n", "docs/deep.md:"),
    ],
    ids=["nested-brackets", "credential", "oversized-front-matter"],
)
def test_a_hostile_docs_page_fails_the_build_with_its_location(
    archive_root: Path, caplog: pytest.LogCaptureFixture, page: str, expected: str
) -> None:
    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM))
    write(archive_root, "docs/deep.md", page)
    with pytest.raises((Abort, PluginError)) as caught:
        build_site(archive_root, MKDOCS_YML)
    text = caplog.text + str(caught.value)
    assert expected in text
    assert GITHUB_TOKEN not in text  # never printed whole
    assert not (archive_root / "site/deep/index.html").exists()


def test_a_record_body_over_the_cap_fails_the_build(
    archive_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    big = front_matter(BASE_PM) + "x" * 5000 + "\n"
    write(archive_root, "postmortems/INC-2026-05-29-001.md", big)
    yml = MKDOCS_YML.replace(
        'today: "2026-11-24"', 'today: "2026-11-24"\n      max_body_bytes: 4096'
    )
    with pytest.raises((Abort, PluginError)):
        build_site(archive_root, yml)
    assert "INC-2026-05-29-001.md:19: error: body is 5311 bytes" in caplog.text
    assert "max_body_bytes" in caplog.text


def test_a_corrupted_index_is_rebuilt_by_the_next_build(
    archive_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM))
    build_site(archive_root, MKDOCS_YML)
    current = (archive_root / ".pmarchive/search-index/internal/current").resolve()
    segments = [p for p in current.iterdir() if p.suffix in (".seg", ".toc")]
    assert segments
    segments[0].write_bytes(b"\x80\x04crafted")  # a pickle-looking file the build never wrote
    caplog.set_level(logging.INFO)
    site = build_site(archive_root, MKDOCS_YML)
    assert "rebuilt it from the records" in caplog.text
    assert (site / "postmortems/inc-2026-05-29-001/index.html").is_file()


@pytest.mark.parametrize(
    ("field", "value", "raw"),
    [
        ("teams", '["\\e[2J\\e[32mcheckout"]', "\x1b"),
        ("detection", '"alert\\rpostmortems/x.md:1: notice: all good"', "\r"),
        ("priority", '"P1\\nfake.md:1: error: x"', "\nfake.md"),
        ("teams", '["\\u202echeckout"]', "\u202e"),
    ],
    ids=["ansi-escape", "carriage-return", "newline", "bidi-override"],
)
def test_check_output_carries_no_control_characters(
    archive_root: Path, field: str, value: str, raw: str
) -> None:
    from click.testing import CliRunner

    from pmarchive.cli import main

    write(
        archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, **{field: value})
    )
    result = CliRunner().invoke(main, ["check", str(archive_root)])
    assert result.exit_code == 1, result.output
    assert raw not in result.output
    assert "INC-2026-05-29-001.md:" in result.output


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ('"Checkout \\e[31mdown"', "U+001B"),
        ('"Checkout \\u202edown"', "U+202E"),
        ('"a\\0b"', "U+0000"),
    ],
)
@pytest.mark.parametrize("field", ["title", "summary"])
def test_text_fields_refuse_control_characters(
    archive_root: Path, field: str, value: str, code: str
) -> None:
    from pmarchive.ingest.archive import load_archive
    from pmarchive.ingest.config import ArchiveConfig

    from .conftest import TODAY

    write(
        archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, **{field: value})
    )
    errors = load_archive(ArchiveConfig(root=archive_root, today=TODAY)).errors
    assert [(e.field, code in e.message) for e in errors] == [(field, True)]
