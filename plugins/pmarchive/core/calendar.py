"""Calendar arithmetic every stage shares: quarters ('2026-Q2') and business days."""

from __future__ import annotations

import datetime as dt
import re

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def quarter_of(day: dt.date) -> str:
    """The calendar quarter of a date as 'YYYY-Qn': January to March is Q1, and so on."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _parse_quarter(quarter: str) -> tuple[int, int]:
    match = _QUARTER.fullmatch(quarter)
    if match is None:
        raise ValueError(f"'{quarter}' is not a quarter; expected 'YYYY-Qn' such as '2026-Q2'")
    return int(match[1]), int(match[2])


def quarters_between(first: str, last: str) -> tuple[str, ...]:
    """Every quarter from ``first`` to ``last``, both included; empty when ``last`` is earlier.

    Charts iterate over this rather than over the quarters that have records, so a quarter
    without incidents shows as zero instead of vanishing from the axis.
    """
    year, number = _parse_quarter(first)
    end = _parse_quarter(last)
    out: list[str] = []
    while (year, number) <= end:
        out.append(f"{year}-Q{number}")
        year, number = (year + 1, 1) if number == 4 else (year, number + 1)
    return tuple(out)


def previous_quarter(quarter: str) -> str:
    """The quarter before ``quarter``: '2026-Q1' gives '2025-Q4'."""
    year, number = _parse_quarter(quarter)
    return f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter."""
    year, number = _parse_quarter(quarter)
    first = dt.date(year, 3 * number - 2, 1)
    after = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return first, after - dt.timedelta(days=1)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days after ``start``; business days are Monday to Friday.

    Starting on a weekend counts from the following Monday: Saturday + 1 business day is Monday.
    Holidays are not known to the archive and count as business days.
    """
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day
