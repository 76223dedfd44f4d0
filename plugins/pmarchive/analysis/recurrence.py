"""Recurrence by cause class per quarter, and whether each landed fix is holding."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pmarchive.analysis._shared import cause_class_or_stray, class_slugs, classes_of
from pmarchive.core.calendar import quarter_of, quarters_between
from pmarchive.model.records import PostMortem, Record
from pmarchive.model.taxonomy import Taxonomy

RecurrenceStatus = Literal["going quiet", "recurring after fix", "no fix landed"]


def quarters_spanning(records: Iterable[Record]) -> tuple[str, ...]:
    """Every quarter from the earliest record's to the latest record's; empty without records."""
    dates = [record.date for record in records]
    if not dates:
        return ()
    return quarters_between(quarter_of(min(dates)), quarter_of(max(dates)))


@dataclass(frozen=True)
class FixOutcome:
    slug: str
    title: str
    fix_status: str
    fix_landed: dt.date | None
    status: RecurrenceStatus
    after_fix_ids: tuple[str, ...] = ()
    """Ids of the incidents dated after the fix landed, oldest first."""

    @property
    def after_fix_count(self) -> int:
        return len(self.after_fix_ids)


def fix_outcomes(
    postmortems: Sequence[PostMortem], taxonomy: Taxonomy, as_of: dt.date | None = None
) -> tuple[FixOutcome, ...]:
    """Per class, whether its landed fix is holding.

    A fix counts as landed when the class's fix_status is 'landed' and fix_landed is a date (on or
    before ``as_of`` when given). 'going quiet': fix landed and no incident of the class is dated
    after fix_landed. 'recurring after fix': fix landed and incidents are dated after it (their
    ids are listed). 'no fix landed': every other class. All incidents count, whatever quarter.
    """
    oldest_first = sorted(postmortems, key=lambda pm: (pm.date, pm.id))
    outcomes: list[FixOutcome] = []
    for slug in class_slugs(taxonomy, postmortems):
        cls = cause_class_or_stray(taxonomy, slug)
        landed = cls.fix_landed if cls.fix_status == "landed" else None
        if landed is not None and as_of is not None and landed > as_of:
            landed = None
        status: RecurrenceStatus = "no fix landed"
        after: tuple[str, ...] = ()
        if landed is not None:
            after = tuple(
                pm.id for pm in oldest_first if slug in pm.cause_class and pm.date > landed
            )
            status = "recurring after fix" if after else "going quiet"
        outcomes.append(
            FixOutcome(
                slug=slug,
                title=cls.title,
                fix_status=cls.fix_status,
                fix_landed=cls.fix_landed,
                status=status,
                after_fix_ids=after,
            )
        )
    return tuple(outcomes)


@dataclass(frozen=True)
class ClassRecurrence:
    slug: str
    title: str
    counts: tuple[int, ...]
    """Incidents per quarter, aligned with ``RecurrenceByClass.quarters``."""
    total: int
    """Sum of ``counts``: incidents within the quarters shown."""
    outcome: FixOutcome

    @property
    def status(self) -> RecurrenceStatus:
        return self.outcome.status


@dataclass(frozen=True)
class RecurrenceByClass:
    quarters: tuple[str, ...]
    classes: tuple[ClassRecurrence, ...]
    """Every taxonomy class in taxonomy order, zeros included."""

    def get(self, slug: str) -> ClassRecurrence | None:
        return next((row for row in self.classes if row.slug == slug), None)


def recurrence_by_class(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    quarters: Sequence[str],
    as_of: dt.date | None = None,
) -> RecurrenceByClass:
    """Incidents per cause class per quarter, with each class's fix outcome.

    Count of a class in a quarter = incidents dated in that quarter naming the class; an incident
    with two classes counts once in each. Every class of the taxonomy appears, zeros included.
    The status comes from ``fix_outcomes`` and looks at all incidents, not only these quarters.
    """
    shown = tuple(quarters)
    position = {quarter: index for index, quarter in enumerate(shown)}
    outcomes = {outcome.slug: outcome for outcome in fix_outcomes(postmortems, taxonomy, as_of)}
    tallies: dict[str, list[int]] = {slug: [0] * len(shown) for slug in outcomes}
    for pm in postmortems:
        index = position.get(quarter_of(pm.date))
        if index is None:
            continue
        for slug in classes_of(pm):
            tallies[slug][index] += 1
    rows = tuple(
        ClassRecurrence(
            slug=slug,
            title=outcome.title,
            counts=tuple(tallies[slug]),
            total=sum(tallies[slug]),
            outcome=outcome,
        )
        for slug, outcome in outcomes.items()
    )
    return RecurrenceByClass(quarters=shown, classes=rows)
