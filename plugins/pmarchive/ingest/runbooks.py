"""Runbooks that point into the site: each one needs a page under ``docs/``.

An alert's ``runbook`` is followed from a page at 3 a.m.; a site-relative one ("/runbooks/foo/")
with no page behind it is a 404 at the worst moment. MkDocs cannot see the gap (the URL is data,
not a link in a page), so ``pmarchive check`` and the build warn, naming ``taxonomy/alerts.yml``,
the line, the alert, the runbook and the closest page that does exist.

A runbook elsewhere (``https://wiki.example/...``) is not checked: it is not this site's to serve.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pmarchive.core.diagnostics import Diagnostic, Reporter
from pmarchive.core.suggest import closest
from pmarchive.ingest.source import SourceProblem, check_file, markdown_files, read_text
from pmarchive.ingest.yamlsafe import YamlProblem, load_located
from pmarchive.model.taxonomy import Taxonomy

ALERTS_FILE = "alerts.yml"


def site_relative(runbook: str) -> bool:
    """True for a URL of this site's own ("/runbooks/foo/"), not "//host/..." or "https://"."""
    return runbook.startswith("/") and not runbook.startswith("//")


def page_candidates(runbook: str) -> tuple[str, ...]:
    """The ``docs/`` paths that would serve a site-relative ``runbook``, in MkDocs' terms.

    "/runbooks/foo/" is ``runbooks/foo.md`` or ``runbooks/foo/index.md`` (or ``README.md``);
    "/runbooks/foo.html" the same without directory URLs; "/files/foo.pdf" that very file.
    The query and fragment do not matter.
    """
    path = posixpath.normpath(unquote(urlsplit(runbook).path)).lstrip("/")
    if path in ("", "."):
        return ("index.md", "README.md")
    stem, ext = posixpath.splitext(path)
    if ext == ".html":
        path = stem
        if posixpath.basename(stem) == "index":
            parent = posixpath.dirname(stem)
            return (posixpath.join(parent, "index.md"), posixpath.join(parent, "README.md"))
    elif ext:
        return (path,)
    return (f"{path}.md", f"{path}/index.md", f"{path}/README.md")


def page_url(src: str) -> str:
    """The site-relative URL of a ``docs/`` page with directory URLs ("runbooks/foo.md" ->
    "/runbooks/foo/")."""
    stem = src[: -len(".md")] if src.endswith(".md") else src
    parent, name = posixpath.split(stem)
    if name in ("index", "README"):
        return f"/{parent}/" if parent else "/"
    return f"/{stem}/"


def doc_pages(docs_dir: Path) -> list[str]:
    """Every file under ``docs_dir``, as a path relative to it (links left out)."""
    return [
        path.relative_to(docs_dir).as_posix()
        for path in markdown_files(docs_dir, "")
        if path.is_file() and not path.is_symlink()
    ]


def _missing(runbook: str, pages: frozenset[str]) -> tuple[str, ...] | None:
    """The candidate pages of a runbook when none of them exists, else None."""
    candidates = page_candidates(runbook)
    return None if any(c in pages for c in candidates) else candidates


def check_runbooks(
    taxonomy: Taxonomy,
    taxonomy_dir: Path,
    docs_dir: Path,
    root: Path,
    pages: Iterable[str] | None = None,
) -> list[Diagnostic]:
    """A warning for each alert whose site-relative runbook has no page under ``docs_dir``.

    ``pages`` are the ``docs/`` paths that exist (read from ``docs_dir`` when not given; a build
    passes MkDocs' own list). Without a ``docs_dir`` there is no site to check against and
    nothing is reported. Paths in messages are relative to ``root``.
    """
    if pages is None:
        if not docs_dir.is_dir():
            return []
        pages = doc_pages(docs_dir)
    existing = frozenset(pages)
    missing = {
        name: candidates
        for name, alert in taxonomy.alerts.items()
        if site_relative(alert.runbook) and (candidates := _missing(alert.runbook, existing))
    }
    if not missing:
        return []
    path = taxonomy_dir / ALERTS_FILE
    report = Reporter(_relative(path, root))
    lines = _runbook_lines(path, root)
    urls = {page_url(page): page for page in existing if page.endswith(".md")}
    docs = _relative(docs_dir, root)
    for name, candidates in missing.items():
        runbook = taxonomy.alerts[name].runbook
        expected = " or ".join(f"{docs}/{c}" for c in candidates[:2])
        best = closest(runbook, urls) or _nearest(runbook, urls)
        hint = (
            f"; the closest existing page is '{best}' ({docs}/{urls[best]})"
            if best is not None
            else f"; {docs}/ has no pages"
        )
        report.warning(
            lines.get(name, 1),
            f"alerts.{name}.runbook",
            f"alert '{name}': runbook '{runbook}' has no page (expected {expected})"
            f"{hint}; write the page, or point the runbook at an existing one",
        )
    return report.items


def _nearest(url: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``url``, however unlike (``closest`` gives up when none is close)."""
    ranked = sorted(candidates, key=lambda c: (-difflib.SequenceMatcher(None, url, c).ratio(), c))
    return ranked[0] if ranked else None


def _runbook_lines(path: Path, root: Path) -> dict[str, int]:
    """Alert name -> the line of its ``runbook:`` in alerts.yml ({} when it cannot be read:
    the taxonomy check reports why)."""
    try:
        check_file(path, root)
        doc = load_located(read_text(path))
    except (SourceProblem, YamlProblem):
        return {}
    alerts = doc.value.get("alerts") if isinstance(doc.value, dict) else None
    if not isinstance(alerts, dict):
        return {}
    return {str(name): doc.line_of(("alerts", name, "runbook")) for name in alerts}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
