"""A record page does not grow with the archive (no per-record navigation or lists in it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.synthetic import postmortem_text, write_archive
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.taxonomy import load_taxonomy

from .sites import build_site

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def own_key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record cache's signing key goes to the user's cache folder: the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def synthetic_site(root: Path, count: int) -> Path:
    write_archive(root, count, ROOT / "taxonomy")
    return build_site(root)


@pytest.mark.parametrize(("small", "large"), [(6, 15)])
def test_synthetic_records_validate_and_are_stable(
    tmp_path: Path, make_config: Callable[..., ArchiveConfig], small: int, large: int
) -> None:
    taxonomy, _ = load_taxonomy(ROOT / "taxonomy")
    # record n is seeded by n: the same n gives the same bytes, another n another record
    first_id, first = postmortem_text(3, taxonomy)
    assert postmortem_text(3, taxonomy) == (first_id, first)
    other_id, other = postmortem_text(4, taxonomy)
    assert other_id != first_id
    assert other.split("\n", 2)[2] != first.split("\n", 2)[2]  # not only the id line differs
    # and it does not depend on how many records are generated
    write_archive(tmp_path / "small", small, ROOT / "taxonomy")
    write_archive(tmp_path / "large", large, ROOT / "taxonomy")
    small_files = sorted((tmp_path / "small" / "postmortems").iterdir())
    large_files = {p.name: p for p in (tmp_path / "large" / "postmortems").iterdir()}
    assert len(small_files) == small and len(large_files) == large
    for path in small_files:
        assert path.read_bytes() == large_files[path.name].read_bytes(), path.name
    # every generated record is valid against the shipped taxonomy, without even a lint warning
    archive = load_archive(make_config(tmp_path / "large"))
    assert archive.diagnostics == []
    assert len(archive.postmortems) == large


@pytest.mark.parametrize(("small", "large"), [(40, 160)])
def test_record_page_size_is_independent_of_archive_size(
    tmp_path: Path, small: int, large: int
) -> None:
    taxonomy, _ = load_taxonomy(ROOT / "taxonomy")
    record_id, _ = postmortem_text(0, taxonomy)
    page = Path("postmortems") / record_id.lower() / "index.html"
    sizes = []
    for count in (small, large):
        site = synthetic_site(tmp_path / str(count), count)
        assert len(list((site / "postmortems").iterdir())) == count
        sizes.append((site / page).stat().st_size)
    # Both archives fill the bounded lists (five similar records, previous/next per class);
    # those name other records, so sizes differ by a few titles, never by the archive's size.
    assert abs(sizes[1] - sizes[0]) < 1024, sizes
