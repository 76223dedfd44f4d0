"""The static host's search: Pagefind over the audience's record pages, records kept out of
Material's in-browser index, and a Pagefind failure that stops the build with one line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort, PluginError

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.model.records import AnyRecord
from pmarchive.site.static_search import (
    StaticSearchError,
    annotate_page,
    index_markup,
    one_line,
    record_filters,
    record_glob,
    record_meta,
)

from .conftest import (
    BASE_PM,
    RESTRICTED_ID,
    SECRET_TITLE,
    front_matter,
    write,
    write_mixed_archive,
)
from .sites import build_site

PUBLIC_YML = """\
site_name: Tiny archive
theme:
  name: material
  font: false
plugins:
  - search
  - postmortems:
      today: "2026-11-24"
      audience: {audience}
nav:
  - Home: index.md
"""


@pytest.fixture
def mixed(archive_root: Path) -> Path:
    """A public post-mortem, a restricted one and an internal near-miss."""
    return write_mixed_archive(archive_root)


def records(root: Path) -> dict[str, AnyRecord]:
    archive = load_archive(ArchiveConfig(root=root))
    assert archive.errors == []
    return {record.id: record for record in archive.records}


def pagefind_text(site: Path) -> str:
    """Everything in the Pagefind bundle's data files, decompressed (they are gzip)."""
    parts = []
    for path in sorted((site / "pagefind").rglob("*")):
        if path.is_file() and (path.suffix.startswith(".pf_") or path.suffix == ".json"):
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def fragments(site: Path) -> dict[str, dict[str, object]]:
    """Each indexed page's fragment (url, content, filters, meta), by URL."""
    found = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        fragment = json.loads(data[len(b"pagefind_dcd") :])
        found[fragment["url"]] = fragment
    return found


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (("postmortems", "nearmisses"), "{postmortems,nearmisses}/**/*.html"),
        (("postmortems",), "postmortems/**/*.html"),
    ],
)
def test_record_glob(sections: tuple[str, ...], expected: str) -> None:
    assert record_glob(sections) == expected


def test_record_glob_needs_a_section() -> None:
    with pytest.raises(ValueError, match="no record sections"):
        record_glob(())


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (Exception("Bad request\n  at line 2", '{"message_id": 3, "payload": "..."}'),
         "Bad request at line 2"),
        (FileNotFoundError(2, "No such file or directory"),
         "[Errno 2] No such file or directory"),
        (ConnectionResetError("Connection lost"), "Connection lost"),
        (RuntimeError(), "RuntimeError"),
    ],
)  # fmt: skip
def test_one_line(exc: Exception, expected: str) -> None:
    assert one_line(exc) == expected


@pytest.mark.parametrize(
    ("record_id", "filters", "meta"),
    [
        (
            "INC-2026-05-29-001",
            {"class": ["cache-stampede"], "sev": ["2"], "team": ["checkout", "pricing"],
             "kind": ["postmortem"], "year": ["2026"]},
            {"title": "Checkout errors after pricing cache flush", "id": "INC-2026-05-29-001",
             "date": "2026-05-29", "kind": "postmortem", "sev": "2"},
        ),
        (
            "NM-2026-06-02-001",
            {"class": ["config-blast-radius"], "team": ["sre"], "kind": ["near-miss"],
             "year": ["2026"]},
            {"title": "Config push to every region stopped by review", "id": "NM-2026-06-02-001",
             "date": "2026-06-02", "kind": "near-miss"},
        ),
    ],
)  # fmt: skip
def test_filters_and_meta_of_a_record(
    mixed: Path, record_id: str, filters: dict[str, list[str]], meta: dict[str, str]
) -> None:
    record = records(mixed)[record_id]
    assert record_filters(record) == filters
    assert record_meta(record) == meta


