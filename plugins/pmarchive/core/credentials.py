"""What a credential looks like: finding one in any text, masking it, redacting messages.

No imports from the rest of the package, so every layer (taxonomy, diagnostics, lints, doc pages)
can use the same patterns without import cycles. ``lints.py`` turns matches into lint findings;
``diagnostics.py`` runs ``redact`` over every message, so no message ever shows a credential
whole, whatever value it quotes.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "example",
    "xxxx",
    "****",
    "redacted",
    "changeme",
    "placeholder",
    "dummy",
)


@dataclass(frozen=True)
class SecretRules:
    """The knobs of the secret scan (``LintConfig`` carries them as lint options)."""

    placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS
    """Case-insensitive markers that make a credential-shaped value a placeholder."""
    patterns: tuple[str, ...] = ()
    """Extra regular expressions; the first group is the secret, else the whole match."""
    min_entropy: float = 3.5
    """Bits per character from which a value assigned to a secret-like name is reported."""
    min_length: int = 20
    """Length from which a value assigned to a secret-like name is considered at all."""


DEFAULT_RULES = SecretRules()


@dataclass(frozen=True)
class SecretMatch:
    """A credential-shaped span of a text, and how it may be shown (masked, or a key header)."""

    start: int
    end: int
    kind: str
    shown: str

    @property
    def message(self) -> str:
        return (
            f"{self.kind} found ({self.shown}); remove it, rotate the credential (treat it as "
            "leaked) and refer to it by name instead"
        )


def line_and_column(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """Where ``offset`` of ``text`` is, as a 1-based (line, column) in the file."""
    return first_line + text.count("\n", 0, offset), offset - text.rfind("\n", 0, offset)


def mask(secret: str) -> str:
    """The secret with at most its first 4 and last 2 characters visible, the rest ``*``.

    Anything shorter than 16 characters is fully masked, so at least 10 characters stay hidden.
    """
    if len(secret) < 16:
        return "*" * len(secret)
    return secret[:4] + "*" * (len(secret) - 6) + secret[-2:]


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution (0 for an empty string)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


# Non-ASCII characters a case-insensitive regex matches with an ASCII letter although
# ``str.lower()`` does not turn them into that letter (or turns them into two characters):
# "ſ" (long s) matches "s", dotless "ı" and dotted "İ" match "i", the Kelvin sign matches "k".
# tests/test_lint_speed_equivalence.py checks this list against every code point.
FOLD_SPECIAL = "\u0130\u0131\u017f\u212a"


def folded(text: str) -> str | None:
    """``text.lower()`` when it can stand in for case-insensitive matching of ASCII words.

    Then an ASCII literal matches ``text`` case-insensitively at an offset exactly when its
    lowercase form is found in the folded text at that offset, so a plain ``in`` test can show
    that an expensive case-insensitive regex cannot match. ``None`` for a text holding one of
    ``FOLD_SPECIAL``: callers then run every regex, as if nothing were known.
    """
    if not text.isascii() and any(char in text for char in FOLD_SPECIAL):
        return None
    low = text.lower()
    return low if len(low) == len(text) else None


class Anchors:
    """Which lowercase literals a text contains, each looked up once per text.

    A rule whose every match must contain one of its anchors is skipped for a text with none
    of them; with no folded text (see ``folded``) every anchor counts as present.
    """

    def __init__(self, text: str) -> None:
        self.low = folded(text)
        self._seen: dict[str, bool] = {}

    def any(self, anchors: tuple[str, ...] | None) -> bool:
        """Whether the text may hold a match of a rule with these anchors (``None``: no
        anchors known, always true)."""
        if self.low is None or anchors is None:
            return True
        for anchor in anchors:
            present = self._seen.get(anchor)
            if present is None:
                present = self._seen[anchor] = anchor in self.low
            if present:
                return True
        return False


@lru_cache(maxsize=16)
def anchors_of(text: str) -> Anchors:
    """The ``Anchors`` of ``text``, shared by every rule that reads the same text (a record's
    body is read by the secret scan and, when it holds no code, as the phrase rules' prose)."""
    return Anchors(text)


@dataclass(frozen=True)
class _Detector:
    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0
    checked: bool = True
    """Whether placeholder markers can clear a match (not for key blocks)."""
    anchors: tuple[str, ...] | None = None
    """Lowercase literals one of which every match contains, found by a plain substring test
    before the regex runs (most texts hold no credential, and most regexes here start with a
    lookbehind that makes the regex engine try every offset); ``None`` runs it always."""


_ASSIGN = r"""["']?[ \t]*(?:=>|:=|=|:)[ \t]*["']?"""
_B64URL = r"[A-Za-z0-9_-]"
KEY_BLOCK = "private key block"
_DETECTORS: tuple[_Detector, ...] = (
    _Detector(
        KEY_BLOCK,
        re.compile(
            # Key material must follow the header, on real or JSON-escaped ("\\n") lines.
            r"-{5}BEGIN[A-Z0-9 ]*\ PRIVATE\ KEY(?:\ BLOCK)?-{5}[ \t]*(?:\\n|\r?\n)"
            r"(?:[A-Za-z-]+:[^\n\\]*(?:\\n|\r?\n)|[ \t]*(?:\\n|\r?\n))*"
            r"[ \t]*[A-Za-z0-9+/=]{16,}"
        ),
        checked=False,
        anchors=("-----begin",),
    ),
    _Detector(
        "AWS access key id",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        anchors=("akia", "asia"),
    ),
    _Detector(
        "AWS secret access key",
        re.compile(
            r"(?<![A-Za-z0-9])(?i:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)"
            + _ASSIGN
            + r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        group=1,
        anchors=("secret",),
    ),
    _Detector(
        "GitHub token",
        re.compile(
            r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"
            r"(?![A-Za-z0-9_])"
        ),
        anchors=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _Detector(
        "Slack webhook URL",
        re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}"
        ),
        anchors=("https://hooks.slack.com/",),
    ),
    _Detector(
        "Slack token",
        re.compile(
            r"(?<![A-Za-z0-9])xox[abprs]-(?=[A-Za-z0-9-]{10})[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+"
            r"(?![A-Za-z0-9-])"
        ),
        anchors=("xox",),
    ),
    _Detector(
        "Stripe live key",
        re.compile(r"(?<![A-Za-z0-9_])(?:sk|rk)_live_[A-Za-z0-9]{16,}(?![A-Za-z0-9])"),
        anchors=("_live_",),
    ),
    _Detector(
        "Google API key",
        re.compile(rf"(?<![A-Za-z0-9_-])AIza{_B64URL}{{35}}(?!{_B64URL})"),
        anchors=("aiza",),
    ),
    _Detector(
        "JWT",
        re.compile(
            rf"(?<!{_B64URL})eyJ{_B64URL}{{10,}}\.{_B64URL}{{10,}}\.{_B64URL}{{10,}}(?!{_B64URL})"
        ),
        anchors=("eyj",),
    ),
    _Detector(
        "password in a URL",
        re.compile(
            r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\"'<>]+:"
            r"([^\s/?#@\"'<>]+)@[^\s/?#@\"'<>]+"
        ),
        group=1,
        anchors=("://",),
    ),
)
_SECRET_NAME = (
    r"password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret"
    r"|auth"
)
_ASSIGNMENT = re.compile(
    rf"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]*(?i:{_SECRET_NAME})[A-Za-z0-9_.-]*)"
    + _ASSIGN
    + r"(?:(?i:bearer|basic|token)[ \t]+)?(?P<value>[^\s\"'`,;<>()\[\]{}]+)"
)
# Where an assignment can start. Its name is a whole run of name characters holding a secret
# name, since the characters after a name (a quote, a blank, "=" or ":") are not name characters;
# so only the run around each secret name found in the folded text needs to be tried.
_SECRET_NAME_FOLDED = re.compile(_SECRET_NAME)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_ASSIGNMENT_ANCHORS = ("password", "passwd", "secret", "token", "key", "auth")


def _assignments(text: str, anchors: Anchors) -> Iterator[re.Match[str]]:
    """``_ASSIGNMENT.finditer(text)``, trying the regex only where a secret name is."""
    low = anchors.low
    if low is None:
        yield from _ASSIGNMENT.finditer(text)
        return
    if not anchors.any(_ASSIGNMENT_ANCHORS):
        return
    resume = 0  # like finditer, the next match starts after the previous one
    tried = -1
    for hit in _SECRET_NAME_FOLDED.finditer(low):
        start = hit.start()
        if start < resume:
            continue
        while start > resume and text[start - 1] in _NAME_CHARS:
            start -= 1
        if start == tried:
            continue
        tried = start
        match = _ASSIGNMENT.match(text, start)
        if match is not None:
            resume = match.end()
            yield match


_PLACEHOLDER_WORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "key"}
)
_IDENTIFIER = re.compile(r"[a-z]+(?:[-_.][a-z]+)+")


