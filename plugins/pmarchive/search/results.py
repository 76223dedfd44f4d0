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
    page: int
    limit: int
    results: list[Hit]
    facets: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
