"""The incident pyramid: SEV levels, near-misses and weak signals, and the ratios between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pmarchive.model.records import NearMiss, PostMortem


@dataclass(frozen=True)
class PyramidLevel:
    key: str
    """'sev-1', 'sev-2', ... then 'near-miss' and 'weak-signal'."""
    label: str
    count: int
    ratio: float | None
    """This level's count divided by the count of the level above it; None at the apex or when
    the level above is empty."""


@dataclass(frozen=True)
class IncidentPyramid:
    levels: tuple[PyramidLevel, ...]
    """Apex first: SEV levels from most to least severe, then near-misses, then weak signals."""

    def count(self, key: str) -> int:
        """Count of one level by key ('sev-1', 'near-miss', ...); 0 for an absent level."""
        return next((level.count for level in self.levels if level.key == key), 0)

    @property
    def incidents(self) -> int:
        return sum(level.count for level in self.levels if level.key.startswith("sev-"))


def incident_pyramid(
    postmortems: Sequence[PostMortem], nearmisses: Sequence[NearMiss]
) -> IncidentPyramid:
    """Count each level of the pyramid and the ratio between neighbours.

    Levels: SEV-1, SEV-2 and SEV-3 always (other declared levels are added in order of level
    number), then near-misses (kind 'near-miss') and weak signals (kind 'weak-signal').
    Ratio of a level = its count / the count of the level just above it; None for the apex and
    when the level above counts zero. Near-misses of any other kind are not counted.
    """
    sev_counts: dict[int, int] = {1: 0, 2: 0, 3: 0}
    for pm in postmortems:
        sev_counts[pm.sev] = sev_counts.get(pm.sev, 0) + 1
    counted: list[tuple[str, str, int]] = [
        (f"sev-{level}", f"SEV-{level}", sev_counts[level]) for level in sorted(sev_counts)
    ]
    counted.append(("near-miss", "Near-misses", sum(nm.kind == "near-miss" for nm in nearmisses)))
    counted.append(
        ("weak-signal", "Weak signals", sum(nm.kind == "weak-signal" for nm in nearmisses))
    )
    levels: list[PyramidLevel] = []
    above: int | None = None
    for key, label, count in counted:
        ratio = count / above if above else None
        levels.append(PyramidLevel(key=key, label=label, count=count, ratio=ratio))
        above = count
    return IncidentPyramid(levels=tuple(levels))
