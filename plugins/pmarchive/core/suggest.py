"""Closest-match suggestions for misspelt names ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``value``, or None when nothing is reasonably close."""
    pool = sorted(set(candidates))
    if not pool:
        return None
    lowered = {c.lower(): c for c in pool}
    if value.lower() in lowered:
        return lowered[value.lower()]
    match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """'; did you mean 'x'?' or an empty string."""
    best = closest(value, candidates)
    return f"; did you mean '{best}'?" if best is not None else ""


def allowed_list(candidates: Iterable[str], limit: int = 12) -> str:
    """A short, sorted, quoted list of allowed values for error messages."""
    pool = sorted(set(candidates))
    shown = ", ".join(f"'{c}'" for c in pool[:limit])
    more = f", ... ({len(pool) - limit} more)" if len(pool) > limit else ""
    return shown + more
