"""How a front-matter field is declared: one ``front(...)`` on its record attribute carries
everything validation, the JSON Schema, export, search and the page header derive from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NewType

FieldType = Literal[
    "str", "url", "int", "number", "bool", "date", "datetime", "str_list", "items", "text_map"
]
Kind = Literal["postmortem", "nearmiss"]
Vocabulary = Literal["classes", "factors", "teams", "services", "alerts", "gaps"]

Url = NewType("Url", str)
"""An http(s) URL: annotate a field with it and validation refuses every other scheme."""
URL_SCHEMES = ("http", "https")

BOTH: tuple[Kind, ...] = ("postmortem", "nearmiss")
PM: tuple[Kind, ...] = ("postmortem",)
NM: tuple[Kind, ...] = ("nearmiss",)
KIND_LABEL: dict[Kind, str] = {"postmortem": "post-mortem", "nearmiss": "near-miss"}

# The value lists, each named once; analyses, charts and the CLI read them from here.
VISIBILITIES = ("public", "internal", "restricted")
"""Narrowest audience last: a record is shown to its own audience and every narrower one."""
STATUSES = ("draft", "review", "final")
PRIORITIES = ("P0", "P1", "P2", "P3", "P4")
DETECTION_SOURCES = ("alert", "human", "customer")
NEARMISS_KINDS = ("near-miss", "weak-signal")
CAUGHT_BY = ("luck", "defense", "person")
ACTION_STATUSES = ("open", "done")
ACTION_KINDS = ("prevent", "detect", "recover", "investigate")
HELPED = ("yes", "no", "partly")
"""Whether a step responders tried helped end the impact."""

VOCABULARY_LABEL: dict[Vocabulary, str] = {
    "classes": "cause class",
    "factors": "contributing factor",
    "teams": "team",
    "services": "service",
    "alerts": "alert",
    "gaps": "evidence gap",
}

Show = Literal[
    # placed by the header template itself
    "title",
    "id",
    "badge",
    "summary",
    "items",
    # a row of the facts table, rendered by kind
    "text",
    "date",
    "stamp",
    "minutes",
    "seconds",
    "percent",
    "money",
    "terms",
    "list",
    "flag",
    "links",
    # a row placed outside the facts table, in its declared order
    "callout",
    "entries",
    # a column of a table of entries
    "url",
    "verdict",
]
"""How a value is rendered. ``links``: entries with a ``label`` and a ``url``, each a link (only
through site/safety.safe_url); ``callout``: a labelled paragraph right after the summary;
``entries``: a small captioned table of entries, one column per entry field with a header;
``url``: a link whose text is the header's ``text`` (or the URL); ``verdict``: a marked value
(yes / no / partly)."""
PLACED = ("title", "id", "badge", "summary", "items")
OUTSIDE_TABLE = ("callout", "entries")
"""Header rows that are not rows of the facts table."""


@dataclass(frozen=True)
class Header:
    """Where a field shows in the record header: its label, how its value is rendered, and
    its place among the facts rows (rows sharing a label, like the flags, share one row)."""

    label: str
    show: Show = "text"
    order: int = 0
    """Facts rows are sorted by it; ties keep declaration order."""
    text: str = ""
    """Words shown with the value: a flag's words when it is true, a percentage's unit."""
    link: str = ""
    """For terms that are not a vocabulary: the kind of page they link to ('records')."""


SearchType = Literal["id", "text", "keyword", "numeric", "datetime"]


@dataclass(frozen=True)
class Search:
    """How a field is indexed: the index's field name (query filters use it) and its type."""

    name: str
    type: SearchType
    boost: float = 1.0
    unique: bool = False
    scorable: bool = False
    sortable: bool = False


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
    min_items: int = 0
    help: str = ""
    header: Header | None = None
    hidden: str = ""
    """Why the field has no place of its own in the record header (header is then None)."""
    search: Search | None = None
    export: bool = True
    entries: tuple[FieldSpec, ...] = ()
    """For a list of mappings (type items): the fields of each entry."""
    entry_type: Callable[..., object] | None = None
    """For a list of mappings: the class each checked entry becomes."""


@dataclass(frozen=True)
class _Declared:
    choices: tuple[str, ...]
    vocabulary: Vocabulary | None
    minimum: float | None
    maximum: float | None
    min_items: int
    help: str
    header: Header | None
    hidden: str
    search: Search | None
    export: bool


_KEY = "pmarchive"


def front(
    *,
    help: str = "",
    choices: tuple[str, ...] = (),
    vocabulary: Vocabulary | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    min_items: int = 0,
    header: Header | None = None,
    hidden: str = "",
    search: Search | None = None,
    export: bool = True,
) -> dict[str, Any]:
    """The metadata that makes a record attribute a front-matter field.

    ``dataclasses.field(metadata=front(...))``; a field without a default is required. Every
    field is either shown in the header or hidden with the reason.
    """
    return {
        _KEY: _Declared(
            choices, vocabulary, minimum, maximum, min_items, help, header, hidden, search, export
        )
    }


_SCALARS: dict[object, FieldType] = {
    str: "str",
    Url: "url",
    int: "int",
    float: "number",
    bool: "bool",
    dt.date: "date",
    dt.datetime: "datetime",
}


def annotation_type(annotation: Any, owner: str, name: str) -> tuple[FieldType, type | None]:
    """The FieldType an attribute's annotation stands for, and the entry class of a list of
    mappings; an annotation with no front-matter meaning is a TypeError at import."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    union = isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
    if union and len(args) == 1:
        annotation, args = args[0], list(typing.get_args(args[0]))
    origin = typing.get_origin(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation], None
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] is str:
            return "str_list", None
        if dataclasses.is_dataclass(args[0]) and isinstance(args[0], type):
            return "items", args[0]
    if origin is dict and args == [str, str]:
        return "text_map", None
    raise TypeError(f"{owner}.{name}: no front-matter type for the annotation {annotation!r}")


def declared_specs(
    cls: type, kinds: tuple[Kind, ...], inherited: tuple[str, ...] = ()
) -> tuple[FieldSpec, ...]:
    """The front-matter fields declared on ``cls`` (skipping the ``inherited`` names), in
    declaration order; required when the attribute has no default."""
    hints = typing.get_type_hints(cls)
    specs: list[FieldSpec] = []
    for attribute in dataclasses.fields(cls):
        declared = attribute.metadata.get(_KEY)
        if declared is None or attribute.name in inherited:
            continue
        assert isinstance(declared, _Declared)
        field_type, entry_class = annotation_type(
            hints[attribute.name], cls.__name__, attribute.name
        )
        required = (
            attribute.default is dataclasses.MISSING
            and attribute.default_factory is dataclasses.MISSING
        )
        if (declared.header is None) == (not declared.hidden):
            raise TypeError(
                f"{cls.__name__}.{attribute.name}: give the field a header or a reason it is hidden"
            )
        specs.append(
            FieldSpec(
                name=attribute.name,
                type=field_type,
                kinds=kinds,
                required=kinds if required else (),
                choices=declared.choices,
                vocabulary=declared.vocabulary,
                minimum=declared.minimum,
                maximum=declared.maximum,
                min_items=declared.min_items,
                help=declared.help,
                header=declared.header,
                hidden=declared.hidden,
                search=declared.search,
                export=declared.export,
                entries=declared_specs(entry_class, kinds) if entry_class is not None else (),
                entry_type=entry_class,
            )
        )
    return tuple(specs)
