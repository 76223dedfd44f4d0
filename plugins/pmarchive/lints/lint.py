"""Every rule over one record or one text: the phrase, secret and structural rules composed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

from pmarchive.core.credentials import anchors_of
from pmarchive.lints._markdown import blank_code
from pmarchive.lints.config import DEFAULT_CONFIG, IGNORE_FIELD, LintConfig
from pmarchive.lints.findings import LintFinding, Locator, field_line
from pmarchive.lints.ignores import apply_ignores
from pmarchive.lints.phrases import named_person_findings, phrase_findings, with_taxonomy_names
from pmarchive.lints.secrets import secret_findings
from pmarchive.lints.structure import structural_findings
from pmarchive.lints.template import (
    COUNTERFACTUAL_FREE_SECTIONS,
    placeholder_findings,
    section_ranges,
)
from pmarchive.model.records import AnyRecord, PostMortem
from pmarchive.model.taxonomy import Taxonomy

_NO_IGNORES: Mapping[str, str] = MappingProxyType({})


def lint_record(
    record: AnyRecord,
    taxonomy: Taxonomy,
    today: dt.date,
    config: LintConfig = DEFAULT_CONFIG,
    ignored: Mapping[str, str] = _NO_IGNORES,
) -> list[LintFinding]:
    """Every lint finding for one record, sorted by position.

    The body is linted for phrases and secrets; post-mortems also get the structural rules.
    ``ignored`` maps a rule id to the reason it is silenced in this document (usually read from
    the ``lint_ignore`` front-matter field); front-matter text is the caller's to lint with
    ``lint_text`` or ``secret_findings_in`` and ``apply_ignores``.
    """
    people_config = with_taxonomy_names(config, taxonomy)
    findings = lint_text(record.body, record.body_line, people_config)
    if isinstance(record, PostMortem):
        findings.extend(structural_findings(record, taxonomy, today, config))
        if record.status == "final":
            prose = blank_code(record.body, inline=True)
            findings.extend(placeholder_findings(prose, Locator(record.body, record.body_line, 1)))
    findings = [f for f in findings if f.rule in config.enabled]
    return apply_ignores(findings, ignored, field_line(record, IGNORE_FIELD), config)


def lint_text(
    text: str, first_line: int, config: LintConfig = DEFAULT_CONFIG, *, first_column: int = 1
) -> list[LintFinding]:
    """Phrase and secret findings in any text that starts at ``first_line``:``first_column``."""
    findings: list[LintFinding] = []
    locate = Locator(text, first_line, first_column)
    prose = blank_code(text, inline=True)
    anchors = anchors_of(prose)  # which words the prose holds, shared by the phrase rules
    if "counterfactual" in config.enabled:
        # "Where we got lucky" asks what would have happened: hindsight there is the answer
        def lucky() -> list[tuple[int, int]]:
            return section_ranges(prose, COUNTERFACTUAL_FREE_SECTIONS)

        findings.extend(
            phrase_findings(prose, locate, "counterfactual", config, skip=lucky, anchors=anchors)
        )
    if "blame" in config.enabled:
        people = named_person_findings(prose, locate, config, anchors=anchors)
        named_at = {(f.line, f.column) for f in people}
        # "human error by Alice" is one finding, the one that names the person
        phrases = phrase_findings(prose, locate, "blame", config, anchors=anchors)
        findings.extend(f for f in phrases if (f.line, f.column) not in named_at)
        findings.extend(people)
    if "secret" in config.enabled:
        findings.extend(secret_findings(text, locate, config))
    return sorted(findings)
