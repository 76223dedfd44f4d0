"""The static host's search: Pagefind over the audience's record pages, in shards, records kept
out of Material's in-browser index, and a Pagefind failure that stops the build with one line."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import itertools
import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort, PluginError

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.model.records import AnyRecord
from pmarchive.site import static_search
from pmarchive.site.static_search import (
    MANIFEST,
    STAGING_DIR,
    StaticIndexStats,
    StaticSearchError,
    annotate_page,
    build_static_index,
    index_markup,
    one_line,
    record_filters,
    record_glob,
    record_meta,
    shard_folder,
    shards_of,
)

from .conftest import (
    BASE_NM,
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
    """Everything in the data files of every shard's bundle, decompressed (they are gzip)."""
    parts = []
    paths = [p for folder in ("pagefind", "pagefind-shards") for p in (site / folder).rglob("*")]
    for path in sorted(paths):
        if path.is_file() and (path.suffix.startswith(".pf_") or path.suffix == ".json"):
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def shard_folders(site: Path) -> list[str]:
    """The site-relative folders of the index's shards: the first, then those its manifest
    lists for search.js to merge."""
    manifest = json.loads((site / "pagefind" / MANIFEST).read_text(encoding="utf-8"))
    return ["pagefind/", *manifest["shards"]]


