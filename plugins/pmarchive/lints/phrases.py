"""Phrase rules: counterfactual (hindsight) and blame wording, and a person named as the cause.

- Phrase rules skip fenced code blocks and inline code spans (quoted logs and commands are not
  the author's voice).
- A blame phrase or a named person right after a negation ("not about blame", "no one was
  careless", "this was not Alice's mistake") is not reported, so the usual blameless statement
  at the top of a write-up stays quiet.
- A capitalised word is only read as a person when it is not a common sentence opener, not a
  system name from ``LintConfig.not_people`` or the taxonomy, and does not also appear in lowercase
  in the same text ("Deploy broke ..." next to "the deploy" is about the deploy).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from pmarchive.core.credentials import Anchors, anchors_of
from pmarchive.lints.config import LintConfig
from pmarchive.lints.findings import WARNING, LintFinding, Locator
from pmarchive.model.taxonomy import Taxonomy

_COUNTERFACTUAL_ADVICE = "judges with hindsight; describe what happened and why it made sense then"
_BLAME_ADVICE = (
    "points at people rather than conditions; describe what in the system made the action "
    "reasonable at the time"
)
_ADVICE: dict[str, str] = {
    "failed to": (
        "frames an outcome as a personal failing; say what happened (e.g. 'the retry did not "
        "run') and what made it likely"
    ),
    "neglected to": (
        "frames an outcome as a personal failing; say what happened and what made it likely"
    ),
    "would have": (
        "describes a world that did not happen; say what signal or safeguard was missing and why"
    ),
    "would've": (
        "describes a world that did not happen; say what signal or safeguard was missing and why"
    ),
    "human error": (
        "is where an inquiry starts, not where it ends; ask what made the error easy to make "
        "and costly once made"
    ),
    "operator error": (
        "is where an inquiry starts, not where it ends; ask what made the error easy to make "
        "and costly once made"
    ),
    "user error": (
        "is where an inquiry starts, not where it ends; ask what made the error easy to make "
        "and costly once made"
    ),
}
_NEGATIONS = frozenset({"no", "not", "never", "without", "nobody", "none", "nor"})


@lru_cache(maxsize=32)
def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    words = [p.strip() for p in phrases if p.strip()]
    if not words:
        return None
    # Longest first, so "to blame" wins over "blame" and every match is reported once.
    parts = []
    for phrase in sorted(set(words), key=lambda p: (-len(p), p)):
        escaped = r"\s+".join(re.escape(w) for w in phrase.split())
        parts.append(re.sub(r"['’]", "['’]", escaped))
    return re.compile(r"(?<![\w'’])(?:" + "|".join(parts) + r")(?![\w'’])", re.IGNORECASE)


@lru_cache(maxsize=32)
def _phrase_anchors(phrases: tuple[str, ...]) -> tuple[str, ...] | None:
    """A lowercase piece of each phrase that every match of it contains (its longest word
    between blanks and apostrophes), or ``None`` when a phrase has no ASCII piece to look for."""
    anchors = set()
    for phrase in phrases:
        # the pieces _phrase_regex writes literally: words, cut at apostrophes
        pieces = [piece for word in phrase.split() for piece in re.split(r"['’]", word)]
        if not pieces:
            continue
        piece = max(pieces, key=len).lower()
        if not piece or not piece.isascii():
            return None
        anchors.add(piece)
    # a piece that holds another is present only where that one is
    return tuple(sorted(a for a in anchors if not any(b != a and b in a for b in anchors)))


def _canonical(matched: str, phrases: Iterable[str]) -> str:
    """The configured phrase a match came from, for a stable quote in the message."""
    norm = " ".join(matched.lower().replace("’", "'").split())
    for phrase in phrases:
        if " ".join(phrase.lower().replace("’", "'").split()) == norm:
            return phrase
    return norm


def _negated(prose: str, start: int) -> bool:
    before = re.split(r"[.!?;:](?:\s|$)", prose[max(0, start - 80) : start])[-1]
    words = re.findall(r"[\w'’]+", before.lower())[-3:]
    return any(w in _NEGATIONS or w.endswith(("n't", "n’t")) for w in words)


def phrase_findings(
    prose: str,
    locate: Locator,
    rule: str,
    config: LintConfig,
    *,
    skip: Sequence[tuple[int, int]] | Callable[[], Sequence[tuple[int, int]]] = (),
    anchors: Anchors | None = None,
) -> list[LintFinding]:
    """Findings of one phrase rule (``counterfactual`` or ``blame``) in ``prose``, the text with
    its code blanked out; matches starting inside a ``skip`` range (start, end) are left out.
    ``skip`` may be a function giving the ranges, called only once a phrase is found.
    ``anchors`` (of ``prose``) may be shared between rules over the same text."""
    phrases = config.counterfactual_phrases if rule == "counterfactual" else config.blame_phrases
    regex = _phrase_regex(phrases)
    if regex is None:
        return []
    if not (anchors or anchors_of(prose)).any(_phrase_anchors(phrases)):
        return []
    default = _COUNTERFACTUAL_ADVICE if rule == "counterfactual" else _BLAME_ADVICE
    findings = []
    for match in regex.finditer(prose):
        if rule == "blame" and _negated(prose, match.start()):
            continue
        if callable(skip):
            skip = skip()
        if any(start <= match.start() < end for start, end in skip):
            continue
        phrase = _canonical(match.group(), phrases)
        line, column = locate(match.start())
        advice = _ADVICE.get(phrase.lower(), default)
        findings.append(LintFinding(line, column, rule, WARNING, f"'{phrase}' {advice}"))
    return findings


_NAME_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = rf"(?:@[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
# Each pattern with the lowercase words one of which every match of it contains: the regexes
# start with "\b" or a lookbehind, so the engine tries them at every offset, and most texts name
# nobody; a plain substring test rules a pattern out first.
_PERSON_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\b(?i:caused|triggered|broken)\s+by\s+(?P<name>{_NAME})(?![\w@])"),
    re.compile(
        rf"(?<![\w@])(?P<name>{_NAME})['’]s\s+"
        r"(?i:mistake|fault|error|blunder|oversight|negligence|carelessness)\b"
    ),
    re.compile(
        rf"(?<![\w@])(?P<name>{_NAME})\s+"
        r"(?:broke|messed\s+up|screwed\s+up|forgot|ignored|botched)\b"
    ),
    # "the root cause was Alice." (a capitalised word followed by a noun, as in "the root cause
    # was Configuration drift", is a phrase about the system, not a person)
    re.compile(
        rf"\b(?i:(?:the\s+)?(?:root\s+)?cause\s+(?:was|is))\s+(?P<name>{_NAME})(?![\w@])"
        r"(?=['’]s\b|\s*(?:[^\w\s]|$)|\s+(?i:and|who|when|while|because|after)\b)"
    ),
    # "operator mistake by Alice", "human error by Alice", "a mistake made by Alice"
    re.compile(
        r"\b(?i:(?:(?:operator|human|user|engineer|manual)\s+)?"
        r"(?:mistakes?|errors?|slips?|blunders?|oversights?)\s+(?:(?:made|committed)\s+)?by)"
        rf"\s+(?P<name>{_NAME})(?![\w@])"
    ),
)
_PERSON_ANCHORS: tuple[tuple[str, ...], ...] = (
    ("caused", "triggered", "broken"),
    ("mistake", "fault", "error", "blunder", "oversight", "negligence", "carelessness"),
    ("broke", "messed", "screwed", "forgot", "ignored", "botched"),
    ("cause",),
    ("mistake", "error", "slip", "blunder", "oversight"),
)
# Capitalised words that open sentences or name times, never people.
_NOT_NAME_WORDS = """
    a an the this that these those it its he she they we you i our their his her my your
    there here then when while after before during later also and but or so if nothing everything
    something someone somebody everyone everybody nobody anyone anybody who what which
    yesterday today tomorrow monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december
    """
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


@lru_cache(maxsize=4)
def _lowercase_words(prose: str) -> frozenset[str]:
    """Every lowercase word of the text, hyphenated compounds both whole and in parts."""
    words: set[str] = set()
    for match in re.finditer(r"(?<![\w@])[a-z]+(?:-[a-z]+)*(?!\w)", prose):
        words.add(match.group())
        words.update(match.group().split("-"))
    return frozenset(words)


def _person(name: str, prose: str, not_people: frozenset[str]) -> tuple[int, str] | None:
    """(offset into name, person) or None when the capitalised words are not a person."""
    if name.startswith("@"):
        return 0, name
    words = name.split()
    offset = 0
    if len(words) == 2 and words[0].lower() in _NOT_NAMES:
        offset = name.index(words[1])
        words = words[1:]
    first = words[0]
    if first.lower() in _NOT_NAMES or first.lower() in not_people:
        return None
    if first.lower() in _lowercase_words(prose):
        return None  # the word is used as a common noun elsewhere in the text
    return offset, " ".join(words)


@lru_cache(maxsize=8)
def _lowered(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w.lower() for w in words)


def named_person_findings(
    prose: str, locate: Locator, config: LintConfig, *, anchors: Anchors | None = None
) -> list[LintFinding]:
    """Blame findings for a person named as the cause ("caused by Alice", "Alice broke")."""
    not_people = _lowered(config.not_people)
    anchors = anchors or anchors_of(prose)
    findings = []
    seen: set[int] = set()
    for pattern, words in zip(_PERSON_PATTERNS, _PERSON_ANCHORS, strict=True):
        if not anchors.any(words):
            continue
        for match in pattern.finditer(prose):
            person = _person(match.group("name"), prose, not_people)
            if person is None or _negated(prose, match.start()):
                continue
            offset, name = person
            # "caused by Alice" is reported from "caused"; "Alice broke" from the name.
            name_start = match.start("name") + offset
            start = match.start() if match.start() < match.start("name") else name_start
            if start in seen:
                continue
            seen.add(start)
            line, column = locate(start)
            quoted = " ".join(prose[start : match.end()].split())
            findings.append(
                LintFinding(
                    line,
                    column,
                    "blame",
                    WARNING,
                    f"'{quoted}' names {name} as the cause; describe what the system allowed "
                    "(e.g. 'the deploy tool accepted an unreviewed change') instead of who",
                )
            )
    return findings


def with_taxonomy_names(config: LintConfig, taxonomy: Taxonomy) -> LintConfig:
    """``config`` with the taxonomy's system names added to ``not_people``."""
    entries = (taxonomy.teams, taxonomy.services, taxonomy.alerts, taxonomy.classes)
    named = tuple(
        (key, str(getattr(entry, "title", ""))) for table in entries for key, entry in table.items()
    )
    return _with_names(config, named)


@lru_cache(maxsize=8)
def _with_names(config: LintConfig, named: tuple[tuple[str, str], ...]) -> LintConfig:
    """``with_taxonomy_names`` for the taxonomy's (key, title) pairs: the same taxonomy and
    config for every record of a run, so worked out once."""
    names: set[str] = set()
    for key, title in named:
        names.update(re.findall(r"[A-Za-z]+", key))
        names.update(re.findall(r"[A-Za-z]+", title))
    known = {w.lower() for w in config.not_people}
    extra = tuple(sorted(n for n in names if n.lower() not in known))
    if not extra:
        return config
    return replace(config, not_people=config.not_people + extra)
