"""The index under stress and attack: bounded filters, empty ranges, concurrent builds, and an
index whose files are not the ones its build wrote."""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from pmarchive.cli import main
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.search import index as search_module
from pmarchive.search import server as server_module
from pmarchive.search.index import (
    LOCK_FILE,
    MANIFEST,
    IndexBusyError,
    IndexIntegrityError,
    build_index,
    current_dir,
)
from pmarchive.search.query import QueryError
from pmarchive.search.searcher import ArchiveIndex

from .conftest import BASE_PM, front_matter, write

NO_STAMPS = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}
RECORDS = [
    ("INC-2026-01-10-001", "1", "Flux capacitor overheated."),
    ("INC-2026-02-15-001", "2", "Retries multiplied load on pricing."),
    ("INC-2025-03-01-001", "3", "Another stampede of cache misses."),
]


@pytest.fixture
def archive(archive_root: Path, make_config: Callable[..., ArchiveConfig]) -> Archive:
    for record_id, sev, body in RECORDS:
        text = front_matter(BASE_PM, id=record_id, date=record_id[4:14], sev=sev, **NO_STAMPS)
        write(archive_root, f"postmortems/{record_id}.md", text + body + "\n")
    loaded = load_archive(make_config(archive_root))
    assert loaded.errors == []
    return loaded


@pytest.fixture
def base(archive: Archive, tmp_path: Path) -> Path:
    build_index(archive.records, tmp_path / "index")
    return tmp_path / "index"


OUT_OF_BOUNDS = [
    ("sev:1..99999999999999999999", "sev: expected a level or a range such as 1..2, each in 1..99"),
    ("sev:99999999999999999999", "each in 1..99"),
    ("sev:0", "each in 1..99"),
    ("sev:100", "each in 1..99"),
    ("sev:..", "each in 1..99"),
    ("sev:1_0", "each in 1..99"),
    ("sev:+1", "each in 1..99"),
    ("sev:\uff11", "each in 1..99"),  # a fullwidth digit: int() would take it
    ("year:99999999999999999999", "year: expected a year such as 2026, in 1..9999"),
    ("year:0", "in 1..9999"),
    ("year:" + "9" * 400, "in 1..9999"),
    ("title:*a*", "leading wildcards are not supported"),
    ("body:?x", "leading wildcards are not supported"),
    ("summary:*outage", "leading wildcards are not supported"),
    ("title:*", "leading wildcards are not supported"),
    ("flux AND title:?lux", "leading wildcards are not supported"),
]


@pytest.mark.parametrize(("query", "message"), OUT_OF_BOUNDS)
def test_out_of_bounds_filters_are_refused(base: Path, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        ArchiveIndex(base).search(query)


@pytest.mark.parametrize(("query", "message"), OUT_OF_BOUNDS[:3] + OUT_OF_BOUNDS[11:13])
def test_search_command_refuses_in_one_line(
    archive: Archive, archive_root: Path, tmp_path: Path, query: str, message: str
) -> None:
    result = CliRunner().invoke(
        main, ["search", "--root", str(archive_root), "--index", str(tmp_path / "ix"), query]
    )
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and message in line
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "query",
    [
        "before:1900-01-01",
        "after:2100-01-01",
        "after:2026-02-01 before:2026-01-01",
        "flux before:1900-01-01",
        "sev:3..1",
        "year:1900",
    ],
)
def test_ranges_that_hold_no_record_match_none(base: Path, query: str) -> None:
    result = ArchiveIndex(base).search(query)
    assert (result.total, result.results) == (0, [])
    assert all(counts == {} for counts in result.facets.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("before:2025-03-01", {"INC-2025-03-01-001"}),
        ("after:2026-02-15 before:2026-02-15", {"INC-2026-02-15-001"}),
        ("sev:..1", {"INC-2026-01-10-001"}),
        ("sev:2..", {"INC-2026-02-15-001", "INC-2025-03-01-001"}),
        ("sev:99", set()),
        ("title:flux*", set()),  # a trailing wildcard is still allowed (titles are shared)
    ],
)
def test_boundary_ranges_still_match(base: Path, query: str, expected: set[str]) -> None:
    assert {hit.id for hit in ArchiveIndex(base).search(query).results} == expected


