"""New records from templates, and new archives from the packaged skeleton. Never overwrites.

Every option given to ``new`` is checked against the taxonomy before anything is written: an
unknown team, service, alert or cause class is refused with the closest valid value, so a new
record validates as soon as it exists.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import itertools
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pmarchive import __version__
from pmarchive.core.suggest import allowed_list, closest
from pmarchive.lints.template import skeleton_body
from pmarchive.model.frontmatter import fields_for
from pmarchive.model.schema import CAUGHT_BY, DETECTION_SOURCES, Kind
from pmarchive.model.taxonomy import Taxonomy

SKELETON = Path(__file__).parent / "skeleton"

VOCABULARY_OPTIONS: Mapping[str, tuple[str, str, str]] = {
    "teams": ("--team", "team", "taxonomy/teams.yml"),
    "services": ("--service", "service", "taxonomy/services.yml"),
    "alerts": ("--alert", "alert", "taxonomy/alerts.yml"),
    "classes": ("--class", "cause class", "taxonomy/classes.yml"),
}
"""Vocabulary -> (its option, what one entry is called, the file that defines it)."""

TIMESTAMP_OPTIONS: tuple[str, ...] = ("started_at", "detected_at", "mitigated_at", "resolved_at")
"""The timestamps ``new postmortem`` accepts, in the order they must come."""

TEXT_OPTIONS: tuple[str, ...] = ("trigger", "mitigation")
"""Free-text fields ``new postmortem`` writes when the record model declares them."""


class ScaffoldError(Exception):
    """Something the author can fix: an existing file, an unknown class, a bad date."""


def next_id(folder: Path, prefix: str, day: dt.date) -> str:
    """The next free id of that day: PREFIX-YYYY-MM-DD-NNN (ids are never reused)."""
    stem = f"{prefix}-{day.isoformat()}-"
    taken = [
        int(m.group(1))
        for p in folder.rglob(f"{stem}*.md")
        if (m := re.fullmatch(re.escape(stem) + r"(\d{3})", p.stem))
    ]
    return f"{stem}{max(taken, default=0) + 1:03d}"


class _Dumper(yaml.SafeDumper):
    """Writes timestamps the way the archive's examples do: 2026-05-29T14:05:00Z."""


def _represent_datetime(dumper: yaml.SafeDumper, value: dt.datetime) -> yaml.Node:
    stamp = value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", stamp)


_Dumper.add_representer(dt.datetime, _represent_datetime)


