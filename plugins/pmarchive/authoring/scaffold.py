"""New records from templates, and new archives from the packaged skeleton. Never overwrites."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from pmarchive import __version__
from pmarchive.model.frontmatter import fields_for
from pmarchive.model.schema import CAUGHT_BY, DETECTION_SOURCES, Kind
from pmarchive.model.taxonomy import Taxonomy

SKELETON = Path(__file__).parent / "skeleton"

SECTIONS = {
    "full": (
        "Summary",
        "Impact",
        "Timeline",
        "Contributing factors",
        "What went well",
        "Where we got lucky",
        "Action items",
        "Lessons",
    ),
    "lightweight": ("Summary", "Impact", "Timeline", "Action items", "Where we got lucky"),
    "note": ("Summary", "Action items"),
}
PROMPTS = {
    "Summary": "Two or three sentences: what happened, for how long, and who noticed.",
    "Impact": "Who was affected and how much: customers, requests, money, data.",
    "Timeline": "- HH:MM UTC — first signal\n- HH:MM UTC — detected\n- HH:MM UTC — mitigated",
    "Contributing factors": "The conditions that lined up. Describe the system, not a person.",
    "What went well": "Defences and people that limited the damage.",
    "Where we got lucky": "What held by chance and will not hold next time.",
    "Action items": "Reference the ids in the front-matter: AI-1 ...",
    "Lessons": "What this teaches beyond this incident.",
}


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
    return yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=100)


def _write_new(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:  # 'x': never overwrite
            handle.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{path} already exists; nothing was written") from None
    return path


def _check_classes(classes: list[str], taxonomy: Taxonomy) -> list[str]:
    from pmarchive.core.suggest import did_you_mean

    resolved = []
    for name in classes:
        current, _ = taxonomy.resolve("classes", name)
        if current is None:
            raise ScaffoldError(
                f"unknown cause class '{name}'{did_you_mean(name, taxonomy.classes)}"
            )
        resolved.append(current)
    if not resolved:
        raise ScaffoldError("give at least one cause class (--class)")
    return resolved


def new_postmortem(
    folder: Path,
    taxonomy: Taxonomy,
    *,
    title: str,
    sev: int,
    day: dt.date,
    classes: list[str],
    detection: str = "alert",
    teams: Sequence[str] = (),
) -> Path:
    """Write a draft post-mortem with every section its SEV level's analysis owes."""
    if detection not in DETECTION_SOURCES:
        raise ScaffoldError(
            f"detection must be one of {', '.join(DETECTION_SOURCES)}, not '{detection}'"
        )
    if sev not in taxonomy.severity:
        levels = ", ".join(str(level) for level in sorted(taxonomy.severity))
        raise ScaffoldError(f"SEV {sev} is not on the severity ladder ({levels})")
    record_id = next_id(folder, "INC", day)
    level = taxonomy.severity[sev]
    fields: dict[str, object] = {
        "id": record_id,
        "title": title,
        "status": "draft",
        "sev": sev,
        "date": day,
        "cause_class": _check_classes(classes, taxonomy),
        "detection": detection,
    }
    if teams:
        fields["teams"] = list(teams)
    sections = SECTIONS.get(level.analysis, SECTIONS["full"])
    body = "\n".join(f"## {name}\n\n{PROMPTS[name]}\n" for name in sections)
    due = (
        f"<!-- {level.label} ({level.name}) owes a {level.analysis} analysis within "
        f"{level.due_business_days} business days. -->\n\n"
    )
    return _write_new(
        folder / f"{record_id}.md", f"---\n{_front_matter('postmortem', fields)}---\n\n{due}{body}"
    )


@dataclass(frozen=True)
class NearMissAnswers:
    """The three questions of the 30-second form."""

    what: str
    """What nearly happened (becomes the title)."""
    caught_by: str
    """luck, defense or person."""
    cause_class: str
    how_caught: str = ""
    kind: str = "near-miss"


def new_nearmiss(
    folder: Path, taxonomy: Taxonomy, answers: NearMissAnswers, day: dt.date, reporter: str = ""
) -> Path:
    if answers.caught_by not in CAUGHT_BY:
        raise ScaffoldError(
            f"caught_by must be {', '.join(CAUGHT_BY[:-1])} or {CAUGHT_BY[-1]}, "
            f"not '{answers.caught_by}'"
        )
    record_id = next_id(folder, "NM", day)
    fields: dict[str, object] = {
        "id": record_id,
        "title": answers.what.strip().rstrip("."),
        "date": day,
        "kind": answers.kind,
        "caught_by": answers.caught_by,
        "cause_class": _check_classes([answers.cause_class], taxonomy),
    }
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
                title="Example: replace me with your first incident",
                sev=max(taxonomy.severity),
                day=today,
                classes=[cls],
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
