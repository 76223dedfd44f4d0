"""``lint_ignore``: silencing a rule in one document, with a reason.

An ignore without a reason has no effect until a reason is given. ``secret`` can be ignored like
any rule (for a revoked value kept on purpose); the reason sits in the front-matter, where review
sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pmarchive.lints.config import DEFAULT_CONFIG, IGNORABLE_RULES, LintConfig, did_you_mean_rule
from pmarchive.lints.findings import WARNING, LintFinding


def apply_ignores(
    findings: Iterable[LintFinding],
    ignored: Mapping[str, str],
    line: int = 1,
    config: LintConfig = DEFAULT_CONFIG,
) -> list[LintFinding]:
    """Drop findings of rules silenced with a reason; report ignores that are empty or unknown.

    ``line`` is where the ignore list is written, for the findings about it.
    """
    silenced: set[str] = set()
    notes: list[LintFinding] = []
    for raw_rule, reason in ignored.items():
        rule = str(raw_rule).strip().lower()
        if rule not in IGNORABLE_RULES:
            notes.append(
                LintFinding(
                    line,
                    1,
                    "lint-ignore",
                    WARNING,
                    f"unknown lint rule '{raw_rule}' cannot be ignored"
                    f"{did_you_mean_rule(rule, IGNORABLE_RULES)}; known rules: "
                    + ", ".join(IGNORABLE_RULES),
                )
            )
        elif reason is None or not str(reason).strip():
            notes.append(
                LintFinding(
                    line,
                    1,
                    "lint-ignore",
                    WARNING,
                    f"ignoring '{rule}' has no reason; say why this lint is silenced "
                    "(until then the ignore has no effect)",
                )
            )
        else:
            silenced.add(rule)
    if "lint-ignore" not in config.enabled:
        notes = []
    kept = [f for f in findings if f.rule not in silenced]
    return sorted(kept + notes)
