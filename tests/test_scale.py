"""A record page does not grow with the archive (no per-record navigation or lists in it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.synthetic import postmortem_text, write_archive
from pmarchive.ingest.taxonomy import load_taxonomy

from .sites import build_site

ROOT = Path(__file__).resolve().parent.parent


def synthetic_site(root: Path, count: int) -> Path:
    write_archive(root, count, ROOT / "taxonomy")
    return build_site(root)


def test_synthetic_records_validate_and_are_stable() -> None:
    taxonomy, _ = load_taxonomy(ROOT / "taxonomy")
    assert postmortem_text(3, taxonomy) == postmortem_text(3, taxonomy)


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
