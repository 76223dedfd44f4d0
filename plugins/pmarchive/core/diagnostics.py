"""Located problems found in archive files, and how they are printed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from pmarchive.core.credentials import redact


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"
    """Worth knowing, never a failure: time-dependent findings and documented renames."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file: where it is, which field, and what to do about it."""

    path: str
    line: int
    severity: Severity
    field: str
    message: str
    column: int | None = None

    def __post_init__(self) -> None:
        # Messages quote what the author wrote (a field name, a vocabulary value, an id, a
        # did-you-mean), and any of it may be a credential: mask it here, once, for every check.
        # Control characters would reach the reader's terminal or CI log as escape sequences
        # (colours, cursor moves, a fake "0 errors" line): shown as \x1b and the like instead.
        for name in ("path", "field", "message"):
            object.__setattr__(self, name, _printable(redact(getattr(self, name))))

    def format_text(self) -> str:
        field = f"{self.field}: " if self.field else ""
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"
        return f"{self.path}:{where}: {self.severity.value}: {field}{self.message}"

    def format_github(self) -> str:
        kind = self.severity.value
        body = f"{self.field}: {self.message}" if self.field else self.message
        col = f",col={self.column}" if self.column else ""
        return (
            f"::{kind} file={_gh_property(self.path)},line={self.line}{col},"
            f"title={_gh_property(self.field or 'pmarchive')}::{_gh_data(body)}"
        )


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _printable(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes (tabs kept)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _gh_data(text: str) -> str:
    # GitHub workflow commands: % CR LF must be escaped in the message part.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


class Reporter:
    """Collects diagnostics for one file so checks can keep going after the first problem."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Diagnostic] = []

    def error(self, line: int, field: str, message: str, column: int | None = None) -> None:
        self.items.append(Diagnostic(self.path, line, Severity.ERROR, field, message, column))

    def warning(self, line: int, field: str, message: str) -> None:
        self.items.append(Diagnostic(self.path, line, Severity.WARNING, field, message))

    def notice(self, line: int, field: str, message: str) -> None:
        self.items.append(Diagnostic(self.path, line, Severity.NOTICE, field, message))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)