def folder_fragments(folder: Path) -> dict[str, dict[str, object]]:
    """Each page's fragment (url, content, filters, meta) in one shard's folder, by URL."""
    found = {}
    for path in (folder / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        fragment = json.loads(data[len(b"pagefind_dcd") :])
        found[fragment["url"]] = fragment
    return found


def shard_fragments(site: Path) -> list[dict[str, dict[str, object]]]:
    """Each shard's fragments, in the manifest's order (the first shard first)."""
    return [folder_fragments(site / folder) for folder in shard_folders(site)]


def fragments(site: Path) -> dict[str, dict[str, object]]:
    """Every indexed page's fragment over all shards, by URL; a page in two shards fails."""
    found: dict[str, dict[str, object]] = {}
    for shard in shard_fragments(site):
        assert not found.keys() & shard.keys(), "a page in two shards"
        found.update(shard)
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


@pytest.mark.parametrize(
    "page",
    [
        '<article class="md-content__inner md-typeset"><div class="pm-header"><h1>T</h1></div>'
        "<p>body</p></article>",
        '<article class="md-content__inner md-typeset" dir="ltr"><p>x</p></article>',
    ],
)
def test_a_page_annotated_before_is_annotated_once(mixed: Path, page: str) -> None:
    """A --dirty build keeps pages it did not render, annotated by the build before: annotating
    again gives the page as annotated once, with the record's current values."""
    record = records(mixed)["INC-2026-05-29-001"]
    once = annotate_page(page, record)
    assert annotate_page(once, record) == once
    changed = dataclasses.replace(record, title='Renamed, with a "quote"', sev=3)
    assert annotate_page(once, changed) == annotate_page(page, changed)
    assert "Renamed" in annotate_page(once, changed)


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


# --- shards ------------------------------------------------------------------------------------
def write_public_postmortems(root: Path, count: int) -> list[str]:
    """``count`` more public post-mortems (one a day from 2026-04-01, SEV 1 to 3 in turn); their
    ids. The mixed archive's near-miss is ``NM-...`` and sorts into the first shard."""
    ids = []
    for day in range(1, count + 1):
        record_id = f"INC-2026-04-{day:02d}-001"
        write(root, f"postmortems/{record_id}.md", front_matter(
            BASE_PM, id=record_id, date=f"2026-04-{day:02d}", sev=str(day % 3 + 1),
            title=f"Pricing outage number {day}", visibility="public", started_at=None,
            detected_at=None, mitigated_at=None, resolved_at=None,
        ))  # fmt: skip
        ids.append(record_id)
    return ids


def fake_site(site: Path, chosen: list[AnyRecord]) -> list[tuple[Path, AnyRecord]]:
    """A built page for each record, as bare as Pagefind and ``annotate_page`` allow."""
    pages = []
    for record in chosen:
        path = write(site, f"{record.url}index.html", (
            f'<!doctype html><html lang="en"><head><title>{record.id}</title></head><body>'
            f'<article class="md-content__inner md-typeset"><h1>{record.title}</h1>'
            f"<p>Findings of {record.id}.</p></article></body></html>"
        ))  # fmt: skip
        pages.append((path, record))
    return pages


@pytest.mark.parametrize(
    ("count", "size", "lengths"),
    [(7, 3, [3, 3, 1]), (6, 3, [3, 3]), (2, 3, [2]), (3, 1, [1, 1, 1]), (0, 3, [0])],
)
def test_shards_of_cuts_in_a_stable_order(
    archive_root: Path, count: int, size: int, lengths: list[int]
) -> None:
    write_public_postmortems(archive_root, max(0, count - 1))
    if count:
        write(archive_root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    chosen = list(records(archive_root).values())
    pages = [(Path(record.url), record) for record in chosen]
    shards = shards_of(pages, size)
    assert [len(shard) for shard in shards] == lengths
    order = [record.id for shard in shards for _, record in shard]
    assert order == [r.id for r in sorted(chosen, key=lambda r: (r.section, r.id))]
    assert shards_of(list(reversed(pages)), size) == shards  # the input's order is no matter


@pytest.mark.parametrize("size", [0, -2])
def test_a_shard_holds_a_page(size: int) -> None:
    with pytest.raises(ValueError, match="at least one page"):
        shards_of([], size)


@pytest.mark.parametrize(
    ("number", "folder"), [(0, "pagefind"), (1, "pagefind-shards/1"), (12, "pagefind-shards/12")]
)
def test_shard_folders_are_no_prefix_of_the_first(number: int, folder: str) -> None:
    assert shard_folder(number) == folder
    # Pagefind's mergeIndex skips an index whose path starts the primary's basePath
    assert number == 0 or not "/pagefind/".startswith(f"/{folder}/")


@pytest.mark.parametrize(("shards", "text"), [(1, "in 1 shard,"), (3, "in 3 shards,")])
def test_stats_name_the_shards(shards: int, text: str) -> None:
    stats = StaticIndexStats(pages=7, files=40, bytes=12345, shards=shards)
    assert str(stats) == f"7 record pages {text} 40 files, 12,345 bytes"


@pytest.mark.parametrize(
    ("audience", "extra", "size", "lengths"),
    [
        ("internal", 5, 3, [3, 3, 1]),  # the near-miss, the first post-mortems, ...
        ("public", 5, 3, [3, 3]),  # the near-miss and the restricted one are in no shard
        ("public", 5, 2000, [6]),  # the default: one index, a manifest listing no shard
    ],
)
def test_a_build_writes_shards_and_a_manifest(
    mixed: Path,
    monkeypatch: pytest.MonkeyPatch,
    audience: str,
    extra: int,
    size: int,
    lengths: list[int],
) -> None:
    write_public_postmortems(mixed, extra)
    monkeypatch.setattr(static_search, "SHARD_PAGES", size)
    site = build_site(mixed, PUBLIC_YML.format(audience=audience))
    folders = [f"pagefind-shards/{n}/" for n in range(1, len(lengths))]
    assert shard_folders(site) == ["pagefind/", *folders]
    shards = shard_fragments(site)
    assert [len(shard) for shard in shards] == lengths
    ids = [str(f["meta"]["id"]) for shard in shards for f in shard.values()]  # type: ignore[index]
    wider = {"public": {"public"}, "internal": {"public", "internal"}}[audience]
    expected = sorted(r.id for r in records(mixed).values() if r.visibility in wider)
    assert sorted(ids) == expected and len(ids) == len(set(ids))
    # stable order: each shard's ids come after the previous shard's (section, then id)
    firsts = [sorted(str(f["meta"]["id"]) for f in shard.values()) for shard in shards]  # type: ignore[index]
    keys = [
        [("nearmisses" if i.startswith("NM-") else "postmortems", i) for i in s] for s in firsts
    ]
    assert all(max(a) < min(b) for a, b in itertools.pairwise(keys))
    text = pagefind_text(site)
    assert RESTRICTED_ID not in text and SECRET_TITLE not in text
    if audience == "public":
        assert "NM-2026-06-02-001" not in text
    # the merged shards hold their data only: search.js loads the scripts from the first
    assert (site / "pagefind" / "pagefind.js").is_file()
    for folder in folders:
        names = {path.name for path in (site / folder).iterdir()}
        assert {"pagefind-entry.json", "index", "fragment", "filter"} <= names
        assert not [n for n in names if n.endswith((".js", ".css", ".pagefind"))], names
    assert not (site / STAGING_DIR).exists()


def test_a_rebuild_removes_stale_shards(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_public_postmortems(mixed, 5)
    by_id = records(mixed)
    site = tmp_path / "site"
    every = fake_site(site, list(by_id.values()))
    first = build_static_index(site, every, shard_pages=1)
    assert (first.pages, first.shards) == (len(every), len(every))
    assert (site / "pagefind-shards" / str(len(every) - 1)).is_dir()
    write(site, f"{STAGING_DIR}/postmortems/old/index.html", "left by a killed build")
    # the restricted post-mortem and the near-miss are withheld now: their pages are gone
    kept = [r for r in by_id.values() if r.visibility == "public"]
    for path, record in every:
        if record not in kept:
            path.unlink()
    second = build_static_index(site, fake_site(site, kept), shard_pages=4)
    assert (second.pages, second.shards) == (len(kept), 2)
    assert sorted(p.name for p in (site / "pagefind-shards").iterdir()) == ["1"]
    assert not (site / STAGING_DIR).exists()
    text = pagefind_text(site)
    for withheld in (RESTRICTED_ID, "NM-2026-06-02-001", SECRET_TITLE):
        assert withheld not in text
    ids = sorted(str(f["meta"]["id"]) for f in fragments(site).values())  # type: ignore[index]
    assert ids == sorted(r.id for r in kept)
    files, size = 0, 0
    for folder in shard_folders(site):
        found = [p for p in (site / folder).rglob("*") if p.is_file()]
        files, size = files + len(found), size + sum(p.stat().st_size for p in found)
    assert (second.files, second.bytes) == (files, size)


def test_rewrite_runs_in_the_single_pass_and_is_indexed(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_public_postmortems(mixed, 3)
    site = tmp_path / "site"
    pages = fake_site(site, list(records(mixed).values()))
    reads: Counter[Path] = Counter()
    writes: Counter[Path] = Counter()
    read_text, write_text = Path.read_text, Path.write_text

    def counted_read(path: Path, *args: object, **kwargs: object) -> str:
        reads[path] += 1
        return read_text(path, *args, **kwargs)  # type: ignore[arg-type]

    def counted_write(path: Path, *args: object, **kwargs: object) -> int:
        writes[path] += 1
        return write_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counted_read)
    monkeypatch.setattr(Path, "write_text", counted_write)
    seen: list[str] = []

    def rewrite(text: str, record: AnyRecord) -> str:
        seen.append(record.id)
        return text.replace("<p>Findings", f"<p>Quokkas {record.id.lower()} findings")

    stats = build_static_index(site, pages, rewrite=rewrite, shard_pages=2)
    monkeypatch.undo()
    assert sorted(seen) == sorted(record.id for _, record in pages)
    for path, record in pages:
        assert (reads[path], writes[path]) == (1, 1), record.id
        page = path.read_text(encoding="utf-8")
        assert "Quokkas" in page and page.count("data-pagefind-body") == 1
    assert stats.pages == len(pages) and stats.shards == 3
    contents = [str(f["content"]) for f in fragments(site).values()]
    assert len(contents) == len(pages) and all("Quokkas" in c for c in contents)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("elsewhere/x/index.html", "Pagefind indexed 0 of 1 record pages into "),
        ("../outside/index.html", "is not in "),
    ],
)
def test_a_page_pagefind_cannot_index_stops_the_build(
    mixed: Path, tmp_path: Path, where: str, message: str
) -> None:
    record = records(mixed)["INC-2026-05-29-001"]
    site = tmp_path / "site"
    [(page, _)] = fake_site(tmp_path / "staged", [record])
    moved = write(site, where, page.read_text(encoding="utf-8"))
    with pytest.raises(StaticSearchError, match=message) as caught:
        build_static_index(site, [(moved, record)], shard_pages=1)
    assert "\n" not in str(caught.value)
    assert not (site / STAGING_DIR).exists()


# --- the store of built indexes (warm builds) ---------------------------------------------------
PLACEHOLDER = "<!-- pm-similar-{token} -->"


def placeheld_site(
    site: Path, chosen: list[AnyRecord], token: str = "a1", text: str = "Findings"
) -> list[tuple[Path, AnyRecord]]:
    """``fake_site`` with a placeholder comment (random per build) and ``text`` in each page."""
    pages = fake_site(site, chosen)
    for path, _ in pages:
        page = path.read_text(encoding="utf-8").replace("<p>Findings", f"<p>{text}")
        path.write_text(page.replace("</h1>", "</h1>" + PLACEHOLDER.format(token=token)))
    return pages


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The output folder of every Pagefind run, in order."""
    seen: list[Path] = []
    run = static_search._run_pagefind

    def counted(source: Path, output: Path) -> int:
        seen.append(output)
        return run(source, output)

    monkeypatch.setattr(static_search, "_run_pagefind", counted)
    return seen


def index_files(site: Path) -> dict[str, bytes]:
    """Every file of every shard, by site path."""
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for folder in ("pagefind", "pagefind-shards")
        for path in sorted((site / folder).rglob("*"))
        if path.is_file()
    }


def entries(store: Path) -> list[Path]:
    """The store's entries (not a build's temporary folder)."""
    if not store.is_dir():
        return []
    return sorted(p for p in store.iterdir() if not p.name.startswith("."))


def shard_entry(store: Path, folder: str = "pagefind") -> Path:
    """The store's entry of the shard in ``folder`` of the site (the first: ``pagefind``)."""
    [entry] = [p for p in entries(store) if (p / static_search.ENTRY_FILES / folder).is_dir()]
    return entry