def _is_placeholder(value: str, placeholders: tuple[str, ...]) -> bool:
    low = value.lower()
    return (
        any(marker.lower() in low for marker in placeholders if marker)
        or low in _PLACEHOLDER_WORDS
        or len(set(value)) == 1
        or value.startswith(("$", "<", "%"))
        or "{{" in value
        or "${" in value
        or (value.startswith("{") and value.endswith("}"))
    )


@lru_cache(maxsize=16)
def _custom_detectors(patterns: tuple[str, ...]) -> tuple[_Detector, ...]:
    detectors = []
    for pattern in patterns:
        regex = re.compile(pattern)
        detectors.append(
            _Detector(f"match for secret pattern {pattern!r}", regex, 1 if regex.groups else 0)
        )
    return tuple(detectors)


def find_secrets(text: str, rules: SecretRules = DEFAULT_RULES) -> list[SecretMatch]:
    """Every credential-shaped span of ``text``, never two overlapping, sorted by offset."""
    # Reported spans never overlap, so sorted by start they are sorted by end too, and only the
    # span starting just before a new one's end can overlap it.
    taken_starts: list[int] = []
    taken_ends: list[int] = []
    found: list[SecretMatch] = []

    def report(start: int, end: int, kind: str, shown: str) -> None:
        index = bisect.bisect_left(taken_starts, end)
        if index > 0 and taken_ends[index - 1] > start:
            return  # a more specific detector already reported this value
        taken_starts.insert(index, start)
        taken_ends.insert(index, end)
        found.append(SecretMatch(start, end, kind, shown))

    anchors = anchors_of(text)
    for detector in (*_DETECTORS, *_custom_detectors(rules.patterns)):
        if not anchors.any(detector.anchors):
            continue
        for match in detector.pattern.finditer(text):
            value = match.group(detector.group)
            if not value:
                continue
            if detector.checked and _is_placeholder(value, rules.placeholders):
                continue
            start, end = match.span(detector.group)
            # A key block shows only its header, which ends at the second run of dashes.
            header = value[: value.find("-----", 5) + 5]
            shown = mask(value) if detector.checked else header
            report(start, end, detector.kind, shown)

    for match in _assignments(text, anchors):
        value = match.group("value").rstrip(".")
        if (
            len(value) < rules.min_length
            or "://" in value
            or value.startswith("/")
            or _IDENTIFIER.fullmatch(value)
            or _is_placeholder(value, rules.placeholders)
            or shannon_entropy(value) < rules.min_entropy
        ):
            continue
        start = match.start("value")
        kind = f"high-entropy value assigned to '{match.group('name')}'"
        report(start, start + len(value), kind, mask(value))
    return sorted(found, key=lambda m: m.start)


