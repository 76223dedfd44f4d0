"""Read the archive's settings from mkdocs.yml without importing MkDocs (for the CLI)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pmarchive.core.clock import run_today
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.lints.rules import RULES, LintConfig

PLUGIN_NAME = "postmortems"


class _LenientLoader(yaml.SafeLoader):
    """mkdocs.yml may hold !ENV and !!python/name tags; we only need plain plugin options."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_LenientLoader.add_multi_constructor("!", _ignore_tag)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def _mkdocs_settings(config_file: Path) -> dict[str, Any]:
    if not config_file.is_file():
        return {}
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_LenientLoader)
    return data if isinstance(data, dict) else {}


def docs_dir(config_file: Path) -> Path:
    """The site's ``docs_dir`` from ``config_file`` (MkDocs' default ``docs`` beside it)."""
    configured = _mkdocs_settings(config_file).get("docs_dir")
    name = configured if isinstance(configured, str) and configured else "docs"
    return config_file.parent / name


def plugin_options(config_file: Path) -> dict[str, Any]:
    """The options given to the postmortems plugin in ``config_file`` ({} if absent)."""
    data = _mkdocs_settings(config_file)
    plugins = data.get("plugins", [])
    if isinstance(plugins, dict):
        plugins = [{name: options} for name, options in plugins.items()]
    for entry in plugins or []:
        if isinstance(entry, dict) and PLUGIN_NAME in entry:
            options = entry[PLUGIN_NAME]
            return dict(options) if isinstance(options, dict) else {}
    return {}


def archive_config(root: Path, options: Mapping[str, Any]) -> ArchiveConfig:
    """The core's config from plugin options (the same keys in mkdocs.yml and the CLI).

    The plain settings are ArchiveConfig's own fields, so no option name is repeated here;
    ``settings.read_settings`` checks the whole option set (types, unknown names) for the plugin
    and the CLI, and builds its ArchiveConfig the same way.
    """
    plain = {f.name for f in dataclasses.fields(ArchiveConfig)} - _BUILT
    kwargs: dict[str, Any] = {k: v for k, v in options.items() if k in plain and v is not None}
    return ArchiveConfig(
        root=root,
        extra_fields=tuple(options.get("extra_fields") or ()),
        today=run_today(options.get("today")),
        lints=lint_config(options.get("lints") or {}),
        **kwargs,
    )


_BUILT = frozenset({"root", "extra_fields", "today", "lints", "extra"})
"""ArchiveConfig fields built from their options rather than copied."""


def lint_config(options: Mapping[str, Any]) -> LintConfig:
    """``lints:`` in mkdocs.yml: ``disable: [rule, ...]`` plus any LintConfig option.

    Raises ValueError naming the closest valid option or rule.
    """
    from pmarchive.core.suggest import did_you_mean

    values = dict(options)
    disabled = set(values.pop("disable", []) or [])
    known = set(LintConfig.__dataclass_fields__)
    for key in values:
        if key not in known:
            raise ValueError(
                f"unknown lints option '{key}'{did_you_mean(key, [*known, 'disable'])}"
            )
    for key, value in list(values.items()):
        if isinstance(value, list):
            values[key] = tuple(value)
    enabled = frozenset(values.pop("enabled", RULES)) - disabled
    return LintConfig(enabled=enabled, **values)