@pytest.fixture
def six(mixed: Path) -> list[AnyRecord]:
    """Six records: four public post-mortems, the restricted one, the internal near-miss."""
    write_public_postmortems(mixed, 3)
    return sorted(records(mixed).values(), key=lambda r: r.id)


def test_a_second_build_of_the_same_pages_reuses_the_index(
    six: list[AnyRecord], tmp_path: Path, runs: list[Path]
) -> None:
    store = tmp_path / "store"
    first = build_static_index(tmp_path / "a", placeheld_site(tmp_path / "a", six), None, 2,
                               store=store)  # fmt: skip
    assert (len(runs), first.reused) == (3, False) and len(entries(store)) == 3  # a shard each
    built = index_files(tmp_path / "a")
    second = build_static_index(tmp_path / "b", placeheld_site(tmp_path / "b", six), None, 2,
                                store=store)  # fmt: skip
    assert len(runs) == 3, "Pagefind ran again"
    assert second.reused and "reused" in str(second) and "reused" not in str(first)
    assert (second.pages, second.files, second.bytes, second.shards) == (
        first.pages, first.files, first.bytes, first.shards
    )  # fmt: skip
    assert index_files(tmp_path / "b") == built
    found = fragments(tmp_path / "b")
    assert sorted(str(f["meta"]["id"]) for f in found.values()) == [r.id for r in six]  # type: ignore[index]
    # the pages are annotated on a hit as on a miss
    page = (tmp_path / "b" / six[0].url / "index.html").read_text(encoding="utf-8")
    assert page.count("data-pagefind-body") == 1


