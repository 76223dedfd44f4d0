"""The lints' shortcuts change no finding: each is checked against the slow path it skips.

The shortcuts: a rule is skipped for a text that holds none of its anchor words (found with a
plain substring test on the lowercased text, see ``core.credentials.folded``); an assignment of a
credential is only tried where a secret name is; code, headings and line offsets are found once
per text. Turning the anchors off (``folded`` returning ``None``) runs every regex over the whole
text, as the lints did before; the other helpers are compared with their former versions below.

Every credential-shaped value is assembled at run time from pieces, so this file holds none.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmarchive.core import credentials
from pmarchive.core.credentials import FOLD_SPECIAL, find_secrets, folded
from pmarchive.lints import _markdown
from pmarchive.lints.config import DEFAULT_CONFIG, LintConfig
from pmarchive.lints.findings import Locator
from pmarchive.lints.lint import lint_record, lint_text
from pmarchive.lints.phrases import _phrase_anchors, with_taxonomy_names
from pmarchive.lints.template import PLACEHOLDER_LINES, _normalise, placeholder_findings
from pmarchive.model.records import PostMortem
from pmarchive.model.taxonomy import Taxonomy, Team

ROOT = Path(__file__).resolve().parent.parent


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _fragments(rng: random.Random) -> list[str]:
    """Pieces of text close to every rule's edge: phrases in odd cases and quotes, people,
    credentials of each kind and near-misses of them, code, headings, case-folding traps."""
    upper, alnum = string.ascii_uppercase + string.digits, string.ascii_letters + string.digits
    b64url = alnum + "-_"
    jwt = ".".join(
        "ey" + "J" + _token(rng, b64url, 12) if i == 0 else _token(rng, b64url, 14)
        for i in range(3)
    )
    key_block = "-----" + "BEGIN RSA PRIVATE KEY" + "-----\n" + _token(rng, alnum + "+/", 40) + "\n"
    return [
        "should have",
        "Should’ve",
        "SHOULD NOT  have",
        "could\nhave",
        "if only",
        "failed to",
        "failed",
        "ought to have",
        "human error",
        "Human   Error",
        "operator error",
        "careless",
        "carelessness",
        "not about blame",
        "to blame",
        "blamed",
        "their fault",
        "dropped the ball",
        "no one was careless",
        "caused by Alice",
        "Caused By Bob Smith",
        "triggered by @dana.k",
        "broken by Redis",
        "Alice's mistake",
        "Erin’s oversight",
        "Frank broke",
        "Grace messed up",
        "the root cause was Heidi.",
        "the root cause was Configuration drift",
        "human error by Ivan",
        "a mistake made by Judy",
        "alice",
        "the deploy",
        "Deploy broke",
        "Where we got lucky",
        "\n## Where we got lucky\n\nit would have been worse\n\n## Next\n",
        "\n### Summary\n",
        "Heading\n=======\n",
        "\n```\ncaused by Mallory\n" + "AK" + "IA" + _token(rng, upper, 16) + "\n```\n",
        "~~~\nshould have\n~~~",
        "`failed to`",
        "``blame ` quoted``",
        "AK" + "IA" + _token(rng, upper, 16),
        "AS" + "IA" + _token(rng, upper, 16) + "X",
        "AS" + "IA" + _token(rng, upper, 16),
        "aws_secret_access_key = " + _token(rng, alnum + "/+", 40),
        "gh" + "p_" + _token(rng, alnum, 36),
        "github" + "_pat_" + _token(rng, alnum + "_", 30),
        "https://hooks.slack.com/services/" + _token(rng, alnum, 24),
        "xo" + "xb-" + _token(rng, string.digits, 11) + "-" + _token(rng, alnum, 12),
        "sk" + "_live_" + _token(rng, alnum, 24),
        "AI" + "za" + _token(rng, b64url, 35),
        jwt,
        "postgres://app:" + _token(rng, alnum, 18) + "@db.internal:5432/x",
        "https://user:password@example.com",
        "api_key = " + _token(rng, alnum, 32),
        "API-KEY: " + _token(rng, alnum, 28),
        "client_secret=" + _token(rng, alnum, 26),
        "Authorization: Bearer " + _token(rng, alnum, 30),
        "db.password: '" + _token(rng, alnum, 24) + "'",
        "password: ${DB_PASSWORD}",
        "token = EXAMPLE" + _token(rng, alnum, 20),
        "mytoken" + "_x.y-z" + ": " + _token(rng, alnum, 22),
        "secretaccesskey",
        "passwordtoken=" + _token(rng, alnum, 24),
        key_block,
        "-----" + "BEGIN PRIVATE KEY" + "----- ...",
        # case folding traps: a long s, a dotless and a dotted i, the Kelvin sign
        "ſhould have",
        "faıled to",
        "İf only",
        "api_\u212aey = " + _token(rng, alnum, 24),
        "paſſword: " + _token(rng, alnum, 24),
        "\u212aelvin broke",
        "—",
        "’",
        "token",
        "the cache",
        "retry storm",
        "Kafka broke",
        # template prompts, whole, in odd case and spacing, and cut across two lines
        "Two or three sentences: what happened, for how long, and who noticed.",
        "  WHAT held by  chance and will not hold next time. And more.",
        "What held by chance\nand will not hold next time.",
        "- HH:MM UTC — detected",
        "Reference the ids in the front-matter: AI-1 ...",
    ]


_SEPARATORS = [" ", " ", " ", "\n", "\n\n", "=", ": ", "_", "-", ".", ", ", "'", '"', "`"]


def generated_texts(count: int, seed: int = 7) -> Iterator[str]:
    """Texts of 5 to 60 fragments joined by separators that can glue them into one word."""
    rng = random.Random(seed)
    for _ in range(count):
        pieces = _fragments(rng)
        parts = []
        for _ in range(rng.randint(5, 60)):
            parts += [rng.choice(pieces), rng.choice(_SEPARATORS)]
        yield "".join(parts)


def example_texts() -> list[str]:
    """Every record of the example archive, whole, plus its body alone."""
    texts = []
    for folder in ("postmortems", "nearmisses"):
        for path in sorted((ROOT / folder).glob("*.md")):
            text = path.read_text(encoding="utf-8")
            texts += [text, text.split("\n---\n", 1)[-1]]
    return texts


CORPUS = example_texts() + list(generated_texts(400))

CONFIGS = {
    "default": DEFAULT_CONFIG,
    "custom": LintConfig(
        counterfactual_phrases=("Na\u00efvely", "it’s a pity", "c++ again", "'"),
        blame_phrases=("rogue commit", "cowboy", "ſloppy"),
        secret_patterns=(r"corp-([a-z0-9]{12})", r"INTERNAL-[0-9]{6}"),
        not_people=("Alice",),
    ),
}


def test_fold_special_lists_every_character_that_folds_to_ascii_unlike_lower() -> None:
    # Code points a case-insensitive regex matches with an ASCII letter, or that lower() turns
    # into something holding ASCII: outside FOLD_SPECIAL, they are only the ASCII letters.
    everything = "".join(chr(c) for c in range(128, 0x110000) if not 0xD800 <= c < 0xE000)
    folding = set(re.findall("(?i)[a-z]", everything))
    lowering = {c for c in everything if any(ch.isascii() for ch in c.lower())}
    longer = {c for c in everything if len(c.lower()) != 1}
    assert folding | lowering | longer <= set(FOLD_SPECIAL)


@pytest.mark.parametrize(
    ("text", "low"),
    [
        ("Should Have", "should have"),
        ("it’s", "it’s"),
        ("ſhould", None),
        ("İf", None),
        ("faıled", None),
        ("\u212aey", None),
        ("", ""),
    ],
)
def test_folded(text: str, low: str | None) -> None:
    assert folded(text) == low


def test_phrase_anchors_are_pieces_of_every_phrase() -> None:
    assert _phrase_anchors(("should have", "Should’ve", "to blame", "blame")) == (
        "blame",
        "should",
    )
    assert _phrase_anchors(("ſloppy",)) is None  # no ASCII piece: the rule always runs
    # a phrase of an apostrophe alone has no word to look for, and matches (" ' ")
    assert _phrase_anchors(("blame", "'")) is None


def _findings(texts: list[str], config: LintConfig) -> list[object]:
    out: list[object] = []
    for text in texts:
        out.append(lint_text(text, 3, config, first_column=5))
        out.append(find_secrets(text, config.secret_rules))
    return out


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_lint_text_finds_the_same_with_and_without_anchors(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CONFIGS[name]
    fast = _findings(CORPUS, config)
    monkeypatch.setattr(credentials, "folded", lambda text: None)
    slow = _findings(CORPUS, config)
    assert fast == slow
    # the corpus reaches every rule, so the comparison is not of empty lists
    rules = {f.rule for found in fast[0::2] for f in found}  # type: ignore[attr-defined]
    assert {"counterfactual", "blame", "secret"} <= rules
    kinds = {m.kind.split(" '")[0] for found in fast[1::2] for m in found}  # type: ignore[attr-defined]
    assert len(kinds) >= 10, kinds


def test_find_secrets_tries_assignments_like_finditer() -> None:
    # assignments glued to each other and to other names: each is found where finditer finds it
    alnum = string.ascii_letters + string.digits
    rng = random.Random(3)
    found = 0
    for _ in range(300):
        names = ["x", "token", "api-key", "a.secret.b", "Auth", "pass", "mytoken_id", "k"]
        parts = []
        for _ in range(rng.randint(1, 8)):
            parts += [
                rng.choice(names),
                rng.choice(["=", ": ", " = ", "'=", ":=", "=>", " ", "_", "."]),
                rng.choice(["", "bearer ", "Token "]) + _token(rng, alnum + "=.", 24),
                rng.choice([" ", ",", "\n", "", ";", "_"]),
            ]
        text = "".join(parts)
        assert folded(text) is not None  # the shortcut applies
        slow = [(m.start("value"), m.group("name")) for m in credentials._ASSIGNMENT.finditer(text)]
        tried = [
            (m.start("value"), m.group("name"))
            for m in credentials._assignments(text, credentials.Anchors(text))
        ]
        assert tried == slow, text
        found += len(slow)
    assert found > 300  # most texts hold several assignments, glued or not


# --- the helpers as they were, to compare with ------------------------------------------------


def _old_code_ranges(text: str, *, inline: bool) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    fence: str | None = None
    fence_start = 0
    pos = 0
    for line in text.split("\n"):
        content = line.rstrip("\r")
        match = _markdown._FENCE.fullmatch(content)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, fence_start = match.group(1), pos
            elif inline:
                ranges.extend(
                    (pos + m.start(), pos + m.end()) for m in _markdown._INLINE_CODE.finditer(line)
                )
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


def _old_heading_positions(prose: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    lines = [line.rstrip("\r") for line in prose.split("\n")]
    starts = []
    offset = 0
    for line in prose.split("\n"):
        starts.append(offset)
        offset += len(line) + 1
    for index, line in enumerate(lines):
        atx = _markdown._ATX.fullmatch(line)
        if atx:
            found.append((starts[index], len(atx.group(1)), (atx.group(2) or "").strip()))
            continue
        underline = _markdown._SETEXT.fullmatch(line)
        previous = lines[index - 1] if index else ""
        if underline and previous.strip() and not _markdown._ATX.fullmatch(previous):
            level = 1 if underline.group(1)[0] == "=" else 2
            found.append((starts[index - 1], level, previous.strip()))
    return found


def _old_placeholder_lines(prose: str) -> list[int]:
    offsets = []
    offset = 0
    for line in prose.split("\n"):
        normalised = _normalise(line)
        if normalised and any(prompt in normalised for prompt in PLACEHOLDER_LINES):
            offsets.append(offset + len(line) - len(line.lstrip()))
        offset += len(line) + 1
    return offsets


@pytest.mark.parametrize("index", range(0, len(CORPUS), 5))
def test_placeholder_findings_match_a_line_by_line_scan(index: int) -> None:
    prose = _markdown.blank_code(CORPUS[index], inline=True)
    locate = Locator(prose, 1, 1)
    expected = [locate(offset) for offset in _old_placeholder_lines(prose)]
    found = placeholder_findings(prose, locate)
    assert [(f.line, f.column) for f in found] == expected


def test_the_corpus_holds_placeholders() -> None:
    assert sum(bool(_old_placeholder_lines(text)) for text in CORPUS) > 50


MARKDOWN_EDGES = [
    "",
    "\n",
    "no code here\n# Title\n",
    "a `b` c ``d`e`` f\n```py\nx\n```\n~~~\ny\n~~~~\nz",
    "```\nnever closed",
    "~~~\n```\n~~~\n",
    "``` a`b\nnot a fence\n",
    "Title\r\n=====\r\n\r\n## Two ##\r\n---\n- item\n",
    "#nospace\n####### seven\n   ### three spaces\n    #### four\n",
    "text\n-\n\n=\nafter blank\n",
]


@pytest.mark.parametrize("text", MARKDOWN_EDGES + CORPUS[::7])
def test_markdown_helpers_match_their_former_versions(text: str) -> None:
    for inline in (True, False):
        assert _markdown._code_ranges(text, inline=inline) == _old_code_ranges(text, inline=inline)
    prose = _markdown.blank_code(text, inline=True)
    assert list(_markdown.heading_positions(prose)) == _old_heading_positions(prose)


@pytest.mark.parametrize("text", ["", "x", "a\nb", "\n\n", "ab\ncd\n", *CORPUS[::11]])
def test_locator_matches_counting_newlines(text: str) -> None:
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    locate = Locator(text, 4, 9)
    for offset in range(0, len(text) + 1, max(1, len(text) // 50)):
        index = bisect.bisect_right(starts, offset) - 1
        column = offset - starts[index] + 1 + (8 if index == 0 else 0)
        assert locate(offset) == (4 + index, column)


def test_taxonomy_names_follow_the_taxonomy_not_a_cache() -> None:
    first = Taxonomy(teams={"checkout": Team("checkout", "Checkout Crew")})
    config = with_taxonomy_names(DEFAULT_CONFIG, first)
    assert {"checkout", "Checkout", "Crew"} <= set(config.not_people)
    # a changed taxonomy (even the same object, changed) gives its own names
    first.teams["payments"] = Team("payments", "Payments")
    again = with_taxonomy_names(DEFAULT_CONFIG, first)
    assert "Payments" in again.not_people
    assert with_taxonomy_names(DEFAULT_CONFIG, Taxonomy()) is DEFAULT_CONFIG


def test_lint_record_is_the_same_with_and_without_anchors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taxonomy = Taxonomy(teams={"checkout": Team("checkout", "Checkout")})
    records = [
        PostMortem(
            id="INC-2026-01-01-001",
            title="t",
            date=dt.date(2026, 2, 26),
            cause_class=("x",),
            path="postmortems/x.md",
            status="final",
            sev=1,
            detection="alert",
            body=text,
            body_line=12,
        )
        for text in CORPUS[::3]
    ]
    today = dt.date(2026, 11, 24)
    fast = [lint_record(r, taxonomy, today) for r in records]
    monkeypatch.setattr(credentials, "folded", lambda text: None)
    assert fast == [lint_record(r, taxonomy, today) for r in records]
