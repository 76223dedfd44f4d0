"""Load a whole archive: taxonomy, post-mortems and near-misses, with every problem located."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pmarchive.core.diagnostics import Diagnostic, Reporter, Severity
from pmarchive.core.suggest import did_you_mean
from pmarchive.ingest.cache import CacheUse, RecordCache
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.source import (
    SourceProblem,
    SplitDocument,
    check_file,
    markdown_files,
    read_text,
    split_frontmatter,
)
from pmarchive.ingest.taxonomy import load_taxonomy
from pmarchive.ingest.validate import validate_record
from pmarchive.ingest.yamlsafe import YamlProblem, load_located
from pmarchive.lints.rules import LintFinding, lint_record, secret_findings_in
from pmarchive.model.records import AnyRecord, NearMiss, PostMortem
from pmarchive.model.schema import Kind
from pmarchive.model.taxonomy import Taxonomy


@dataclass
class Archive:
    """The validated dataset every page, chart and index is built from."""

    config: ArchiveConfig
    taxonomy: Taxonomy
    postmortems: list[PostMortem] = field(default_factory=list)
    nearmisses: list[NearMiss] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    audience: str = "restricted"
    """Who this view of the archive is for (see audience.py); the full archive by default."""
    withheld: int = 0
    """How many records this audience may not see: aggregates say so."""
    withheld_ids: frozenset[str] = frozenset()

    @property
    def records(self) -> list[AnyRecord]:
        return [*self.postmortems, *self.nearmisses]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def notices(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.NOTICE]

    def by_id(self) -> dict[str, AnyRecord]:
        return {record.id: record for record in self.records}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def record_files(folder: Path) -> Iterator[Path]:
    """Markdown files of a record folder, in a stable order (sub-folders such as years allowed).

    Links and special files are listed too, so ``read_record`` refuses them by name.
    """
    yield from markdown_files(folder)


def read_record(
    kind: Kind,
    path: Path,
    taxonomy: Taxonomy,
    config: ArchiveConfig,
    cache: RecordCache | None = None,
) -> tuple[AnyRecord | None, list[Diagnostic]]:
    """Read, parse and validate one file. Never raises for anything inside the file.

    With a ``cache``, a file whose text (and everything else the result depends on, see
    cache.py) is unchanged since a run that read it gets that run's record and diagnostics.
    """
    rel = _relative(path, config.root)
    report = Reporter(rel)
    text = ""
    findings: list[LintFinding] = []
    entry_key = ""
    try:
        size = check_file(path, config.root)
        # a file far beyond both caps is refused unread; one near them is read and measured
        most = config.max_frontmatter_bytes + config.max_body_bytes + _FENCES_AND_SLACK
        if size > most:
            raise SourceProblem(1, _too_big(f"file is {size} bytes", config))
        text = read_text(path, most)
        if cache is not None:
            entry_key = cache.entry_key(kind, rel, text)
            cached = cache.load(entry_key)
            if cached is not None:
                return cached
        split = split_frontmatter(text)
        body_bytes = len(split.body.encode("utf-8"))
        if body_bytes > config.max_body_bytes:
            raise SourceProblem(split.body_line, _too_big(f"body is {body_bytes} bytes", config))
        doc = load_located(
            split.frontmatter,
            first_line=split.frontmatter_line,
            max_bytes=config.max_frontmatter_bytes,
            max_depth=config.max_nesting,
        )
        record = validate_record(
            kind,
            doc,
            path=rel,
            stem=path.stem,
            body=split.body,
            body_line=split.body_line,
            taxonomy=taxonomy,
            config=config,
            report=report,
        )
        findings = _lint(record, split, taxonomy, config)
    except (SourceProblem, YamlProblem) as exc:
        report.error(exc.line, "", exc.message)
        record = None
        # a file that cannot be read as a record is still never published with a secret in it
        findings = secret_findings_in(text, 1, config.lints) if text else []
    except Exception as exc:  # last line of defence: one broken file must not end the run
        report.error(1, "", f"could not be read ({type(exc).__name__}: {exc})")
        record = None
        entry_key = ""  # a bug or a passing fault, not a property of the file: never cached
    diagnostics = report.items + [
        Diagnostic(rel, f.line, Severity(f.severity), f.rule, f.message, f.column) for f in findings
    ]
    if cache is not None and entry_key:
        cache.store(entry_key, (record, diagnostics))
    return record, diagnostics


_FENCES_AND_SLACK = 4096


def _too_big(what: str, config: ArchiveConfig) -> str:
    return (
        f"{what}; the limit for a record's body is {config.max_body_bytes} bytes (plugin option "
        "max_body_bytes); link to large logs or dumps instead of pasting them"
    )


def _lint(
    record: AnyRecord | None, split: SplitDocument, taxonomy: Taxonomy, config: ArchiveConfig
) -> list[LintFinding]:
    """Secrets anywhere in the file (valid or not); the other lints on valid records."""
    front = secret_findings_in(split.frontmatter, split.frontmatter_line, config.lints)
    if record is None:
        return front + secret_findings_in(split.body, split.body_line, config.lints)
    ignored = {rule: why for rule, why in record.lint_ignore.items() if why.strip()}
    front = [f for f in front if f.rule not in ignored]
    today = config.effective_today()
    return front + lint_record(record, taxonomy, today, config.lints, record.lint_ignore)


PER_PROCESS = 500
"""Record files a process is given at least: below twice this, one process reads them all
(starting another and sending its records back costs more than it saves)."""
MAX_PROCESSES = 4

Read = tuple[AnyRecord | None, list[Diagnostic]]


def _read_part(
    files: Sequence[tuple[Kind, Path]],
    taxonomy: Taxonomy,
    config: ArchiveConfig,
    cache: RecordCache | None,
) -> tuple[list[Read], CacheUse | None]:
    """``read_record`` over ``files``, with what it did of the cache."""
    results = [read_record(kind, path, taxonomy, config, cache) for kind, path in files]
    return results, cache.use() if cache is not None else None


_FORKED: tuple[Taxonomy, ArchiveConfig, RecordCache | None] | None = None
"""What a forked reader inherits from the process that forked it (never pickled)."""


def _read_forked(files: Sequence[tuple[Kind, Path]]) -> tuple[list[Read], CacheUse | None]:
    assert _FORKED is not None, "only called in a process forked by read_records"
    return _read_part(files, *_FORKED)


def read_records(
    files: Sequence[tuple[Kind, Path]],
    taxonomy: Taxonomy,
    config: ArchiveConfig,
    cache: RecordCache | None = None,
    *,
    processes: int | None = None,
) -> list[Read]:
    """``read_record`` of every file, in order, on every core the machine has (up to
    ``MAX_PROCESSES``) when there are many: parsing, validating and linting a record is pure
    Python, so forked processes read parts of the list while this one reads the first.

    Only where a fork is safe (a POSIX system, no other thread that could hold a lock the
    children would inherit); elsewhere, and for a part whose process dies or fails, this
    process reads it: the result never depends on how it was computed. ``processes``
    overrides the choice.
    """
    global _FORKED
    if processes is None:
        processes = min(os.cpu_count() or 1, MAX_PROCESSES, len(files) // PER_PROCESS)
        if threading.active_count() > 1:
            processes = 1
    processes = min(processes, len(files))
    if processes < 2 or "fork" not in _START_METHODS:
        return _read_part(files, taxonomy, config, cache)[0]
    size = -(-len(files) // processes)
    parts = [files[start : start + size] for start in range(0, len(files), size)]
    _FORKED = (taxonomy, config, cache)
    pool = ProcessPoolExecutor(len(parts) - 1, mp_context=multiprocessing.get_context("fork"))
    try:
        others = [pool.submit(_read_forked, part) for part in parts[1:]]
        results = _read_part(parts[0], taxonomy, config, cache)[0]
        for part, other in zip(parts[1:], others, strict=True):
            try:
                read, use = other.result()
            except Exception:  # the process died, or its records could not come back
                read, use = _read_part(part, taxonomy, config, cache)[0], None
            if cache is not None and use is not None:
                cache.absorb(use)
            results.extend(read)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _FORKED = None
    return results


_START_METHODS = multiprocessing.get_all_start_methods()


def load_archive(config: ArchiveConfig, cache: RecordCache | None = None) -> Archive:
    """Every record that validates, and every problem in every file, in one pass.

    ``cache`` (cache.py) skips parsing, validating and linting files read before unchanged.
    """
    taxonomy, diagnostics = load_taxonomy(
        config.taxonomy_path, config.root, config.lints.secret_rules
    )
    archive = Archive(config=config, taxonomy=taxonomy, diagnostics=diagnostics)
    folders: tuple[tuple[Kind, Path], ...] = (
        ("postmortem", config.postmortems_path),
        ("nearmiss", config.nearmisses_path),
    )
    files: list[tuple[Kind, Path]] = []
    for kind, folder in folders:
        if not folder.is_dir():
            archive.diagnostics.append(
                Diagnostic(
                    _relative(folder, config.root),
                    1,
                    Severity.ERROR,
                    "",
                    "record folder does not exist",
                )
            )
            continue
        files.extend((kind, path) for path in record_files(folder))
    for record, found in read_records(files, taxonomy, config, cache):
        archive.diagnostics.extend(found)
        if isinstance(record, PostMortem):
            archive.postmortems.append(record)
        elif isinstance(record, NearMiss):
            archive.nearmisses.append(record)
    if cache is not None and cache.misses:
        cache.prune()
    _check_across_records(archive)
    archive.postmortems.sort(key=lambda r: (r.date, r.id), reverse=True)
    archive.nearmisses.sort(key=lambda r: (r.date, r.id), reverse=True)
    archive.diagnostics.sort(key=lambda d: (d.path, d.line, d.field, d.message))
    return archive


def _check_across_records(archive: Archive) -> None:
    """Duplicate ids (URLs are lowercase, so case-insensitive) and dangling 'related' ids."""
    seen: dict[str, AnyRecord] = {}
    unique: list[AnyRecord] = []
    for record in sorted(archive.records, key=lambda r: r.path):
        key = record.id.lower()
        if key in seen:
            archive.diagnostics.append(
                Diagnostic(
                    record.path,
                    record.lines.get("id", 1),
                    Severity.ERROR,
                    "id",
                    f"id '{record.id}' is already used by {seen[key].path}; ids are never reused",
                )
            )
            continue
        seen[key] = record
        unique.append(record)
    archive.postmortems = [r for r in unique if isinstance(r, PostMortem)]
    archive.nearmisses = [r for r in unique if isinstance(r, NearMiss)]
    ids = [record.id for record in unique]
    known = set(ids)
    for record in unique:
        for other in record.related:
            if other not in known:
                archive.diagnostics.append(
                    Diagnostic(
                        record.path,
                        record.lines.get("related", 1),
                        Severity.ERROR,
                        "related",
                        f"unknown record id '{other}'{did_you_mean(other, ids)}",
                    )
                )