def change_text(site: Path, pages: list[tuple[Path, AnyRecord]]) -> list[tuple[Path, AnyRecord]]:
    path, _ = pages[2]
    path.write_text(path.read_text(encoding="utf-8").replace("Findings", "Finding"))
    return pages


def change_title_markup(
    site: Path, pages: list[tuple[Path, AnyRecord]]
) -> list[tuple[Path, AnyRecord]]:
    path, _ = pages[-1]  # outside the indexed text's words but inside the page: still a change
    path.write_text(path.read_text(encoding="utf-8").replace("<h1>", '<h1 id="x">'))
    return pages


@pytest.mark.parametrize(
    ("change", "size"),
    [
        (change_text, 2),
        (change_title_markup, 2),
        (lambda site, pages: pages[:-1], 2),  # a page removed (a record withheld)
        (lambda site, pages: pages[1:], 2),  # the first: every shard moves
        (lambda site, pages: pages, 3),  # the same pages in shards of another size
        (lambda site, pages: pages, 6),  # the same pages in one shard
    ],
    ids=["text", "markup", "removed-last", "removed-first", "shard-size-3", "shard-size-6"],
)
def test_any_change_to_what_pagefind_indexes_rebuilds(
    six: list[AnyRecord],
    tmp_path: Path,
    runs: list[Path],
    change: Callable[[Path, list[tuple[Path, AnyRecord]]], list[tuple[Path, AnyRecord]]],
    size: int,
) -> None:
    store = tmp_path / "store"
    build_static_index(tmp_path / "a", placeheld_site(tmp_path / "a", six), shard_pages=2,
                       store=store)  # fmt: skip
    before = len(runs)
    site = tmp_path / "b"
    pages = change(site, placeheld_site(site, six))
    stats = build_static_index(site, pages, shard_pages=size, store=store)
    assert not stats.reused and len(runs) > before
    ids = sorted(str(f["meta"]["id"]) for f in fragments(site).values())  # type: ignore[index]
    assert ids == sorted(record.id for _, record in pages)


