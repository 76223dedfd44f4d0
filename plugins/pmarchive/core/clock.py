"""The run's one "today": every date-dependent check and figure of a run reads it from here.

A run (a build, a ``check``, a ``new``) reads the day once, when its config is made, so a run
that crosses midnight never mixes two days. The configured ``today`` wins; then the
``PMARCHIVE_TODAY`` environment variable (ISO date), so CI and tests can pin the day of commands
that have no mkdocs.yml yet (``init``); then the machine's date.
"""

from __future__ import annotations

import datetime as dt
import os

ENV_VAR = "PMARCHIVE_TODAY"


class ClockError(ValueError):
    """A configured day that is not an ISO date."""


def parse_day(value: object, source: str) -> dt.date:
    """An ISO date from config or the environment; ClockError naming ``source`` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ClockError(
            f"{source}: '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-24"
        ) from None


def run_today(configured: object = None) -> dt.date:
    """The day this run is measured from: ``configured``, else $PMARCHIVE_TODAY, else the clock."""
    if configured is not None:
        return parse_day(configured, "today")
    pinned = os.environ.get(ENV_VAR, "").strip()
    if pinned:
        return parse_day(pinned, ENV_VAR)
    return dt.date.today()
