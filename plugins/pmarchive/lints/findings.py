"""A lint finding, its severities, and where in the file a match sits."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from pmarchive.core.credentials import redact
from pmarchive.model.records import AnyRecord

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
"""Reported by ``check`` and on the pages, never a reason for a strict build to fail."""


@dataclass(frozen=True, order=True)
class LintFinding:
    """One lint result, located in the file so an editor or CI annotation can jump to it."""

    line: int
    """File line, 1-based."""
    column: int
    """Column of the match in that line, 1-based."""
    rule: str
    """Rule id, one of ``RULES``."""
    severity: str
    """``"error"`` (stops publication) or ``"warning"``."""
    message: str
    """What was found and what to write instead; never contains an unmasked secret."""

    def __post_init__(self) -> None:
        # a quoted phrase can hold a credential too ("caused by @<token>")
        object.__setattr__(self, "message", redact(self.message))


class Locator:
    """Turns an offset in a text into a file (line, column)."""

    def __init__(self, text: str, first_line: int, first_column: int) -> None:
        self.text = text
        self.first_line = first_line
        self.first_column = first_column
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Offset of each line of the text; worked out on the first finding, since most texts
        have none."""
        if self._starts is None:
            lengths = (len(line) + 1 for line in self.text.split("\n"))
            self._starts = [0, *itertools.accumulate(lengths)][:-1]
        return self._starts

    def __call__(self, offset: int) -> tuple[int, int]:
        starts = self.starts
        index = bisect.bisect_right(starts, offset) - 1
        column = offset - starts[index] + 1
        if index == 0:
            column += self.first_column - 1
        return self.first_line + index, column


def field_line(record: AnyRecord, *names: str) -> int:
    """File line of the first of ``names`` the front-matter sets; 1 when it sets none."""
    for name in names:
        if name in record.lines:
            return record.lines[name]
    return 1
