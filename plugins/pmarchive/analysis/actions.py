"""Action items: open, done and overdue, and the balance of their kinds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from pmarchive.analysis.stats import rate
from pmarchive.model.records import PostMortem
from pmarchive.model.schema import ACTION_KINDS


@dataclass(frozen=True)
class OverdueItem:
    record_id: str
    item_id: str
    title: str
    owner: str
    due: dt.date


@dataclass(frozen=True)
class ActionItemBalance:
    open: int
    done: int
    overdue: int
    by_kind: Mapping[str, int] = field(hash=False)
    """Items per kind, open and done together; prevent / detect / recover / investigate always."""
    short_form_open: int
    """Open items known only from action_items_open (no list): in ``open``, not in kinds."""
    short_form_done: int
    """Done items known only from action_items_done (no list): in ``done``, not in kinds."""
    overdue_items: tuple[OverdueItem, ...] = ()

    @property
    def total(self) -> int:
        return self.open + self.done

    @property
    def completion_rate(self) -> float | None:
        """done / (open + done); None without items."""
        return rate(self.done, self.total)


def action_item_balance(postmortems: Sequence[PostMortem], today: dt.date) -> ActionItemBalance:
    """Open, done and overdue action items and the balance of their kinds.

    From listed items: open = status other than 'done', done = status 'done', overdue = open
    with a due date before today, and a count per kind. A post-mortem without a list but with
    action_items_open / action_items_done adds those numbers to open / done only (and to
    short_form_open / short_form_done), since it says nothing of kinds or due dates.
    """
    open_n = done_n = short_open = short_done = 0
    kinds: dict[str, int] = dict.fromkeys(ACTION_KINDS, 0)
    overdue: list[OverdueItem] = []
    for pm in postmortems:
        if not pm.action_items:
            short_open += pm.action_items_open or 0
            short_done += pm.action_items_done or 0
            continue
        for item in pm.action_items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
            if item.status == "done":
                done_n += 1
                continue
            open_n += 1
            if item.due is not None and item.due < today:
                overdue.append(OverdueItem(pm.id, item.id, item.title, item.owner, item.due))
    overdue.sort(key=lambda item: (item.due, item.record_id, item.item_id))
    return ActionItemBalance(
        open=open_n + short_open,
        done=done_n + short_done,
        overdue=len(overdue),
        by_kind=MappingProxyType(kinds),
        short_form_open=short_open,
        short_form_done=short_done,
        overdue_items=tuple(overdue),
    )
