"""The front-matter fields of each record kind, derived from the record classes' declarations,
and the views of them that validation, export, search and the page header read."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from pmarchive.model.records import ActionItem, NearMiss, PostMortem, Record
from pmarchive.model.schema import BOTH, NM, PLACED, PM, FieldSpec, Kind, Show, declared_specs

_COMMON = declared_specs(Record, BOTH)
_COMMON_NAMES = tuple(spec.name for spec in _COMMON)

FIELDS: tuple[FieldSpec, ...] = (
    *_COMMON,
    *declared_specs(PostMortem, PM, inherited=_COMMON_NAMES),
    *declared_specs(NearMiss, NM, inherited=_COMMON_NAMES),
)
FIELDS_BY_NAME = {spec.name: spec for spec in FIELDS}
ACTION_ITEM_FIELDS: tuple[FieldSpec, ...] = declared_specs(ActionItem, PM)
ACTION_ITEM_FIELDS_BY_NAME = {spec.name: spec for spec in ACTION_ITEM_FIELDS}


def fields_for(kind: Kind) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in FIELDS if kind in spec.kinds}


def list_fields(kind: Kind) -> tuple[str, ...]:
    """Fields read as a list of names (a single name is accepted as a list of one)."""
    return tuple(name for name, spec in fields_for(kind).items() if spec.type == "str_list")


def exported(record_class: type[Record]) -> frozenset[str]:
    """The attributes of ``record_class`` that the dataset export carries: its exported
    front-matter fields, the file it came from and its record type."""
    names = {field.name for field in dataclasses.fields(record_class)}
    kind: Kind = "postmortem" if record_class is PostMortem else "nearmiss"
    declared = {name for name, spec in fields_for(kind).items() if spec.export}
    return frozenset(declared | ({"path", "record_type"} & names))


@dataclass(frozen=True)
class HeaderRow:
    """One row of the record header's facts table: the fields it shows and how."""

    label: str
    show: Show
    fields: tuple[FieldSpec, ...]
    link: str = ""
    """The kind of page each term links to, for rows of terms."""

    @property
    def data_field(self) -> str:
        """The row's ``data-field``: the field's name, or the label's word for a shared row."""
        return self.fields[0].name if len(self.fields) == 1 else self.label.lower()

    @property
    def name(self) -> str:
        return self.fields[0].name


def header_rows(kind: Kind) -> tuple[HeaderRow, ...]:
    """The facts rows of a record kind's header, in their declared order."""
    rows: dict[str, HeaderRow] = {}
    ordered = sorted(
        (spec for spec in fields_for(kind).values() if spec.header is not None),
        key=lambda spec: spec.header.order if spec.header is not None else 0,
    )
    for spec in ordered:
        header = spec.header
        if header is None or header.show in PLACED:
            continue
        row = rows.get(header.label)
        if row is None:
            link = header.link or spec.vocabulary or ""
            rows[header.label] = HeaderRow(header.label, header.show, (spec,), link)
        else:
            rows[header.label] = dataclasses.replace(row, fields=(*row.fields, spec))
    return tuple(rows.values())


def item_columns(specs: Sequence[FieldSpec] = ACTION_ITEM_FIELDS) -> tuple[FieldSpec, ...]:
    """The columns of a table of entries (action items), in their declared order."""
    return tuple(
        sorted(
            (spec for spec in specs if spec.header is not None),
            key=lambda spec: spec.header.order if spec.header is not None else 0,
        )
    )


HEADER_ROWS: dict[Kind, tuple[HeaderRow, ...]] = {kind: header_rows(kind) for kind in BOTH}
