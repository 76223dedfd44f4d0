"""The ``pmarchive`` command line: a thin layer that turns library results into exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from pmarchive import __version__
from pmarchive.core.diagnostics import Severity
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.audience import AudienceError, for_audience, resolve_audience
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.docpages import check_doc_pages
from pmarchive.ingest.options import archive_config, docs_dir, plugin_options
from pmarchive.model.records import AnyRecord
from pmarchive.search.index import IndexBusyError, IndexIntegrityError, build_index
from pmarchive.search.query import QueryError
from pmarchive.search.searcher import ArchiveIndex

DEFAULT_INDEX = ".pmarchive/search-index"


def _config(root: Path, config_file: Path | None) -> tuple[ArchiveConfig, dict[str, object]]:
    """The core's config from the plugin's options in mkdocs.yml (a usage error if invalid)."""
    options = plugin_options(config_file or root / "mkdocs.yml")
    try:
        return archive_config(root, options), options
    except (TypeError, ValueError) as exc:
        raise click.UsageError(f"invalid postmortems plugin options: {exc}") from None


def _load(root: Path, config_file: Path | None) -> tuple[Archive, dict[str, object]]:
    config, options = _config(root, config_file)
    return load_archive(config), options


def _visible(
    root: Path, config_file: Path | None, audience: str | None
) -> tuple[Archive, dict[str, object]]:
    """The validated archive as ``audience`` (or the configured audience) may see it."""
    archive, options = _load(root, config_file)
    if archive.errors:
        raise click.ClickException(
            f"the archive has {len(archive.errors)} error(s); run 'pmarchive check' first"
        )
    if audience is not None:
        chosen = audience  # an explicit --audience wins over PMARCHIVE_AUDIENCE
    else:
        try:
            chosen = resolve_audience(str(options.get("audience") or "internal"))
        except AudienceError as exc:
            raise click.UsageError(str(exc)) from None
    return for_audience(archive, chosen), options


def _fresh_index(
    root: Path, config_file: Path | None, index_dir: Path | None, audience: str | None = None
) -> ArchiveIndex:
    """Bring the index up to date with the archive (cheap when nothing changed) and open it.

    An index whose files fail their manifest check is rebuilt from the records (and said so);
    a build that cannot get the index's lock, or an index that still fails, is a one-line error.
    """
    archive, options = _visible(root, config_file, audience)
    base = index_dir or (
        root / str(options.get("search_index_dir") or DEFAULT_INDEX) / archive.audience
    )
    try:
        stats = build_index(archive.records, base)
        if stats.rebuilt:
            click.echo(stats.rebuilt, err=True)
        return ArchiveIndex(base, archive.taxonomy)
    except (IndexBusyError, IndexIntegrityError) as exc:
        raise click.ClickException(str(exc)) from None


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
    """Validate every post-mortem, near-miss and taxonomy file, and the docs pages, under ROOT.

    Prints one line per problem (path:line: severity: field: message) and exits 0 when clean,
    1 when any error was found (or a warning, with --strict), 2 on a usage error. Notices
    (overdue drafts, old names of renamed classes) are printed and never change the exit code.
    """
    config, _ = _config(root.resolve(), config_file)
    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    archive = load_archive(config)
    pages = check_doc_pages(
        docs_dir(config_file or config.root / "mkdocs.yml"), config.root, config
    )
    diagnostics = archive.diagnostics + pages
    for diagnostic in diagnostics:
        line = diagnostic.format_github() if output_format == "github" else diagnostic.format_text()
        click.echo(line)
    errors, warnings, notices = (
        sum(1 for d in diagnostics if d.severity is severity)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTICE)
    )
    click.echo(
        f"{len(archive.postmortems)} post-mortems, {len(archive.nearmisses)} near-misses; "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
        f"{notices} notice{'s' * (notices != 1)}",
        err=True,
    )
    if errors or (strict and warnings):
        sys.exit(1)


ROOT_OPTION = click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    help="Archive root holding mkdocs.yml (default: the current folder).",
)
AUDIENCE_OPTION = click.option(
    "--audience",
    type=click.Choice(["public", "internal", "restricted"]),
    default=None,
    help="Whose view of the archive (default: PMARCHIVE_AUDIENCE, else the plugin's audience).",
)
INDEX_OPTION = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Search index folder (default: the plugin's search_index_dir).",
)


class _QueryRefused(click.ClickException):
    """A query the index refuses: one line, and the exit status of a usage error."""

    exit_code = 2


@main.command()
@click.argument("query", nargs=-1, required=True)
@ROOT_OPTION
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the search API's JSON.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@AUDIENCE_OPTION
def search(
    query: tuple[str, ...],
    root: Path,
    index_dir: Path | None,
    audience: str | None,
    as_json: bool,
    limit: int,
) -> None:
    """Search the archive: free text plus filters such as class:x sev:1..2 after:2026-01-01."""
    import json
    import re

    archive_index = _fresh_index(root.resolve(), None, index_dir, audience)
    try:
        result = archive_index.search(" ".join(query), limit=limit)
    except QueryError as exc:
        raise _QueryRefused(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(f"{result.total} result{'s' * (result.total != 1)}")
    for hit in result.results:
        label = f"SEV-{hit.sev}" if hit.sev else hit.kind
        click.echo(f"{hit.date}  {hit.id}  {label:<11} {hit.title}")
        snippet = re.sub(r"<[^>]+>", "", hit.snippet).replace("&lt;", "<").replace("&gt;", ">")
        click.echo("    " + " ".join(snippet.split())[:160])


@main.command()
@ROOT_OPTION
@INDEX_OPTION
@click.option(
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Built site to serve (default: ROOT/site, built when missing).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--rebuild", is_flag=True, help="Build the site even when it exists.")
@AUDIENCE_OPTION
def serve(
    root: Path,
    index_dir: Path | None,
    audience: str | None,
    site_dir: Path | None,
    host: str,
    port: int,
    rebuild: bool,
) -> None:
    """Serve the built site and the search API (/api/search, /api/similar/<id>)."""
    from pmarchive.search.server import run

    root = root.resolve()
    site = (site_dir or root / "site").resolve()
    if audience:
        os.environ["PMARCHIVE_AUDIENCE"] = audience  # the site build and the index agree
    if rebuild or not (site / "index.html").is_file():
        _build_site(root, site)
    archive_index = _fresh_index(root, None, index_dir, audience)
    archive_index.close()  # the server opens its own, and reopens after each rebuild

    def rebuild_index() -> None:
        """Rebuild from the records on disk when the index fails its manifest check."""
        _fresh_index(root, None, index_dir, audience).close()

    click.echo(f"serving {site} and the search API on http://{host}:{port}/", err=True)
    run(site, archive_index.base, archive_index.taxonomy, host, port, rebuild_index)


def _build_site(root: Path, site: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    click.echo(f"building the site into {site}", err=True)
    try:
        config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as exc:
        raise click.ClickException(f"the site did not build: {exc}") from None


@main.group()
def new() -> None:
    """Write a new post-mortem or near-miss from a template (never overwrites a file)."""


def _taxonomy_and_folders(root: Path) -> tuple[Any, Path, Path, Any]:
    """The taxonomy, both record folders and the run's day (the archive's configured today)."""
    from pmarchive.ingest.taxonomy import load_taxonomy

    config, _ = _config(root, None)
    taxonomy, problems = load_taxonomy(config.taxonomy_path, root)
    if any(p.severity.value == "error" for p in problems):
        raise click.ClickException("the taxonomy has errors; run 'pmarchive check' first")
    return taxonomy, config.postmortems_path, config.nearmisses_path, config.today


def _refuse_future(day: Any, today: Any) -> None:
    """`check` refuses a record dated after the archive's today, so `new` never writes one."""
    if day is not None and day.date() > today:
        raise click.ClickException(
            f"--date {day.date().isoformat()} is after the archive's today ({today.isoformat()})"
        )


