"""Structural rules of post-mortems: owed sections, overdue drafts and items, item lists."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from pmarchive.core.calendar import add_business_days
from pmarchive.lints._markdown import blank_code, heading_positions
from pmarchive.lints.config import LintConfig
from pmarchive.lints.findings import NOTICE, WARNING, LintFinding, field_line
from pmarchive.model.records import PostMortem
from pmarchive.model.taxonomy import Taxonomy

OPEN_STATUSES = ("draft", "review")


def headings(body: str) -> list[str]:
    """The text of every Markdown heading (ATX or setext) outside fenced code blocks."""
    return [title for _, _, title in heading_positions(blank_code(body, inline=False))]


def _normalise_heading(title: str) -> str:
    return " ".join(title.casefold().split()).rstrip(".:;!?, ")


def missing_sections(body: str, owed: Iterable[str]) -> list[str]:
    """The owed section titles with no heading that starts with them (see ``LintConfig``)."""
    present = [_normalise_heading(h) for h in headings(body)]
    missing = []
    for title in owed:
        wanted = _normalise_heading(title)
        pattern = re.compile(re.escape(wanted) + r"(?!\w)")
        if not any(pattern.match(heading) for heading in present):
            missing.append(title)
    return missing


def structural_findings(
    record: PostMortem, taxonomy: Taxonomy, today: dt.date, config: LintConfig
) -> list[LintFinding]:
    """The structural rules of one post-mortem: missing-section, overdue-draft,
    overdue-action-item, too-many-action-items and prevent-only (enabled or not)."""
    findings: list[LintFinding] = []
    level = taxonomy.severity.get(record.sev)
    if level is not None:
        owed = config.required_sections.get(level.analysis, ())
        missing = missing_sections(record.body, owed)
        if missing:
            listed = ", ".join(f"'{title}'" for title in missing)
            findings.append(
                LintFinding(
                    record.body_line,
                    1,
                    "missing-section",
                    WARNING,
                    f"{level.label} owes a {level.analysis} write-up; missing section(s) {listed} "
                    f"(add each as a heading, e.g. '## {missing[0]}')",
                )
            )
        if record.status in OPEN_STATUSES:
            due = add_business_days(record.date, level.due_business_days)
            if due < today:
                findings.append(
                    LintFinding(
                        field_line(record, "status"),
                        1,
                        "overdue-draft",
                        WARNING if config.fail_on_overdue else NOTICE,
                        f"status is '{record.status}' but this {level.label} write-up was due "
                        f"{due.isoformat()} ({level.due_business_days} business days after "
                        f"{record.date.isoformat()}); finish it, or say in the document why "
                        "it is late",
                    )
                )
    for item in record.action_items:
        if item.status == "open" and item.due is not None and item.due < today:
            owner = f" (owner: {item.owner})" if item.owner else ""
            findings.append(
                LintFinding(
                    field_line(record, "action_items"),
                    1,
                    "overdue-action-item",
                    WARNING if config.fail_on_overdue else NOTICE,
                    f"action item {item.id}{owner} was due {item.due.isoformat()} and is still "
                    "open; close it, or move its due date with a note on why",
                )
            )
    count = len(record.action_items) or record.open_items + record.done_items
    if count > config.max_action_items:
        findings.append(
            LintFinding(
                field_line(record, "action_items", "action_items_open"),
                1,
                "too-many-action-items",
                WARNING,
                f"{count} action items (more than {config.max_action_items}); a long list "
                "spreads ownership thin, so keep the few that change the system and track the "
                "rest in the backlog",
            )
        )
    kinds = [item.kind for item in record.action_items]
    if len(kinds) >= 2 and all(kind == "prevent" for kind in kinds):
        findings.append(
            LintFinding(
                field_line(record, "action_items"),
                1,
                "prevent-only",
                WARNING,
                f"all {len(kinds)} action items are 'prevent'; add how the next occurrence "
                "will be noticed sooner or recovered from faster (kinds 'detect', 'recover')",
            )
        )
    return findings
