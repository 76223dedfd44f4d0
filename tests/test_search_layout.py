"""An index written for another layout of the declared search fields is rebuilt, not reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.search import index as search_index

from .conftest import BASE_PM, TODAY, front_matter, write


@pytest.mark.parametrize(("changed", "added"), [(False, 0), (True, 1)])
def test_a_new_field_layout_rebuilds_the_index(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch, changed: bool, added: int
) -> None:
    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM))
    records = load_archive(ArchiveConfig(root=archive_root, today=TODAY)).records
    base = archive_root / "index"
    first = search_index.build_index(records, base)
    assert first.added == 1
    if changed:  # as if a searchable field had been declared since
        monkeypatch.setattr(search_index, "INDEX_LAYOUT", search_index.INDEX_LAYOUT + "-new")
    second = search_index.build_index(records, base)
    assert (second.added, second.unchanged) == (added, 1 - added)
