"""The validated dataset as JSON, JSON Lines and CSV, and the JSON Schema of the front-matter."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from pmarchive.model.frontmatter import exported, fields_for
from pmarchive.model.records import AnyRecord, NearMiss, PostMortem
from pmarchive.model.schema import FieldSpec, Kind
from pmarchive.model.taxonomy import Taxonomy

YAML_WORDS = {"yes": True, "no": False}
"""Choices YAML 1.1 reads as booleans when unquoted (helped: yes)."""

EXPORTED = {PostMortem: exported(PostMortem), NearMiss: exported(NearMiss)}
"""Per record class, the attributes the dataset carries (the write-up stays on its page)."""


def record_dict(record: AnyRecord) -> dict[str, Any]:
    """One record as plain JSON-ready data (the write-up itself stays on its page)."""
    columns = EXPORTED[type(record)]
    data = {k: v for k, v in dataclasses.asdict(record).items() if k in columns}
    data["record_type"] = record.record_type
    # one spelling of each kind across search, export and pages: postmortem, near-miss,
    # weak-signal (a near-miss's own kind field already says which)
    data.setdefault("kind", record.record_type)
    data["url"] = record.url
    data.update(record.extra)
    return _plain(data)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(records: Sequence[AnyRecord]) -> str:
    """The records as one JSON array; NaN or infinity raises ValueError (validation refuses
    them, so this is a last guard: they are not JSON, and browsers reject the whole file)."""
    data = [record_dict(r) for r in records]
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_jsonl(records: Sequence[AnyRecord]) -> str:
    """One JSON object per line; refuses NaN and infinity like ``to_json``."""
    return "".join(
        json.dumps(record_dict(r), ensure_ascii=False, allow_nan=False) + "\n" for r in records
    )


def to_csv(records: Sequence[AnyRecord]) -> str:
    """One row per record; lists joined with ';', lists of entries as counts."""
    rows = []
    for record in records:
        row = record_dict(record)
        for name, spec in fields_for(record.record_type).items():
            if spec.type == "items" and name in row:
                row[name] = len(row[name])
        if isinstance(record, PostMortem):
            row["action_items_open"] = record.open_items
            row["action_items_done"] = record.done_items
        rows.append(
            {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        )
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _field_schema(spec: FieldSpec, taxonomy: Taxonomy | None) -> dict[str, Any]:
    schema: dict[str, Any]
    if spec.type == "str":
        schema = {"type": "string", "minLength": 1}
        if spec.choices:
            # YAML 1.1 reads an unquoted yes / no as a boolean, which validation takes as the word
            words = [flag for word, flag in YAML_WORDS.items() if word in spec.choices]
            schema = {"enum": [*spec.choices, *words]}
    elif spec.type == "url":
        schema = {"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}
    elif spec.type == "int":
        schema = {"type": "integer"}
    elif spec.type == "number":
        schema = {"type": "number"}
    elif spec.type == "bool":
        schema = {"type": "boolean"}
    elif spec.type == "date":
        schema = {"type": "string", "format": "date"}
    elif spec.type == "datetime":
        schema = {"type": "string", "format": "date-time"}
    elif spec.type == "items":
        schema = {
            "type": "array",
            "items": _object_schema(spec.entries, spec.kinds[0], taxonomy, ()),
        }
    elif spec.type == "text_map":
        schema = {"type": "object", "additionalProperties": {"type": "string"}}
    else:
        item: dict[str, Any] = {"type": "string"}
        if spec.vocabulary and taxonomy is not None:
            item = {"enum": sorted(taxonomy.names(spec.vocabulary))}
        schema = {"type": "array", "items": item, "uniqueItems": True}
        if spec.min_items:
            schema["minItems"] = spec.min_items
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    if spec.help:
        schema["description"] = spec.help
    return schema


def _object_schema(
    specs: Sequence[FieldSpec], kind: Kind, taxonomy: Taxonomy | None, extra_fields: Sequence[str]
) -> dict[str, Any]:
    properties = {spec.name: _field_schema(spec, taxonomy) for spec in specs}
    properties.update({name: {} for name in extra_fields})
    return {
        "type": "object",
        "properties": properties,
        "required": [spec.name for spec in specs if kind in spec.required],
        "additionalProperties": False,
    }


def json_schema(
    kind: Kind, taxonomy: Taxonomy | None = None, extra_fields: Sequence[str] = ()
) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one record kind's front-matter, vocabularies included."""
    schema = _object_schema(list(fields_for(kind).values()), kind, taxonomy, extra_fields)
    if kind == "postmortem" and taxonomy is not None and taxonomy.severity:
        schema["properties"]["sev"]["enum"] = sorted(taxonomy.severity)
    label = "Post-mortem" if kind == "postmortem" else "Near-miss or weak signal"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{label} front-matter",
        **schema,
    }


def combined_schema(taxonomy: Taxonomy | None, extra_fields: Sequence[str] = ()) -> dict[str, Any]:
    """Both record kinds: a post-mortem or a near-miss (told apart by their required fields)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pmarchive record front-matter",
        "oneOf": [
            {k: v for k, v in json_schema(kind, taxonomy, extra_fields).items() if k != "$schema"}
            for kind in ("postmortem", "nearmiss")
        ],
    }