@pytest.mark.parametrize("edited", [0, 2, 5])
def test_an_edit_indexes_only_the_shard_of_that_page(
    six: list[AnyRecord], tmp_path: Path, runs: list[Path], edited: int
) -> None:
    """After one record page changes, Pagefind runs for its shard only (live editing of a large
    archive re-indexes 2,000 pages, not all of them); the index is the whole archive's."""
    store = tmp_path / "store"
    build_static_index(tmp_path / "a", placeheld_site(tmp_path / "a", six), shard_pages=2,
                       store=store)  # fmt: skip
    before = len(runs)
    site = tmp_path / "b"
    pages = placeheld_site(site, six)
    path, _ = pages[edited]
    path.write_text(path.read_text(encoding="utf-8").replace("Findings", "Zeppelin findings"))
    stats = build_static_index(site, pages, shard_pages=2, store=store)
    [number] = [
        n for n, shard in enumerate(shards_of(pages, 2)) if (path, pages[edited][1]) in shard
    ]
    assert runs[before:] == [(site / static_search.shard_folder(number)).resolve()]
    assert (stats.reused_shards, stats.shards, stats.reused) == (2, 3, False)
    assert "2 of them reused" in str(stats)
    ids = sorted(str(f["meta"]["id"]) for f in fragments(site).values())  # type: ignore[index]
    assert ids == [r.id for r in six]
    assert "Zeppelin" in pagefind_text(site)
    manifest = json.loads((site / "pagefind" / static_search.MANIFEST).read_text())
    assert manifest == {"shards": ["pagefind-shards/1/", "pagefind-shards/2/"]}


