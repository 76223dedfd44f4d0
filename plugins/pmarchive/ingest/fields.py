"""The front-matter fields of each record kind, and type checks that explain YAML's surprises."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from pmarchive.ingest.yamlsafe import InvalidNumber, InvalidScalar, ScalarSource, describe

FieldType = Literal["str", "int", "number", "bool", "date", "datetime", "str_list", "items"]
Kind = Literal["postmortem", "nearmiss"]
Vocabulary = Literal["classes", "factors", "teams", "services", "alerts"]

BOTH: tuple[Kind, ...] = ("postmortem", "nearmiss")
PM: tuple[Kind, ...] = ("postmortem",)
NM: tuple[Kind, ...] = ("nearmiss",)


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter field: its type, where it applies and what values it accepts."""

    name: str
    type: FieldType
    kinds: tuple[Kind, ...]
    required: tuple[Kind, ...] = ()
    choices: tuple[str, ...] = ()
    vocabulary: Vocabulary | None = None
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "str", BOTH, BOTH, help="Unique id; equals the file name without .md"),
    FieldSpec("title", "str", BOTH, BOTH, help="One-line title"),
    FieldSpec("date", "date", BOTH, BOTH, help="Day it happened (YYYY-MM-DD)"),
    FieldSpec("summary", "str", BOTH, help="One or two sentences for listings and search"),
    FieldSpec(
        "cause_class",
        "str_list",
        BOTH,
        BOTH,
        vocabulary="classes",
        help="Cause classes from taxonomy/classes.yml; at least one",
    ),
    FieldSpec(
        "contributing_factors",
        "str_list",
        BOTH,
        vocabulary="factors",
        help="Contributing factors from taxonomy/factors.yml",
    ),
    FieldSpec("teams", "str_list", BOTH, vocabulary="teams", help="Teams from taxonomy/teams.yml"),
    FieldSpec(
        "services",
        "str_list",
        BOTH,
        vocabulary="services",
        help="Services from taxonomy/services.yml",
    ),
    FieldSpec(
        "alerts",
        "str_list",
        BOTH,
        vocabulary="alerts",
        help="Alerts that fired, from taxonomy/alerts.yml",
    ),
    FieldSpec("related", "str_list", BOTH, help="Ids of related records"),
    FieldSpec(
        "visibility",
        "str",
        BOTH,
        choices=("public", "internal", "restricted"),
        help="Who may read it; internal when absent",
    ),
    FieldSpec(
        "lint_ignore",
        "items",
        BOTH,
        help="Lints silenced in this file: {rule: reason}; the reason is required",
    ),
    # post-mortems only
    FieldSpec("status", "str", PM, PM, choices=("draft", "review", "final")),
    FieldSpec("sev", "int", PM, PM, help="A level of taxonomy/severity.yml"),
    FieldSpec(
        "priority",
        "str",
        PM,
        choices=("P0", "P1", "P2", "P3", "P4"),
        help="Fix urgency, separate from severity",
    ),
    FieldSpec("started_at", "datetime", PM),
    FieldSpec("detected_at", "datetime", PM),
    FieldSpec("mitigated_at", "datetime", PM),
    FieldSpec("resolved_at", "datetime", PM),
    FieldSpec("duration_min", "number", PM, minimum=0, help="Minutes from start to mitigation"),
    FieldSpec("mttd_seconds", "int", PM, minimum=0, help="Seconds from start to detection"),
    FieldSpec("mttr_seconds", "int", PM, minimum=0, help="Seconds from start to resolution"),
    FieldSpec("detection", "str", PM, PM, choices=("alert", "human", "customer")),
    FieldSpec("customer_impact_pct", "number", PM, minimum=0, maximum=100),
    FieldSpec("revenue_impact_usd", "number", PM, minimum=0),
    FieldSpec("data_loss", "bool", PM),
    FieldSpec("security", "bool", PM),
    FieldSpec("action_items", "items", PM),
    FieldSpec("action_items_open", "int", PM, minimum=0),
    FieldSpec("action_items_done", "int", PM, minimum=0),
    FieldSpec("authors", "str_list", PM),
    # near-misses and weak signals only
    FieldSpec("kind", "str", NM, NM, choices=("near-miss", "weak-signal")),
    FieldSpec(
        "caught_by",
        "str",
        NM,
        NM,
        choices=("luck", "defense", "person"),
        help="What stopped it; luck means it deserves a review",
    ),
    FieldSpec("where_blind", "str", NM, help="Where our defences could not see it coming"),
    FieldSpec("suggested_defense", "str", NM),
    FieldSpec("reporter", "str", NM),
)

FIELDS_BY_NAME = {spec.name: spec for spec in FIELDS}

ACTION_ITEM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "str", PM, PM),
    FieldSpec("title", "str", PM, PM),
    FieldSpec("owner", "str", PM),
    FieldSpec("due", "date", PM),
    FieldSpec("status", "str", PM, PM, choices=("open", "done")),
    FieldSpec("kind", "str", PM, PM, choices=("prevent", "detect", "recover", "investigate")),
)
ACTION_ITEM_FIELDS_BY_NAME = {spec.name: spec for spec in ACTION_ITEM_FIELDS}

KIND_LABEL: dict[Kind, str] = {"postmortem": "post-mortem", "nearmiss": "near-miss"}


def fields_for(kind: Kind) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in FIELDS if kind in spec.kinds}


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


def describe_input(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return describe(value)
