"""The curated vocabulary: cause classes, factors, evidence gaps, severity ladder, teams,
services, alerts.

Each entry's fields are read from its typed class in model/taxonomy.py (one description)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pmarchive.core.credentials import DEFAULT_RULES, SecretRules, find_secrets, line_and_column
from pmarchive.core.diagnostics import Diagnostic, Reporter
from pmarchive.core.suggest import did_you_mean
from pmarchive.ingest.checks import check_entry
from pmarchive.ingest.source import SourceProblem, check_file, read_text
from pmarchive.ingest.yamlsafe import Located, YamlProblem, load_located
from pmarchive.model.schema import BOTH, FieldSpec, FieldType, annotation_type
from pmarchive.model.taxonomy import (
    ALERT_NAME,
    ANALYSIS_LEVELS,
    FIX_STATUSES,
    SLUG,
    Alert,
    CauseClass,
    Factor,
    Gap,
    Service,
    SeverityCriteria,
    SeverityLevel,
    Taxonomy,
    Team,
)

_ENTRY_TYPES: dict[str, type] = {
    "classes": CauseClass,
    "factors": Factor,
    "teams": Team,
    "services": Service,
    "alerts": Alert,
    "gaps": Gap,
    "levels": SeverityLevel,
}
"""The typed entry of each taxonomy list; its attributes are the fields an entry accepts."""
_CHOICES: dict[str, tuple[str, ...]] = {"fix_status": FIX_STATUSES, "analysis": ANALYSIS_LEVELS}


def _entry_specs(cls: type, keyed: bool) -> dict[str, FieldSpec]:
    """The fields of a taxonomy entry, from its class: required when the attribute has no
    default; the first attribute of a ``keyed`` entry is its name, given by the mapping key."""
    hints = typing.get_type_hints(cls)
    attributes = dataclasses.fields(cls)[1:] if keyed else dataclasses.fields(cls)
    specs: dict[str, FieldSpec] = {}
    for attribute in attributes:
        annotation = hints[attribute.name]
        if dataclasses.is_dataclass(annotation):
            field_type: FieldType = "items"  # a nested mapping, checked by its own specs
        else:
            field_type, _ = annotation_type(annotation, cls.__name__, attribute.name)
        required = (
            attribute.default is dataclasses.MISSING
            and attribute.default_factory is dataclasses.MISSING
        )
        specs[attribute.name] = FieldSpec(
            attribute.name,
            field_type,
            BOTH,
            BOTH if required else (),
            choices=_CHOICES.get(attribute.name, ()),
        )
    return specs


_SPECS: dict[str, dict[str, FieldSpec]] = {
    key: _entry_specs(cls, keyed=key != "levels") for key, cls in _ENTRY_TYPES.items()
}
_CRITERIA: dict[str, FieldSpec] = _entry_specs(SeverityCriteria, keyed=False)


# file name -> (top-level key, required)
TAXONOMY_FILES: dict[str, tuple[str, bool]] = {
    "classes.yml": ("classes", True),
    "factors.yml": ("factors", False),
    "severity.yml": ("levels", True),
    "teams.yml": ("teams", False),
    "services.yml": ("services", False),
    "alerts.yml": ("alerts", False),
    "gaps.yml": ("gaps", False),
}


MAX_FILE_BYTES = 4 * 1024 * 1024
"""A taxonomy file larger than this is refused unread (the largest real ones are a few KB)."""


def _load_file(
    path: Path, root: Path, key: str, rules: SecretRules, report: Reporter
) -> tuple[Any, Located] | None:
    try:
        check_file(path, root)
        text = read_text(path, MAX_FILE_BYTES)
    except SourceProblem as exc:
        report.error(exc.line, "", exc.message)
        return None
    # Taxonomy is published on every class, team and alert page: a credential in it is an
    # error like one in a record, found whether or not the YAML parses.
    for match in find_secrets(text, rules):
        line, column = line_and_column(text, match.start)
        report.error(line, "secret", match.message, column)
    try:
        doc = load_located(text, first_line=1, max_bytes=MAX_FILE_BYTES)
    except YamlProblem as exc:
        report.error(exc.line, "", exc.message)
        return None
    for problem in doc.problems:
        report.error(problem.line, problem.field, problem.message)
    if not isinstance(doc.value, dict) or key not in doc.value:
        report.error(1, key, f"expected a top-level '{key}:' entry")
        return None
    extra = [k for k in doc.value if k != key]
    for k in extra:
        report.error(doc.line_of((k,)), k, f"unknown top-level entry '{k}'; expected only '{key}'")
    return doc.value[key], doc


def load_taxonomy(
    folder: Path, display_root: Path | None = None, secrets: SecretRules = DEFAULT_RULES
) -> tuple[Taxonomy, list[Diagnostic]]:
    """Read and check every taxonomy file; problems come back located, never raised.

    Files are read only from inside ``display_root`` (the archive root; ``folder`` when not
    given) and are scanned for credentials with ``secrets``.
    """
    root = display_root if display_root is not None else folder
    taxonomy = Taxonomy()
    diagnostics: list[Diagnostic] = []
    loaded: dict[str, tuple[Any, Located, Reporter]] = {}
    for filename, (key, required) in TAXONOMY_FILES.items():
        path = folder / filename
        rel = _display(path, display_root)
        report = Reporter(rel)
        if not (path.exists() or path.is_symlink()):
            if required:
                report.error(1, "", f"taxonomy file is missing: {filename} with a '{key}:' entry")
            diagnostics.extend(report.items)
            continue
        result = _load_file(path, root, key, secrets, report)
        if result is not None:
            loaded[key] = (result[0], result[1], report)
        else:
            diagnostics.extend(report.items)

    for key in ("classes", "factors", "gaps", "teams", "services", "alerts"):
        if key in loaded:
            _read_named(key, *loaded[key], taxonomy)
    if "levels" in loaded:
        _read_levels(*loaded["levels"], taxonomy)
    _cross_check(taxonomy, loaded)
    for _, _, report in loaded.values():
        diagnostics.extend(report.items)
    return taxonomy, diagnostics


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _read_named(key: str, entries: Any, doc: Located, report: Reporter, tax: Taxonomy) -> None:
    if entries is None:
        return
    if not isinstance(entries, dict):
        report.error(doc.line_of((key,)), key, "expected a mapping from name to its fields")
        return
    pattern = ALERT_NAME if key == "alerts" else SLUG
    target: dict[str, Any] = getattr(tax, key)
    for name, entry in entries.items():
        path = (key, name)
        if not pattern.fullmatch(name):
            shape = (
                "letters, digits, _ : . -" if key == "alerts" else "lowercase words joined by '-'"
            )
            report.error(doc.line_of(path), key, f"'{name}' is not a valid name ({shape})")
            continue
        good = check_entry(entry, _SPECS[key], doc, path, report, f"{key}.{name}")
        target[name] = _entry(_ENTRY_TYPES[key], _SPECS[key], name, good)


def _entry(cls: type, specs: dict[str, FieldSpec], name: str, good: dict[str, Any]) -> Any:
    """A typed entry from its checked fields; a missing required field (already reported)
    falls back to the entry's name, so later checks still see the entry."""
    values: dict[str, Any] = {}
    for field_name, spec in specs.items():
        if field_name in good:
            value = good[field_name]
            values[field_name] = tuple(value) if spec.type == "str_list" else value
        elif spec.required:
            values[field_name] = name
    return cls(name, **values)


