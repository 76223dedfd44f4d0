"""Hostile values and files: odd numbers, non-ASCII ids, links out of the archive, huge bodies."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.docpages import check_doc_pages
from pmarchive.ingest.options import archive_config
from pmarchive.site.export import to_json, to_jsonl

from .conftest import BASE_NM, BASE_PM, front_matter, write

P = "postmortems/INC-2026-05-29-001.md"
MAKE = Callable[..., ArchiveConfig]
PLAIN = "write a plain number, e.g. "


def errors_of(config: ArchiveConfig) -> list[str]:
    return [d.format_text() for d in load_archive(config).errors]


# --- numbers ------------------------------------------------------------------------------

NUMBERS: list[tuple[str, str, str]] = [
    # (raw YAML, what the message must say, the plain number suggested)
    (".nan", "is not a number (YAML reads it as NaN)", "1000"),
    (".NaN", "is not a number", "1000"),
    (".inf", ".inf is infinity", "1000"),
    ("-.Inf", "-.Inf is infinity", "1000"),
    ("1.0e+309", "1.0e+309 is too large to be stored as a number", "1000"),
    ("!!float .nan", "is not a number", "1000"),
    ('!!float "inf"', "inf is infinity", "1000"),
    ("0x3", "YAML reads 0x3 as hexadecimal (3)", "3"),
    ("0b101", "YAML reads 0b101 as binary (5)", "5"),
    ("1_000", "YAML reads 1_000 as 1000 (underscores are dropped)", "1000"),
    ("0755", "YAML 1.1 reads 0755 as octal (493)", "755"),
    ("1:20", "YAML 1.1 reads 1:20 as a base-60 number (80)", "80"),
]
NUMBER_FIELDS = ["duration_min", "customer_impact_pct", "mttd_seconds", "revenue_impact_usd"]


@pytest.mark.parametrize("field", NUMBER_FIELDS)
@pytest.mark.parametrize(("raw", "says", "plain"), NUMBERS, ids=[n[0] for n in NUMBERS])
def test_numbers_that_are_not_plain_decimals_are_refused_at_their_line(
    archive_root: Path, make_config: MAKE, field: str, raw: str, says: str, plain: str
) -> None:
    # no timestamps, so durations are not derived or compared
    text = front_matter(
        BASE_PM,
        started_at=None,
        detected_at=None,
        mitigated_at=None,
        resolved_at=None,
        **{field: raw},
    )
    write(archive_root, P, text)
    line = text.split("\n").index(f"{field}: {raw}") + 1
    archive = load_archive(make_config(archive_root))
    assert archive.postmortems == []
    (error,) = archive.errors
    assert (error.path, error.line, error.field) == (P, line, field)
    assert says in error.message
    assert PLAIN + plain in error.message


@pytest.mark.parametrize(
    ("raw", "value"),
    [("12", 12), ("12.5", 12.5), ("0", 0), ("0.25", 0.25), ("1.5e+1", 15.0), ("+7", 7)],
)
def test_plain_numbers_still_read(
    archive_root: Path, make_config: MAKE, raw: str, value: float
) -> None:
    write(archive_root, P, front_matter(BASE_PM, customer_impact_pct=raw))
    (record,) = load_archive(make_config(archive_root)).postmortems
    assert record.customer_impact_pct == value


def test_numbers_beyond_exact_range_are_refused(archive_root: Path, make_config: MAKE) -> None:
    write(archive_root, P, front_matter(BASE_PM, revenue_impact_usd="9007199254740993"))
    (error,) = errors_of(make_config(archive_root))
    assert error == (
        f"{P}:17: error: revenue_impact_usd: 9007199254740993 is larger than "
        "9007199254740991, the largest number kept exactly"
    )


def test_ten_thousand_digits_are_refused_without_a_traceback(
    archive_root: Path, make_config: MAKE
) -> None:
    write(archive_root, P, front_matter(BASE_PM, revenue_impact_usd="9" * 10_000))
    (error,) = errors_of(make_config(archive_root))
    assert "has more digits than any number here may have" in error
    assert len(error) < 300


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"title": "0x3"},
            f"{P}:3: error: title: expected text; YAML reads the unquoted 0x3 as the integer 3: "
            'quote it: "0x3"',
        ),
        (
            {"teams": "[.nan]"},
            f"{P}:14: error: teams: expected text; YAML reads the unquoted .nan as the number nan: "
            'quote it: ".nan"',
        ),
    ],
)
def test_text_fields_say_quote_it(
    archive_root: Path, make_config: MAKE, changes: dict[str, str], expected: str
) -> None:
    write(archive_root, P, front_matter(BASE_PM, **changes))
    assert errors_of(make_config(archive_root)) == [expected]


@pytest.mark.parametrize("raw", [".nan", "[1, .inf]", "{cost: 0x10}", "2026-13-45"])
def test_extra_fields_hold_only_readable_values(
    archive_root: Path, make_config: MAKE, raw: str
) -> None:
    write(archive_root, P, front_matter(BASE_PM, jira=raw))
    archive = load_archive(make_config(archive_root, extra_fields=("jira",)))
    assert archive.postmortems == []
    assert [(d.line, d.field.split(".")[0]) for d in archive.errors] == [(17, "jira")]


def test_taxonomy_numbers_are_plain_too(archive_root: Path, make_config: MAKE) -> None:
    path = archive_root / "taxonomy/severity.yml"
    path.write_text(path.read_text().replace("duration_min: 30", "duration_min: .inf"))
    (error,) = load_archive(make_config(archive_root)).errors
    assert (error.path, error.line, error.field) == (
        "taxonomy/severity.yml",
        10,
        "levels[1].criteria.duration_min",
    )
    assert PLAIN + "1000" in error.message


def test_export_never_writes_nan(archive_root: Path, make_config: MAKE) -> None:
    write(archive_root, P, front_matter(BASE_PM))
    (record,) = load_archive(make_config(archive_root)).postmortems
    assert json.loads(to_json([record]))[0]["customer_impact_pct"] == 12
    broken = dataclasses.replace(record, customer_impact_pct=math.nan)
    for export in (to_json, to_jsonl):
        with pytest.raises(ValueError, match="not JSON compliant"):
            export([broken])


# --- ids ----------------------------------------------------------------------------------

IDS = [
    ("fullwidth digits", "INC-２０２６-05-29-001", "; did you mean 'INC-2026-05-29-001'?"),
    ("arabic-indic digits", "INC-٢٠٢٦-05-29-001", ""),
    ("devanagari digits", "INC-२०२६-05-29-001", ""),
    ("cyrillic letter", "INС-2026-05-29-001", ""),
]


@pytest.mark.parametrize(("record_id", "hint"), [i[1:] for i in IDS], ids=[i[0] for i in IDS])
@pytest.mark.parametrize("pattern", [r"INC-\d{4}-\d{2}-\d{2}-\d{3}", r".+"])
def test_ids_are_ascii_whatever_the_pattern(
    archive_root: Path, make_config: MAKE, record_id: str, hint: str, pattern: str
) -> None:
    # the file is named like the id, so only the ASCII rule can fire
    write(archive_root, f"postmortems/{record_id}.md", front_matter(BASE_PM, id=record_id))
    config = make_config(archive_root, postmortem_id_pattern=pattern)
    assert errors_of(config) == [
        f"postmortems/{record_id}.md:2: error: id: '{record_id}' has characters outside ASCII; "
        f"ids are ASCII only{hint}"
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"postmortem_id_pattern": "INC-("},
        {"nearmiss_id_pattern": "[NM"},
        {"max_body_bytes": 0},
        {"max_body_bytes": "1MB"},
        {"max_nesting": -1},
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        archive_config(tmp_path, options)


# --- links and special files ---------------------------------------------------------------

PASSWD = "root:x:0:0:root:/root:/bin/bash\n"


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the archive root (which is the test's own tmp_path)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    (folder / "passwd").write_text(PASSWD)
    (folder / "INC-2026-05-29-001.md").write_text(front_matter(BASE_PM))
    return folder


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every path the archive opens for reading."""
    seen: list[Path] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object) -> object:
        seen.append(self.resolve())
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", spy)
    yield seen


