"""Listings on index pages: record tables, counts, pagination and the Markdown helpers
that keep values text. Every kind of index page uses the same functions; kinds differ by
their key only. Links point at other pages' source files, so MkDocs checks them."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from pmarchive.analysis.grouping import INDEX_KINDS
from pmarchive.model.records import AnyRecord, NearMiss, PostMortem
from pmarchive.site.record_page import LinkResolver, format_seconds

PAGE_SIZE = 400
"""Records per listing page; longer listings continue on numbered pages, so no page grows past
a few hundred KB however large the archive (about 0.6 KB of HTML per row)."""


def slug(key: str) -> str:
    """Lowercase URL segment of an index key: 'HighErrorRate' -> 'higherrorrate'."""
    return re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-") or "-"


def index_src(section: str, key: str | None = None, page: int = 1) -> str:
    """Source path of an index page (``page`` > 1: its continuation pages, /<key>/<n>/)."""
    if key is None:
        return f"{section}/index.md"
    if page == 1:
        return f"{section}/{slug(key)}.md"
    return f"{section}/{slug(key)}/{page}.md"


def page_sources(by_id: Mapping[str, AnyRecord]) -> LinkResolver:
    """What a record header links to: (kind, key) -> the source path of a record's page or of an
    index page, None for a record not in the build or a kind without pages."""

    def source(kind: str, key: str) -> str | None:
        if kind == "records":
            record = by_id.get(key)
            return record.src_uri if record is not None else None
        return index_src(kind, key) if kind in INDEX_KINDS else None

    return source


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def md_text(value: object) -> str:
    """Plain text made safe for a Markdown table cell: no markup, no HTML, no pipes."""
    text = " ".join(str(value).split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def rel_link(from_src: str, to_src: str) -> str:
    """Relative link between two source files, as MkDocs resolves Markdown links (in either
    URL mode: MkDocs turns it into the target page's URL)."""
    depth = from_src.count("/")
    return "../" * depth + to_src


def _record_row(record: AnyRecord, from_src: str) -> str:
    link = f"[{md_text(record.id)}]({rel_link(from_src, record.src_uri)})"
    if isinstance(record, PostMortem):
        sev = f"SEV-{record.sev}"
        duration = format_seconds(record.duration_min * 60 if record.duration_min else None)
    else:
        sev = record.kind
        duration = ""
    classes = ", ".join(
        f"[{md_text(c)}]({rel_link(from_src, index_src('classes', c))})" for c in record.cause_class
    )
    teams = ", ".join(md_text(t) for t in record.teams)
    return (
        f"| {record.date.isoformat()} | {link} | {md_text(record.title)} | {sev} | {duration} "
        f"| {classes} | {teams} |"
    )


def record_table(records: Sequence[AnyRecord], from_src: str) -> str:
    """The listing every index page uses: date, id, title, SEV, duration, classes, teams."""
    if not records:
        return "_None yet._\n"
    head = (
        "| Date | Id | Title | SEV | Duration | Classes | Teams |\n|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(_record_row(r, from_src) for r in records) + "\n"


def counts_line(records: Sequence[AnyRecord]) -> str:
    incidents = sum(isinstance(r, PostMortem) for r in records)
    nearmisses = len(records) - incidents
    last = max((r.date for r in records), default=None)
    seen = f", last seen {last.isoformat()}" if last else ""
    return (
        f"**{incidents}** incident{'s' * (incidents != 1)}, **{nearmisses}** near-miss"
        f"{'es' * (nearmisses != 1)} and weak signal{'s' * (nearmisses != 1)}{seen}."
    )


def listing(records: Sequence[AnyRecord], src: str) -> str:
    """Incidents, then near-misses and weak signals, as two tables."""
    incidents = [r for r in records if isinstance(r, PostMortem)]
    nearmisses = [r for r in records if isinstance(r, NearMiss)]
    parts = []
    for heading, group in (("Incidents", incidents), ("Near-misses and weak signals", nearmisses)):
        parts.append(f"## {heading}\n")
        parts.append(record_table(group, src))
    return "\n".join(parts)


def paginate(records: Sequence[AnyRecord]) -> list[Sequence[AnyRecord]]:
    """Newest-first records cut into pages of PAGE_SIZE (at least one, possibly empty, page)."""
    return [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [records]


def pager(section: str, key: str, current: int, total: int) -> str:
    """Links between the numbered pages of one listing."""
    if total == 1:
        return ""
    src = index_src(section, key, current)
    links = [
        f"**{n}**" if n == current else f"[{n}]({rel_link(src, index_src(section, key, n))})"
        for n in range(1, total + 1)
    ]
    return f"\nPages (newest first): {' '.join(links)}\n"