def test_a_page_added_rebuilds(mixed: Path, tmp_path: Path, runs: list[Path]) -> None:
    write_public_postmortems(mixed, 3)
    chosen = sorted(records(mixed).values(), key=lambda r: r.id)
    store = tmp_path / "store"
    build_static_index(tmp_path / "a", placeheld_site(tmp_path / "a", chosen[:-1]),
                       shard_pages=2, store=store)  # fmt: skip
    stats = build_static_index(tmp_path / "b", placeheld_site(tmp_path / "b", chosen),
                               shard_pages=2, store=store)  # fmt: skip
    assert not stats.reused and stats.pages == len(chosen)
    assert chosen[-1].id in {str(f["meta"]["id"]) for f in fragments(tmp_path / "b").values()}  # type: ignore[index]


@pytest.mark.parametrize(("ignore", "reused"), [("", False), ("pm-similar-", None)])
def test_the_ignored_placeholder_does_not_change_the_digest(
    six: list[AnyRecord], tmp_path: Path, runs: list[Path], ignore: str, reused: bool | None
) -> None:
    """Each build has its own placeholder: passed as ``ignore``, the pages hash the same."""
    store = tmp_path / "store"
    for site, token in ((tmp_path / "a", "3f9c0aa1"), (tmp_path / "b", "77d2e4b0")):
        pages = placeheld_site(site, six, token=token)
        placeholder = PLACEHOLDER.format(token=token) if ignore else ""
        stats = build_static_index(site, pages, shard_pages=4, store=store, ignore=placeholder)
    assert stats.reused is (reused is None)
    assert len(runs) == (2 if reused is None else 4)


@pytest.mark.parametrize("order", ["wider-first", "narrower-first"])
def test_a_narrower_audience_never_reuses_a_wider_index(
    six: list[AnyRecord], tmp_path: Path, runs: list[Path], order: str
) -> None:
    """The withheld records have no page in the narrower build, so their paths are in no digest
    of it: its index is built, and holds none of them, whatever was built before."""
    public = [r for r in six if r.visibility == "public"]
    internal = [r for r in six if r.visibility in ("public", "internal")]
    assert len(public) < len(internal) < len(six)
    store = tmp_path / "store"
    audiences = [six, internal, public] if order == "wider-first" else [public, internal, six]
    for number, chosen in enumerate(audiences):
        site = tmp_path / str(number)
        stats = build_static_index(site, placeheld_site(site, chosen), shard_pages=2, store=store)
        assert not stats.reused
        ids = sorted(str(f["meta"]["id"]) for f in fragments(site).values())  # type: ignore[index]
        assert ids == sorted(r.id for r in chosen)
        text = pagefind_text(site)
        for withheld in set(six) - set(chosen):
            assert withheld.id not in text and withheld.title not in text
    shards = -(-len(audiences[-1]) // 2)
    assert len(entries(store)) <= static_search.STORE_KEEP * shards  # the oldest went


def drop_signature(entry: Path) -> None:
    (entry / static_search.ENTRY_SIGNATURE).unlink()


def edit_a_file(entry: Path) -> None:
    path = next((entry / static_search.ENTRY_FILES / "pagefind" / "fragment").iterdir())
    path.write_bytes(path.read_bytes() + b"\0")  # in place: the same inode the site had


def add_a_file(entry: Path) -> None:
    (entry / static_search.ENTRY_FILES / "pagefind" / "extra.js").write_text("alert(1)")


def remove_a_file(entry: Path) -> None:
    (entry / static_search.ENTRY_FILES / "pagefind" / "pagefind.js").unlink()


def symlink_a_file(entry: Path) -> None:
    """The same bytes, through a symlink: only the symlink check refuses it."""
    path = entry / static_search.ENTRY_FILES / "pagefind" / "pagefind.js"
    outside = entry.parent.parent / "outside.js"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)


