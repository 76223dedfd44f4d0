"""The plugin's options, declared once: the MkDocs plugin, the core and the CLI all read them here.

``PLUGIN_OPTIONS`` is the one table of option names, types, defaults and meanings. The plugin
builds its MkDocs config class from it; ``read_settings`` turns the options given in
``mkdocs.yml`` (by MkDocs for the plugin, by ``ingest.options.plugin_options`` for the CLI) into
typed ``Settings``, refusing an unknown option, a wrong type or an unknown sub-option with the
closest valid name. No MkDocs import here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pmarchive.analysis.figures import RiskWeights
from pmarchive.core.clock import ClockError, run_today
from pmarchive.core.suggest import did_you_mean
from pmarchive.ingest.audience import LEVELS
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.options import lint_config


@dataclass(frozen=True)
class PluginOption:
    """One option of the ``postmortems`` plugin."""

    name: str
    kind: type
    """Python type of the value: str, int, bool, list (of text) or dict (a sub-config)."""
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    optional: bool = False
    """None is allowed (and is the default)."""


_CORE = ArchiveConfig(root=Path("."), today=dt.date(2000, 1, 1))
"""Defaults of the core's settings, so the table repeats none of them."""

PLUGIN_OPTIONS: tuple[PluginOption, ...] = (
    PluginOption("enabled", bool, True, "Run the plugin; false builds the site without it."),
    PluginOption(
        "postmortems_dir", str, _CORE.postmortems_dir, "Folder of post-mortems, beside mkdocs.yml."
    ),
    PluginOption(
        "nearmisses_dir", str, _CORE.nearmisses_dir, "Folder of near-misses and weak signals."
    ),
    PluginOption("taxonomy_dir", str, _CORE.taxonomy_dir, "Folder of the taxonomy YAML files."),
    PluginOption(
        "postmortem_id_pattern",
        str,
        _CORE.postmortem_id_pattern,
        "Regular expression every post-mortem id matches in full (ASCII).",
    ),
    PluginOption(
        "nearmiss_id_pattern",
        str,
        _CORE.nearmiss_id_pattern,
        "Regular expression every near-miss id matches in full (ASCII).",
    ),
    PluginOption(
        "extra_fields", list, [], "Front-matter fields this organisation adds to the built-in ones."
    ),
    PluginOption(
        "max_frontmatter_bytes",
        int,
        _CORE.max_frontmatter_bytes,
        "Front-matter larger than this is refused before it is parsed.",
    ),
    PluginOption(
        "max_nesting",
        int,
        _CORE.max_nesting,
        "Front-matter nested deeper than this is refused before it is parsed.",
    ),
    PluginOption(
        "max_body_bytes",
        int,
        _CORE.max_body_bytes,
        "A record body larger than this (bytes) is refused with its size and the cap.",
    ),
    PluginOption(
        "today",
        str,
        None,
        "The run's day, YYYY-MM-DD (default: $PMARCHIVE_TODAY, else the machine's date).",
        optional=True,
    ),
    PluginOption(
        "audience",
        str,
        "internal",
        "Who the build is for; records above it appear nowhere. PMARCHIVE_AUDIENCE wins.",
        choices=tuple(LEVELS),
    ),
    PluginOption(
        "same_class_limit",
        int,
        20,
        "Records per class in an alert page's 'same class, different alert' lists.",
    ),
    PluginOption(
        "recent_marker",
        str,
        "<!-- pmarchive:recent -->",
        "Where a hand-written page gets the generated list of recent records.",
    ),
    PluginOption(
        "search_index_dir",
        str,
        ".pmarchive/search-index",
        "Whoosh index folder beside mkdocs.yml (one sub-folder per audience), out of the site.",
    ),
    PluginOption("similar_limit", int, 5, "How many similar records each record page lists."),
    PluginOption(
        "static_search",
        bool,
        True,
        "Write a Pagefind index of the audience's records into the site, for a static host.",
    ),
    PluginOption(
        "lints",
        dict,
        {},
        "Lint settings: disable: [rule, ...], fail_on_overdue, phrases, max_action_items, ...",
    ),
    PluginOption(
        "risk_weights",
        dict,
        {},
        "Register weights: w_usd, w_count, w_sev, w_recent, w_nearmiss, recent_days, sev_weight.",
    ),
    PluginOption(
        "trend_window_quarters",
        int,
        8,
        "Quarters the trend and review pages cover, up to today; older records stay on class, "
        "alert and record pages.",
    ),
)
"""Every option of the plugin, in the order the README documents them."""

OPTIONS_BY_NAME = MappingProxyType({option.name: option for option in PLUGIN_OPTIONS})


class SettingsError(ValueError):
    """An option that is unknown, of the wrong type, or has an unknown sub-option."""