def _front_matter(kind: Kind, fields: dict[str, object]) -> str:
    """The template's front-matter; every field it writes is declared for ``kind`` and every
    required one is written (a field declared required later fails here, not in the file)."""
    declared = fields_for(kind)
    unknown = [name for name in fields if name not in declared]
    missing = [name for name, spec in declared.items() if spec.required and name not in fields]
    if unknown or missing:
        raise ValueError(
            f"the {kind} template does not match its declared fields "
            f"(undeclared: {unknown}, required but not written: {missing})"
        )
    return yaml.dump(fields, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _write_new(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:  # 'x': never overwrite
            handle.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{path} already exists; nothing was written") from None
    return path


def check_vocabulary(vocabulary: str, value: str, taxonomy: Taxonomy) -> tuple[str | None, str]:
    """(current name, "") for a known value or an old name of one; (None, why) otherwise.

    ``why`` names the option, the value and the closest valid value (or the allowed ones).
    """
    current, _ = taxonomy.resolve(vocabulary, value)
    if current is not None:
        return current, ""
    option, what, source = VOCABULARY_OPTIONS[vocabulary]
    names = taxonomy.names(vocabulary)
    best = closest(value, [*names, *taxonomy.aliases(vocabulary)])
    if best is not None:
        best = taxonomy.resolve(vocabulary, best)[0] or best
        hint = f"did you mean '{best}'?"
    elif names:
        hint = f"expected one of {allowed_list(names)}"
    else:
        hint = f"{source} defines none"
    return None, f"{option} '{value}': unknown {what} ({source}); {hint}"


def _resolve_all(
    vocabulary: str, values: Sequence[str], taxonomy: Taxonomy, problems: list[str]
) -> list[str]:
    """The current names of ``values`` (duplicates dropped); a line in ``problems`` per unknown."""
    resolved: list[str] = []
    for value in values:
        current, why = check_vocabulary(vocabulary, value, taxonomy)
        if current is None:
            problems.append(why)
        elif current not in resolved:
            resolved.append(current)
    return resolved


def parse_timestamp(option: str, raw: str) -> dt.datetime:
    """An ISO 8601 timestamp with a time zone (``2026-05-29T14:05:00Z``), in UTC."""
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ScaffoldError(
            f"{option} '{raw}': not an ISO 8601 timestamp; write it like 2026-05-29T14:05:00Z"
        ) from None
    if value.tzinfo is None:
        raise ScaffoldError(
            f"{option} '{raw}': no time zone; add Z for UTC or an offset such as +02:00 "
            f"(e.g. {value.strftime('%Y-%m-%dT%H:%M:%S')}Z)"
        )
    return value.astimezone(dt.timezone.utc)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class PostmortemOptions:
    """What ``new postmortem`` was told; everything but the title is optional."""

    title: str
    sev: int
    classes: Sequence[str]
    day: dt.date | None = None
    """Day it happened; the day of ``started_at`` or the archive's today when not given."""
    detection: str = "alert"
    teams: Sequence[str] = ()
    services: Sequence[str] = ()
    alerts: Sequence[str] = ()
    timestamps: Mapping[str, str] = field(default_factory=dict)
    """``started_at`` ... ``resolved_at`` -> ISO 8601 text as given."""
    texts: Mapping[str, str] = field(default_factory=dict)
    """``trigger``, ``mitigation`` -> one or two sentences (only fields the model declares)."""


def _postmortem_fields(
    options: PostmortemOptions, taxonomy: Taxonomy, today: dt.date
) -> dict[str, object]:
    """The front-matter of a new post-mortem, without its id; every problem with the options
    is collected and raised at once, before anything is written."""
    problems: list[str] = []
    if not options.title.strip():
        problems.append("--title: give a one-line title")
    if options.detection not in DETECTION_SOURCES:
        problems.append(
            f"--detection '{options.detection}': expected one of {', '.join(DETECTION_SOURCES)}"
        )
    if options.sev not in taxonomy.severity:
        levels = sorted(taxonomy.severity)
        nearest = min(levels, key=lambda level: abs(level - options.sev)) if levels else None
        hint = f"; did you mean {nearest}?" if nearest is not None else ""
        listed = ", ".join(str(level) for level in levels)
        problems.append(
            f"--sev {options.sev}: SEV {options.sev} is not on the severity ladder "
            f"(taxonomy/severity.yml: {listed}){hint}"
        )
    classes = _resolve_all("classes", options.classes, taxonomy, problems)
    if not options.classes:
        problems.append("--class: give at least one cause class")
    teams = _resolve_all("teams", options.teams, taxonomy, problems)
    services = _resolve_all("services", options.services, taxonomy, problems)
    alerts = _resolve_all("alerts", options.alerts, taxonomy, problems)
    stamps: dict[str, dt.datetime] = {}
    for name in TIMESTAMP_OPTIONS:
        raw = options.timestamps.get(name)
        if raw is None:
            continue
        try:
            stamps[name] = parse_timestamp(_option(name), raw)
        except ScaffoldError as exc:
            problems.append(str(exc))
            continue
        if stamps[name].date() > today:
            problems.append(
                f"{_option(name)} '{raw}': after the archive's today ({today.isoformat()})"
            )
    given = [(name, stamps[name]) for name in TIMESTAMP_OPTIONS if name in stamps]
    for (earlier, first), (later, second) in itertools.pairwise(given):
        if second < first:
            problems.append(
                f"{_option(later)} is before {_option(earlier)}; the order is "
                "started <= detected <= mitigated <= resolved"
            )
    declared = fields_for("postmortem")
    texts = {}
    for name, text in options.texts.items():
        if name not in declared:
            problems.append(f"{_option(name)}: this version's records have no '{name}' field")
        elif text.strip():
            texts[name] = " ".join(text.split())
    day = options.day
    if day is None:
        day = stamps["started_at"].date() if "started_at" in stamps else today
    if problems:
        raise ScaffoldError("nothing was written:\n  " + "\n  ".join(problems))
    fields: dict[str, object] = {
        "title": options.title.strip(),
        "status": "draft",
        "sev": options.sev,
        "date": day,
        **stamps,
        "cause_class": classes,
        "detection": options.detection,
    }
    for name, values in (("teams", teams), ("services", services), ("alerts", alerts)):
        if values:
            fields[name] = values
    for name in TEXT_OPTIONS:
        if name in texts:
            fields[name] = texts[name]
    return fields


def new_postmortem(
    folder: Path, taxonomy: Taxonomy, options: PostmortemOptions, today: dt.date
) -> Path:
    """Write a draft post-mortem with every section its SEV level's analysis owes, after every
    option has been checked (a ``ScaffoldError`` lists all that are wrong; nothing is written)."""
    fields = _postmortem_fields(options, taxonomy, today)
    day = fields["date"]
    assert isinstance(day, dt.date)
    record_id = next_id(folder, "INC", day)
    fields = {"id": record_id, **fields}
    level = taxonomy.severity[options.sev]
    due = (
        f"<!-- {level.label} ({level.name}) owes a {level.analysis} analysis within "
        f"{level.due_business_days} business days. -->\n\n"
    )
    return _write_new(
        folder / f"{record_id}.md",
        f"---\n{_front_matter('postmortem', fields)}---\n\n{due}{skeleton_body(level.analysis)}",
    )


@dataclass(frozen=True)
class NearMissAnswers:
    """The questions of the 30-second form; alerts and services are optional."""

    what: str
    """What nearly happened (becomes the title)."""
    caught_by: str
    """luck, defense or person."""
    cause_class: str
    how_caught: str = ""
    kind: str = "near-miss"
    alerts: Sequence[str] = ()
    """Alerts that fired, so the near-miss shows on those alerts' pages."""
    services: Sequence[str] = ()


def new_nearmiss(
    folder: Path, taxonomy: Taxonomy, answers: NearMissAnswers, day: dt.date, reporter: str = ""
) -> Path:
    problems: list[str] = []
    if answers.caught_by not in CAUGHT_BY:
        problems.append(
            f"--caught-by '{answers.caught_by}': expected "
            f"{', '.join(CAUGHT_BY[:-1])} or {CAUGHT_BY[-1]}"
        )
    classes = _resolve_all("classes", [answers.cause_class], taxonomy, problems)
    alerts = _resolve_all("alerts", answers.alerts, taxonomy, problems)
    services = _resolve_all("services", answers.services, taxonomy, problems)
    if problems:
        raise ScaffoldError("nothing was written:\n  " + "\n  ".join(problems))
    record_id = next_id(folder, "NM", day)
    fields: dict[str, object] = {
        "id": record_id,
        "title": answers.what.strip().rstrip("."),
        "date": day,
        "kind": answers.kind,
        "caught_by": answers.caught_by,
        "cause_class": classes,
    }
    if services:
        fields["services"] = services
    if alerts:
        fields["alerts"] = alerts
    if reporter:
        fields["reporter"] = reporter
    body = (
        f"## What happened\n\n{answers.what.strip()}\n\n## What caught it\n\n"
        f"{answers.how_caught.strip() or answers.caught_by}\n"
    )
    return _write_new(
        folder / f"{record_id}.md", f"---\n{_front_matter('nearmiss', fields)}---\n\n{body}"
    )


def installed_source() -> str | None:
    """Where the running pmarchive was installed from (PEP 610), when pip recorded it."""
    try:
        raw = importlib.metadata.distribution("pmarchive").read_text("direct_url.json")
        info = json.loads(raw or "null")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        return None
    url: str = info["url"]
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"git+{url}@{commit}" if commit else f"git+{url}"
    return url if url.startswith("file://") else None


def requirements_text(source: str | None) -> str:
    """requirements.txt of a new archive: pmarchive from a source the archive controls.

    Never a bare ``pmarchive==<version>``: the public package index does not hold this
    project, so anyone could register that name and have CI install their code.
    """
    header = (
        "# pmarchive is installed from a source your organisation controls: a git URL pinned\n"
        "# to a tag or commit (pmarchive @ git+https://git.example/you/pmarchive@v"
        f"{__version__}),\n# or a path checked into this repository. Never from a bare "
        "package name.\n"
    )
    if source is None:
        return (
            header
            + "# Set the line below to your source, then remove the leading '# '.\n# pmarchive @ git+https://git.example/you/pmarchive@v"
            + __version__
            + "\n"
        )
    if source.startswith(("git+", "file://", "https://", "http://")):
        return header + f"pmarchive @ {source}\n"
    return header + f"{source}\n"  # a local path, as pip reads it


def init_archive(target: Path, today: dt.date, plugin_source: str | None = None) -> list[Path]:
    """A new, valid, buildable archive in ``target``; existing files are left untouched."""
    from pmarchive.ingest.taxonomy import load_taxonomy

    written: list[Path] = []
    skipped: list[Path] = []
    renames = {
        "gitignore": ".gitignore",
        "github-workflows/archive.yml": ".github/workflows/archive.yml",
    }
    for source in sorted(SKELETON.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        rel = source.relative_to(SKELETON).as_posix()
        destination = target / renames.get(rel, rel)
        if destination.exists():
            skipped.append(destination)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        written.append(destination)
    requirements = target / "requirements.txt"
    if not requirements.exists():
        requirements.write_text(requirements_text(plugin_source or installed_source()))
        written.append(requirements)
    taxonomy, _ = load_taxonomy(target / "taxonomy")
    (target / "nearmisses").mkdir(exist_ok=True)
    if not any((target / "postmortems").glob("*.md")):
        cls = next(iter(taxonomy.classes))
        written.append(
            new_postmortem(
                target / "postmortems",
                taxonomy,
                PostmortemOptions(
                    title="Example: replace me with your first incident",
                    sev=max(taxonomy.severity),
                    classes=[cls],
                    day=today,
                ),
                today,
            )
        )
    if not any((target / "nearmisses").glob("*.md")):
        cls = next(iter(taxonomy.classes))
        written.append(
            new_nearmiss(
                target / "nearmisses",
                taxonomy,
                NearMissAnswers(
                    "Example: a change that nearly went out to every region at once",
                    "person",
                    cls,
                    "A reviewer asked about the rollout scope.",
                ),
                today,
            )
        )
    return written