@pytest.mark.parametrize(
    ("title", "escaped"),
    [
        ('"><img src=x onerror=alert(1)>', "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        ("a, b: c", "a, b: c"),  # commas and colons are data in data-pm, not Pagefind syntax
        ("it's <b>", "it&#x27;s &lt;b&gt;"),
    ],
)
def test_index_markup_escapes_every_value(mixed: Path, title: str, escaped: str) -> None:
    write(mixed, "postmortems/INC-2026-05-29-001.md",
          front_matter(BASE_PM, title=json.dumps(title)))  # fmt: skip
    markup = index_markup(records(mixed)["INC-2026-05-29-001"])
    assert f'data-pagefind-meta="title[data-pm]" data-pm="{escaped}"' in markup
    assert "<img" not in markup and "<b>" not in markup


@pytest.mark.parametrize(
    "page",
    [
        '<html><body><nav>menu</nav><article class="md-content__inner md-typeset">'
        "<h1>T</h1></article></body></html>",
        '<article class="md-content__inner md-typeset" dir="ltr"><p>x</p></article>',
    ],
)
def test_annotate_page_marks_the_content_and_adds_the_fields(mixed: Path, page: str) -> None:
    record = records(mixed)["INC-2026-05-29-001"]
    annotated = annotate_page(page, record)
    head, _, rest = annotated.partition(" data-pagefind-body>")
    assert head.endswith('class="md-content__inner md-typeset"') or head.endswith('dir="ltr"')
    assert rest.startswith(index_markup(record))
    assert annotated.count("data-pagefind-body") == 1


def test_annotate_page_refuses_a_page_without_material_content(mixed: Path) -> None:
    with pytest.raises(StaticSearchError, match="INC-2026-05-29-001"):
        annotate_page("<html><body><p>not Material</p></body></html>",
                      records(mixed)["INC-2026-05-29-001"])  # fmt: skip


@pytest.mark.parametrize(
    ("audience", "present", "absent"),
    [
        ("public", ["INC-2026-05-29-001"], [RESTRICTED_ID, "NM-2026-06-02-001"]),
        ("internal", ["INC-2026-05-29-001", "NM-2026-06-02-001"], [RESTRICTED_ID]),
    ],
)
def test_pagefind_index_holds_exactly_the_audiences_records(
    mixed: Path, audience: str, present: list[str], absent: list[str]
) -> None:
    site = build_site(mixed, PUBLIC_YML.format(audience=audience))
    found = fragments(site)
    assert sorted(f["meta"]["id"] for f in found.values()) == sorted(present)  # type: ignore[index]
    text = pagefind_text(site)
    for needle in [*absent, *(a.lower() for a in absent)]:
        assert needle not in text, needle
    if RESTRICTED_ID in absent:
        assert SECRET_TITLE not in text and "zanzibar" not in text.lower()


def test_pagefind_fragments_carry_the_facets_and_no_theme_chrome(mixed: Path) -> None:
    site = build_site(mixed, PUBLIC_YML.format(audience="internal"))
    fragment = fragments(site)["/postmortems/inc-2026-05-29-001/"]
    assert fragment["filters"] == {
        "class": ["cache-stampede"], "kind": ["postmortem"], "sev": ["2"],
        "team": ["checkout", "pricing"], "year": ["2026"],
    }  # fmt: skip
    assert fragment["meta"]["date"] == "2026-05-29"  # type: ignore[index]
    content = str(fragment["content"])
    assert "Twelve percent of checkouts failed" in content
    assert "Tiny archive" not in content  # Material's header and navigation stay out


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_material_search_index_holds_no_record_page(mixed: Path, audience: str) -> None:
    site = build_site(mixed, PUBLIC_YML.format(audience=audience))
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    locations = [doc["location"] for doc in docs]
    assert locations, "Material's index holds the site's other pages"
    assert [loc for loc in locations if loc.startswith(("postmortems/", "nearmisses/"))] == []
    # index pages list records by id and title; a record's own text is in no page of the index
    assert "Twelve percent of checkouts failed" not in json.dumps(docs)
    # nor are the per-key listings (they grow with the archive); the overviews stay findable
    keyed = ("classes/", "factors/", "teams/", "services/", "alerts/", "gaps/", "sev/", "quarters/")
    pages = {loc.split("#")[0] for loc in locations}
    assert [p for p in pages if p.startswith(keyed) and p.count("/") > 1] == []
    assert {"classes/", "teams/", "alerts/"} <= pages
    # nor the quarterly reviews, which list every record of their quarter (/reviews/ stays)
    assert [p for p in pages if p.startswith("reviews/") and p != "reviews/"] == []
    assert "reviews/" in pages


@pytest.mark.parametrize(("switch", "written"), [(True, True), (False, False)])
def test_the_static_index_is_switchable(
    mixed: Path, monkeypatch: pytest.MonkeyPatch, switch: bool, written: bool
) -> None:
    yml = PUBLIC_YML.format(audience="internal")
    option = f"static_search: {str(switch).lower()}"
    yml = yml.replace("audience: internal", f"audience: internal\n      {option}")
    assert option in yml
    site = build_site(mixed, yml)
    assert (site / "pagefind" / "pagefind.js").is_file() is written


@pytest.mark.parametrize(
    ("binary", "message"),
    [
        ("missing", ("No such file or directory",)),
        # which of the two a crash gives depends on when the client notices the exit
        ("crashes", ("Connection lost", "stopped answering")),
    ],
)
def test_a_pagefind_failure_stops_the_build_with_one_line(
    mixed: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    binary: str,
    message: tuple[str, ...],
) -> None:
    path = tmp_path / "bin" / "pagefind"
    if binary == "crashes":
        write(tmp_path, "bin/pagefind", "#!/bin/sh\necho 'something broke'\nexit 3\n")
        path.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(path))
    with pytest.raises((PluginError, Abort)):
        build_site(mixed, PUBLIC_YML.format(audience="internal"))
    lines = [r.getMessage() for r in caplog.records if "static search index" in r.getMessage()]
    assert len(lines) == 1, caplog.text
    assert lines[0].startswith("static search index: ")
    assert any(part in lines[0] for part in message) and "\n" not in lines[0]
