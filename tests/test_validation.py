"""Every validation case yields exactly the expected located message."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.model.records import NearMiss, PostMortem

from .conftest import BASE_NM, front_matter, write
from .conftest import BASE_PM as SHARED_PM

BASE_PM = SHARED_PM
"""A final SEV-2 that says what ended it; fields the cases add start on line 17."""

P = "postmortems/INC-2026-05-29-001.md"
N = "nearmisses/NM-2026-06-02-001.md"
MAKE = Callable[..., ArchiveConfig]


def lines_of(root: Path, config: ArchiveConfig) -> list[str]:
    return sorted(d.format_text() for d in load_archive(config).diagnostics)


PM_CASES: list[tuple[str, dict[str, str | None], list[str]]] = [
    ("clean", {}, []),
    (
        "misspelt cause class",
        {"cause_class": "[cache-stampeed]"},
        [
            f"{P}:11: error: cause_class: unknown cause class 'cache-stampeed'; "
            "did you mean 'cache-stampede'?"
        ],
    ),
    (
        "misspelt field name",
        {"cause_class": None, "cause_clas": "[cache-stampede]"},
        [
            f"{P}:1: error: cause_class: required field 'cause_class' is missing "
            "(Cause classes from taxonomy/classes.yml; at least one)",
            f"{P}:16: error: cause_clas: unknown field 'cause_clas'; did you mean 'cause_class'? "
            "(declare extra fields in the plugin's extra_fields option)",
        ],
    ),
    (
        "alias of a class",
        {"cause_class": "[thundering-herd]"},
        [
            f"{P}:11: notice: cause_class: 'thundering-herd' is an old name of cause class "
            "'cache-stampede' and is counted as 'cache-stampede'"
        ],
    ),
    (
        "alias misspelt points at the current name",
        {"contributing_factors": "[no-dedupe]"},
        [
            f"{P}:17: error: contributing_factors: unknown contributing factor 'no-dedupe'; "
            "did you mean 'no-coalescing'?"
        ],
    ),
    (
        "unknown team without a close match lists the known ones",
        {"teams": "[zzz]"},
        [f"{P}:14: error: teams: unknown team 'zzz' (known: 'checkout', 'pricing', 'sre')"],
    ),
    (
        "wrong type",
        {"sev": "high"},
        [f"{P}:5: error: sev: expected a whole number, got the text 'high'"],
    ),
    (
        "sev outside the ladder",
        {"sev": "7"},
        [
            f"{P}:5: error: sev: SEV 7 is not on the severity ladder (levels: 1, 2, 3); "
            "did you mean 3?"
        ],
    ),
    (
        "impossible date",
        {"date": "2026-13-45"},
        [f"{P}:6: error: date: invalid date '2026-13-45': month must be in 1..12"],
    ),
    (
        "date in the future",
        {"date": "2027-01-05"},
        [f"{P}:6: error: date: 2027-01-05 is in the future (today is 2026-11-24)"],
    ),
    (
        "resolved before mitigated",
        {"resolved_at": "2026-05-29T14:00:00Z"},
        [
            f"{P}:10: error: resolved_at: resolved_at 2026-05-29T14:00:00Z is before mitigated_at "
            "2026-05-29T14:11:00Z; the order is started <= detected <= mitigated <= resolved"
        ],
    ),
    (
        "timestamp without a zone",
        {"started_at": "2026-05-29T14:05:00"},
        [
            f"{P}:7: error: started_at: timestamp '2026-05-29T14:05:00' has no time zone; "
            "add Z for UTC or an offset such as +02:00"
        ],
    ),
    (
        "id pattern and file name",
        {"id": "INC-42"},
        [
            f"{P}:2: error: id: 'INC-42' does not match the id pattern INC-\\d{{4}}-\\d{{2}}-"
            "\\d{2}-\\d{3}",
            f"{P}:2: error: id: id 'INC-42' differs from the file name 'INC-2026-05-29-001.md'; "
            "rename the file to 'INC-42.md' or set id: INC-2026-05-29-001",
        ],
    ),
    (
        "impact percentage above 100",
        {"customer_impact_pct": "140"},
        [f"{P}:13: error: customer_impact_pct: 140 is above the maximum 100"],
    ),
    (
        "negative revenue",
        {"revenue_impact_usd": "-5"},
        [f"{P}:17: error: revenue_impact_usd: -5 is below the minimum 0"],
    ),
    (
        "near-miss field on a post-mortem",
        {"caught_by": "luck"},
        [
            f"{P}:17: error: caught_by: 'caught_by' is a near-miss field; a post-mortem does not "
            "carry it (is the file in the wrong folder?)"
        ],
    ),
    (
        "yes/no read as a boolean",
        {"title": "no"},
        [
            f"{P}:3: error: title: expected text; YAML reads the unquoted no as boolean false: "
            'quote it: "no"'
        ],
    ),
    (
        "octal read as a number",
        {"priority": "0755"},
        [
            f"{P}:17: error: priority: expected text; YAML reads the unquoted 0755 as the integer "
            '493: quote it: "0755"'
        ],
    ),
    (
        "base-60 read as a number",
        {"mttd_seconds": "1:20"},
        [
            f"{P}:17: error: mttd_seconds: YAML 1.1 reads 1:20 as a base-60 number (80); "
            "write a plain number, e.g. 80, or quote it if it is text"
        ],
    ),
    (
        "explicit duration disagrees with the timestamps",
        {"duration_min": "10"},
        [
            f"{P}:17: error: duration_min: duration_min is 10 but mitigated_at - started_at is 6 "
            "minutes; fix the number or the timestamps (or drop duration_min: it is derived)"
        ],
    ),
    (
        "anchor refused",
        {"summary": "&s hello"},
        [
            f"{P}:17: error: YAML anchor '&s' is not allowed in front-matter; "
            "write values out in full"
        ],
    ),
    (
        "language tag refused",
        {"summary": "!!python/object:os.system x"},
        [
            f"{P}:17: error: YAML tag '!!python/object:os.system' is not allowed; "
            "front-matter holds plain data only"
        ],
    ),
    (
        "missing required field names the choices",
        {"status": None},
        [
            f"{P}:1: error: status: required field 'status' is missing "
            "(one of 'draft', 'final', 'review')"
        ],
    ),
    (
        "action item with a misspelt key and kind",
        {"action_items": "[{id: AI-1, title: Coalesce, status: open, kind: prevnt, ownr: sre}]"},
        [
            f"{P}:17: error: action_items[0].kind: 'prevnt' is not one of 'detect', "
            "'investigate', 'prevent', 'recover'; did you mean 'prevent'?",
            f"{P}:17: error: action_items[0].ownr: unknown field 'ownr'; did you mean 'owner'? "
            "(allowed: 'done', 'due', 'id', 'kind', 'owner', 'status', 'ticket', 'title')",
        ],
    ),
    (
        "short-form counts disagree with the list",
        {
            "action_items": "[{id: AI-1, title: Coalesce, status: open, kind: prevent}]",
            "action_items_open": "3",
        },
        [
            f"{P}:18: error: action_items_open: action_items_open is 3 but the action_items list "
            "has 1; drop the count (it is derived from the list) or fix it"
        ],
    ),
    (
        "unclosed flow sequence is a YAML error on its own line",
        {"teams": "[checkout, pricing"},
        [
            f"{P}:15: error: invalid YAML: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence)"
        ],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [c[1:] for c in PM_CASES], ids=[c[0] for c in PM_CASES]
)
def test_postmortem_cases(
    archive_root: Path, make_config: MAKE, changes: dict[str, str | None], expected: list[str]
) -> None:
    write(archive_root, P, front_matter(BASE_PM, **changes))
    assert lines_of(archive_root, make_config(archive_root)) == sorted(expected)


def test_duplicate_key_is_reported_with_both_lines(archive_root: Path, make_config: MAKE) -> None:
    text = front_matter(BASE_PM).replace("status: final\n", "status: final\ntitle: Another\n")
    write(archive_root, P, text)
    assert lines_of(archive_root, make_config(archive_root)) == [
        f"{P}:5: error: title: duplicate key 'title' (first on line 3); "
        "YAML would silently keep only the last one"
    ]


NM_CASES: list[tuple[str, dict[str, str | None], list[str]]] = [
    ("clean", {}, []),
    (
        "post-mortem field on a near-miss",
        {"sev": "2"},
        [
            f"{N}:9: error: sev: 'sev' is a post-mortem field; a near-miss does not carry it "
            "(is the file in the wrong folder?)"
        ],
    ),
    (
        "caught_by outside its choices",
        {"caught_by": "lcuk"},
        [
            f"{N}:6: error: caught_by: 'lcuk' is not one of 'defense', 'luck', 'person'; "
            "did you mean 'luck'?"
        ],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [c[1:] for c in NM_CASES], ids=[c[0] for c in NM_CASES]
)
def test_nearmiss_cases(
    archive_root: Path, make_config: MAKE, changes: dict[str, str | None], expected: list[str]
) -> None:
    write(archive_root, N, front_matter(BASE_NM, **changes))
    assert lines_of(archive_root, make_config(archive_root)) == sorted(expected)


GOOD = front_matter(BASE_PM)
FILE_CASES: list[tuple[str, bytes, list[str]]] = [
    (
        "not UTF-8",
        GOOD.replace("Checkout errors", "Caf\x00").encode().replace(b"\x00", b"\xe9"),
        [f"{P}:3: error: not valid UTF-8: byte 0xe9 at offset 37; save the file as UTF-8"],
    ),
    (
        "NUL byte",
        GOOD.replace("final", "fin\x00al").encode(),
        [f"{P}:4: error: contains a NUL byte; is this a binary file?"],
    ),
    (
        "no front-matter",
        b"# Checkout errors\n\nText.\n",
        [
            f"{P}:1: error: missing front-matter: the file must start with a '---' line "
            "(found '# Checkout errors')"
        ],
    ),
    (
        "front-matter never closed",
        b"---\nid: INC-2026-05-29-001\ntitle: x\n",
        [f"{P}:1: error: front-matter opened on line 1 is never closed by a '---' line"],
    ),
    (
        "brackets nested 40,000 deep are refused before parsing",
        b"---\nid: INC-2026-05-29-001\nsummary: " + b"[" * 40_000 + b"\n---\n",
        [f"{P}:3: error: front-matter is nested more than 32 levels deep"],
    ),
    (
        "oversized front-matter",
        b"---\nid: INC-2026-05-29-001\nsummary: " + b"x" * 70_000 + b"\n---\n",
        [f"{P}:1: error: front-matter is 70034 bytes; the limit is 65536"],
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_file_level_cases(
    archive_root: Path, make_config: MAKE, data: bytes, expected: list[str]
) -> None:
    write(archive_root, P, data)
    assert lines_of(archive_root, make_config(archive_root)) == expected


def test_bom_and_crlf_read_exactly_like_plain_utf8(archive_root: Path, make_config: MAKE) -> None:
    write(archive_root, P, GOOD)
    plain = load_archive(make_config(archive_root))
    write(archive_root, P, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    windows = load_archive(make_config(archive_root))
    assert windows.diagnostics == [] == plain.diagnostics
    assert windows.postmortems == plain.postmortems
    assert windows.postmortems[0].body == plain.postmortems[0].body


def test_every_broken_file_is_reported_in_one_run(archive_root: Path, make_config: MAKE) -> None:
    broken = {
        "INC-2026-01-01-001": {"cause_class": "[cache-stampeed]"},
        "INC-2026-01-02-001": {"sev": "9"},
        "INC-2026-01-03-001": {"title": "yes"},
        "INC-2026-01-04-001": {"detection": "pager"},
    }
    for stem, changes in broken.items():
        day = stem[4:14]
        write(
            archive_root,
            f"postmortems/{stem}.md",
            front_matter(
                BASE_PM,
                id=stem,
                date=day,
                started_at=None,
                detected_at=None,
                mitigated_at=None,
                resolved_at=None,
                **changes,
            ),
        )
    write(archive_root, N, front_matter(BASE_NM, kind="nearmiss"))
    found = load_archive(make_config(archive_root)).errors
    assert sorted({d.path for d in found}) == sorted(
        [f"postmortems/{stem}.md" for stem in broken] + [N]
    )
    assert len(found) == 5


def test_duplicate_ids_and_unknown_related(archive_root: Path, make_config: MAKE) -> None:
    nested = "postmortems/2026/INC-2026-05-29-001.md"
    write(archive_root, P, front_matter(BASE_PM))
    write(archive_root, nested, front_matter(BASE_PM, related="[INC-2026-05-29-002]"))
    assert lines_of(archive_root, make_config(archive_root)) == [
        f"{nested}:17: error: related: unknown record id 'INC-2026-05-29-002'; "
        "did you mean 'INC-2026-05-29-001'?",
        f"{P}:2: error: id: id 'INC-2026-05-29-001' is already used by {nested}; "
        "ids are never reused",
    ]


def test_records_are_typed_and_fail_closed(archive_root: Path, make_config: MAKE) -> None:
    write(archive_root, P, front_matter(BASE_PM, cause_class="[thundering-herd, retry-storm]"))
    write(archive_root, N, front_matter(BASE_NM, visibility="public"))
    archive = load_archive(make_config(archive_root))
    (pm,) = archive.postmortems
    (nm,) = archive.nearmisses
    assert isinstance(pm, PostMortem) and isinstance(nm, NearMiss)
    assert pm.visibility == "internal"  # no visibility: internal, never public
    assert nm.visibility == "public"
    assert pm.cause_class == ("cache-stampede", "retry-storm")  # alias resolved
    assert (pm.duration_min, pm.mttd_seconds, pm.mttr_seconds) == (6, 60, 420)
    assert pm.url == "postmortems/inc-2026-05-29-001/"


def test_extra_fields_only_when_declared(archive_root: Path, make_config: MAKE) -> None:
    write(archive_root, P, front_matter(BASE_PM, jira="OPS-12"))
    assert lines_of(archive_root, make_config(archive_root))[0].startswith(
        f"{P}:17: error: jira: unknown field 'jira'"
    )
    archive = load_archive(make_config(archive_root, extra_fields=("jira",)))
    assert archive.diagnostics == []
    assert archive.postmortems[0].extra == {"jira": "OPS-12"}


def test_validation_never_modifies_files(archive_root: Path, make_config: MAKE) -> None:
    paths = [
        write(archive_root, P, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()),
        write(archive_root, N, front_matter(BASE_NM, sev="1")),
    ]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    load_archive(make_config(archive_root))
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths} == before


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"title": "Outage #42 in checkout"},
            [
                f"{P}:3: warning: title: the text after ' #' was read as a YAML comment; "
                'quote the value: title: "Outage #42 in checkout"'
            ],
        ),
        (
            {"trigger": "Config push #7 to every region"},
            [
                f"{P}:17: warning: trigger: the text after ' #' was read as a YAML comment; "
                'quote the value: trigger: "Config push #7 to every region"'
            ],
        ),
        ({"title": '"Outage #42 in checkout"'}, []),
        ({"sev": "2  # was 3 before the review"}, []),
        ({"date": "2026-05-29 # the day it started"}, []),
    ],
)
def test_an_unquoted_hash_in_text_is_a_located_warning(
    archive_root: Path, make_config: MAKE, changes: dict[str, str], expected: list[str]
) -> None:
    write(archive_root, P, front_matter(BASE_PM, **changes))
    found = [line for line in lines_of(archive_root, make_config(archive_root)) if "' #'" in line]
    assert found == expected
