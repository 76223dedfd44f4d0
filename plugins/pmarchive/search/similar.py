"""Similar records: same-class candidates ranked by shared wording and fields."""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass, field
from typing import Any

from pmarchive.search.results import Hit

PER_CLASS = 300


@dataclass(frozen=True)
class _Profile:
    id: str
    digest: str
    day: int
    classes: frozenset[str]
    context: frozenset[str]
    terms: frozenset[str]
    stored: dict[str, Any] = field(compare=False, hash=False)

    @classmethod
    def from_stored(cls, stored: dict[str, Any], terms: list[str]) -> _Profile:
        def values(name: str) -> set[str]:
            return {f"{name}:{v}" for v in str(stored.get(name, "")).split(",") if v}

        return cls(
            id=stored["id"],
            digest=stored.get("content_hash", ""),
            day=stored["date"].date().toordinal(),
            classes=frozenset(c for c in str(stored.get("classes", "")).split(",") if c),
            context=frozenset(values("factors") | values("services") | values("alerts")),
            terms=frozenset(terms),
            stored={k: v for k, v in stored.items() if k != "body"},
        )

    def hit(self) -> Hit:
        stored = self.stored
        return Hit(
            id=self.id,
            title=stored["title"],
            kind=stored["kind"],
            sev=stored.get("sev") or None,
            date=stored["date"].date().isoformat(),
            classes=sorted(self.classes),
            url=stored["url"],
            snippet=html.escape(stored.get("summary", ""), quote=False),
            score=0.0,
        )


def _rank_similar(profile: _Profile, by_class: dict[str, list[_Profile]], limit: int) -> list[str]:
    candidates: set[_Profile] = set()
    for cls in profile.classes:
        members = by_class.get(cls, [])
        # the PER_CLASS members nearest in time (members are sorted by day)
        days = [m.day for m in members]
        centre = bisect.bisect_left(days, profile.day)
        low = max(0, centre - PER_CLASS // 2)
        candidates.update(members[low : low + PER_CLASS])
    candidates.discard(profile)
    scored = sorted(
        (
            -(
                3 * len(profile.classes & other.classes)
                + len(profile.context & other.context)
                + 2 * len(profile.terms & other.terms)
            ),
            abs(profile.day - other.day),
            other.id,
        )
        for other in candidates
    )
    return [other_id for _, _, other_id in scored[:limit]]


def _class_members(profiles: dict[int, _Profile]) -> dict[str, list[_Profile]]:
    """Profiles per class, sorted by day."""
    members: dict[str, list[_Profile]] = {}
    for p in profiles.values():
        for cls in p.classes:
            members.setdefault(cls, []).append(p)
    for group in members.values():
        group.sort(key=lambda p: (p.day, p.id))
    return members