@new.command("postmortem")
@ROOT_OPTION
@click.option("--title", required=True, help="One-line title.")
@click.option("--sev", type=int, default=3, show_default=True, help="SEV level of the ladder.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Day it happened (default: the archive's today).",
)
@click.option(
    "--class", "classes", multiple=True, required=True, help="Cause class slug; repeat for several."
)
@click.option(
    "--detection",
    type=click.Choice(["alert", "human", "customer"]),
    default="alert",
    show_default=True,
)
@click.option("--team", "teams", multiple=True, help="Team slug; repeat for several.")
def new_postmortem_command(
    root: Path,
    title: str,
    sev: int,
    day: Any,
    classes: tuple[str, ...],
    detection: str,
    teams: tuple[str, ...],
) -> None:
    """Write postmortems/<next id>.md with every section its SEV owes."""
    from pmarchive.authoring.scaffold import ScaffoldError, new_postmortem

    taxonomy, folder, _, today = _taxonomy_and_folders(root.resolve())
    _refuse_future(day, today)
    try:
        path = new_postmortem(
            folder,
            taxonomy,
            title=title,
            sev=sev,
            day=day.date() if day else today,
            classes=list(classes),
            detection=detection,
            teams=list(teams),
        )
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(path)


@new.command("near-miss")
@ROOT_OPTION
@click.option("--what", help="What nearly happened?")
@click.option(
    "--caught-by",
    type=click.Choice(["luck", "defense", "person"]),
    help="What caught it: luck, a defense, or a person?",
)
@click.option("--how", "how_caught", default="", help="How it was caught, in a sentence.")
@click.option("--class", "cause_class", help="Which cause class?")
@click.option(
    "--kind",
    type=click.Choice(["near-miss", "weak-signal"]),
    default="near-miss",
    show_default=True,
)
@click.option("--reporter", default="", help="Who reports it (optional).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
def new_nearmiss_command(
    root: Path,
    what: str | None,
    caught_by: str | None,
    how_caught: str,
    cause_class: str | None,
    kind: str,
    reporter: str,
    day: Any,
) -> None:
    """Three questions, one valid near-miss record: asked when not given as options."""
    from pmarchive.authoring.scaffold import NearMissAnswers, ScaffoldError, new_nearmiss
    from pmarchive.core.suggest import closest

    taxonomy, _, folder, today = _taxonomy_and_folders(root.resolve())
    _refuse_future(day, today)
    if not what:
        what = click.prompt("1/3 What nearly happened?")
    if not caught_by:
        caught_by = click.prompt(
            "2/3 What caught it?", type=click.Choice(["luck", "defense", "person"])
        )
        if not how_caught:
            how_caught = click.prompt("    How, in a sentence?", default="", show_default=False)
    names = sorted(taxonomy.classes)
    if cause_class and taxonomy.resolve("classes", cause_class)[0] is None:
        best = closest(cause_class, [*names, *taxonomy.aliases("classes")])
        hint = f"; did you mean '{best}'?" if best else f" (known: {', '.join(names)})"
        raise click.ClickException(f"unknown cause class '{cause_class}'{hint}")
    while not cause_class or taxonomy.resolve("classes", cause_class)[0] is None:
        if cause_class:
            best = closest(cause_class, [*names, *taxonomy.aliases("classes")])
            hint = f" Did you mean '{best}'?" if best else ""
            click.echo(f"Unknown cause class '{cause_class}'.{hint}", err=True)
        click.echo("Cause classes: " + ", ".join(names), err=True)
        cause_class = click.prompt("3/3 Which cause class?")
    try:
        path = new_nearmiss(
            folder,
            taxonomy,
            NearMissAnswers(what, caught_by, cause_class, how_caught, kind),
            day.date() if day else today,
            reporter,
        )
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(path)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--today",
    default=None,
    help="Day the example records are dated (default: $PMARCHIVE_TODAY, else the machine's date).",
)
@click.option(
    "--plugin-source",
    default=None,
    help="Where the archive's CI installs pmarchive from: a git URL pinned to a tag or commit "
    "(git+https://git.example/you/pmarchive@v0.1.0) or a path (default: where this pmarchive "
    "was installed from, when pip recorded it).",
)
def init(directory: Path, today: str | None, plugin_source: str | None) -> None:
    """Create a new, valid, buildable archive in DIRECTORY (existing files are kept).

    Example: pmarchive init my-archive --plugin-source git+https://git.example/you/pmarchive@v0.1.0
    """
    from pmarchive.authoring.scaffold import init_archive
    from pmarchive.core.clock import ClockError, run_today

    try:
        day = run_today(today)
    except ClockError as exc:
        raise click.UsageError(str(exc)) from None
    directory.mkdir(parents=True, exist_ok=True)
    from pmarchive.authoring.scaffold import installed_source

    source = plugin_source or installed_source()
    for path in init_archive(directory, day, source):
        click.echo(path)
    if source is None:
        click.echo(
            "requirements.txt: set where pmarchive is installed from (see the comment in it)",
            err=True,
        )


@main.command()
@ROOT_OPTION
@AUDIENCE_OPTION
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "jsonl", "csv"]),
    default="json",
    show_default=True,
)
@click.option(
    "--kind",
    type=click.Choice(["all", "postmortems", "nearmisses"]),
    default="all",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to a file instead of standard output (an existing file is refused).",
)
def export(
    root: Path, audience: str | None, output_format: str, kind: str, output: Path | None
) -> None:
    """Export the validated dataset (only what the audience may see) as JSON, JSONL or CSV."""
    from pmarchive.site import export as exporter

    archive, _ = _visible(root.resolve(), None, audience)
    records: list[AnyRecord] = {
        "all": archive.records,
        "postmortems": list[AnyRecord](archive.postmortems),
        "nearmisses": list[AnyRecord](archive.nearmisses),
    }[kind]
    writer = {"json": exporter.to_json, "jsonl": exporter.to_jsonl, "csv": exporter.to_csv}
    text = writer[output_format](records)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with output.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise click.ClickException(f"{output} already exists; nothing was written") from None
    click.echo(f"{len(records)} records written to {output}", err=True)
