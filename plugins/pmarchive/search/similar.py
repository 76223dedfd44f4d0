"""Similar records: same-class candidates ranked by shared wording and fields."""

from __future__ import annotations

import bisect
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from math import log
from typing import Any

from pmarchive.search.results import Hit

PER_CLASS = 300
KEY_TERMS = 10
"""Key terms kept per record (what two records' wording shares is counted over these)."""
KEY_TEXT_CHARS = 6000
"""Of the body, only this much goes into a record's key terms (title and summary always)."""


def key_text(stored: Mapping[str, Any]) -> str:
    """The text a record's key terms are drawn from: title, summary and the body's start."""
    return " ".join(
        (
            stored.get("title", ""),
            stored.get("summary", ""),
            stored.get("body", "")[:KEY_TEXT_CHARS],
        )
    )


def bo1_key_terms(
    words: Iterable[str], collection: Mapping[str, float], documents: int, number: int = KEY_TERMS
) -> list[str]:
    """The ``number`` terms of a text (its analysed ``words``) that best set it apart from the
    collection, by the Bo1 model of divergence from randomness.

    Whoosh's ``Searcher.key_terms_from_text`` with its default Bo1 model and normalisation, term
    for term (a differential test holds them equal), except that ``collection`` (each term's
    frequency in the whole index, read once) replaces its two index look-ups per term: those
    were 60% of the similar-records pass. Terms the collection lacks are left out, as there.
    """
    weights: dict[str, float] = {}
    for word in words:
        weights[word] = weights.get(word, 0.0) + 1.0
    scored: list[tuple[float, str]] = []
    maxweight = 0.0
    for word, weight in weights.items():
        frequency = collection.get(word)
        if not frequency:
            continue
        f = frequency / documents
        score = weight * log((1.0 + f) / f, 2) + log(1.0 + f, 2)
        maxweight = max(maxweight, score)
        scored.append((score, word))
    if not scored:
        return []
    f = maxweight / documents
    norm = (maxweight * log((1.0 + f) / f) + log(1.0 + f)) / log(2.0)
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda x: (-x[0], x[1]))
    return [word for _, word in ranked[:number]]


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
