"""The one declaration of the front-matter fields, and everything derived from it: the record
classes, the published JSON Schema (checked with a real validator), export, search and the
record header."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from pmarchive.authoring.scaffold import _front_matter
from pmarchive.cli import main
from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.taxonomy import _ENTRY_TYPES, _SPECS, load_taxonomy
from pmarchive.model.frontmatter import (
    ACTION_ITEM_FIELDS,
    FIELDS,
    HEADER_ROWS,
    fields_for,
    item_columns,
)
from pmarchive.model.records import ActionItem, NearMiss, PostMortem, Record
from pmarchive.model.schema import PM, FieldSpec, Header, Kind, declared_specs, front
from pmarchive.model.taxonomy import Taxonomy
from pmarchive.search.index import _document, schema
from pmarchive.site.export import EXPORTED, json_schema, record_dict
from pmarchive.site.record_page import render_record_page, template_environment

from .conftest import BASE_NM, BASE_PM, TODAY, front_matter, write

ROOT = Path(__file__).resolve().parent.parent
RECORD_CLASS: dict[Kind, type[Record]] = {"postmortem": PostMortem, "nearmiss": NearMiss}
FOLDER_KIND: dict[str, Kind] = {"postmortems": "postmortem", "nearmisses": "nearmiss"}


def _json_ready(value: Any) -> Any:
    """Front-matter as the schema sees it once it is JSON: dates and times as ISO text."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _front_matter_of(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    loaded = yaml.safe_load(text.split("---", 2)[1])
    assert isinstance(loaded, dict), path
    return _json_ready(loaded)  # type: ignore[no-any-return]


def _schema_problems(root: Path, taxonomy: Taxonomy) -> list[str]:
    """Every record file under ``root`` checked against the JSON Schema the site publishes."""
    validators = {
        kind: jsonschema.Draft202012Validator(
            json_schema(kind, taxonomy), format_checker=jsonschema.FormatChecker()
        )
        for kind in ("postmortem", "nearmiss")
    }
    problems: list[str] = []
    checked = 0
    for folder, kind in FOLDER_KIND.items():
        for path in sorted((root / folder).glob("*.md")):
            checked += 1
            for error in validators[kind].iter_errors(_front_matter_of(path)):
                where = "/".join(map(str, error.absolute_path))
                problems.append(f"{path.name}: {where}: {error.message}")
    assert checked, f"no records under {root}"
    return problems


def test_the_example_archive_matches_the_published_schema() -> None:
    taxonomy, diagnostics = load_taxonomy(ROOT / "taxonomy", ROOT)
    assert diagnostics == []
    assert _schema_problems(ROOT, taxonomy) == []


