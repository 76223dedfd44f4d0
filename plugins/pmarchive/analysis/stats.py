"""Summary statistics of the analyses: median, nearest-rank percentile, spread and rates."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


def median(values: Sequence[float]) -> float | None:
    """The middle value of the sorted values (the mean of the two middle ones for an even count);
    None without values."""
    return float(statistics.median(values)) if values else None


def percentile_nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: sort the n values and take the one at rank ⌈percent/100 × n⌉
    (ranks count from 1). It is always one of the values, never an interpolation: for ten values
    p90 is the 9th smallest, for eleven the 10th. None without values."""
    if not values:
        return None
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be above 0 and at most 100, not {percent}")
    # Exact arithmetic: 55 / 100 * 100 in floats is 55.00000000000001, whose ceiling is 56.
    rank = max(1, math.ceil(Fraction(str(percent)) * len(values) / 100))
    return float(sorted(values)[rank - 1])


MIN_P90_VALUES = 5
"""Fewer values than this and a p90 is just the largest one: pages show the count instead."""


@dataclass(frozen=True)
class Spread:
    count: int
    """How many values were present (records without the field are left out)."""
    median: float | None
    p90: float | None

    @property
    def p90_shown(self) -> float | None:
        """The p90 when there are at least MIN_P90_VALUES values; None otherwise."""
        return self.p90 if self.count >= MIN_P90_VALUES else None


def spread(values: Sequence[float]) -> Spread:
    """Count, median and nearest-rank p90 of the values."""
    return Spread(count=len(values), median=median(values), p90=percentile_nearest_rank(values, 90))


def rate(part: int, whole: int) -> float | None:
    """part / whole; None when whole is 0."""
    return part / whole if whole else None
