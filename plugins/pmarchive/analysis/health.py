"""Program health: process figures (timeliness, action items) beside the outcomes they serve."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from pmarchive.analysis._shared import DEFAULT_RECENT_DAYS, classes_of, within_days
from pmarchive.analysis.actions import ActionItemBalance, action_item_balance
from pmarchive.analysis.recurrence import FixOutcome, fix_outcomes
from pmarchive.analysis.stats import rate
from pmarchive.core.calendar import add_business_days
from pmarchive.model.records import PostMortem
from pmarchive.model.taxonomy import Taxonomy


def postmortem_due(pm: PostMortem, taxonomy: Taxonomy) -> dt.date | None:
    """Incident date + the ladder's due_business_days for its SEV, in business days (Mon-Fri);
    None when the SEV is not on the ladder."""
    level = taxonomy.severity.get(pm.sev)
    return None if level is None else add_business_days(pm.date, level.due_business_days)


@dataclass(frozen=True)
class LatePostMortem:
    id: str
    title: str
    sev: int
    status: str
    due: dt.date
    published: dt.date | None = None
    """When it was published, for one published after its due date; None while unpublished."""


@dataclass(frozen=True)
class ProgramHealth:
    today: dt.date
    recent_days: int
    published: int
    """Post-mortems with status 'final'."""
    on_time: int
    """Final post-mortems whose ``published`` date is on or before their due date."""
    unknown: int
    """Final post-mortems without a ``published`` date (or whose SEV has no due date): neither
    on time nor late, and left out of the on-time rate."""
    in_progress: int
    """Drafts and reviews still within their due date: not yet judged."""
    late: tuple[LatePostMortem, ...]
    """Post-mortems past their due date, published late or not published yet, oldest due first."""
    no_deadline: int
    """Drafts and reviews whose SEV is not on the ladder, so no due date is known."""
    on_time_rate: float | None
    """on_time / (on_time + late); None when neither."""
    actions: ActionItemBalance
    recent_class_counts: Mapping[str, int] = field(hash=False)
    """Incidents per class within the recent window, most first (classes with none left out)."""
    recurring_recent: tuple[str, ...]
    """Classes with two or more incidents within the recent window."""
    recurring_after_fix: tuple[FixOutcome, ...]
    going_quiet: tuple[FixOutcome, ...]

    @property
    def judged(self) -> int:
        """Post-mortems the on-time rate is taken over: on time + late."""
        return self.on_time + len(self.late)

    @property
    def action_completion_rate(self) -> float | None:
        return self.actions.completion_rate


def program_health(
    postmortems: Sequence[PostMortem],
    taxonomy: Taxonomy,
    today: dt.date,
    recent_days: int = DEFAULT_RECENT_DAYS,
) -> ProgramHealth:
    """Process figures beside the outcomes they serve.

    Process: a post-mortem is due ``due_business_days`` business days (Mon-Fri) after the
    incident date, per its SEV on the ladder. A final one is on time when its ``published`` date
    is on or before the due date and late when after it; a final one without ``published`` is
    'unknown', neither on time nor late. A draft or review is late once today is after its due
    date and not yet judged before it. on-time rate = on time / (on time + late). Action items:
    completion rate = done / (open + done), overdue = open past due (see
    ``action_item_balance``). Outcomes: incidents per class within the last ``recent_days``
    days up to today, the classes with two or more there, and the classes recurring after
    their fix (see ``fix_outcomes``).
    """
    published = on_time = unknown = in_progress = no_deadline = 0
    late: list[LatePostMortem] = []
    for pm in postmortems:
        due = postmortem_due(pm, taxonomy)
        if pm.status == "final":
            published += 1
            day = pm.published
            if day is None or due is None:
                unknown += 1
            elif day <= due:
                on_time += 1
            else:
                late.append(LatePostMortem(pm.id, pm.title, pm.sev, pm.status, due, day))
            continue
        if due is None:
            no_deadline += 1
        elif today > due:
            late.append(LatePostMortem(pm.id, pm.title, pm.sev, pm.status, due))
        else:
            in_progress += 1
    late.sort(key=lambda row: (row.due, row.id))

    recent: dict[str, int] = {}
    for pm in postmortems:
        if within_days(pm.date, today, recent_days):
            for slug in classes_of(pm):
                recent[slug] = recent.get(slug, 0) + 1
    ordered = dict(sorted(recent.items(), key=lambda kv: (-kv[1], kv[0])))
    outcomes = fix_outcomes(postmortems, taxonomy, as_of=today)
    return ProgramHealth(
        today=today,
        recent_days=recent_days,
        published=published,
        on_time=on_time,
        unknown=unknown,
        in_progress=in_progress,
        late=tuple(late),
        no_deadline=no_deadline,
        on_time_rate=rate(on_time, on_time + len(late)),
        actions=action_item_balance(postmortems, today),
        recent_class_counts=MappingProxyType(ordered),
        recurring_recent=tuple(slug for slug, n in ordered.items() if n >= 2),
        recurring_after_fix=tuple(o for o in outcomes if o.status == "recurring after fix"),
        going_quiet=tuple(o for o in outcomes if o.status == "going quiet"),
    )