@dataclass(frozen=True)
class Settings:
    """Everything the plugin's options decide, typed and checked."""

    archive: ArchiveConfig
    """What the core reads and how strictly (folders, patterns, caps, the day, lints)."""
    enabled: bool
    audience: str
    """As configured; ``ingest.audience.resolve_audience`` applies PMARCHIVE_AUDIENCE."""
    same_class_limit: int
    recent_marker: str
    search_index_dir: str
    similar_limit: int
    static_search: bool
    """Write the Pagefind index (search on a static host, where there is no API)."""
    risk_weights: RiskWeights
    trend_window_quarters: int = 8
    """Quarters the trend and review pages cover, up to the run's today."""

    @property
    def root(self) -> Path:
        return self.archive.root

    def index_dir(self, audience: str) -> Path:
        """The audience's own Whoosh index: a public build never reads the internal one."""
        return self.root / self.search_index_dir / audience


def _checked(option: PluginOption, value: Any) -> Any:
    if value is None:
        if option.optional:
            return None
        return option.default
    if option.kind is str and option.optional and not isinstance(value, str):
        value = str(value)  # an unquoted YAML date for `today`
    if option.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SettingsError(f"{option.name}: expected a whole number, got {value!r}")
    if option.kind is not int and not isinstance(value, option.kind):
        expected = {str: "text", bool: "true or false", list: "a list", dict: "a mapping"}
        raise SettingsError(f"{option.name}: expected {expected[option.kind]}, got {value!r}")
    if option.choices and value not in option.choices:
        raise SettingsError(
            f"{option.name}: '{value}' is not one of {', '.join(option.choices)}"
            f"{did_you_mean(str(value), option.choices)}"
        )
    return value


def risk_weights(options: Mapping[str, Any]) -> RiskWeights:
    """``risk_weights:`` in mkdocs.yml as typed weights; unknown names get a did-you-mean."""
    known = [f.name for f in dataclasses.fields(RiskWeights)]
    values = dict(options)
    for key in values:
        if key not in known:
            raise SettingsError(f"risk_weights: unknown weight '{key}'{did_you_mean(key, known)}")
    if "sev_weight" in values:
        weights = values["sev_weight"]
        if not isinstance(weights, Mapping) or not all(
            isinstance(k, int) and isinstance(v, int | float) and not isinstance(v, bool)
            for k, v in weights.items()
        ):
            raise SettingsError(
                "risk_weights: sev_weight: expected a mapping of SEV level to weight, "
                "e.g. {1: 100, 2: 30, 3: 5}"
            )
        values["sev_weight"] = MappingProxyType({int(k): float(v) for k, v in weights.items()})
    for key, value in values.items():
        if key != "sev_weight" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise SettingsError(f"risk_weights: {key}: expected a number, got {value!r}")
    if "recent_days" in values:
        values["recent_days"] = int(values["recent_days"])
    return RiskWeights(**values)


def _window(quarters: int) -> int:
    if quarters < 1:
        raise SettingsError(
            f"trend_window_quarters: expected a whole number of quarters of at least 1, "
            f"got {quarters}; the default is 8"
        )
    return quarters


def read_settings(root: Path, options: Mapping[str, Any]) -> Settings:
    """Typed settings from the plugin's options; SettingsError names the option and the fix."""
    unknown = [key for key in options if key not in OPTIONS_BY_NAME]
    if unknown:
        key = unknown[0]
        raise SettingsError(f"unknown option '{key}'{did_you_mean(key, OPTIONS_BY_NAME)}")
    values = {o.name: _checked(o, options.get(o.name, o.default)) for o in PLUGIN_OPTIONS}
    try:
        lints = lint_config(values["lints"])
        today = run_today(values["today"])
        archive = ArchiveConfig(
            root=root,
            postmortems_dir=values["postmortems_dir"],
            nearmisses_dir=values["nearmisses_dir"],
            taxonomy_dir=values["taxonomy_dir"],
            postmortem_id_pattern=values["postmortem_id_pattern"],
            nearmiss_id_pattern=values["nearmiss_id_pattern"],
            extra_fields=tuple(str(name) for name in values["extra_fields"]),
            max_frontmatter_bytes=values["max_frontmatter_bytes"],
            max_nesting=values["max_nesting"],
            max_body_bytes=values["max_body_bytes"],
            today=today,
            lints=lints,
        )
    except ClockError as exc:
        raise SettingsError(str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise SettingsError(str(exc)) from None
    return Settings(
        archive=archive,
        enabled=values["enabled"],
        audience=values["audience"],
        same_class_limit=values["same_class_limit"],
        recent_marker=values["recent_marker"],
        search_index_dir=values["search_index_dir"],
        similar_limit=values["similar_limit"],
        static_search=values["static_search"],
        risk_weights=risk_weights(values["risk_weights"]),
        trend_window_quarters=_window(values["trend_window_quarters"]),
    )
