"""The ``pmarchive`` command line: a thin layer that turns library results into exit codes."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from pmarchive import __version__
from pmarchive.core.diagnostics import Severity
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.audience import LEVELS, AudienceError, for_audience, resolve_audience
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.docpages import check_doc_pages
from pmarchive.ingest.options import docs_dir, plugin_options
from pmarchive.ingest.runbooks import check_runbooks
from pmarchive.model.records import AnyRecord
from pmarchive.model.schema import CAUGHT_BY, DETECTION_SOURCES, NEARMISS_KINDS
from pmarchive.search.index import IndexBusyError, IndexIntegrityError, build_index
from pmarchive.search.query import QueryError, VocabularyError
from pmarchive.search.searcher import ArchiveIndex
from pmarchive.settings import Settings, SettingsError, read_settings


@dataclass(frozen=True)
class Project:
    """An archive as the CLI sees it: its root, its mkdocs.yml and the plugin's settings."""

    root: Path
    config_file: Path
    settings: Settings

    @property
    def config(self) -> ArchiveConfig:
        return self.settings.archive


def _project(root: Path, config_file: Path | None) -> Project:
    """The archive at ``root`` with the options of its mkdocs.yml (a usage error if invalid).

    The options are read by the same code as the plugin's (settings.py), so the CLI and a build
    agree on folders, patterns, the day and the audience.
    """
    root = root.resolve()
    file = (config_file or root / "mkdocs.yml").resolve()
    try:
        return Project(root, file, read_settings(root, plugin_options(file)))
    except SettingsError as exc:
        raise click.UsageError(
            f"invalid postmortems plugin options in {file.name}: {exc}"
        ) from None


def _audience(project: Project, audience: str | None) -> str:
    if audience is not None:
        return audience  # an explicit --audience wins over PMARCHIVE_AUDIENCE
    try:
        return resolve_audience(project.settings.audience)
    except AudienceError as exc:
        raise click.UsageError(str(exc)) from None


def _checked_archive(project: Project) -> Archive:
    archive = load_archive(project.config)
    if archive.errors:
        raise click.ClickException(
            f"the archive has {len(archive.errors)} error(s); run 'pmarchive check' first"
        )
    return archive


def _visible(project: Project, audience: str | None) -> Archive:
    """The validated archive as ``audience`` (or the configured audience) may see it."""
    return for_audience(_checked_archive(project), _audience(project, audience))


def _fresh_index(project: Project, index_dir: Path | None, audience: str | None) -> ArchiveIndex:
    """Bring the index up to date with the archive (cheap when nothing changed) and open it.

    An index whose files fail their manifest check is rebuilt from the records (and said so);
    a build that cannot get the index's lock, or an index that still fails, is a one-line error.
    """
    archive = _visible(project, audience)
    base = index_dir or project.settings.index_dir(archive.audience)
    try:
        stats = build_index(archive.records, base)
        if stats.rebuilt:
            click.echo(stats.rebuilt, err=True)
        return ArchiveIndex(base, archive.taxonomy)
    except (IndexBusyError, IndexIntegrityError) as exc:
        raise click.ClickException(str(exc)) from None


ROOT_OPTION = click.option(
    "-r",
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    help="Archive root: the folder holding mkdocs.yml (default: the current folder).",
)
CONFIG_OPTION = click.option(
    "-f",
    "--config-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="mkdocs.yml holding the plugin's options (default: ROOT/mkdocs.yml).",
)


def archive_options(command: Any) -> Any:
    """--root and --config-file: how every command that reads an archive is told where it is."""
    return ROOT_OPTION(CONFIG_OPTION(command))


