"""Checks of located values against field specs, reporting each problem at its own line."""

from __future__ import annotations

from typing import Any

from pmarchive.core.diagnostics import Reporter
from pmarchive.core.suggest import allowed_list, did_you_mean
from pmarchive.ingest.fields import FieldError, check_scalar
from pmarchive.ingest.yamlsafe import Located
from pmarchive.model.schema import FieldSpec


def check_entry(
    entry: Any,
    specs: dict[str, FieldSpec],
    doc: Located,
    path: tuple[str | int, ...],
    report: Reporter,
    label: str,
) -> dict[str, Any]:
    """Type-check one mapping against ``specs``; return the fields that passed."""
    line = doc.line_of(path)
    if not isinstance(entry, dict):
        report.error(line, label, "expected a mapping of fields")
        return {}
    good: dict[str, Any] = {}
    for key, value in entry.items():
        key_line = doc.line_of((*path, key))
        spec = specs.get(key)
        if spec is None:
            report.error(
                key_line,
                f"{label}.{key}",
                f"unknown field '{key}'{did_you_mean(key, specs)} (allowed: {allowed_list(specs)})",
            )
            continue
        checked = check_value(spec, value, doc, (*path, key), report, f"{label}.{key}")
        if checked is not None:
            good[key] = checked
    for name, spec in specs.items():
        if spec.required and name not in entry:
            report.error(line, f"{label}.{name}", f"required field '{name}' is missing")
    return good


def check_value(
    spec: FieldSpec,
    value: Any,
    doc: Located,
    path: tuple[str | int, ...],
    report: Reporter,
    label: str,
) -> Any:
    """Check one value (a scalar or a list of text) and report at its own line."""
    line = doc.line_of(path)
    cut = doc.comment_cuts.get(path)
    if (
        cut is not None
        and spec.type == "str"
        and not spec.choices
        and (spec.search is None or spec.search.type == "text")
    ):
        # an unquoted ' #' started a YAML comment: the rest of the author's text is gone
        report.warning(cut.line, label, cut.message)
    if spec.type == "str_list":
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            report.error(line, label, f"expected a list such as [a, b], got {type(value).__name__}")
            return None
        result: list[str] = []
        for index, item in enumerate(items):
            item_path = (*path, index) if items is value else path
            try:
                text = check_scalar("str", item, doc.scalars.get(item_path))
            except FieldError as exc:
                report.error(doc.line_of(item_path), label, str(exc))
                continue
            if text in result:
                report.warning(doc.line_of(item_path), label, f"'{text}' is listed twice")
                continue
            result.append(text)
        return result
    if spec.type in ("items", "text_map"):
        return value  # checked entry by entry by the record's validation
    source = doc.scalars.get(path)
    if (
        isinstance(value, bool)
        and source is not None
        and source.plain
        and source.raw in spec.choices
    ):
        value = source.raw  # YAML 1.1 reads an unquoted yes as true; the choice is the word
    try:
        checked = check_scalar(spec.type, value, source)
    except FieldError as exc:
        report.error(line, label, str(exc))
        return None
    if spec.choices and checked not in spec.choices:
        report.error(
            line,
            label,
            f"'{checked}' is not one of {allowed_list(spec.choices)}"
            f"{did_you_mean(str(checked), spec.choices)}",
        )
        return None
    return checked