def test_test_records_and_lint_ignore_match_the_published_schema(archive_root: Path) -> None:
    write(
        archive_root,
        "postmortems/INC-2026-05-29-001.md",
        front_matter(
            BASE_PM,
            priority="P2",
            lint_ignore='{counterfactual: "quoting the customer"}',
            action_items="[{id: AI-1, title: Coalesce, owner: pricing, due: 2026-06-30, "
            "status: done, kind: prevent, done: 2026-06-20, ticket: 'https://t.example/1'}]",
            mitigation="Re-enabled request coalescing",
            trigger="Scheduled cache flush",
            published="2026-06-03",
            tried="[{action: Scale out, helped: no}, {action: Revert, helped: yes}]",
            links="[{label: Ticket, url: 'https://tracker.example/INC-4312'}]",
            evidence_gaps="[logs-rotated]",
        ),
    )
    write(archive_root, "taxonomy/gaps.yml", "gaps:\n  logs-rotated: {title: Logs rotated}\n")
    write(archive_root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    archive = load_archive(ArchiveConfig(root=archive_root, today=TODAY))
    assert [d.format_text() for d in archive.diagnostics] == []
    assert _schema_problems(archive_root, archive.taxonomy) == []


def test_records_written_by_init_match_the_published_schema(tmp_path: Path) -> None:
    target = tmp_path / "archive"
    result = CliRunner().invoke(main, ["init", str(target), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    taxonomy, diagnostics = load_taxonomy(target / "taxonomy", target)
    assert diagnostics == []
    assert _schema_problems(target, taxonomy) == []


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ({"counterfactual": "quoting the customer"}, True),
        ({}, True),
        ([{"id": "AI-1", "title": "t", "status": "open", "kind": "prevent"}], False),
        ({"counterfactual": 3}, False),
    ],
)
def test_lint_ignore_is_published_as_the_mapping_validation_reads(value: Any, valid: bool) -> None:
    lint_ignore = json_schema("nearmiss")["properties"]["lint_ignore"]
    assert jsonschema.Draft202012Validator(lint_ignore).is_valid(value) is valid


@pytest.mark.parametrize(
    ("name", "field_type", "kinds", "required"),
    [
        ("id", "str", ("postmortem", "nearmiss"), True),
        ("cause_class", "str_list", ("postmortem", "nearmiss"), True),
        ("summary", "str", ("postmortem", "nearmiss"), False),
        ("lint_ignore", "text_map", ("postmortem", "nearmiss"), False),
        ("sev", "int", ("postmortem",), True),
        ("duration_min", "number", ("postmortem",), False),
        ("started_at", "datetime", ("postmortem",), False),
        ("data_loss", "bool", ("postmortem",), False),
        ("action_items", "items", ("postmortem",), False),
        ("priority", "str", ("postmortem",), False),
        ("caught_by", "str", ("nearmiss",), True),
        ("where_blind", "str", ("nearmiss",), False),
    ],
)
def test_declarations_give_type_kinds_and_required(
    name: str, field_type: str, kinds: tuple[str, ...], required: bool
) -> None:
    spec = next(spec for spec in FIELDS if spec.name == name)
    assert (spec.type, spec.kinds, bool(spec.required)) == (field_type, kinds, required)


@pytest.mark.parametrize("spec", FIELDS, ids=lambda spec: spec.name)
def test_each_field_is_an_attribute_of_its_record_class(spec: FieldSpec) -> None:
    for kind in spec.kinds:
        attributes = {field.name: field for field in dataclasses.fields(RECORD_CLASS[kind])}
        assert spec.name in attributes
        attribute = attributes[spec.name]
        has_default = (
            attribute.default is not dataclasses.MISSING
            or attribute.default_factory is not dataclasses.MISSING
        )
        assert has_default is not bool(spec.required)


@pytest.mark.parametrize("spec", FIELDS, ids=lambda spec: spec.name)
def test_each_field_is_exported_searched_and_in_the_json_schema(spec: FieldSpec) -> None:
    for kind in spec.kinds:
        published = json_schema(kind)
        assert spec.name in published["properties"]
        assert (spec.name in published["required"]) is bool(spec.required)
        assert (spec.name in EXPORTED[RECORD_CLASS[kind]]) is spec.export
    if spec.search is not None:
        assert spec.search.name in schema().names()


def _every_field_record() -> PostMortem:
    stamp = dt.datetime(2026, 5, 29, 14, 5, tzinfo=dt.timezone.utc)
    return PostMortem(
        id="INC-2026-05-29-001",
        title="Everything set",
        date=dt.date(2026, 5, 29),
        cause_class=("cache-stampede",),
        path="postmortems/INC-2026-05-29-001.md",
        summary="All fields",
        contributing_factors=("no-canary",),
        teams=("checkout",),
        services=("pricing-svc",),
        alerts=("HighErrorRate",),
        related=("INC-2026-01-01-001",),
        visibility="public",
        lint_ignore={"counterfactual": "a quote"},
        status="final",
        sev=2,
        detection="alert",
        priority="P2",
        started_at=stamp,
        detected_at=stamp + dt.timedelta(minutes=1),
        mitigated_at=stamp + dt.timedelta(minutes=6),
        resolved_at=stamp + dt.timedelta(minutes=7),
        duration_min=6,
        mttd_seconds=60,
        mttr_seconds=420,
        customer_impact_pct=12,
        revenue_impact_usd=8400,
        data_loss=True,
        security=True,
        action_items=(ActionItem("AI-1", "Coalesce", "open", "prevent", "pricing"),),
        action_items_open=1,
        action_items_done=0,
        authors=("alice",),
    )


def _every_field_nearmiss() -> NearMiss:
    return NearMiss(
        id="NM-2026-06-02-001",
        title="Nearly",
        date=dt.date(2026, 6, 2),
        cause_class=("retry-storm",),
        path="nearmisses/NM-2026-06-02-001.md",
        summary="All fields",
        contributing_factors=("no-canary",),
        teams=("sre",),
        services=("pricing-svc",),
        alerts=("HighErrorRate",),
        related=("INC-2026-05-29-001",),
        kind="weak-signal",
        caught_by="luck",
        where_blind="Nothing watched it",
        suggested_defense="A canary",
        reporter="bob",
    )


def _header(record: PostMortem | NearMiss) -> str:
    page = render_record_page(record, Taxonomy(), template_environment())
    return page.split("---\n\n", 1)[1]


def _sample(spec: FieldSpec) -> Any:
    """A valid value of any declared field, from its declaration alone."""
    stamp = dt.datetime(2026, 5, 29, 14, 5, tzinfo=dt.timezone.utc)
    samples: dict[str, Any] = {
        "str": spec.choices[0] if spec.choices else f"{spec.name} value",
        "url": f"https://tracker.example/{spec.name}",
        "int": 2,
        "number": 1.5,
        "bool": True,
        "date": dt.date(2026, 5, 29),
        "datetime": stamp,
        "str_list": ("first", "second"),
        "text_map": {"counterfactual": "a quote"},
    }
    if spec.type == "items":
        assert spec.entry_type is not None
        return (spec.entry_type(**{entry.name: _sample(entry) for entry in spec.entries}),)
    return samples[spec.type]


def _filled(kind: Kind) -> PostMortem | NearMiss:
    """A record of ``kind`` with every declared field set (a new field is filled too)."""
    values = {name: _sample(spec) for name, spec in fields_for(kind).items()}
    return RECORD_CLASS[kind](path=f"{kind}.md", **values)  # type: ignore[return-value]


@pytest.mark.parametrize("spec", FIELDS, ids=lambda spec: spec.name)
def test_each_field_is_rendered_in_the_header_or_hidden_with_a_reason(spec: FieldSpec) -> None:
    assert (spec.header is None) is bool(spec.hidden), "a header place or a reason, not both"
    if spec.header is None:
        return
    for kind in spec.kinds:
        rows = [row for row in HEADER_ROWS[kind] if spec in row.fields]
        data_field = rows[0].data_field if rows else spec.name
        assert f'data-field="{data_field}"' in _header(_filled(kind))


@pytest.mark.parametrize(
    ("record", "data_field", "shown"),
    [
        (_every_field_record(), "flags", "data loss, security"),
        (_every_field_record(), "customer_impact_pct", "12% of customers"),
        (_every_field_record(), "duration_min", "6 min"),
        (_every_field_record(), "related", "INC-2026-01-01-001"),
        (_every_field_record(), "authors", "alice"),
        (_every_field_nearmiss(), "where_blind", "Nothing watched it"),
        (_every_field_nearmiss(), "reporter", "bob"),
    ],
)
def test_header_rows_render_their_values(
    record: PostMortem | NearMiss, data_field: str, shown: str
) -> None:
    match = re.search(rf'<td data-field="{data_field}">(.*?)</td>', _header(record), re.S)
    assert match is not None
    assert " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) == shown


def test_action_item_columns_follow_their_declaration() -> None:
    assert [c.header.label for c in item_columns() if c.header] == [
        "Id",
        "Action",
        "Kind",
        "Owner",
        "Due",
        "Status",
        "Done",
        "Ticket",
    ]
    assert {spec.name for spec in ACTION_ITEM_FIELDS} == {
        f.name for f in dataclasses.fields(ActionItem)
    }
    html = _header(_every_field_record())
    assert "<td>AI-1</td><td>Coalesce</td><td>prevent</td><td>pricing</td><td></td>" in html


def test_search_documents_carry_each_searched_field() -> None:
    document = _document(_every_field_record(), "digest")
    assert document["classes"] == "cache-stampede" and document["sev"] == 2
    assert document["title"] == "Everything set" and document["status"] == "final"
    nearmiss = _document(_every_field_nearmiss(), "digest")
    assert (nearmiss["sev"], nearmiss["status"]) == (None, "")
    assert set(document) == set(schema().names())


def test_export_carries_the_declared_fields_and_leaves_the_write_up_out() -> None:
    data = record_dict(_every_field_record())
    assert data["lint_ignore"] == {"counterfactual": "a quote"}
    assert data["started_at"] == "2026-05-29T14:05:00Z"
    assert not {"body", "body_line", "lines", "extra"} & data.keys()
    # kind: a post-mortem's is its record type, spelt as search spells it
    assert set(data) - {"url"} == set(fields_for("postmortem")) | {"path", "record_type", "kind"}


@dataclasses.dataclass(frozen=True)
class _Neither:
    note: str = dataclasses.field(default="", metadata=front(help="shown nowhere"))


@dataclasses.dataclass(frozen=True)
class _Odd:
    note: list[int] = dataclasses.field(default_factory=list, metadata=front(header=Header("Note")))


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (_Neither, "_Neither.note: give the field a header or a reason it is hidden"),
        (_Odd, "_Odd.note: no front-matter type for the annotation"),
    ],
)
def test_a_field_without_a_header_or_a_type_fails_at_import(cls: type, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        declared_specs(cls, PM)


@pytest.mark.parametrize(
    ("entry", "required", "choices"),
    [
        ("classes", ["title"], {"fix_status": ("none", "proposed", "funded", "landed")}),
        ("factors", ["title"], {}),
        ("teams", ["title"], {}),
        ("services", ["title"], {}),
        ("alerts", [], {}),
        ("levels", ["level", "name"], {"analysis": ("full", "lightweight", "note")}),
    ],
)
def test_taxonomy_entries_take_their_fields_from_their_classes(
    entry: str, required: list[str], choices: dict[str, tuple[str, ...]]
) -> None:
    specs = _SPECS[entry]
    keyed = entry != "levels"
    attributes = [f.name for f in dataclasses.fields(_ENTRY_TYPES[entry])]
    assert list(specs) == (attributes[1:] if keyed else attributes)
    assert [name for name, spec in specs.items() if spec.required] == required
    assert {name: spec.choices for name, spec in specs.items() if spec.choices} == choices


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("nearmiss", {"id": "NM-1", "title": "t"}, "required but not written: ['date', "),
        ("postmortem", {"mystery": 1}, "undeclared: ['mystery']"),
    ],
)
def test_scaffolded_front_matter_must_match_the_declaration(
    kind: Kind, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _front_matter(kind, fields)
