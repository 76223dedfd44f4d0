"""Authoring lints: blameless wording, leaked credentials and the structure a write-up owes.

Everything here is a pure function of a record, the taxonomy and a date: no MkDocs, no I/O.

Rules and what each one checks:

``counterfactual`` (warning)
    Hindsight phrasing ("should have", "failed to", ...) in the body.
``blame`` (warning)
    Blame phrasing ("human error", "careless", ...) and a capitalised person named as the cause
    ("caused by Alice", "Alice's mistake", "Alice broke", "caused by @alice").
``secret`` (error)
    Anything shaped like a credential, anywhere in the text, code blocks included.
``missing-section`` / ``too-many-action-items`` / ``prevent-only`` (warnings)
    Structural rules for post-mortems only; near-misses get the phrase and secret rules.
``overdue-draft`` / ``overdue-action-item`` (notices; warnings with ``fail_on_overdue``)
    A draft or review past its due date; an open action item past its due date. They depend
    on the day, not on the text, so by default they are reported without failing a strict
    build.
``lint-ignore`` (warning)
    A silenced rule without a reason, or a silenced rule that does not exist.

Decisions worth knowing:

- Phrase rules skip fenced code blocks and inline code spans (quoted logs and commands are not
  the author's voice); the secret rule does not, because a key in a code block leaks the same.
- A blame phrase right after a negation ("not about blame", "no one was careless") is not
  reported, so the usual blameless statement at the top of a write-up stays quiet.
- A capitalised word is only read as a person when it is not a common sentence opener, not a
  system name from ``LintConfig.not_people`` or the taxonomy, and does not also appear in lowercase
  in the same text ("Deploy broke ..." next to "the deploy" is about the deploy).
- Values that are obviously placeholders are not secrets: they contain a marker from
  ``LintConfig.placeholders`` (so AWS's documented example key, which ends in ``EXAMPLE``, is
  treated as an example), are one repeated character, are a template reference (``$VAR``,
  ``${VAR}``, ``{{ var }}``, ``{password}``), or are a bare word such as ``password`` in
  ``user:password@host``.
- A private key header with no key material after it (quoted in prose, or followed by ``...``) is
  not a secret; a header followed by key material is, whatever the placeholders say.
- Secret messages never show the value: only ``mask(value)``, or the header of a key block.
- An ignore without a reason has no effect until a reason is given. ``secret`` can be ignored
  like any rule (for a revoked value kept on purpose); the reason sits in the front-matter, where
  review sees it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType

from pmarchive.core.calendar import add_business_days as business_days_after
from pmarchive.core.credentials import DEFAULT_PLACEHOLDERS, SecretRules, find_secrets, redact
from pmarchive.core.credentials import mask as mask
from pmarchive.core.credentials import shannon_entropy as shannon_entropy
from pmarchive.core.suggest import closest
from pmarchive.model.records import AnyRecord, PostMortem
from pmarchive.model.taxonomy import ANALYSIS_LEVELS, Taxonomy

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
"""Reported by ``check`` and on the pages, never a reason for a strict build to fail."""

TIME_DEPENDENT_RULES: tuple[str, ...] = ("overdue-draft", "overdue-action-item")
"""Rules whose result changes as days pass with the archive unchanged: notices by default, so
an unchanged archive never turns red on its own (``fail_on_overdue: true`` makes them warnings)."""

RULES: tuple[str, ...] = (
    "counterfactual",
    "blame",
    "secret",
    "missing-section",
    "overdue-draft",
    "overdue-action-item",
    "too-many-action-items",
    "prevent-only",
    "lint-ignore",
)
"""Every rule id, in the order they are documented."""

IGNORABLE_RULES: tuple[str, ...] = tuple(rule for rule in RULES if rule != "lint-ignore")
"""Rules a document may silence; the rule that polices silencing cannot silence itself."""

IGNORE_FIELD = "lint_ignore"
"""Front-matter field the caller reads ``ignored`` from; used only to place findings about it."""

OPEN_STATUSES = ("draft", "review")


@dataclass(frozen=True, order=True)
class LintFinding:
    """One lint result, located in the file so an editor or CI annotation can jump to it."""

    line: int
    """File line, 1-based."""
    column: int
    """Column of the match in that line, 1-based."""
    rule: str
    """Rule id, one of ``RULES``."""
    severity: str
    """``"error"`` (stops publication) or ``"warning"``."""
    message: str
    """What was found and what to write instead; never contains an unmasked secret."""

    def __post_init__(self) -> None:
        # a quoted phrase can hold a credential too ("caused by @<token>")
        object.__setattr__(self, "message", redact(self.message))


DEFAULT_COUNTERFACTUAL_PHRASES: tuple[str, ...] = (
    "should have",
    "should've",
    "shouldn't have",
    "should not have",
    "could have",
    "could've",
    "would have",
    "would've",
    "if only",
    "failed to",
    "neglected to",
    "ought to have",
)

DEFAULT_BLAME_PHRASES: tuple[str, ...] = (
    "human error",
    "operator error",
    "user error",
    "careless",
    "carelessly",
    "carelessness",
    "negligent",
    "negligence",
    "his fault",
    "her fault",
    "their fault",
    "at fault",
    "blame",
    "blamed",
    "to blame",
    "dropped the ball",
    "screwed up",
    "messed up",
    "sloppy",
    "incompetent",
)

DEFAULT_REQUIRED_SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "full": ("Summary", "Impact", "Timeline", "Contributing factors", "Action items"),
        "lightweight": ("Summary", "Action items"),
        "note": (),
    }
)


DEFAULT_NOT_PEOPLE: tuple[str, ...] = (
    "Redis",
    "Memcached",
    "Kafka",
    "Postgres",
    "Envoy",
    "Nginx",
    "Terraform",
    "Kubernetes",
    "Docker",
    "Linux",
    "Chrome",
    "Safari",
    "Firefox",
)


@dataclass(frozen=True)
class LintConfig:
    """Which lints run and what they look for; every default is usable as is."""

    enabled: frozenset[str] = frozenset(RULES)
    """Rule ids that run (default: all of ``RULES``); a rule left out is never reported."""

    counterfactual_phrases: tuple[str, ...] = DEFAULT_COUNTERFACTUAL_PHRASES
    """Hindsight phrases, matched case-insensitively as whole words ("'" also matches "’")."""

    blame_phrases: tuple[str, ...] = DEFAULT_BLAME_PHRASES
    """Blame phrases, matched like ``counterfactual_phrases``; skipped right after a negation."""

    not_people: tuple[str, ...] = DEFAULT_NOT_PEOPLE
    """Capitalised words that name systems, not people, so "caused by Redis" is not blame.
    ``lint_record`` adds the words of the taxonomy's team, service, alert and class names."""

    max_action_items: int = 10
    """More action items than this is an action-item dump (rule ``too-many-action-items``)."""

    required_sections: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_REQUIRED_SECTIONS, hash=False
    )
    """Analysis level (``full``, ``lightweight``, ``note`` from the severity ladder) -> headings
    the write-up owes. A heading of any level counts, case-insensitively, ignoring trailing
    punctuation and any words after the title ("Timeline (UTC)" counts as "Timeline")."""

    secret_patterns: tuple[str, ...] = ()
    """Extra regular expressions for credentials, added to the built-in ones. The first group is
    the secret (masked in the message); without a group, the whole match is."""

    placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS
    """Case-insensitive markers that make a credential-shaped value a placeholder, not a secret."""

    min_secret_entropy: float = 3.5
    """Shannon entropy (bits per character) from which a value assigned to a secret-like name
    (``password: ...``, ``api_key = ...``) is reported."""

    min_secret_length: int = 20
    """Length from which a value assigned to a secret-like name is considered at all."""

    fail_on_overdue: bool = False
    """Report time-dependent findings (``overdue-draft``) as warnings, so ``--strict`` fails on
    them. Off by default: with it on, an unchanged archive can turn red as days pass."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.enabled) - set(RULES))
        if unknown:
            raise ValueError(
                "unknown lint rule(s) in enabled: "
                + ", ".join(f"'{rule}'{_closest_rule(rule, RULES)}" for rule in unknown)
                + f"; known rules: {', '.join(RULES)}"
            )
        bad_levels = sorted(set(self.required_sections) - set(ANALYSIS_LEVELS))
        if bad_levels:
            raise ValueError(
                f"unknown analysis level(s) in required_sections: {', '.join(bad_levels)}; "
                f"expected {', '.join(ANALYSIS_LEVELS)}"
            )
        if self.max_action_items < 0:
            raise ValueError("max_action_items must be 0 or more")
        for pattern in self.secret_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"secret pattern {pattern!r} is not a valid regex: {exc}") from exc
        # A caller's dict must not change under a frozen config.
        object.__setattr__(
            self,
            "required_sections",
            MappingProxyType({k: tuple(v) for k, v in self.required_sections.items()}),
        )

    @property
    def secret_rules(self) -> SecretRules:
        """The secret-scan options of this config, for scans outside the lints."""
        return SecretRules(
            self.placeholders, self.secret_patterns, self.min_secret_entropy, self.min_secret_length
        )


DEFAULT_CONFIG = LintConfig()
_NO_IGNORES: Mapping[str, str] = MappingProxyType({})


# --- public API ---------------------------------------------------------------------------------


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
    people_config = _with_taxonomy_names(config, taxonomy)
    findings = lint_text(record.body, record.body_line, people_config)
    if isinstance(record, PostMortem):
        findings.extend(_structural(record, taxonomy, today, config))
    findings = [f for f in findings if f.rule in config.enabled]
    return apply_ignores(findings, ignored, _field_line(record, IGNORE_FIELD), config)


def lint_text(
    text: str, first_line: int, config: LintConfig = DEFAULT_CONFIG, *, first_column: int = 1
) -> list[LintFinding]:
    """Phrase and secret findings in any text that starts at ``first_line``:``first_column``."""
    findings: list[LintFinding] = []
    locate = _Locator(text, first_line, first_column)
    prose = _blank_code(text, inline=True)
    if "counterfactual" in config.enabled:
        findings.extend(_phrase_findings(prose, locate, "counterfactual", config))
    if "blame" in config.enabled:
        findings.extend(_phrase_findings(prose, locate, "blame", config))
        findings.extend(_named_person_findings(prose, locate, config))
    if "secret" in config.enabled:
        findings.extend(_secret_findings(text, locate, config))
    return sorted(findings)


def secret_findings_in(
    text: str,
    first_line: int = 1,
    config: LintConfig = DEFAULT_CONFIG,
    *,
    first_column: int = 1,
) -> list[LintFinding]:
    """Secret findings only, for any text: a whole file, its front-matter, a single value."""
    return sorted(_secret_findings(text, _Locator(text, first_line, first_column), config))


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
                    f"{_closest_rule(rule, IGNORABLE_RULES)}; known rules: "
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


# --- locating matches ---------------------------------------------------------------------------


class _Locator:
    """Turns an offset in a text into a file (line, column)."""

    def __init__(self, text: str, first_line: int, first_column: int) -> None:
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.first_line = first_line
        self.first_column = first_column

    def __call__(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        column = offset - self.starts[index] + 1
        if index == 0:
            column += self.first_column - 1
        return self.first_line + index, column


_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _code_ranges(text: str, *, inline: bool) -> list[tuple[int, int]]:
    """Offsets of fenced code blocks (fences included) and, if asked, inline code spans."""
    ranges: list[tuple[int, int]] = []
    fence: str | None = None
    fence_start = 0
    pos = 0
    for line in text.split("\n"):
        content = line.rstrip("\r")
        match = _FENCE.fullmatch(content)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, fence_start = match.group(1), pos
            elif inline:
                ranges.extend((pos + m.start(), pos + m.end()) for m in _INLINE_CODE.finditer(line))
        elif (
            match
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not match.group(2).strip()
        ):
            ranges.append((fence_start, pos + len(line)))
            fence = None
        pos += len(line) + 1
    if fence is not None:
        ranges.append((fence_start, len(text)))
    return ranges


def _blank_code(text: str, *, inline: bool) -> str:
    """``text`` with code replaced by spaces, so offsets, lines and columns stay the same."""
    chars = list(text)
    for start, end in _code_ranges(text, inline=inline):
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


# --- phrase rules -------------------------------------------------------------------------------

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


def _phrase_findings(
    prose: str, locate: _Locator, rule: str, config: LintConfig
) -> list[LintFinding]:
    phrases = config.counterfactual_phrases if rule == "counterfactual" else config.blame_phrases
    regex = _phrase_regex(phrases)
    if regex is None:
        return []
    default = _COUNTERFACTUAL_ADVICE if rule == "counterfactual" else _BLAME_ADVICE
    findings = []
    for match in regex.finditer(prose):
        if rule == "blame" and _negated(prose, match.start()):
            continue
        phrase = _canonical(match.group(), phrases)
        line, column = locate(match.start())
        advice = _ADVICE.get(phrase.lower(), default)
        findings.append(LintFinding(line, column, rule, WARNING, f"'{phrase}' {advice}"))
    return findings


_NAME_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = rf"(?:@[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
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


def _lowercase_words(prose: str) -> frozenset[str]:
    """Every lowercase word of the text, hyphenated compounds both whole and in parts."""
    words: set[str] = set()
    for match in re.finditer(r"(?<![\w@])[a-z]+(?:-[a-z]+)*(?!\w)", prose):
        words.add(match.group())
        words.update(match.group().split("-"))
    return frozenset(words)


def _person(
    name: str, lowercase: frozenset[str], not_people: frozenset[str]
) -> tuple[int, str] | None:
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
    if first.lower() in lowercase:
        return None  # the word is used as a common noun elsewhere in the text
    return offset, " ".join(words)


def _named_person_findings(prose: str, locate: _Locator, config: LintConfig) -> list[LintFinding]:
    not_people = frozenset(w.lower() for w in config.not_people)
    lowercase = _lowercase_words(prose)
    findings = []
    seen: set[int] = set()
    for pattern in _PERSON_PATTERNS:
        for match in pattern.finditer(prose):
            person = _person(match.group("name"), lowercase, not_people)
            if person is None:
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


# --- secret rule --------------------------------------------------------------------------------


def _secret_findings(text: str, locate: _Locator, config: LintConfig) -> list[LintFinding]:
    findings = []
    for match in find_secrets(text, config.secret_rules):
        line, column = locate(match.start)
        findings.append(LintFinding(line, column, "secret", ERROR, match.message))
    return findings


# --- structural rules ---------------------------------------------------------------------------

_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*")


def headings(body: str) -> list[str]:
    """The text of every Markdown heading (ATX or setext) outside fenced code blocks."""
    lines = [line.rstrip("\r") for line in _blank_code(body, inline=False).split("\n")]
    found = []
    for index, line in enumerate(lines):
        atx = _ATX.fullmatch(line)
        if atx:
            found.append((atx.group(1) or "").strip())
        elif (
            _SETEXT.fullmatch(line)
            and index > 0
            and lines[index - 1].strip()
            and not _ATX.fullmatch(lines[index - 1])
        ):
            found.append(lines[index - 1].strip())
    return found


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


def _structural(
    record: PostMortem, taxonomy: Taxonomy, today: dt.date, config: LintConfig
) -> list[LintFinding]:
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
            due = business_days_after(record.date, level.due_business_days)
            if due < today:
                findings.append(
                    LintFinding(
                        _field_line(record, "status"),
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
                    _field_line(record, "action_items"),
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
                _field_line(record, "action_items", "action_items_open"),
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
                _field_line(record, "action_items"),
                1,
                "prevent-only",
                WARNING,
                f"all {len(kinds)} action items are 'prevent'; add how the next occurrence "
                "will be noticed sooner or recovered from faster (kinds 'detect', 'recover')",
            )
        )
    return findings


# --- helpers ------------------------------------------------------------------------------------


def _field_line(record: AnyRecord, *names: str) -> int:
    for name in names:
        if name in record.lines:
            return record.lines[name]
    return 1


def _closest_rule(rule: str, rules: Iterable[str]) -> str:
    best = closest(rule, rules)
    return f" (did you mean '{best}'?)" if best is not None else ""


def _with_taxonomy_names(config: LintConfig, taxonomy: Taxonomy) -> LintConfig:
    """``config`` with the taxonomy's system names added to ``not_people``."""
    names: set[str] = set()
    for entries in (taxonomy.teams, taxonomy.services, taxonomy.alerts, taxonomy.classes):
        for key, entry in entries.items():
            names.update(re.findall(r"[A-Za-z]+", key))
            names.update(re.findall(r"[A-Za-z]+", str(getattr(entry, "title", ""))))
    known = {w.lower() for w in config.not_people}
    extra = tuple(sorted(n for n in names if n.lower() not in known))
    if not extra:
        return config
    return replace(config, not_people=config.not_people + extra)