def link(at: Path, target: Path) -> None:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(target)


LINKS: list[tuple[str, Callable[[Path, Path], None], str, str]] = [
    (
        "record linked to /etc/passwd-like file",
        lambda root, out: link(root / P, out / "passwd"),
        P,
        "is a symbolic link (or inside a linked folder) that leads outside the archive",
    ),
    (
        "valid record linked from outside",
        lambda root, out: link(root / P, out / "INC-2026-05-29-001.md"),
        P,
        "leads outside the archive",
    ),
    (
        "folder of records linked from outside",
        lambda root, out: link(root / "postmortems/2026", out),
        "postmortems/2026",
        "leads outside the archive",
    ),
    (
        "broken link",
        lambda root, out: link(root / P, out / "missing.md"),
        P,
        "is a symbolic link that leads nowhere",
    ),
    (
        "named pipe",
        lambda root, out: os.mkfifo(root / P),
        P,
        "is a named pipe (FIFO), not a regular file; it is not read",
    ),
    (
        "taxonomy file linked from outside",
        lambda root, out: (
            (root / "taxonomy/teams.yml").unlink(),
            link(root / "taxonomy/teams.yml", out / "passwd"),
        ),
        "taxonomy/teams.yml",
        "leads outside the archive",
    ),
]


@pytest.mark.parametrize(
    ("make", "where", "says"), [c[1:] for c in LINKS], ids=[c[0] for c in LINKS]
)
def test_links_out_of_the_archive_and_special_files_are_refused_unread(
    archive_root: Path,
    outside: Path,
    make_config: MAKE,
    opened: list[Path],
    make: Callable[[Path, Path], None],
    where: str,
    says: str,
) -> None:
    make(archive_root, outside)
    archive = load_archive(make_config(archive_root))
    problems = [d for d in archive.errors if d.path == where]
    assert [(d.line, d.field) for d in problems] == [(1, "")]
    assert says in problems[0].message
    text = "\n".join(d.format_text() for d in archive.diagnostics)
    assert "root:x" not in text and str(outside) not in text
    assert not [p for p in opened if p.is_relative_to(outside.resolve())]
    assert not [r for r in archive.records if r.path.startswith("postmortems/2026")]


