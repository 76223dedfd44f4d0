"""Type checks of front-matter values that explain YAML's surprises (the fields themselves
are declared once, on the record classes: see model/records.py and model/frontmatter.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from pmarchive.ingest.yamlsafe import InvalidNumber, InvalidScalar, ScalarSource, describe
from pmarchive.model.schema import URL_SCHEMES, FieldType, Kind

__all__ = ["FieldError", "FieldType", "Kind", "check_scalar", "describe_input"]


class FieldError(Exception):
    """A value of the wrong type; the message says what was expected and how to fix it."""


def _quote_hint(value: Any, source: ScalarSource | None) -> str:
    if source is not None and source.plain:
        return (
            f'; YAML reads the unquoted {source.raw} as {describe(value)}: quote it: "{source.raw}"'
        )
    return f", got {describe(value)}"


_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters no text field needs: C0/C1 controls (tab and newline allowed) and the bidi
overrides that make text read differently from what it is."""


def check_scalar(spec_type: FieldType, value: Any, source: ScalarSource | None) -> Any:
    """Return the value checked against ``spec_type``, or raise FieldError with the fix."""
    if isinstance(value, InvalidNumber):
        if spec_type in ("int", "number"):
            raise FieldError(value.reason)
        value = value.value  # other types explain it as they explain any number
    if isinstance(value, InvalidScalar):
        what = "date" if spec_type == "date" else "timestamp" if spec_type == "datetime" else ""
        if what:
            raise FieldError(f"invalid {what} '{value.raw}': {value.reason}")
        if spec_type == "str":
            return value.raw
        raise FieldError(f"'{value.raw}' is not a valid value: {value.reason}")
    if spec_type == "url":
        return _check_url(check_scalar("str", value, source))
    if spec_type == "str":
        if not isinstance(value, str):
            if source is not None and source.plain and not isinstance(value, list | dict):
                raise FieldError(f"expected text{_quote_hint(value, source)}")
            raise FieldError(f"expected text, got {describe(value)}")
        if not value.strip():
            raise FieldError("must not be empty")
        control = _CONTROL_CHARACTER.search(value)
        if control is not None:
            code = f"U+{ord(control.group()):04X}"
            raise FieldError(
                f"contains the invisible control character {code} at position "
                f"{control.start() + 1}; remove it (terminals and logs would act on it)"
            )
        return value
    if spec_type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(f"expected a whole number, got {describe(value)}")
        return value
    if spec_type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(f"expected a number, got {describe(value)}")
        return value
    if spec_type == "bool":
        if not isinstance(value, bool):
            raise FieldError(f"expected true or false, got {describe(value)}")
        return value
    if spec_type == "date":
        if isinstance(value, dt.datetime):
            raise FieldError(f"expected a date (YYYY-MM-DD), got {describe(value)}")
        if not isinstance(value, dt.date):
            raise FieldError(f"expected a date written YYYY-MM-DD, got {describe_input(value)}")
        return value
    if spec_type == "datetime":
        if not isinstance(value, dt.datetime):
            raise FieldError(
                f"expected a timestamp such as 2026-05-29T14:05:00Z, got {describe_input(value)}"
            )
        if value.tzinfo is None:
            raise FieldError(
                f"timestamp '{source.raw if source else value}' has no time zone; "
                "add Z for UTC or an offset such as +02:00"
            )
        return value.astimezone(dt.timezone.utc)
    raise FieldError(f"unsupported field type {spec_type}")


def _check_url(text: str) -> str:
    """An http(s) URL with a host; anything else (javascript:, relative paths, bare hosts) is
    refused, with the https form suggested where one is plain to see."""
    url = text.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in URL_SCHEMES and parts.hostname:
        if not re.search(r"\s", url):
            return url
        raise FieldError(f"URL '{text}' contains spaces; encode them as %20")
    hint = ""
    if parts is not None and not parts.scheme and re.match(r"[\w-]+(\.[\w-]+)+(/|$)", url):
        hint = f"; did you mean 'https://{url}'?"
    raise FieldError(
        f"expected an http(s) URL such as https://tracker.example/INC-4312, got '{text}'{hint}"
    )


def describe_input(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return describe(value)
