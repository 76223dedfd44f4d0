"""Build a tiny MkDocs site around an archive in tmp_path, as mkdocstrings' tests do."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config

from .conftest import write

MKDOCS_YML = """\
site_name: Tiny archive
theme:
  name: material
  font: false
plugins:
  - postmortems:
      today: "2026-11-24"
nav:
  - Home: index.md
"""


def build_site(root: Path, mkdocs_yml: str = MKDOCS_YML, strict: bool = True) -> Path:
    """Write mkdocs.yml and docs/index.md (if missing) into ``root`` and build; the site dir."""
    write(root, "mkdocs.yml", textwrap.dedent(mkdocs_yml))
    if not (root / "docs" / "index.md").exists():
        write(root, "docs/index.md", "# Tiny archive\n\nHello.\n")
    return Path(build_config(root / "mkdocs.yml", strict=strict).site_dir)


def build_config(config_file: Path, site_dir: Path | None = None, strict: bool = True) -> Any:
    """Build the site of ``config_file`` between the startup and shutdown events, as
    mkdocstrings' tests do; the loaded config (its plugins hold what the build made)."""
    extra = {"site_dir": str(site_dir)} if site_dir is not None else {}
    config = load_config(str(config_file), strict=strict, **extra)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return config


REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("mkdocs.yml", "postmortems", "nearmisses", "taxonomy", "docs", "overrides")


def copy_example(dest: Path) -> Path:
    """A copy of the bundled example archive in ``dest``: a build there writes its site and its
    search index into the copy, never into the checkout."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_PARTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


def load_at(root: Path) -> Any:
    """The archive at ``root`` as of the tests' day."""
    from pmarchive.ingest.archive import load_archive
    from pmarchive.ingest.config import ArchiveConfig

    from .conftest import TODAY

    return load_archive(ArchiveConfig(root=root, today=TODAY))


def page_overrides(root: Path, templates: dict[str, str]) -> Path:
    """Write page template overrides under ``root/overrides``; the folder."""
    from pmarchive.site.templating import PAGES

    for name, text in templates.items():
        write(root, f"overrides/{PAGES}/{name}.md", text)
    return root / "overrides"