def symlink_a_folder(entry: Path) -> None:
    folder = entry / static_search.ENTRY_FILES / "pagefind" / "fragment"
    outside = entry.parent.parent / "outside"
    folder.rename(outside)
    folder.symlink_to(outside, target_is_directory=True)


def forge_manifest(entry: Path) -> None:
    """A manifest naming an extra file with its right hash, the old signature kept."""
    manifest = entry / static_search.ENTRY_MANIFEST
    data = json.loads(manifest.read_bytes())
    add_a_file(entry)
    data["files"].append(["pagefind/extra.js", hashlib.sha256(b"alert(1)").hexdigest()])
    manifest.write_text(json.dumps(data))


def symlink_the_entry(entry: Path) -> None:
    outside = entry.parent.parent / "elsewhere"
    entry.rename(outside)
    entry.symlink_to(outside, target_is_directory=True)


@pytest.mark.parametrize(
    "forge",
    [drop_signature, edit_a_file, add_a_file, remove_a_file, symlink_a_file, symlink_a_folder,
     forge_manifest, symlink_the_entry, "wrong-key"],
)  # fmt: skip
def test_a_forged_or_altered_entry_is_never_reused(
    six: list[AnyRecord],
    tmp_path: Path,
    runs: list[Path],
    forge: Callable[[Path], None] | str,
) -> None:
    store = tmp_path / "store"
    key_file = tmp_path / "keys" / "mine.key"
    build_static_index(tmp_path / "a", placeheld_site(tmp_path / "a", six), shard_pages=4,
                       store=store, key_file=key_file)  # fmt: skip
    entry = shard_entry(store)
    if callable(forge):
        forge(entry)
    else:  # an entry signed by someone else: the digest is no secret
        key_file = tmp_path / "keys" / "theirs.key"
    before = len(runs)
    site = tmp_path / "b"
    stats = build_static_index(site, placeheld_site(site, six), shard_pages=4, store=store,
                               key_file=key_file)  # fmt: skip
    # the first shard's entry was forged; with another key, neither entry checks out
    assert not stats.reused and len(runs) == before + (1 if callable(forge) else 2)
    assert not (site / "pagefind" / "extra.js").exists()
    ids = sorted(str(f["meta"]["id"]) for f in fragments(site).values())  # type: ignore[index]
    assert ids == [r.id for r in six]
    # the bad entry was replaced by a good one: the next build reuses it
    assert [p.is_symlink() for p in entries(store)] == [False, False]
    after = len(runs)
    third = build_static_index(tmp_path / "c", placeheld_site(tmp_path / "c", six),
                               shard_pages=4, store=store, key_file=key_file)  # fmt: skip
    assert third.reused and len(runs) == after


def in_a_file(store: Path) -> Path:
    store.parent.mkdir(parents=True)
    store.write_text("not a folder")
    return store


def under_a_file(store: Path) -> Path:
    store.parent.mkdir(parents=True, exist_ok=True)
    (store.parent / "file").write_text("x")
    return store.parent / "file" / "store"


def symlinked(store: Path) -> Path:
    """A store that is a symlink (a repository could point it anywhere): never used."""
    (store.parent / "real").mkdir(parents=True)
    store.symlink_to(store.parent / "real", target_is_directory=True)
    return store


@pytest.mark.parametrize("place", [in_a_file, under_a_file, symlinked])
def test_a_store_that_cannot_be_used_leaves_the_build_to_succeed(
    six: list[AnyRecord], tmp_path: Path, runs: list[Path], place: Callable[[Path], Path]
) -> None:
    store = place(tmp_path / "cache" / "pagefind")
    for name in ("a", "b"):
        site = tmp_path / name
        stats = build_static_index(site, placeheld_site(site, six), shard_pages=4, store=store)
        assert not stats.reused and stats.pages == len(six)
    assert len(runs) == 4
    assert not (tmp_path / "cache" / "real").exists() or not any(
        (tmp_path / "cache" / "real").iterdir()
    )


