"""The ``pmarchive`` command line: a thin layer that turns library results into exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .archive import load_archive
from .project import archive_config, plugin_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmarchive")
def main() -> None:
    """Validate, build and search a post-mortem archive."""


@main.command()
@click.argument(
    "root",
    required=False,
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="mkdocs.yml holding the plugin's options (default: ROOT/mkdocs.yml).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default=None,
    help="Output format; github prints workflow annotations (default when GITHUB_ACTIONS=true).",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def check(root: Path, config_file: Path | None, output_format: str | None, strict: bool) -> None:
    """Validate every post-mortem, near-miss and taxonomy file under ROOT.

    Prints one line per problem (path:line: severity: field: message) and exits 0 when clean,
    1 when any error was found (or a warning, with --strict), 2 on a usage error.
    """
    root = root.resolve()
    options = plugin_options(config_file or root / "mkdocs.yml")
    try:
        config = archive_config(root, options)
    except (TypeError, ValueError) as exc:
        raise click.UsageError(f"invalid postmortems plugin options: {exc}") from None
    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    archive = load_archive(config)
    for diagnostic in archive.diagnostics:
        line = diagnostic.format_github() if output_format == "github" else diagnostic.format_text()
        click.echo(line)
    errors, warnings = len(archive.errors), len(archive.warnings)
    click.echo(
        f"{len(archive.postmortems)} post-mortems, {len(archive.nearmisses)} near-misses; "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
        err=True,
    )
    if errors or (strict and warnings):
        sys.exit(1)
