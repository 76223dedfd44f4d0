"""What a search returns: hits and a page of results with its facets."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    kind: str
    sev: int | None
    date: str
    classes: list[str]
    url: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    """Every match, not just this page's."""
    page: int
    limit: int
    results: list[Hit]
    facets: dict[str, dict[str, int]]
    offset: int = 0
    """Matches before this page's first (``(page - 1) * limit`` when paged by page)."""
    pages: int = 1
    """Pages of ``limit`` results it takes to show every match (at least 1)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