# A bare token in a message (an unknown field, a vocabulary value, an id): a run of 20 or more
# letters and digits mixing upper and lower case and digits, and as varied as random text. Slugs,
# paths, ids and dates never are: their separators cut them into short runs.
_TOKEN = re.compile(r"(?<![A-Za-z0-9+=])[A-Za-z0-9+=]{20,}(?![A-Za-z0-9+=])")
_MIN_TOKEN_ENTROPY = 3.5


def _looks_random(token: str) -> bool:
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
        and shannon_entropy(token) >= _MIN_TOKEN_ENTROPY
        and not _is_placeholder(token, DEFAULT_PLACEHOLDERS)
    )


def redact(text: str) -> str:
    """``text`` with every credential-shaped part masked, for messages that quote user values.

    It masks what the secret lint finds (with the default rules) and, beyond that, any bare
    random-looking token of 20 characters or more, since a message quotes values out of the
    context (``password: ...``) that would identify them.
    """
    if len(text) < 16:
        return text
    parts: list[str] = []
    pos = 0
    for match in find_secrets(text):
        # masked values are shown as masked; a key block as its header, its material hidden
        hidden = "****" if match.kind == KEY_BLOCK else ""
        parts += [text[pos : match.start], match.shown + hidden]
        pos = match.end
    parts.append(text[pos:])
    masked = "".join(parts)
    return _TOKEN.sub(lambda m: mask(m.group()) if _looks_random(m.group()) else m.group(), masked)