def _read_levels(entries: Any, doc: Located, report: Reporter, tax: Taxonomy) -> None:
    if not isinstance(entries, list):
        report.error(doc.line_of(("levels",)), "levels", "expected a list of severity levels")
        return
    for index, entry in enumerate(entries):
        path = ("levels", index)
        good = check_entry(entry, _SPECS["levels"], doc, path, report, f"levels[{index}]")
        if not {name for name, spec in _SPECS["levels"].items() if spec.required} <= good.keys():
            continue
        criteria_raw = good.get("criteria") or {}
        criteria = check_entry(
            criteria_raw, _CRITERIA, doc, (*path, "criteria"), report, f"levels[{index}].criteria"
        )
        level = SeverityLevel(**{**good, "criteria": SeverityCriteria(**criteria)})
        if level.level in tax.severity:
            report.error(doc.line_of(path), "level", f"level {level.level} is defined twice")
            continue
        tax.severity[level.level] = level


def _cross_check(tax: Taxonomy, loaded: dict[str, tuple[Any, Located, Reporter]]) -> None:
    """References between taxonomy files, alias clashes and fix dates."""
    if "classes" in loaded:
        _, doc, report = loaded["classes"]
        for slug, cls in tax.classes.items():
            line = doc.line_of(("classes", slug))
            if cls.fix_landed is not None and cls.fix_status != "landed":
                report.error(
                    doc.line_of(("classes", slug, "fix_landed")),
                    f"classes.{slug}.fix_landed",
                    f"fix_landed is set but fix_status is '{cls.fix_status}'; "
                    "set fix_status: landed or remove the date",
                )
            if cls.fix_status == "landed" and cls.fix_landed is None:
                report.error(
                    line,
                    f"classes.{slug}.fix_landed",
                    "fix_status is 'landed' but fix_landed (the date it landed) is missing",
                )
    for key in ("classes", "factors", "gaps"):
        if key not in loaded:
            continue
        _, doc, report = loaded[key]
        seen: dict[str, str] = {}
        for slug, entry in getattr(tax, key).items():
            for alias in entry.aliases:
                line = doc.line_of((key, slug, "aliases"))
                if alias in getattr(tax, key):
                    report.error(
                        line, f"{key}.{slug}.aliases", f"alias '{alias}' is also a current name"
                    )
                elif alias in seen:
                    report.error(
                        line,
                        f"{key}.{slug}.aliases",
                        f"alias '{alias}' already belongs to '{seen[alias]}'",
                    )
                seen[alias] = slug
    if "services" in loaded:
        _, doc, report = loaded["services"]
        for slug, service in tax.services.items():
            if service.team:
                _check_ref(
                    service.team,
                    tax.teams,
                    doc,
                    ("services", slug, "team"),
                    report,
                    f"services.{slug}.team",
                    "team",
                )
    if "alerts" in loaded:
        _, doc, report = loaded["alerts"]
        for name, alert in tax.alerts.items():
            if alert.team:
                _check_ref(
                    alert.team,
                    tax.teams,
                    doc,
                    ("alerts", name, "team"),
                    report,
                    f"alerts.{name}.team",
                    "team",
                )
            for class_name in alert.classes:
                current, was_alias = tax.resolve("classes", class_name)
                line = doc.line_of(("alerts", name, "classes"))
                if current is None:
                    report.error(
                        line,
                        f"alerts.{name}.classes",
                        f"unknown cause class '{class_name}'"
                        f"{did_you_mean(class_name, tax.classes)}",
                    )
                elif was_alias:
                    report.notice(
                        line,
                        f"alerts.{name}.classes",
                        f"'{class_name}' is an old name of cause class '{current}' and is "
                        f"counted as '{current}'",
                    )


def _check_ref(
    value: str,
    pool: Iterable[str],
    doc: Located,
    path: tuple[str | int, ...],
    report: Reporter,
    label: str,
    what: str,
) -> None:
    names = list(pool)
    if value not in names:
        report.error(
            doc.line_of(path), label, f"unknown {what} '{value}'{did_you_mean(value, names)}"
        )
