"""Settings of the archive core, shared by the CLI and the MkDocs plugin (no MkDocs import)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from pmarchive.core.clock import run_today
from pmarchive.lints.rules import DEFAULT_CONFIG, LintConfig


@dataclass(frozen=True)
class ArchiveConfig:
    """Where the archive lives and how strictly it is read."""

    root: Path
    """Project root; the folders below are relative to it."""
    postmortems_dir: str = "postmortems"
    nearmisses_dir: str = "nearmisses"
    taxonomy_dir: str = "taxonomy"
    postmortem_id_pattern: str = r"INC-\d{4}-\d{2}-\d{2}-\d{3}"
    """Regular expression a post-mortem id must match in full."""
    nearmiss_id_pattern: str = r"NM-\d{4}-\d{2}-\d{2}-\d{3}"
    extra_fields: tuple[str, ...] = ()
    """Front-matter fields beyond the built-in ones that this organisation allows."""
    max_frontmatter_bytes: int = 64 * 1024
    """Front-matter larger than this is refused before it is parsed."""
    max_nesting: int = 32
    """Front-matter nested deeper than this is refused before it is parsed."""
    max_body_bytes: int = 1024 * 1024
    """A record's Markdown body larger than this is refused before it is parsed: a write-up
    links to logs and dumps rather than pasting them, and every page stays small."""
    today: dt.date = field(default_factory=run_today)
    """The run's one day (see clock.py): read once when the config is made, never per record."""
    default_visibility: str = "internal"
    lints: LintConfig = DEFAULT_CONFIG
    """Which lints run and how (the plugin's ``lints`` option)."""
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("postmortem_id_pattern", "nearmiss_id_pattern"):
            pattern = getattr(self, name)
            try:
                re.compile(pattern, re.ASCII)
            except re.error as exc:
                raise ValueError(
                    f"{name} {pattern!r} is not a valid regular expression: {exc}"
                ) from None
        for name in ("max_frontmatter_bytes", "max_nesting", "max_body_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of 1 or more, got {value!r}")

    @property
    def postmortems_path(self) -> Path:
        return self.root / self.postmortems_dir

    @property
    def nearmisses_path(self) -> Path:
        return self.root / self.nearmisses_dir

    @property
    def taxonomy_path(self) -> Path:
        return self.root / self.taxonomy_dir

    def effective_today(self) -> dt.date:
        """The run's day; the same value for every record of the run."""
        return self.today
