"""Checks of the hand-written files under ``docs/`` before MkDocs reads them.

MkDocs copies every file of ``docs_dir`` into the site and parses each page's front-matter with
libyaml, which crashes (segfaults) on deeply nested flow collections. So before a build, and in
``pmarchive check``:

- a file that is a link leading out of the archive, or a pipe or device, is an error (unread);
- a page's front-matter, found exactly as MkDocs finds it, is held to the record caps on size
  and nesting before any YAML parser sees it;
- every text file is scanned for credentials, which are errors (masked), as in records.
"""

from __future__ import annotations

import re
from pathlib import Path

from pmarchive.core.credentials import find_secrets, line_and_column
from pmarchive.core.diagnostics import Diagnostic, Reporter
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.source import SourceProblem, check_file, markdown_files, read_text
from pmarchive.ingest.yamlsafe import YamlProblem, check_shape

# MkDocs' own pattern (mkdocs.utils.meta.YAML_RE), so the text checked is the text it parses.
_MKDOCS_META = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.UNICODE | re.DOTALL)

MAX_SCANNED_BYTES = 16 * 1024 * 1024
"""Files other than pages larger than this are not scanned (they are media, not prose)."""


def check_doc_pages(docs_dir: Path, root: Path, config: ArchiveConfig) -> list[Diagnostic]:
    """Every problem in ``docs_dir``'s files, sorted; paths are shown relative to ``root``."""
    if not docs_dir.is_dir():
        return []
    diagnostics: list[Diagnostic] = []
    for path in markdown_files(docs_dir, ""):
        diagnostics += check_doc_file(path, root, config)
    return sorted(diagnostics, key=lambda d: (d.path, d.line, d.field, d.message))


def check_doc_file(path: Path, root: Path, config: ArchiveConfig) -> list[Diagnostic]:
    """The problems of one file under ``docs/`` (a page, or any file MkDocs copies)."""
    page = path.suffix.lower() == ".md"
    report = Reporter(_relative(path, root))
    try:
        size = check_file(path, root)
    except SourceProblem as exc:
        report.error(exc.line, "", exc.message)
        return report.items
    if not page and size > MAX_SCANNED_BYTES:
        return []
    try:
        text = read_text(path)
    except SourceProblem as exc:
        if page:
            report.error(exc.line, "", exc.message)
        return report.items  # any other file that is not UTF-8 text is media: nothing to scan
    if page:
        meta = _MKDOCS_META.match(text)
        if meta is not None:
            try:
                check_shape(meta.group(1), 2, config.max_frontmatter_bytes, config.max_nesting)
            except YamlProblem as exc:
                report.error(exc.line, "", exc.message)
    for match in find_secrets(text, config.lints.secret_rules):
        line, column = line_and_column(text, match.start)
        report.error(line, "secret", match.message, column)
    return report.items


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
