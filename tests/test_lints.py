"""Authoring lints: exact positions, blameless wording, planted credentials, structural rules.

Every credential-shaped value is assembled at run time from pieces, so this file itself holds no
string that another repository's secret scanner would report.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import random
import string
from collections.abc import Callable
from dataclasses import replace

import pytest

from pmarchive.core.calendar import add_business_days as business_days_after
from pmarchive.core.credentials import mask, shannon_entropy
from pmarchive.lints import rules
from pmarchive.lints.config import DEFAULT_CONFIG, RULES, LintConfig
from pmarchive.lints.findings import LintFinding
from pmarchive.lints.lint import lint_record, lint_text
from pmarchive.lints.secrets import secret_findings_in
from pmarchive.lints.structure import missing_sections
from pmarchive.model.records import ActionItem, NearMiss, PostMortem
from pmarchive.model.taxonomy import SeverityLevel, Taxonomy, Team

TODAY = dt.date(2026, 3, 2)
TAXONOMY = Taxonomy(
    severity={
        1: SeverityLevel(1, "Critical", analysis="full", due_business_days=5),
        2: SeverityLevel(2, "Major", analysis="full", due_business_days=7),
        3: SeverityLevel(3, "Minor", analysis="lightweight", due_business_days=10),
        4: SeverityLevel(4, "Notice", analysis="note", due_business_days=2),
    },
    teams={"checkout": Team("checkout", "Checkout")},
)
FULL_BODY = (
    "## Summary\n\nThe cache restarted cold.\n\n## Impact\n\nErrors for 6 minutes.\n\n"
    "## Timeline\n\n- 14:05 restart\n\n## Contributing factors\n\n- no coalescing\n\n"
    "## Action items\n\nSee front-matter.\n"
)

Expected = tuple[int, int, str, str, str]  # line, column, rule, severity, message fragment


def postmortem(**changes: object) -> PostMortem:
    base = PostMortem(
        id="INC-2026-01-01-001",
        title="t",
        date=dt.date(2026, 2, 26),
        cause_class=("x",),
        path="postmortems/INC-2026-01-01-001.md",
        status="final",
        sev=1,
        detection="alert",
        body=FULL_BODY,
        body_line=20,
        lines={"status": 3, "action_items": 14, "lint_ignore": 17},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def nearmiss(body: str) -> NearMiss:
    return NearMiss(
        id="NM-2026-01-01-001",
        title="t",
        date=dt.date(2026, 1, 1),
        cause_class=("x",),
        path="nearmisses/NM-2026-01-01-001.md",
        kind="near-miss",
        caught_by="luck",
        body=body,
        body_line=9,
    )


def items(*kinds: str) -> tuple[ActionItem, ...]:
    return tuple(ActionItem(f"AI-{n}", "t", "open", kind) for n, kind in enumerate(kinds, 1))


def located(findings: list[LintFinding]) -> list[tuple[int, int, str, str]]:
    return [(f.line, f.column, f.rule, f.severity) for f in findings]


def check(findings: list[LintFinding], expected: list[Expected]) -> None:
    assert located(findings) == [e[:4] for e in expected]
    for finding, (*_, fragment) in zip(findings, expected, strict=True):
        assert fragment in finding.message


# --- phrase rules -------------------------------------------------------------------------------

PHRASE_CASES: list[tuple[str, str, list[Expected]]] = [
    ("clean", "The cache restarted cold and the origin saturated.", []),
    (
        "counterfactual",
        "We should have paged earlier.",
        [(20, 4, "counterfactual", "warning", "'should have' judges with hindsight")],
    ),
    (
        "case-insensitive",
        "SHOULD HAVE paged.",
        [(20, 1, "counterfactual", "warning", "'should have'")],
    ),
    (
        "curly apostrophe",
        "We should’ve paged.",
        [(20, 4, "counterfactual", "warning", "'should've'")],
    ),
    (
        "second line",
        "Fine.\nThe job failed to run.",
        [(21, 9, "counterfactual", "warning", "'failed to' frames an outcome")],
    ),
    (
        "phrase wrapped over two lines",
        "We could\nhave paged.",
        [(20, 4, "counterfactual", "warning", "'could have'")],
    ),
    ("whole words only", "The blameless format; shouldhave; unfailed top.", []),
    (
        "two on one line, in order",
        "If only we had, it would have held.",
        [
            (20, 1, "counterfactual", "warning", "'if only'"),
            (20, 20, "counterfactual", "warning", "'would have' describes a world"),
        ],
    ),
    (
        "blame phrase",
        "It was human error.",
        [(20, 8, "blame", "warning", "'human error' is where an inquiry starts")],
    ),
    (
        "longest blame phrase wins",
        "Nobody knew. The operator is to blame.",
        [(20, 30, "blame", "warning", "'to blame' points at people")],
    ),
    ("negated blame", "This review is not about blame, and nobody was careless.", []),
    (
        "careless",
        "The change was careless.",
        [(20, 16, "blame", "warning", "'careless'")],
    ),
    (
        "caused by a named person",
        "The outage was caused by Alice Smith.",
        [(20, 16, "blame", "warning", "'caused by Alice Smith' names Alice Smith as the cause")],
    ),
    (
        "a person's mistake",
        "It was Bob's mistake.",
        [(20, 8, "blame", "warning", "names Bob as the cause")],
    ),
    (
        "a person broke it, after a sentence opener",
        "Then Carol broke checkout.",
        [(20, 6, "blame", "warning", "'Carol broke' names Carol")],
    ),
    (
        "a handle",
        "Triggered by @dave during the freeze.",
        [(20, 1, "blame", "warning", "names @dave as the cause")],
    ),
    ("a system, not a person", "The outage was caused by Redis evictions.", []),
    (
        "the root cause was a person",
        "The root cause was Alice.",
        [(20, 1, "blame", "warning", "'The root cause was Alice' names Alice as the cause")],
    ),
    (
        "the root cause was a person's change",
        "We agreed the root cause was Alice's change.",
        [(20, 11, "blame", "warning", "names Alice as the cause")],
    ),
    ("the root cause was a system", "The root cause was Redis.", []),
    ("the root cause was a capitalised phrase", "The root cause was Config drift here.", []),
    (
        "operator mistake by a person",
        "It was an operator mistake by Bob.",
        [(20, 11, "blame", "warning", "'operator mistake by Bob' names Bob")],
    ),
    (
        "human error by a person is one finding",
        "It was human error by Carol Jones.",
        [(20, 8, "blame", "warning", "names Carol Jones as the cause")],
    ),
    (
        "a mistake made by a handle",
        "A mistake made by @erin.",
        [(20, 3, "blame", "warning", "names @erin as the cause")],
    ),
    ("negated: not a person's mistake", "This was not Dave's mistake.", []),
    ("negated: no operator mistake by", "There was no operator mistake by Erin.", []),
    ("a mistake by a system", "An error by Kubernetes scheduling.", []),
    (
        "hindsight is the answer in where we got lucky",
        "## Where we got lucky\n\nIt would have been worse at peak.\n\n"
        "## Lessons\n\nWe could have paged.",
        [(26, 4, "counterfactual", "warning", "'could have'")],
    ),
    (
        "where we got lucky: any level, any case, setext, subsections included",
        "WHERE WE GOT LUCKY (TWICE)\n---\n\nIf only one replica had failed.\n\n"
        "### Detail\n\nIt could have cascaded.\n\n# Next\n\nWe should have paged.",
        [(31, 4, "counterfactual", "warning", "'should have'")],
    ),
    (
        "where we got lucky still reports blame",
        "### Where we got lucky\n\nIt would have been human error.",
        [(22, 20, "blame", "warning", "'human error'")],
    ),
    (
        "a heading inside a code block does not open the section",
        "```\n## Where we got lucky\n```\nwould have",
        [(23, 1, "counterfactual", "warning", "'would have'")],
    ),
    ("a common noun opening a sentence", "Deploy broke checkout. The deploy was large.", []),
    ("a pronoun", "It broke at 14:05. Nothing broke after that.", []),
    ("lowercase cause", "The outage was caused by a config push.", []),
    ("inline code", "Run `git blame` and ``should have`` here.", []),
    (
        "fenced code is skipped, prose after it is not",
        "```text\nwe should have\n```\nshould have",
        [(23, 1, "counterfactual", "warning", "'should have'")],
    ),
    ("tilde fence", "~~~\nhuman error\n~~~", []),
    ("unclosed fence runs to the end", "```\nhuman error\nshould have", []),
    (
        "fence closed only by the same marker",
        "````\n```\nhuman error\n````\nhuman error",
        [(24, 1, "blame", "warning", "'human error'")],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in PHRASE_CASES], ids=[c[0] for c in PHRASE_CASES]
)
def test_phrase_rules(text: str, expected: list[Expected]) -> None:
    check(lint_text(text, 20, DEFAULT_CONFIG), expected)


def test_configured_phrases_replace_the_defaults() -> None:
    config = LintConfig(counterfactual_phrases=("in hindsight",), blame_phrases=())
    text = "In hindsight, we should have. Human error."
    check(lint_text(text, 1, config), [(1, 1, "counterfactual", "warning", "'in hindsight'")])


def test_first_column_offsets_only_the_first_line() -> None:
    findings = lint_text("we failed to\nfailed to", 3, DEFAULT_CONFIG, first_column=8)
    assert located(findings) == [
        (3, 11, "counterfactual", "warning"),
        (4, 1, "counterfactual", "warning"),
    ]


# --- secrets ------------------------------------------------------------------------------------

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def noise(n: int, alphabet: str = ALNUM, seed: int = 7) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


def key_material() -> str:
    return noise(64, ALNUM + "+/", 1) + "\n" + noise(64, ALNUM + "+/", 2)


def key_block(material: str) -> str:
    # Assembled so that no header line appears in this file.
    return "-----BEGIN " + "RSA PRIVATE" + " KEY-----\n" + material + "\n-----END RSA KEY-----"


# name, builds (text, secret that must not leak), kind fragment, line offset, column
SECRET_CASES: list[tuple[str, Callable[[], tuple[str, str]], str, int, int]] = [
    (
        "aws access key id",
        lambda: _plain("id: {}", "AK" + "IA" + noise(16, UPPER_DIGITS)),
        "AWS access key id",
        0,
        5,
    ),
    (
        "aws session key id",
        lambda: _plain("{}", "AS" + "IA" + noise(16, UPPER_DIGITS)),
        "AWS access key id",
        0,
        1,
    ),
    (
        "aws secret access key",
        lambda: _plain("aws_secret_access_key = {}", noise(40, ALNUM + "/+")),
        "AWS secret access key",
        0,
        25,
    ),
    (
        "private key block",
        lambda: (key_block(m := key_material()), m),
        "private key block found (-----BEGIN " + "RSA PRIVATE" + " KEY-----)",
        0,
        1,
    ),
    (
        "private key in JSON",
        lambda: (
            '  "private_key": "' + key_block(m := noise(80, ALNUM, 3)).replace("\n", "\\n") + '"',
            m,
        ),
        "private key block",
        0,
        19,
    ),
    ("github classic token", lambda: _plain("x {}", "gh" + "p_" + noise(36)), "GitHub token", 0, 3),
    ("github app token", lambda: _plain("{}", "gh" + "s_" + noise(36)), "GitHub token", 0, 1),
    (
        "github fine-grained token",
        lambda: _plain("{}", "github" + "_pat_" + noise(60, ALNUM + "_")),
        "GitHub token",
        0,
        1,
    ),
    (
        "slack token",
        lambda: _plain(
            "- 14:02 {} pasted",
            "xo"
            + "xb-"
            + noise(11, string.digits)
            + "-"
            + noise(12, string.digits)
            + "-"
            + noise(24),
        ),
        "Slack token",
        0,
        9,
    ),
    (
        "slack webhook",
        lambda: _plain(
            "hook: {}",
            "https://hooks."
            + "slack.com/services/T"
            + noise(8, UPPER_DIGITS)
            + "/B"
            + noise(8, UPPER_DIGITS, 2)
            + "/"
            + noise(24, ALNUM, 3),
        ),
        "Slack webhook URL",
        0,
        7,
    ),
    (
        "jwt",
        lambda: _plain(
            "Authorization: Bearer {}",
            "ey"
            + "J"
            + noise(20, B64URL)
            + ".ey"
            + "J"
            + noise(30, B64URL, 2)
            + "."
            + noise(43, B64URL, 3),
        ),
        "JWT",
        0,
        23,
    ),
    (
        "password in a url",
        lambda: _plain("dsn postgres://admin:{}@db.internal:5432/orders", noise(16)),
        "password in a URL",
        0,
        22,
    ),
    (
        "google api key",
        lambda: _plain("{}", "AI" + "za" + noise(35, B64URL)),
        "Google API key",
        0,
        1,
    ),
    ("stripe live key", lambda: _plain("{}", "sk" + "_live_" + noise(24)), "Stripe live key", 0, 1),
    (
        "high-entropy password",
        lambda: _plain("DB_PASSWORD={}", noise(32, ALNUM + "!#%")),
        "high-entropy value assigned to 'DB_PASSWORD'",
        0,
        13,
    ),
    (
        "high-entropy client secret in yaml",
        lambda: _plain('client_secret: "{}"', noise(28)),
        "assigned to 'client_secret'",
        0,
        17,
    ),
    (
        "high-entropy token with =>",
        lambda: _plain("'auth_token' => '{}'", noise(24)),
        "assigned to 'auth_token'",
        0,
        18,
    ),
    (
        "in a fenced code block, on a later line",
        lambda: _plain("Run:\n```\nexport API_KEY={}\n```", noise(30)),
        "assigned to 'API_KEY'",
        2,
        16,
    ),
]


def _plain(template: str, secret: str) -> tuple[str, str]:
    return template.replace("{}", secret), secret


@pytest.mark.parametrize(
    ("build", "kind", "line_offset", "column"),
    [c[1:] for c in SECRET_CASES],
    ids=[c[0] for c in SECRET_CASES],
)
def test_planted_credentials_are_errors_that_do_not_leak(
    build: Callable[[], tuple[str, str]], kind: str, line_offset: int, column: int
) -> None:
    text, secret = build()
    findings = lint_text(text, 40, DEFAULT_CONFIG)
    assert located(findings) == [(40 + line_offset, column, "secret", "error")]
    message = findings[0].message
    assert kind in message
    assert "rotate" in message
    # No run of 7 characters of the secret survives, so neither does the secret.
    assert not any(secret[i : i + 7] in message for i in range(len(secret) - 6))
    if "private key" not in kind:
        assert mask(secret) in message


def test_a_token_inside_a_url_is_reported_once_as_the_specific_kind() -> None:
    token = "gh" + "p_" + noise(36)
    findings = secret_findings_in("https://x-access-token:" + token + "@github.com/org/repo.git")
    assert located(findings) == [(1, 24, "secret", "error")]
    assert "GitHub token" in findings[0].message


def test_separate_secrets_on_one_line_are_each_reported() -> None:
    first, second = "sk" + "_live_" + noise(24), "AK" + "IA" + noise(16, UPPER_DIGITS)
    findings = secret_findings_in(f"{first} {second}", 5)
    assert located(findings) == [(5, 1, "secret", "error"), (5, 34, "secret", "error")]


def test_custom_secret_pattern() -> None:
    config = LintConfig(secret_patterns=(r"acme-([0-9a-f]{24})",))
    value = noise(24, "0123456789abcdef")
    findings = lint_text("key acme-" + value, 1, config)
    assert located(findings) == [(1, 10, "secret", "error")]
    assert "secret pattern" in findings[0].message
    assert value not in findings[0].message


NOT_SECRETS: list[tuple[str, Callable[[], str]]] = [
    ("aws placeholder", lambda: "AK" + "IA" + "X" * 16),
    ("aws documented example", lambda: "AK" + "IA" + "IOSFODNN7" + "EXAMPLE"),
    ("redacted", lambda: "password: <redacted>"),
    ("stars", lambda: "password = ****************************"),
    ("changeme", lambda: "api_key = changeme-" + noise(20)),
    ("url with a placeholder password", lambda: "postgres://user:" + "password" + "@db/x"),
    ("url with an env reference", lambda: "postgres://user:${DB_PASSWORD}@db/x"),
    ("env reference", lambda: "token: ${GITHUB_TOKEN}"),
    ("url with a format field", lambda: "postgres://admin:{password}@db/x"),
    ("short password", lambda: "password: hunter2"),
    ("low entropy", lambda: "password: " + "ab" * 12),
    ("identifier", lambda: "auth: service-account-for-checkout-team"),
    ("url value", lambda: "token_url: https://auth.internal/oauth2/token-exchange"),
    ("key header quoted in prose", lambda: "began with -----BEGIN " + "RSA PRIVATE" + " KEY-----."),
    ("key header and an ellipsis", lambda: key_block("...")),
    ("short github-like prefix", lambda: "the gh" + "p_ prefix marks classic tokens"),
    ("blameless prose", lambda: "The token cache was flushed; the authors rotated nothing."),
]


@pytest.mark.parametrize("build", [c[1] for c in NOT_SECRETS], ids=[c[0] for c in NOT_SECRETS])
def test_placeholders_and_prose_are_not_secrets(build: Callable[[], str]) -> None:
    assert secret_findings_in(build()) == []


def test_secret_rule_can_be_disabled_but_secret_findings_in_always_scans() -> None:
    text = "We should have rotated " + "AK" + "IA" + noise(16, UPPER_DIGITS)
    only_phrases = LintConfig(enabled=frozenset({"counterfactual"}))
    assert [f.rule for f in lint_text(text, 1, only_phrases)] == ["counterfactual"]
    assert [f.rule for f in secret_findings_in(text, 1, only_phrases)] == ["secret"]


def test_code_blocks_skip_phrase_lints_but_not_secret_lints() -> None:
    key = "AK" + "IA" + noise(16, UPPER_DIGITS)
    body = f"```\nshould have used {key}\n```\nInline `human error {key}` too."
    findings = lint_text(body, 10, DEFAULT_CONFIG)
    assert located(findings) == [(11, 18, "secret", "error"), (13, 21, "secret", "error")]


MASK_CASES = [
    ("", ""),
    ("abc", "***"),
    ("a" * 15, "*" * 15),
    ("abcdefghijklmnop", "abcd**********op"),
    ("0123456789abcdefghij", "0123**************ij"),
]


@pytest.mark.parametrize(("secret", "masked"), MASK_CASES)
def test_mask(secret: str, masked: str) -> None:
    assert mask(secret) == masked


@pytest.mark.parametrize(
    ("value", "bits"), [("", 0.0), ("aaaa", 0.0), ("abab", 1.0), ("abcd", 2.0)]
)
def test_shannon_entropy(value: str, bits: float) -> None:
    assert shannon_entropy(value) == bits


# --- lint_record: scope, ignores, structural rules ----------------------------------------------


def test_record_body_positions_use_body_line() -> None:
    record = postmortem(body=FULL_BODY + "\nWe should have paged.\n")
    findings = lint_record(record, TAXONOMY, TODAY)
    assert FULL_BODY.count("\n") == 19  # so the added sentence is the body's 21st line
    assert located(findings) == [(40, 4, "counterfactual", "warning")]


def test_taxonomy_names_are_systems_not_people() -> None:
    text = "The outage was caused by Checkout retries."
    assert [f.rule for f in lint_text(text, 1, DEFAULT_CONFIG)] == ["blame"]
    assert lint_record(postmortem(body=FULL_BODY + text), TAXONOMY, TODAY) == []


def test_near_misses_get_only_phrase_and_secret_rules() -> None:
    key = "AK" + "IA" + noise(16, UPPER_DIGITS)
    findings = lint_record(nearmiss(f"Caught by luck; if only.\n{key}\n"), TAXONOMY, TODAY)
    assert located(findings) == [(9, 17, "counterfactual", "warning"), (10, 1, "secret", "error")]


IGNORE_CASES: list[tuple[str, dict[str, str], list[Expected]]] = [
    ("nothing ignored", {}, [(20, 1, "counterfactual", "warning", "'should have'")]),
    ("ignored with a reason", {"counterfactual": "quotes the on-call chat verbatim"}, []),
    (
        "ignored without a reason",
        {"counterfactual": "  "},
        [
            (17, 1, "lint-ignore", "warning", "say why this lint is silenced"),
            (20, 1, "counterfactual", "warning", "'should have'"),
        ],
    ),
    (
        "unknown rule",
        {"counterfactaul": "typo"},
        [
            (17, 1, "lint-ignore", "warning", "did you mean 'counterfactual'?"),
            (20, 1, "counterfactual", "warning", "'should have'"),
        ],
    ),
    (
        "the ignore rule itself",
        {"lint-ignore": "x", "counterfactual": "quoted"},
        [(17, 1, "lint-ignore", "warning", "unknown lint rule 'lint-ignore'")],
    ),
]


@pytest.mark.parametrize(
    ("ignored", "expected"), [c[1:] for c in IGNORE_CASES], ids=[c[0] for c in IGNORE_CASES]
)
def test_ignores(ignored: dict[str, str], expected: list[Expected]) -> None:
    record = postmortem(body="Should have paged.\n" + FULL_BODY)
    check(lint_record(record, TAXONOMY, TODAY, ignored=ignored), expected)


def test_a_secret_ignored_with_a_reason_is_dropped() -> None:
    value = "sk" + "_live_" + noise(24)
    record = postmortem(body=FULL_BODY + value)
    assert [f.rule for f in lint_record(record, TAXONOMY, TODAY)] == ["secret"]
    silenced = lint_record(record, TAXONOMY, TODAY, ignored={"secret": "revoked test fixture"})
    assert silenced == []


SECTION_CASES: list[tuple[str, int, str, list[Expected]]] = [
    ("all present", 1, FULL_BODY, []),
    (
        "only a summary",
        2,
        "## Summary\n\nShort.\n",
        [
            (
                20,
                1,
                "missing-section",
                "warning",
                "SEV-2 owes a full write-up; missing section(s) 'Impact', 'Timeline', "
                "'Contributing factors', 'Action items' (add each as a heading, e.g. '## Impact')",
            )
        ],
    ),
    (
        "any heading level, case, punctuation and trailing words",
        1,
        "Summary\n=======\n# impact:\n### Timeline (UTC)\n## CONTRIBUTING FACTORS.\n"
        "#### Action items ####\n",
        [],
    ),
    (
        "a heading in a code block does not count",
        1,
        FULL_BODY.replace("## Impact", "```\n## Impact\n```"),
        [(20, 1, "missing-section", "warning", "missing section(s) 'Impact' ")],
    ),
    (
        "a longer word is another heading",
        1,
        FULL_BODY.replace("## Impact", "## Impacted services"),
        [(20, 1, "missing-section", "warning", "'Impact'")],
    ),
    (
        "lightweight",
        3,
        "Two lines.\n",
        [(20, 1, "missing-section", "warning", "SEV-3 owes a lightweight write-up")],
    ),
    ("note owes nothing", 4, "", []),
    ("level not in the taxonomy", 9, "", []),
]


@pytest.mark.parametrize(
    ("sev", "body", "expected"), [c[1:] for c in SECTION_CASES], ids=[c[0] for c in SECTION_CASES]
)
def test_missing_sections(sev: int, body: str, expected: list[Expected]) -> None:
    check(lint_record(postmortem(sev=sev, body=body), TAXONOMY, TODAY), expected)


def test_hashtags_and_empty_lines_are_not_headings() -> None:
    body = "#Summary\n\n----\n## Impact ##\n"
    assert missing_sections(body, ("Summary", "Impact")) == ["Summary"]


def test_required_sections_are_configurable_and_frozen() -> None:
    owed = {"full": ("Summary", "Lessons"), "lightweight": (), "note": ()}
    config = LintConfig(required_sections=owed)
    owed["full"] = ()
    findings = lint_record(postmortem(), TAXONOMY, TODAY, config)
    check(findings, [(20, 1, "missing-section", "warning", "'Lessons'")])
    assert missing_sections(FULL_BODY, ("Summary", "Lessons")) == ["Lessons"]


# 2026-02-20 is a Friday; SEV-1 is due 5 business days later: Friday 2026-02-27.
OVERDUE_CASES: list[tuple[str, str, dt.date, list[Expected]]] = [
    ("draft on its due date", "draft", dt.date(2026, 2, 27), []),
    (
        "draft the day after",
        "draft",
        dt.date(2026, 2, 28),
        [
            (
                3,
                1,
                "overdue-draft",
                "notice",
                "status is 'draft' but this SEV-1 write-up was due "
                "2026-02-27 (5 business days after 2026-02-20)",
            )
        ],
    ),
    (
        "review past due",
        "review",
        dt.date(2026, 3, 9),
        [(3, 1, "overdue-draft", "notice", "due 2026-02-27")],
    ),
    ("final is never overdue", "final", dt.date(2027, 1, 1), []),
]


@pytest.mark.parametrize(
    ("status", "today", "expected"),
    [c[1:] for c in OVERDUE_CASES],
    ids=[c[0] for c in OVERDUE_CASES],
)
def test_overdue_drafts(status: str, today: dt.date, expected: list[Expected]) -> None:
    record = postmortem(status=status, date=dt.date(2026, 2, 20))
    check(lint_record(record, TAXONOMY, today), expected)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (dt.date(2026, 2, 20), 0, dt.date(2026, 2, 20)),
        (dt.date(2026, 2, 20), 1, dt.date(2026, 2, 23)),
        (dt.date(2026, 2, 20), 5, dt.date(2026, 2, 27)),
        (dt.date(2026, 2, 21), 1, dt.date(2026, 2, 23)),  # from a Saturday
        (dt.date(2026, 2, 16), 10, dt.date(2026, 3, 2)),
    ],
)
def test_business_days_after(start: dt.date, days: int, due: dt.date) -> None:
    assert business_days_after(start, days) == due


ACTION_ITEM_CASES: list[tuple[str, dict[str, object], list[Expected]]] = [
    ("balanced", {"action_items": items("prevent", "detect")}, []),
    ("one prevent item", {"action_items": items("prevent")}, []),
    (
        "prevent only",
        {"action_items": items("prevent", "prevent", "prevent")},
        [(14, 1, "prevent-only", "warning", "all 3 action items are 'prevent'")],
    ),
    ("ten items", {"action_items": items(*["detect"] * 10)}, []),
    (
        "eleven items",
        {"action_items": items(*["detect"] * 11)},
        [(14, 1, "too-many-action-items", "warning", "11 action items (more than 10)")],
    ),
    (
        "short form counts too",
        {"action_items_open": 8, "action_items_done": 5, "lines": {"action_items_open": 15}},
        [(15, 1, "too-many-action-items", "warning", "13 action items")],
    ),
    (
        "both",
        {"action_items": items(*["prevent"] * 12)},
        [
            (14, 1, "prevent-only", "warning", "all 12"),
            (14, 1, "too-many-action-items", "warning", "12 action items"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [c[1:] for c in ACTION_ITEM_CASES],
    ids=[c[0] for c in ACTION_ITEM_CASES],
)
def test_action_item_rules(changes: dict[str, object], expected: list[Expected]) -> None:
    check(lint_record(postmortem(**changes), TAXONOMY, TODAY), expected)


def test_max_action_items_is_configurable() -> None:
    config = LintConfig(max_action_items=1)
    findings = lint_record(
        postmortem(action_items=items("detect", "recover")), TAXONOMY, TODAY, config
    )
    assert [f.rule for f in findings] == ["too-many-action-items"]


PLACEHOLDER_CASES = [
    ("final", True),
    ("review", False),
    ("draft", False),
]


@pytest.mark.parametrize(("status", "reported"), PLACEHOLDER_CASES)
def test_template_text_left_in_a_final_record(status: str, reported: bool) -> None:
    from pmarchive.lints.template import PLACEHOLDER_LINES, skeleton_body

    body = skeleton_body("full")
    record = postmortem(body=body, status=status, sev=3)
    found = [f for f in lint_record(record, TAXONOMY, TODAY) if f.rule == "placeholder"]
    if not reported:
        assert found == []
        return
    # every prompt line the template writes is found, on its own line of the file
    assert len(found) == len(PLACEHOLDER_LINES)
    lines = body.split("\n")
    for finding in found:
        text = lines[finding.line - 20]
        assert finding.severity == "warning" and f"'{text.strip()}'" in finding.message
        assert finding.column == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("## Summary\n\nThe cache restarted cold.\n", []),
        (
            "## Summary\n\nThe cache restarted cold.\n\n## Lessons\n\n"
            "  what this teaches beyond THIS incident. And more.\n",
            [(26, 3, "placeholder", "warning", "template text left in a final record")],
        ),
        ("## Timeline\n\n- 14:05 UTC — first signal\n", []),
        ("## Timeline\n\n```\n- HH:MM UTC — first signal\n```\n", []),
    ],
    ids=[
        "written",
        "prompt kept with text after it",
        "timeline filled in",
        "prompt quoted in code",
    ],
)
def test_placeholder_rule(body: str, expected: list[Expected]) -> None:
    record = postmortem(body=body, sev=4)
    findings = [f for f in lint_record(record, TAXONOMY, TODAY) if f.rule == "placeholder"]
    check(findings, expected)


def test_disabled_rules_are_never_reported() -> None:
    record = postmortem(
        body="We should have.\n", status="draft", action_items=items("prevent", "prevent")
    )
    everything = {f.rule for f in lint_record(record, TAXONOMY, dt.date(2027, 1, 1))}
    assert everything == {"counterfactual", "missing-section", "overdue-draft", "prevent-only"}
    config = LintConfig(enabled=frozenset({"overdue-draft"}))
    only = lint_record(record, TAXONOMY, dt.date(2027, 1, 1), config, {"blame": ""})
    assert [f.rule for f in only] == ["overdue-draft"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"enabled": frozenset({"secrets"})},
            "unknown lint rule(s) in enabled: 'secrets' (did you mean 'secret'?)",
        ),
        ({"required_sections": {"ful": ()}}, "unknown analysis level(s) in required_sections: ful"),
        ({"secret_patterns": ("(unclosed",)}, "secret pattern '(unclosed' is not a valid regex"),
        ({"max_action_items": -1}, "max_action_items must be 0 or more"),
    ],
)
def test_config_mistakes_are_explained(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        LintConfig(**changes)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_default_config_enables_every_rule() -> None:
    assert DEFAULT_CONFIG.enabled == frozenset(RULES)
    assert DEFAULT_CONFIG.max_action_items == 10


LINT_MODULES = [
    importlib.import_module(f"pmarchive.lints.{name}")
    for name in (
        "_markdown",
        "config",
        "findings",
        "ignores",
        "lint",
        "phrases",
        "secrets",
        "structure",
    )
]


@pytest.mark.parametrize("name", rules.__all__)
def test_rules_re_exports_each_name_from_where_it_lives(name: str) -> None:
    """Importers of ``pmarchive.lints.rules`` keep working, and nothing is defined there."""
    exported = getattr(rules, name)
    if inspect.isclass(exported) or inspect.isfunction(exported):
        home = exported.__module__
        assert home.startswith(("pmarchive.lints.", "pmarchive.core.")), home
        assert home != rules.__name__
        assert getattr(importlib.import_module(home), exported.__name__) is exported
    else:  # a constant: the family module holds the same object
        assert [m for m in LINT_MODULES if getattr(m, name, None) is exported], name


# What the rest of the repository imported from the single rules module before the split.
IMPORTED_FROM_RULES = [
    "DEFAULT_CONFIG",
    "RULES",
    "TIME_DEPENDENT_RULES",
    "LintConfig",
    "LintFinding",
    "business_days_after",
    "lint_record",
    "lint_text",
    "mask",
    "missing_sections",
    "secret_findings_in",
    "shannon_entropy",
]


@pytest.mark.parametrize("name", IMPORTED_FROM_RULES)
def test_rules_still_offers_what_importers_use(name: str) -> None:
    assert name in rules.__all__
    assert getattr(rules, name) is not None