@pytest.mark.parametrize("builds", [2, 4])
def test_concurrent_builds_take_turns(archive: Archive, tmp_path: Path, builds: int) -> None:
    base = tmp_path / "index"
    start = threading.Barrier(builds)
    failures: list[BaseException] = []

    def one_build(count: int) -> None:
        start.wait()
        try:
            build_index(archive.records[:count], base)
        except BaseException as exc:  # collected: the assertion below names them
            failures.append(exc)

    threads = [threading.Thread(target=one_build, args=(1 + n % 3,)) for n in range(builds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    generations = sorted(p.name for p in base.glob("gen-*"))
    assert generations == [current_dir(base).name]  # type: ignore[union-attr]
    assert ArchiveIndex(base).search("").total in {1, 2, 3}


@pytest.mark.parametrize("wait", [0.0, 0.2])
def test_a_held_lock_is_a_clear_error_after_the_wait(
    archive: Archive, tmp_path: Path, wait: float
) -> None:
    base = tmp_path / "index"
    base.mkdir()
    with (base / LOCK_FILE).open("a+b") as other_build:
        fcntl.flock(other_build.fileno(), fcntl.LOCK_EX)
        with pytest.raises(IndexBusyError, match="another build is updating the search index"):
            build_index(archive.records, base, wait=wait)
    assert build_index(archive.records, base).added == len(RECORDS)


class _RunsCode:
    """Unpickling this creates a file: proof that a crafted index ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def _craft_toc(directory: Path, marker: Path) -> None:
    storage = FileStorage(str(directory))
    toc = TOC.read(storage, "MAIN")
    toc.segments = [_RunsCode(marker)]
    for old in directory.glob("*.toc"):
        old.unlink()
    toc.write(storage, "MAIN")


def _flip_a_byte(directory: Path, marker: Path) -> None:
    segment = next(directory.glob("*.seg"))
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))


def _truncate_toc(directory: Path, marker: Path) -> None:
    toc = next(directory.glob("*.toc"))
    toc.write_bytes(toc.read_bytes()[:10])


def _drop_manifest(directory: Path, marker: Path) -> None:
    (directory / MANIFEST).unlink()


def _garble_manifest(directory: Path, marker: Path) -> None:
    (directory / MANIFEST).write_text("[1, 2")


def _add_a_file(directory: Path, marker: Path) -> None:
    (directory / "MAIN_extra.seg").write_bytes(b"\x80\x04not a segment")


def _forge_manifest_entry(directory: Path, marker: Path) -> None:
    manifest = json.loads((directory / MANIFEST).read_text())
    name = next(iter(manifest["files"]))
    manifest["files"][name] = "0" * 64
    (directory / MANIFEST).write_text(json.dumps(manifest))


DAMAGE = [
    _craft_toc,
    _flip_a_byte,
    _truncate_toc,
    _drop_manifest,
    _garble_manifest,
    _add_a_file,
    _forge_manifest_entry,
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_is_never_opened(
    base: Path, tmp_path: Path, damage: Callable[[Path, Path], None]
) -> None:
    marker = tmp_path / "code-ran"
    damage(current_dir(base), marker)  # type: ignore[arg-type]
    with pytest.raises(IndexIntegrityError, match="search index"):
        ArchiveIndex(base)
    assert not marker.exists()


def test_the_crafted_index_would_run_code_if_whoosh_opened_it(base: Path, tmp_path: Path) -> None:
    """The control for the tests above: the crafted table of contents is a real threat."""
    marker = tmp_path / "code-ran"
    _craft_toc(current_dir(base), marker)  # type: ignore[arg-type]
    with contextlib.suppress(Exception):
        whoosh_index.open_dir(str(current_dir(base))).searcher()
    assert marker.exists()


@pytest.mark.parametrize("damage", DAMAGE)
def test_the_build_says_so_and_rebuilds_from_the_records(
    archive: Archive, base: Path, tmp_path: Path, damage: Callable[[Path, Path], None]
) -> None:
    marker = tmp_path / "code-ran"
    damage(current_dir(base), marker)  # type: ignore[arg-type]
    stats = build_index(archive.records, base)
    assert "rebuilt it from the records" in stats.rebuilt
    assert (stats.added, stats.unchanged) == (len(RECORDS), 0)
    assert not marker.exists()
    index = ArchiveIndex(base)
    assert index.search("capacitor").results[0].id == "INC-2026-01-10-001"
    assert build_index(archive.records, base).rebuilt == ""  # and it stays healthy


@pytest.mark.parametrize("damage", [_craft_toc, _truncate_toc, _drop_manifest])
def test_search_command_recovers_from_a_damaged_index(
    archive: Archive, archive_root: Path, tmp_path: Path, damage: Callable[[Path, Path], None]
) -> None:
    runner = CliRunner()
    args = ["search", "--root", str(archive_root), "--index", str(tmp_path / "ix"), "capacitor"]
    assert runner.invoke(main, args).exit_code == 0
    marker = tmp_path / "code-ran"
    damage(current_dir(tmp_path / "ix"), marker)  # type: ignore[arg-type]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "rebuilt it from the records" in result.stderr
    assert result.stdout.splitlines()[0] == "1 result"
    assert not marker.exists()


@pytest.mark.parametrize("cache", ["keyterms.json", "similar-5.json"])
@pytest.mark.parametrize("content", ["[1, 2]", '{"digest": 1, "similar": [3]}', "{oops"])
def test_odd_json_caches_are_ignored(base: Path, cache: str, content: str) -> None:
    ArchiveIndex(base).similar_all(["INC-2026-01-10-001"])
    (current_dir(base) / cache).write_text(content)  # type: ignore[operator]
    similar = ArchiveIndex(base).similar("INC-2026-01-10-001")
    assert {hit.id for hit in similar} == {"INC-2026-02-15-001", "INC-2025-03-01-001"}


@pytest.mark.parametrize("command", ["search", "serve"])
def test_commands_refuse_a_busy_index_in_one_line(
    archive: Archive,
    archive_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    monkeypatch.setattr(search_module, "LOCK_WAIT_SECONDS", 0.1)
    index_dir = tmp_path / "ix"
    index_dir.mkdir()
    site = tmp_path / "site"
    write(site, "index.html", "<h1>home</h1>")
    extra = ["capacitor"] if command == "search" else ["--site", str(site)]
    with (index_dir / LOCK_FILE).open("a+b") as other_build:
        fcntl.flock(other_build.fileno(), fcntl.LOCK_EX)
        result = CliRunner().invoke(
            main, [command, "--root", str(archive_root), "--index", str(index_dir), *extra]
        )
    assert result.exit_code == 1
    assert result.output.startswith("Error: another build is updating the search index")
    assert len(result.output.strip().splitlines()) == 1 and result.exception is not None
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("damage", [_craft_toc, _flip_a_byte])
def test_serve_hands_the_server_a_rebuild_from_the_records(
    archive: Archive,
    archive_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    damage: Callable[[Path, Path], None],
) -> None:
    served: dict[str, Any] = {}

    def fake_run(*args: Any) -> None:
        served["args"] = args

    monkeypatch.setattr(server_module, "run", fake_run)
    index_dir, site = tmp_path / "ix", tmp_path / "site"
    write(site, "index.html", "<h1>home</h1>")
    result = CliRunner().invoke(
        main, ["serve", "--root", str(archive_root), "--index", str(index_dir), "--site", str(site)]
    )
    assert result.exit_code == 0, result.output
    _, base, _, _, _, rebuild = served["args"]
    marker = tmp_path / "code-ran"
    damage(current_dir(base), marker)  # type: ignore[arg-type]
    response = TestClient(server_module.create_app(site, base, rebuild=rebuild)).get(
        "/api/search", params={"q": "capacitor"}
    )
    assert response.status_code == 200
    assert [hit["id"] for hit in response.json()["results"]] == ["INC-2026-01-10-001"]
    assert not marker.exists()


def _build_in_child(records: list[Any], base: Path) -> None:
    build_index(records, base)


@pytest.mark.parametrize("builds", [2, 3])
def test_concurrent_build_processes_take_turns(
    archive: Archive, tmp_path: Path, builds: int
) -> None:
    """Two `mkdocs build` runs of one archive: separate processes on one index folder."""
    base = tmp_path / "index"
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_build_in_child, args=(archive.records[: 1 + n % 3], base))
        for n in range(builds)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert [child.exitcode for child in children] == [0] * builds
    assert [p.name for p in base.glob("gen-*")] == [current_dir(base).name]  # type: ignore[union-attr]
    assert ArchiveIndex(base).search("").total in {1, 2, 3}
