"""The secret rule: anything shaped like a credential, found by ``core.credentials``.

- Unlike the phrase rules it reads code blocks too: a key in a code block leaks the same.
- Values that are obviously placeholders are not secrets: they contain a marker from
  ``LintConfig.placeholders`` (so AWS's documented example key, which ends in ``EXAMPLE``, is
  treated as an example), are one repeated character, are a template reference (``$VAR``,
  ``${VAR}``, ``{{ var }}``, ``{password}``), or are a bare word such as ``password`` in
  ``user:password@host``.
- A private key header with no key material after it (quoted in prose, or followed by ``...``) is
  not a secret; a header followed by key material is, whatever the placeholders say.
- Secret messages never show the value: only ``mask(value)``, or the header of a key block.
"""

from __future__ import annotations

from pmarchive.core.credentials import find_secrets
from pmarchive.lints.config import DEFAULT_CONFIG, LintConfig
from pmarchive.lints.findings import ERROR, LintFinding, Locator


def secret_findings(text: str, locate: Locator, config: LintConfig) -> list[LintFinding]:
    """Secret findings in ``text``, code included, located through ``locate``."""
    findings = []
    for match in find_secrets(text, config.secret_rules):
        line, column = locate(match.start)
        findings.append(LintFinding(line, column, "secret", ERROR, match.message))
    return findings


def secret_findings_in(
    text: str,
    first_line: int = 1,
    config: LintConfig = DEFAULT_CONFIG,
    *,
    first_column: int = 1,
) -> list[LintFinding]:
    """Secret findings only, for any text: a whole file, its front-matter, a single value."""
    return sorted(secret_findings(text, Locator(text, first_line, first_column), config))
