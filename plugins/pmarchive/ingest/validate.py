"""Turn one file's located front-matter into a typed record, reporting every problem found."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from typing import Any

from pmarchive.core.diagnostics import Reporter
from pmarchive.core.suggest import allowed_list, closest, did_you_mean
from pmarchive.ingest.checks import check_entry, check_value
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.yamlsafe import InvalidNumber, InvalidScalar, Located
from pmarchive.model.frontmatter import fields_for, list_fields
from pmarchive.model.records import AnyRecord, NearMiss, PostMortem, derived_durations
from pmarchive.model.schema import KIND_LABEL, VOCABULARY_LABEL, FieldSpec, Kind
from pmarchive.model.taxonomy import Taxonomy

TIMESTAMPS = ("started_at", "detected_at", "mitigated_at", "resolved_at")


def validate_record(
    kind: Kind,
    doc: Located,
    *,
    path: str,
    stem: str,
    body: str,
    body_line: int,
    taxonomy: Taxonomy,
    config: ArchiveConfig,
    report: Reporter,
    fence_line: int = 1,
) -> AnyRecord | None:
    """Check every field, then the fields against each other; None if any error was found."""
    for problem in doc.problems:
        report.error(problem.line, problem.field, problem.message)
    meta = doc.value
    if meta is None:
        report.error(fence_line, "", "front-matter is empty; it needs at least id and title")
        return None
    if not isinstance(meta, dict):
        report.error(fence_line, "", "front-matter must be a mapping of 'field: value' lines")
        return None

    specs = fields_for(kind)
    other_kind: Kind = "nearmiss" if kind == "postmortem" else "postmortem"
    other_specs = fields_for(other_kind)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in meta.items():
        line = doc.line_of((key,))
        spec = specs.get(key)
        if spec is None:
            if key in other_specs:
                report.error(
                    line,
                    key,
                    f"'{key}' is a {KIND_LABEL[other_kind]} field; a {KIND_LABEL[kind]} does not "
                    f"carry it (is the file in the wrong folder?)",
                )
            elif key in config.extra_fields:
                if _plain_extra(value, doc, (key,), report, key):
                    extra[key] = value
            else:
                report.error(
                    line,
                    key,
                    f"unknown field '{key}'"
                    f"{did_you_mean(key, [*specs, *config.extra_fields])} (declare extra fields "
                    "in the plugin's extra_fields option)",
                )
            continue
        checked = check_value(spec, value, doc, (key,), report, key)
        if checked is not None:
            values[key] = checked

    for name, spec in specs.items():
        if kind in spec.required and name not in meta:
            report.error(fence_line, name, f"required field '{name}' is missing{_hint(spec)}")

    for name, spec in specs.items():
        if spec.min_items and name in values and len(values[name]) < spec.min_items:
            count = "one" if spec.min_items == 1 else str(spec.min_items)
            what = (
                f"{VOCABULARY_LABEL[spec.vocabulary]} from taxonomy/{spec.vocabulary}.yml"
                if spec.vocabulary
                else "entry"
            )
            report.error(doc.line_of((name,)), name, f"needs at least {count} {what}")
    for name, spec in specs.items():
        if spec.vocabulary and name in values:
            values[name] = _resolve_vocabulary(spec, values[name], doc, taxonomy, report)
    _check_ranges(specs, values, doc, report)
    _check_identity(kind, values, doc, stem, config, report)
    _check_dates(values, doc, config, report)
    if kind == "postmortem":
        _check_severity(values, doc, taxonomy, report)
        _check_durations(values, doc, report)
        _check_published(values, doc, config, report)
        _check_recommended(values, doc, fence_line, report)
    for name, spec in specs.items():
        if name in meta and spec.type == "items":
            values[name] = _entries(spec, meta[name], doc, report)
    if kind == "postmortem":
        _check_item_counts(values, doc, report)
    for name, spec in specs.items():
        if name in meta and spec.type == "text_map":
            values[name] = _text_map(spec, meta[name], doc, report)

    if report.has_errors:
        return None
    common: dict[str, Any] = {
        "path": path,
        "body": body,
        "body_line": body_line,
        "extra": extra,
        "lines": {str(key): doc.line_of((key,)) for key in meta},
        "visibility": values.pop("visibility", config.default_visibility),
    }
    for name in list_fields(kind):
        if name in values:
            values[name] = tuple(values[name])
    if kind == "postmortem":
        return PostMortem(**common, **values)
    return NearMiss(**common, **values)


def _plain_extra(
    value: Any, doc: Located, path: tuple[str | int, ...], report: Reporter, label: str
) -> bool:
    """Whether an undeclared-type extra field holds only readable values (it is exported as is).

    Reports every value YAML could not read, or read as a number we refuse (NaN, hex, ...).
    """
    if isinstance(value, InvalidNumber):
        report.error(doc.line_of(path), label, value.reason)
        return False
    if isinstance(value, InvalidScalar):
        report.error(
            doc.line_of(path), label, f"'{value.raw}' is not a valid value: {value.reason}"
        )
        return False
    if isinstance(value, list):
        results = [
            _plain_extra(item, doc, (*path, i), report, label) for i, item in enumerate(value)
        ]
        return all(results)
    if isinstance(value, dict):
        results = [
            _plain_extra(item, doc, (*path, key), report, f"{label}.{key}")
            for key, item in value.items()
        ]
        return all(results)
    return True


def _hint(spec: FieldSpec) -> str:
    if spec.choices:
        return f" (one of {allowed_list(spec.choices)})"
    if spec.help:
        return f" ({spec.help})"
    return ""


def _resolve_vocabulary(
    spec: FieldSpec, names: list[str], doc: Located, taxonomy: Taxonomy, report: Reporter
) -> list[str]:
    assert spec.vocabulary is not None
    label = VOCABULARY_LABEL[spec.vocabulary]
    known = taxonomy.names(spec.vocabulary)
    aliases = taxonomy.aliases(spec.vocabulary)
    resolved: list[str] = []
    raw = doc.value.get(spec.name)
    for index, name in enumerate(names):
        item_path = (spec.name, index) if isinstance(raw, list) else (spec.name,)
        line = doc.line_of(item_path)
        current, was_alias = taxonomy.resolve(spec.vocabulary, name)
        if current is None:
            best = closest(name, [*known, *aliases])
            if best is not None:
                target = aliases.get(best, best)
                hint = f"; did you mean '{target}'?"
            else:
                hint = (
                    f" (known: {allowed_list(known)})"
                    if known
                    else f"; taxonomy/{spec.vocabulary}.yml defines no {label}s: add "
                    f"'{name}' there (slug, title, description) or remove it here"
                )
            report.error(line, spec.name, f"unknown {label} '{name}'{hint}")
            continue
        if was_alias:
            # a documented rename: old records keep the old name and count under the new one
            report.notice(
                line,
                spec.name,
                f"'{name}' is an old name of {label} '{current}' and is counted as '{current}'",
            )
        if current not in resolved:
            resolved.append(current)
    return resolved


def _check_ranges(
    specs: dict[str, FieldSpec], values: dict[str, Any], doc: Located, report: Reporter
) -> None:
    for name, spec in specs.items():
        value = values.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        line = doc.line_of((name,))
        if spec.minimum is not None and value < spec.minimum:
            report.error(line, name, f"{value} is below the minimum {spec.minimum:g}")
            values.pop(name)
        elif spec.maximum is not None and value > spec.maximum:
            report.error(line, name, f"{value} is above the maximum {spec.maximum:g}")
            values.pop(name)


def _check_identity(
    kind: Kind,
    values: dict[str, Any],
    doc: Located,
    stem: str,
    config: ArchiveConfig,
    report: Reporter,
) -> None:
    record_id = values.get("id")
    if record_id is None:
        return
    line = doc.line_of(("id",))
    pattern = config.postmortem_id_pattern if kind == "postmortem" else config.nearmiss_id_pattern
    if not record_id.isascii():
        # fullwidth or Arabic-Indic digits look like ids but make different URLs and files
        plain = unicodedata.normalize("NFKC", record_id)
        hint = f"; did you mean '{plain}'?" if plain.isascii() else ""
        report.error(
            line, "id", f"'{record_id}' has characters outside ASCII; ids are ASCII only{hint}"
        )
    elif not re.fullmatch(pattern, record_id, re.ASCII):
        report.error(line, "id", f"'{record_id}' does not match the id pattern {pattern}")
    if record_id != stem:
        report.error(
            line,
            "id",
            f"id '{record_id}' differs from the file name '{stem}.md'; "
            f"rename the file to '{record_id}.md' or set id: {stem}",
        )


def _check_dates(
    values: dict[str, Any], doc: Located, config: ArchiveConfig, report: Reporter
) -> None:
    today = config.effective_today()
    date = values.get("date")
    if isinstance(date, dt.date) and date > today:
        report.error(
            doc.line_of(("date",)),
            "date",
            f"{date.isoformat()} is in the future (today is {today.isoformat()})",
        )
        values.pop("date")
        date = None
    present = [(name, values[name]) for name in TIMESTAMPS if name in values]
    for name, stamp in present:
        if stamp.date() > today:
            report.error(
                doc.line_of((name,)),
                name,
                f"{stamp.isoformat()} is in the future (today is {today.isoformat()})",
            )
    for (earlier_name, earlier), (later_name, later) in itertools.pairwise(present):
        if later < earlier:
            report.error(
                doc.line_of((later_name,)),
                later_name,
                f"{later_name} {_stamp(later)} is before {earlier_name} {_stamp(earlier)}; "
                "the order is started <= detected <= mitigated <= resolved",
            )
    started = values.get("started_at")
    if isinstance(date, dt.date) and started is not None and abs((started.date() - date).days) > 1:
        report.warning(
            doc.line_of(("date",)),
            "date",
            f"date {date.isoformat()} is not the day of started_at {_stamp(started)}",
        )


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_severity(
    values: dict[str, Any], doc: Located, taxonomy: Taxonomy, report: Reporter
) -> None:
    sev = values.get("sev")
    if sev is None or not taxonomy.severity:
        return
    if sev not in taxonomy.severity:
        levels = sorted(taxonomy.severity)
        nearest = min(levels, key=lambda level: abs(level - sev))
        report.error(
            doc.line_of(("sev",)),
            "sev",
            f"SEV {sev} is not on the severity ladder (levels: "
            f"{', '.join(str(level) for level in levels)}); did you mean {nearest}?",
        )


RECOMMENDED_UP_TO_SEV = 2
"""A final post-mortem at this severity or worse should say what ended the impact."""


def _check_recommended(
    values: dict[str, Any], doc: Located, fence_line: int, report: Reporter
) -> None:
    sev = values.get("sev")
    if values.get("status") != "final" or not isinstance(sev, int) or "mitigation" in values:
        return
    if sev > RECOMMENDED_UP_TO_SEV or "mitigation" in doc.value:
        return  # a broken mitigation is already an error
    report.warning(
        doc.line_of(("status",)) if "status" in doc.value else fence_line,
        "mitigation",
        f"mitigation is recommended for SEV-1/2 final post-mortems (this one is SEV-{sev}): "
        "add 'mitigation:' with what ended the customer impact, in one or two sentences",
    )


def _check_published(
    values: dict[str, Any], doc: Located, config: ArchiveConfig, report: Reporter
) -> None:
    published = values.get("published")
    if not isinstance(published, dt.date):
        return
    line = doc.line_of(("published",))
    today = config.effective_today()
    date = values.get("date")
    if published > today:
        report.error(
            line,
            "published",
            f"{published.isoformat()} is in the future (today is {today.isoformat()})",
        )
    elif isinstance(date, dt.date) and published < date:
        report.error(
            line,
            "published",
            f"published {published.isoformat()} is before the incident's date "
            f"{date.isoformat()}; it is the day the write-up was published",
        )


def _check_durations(values: dict[str, Any], doc: Located, report: Reporter) -> None:
    """Explicit durations must agree with the timestamps; missing ones are derived."""
    if any(name not in values and name in doc.value for name in TIMESTAMPS):
        return  # a timestamp is broken and already reported; nothing sound to compare with
    derived = derived_durations(*(values.get(name) for name in TIMESTAMPS))
    formulas = {
        "duration_min": ("mitigated_at - started_at", 1.0, "minutes"),
        "mttd_seconds": ("detected_at - started_at", 1.0, "seconds"),
        "mttr_seconds": ("resolved_at - started_at", 1.0, "seconds"),
    }
    for name, amount in derived.items():
        formula, tolerance, unit = formulas[name]
        given = values.get(name)
        if given is None:
            values[name] = round(amount) if name != "duration_min" else round(amount, 1)
            continue
        if abs(given - amount) >= tolerance:
            shown = f"{amount:g}"
            report.error(
                doc.line_of((name,)),
                name,
                f"{name} is {given:g} but {formula} is {shown} {unit}; "
                f"fix the number or the timestamps (or drop {name}: it is derived)",
            )


def _entries(spec: FieldSpec, raw: Any, doc: Located, report: Reporter) -> tuple[Any, ...]:
    """A list of mappings (action items), each checked against the entry's declared fields;
    ids must be unique within the list."""
    if raw is None:
        return ()
    what = spec.name.replace("_", " ")
    if not isinstance(raw, list):
        names = ", ".join(entry.name for entry in spec.entries)
        report.error(
            doc.line_of((spec.name,)), spec.name, f"expected a list of {what} ({{{names}}})"
        )
        return ()
    assert spec.entry_type is not None
    specs = {entry.name: entry for entry in spec.entries}
    required = {entry.name for entry in spec.entries if entry.required}
    items: list[Any] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        label = f"{spec.name}[{index}]"
        good = check_entry(entry, specs, doc, (spec.name, index), report, label)
        if not required <= good.keys():
            continue
        line = doc.line_of((spec.name, index))
        entry_id = good.get("id")
        if entry_id in seen:
            report.error(
                line,
                f"{label}.id",
                f"{what[:-1]} id '{entry_id}' is used twice (first on line {seen[entry_id]})",
            )
            continue
        if entry_id is not None:
            seen[entry_id] = line
        items.append(spec.entry_type(**good))
    return tuple(items)


def _check_item_counts(values: dict[str, Any], doc: Located, report: Reporter) -> None:
    items = values.get("action_items")
    if not items:
        return
    counted = {
        "action_items_open": sum(1 for item in items if item.status != "done"),
        "action_items_done": sum(1 for item in items if item.status == "done"),
    }
    for name, count in counted.items():
        if name in values and values[name] != count:
            report.error(
                doc.line_of((name,)),
                name,
                f"{name} is {values[name]} but the action_items list has {count}; "
                "drop the count (it is derived from the list) or fix it",
            )


def _text_map(spec: FieldSpec, raw: Any, doc: Located, report: Reporter) -> dict[str, str]:
    """``lint_ignore: {counterfactual: "quoting the customer's words"}``."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        report.error(
            doc.line_of((spec.name,)),
            spec.name,
            "expected a mapping of lint rule to the reason it is silenced",
        )
        return {}
    result: dict[str, str] = {}
    for rule, reason in raw.items():
        if not isinstance(reason, str):
            report.error(
                doc.line_of((spec.name, rule)),
                f"{spec.name}.{rule}",
                "expected the reason as text",
            )
            continue
        result[rule] = reason
    return result
