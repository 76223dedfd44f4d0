"""The record cache: hits on unchanged files, misses on every change the result depends on,
corrupt or forged entries ignored, identical diagnostics, one edit re-reads one record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import pmarchive.ingest.archive as archive_module
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.cache import RecordCache, signing_key
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.options import lint_config

from .conftest import BASE_NM, BASE_PM, TODAY, front_matter, write

PM = "postmortems/INC-2026-05-29-001.md"
NM = "nearmisses/NM-2026-06-02-001.md"
OTHER_PM = "postmortems/INC-2026-05-30-001.md"


@pytest.fixture(autouse=True)
def own_key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds keep their signing key in the user's cache folder: a test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture
def root(archive_root: Path) -> Path:
    # a warning (duplicate team) and a lint finding (blame), so diagnostics must round-trip
    write(archive_root, PM, front_matter(BASE_PM, teams="[checkout, checkout]"))
    other = front_matter(BASE_PM, id="INC-2026-05-30-001", date="2026-05-30")
    write(archive_root, OTHER_PM, other.replace("No request coalescing", "Human error by Bob"))
    write(archive_root, NM, front_matter(BASE_NM))
    return archive_root


def config_for(root: Path, **changes: object) -> ArchiveConfig:
    return ArchiveConfig(**{"root": root, "today": TODAY, **changes})  # type: ignore[arg-type]


def open_cache(root: Path, config: ArchiveConfig, code: str = "code-1") -> RecordCache:
    cache = RecordCache.open(
        root / ".pmarchive-cache" / "records", config, key_file=root / "key", code=code
    )
    assert cache is not None
    return cache


def load(root: Path, config: ArchiveConfig | None = None, code: str = "code-1") -> tuple:
    config = config or config_for(root)
    cache = open_cache(root, config, code)
    return load_archive(config, cache), cache


def same(a: Archive, b: Archive) -> None:
    assert a.diagnostics == b.diagnostics
    assert a.records == b.records
    assert [r.body for r in a.records] == [r.body for r in b.records]
    assert [r.lines for r in a.records] == [r.lines for r in b.records]


def test_unchanged_records_are_loaded_with_identical_results(root: Path) -> None:
    uncached = load_archive(config_for(root))
    assert uncached.warnings, "the fixture has warnings to re-emit"
    assert any(d.field == "blame" for d in uncached.diagnostics)
    first, cold = load(root)
    assert (cold.hits, cold.misses) == (0, 3)
    second, warm = load(root)
    assert (warm.hits, warm.misses) == (3, 0)
    same(uncached, first)
    same(uncached, second)
    assert [d.format_text() for d in second.diagnostics] == [
        d.format_text() for d in uncached.diagnostics
    ]


def _edit_body(root: Path) -> ArchiveConfig:
    path = root / PM
    path.write_text(path.read_text().replace("six minutes", "seven minutes"))
    return config_for(root)


def _edit_taxonomy(root: Path) -> ArchiveConfig:
    with (root / "taxonomy" / "teams.yml").open("a") as handle:
        handle.write("\n# a comment is a change too: the cache keys on the files\n")
    return config_for(root)


def _edit_lints(root: Path) -> ArchiveConfig:
    return config_for(root, lints=lint_config({"disable": ["blame"]}))


def _edit_today(root: Path) -> ArchiveConfig:
    return config_for(root, today=TODAY + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("change", "code", "misses"),
    [
        pytest.param(_edit_body, "code-1", 1, id="body"),
        pytest.param(_edit_taxonomy, "code-1", 3, id="taxonomy"),
        pytest.param(_edit_lints, "code-1", 3, id="lint-config"),
        pytest.param(_edit_today, "code-1", 3, id="today"),
        pytest.param(lambda root: config_for(root), "code-2", 3, id="code"),
    ],
)
def test_a_change_is_a_miss_and_the_result_is_fresh(
    root: Path, change: Callable[[Path], ArchiveConfig], code: str, misses: int
) -> None:
    load(root)
    config = change(root)
    cached, cache = load(root, config, code)
    assert (cache.hits, cache.misses) == (3 - misses, misses)
    same(load_archive(config), cached)  # what an uncached read of the changed archive gives


def test_lint_config_change_changes_the_findings(root: Path) -> None:
    load(root)
    cached, _ = load(root, _edit_lints(root))
    assert not any(d.field == "blame" for d in cached.diagnostics)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 1]), id="one-bit"),
        pytest.param(lambda data: b"PMRC1\n" + b"\0" * 32 + b"garbage", id="unsigned"),
    ],
)
def test_damaged_entries_are_misses_and_are_rewritten(
    root: Path, damage: Callable[[bytes], bytes]
) -> None:
    expected, _ = load(root)
    entries = sorted((root / ".pmarchive-cache" / "records").glob("*.entry"))
    assert len(entries) == 3
    for entry in entries:
        entry.write_bytes(damage(entry.read_bytes()))
    again, cache = load(root)
    assert (cache.hits, cache.misses) == (0, 3)
    same(expected, again)
    _, healed = load(root)
    assert healed.hits == 3


def test_an_entry_signed_with_another_key_is_ignored(root: Path) -> None:
    expected, _ = load(root)
    config = config_for(root)
    forger = RecordCache.open(
        root / ".pmarchive-cache" / "records", config, key_file=root / "forger-key", code="code-1"
    )
    assert forger is not None
    # a crafted entry claiming the record has no diagnostics at all
    for rel, kind in ((PM, "postmortem"), (OTHER_PM, "postmortem"), (NM, "nearmiss")):
        key = forger.entry_key(kind, rel, (root / rel).read_text())
        forger.store(key, (None, []))
    again, cache = load(root)
    assert cache.hits == 0
    same(expected, again)


def test_an_entry_under_another_name_is_ignored(root: Path) -> None:
    load(root)
    folder = root / ".pmarchive-cache" / "records"
    a, b, _ = sorted(folder.glob("*.entry"))
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)  # a signed entry of another file, renamed
    b.write_bytes(data_a)
    _, cache = load(root)
    assert (cache.hits, cache.misses) == (1, 2)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_others_can_read_is_not_used(tmp_path: Path, mode: int) -> None:
    key = tmp_path / "key"
    assert signing_key(key) is not None  # made, 0600
    assert key.stat().st_mode & 0o777 == 0o600
    os.chmod(key, mode)
    assert signing_key(key) is None
    assert RecordCache.open(tmp_path / "c", config_for(tmp_path), key_file=key) is None


def test_a_linked_or_short_key_is_not_used(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"x" * 32)
    os.chmod(real, 0o600)
    (tmp_path / "link").symlink_to(real)
    assert signing_key(tmp_path / "link") is None
    short = tmp_path / "short"
    short.write_bytes(b"x" * 5)
    os.chmod(short, 0o600)
    assert signing_key(short) is None


def test_an_unwritable_cache_folder_is_no_error(root: Path) -> None:
    # a file where the cache folder should be: the build reads every record, and says nothing
    (root / ".pmarchive-cache").mkdir()
    (root / ".pmarchive-cache" / "records").write_text("a file where the folder should be")
    expected = load_archive(config_for(root))
    cached, cache = load(root)
    same(expected, cached)
    assert not cache.enabled


def test_one_edit_reprocesses_only_that_record(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, list[str]] = {"validate": [], "lint": [], "yaml": []}

    def counted(name: str, function: Callable[..., object], path_of: Callable) -> Callable:
        def wrapper(*args: object, **kwargs: object) -> object:
            calls[name].append(path_of(args, kwargs))
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        archive_module,
        "validate_record",
        counted("validate", archive_module.validate_record, lambda a, k: k["path"]),
    )
    monkeypatch.setattr(
        archive_module,
        "lint_record",
        counted("lint", archive_module.lint_record, lambda a, k: a[0].path),
    )
    monkeypatch.setattr(
        archive_module,
        "load_located",
        counted("yaml", archive_module.load_located, lambda a, k: "front-matter"),
    )
    load(root)
    assert len(calls["validate"]) == len(calls["lint"]) == len(calls["yaml"]) == 3
    for found in calls.values():
        found.clear()
    _edit_body(root)
    edited, cache = load(root)
    assert calls["validate"] == [PM] and calls["lint"] == [PM] and len(calls["yaml"]) == 1
    assert (cache.hits, cache.misses) == (2, 1)
    # the old entry of the edited file is gone, the new one is there
    assert len(list((root / ".pmarchive-cache" / "records").glob("*.entry"))) == 3
    # .pmarchive/ holds what the audience may see (pmarchive serve publishes it): no cache
    assert not list((root / ".pmarchive").rglob("*.entry"))
    same(load_archive(config_for(root)), edited)


def test_entries_are_written_whole(root: Path) -> None:
    load(root)
    folder = root / ".pmarchive-cache" / "records"
    assert not list(folder.glob(".tmp-*"))
    for entry in folder.glob("*.entry"):
        assert entry.stat().st_mode & 0o077 == 0


def test_the_fingerprint_ignores_where_the_clone_is(tmp_path: Path) -> None:
    from pmarchive.ingest.cache import fingerprint

    a = config_for(tmp_path / "a")
    b = dataclasses.replace(a, root=tmp_path / "b")
    assert fingerprint(a, "t", "c") == fingerprint(b, "t", "c")
    assert fingerprint(a, "t", "c") != fingerprint(a, "t2", "c")
    assert fingerprint(a, "t", "c") != fingerprint(
        dataclasses.replace(a, max_body_bytes=10), "t", "c"
    )


def test_a_second_build_reads_no_record_and_warns_the_same(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from .sites import build_site

    caplog.set_level(logging.INFO)
    build_site(root, strict=False)
    first = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "records: 0 unchanged (cached), 3 read" in caplog.text
    caplog.clear()
    site = build_site(root, strict=False)
    assert "records: 3 unchanged (cached), 0 read" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == first
    assert any("checkout" in message for message in first)  # the duplicate team
    key = root / "user-cache" / "pmarchive" / "record-cache.key"  # XDG_CACHE_HOME's
    assert key.stat().st_mode & 0o777 == 0o600
    assert (site / "postmortems/inc-2026-05-29-001/index.html").is_file()
    assert sorted(p.name for p in (root / "docs").rglob("*")) == [
        "high-error-rate.md",
        "index.md",
        "runbooks",
    ]
    assert len(list((root / ".pmarchive-cache" / "records").glob("*.entry"))) == 3
    # .pmarchive/ holds what the audience may see (pmarchive serve publishes it): no cache
    assert not list((root / ".pmarchive").rglob("*.entry"))


def test_a_rebuild_after_one_edit_rereads_and_reindexes_that_record_only(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from .sites import build_site

    caplog.set_level(logging.INFO)
    build_site(root, strict=False)
    caplog.clear()
    _edit_body(root)
    site = build_site(root, strict=False)
    assert "records: 2 unchanged (cached), 1 read" in caplog.text
    assert "added=0, updated=1, removed=0, unchanged=2" in caplog.text
    html = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    assert "seven minutes" in html and "six minutes" not in html


def counting_pool(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the parts handed to other processes, as they are handed over."""
    submitted: list[int] = []

    class CountingPool(archive_module.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            submitted.append(len(args[0]))
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(archive_module, "ProcessPoolExecutor", CountingPool)
    return submitted


@pytest.mark.parametrize("processes", [2, 3])
@pytest.mark.parametrize("cached", [False, True])
def test_reading_in_several_processes_gives_the_same_archive(
    root: Path, monkeypatch: pytest.MonkeyPatch, processes: int, cached: bool
) -> None:
    """Records read by forked processes (parts of the file list) come back equal, with the
    same diagnostics, errors included, and what they did of the cache counted here."""
    write(root, "postmortems/INC-2026-05-31-001.md", "---\nid: [unclosed\n---\nBody.\n")
    for n in range(6):
        other = front_matter(BASE_PM, id=f"INC-2026-06-0{n + 1}-001", date=f"2026-06-0{n + 1}")
        write(root, f"postmortems/INC-2026-06-0{n + 1}-001.md", other)
    config = config_for(root)
    expected = load_archive(config)
    assert expected.errors and len(expected.records) == 9
    submitted = counting_pool(monkeypatch)
    real = archive_module.read_records
    monkeypatch.setattr(
        archive_module,
        "read_records",
        lambda *args, **kwargs: real(*args, **kwargs, processes=processes),
    )
    cache = open_cache(root, config) if cached else None
    if cache is not None:
        load_archive(config, cache)  # cold: every entry written by the process that read it
        cache = open_cache(root, config)
    got = load_archive(config, cache)
    same(expected, got)
    assert len(submitted) == (processes - 1) * (2 if cached else 1)
    assert sum(submitted[-(processes - 1) :]) < 10  # the first part stays in this process
    if cache is not None:
        assert (cache.hits, cache.misses) == (10, 0)
        assert cache.prune() == 0  # entries read by the other processes are kept


def test_a_part_whose_process_fails_is_read_here(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked reader that raises (or dies) costs its part a second read, in this process;
    the archive is the same and no error reaches the user."""
    config = config_for(root)
    expected = load_archive(config)

    def failing(files: object) -> object:
        raise MemoryError("the reader ran out of memory")

    monkeypatch.setattr(archive_module, "_read_forked", failing)
    submitted = counting_pool(monkeypatch)
    real = archive_module.read_records
    monkeypatch.setattr(
        archive_module,
        "read_records",
        lambda *args, **kwargs: real(*args, **kwargs, processes=2),
    )
    same(expected, load_archive(config))
    assert submitted == [1]  # the second of two parts went to a process, which failed
