"""Helpers the analysis modules share: record windows, quarters and class lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from pmarchive.core.calendar import quarter_of
from pmarchive.model.records import PostMortem, Record
from pmarchive.model.taxonomy import CauseClass, Taxonomy

R = TypeVar("R", bound=Record)

DEFAULT_RECENT_DAYS = 90
"""Length of the recent window of the risk register and program health, in days."""


def within_days(day: dt.date, today: dt.date, days: int) -> bool:
    """True when ``day`` lies in the window [today - days, today], both ends included."""
    return today - dt.timedelta(days=days) <= day <= today


def in_quarter(records: Iterable[R], quarter: str) -> list[R]:
    """The records dated in ``quarter`` ('2026-Q2'), in the order given."""
    return [record for record in records if quarter_of(record.date) == quarter]


def until(records: Iterable[R], day: dt.date) -> list[R]:
    """The records dated on or before ``day``, in the order given."""
    return [record for record in records if record.date <= day]


def classes_of(record: Record) -> tuple[str, ...]:
    """The record's classes, each once (a class named twice must not count twice)."""
    return tuple(dict.fromkeys(record.cause_class))


def class_slugs(taxonomy: Taxonomy, postmortems: Iterable[PostMortem]) -> list[str]:
    """Taxonomy classes in taxonomy order, then any class a record names that the taxonomy lacks.

    Validated records only name known classes; keeping strays visible beats dropping incidents.
    """
    known = list(taxonomy.classes)
    strays = {slug for pm in postmortems for slug in pm.cause_class} - set(known)
    return known + sorted(strays)


def cause_class_or_stray(taxonomy: Taxonomy, slug: str) -> CauseClass:
    """The taxonomy's class, or a bare one titled by its slug for a class the taxonomy lacks."""
    found = taxonomy.classes.get(slug)
    return found if found is not None else CauseClass(slug=slug, title=slug)


def evidence_gaps_of(record: Record) -> tuple[str, ...]:
    """The evidence gaps a record names, each once."""
    return tuple(dict.fromkeys(record.evidence_gaps))


def gap_titles(taxonomy: Taxonomy) -> dict[str, str]:
    """Evidence-gap slug -> title, in taxonomy/gaps.yml order."""
    return {slug: gap.title or slug for slug, gap in taxonomy.gaps.items()}