AUDIENCE_OPTION = click.option(
    "--audience",
    type=click.Choice(list(LEVELS)),
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmarchive")
def main() -> None:
    """Validate, build, render and search a post-mortem archive.

    Every command that reads an archive takes it the same way: --root (the folder holding
    mkdocs.yml, default: the current folder) and -f/--config-file (default: ROOT/mkdocs.yml).
    """


@main.command()
@click.argument(
    "root_argument",
    metavar="[ROOT]",
    required=False,
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@archive_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default=None,
    help="Output format; github prints workflow annotations (default when GITHUB_ACTIONS=true).",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def check(
    root_argument: Path | None,
    root: Path,
    config_file: Path | None,
    output_format: str | None,
    strict: bool,
) -> None:
    """Validate every post-mortem, near-miss and taxonomy file, the docs pages and runbooks.

    Prints one line per problem (path:line: severity: field: message) and exits 0 when clean,
    1 when any error was found (or a warning, with --strict), 2 on a usage error. Notices
    (overdue drafts and action items, old names of renamed classes) are printed and never
    change the exit code. The root may also be given as an argument (pmarchive check ROOT).

    \b
    Examples:
      pmarchive check
      pmarchive check --root ../our-archive --strict
      pmarchive check --format github
    """
    project = _project(root_argument or root, config_file)
    config = project.config
    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    archive = load_archive(config)
    docs = docs_dir(project.config_file)
    pages = check_doc_pages(docs, config.root, config)
    runbooks = check_runbooks(archive.taxonomy, config.taxonomy_path, docs, config.root)
    diagnostics = archive.diagnostics + pages + runbooks
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


class _QueryRefused(click.ClickException):
    """A query the index refuses: one line, and the exit status of a usage error."""

    exit_code = 2


@main.command()
@click.argument("query", nargs=-1, required=True)
@archive_options
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the search API's JSON.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@AUDIENCE_OPTION
def search(
    query: tuple[str, ...],
    root: Path,
    config_file: Path | None,
    index_dir: Path | None,
    audience: str | None,
    as_json: bool,
    limit: int,
) -> None:
    """Search the archive: free text plus filters such as class:x sev:1..2 after:2026-01-01.

    \b
    Examples:
      pmarchive search stampede
      pmarchive search 'retry OR backoff class:retry-storm sev:1..2 after:2026-01-01'
      pmarchive search --json --limit 5 -- '-kind:near-miss timeout'
    """
    import json
    import re

    archive_index = _fresh_index(_project(root, config_file), index_dir, audience)
    try:
        result = archive_index.search(" ".join(query), limit=limit)
    except VocabularyError as exc:
        hint = f"\n  try: pmarchive search {shlex.quote(exc.suggested_query)}"
        raise _QueryRefused(str(exc) + (hint if exc.suggested_query else "")) from None
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
@archive_options
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
    config_file: Path | None,
    index_dir: Path | None,
    audience: str | None,
    site_dir: Path | None,
    host: str,
    port: int,
    rebuild: bool,
) -> None:
    """Serve the built site and the search API (/api/search, /api/similar/<id>).

    \b
    Examples:
      pmarchive serve --rebuild
      pmarchive serve --root ../our-archive --audience public --port 8080
    """
    from pmarchive.search.server import run

    project = _project(root, config_file)
    site = (site_dir or project.root / "site").resolve()
    if audience:
        os.environ["PMARCHIVE_AUDIENCE"] = audience  # the site build and the index agree
    if rebuild or not (site / "index.html").is_file():
        _build_site(project.config_file, site)
    archive_index = _fresh_index(project, index_dir, audience)
    archive_index.close()  # the server opens its own, and reopens after each rebuild

    def rebuild_index() -> None:
        """Rebuild from the records on disk when the index fails its manifest check."""
        _fresh_index(_project(root, config_file), index_dir, audience).close()

    click.echo(f"serving {site} and the search API on http://{host}:{port}/", err=True)
    run(site, archive_index.base, archive_index.taxonomy, host, port, rebuild_index)


def _build_site(config_file: Path, site: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    click.echo(f"building the site into {site}", err=True)
    try:
        config = load_config(str(config_file), site_dir=str(site))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as exc:
        raise click.ClickException(f"the site did not build: {exc}") from None


@main.group()
def new() -> None:
    """Write a new post-mortem or near-miss from a template (never overwrites a file).

    \b
    Examples:
      pmarchive new postmortem --title "Checkout errors" --sev 2 --class cache-stampede
      pmarchive new near-miss
    """


def _taxonomy_and_folders(project: Project) -> tuple[Any, Path, Path, Any]:
    """The taxonomy, both record folders and the run's day (the archive's configured today)."""
    from pmarchive.ingest.taxonomy import load_taxonomy

    config = project.config
    taxonomy, problems = load_taxonomy(config.taxonomy_path, project.root)
    if any(p.severity.value == "error" for p in problems):
        raise click.ClickException("the taxonomy has errors; run 'pmarchive check' first")
    return taxonomy, config.postmortems_path, config.nearmisses_path, config.today


def _refuse_future(day: Any, today: Any) -> None:
    """`check` refuses a record dated after the archive's today, so `new` never writes one."""
    if day is not None and day.date() > today:
        raise click.ClickException(
            f"--date {day.date().isoformat()} is after the archive's today ({today.isoformat()})"
        )


def _text_field_options(command: Any) -> Any:
    """--trigger and --mitigation, for the free-text fields the record model declares."""
    from pmarchive.authoring.scaffold import TEXT_OPTIONS
    from pmarchive.model.frontmatter import fields_for

    declared = fields_for("postmortem")
    for name in reversed(TEXT_OPTIONS):
        if name in declared:
            spec = declared[name]
            command = click.option(
                f"--{name}", name, default=None, help=spec.help or f"The record's {name}."
            )(command)
    return command


def _timestamp_options(command: Any) -> Any:
    from pmarchive.authoring.scaffold import TIMESTAMP_OPTIONS

    for name in reversed(TIMESTAMP_OPTIONS):
        command = click.option(
            "--" + name.replace("_", "-"),
            name,
            default=None,
            metavar="ISO8601",
            help=f"{name.replace('_at', '').capitalize()} at, e.g. 2026-05-29T14:05:00Z.",
        )(command)
    return command


@new.command("postmortem")
@archive_options
@click.option("--title", required=True, help="One-line title.")
@click.option("--sev", type=int, default=3, show_default=True, help="SEV level of the ladder.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Day it happened (default: the day of --started-at, else the archive's today).",
)
@click.option(
    "--class", "classes", multiple=True, required=True, help="Cause class slug; repeat for several."
)
@click.option(
    "--detection",
    type=click.Choice(DETECTION_SOURCES),
    default="alert",
    show_default=True,
)
@click.option("--team", "teams", multiple=True, help="Team slug; repeat for several.")
@click.option("--service", "services", multiple=True, help="Service slug; repeat for several.")
@click.option("--alert", "alerts", multiple=True, help="Alert that fired; repeat for several.")
@_timestamp_options
@_text_field_options
def new_postmortem_command(
    root: Path,
    config_file: Path | None,
    title: str,
    sev: int,
    day: Any,
    classes: tuple[str, ...],
    detection: str,
    teams: tuple[str, ...],
    services: tuple[str, ...],
    alerts: tuple[str, ...],
    **fields: str | None,
) -> None:
    """Write postmortems/<next id>.md with every section its SEV owes.

    Every option is checked against the taxonomy first: an unknown team, service, alert or
    cause class, a SEV off the ladder or timestamps out of order are all reported, with the
    closest valid value, and nothing is written.

    \b
    Example:
      pmarchive new postmortem --title "Checkout errors after cache flush" --sev 2 \\
          --class cache-stampede --team checkout --service pricing-svc \\
          --alert HighErrorRate --started-at 2026-05-29T14:05:00Z \\
          --mitigated-at 2026-05-29T14:11:00Z
    """
    from pmarchive.authoring.scaffold import (
        TEXT_OPTIONS,
        TIMESTAMP_OPTIONS,
        PostmortemOptions,
        ScaffoldError,
        new_postmortem,
    )

    taxonomy, folder, _, today = _taxonomy_and_folders(_project(root, config_file))
    _refuse_future(day, today)
    options = PostmortemOptions(
        title=title,
        sev=sev,
        classes=classes,
        day=day.date() if day else None,
        detection=detection,
        teams=teams,
        services=services,
        alerts=alerts,
        timestamps={k: v for k in TIMESTAMP_OPTIONS if (v := fields.get(k)) is not None},
        texts={k: v for k in TEXT_OPTIONS if (v := fields.get(k)) is not None},
    )
    try:
        path = new_postmortem(folder, taxonomy, options, today)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(path)


def _ask_vocabulary(taxonomy: Any, vocabulary: str, question: str, optional: bool) -> str:
    """Ask for one name of ``vocabulary`` until it is known (Enter skips an optional one)."""
    from pmarchive.authoring.scaffold import check_vocabulary

    names = sorted(taxonomy.names(vocabulary))
    click.echo(f"{vocabulary.capitalize()}: " + ", ".join(names), err=True)
    while True:
        answer = click.prompt(question, default="", show_default=False).strip()
        if not answer and optional:
            return ""
        if answer:
            current, why = check_vocabulary(vocabulary, answer, taxonomy)
            if current is not None:
                return current
            click.echo(why, err=True)


@new.command("near-miss")
@archive_options
@click.option("--what", help="What nearly happened?")
@click.option(
    "--caught-by",
    type=click.Choice(CAUGHT_BY),
    help="What caught it: luck, a defense, or a person?",
)
@click.option("--how", "how_caught", default="", help="How it was caught, in a sentence.")
@click.option("--class", "cause_class", help="Which cause class?")
@click.option("--alert", "alerts", multiple=True, help="Alert that fired (optional; repeatable).")
@click.option(
    "--service", "services", multiple=True, help="Service involved (optional; repeatable)."
)
@click.option(
    "--kind",
    type=click.Choice(NEARMISS_KINDS),
    default="near-miss",
    show_default=True,
)
@click.option("--reporter", default="", help="Who reports it (optional).")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Day it happened (default: the archive's today).",
)
def new_nearmiss_command(
    root: Path,
    config_file: Path | None,
    what: str | None,
    caught_by: str | None,
    how_caught: str,
    cause_class: str | None,
    alerts: tuple[str, ...],
    services: tuple[str, ...],
    kind: str,
    reporter: str,
    day: Any,
) -> None:
    """A few questions, one valid near-miss record: asked when not given as options.

    The form asks what nearly happened, what caught it and the cause class, then (Enter skips)
    the alert that fired and the service, so the near-miss shows on that alert's page. Given as
    options, every value is checked against the taxonomy before anything is written.

    \b
    Examples:
      pmarchive new near-miss
      pmarchive new near-miss --what "Disk at 95% on db-3" --caught-by defense \\
          --class capacity-exhaustion --kind weak-signal --alert DiskFillingUp
    """
    from pmarchive.authoring.scaffold import (
        NearMissAnswers,
        ScaffoldError,
        check_vocabulary,
        new_nearmiss,
    )

    taxonomy, _, folder, today = _taxonomy_and_folders(_project(root, config_file))
    _refuse_future(day, today)
    given = [
        why
        for vocabulary, values in (
            ("classes", [cause_class] if cause_class else []),
            ("alerts", alerts),
            ("services", services),
        )
        for value in values
        if (why := check_vocabulary(vocabulary, value, taxonomy)[1])
    ]
    if given:  # refused before any question is asked, so no answer is typed in vain
        raise click.ClickException("nothing was written:\n  " + "\n  ".join(given))
    interactive = not (what and caught_by and cause_class)
    if not what:
        what = click.prompt("1/5 What nearly happened?")
    if not caught_by:
        caught_by = click.prompt("2/5 What caught it?", type=click.Choice(CAUGHT_BY))
        if not how_caught:
            how_caught = click.prompt("    How, in a sentence?", default="", show_default=False)
    if not cause_class:
        cause_class = _ask_vocabulary(taxonomy, "classes", "3/5 Which cause class?", False)
    if interactive and not alerts:
        alert = _ask_vocabulary(taxonomy, "alerts", "4/5 Which alert fired? (Enter skips)", True)
        alerts = (alert,) if alert else ()
    if interactive and not services:
        service = _ask_vocabulary(taxonomy, "services", "5/5 Which service? (Enter skips)", True)
        services = (service,) if service else ()
    try:
        path = new_nearmiss(
            folder,
            taxonomy,
            NearMissAnswers(what, caught_by, cause_class, how_caught, kind, alerts, services),
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

    \b
    Example:
      pmarchive init our-archive \\
          --plugin-source git+https://git.example/sre/pmarchive@v0.1.0
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
@archive_options
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
    root: Path,
    config_file: Path | None,
    audience: str | None,
    output_format: str,
    kind: str,
    output: Path | None,
) -> None:
    """Export the validated dataset (only what the audience may see) as JSON, JSONL or CSV.

    \b
    Examples:
      pmarchive export --format csv --kind postmortems -o incidents.csv
      pmarchive export --audience public --format jsonl
    """
    from pmarchive.site import export as exporter

    archive = _visible(_project(root, config_file), audience)
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


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@archive_options
@AUDIENCE_OPTION
def render(out: Path, root: Path, config_file: Path | None, audience: str | None) -> None:
    """Write every generated page and data file of the site into OUT, without MkDocs.

    Record, index, trend and review pages are written as Markdown with their front-matter at
    their source paths; data files, assets and redirect pages at their site paths. The same
    pipeline feeds the MkDocs plugin, so another static site generator can take over the
    archive. OUT must not exist or be empty: nothing is ever overwritten.

    \b
    Examples:
      pmarchive render ../archive-pages
      pmarchive render --audience public --root ../our-archive /tmp/public-pages
    """
    from pmarchive.pipeline import generate, write_generated

    project = _project(root, config_file)
    if out.exists() and any(out.iterdir()):
        raise click.ClickException(f"{out} is not empty; nothing was written")
    full = _checked_archive(project)
    chosen = _audience(project, audience)
    custom = project.root / "overrides"
    docs = docs_dir(project.config_file)
    pages = frozenset(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    try:
        generated = generate(
            full,
            project.settings,
            chosen,
            template_dirs=[custom] if custom.is_dir() else [],
            doc_pages=pages,
        )
    except (IndexBusyError, IndexIntegrityError) as exc:
        raise click.ClickException(str(exc)) from None
    written = write_generated(generated, out)
    click.echo(
        f"{len(generated.pages)} pages and {len(written) - len(generated.pages)} other files "
        f"for the {chosen} audience written to {out}",
        err=True,
    )
