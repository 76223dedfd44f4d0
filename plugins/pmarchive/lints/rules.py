"""Every authoring lint under one name, re-exported from the module of its rule family.

The rules live in ``config`` (rule ids, defaults, ``LintConfig``), ``findings``, ``phrases``,
``secrets``, ``structure``, ``ignores`` and ``lint`` (``lint_record`` and ``lint_text``, which
compose them); this module keeps ``pmarchive.lints.rules`` working for importers until they
import from those modules directly. Everything there is a pure function of a record, the
taxonomy and a date: no MkDocs, no I/O.
"""

from __future__ import annotations

from pmarchive.core.calendar import add_business_days as business_days_after
from pmarchive.core.credentials import mask, shannon_entropy
from pmarchive.lints.config import (
    DEFAULT_BLAME_PHRASES,
    DEFAULT_CONFIG,
    DEFAULT_COUNTERFACTUAL_PHRASES,
    DEFAULT_NOT_PEOPLE,
    DEFAULT_REQUIRED_SECTIONS,
    IGNORABLE_RULES,
    IGNORE_FIELD,
    RULES,
    TIME_DEPENDENT_RULES,
    LintConfig,
)
from pmarchive.lints.findings import ERROR, NOTICE, WARNING, LintFinding
from pmarchive.lints.ignores import apply_ignores
from pmarchive.lints.lint import lint_record, lint_text
from pmarchive.lints.secrets import secret_findings_in
from pmarchive.lints.structure import OPEN_STATUSES, headings, missing_sections

__all__ = [
    "DEFAULT_BLAME_PHRASES",
    "DEFAULT_CONFIG",
    "DEFAULT_COUNTERFACTUAL_PHRASES",
    "DEFAULT_NOT_PEOPLE",
    "DEFAULT_REQUIRED_SECTIONS",
    "ERROR",
    "IGNORABLE_RULES",
    "IGNORE_FIELD",
    "NOTICE",
    "OPEN_STATUSES",
    "RULES",
    "TIME_DEPENDENT_RULES",
    "WARNING",
    "LintConfig",
    "LintFinding",
    "apply_ignores",
    "business_days_after",
    "headings",
    "lint_record",
    "lint_text",
    "mask",
    "missing_sections",
    "secret_findings_in",
    "shannon_entropy",
]