def test_links_inside_the_archive_are_read(archive_root: Path, make_config: MAKE) -> None:
    write(archive_root, "drafts/INC-2026-05-29-001.md", front_matter(BASE_PM))
    link(archive_root / P, archive_root / "drafts/INC-2026-05-29-001.md")
    archive = load_archive(make_config(archive_root))
    assert archive.diagnostics == []
    assert [r.id for r in archive.postmortems] == ["INC-2026-05-29-001"]


def test_docs_pages_linked_out_of_the_archive_are_refused(
    archive_root: Path, outside: Path, make_config: MAKE, opened: list[Path]
) -> None:
    link(archive_root / "docs/secrets.md", outside / "passwd")
    write(archive_root, "docs/index.md", "# Home\n")
    found = check_doc_pages(archive_root / "docs", archive_root, make_config(archive_root))
    assert [(d.path, d.line) for d in found] == [("docs/secrets.md", 1)]
    assert "leads outside the archive" in found[0].message
    assert not [p for p in opened if p.is_relative_to(outside.resolve())]


# --- body size -----------------------------------------------------------------------------


def test_default_body_cap_is_one_mebibyte(tmp_path: Path) -> None:
    assert archive_config(tmp_path, {}).max_body_bytes == 1024 * 1024
    assert archive_config(tmp_path, {"max_body_bytes": 4096}).max_body_bytes == 4096


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (0, []),
        (1, ["body is {size} bytes; the limit for a record's body is {cap} bytes"]),
    ],
)
def test_a_body_over_the_cap_is_an_error_at_its_first_line(
    archive_root: Path, make_config: MAKE, extra: int, expected: list[str]
) -> None:
    head = front_matter(BASE_NM).split("\n\n", 1)[0] + "\n\n"
    cap = 2000
    write(archive_root, "nearmisses/NM-2026-06-02-001.md", head + "x" * (cap + extra))
    errors = load_archive(make_config(archive_root, max_body_bytes=cap)).errors
    messages = [d.message for d in errors]
    assert [m.split(" (plugin option")[0] for m in messages] == [
        e.format(size=cap + extra, cap=cap) for e in expected
    ]
    if expected:
        assert errors[0].line == head.count("\n") + 1
        assert "max_body_bytes" in messages[0]


def test_a_huge_file_is_refused_without_being_read(
    archive_root: Path, make_config: MAKE, opened: list[Path]
) -> None:
    path = write(archive_root, P, front_matter(BASE_PM))
    with path.open("ab") as handle:
        handle.truncate(50 * 1024 * 1024)  # a sparse 50 MB file
    opened.clear()
    (error,) = load_archive(make_config(archive_root)).errors
    assert (error.path, error.line) == (P, 1)
    assert error.message.startswith(f"file is {50 * 1024 * 1024} bytes; the limit")
    assert "max_body_bytes" in error.message
    assert path.resolve() not in opened