def test_no_key_means_no_store(six: list[AnyRecord], tmp_path: Path, runs: list[Path]) -> None:
    key_file = write(tmp_path, "keys/shared.key", "x" * 32)
    key_file.chmod(0o644)  # readable by others: not a key to trust
    store = tmp_path / "store"
    for name in ("a", "b"):
        site = tmp_path / name
        stats = build_static_index(site, placeheld_site(site, six), shard_pages=4, store=store,
                                   key_file=key_file)  # fmt: skip
        assert not stats.reused
    assert not store.exists() and len(runs) == 4


def test_pruning_keeps_the_newest_entries_and_nothing_foreign(tmp_path: Path) -> None:
    store = static_search.IndexStore(tmp_path / "store", b"k" * 32)
    store.directory.mkdir()
    names = [f"{n:064x}" for n in range(4)]
    for age, name in enumerate(reversed(names)):
        (store.directory / name).mkdir()
        os.utime(store.directory / name, (1000 + age, 1000 + age))
    foreign = write(store.directory, "notes.txt", "mine")
    old_temp = store.directory / ".tmp-0123456789abcdef"
    old_temp.mkdir()
    os.utime(old_temp, (1, 1))
    store.prune(keep=2)
    assert sorted(p.name for p in store.directory.iterdir()) == sorted(
        [names[0], names[1], foreign.name]
    )


def test_pruning_removes_the_temporary_folder_of_a_build_that_is_gone(tmp_path: Path) -> None:
    """A killed build's temporary folder goes (its process id names no running process); a
    running build's stays, however old. No clock is read."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])  # a process that is then gone
    child.wait()
    gone_pid = child.pid
    store = static_search.IndexStore(tmp_path / "store", b"k" * 32)
    store.directory.mkdir()
    running = store.directory / f".tmp-{os.getpid()}-0123456789abcdef"
    gone = store.directory / f".tmp-{gone_pid}-fedcba9876543210"
    for folder in (running, gone):
        folder.mkdir()
        os.utime(folder, (1, 1))
    store.prune(keep=2)
    assert running.is_dir() and not gone.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda: setattr(static_search, "FILTERS", ("class",)),
        lambda: setattr(static_search, "EXCLUDED_SELECTORS", ()),
        lambda: setattr(static_search, "CONTENT_TAG", "<main"),
        lambda: setattr(static_search, "FORCE_LANGUAGE", "de"),
        lambda: setattr(static_search, "tool_versions", lambda: {"pagefind": "9.9.9"}),
    ],
    ids=["filters", "excluded", "content", "language", "pagefind-version"],
)
def test_the_digest_covers_the_indexing_options(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]
) -> None:
    shards = [[("postmortems/a/index.html", "0" * 64)], [("postmortems/b/index.html", "1" * 64)]]
    before = static_search.index_digest(shards, 1)
    assert static_search.index_digest(shards, 1) == before
    assert static_search.index_digest(shards, 2) != before
    assert static_search.index_digest([[*shards[0], *shards[1]]], 1) != before
    with monkeypatch.context() as patch:
        patch.setattr(static_search, "FILTERS", static_search.FILTERS)  # restored on exit
        patch.setattr(static_search, "EXCLUDED_SELECTORS", static_search.EXCLUDED_SELECTORS)
        patch.setattr(static_search, "CONTENT_TAG", static_search.CONTENT_TAG)
        patch.setattr(static_search, "FORCE_LANGUAGE", static_search.FORCE_LANGUAGE)
        patch.setattr(static_search, "tool_versions", static_search.tool_versions)
        change()
        assert static_search.index_digest(shards, 1) != before
    assert static_search.index_digest(shards, 1) == before
