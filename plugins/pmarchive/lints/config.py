"""The lint rules, their defaults and ``LintConfig``, the options that tune them.

Rules and what each one checks:

``counterfactual`` (warning)
    Hindsight phrasing ("should have", "failed to", ...) in the body, except in the "Where we
    got lucky" section (any heading level), whose question invites it.
``blame`` (warning)
    Blame phrasing ("human error", "careless", ...) and a capitalised person named as the cause
    ("caused by Alice", "Alice's mistake", "Alice broke", "caused by @alice", "the root cause
    was Alice", "operator mistake by Alice", "human error by Alice").
``placeholder`` (warning)
    Template prompt text (``lints/template.py``) left in a ``final`` post-mortem.
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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pmarchive.core.credentials import DEFAULT_PLACEHOLDERS, SecretRules
from pmarchive.core.suggest import closest
from pmarchive.model.taxonomy import ANALYSIS_LEVELS

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
    "placeholder",
    "lint-ignore",
)
"""Every rule id, in the order they are documented."""

IGNORABLE_RULES: tuple[str, ...] = tuple(rule for rule in RULES if rule != "lint-ignore")
"""Rules a document may silence; the rule that polices silencing cannot silence itself."""

IGNORE_FIELD = "lint_ignore"
"""Front-matter field the caller reads ``ignored`` from; used only to place findings about it."""


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
                + ", ".join(f"'{rule}'{did_you_mean_rule(rule, RULES)}" for rule in unknown)
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


def did_you_mean_rule(rule: str, rules: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" naming the closest of ``rules``, or "" when none is close."""
    best = closest(rule, rules)
    return f" (did you mean '{best}'?)" if best is not None else ""
