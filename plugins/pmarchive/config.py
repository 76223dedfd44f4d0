"""Settings of the archive core, shared by the CLI and the MkDocs plugin (no MkDocs import)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .lints import DEFAULT_CONFIG, LintConfig


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
    max_nesting: int = 32
    today: dt.date | None = None
    """The date 'in the future' is measured from; today when unset (fixed in tests)."""
    default_visibility: str = "internal"
    lints: LintConfig = DEFAULT_CONFIG
    """Which lints run and how (the plugin's ``lints`` option)."""
    extra: dict[str, object] = field(default_factory=dict)

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
        return self.today or dt.date.today()
