"""The post-mortem template: its sections and the prompts written under them, in one place.

``new postmortem`` writes these prompts into the skeleton and the ``placeholder`` rule finds them
left in a ``final`` record, so the two cannot drift apart. The learning-review sections sit beside
the classic ones; counterfactual phrasing is what "Where we got lucky" asks for, so the
counterfactual rule does not read that section.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from pmarchive.lints._markdown import heading_positions
from pmarchive.lints.findings import WARNING, LintFinding, Locator

LEARNING_REVIEW_SECTIONS: tuple[str, ...] = (
    "What surprised us",
    "What made the work hard",
    "Whose expertise was load-bearing",
    "Where we got lucky",
)
"""The learning-review questions, asked of every full write-up beside the classic sections."""

SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "full": (
            "Summary",
            "Impact",
            "Timeline",
            "Contributing factors",
            "What went well",
            *LEARNING_REVIEW_SECTIONS,
            "Action items",
            "Lessons",
        ),
        "lightweight": (
            "Summary",
            "Impact",
            "Timeline",
            "What surprised us",
            "Where we got lucky",
            "Action items",
        ),
        "note": ("Summary", "Action items"),
    }
)
"""Analysis level of the severity ladder -> the sections its template writes, in order."""

PROMPTS: Mapping[str, str] = MappingProxyType(
    {
        "Summary": "Two or three sentences: what happened, for how long, and who noticed.",
        "Impact": "Who was affected and how much: customers, requests, money, data.",
        "Timeline": ("- HH:MM UTC — first signal\n- HH:MM UTC — detected\n- HH:MM UTC — mitigated"),
        "Contributing factors": (
            "The conditions that lined up. Describe the system, not a person."
        ),
        "What went well": "Defences and people that limited the damage.",
        "What surprised us": (
            "What did we believe about the system that turned out not to be true?"
        ),
        "What made the work hard": (
            "What slowed the response: access, dashboards, noisy alerts, unclear ownership?"
        ),
        "Whose expertise was load-bearing": (
            "Which knowledge did the response depend on, who held it, and how was it found?"
        ),
        "Where we got lucky": "What held by chance and will not hold next time.",
        "Action items": "Reference the ids in the front-matter: AI-1 ...",
        "Lessons": "What this teaches beyond this incident.",
    }
)
"""Section title -> the placeholder text the template writes under it."""

COUNTERFACTUAL_FREE_SECTIONS: tuple[str, ...] = ("Where we got lucky",)
"""Sections whose question invites "would have" and "could have": not counterfactual findings."""


def _normalise(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


PLACEHOLDER_LINES: tuple[str, ...] = tuple(
    dict.fromkeys(
        _normalise(line) for prompt in PROMPTS.values() for line in prompt.split("\n") if line
    )
)
"""Every line of every prompt, normalised (case, spaces): what the ``placeholder`` rule finds."""


def skeleton_body(analysis: str) -> str:
    """The Markdown body the template writes for an analysis level (``full`` when unknown)."""
    sections = SECTIONS.get(analysis, SECTIONS["full"])
    return "\n".join(f"## {name}\n\n{PROMPTS[name]}\n" for name in sections)


def placeholder_findings(prose: str, locate: Locator) -> list[LintFinding]:
    """A ``placeholder`` warning for each line that still holds a template prompt.

    ``prose`` is the body with its code blanked out; a line counts when it contains a whole
    prompt line (case and spacing aside), so a prompt with the author's text appended after it
    is still found.
    """
    findings: list[LintFinding] = []
    # a line's normalised text is a piece of the whole text's, so a prompt missing from the
    # whole is on no line
    whole = _normalise(prose)
    if not any(prompt in whole for prompt in PLACEHOLDER_LINES):
        return findings
    offset = 0
    for line in prose.split("\n"):
        normalised = _normalise(line)
        if normalised:
            for prompt in PLACEHOLDER_LINES:
                if prompt in normalised:
                    start = offset + len(line) - len(line.lstrip())
                    row, column = locate(start)
                    findings.append(
                        LintFinding(
                            row,
                            column,
                            "placeholder",
                            WARNING,
                            f"template text left in a final record: '{line.strip()}'; "
                            "replace it with what happened, or remove the line",
                        )
                    )
                    break
        offset += len(line) + 1
    return findings


def section_ranges(prose: str, titles: tuple[str, ...]) -> list[tuple[int, int]]:
    """Offsets (start, end) of the sections whose heading starts with one of ``titles``.

    Any heading level counts, case-insensitively ("### Where we got lucky (twice)"); a section
    runs to the next heading of the same or a higher level, or to the end of the text.
    """
    wanted = [_normalise(title) for title in titles]
    headings = heading_positions(prose)
    ranges = []
    for index, (start, level, title) in enumerate(headings):
        name = _normalise(title).rstrip(".:;!?, ")
        if not any(re.match(re.escape(w) + r"(?!\w)", name) for w in wanted):
            continue
        end = len(prose)
        for later_start, later_level, _ in headings[index + 1 :]:
            if later_level <= level:
                end = later_start
                break
        ranges.append((start, end))
    return ranges
