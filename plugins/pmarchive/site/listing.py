"""Listings on index pages as the page templates receive them: record rows, cards, counts and
pager links (plain values, escaped when printed, and ready hrefs), and the Markdown helpers that
keep values text. Every kind of index page uses the same functions; kinds differ by their key
only. Links in Markdown point at other pages' source files, so MkDocs checks them; the record
tables and cards are HTML (``records_table.html``, ``cards.html``), whose links a ``Linker``
makes in the build's URL mode."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from pmarchive.analysis.grouping import INDEX_KINDS
from pmarchive.model.records import AnyRecord, NearMiss, PostMortem
from pmarchive.site.record_page import LinkResolver, format_seconds
from pmarchive.site.safety import safe_url
from pmarchive.site.urls import Linker

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


@dataclass(frozen=True)
class Link:
    """A link a Markdown template prints as ``[{{ link.text }}]({{ link.href }})``: the text is
    escaped when printed; the href is a relative source path (MkDocs checks it), ready as it is.
    In an HTML template (``<a href="{{ link.href }}">``) the href is a URL from the build's
    ``Linker``, which autoescape escapes as any other value."""

    text: str
    href: str


def link(from_src: str, text: str, to_src: str, linker: Linker | None = None) -> Link:
    """A link from page ``from_src`` to ``to_src``: for Markdown without ``linker``, for HTML
    with it."""
    if linker is None:
        return Link(text, Markup(rel_link(from_src, to_src)))
    return Link(text, linker(from_src, to_src))


def iso_date(day: dt.date) -> Markup:
    """A date as templates print it: ISO, not escaped (its dashes stay dashes)."""
    return Markup(day.isoformat())


@dataclass(frozen=True)
class RecordRow:
    """One row of a record table, as ``records_table.html`` receives it."""

    date: Markup
    record: Link
    """The record's id, linking to its page."""
    title: str
    sev: Markup
    """``SEV-<n>`` for an incident, the kind (near-miss, weak-signal) for a near-miss."""
    duration: str
    """Empty for a near-miss or an incident without a duration."""
    classes: tuple[Link, ...]
    """Each cause class, linking to its page."""
    teams: tuple[str, ...]


def record_row(record: AnyRecord, from_src: str, linker: Linker) -> RecordRow:
    if isinstance(record, PostMortem):
        sev = f"SEV-{record.sev}"
        duration = format_seconds(record.duration_min * 60 if record.duration_min else None)
    else:
        sev = record.kind
        duration = ""
    return RecordRow(
        date=iso_date(record.date),
        record=link(from_src, record.id, record.src_uri, linker),
        title=record.title,
        sev=Markup(sev),  # built from a number or a validated kind
        duration=duration,
        classes=tuple(
            link(from_src, c, index_src("classes", c), linker) for c in record.cause_class
        ),
        teams=tuple(record.teams),
    )


def record_rows(records: Sequence[AnyRecord], from_src: str, linker: Linker) -> list[RecordRow]:
    """The rows of the listing every index page uses, linked from page ``from_src``."""
    return [record_row(r, from_src, linker) for r in records]


MAJOR_SEV = 2
"""Cards of SEV-1 and SEV-2 incidents are marked (``pm-card-major``)."""


@dataclass(frozen=True)
class Card:
    """One prior record as the on-call reader sees it (``pmarchive/cards.html``): what happened,
    how bad, what ended it and how long that took."""

    date: Markup
    sev: Markup
    """``SEV-<n>`` for an incident, the kind (near-miss, weak-signal) for a near-miss."""
    marker: Markup
    """CSS suffix of the card: ``sev-<n>``, ``near-miss`` or ``weak-signal``."""
    major: bool
    """A SEV-1 or SEV-2 incident."""
    title: Link
    """The record's title, linking to its page."""
    record: Link
    """The record's id, linking to its page."""
    summary: str
    mitigation: str
    """What ended the impact (incidents only; empty when not written)."""
    time_to_mitigate: str
    """Formatted as the record header formats durations; empty when unknown."""


def minutes_to_mitigate(record: PostMortem) -> float | None:
    """``duration_min``, else ``mitigated_at - started_at`` in minutes, else None."""
    if record.duration_min is not None:
        return record.duration_min
    if record.started_at is not None and record.mitigated_at is not None:
        return (record.mitigated_at - record.started_at).total_seconds() / 60
    return None


def record_card(record: AnyRecord, from_src: str, linker: Linker) -> Card:
    """The card of ``record`` on page ``from_src``: every page that shows cards builds them here."""
    if isinstance(record, PostMortem):
        minutes = minutes_to_mitigate(record)
        sev = f"SEV-{record.sev}"
        marker, major = f"sev-{record.sev}", record.sev <= MAJOR_SEV
        mitigation = record.mitigation
        mitigated = format_seconds(minutes * 60 if minutes is not None else None)
    else:
        sev = marker = record.kind
        major, mitigation, mitigated = False, "", ""
    return Card(
        date=iso_date(record.date),
        sev=Markup(sev),  # built from a number or a validated kind
        marker=Markup(marker),
        major=major,
        title=link(from_src, record.title, record.src_uri, linker),
        record=link(from_src, record.id, record.src_uri, linker),
        summary=record.summary,
        mitigation=mitigation,
        time_to_mitigate=mitigated,
    )


def record_cards(records: Sequence[AnyRecord], from_src: str, linker: Linker) -> list[Card]:
    return [record_card(r, from_src, linker) for r in records]


HELPFUL = {"yes": "helped", "partly": "partly helped"}
"""The ``tried`` verdicts worth repeating, and how a card list words them."""


@dataclass(frozen=True)
class Worked:
    """One step that ended or eased an earlier record of an alert: its mitigation, or a
    ``tried`` action that helped (fully or partly)."""

    action: str
    outcome: Markup
    """``ended it``, ``helped`` or ``partly helped``."""
    date: Markup
    record: Link
    """``<date> · SEV-<n>``, linking to the record's page: short, as the record's card above
    already shows its title."""
    title: str
    """The record's title."""


def what_has_worked(records: Sequence[AnyRecord], from_src: str, linker: Linker) -> list[Worked]:
    """Mitigations and helpful ``tried`` actions of ``records`` (newest first, as given); per
    record, what ended the impact before what eased it."""
    worked: list[Worked] = []
    for record in records:
        if not isinstance(record, PostMortem):
            continue
        day = iso_date(record.date)
        to = link(from_src, f"{day} · SEV-{record.sev}", record.src_uri, linker)
        if record.mitigation:
            worked.append(Worked(record.mitigation, Markup("ended it"), day, to, record.title))
        for step in record.tried:
            if step.helped in HELPFUL:
                outcome = Markup(HELPFUL[step.helped])
                worked.append(Worked(step.action, outcome, day, to, record.title))
    return worked


EXTERNAL_SCHEMES = ("http://", "https://", "mailto:")


def contact_or_link(value: str) -> Markup:
    """A taxonomy contact or URL for a Markdown page: a link when it is an http(s) or mailto
    URL, else text (``#sre-oncall`` is a chat channel, not a fragment of this page)."""
    target = safe_url(value)
    if target is not None and target.lower().startswith(EXTERNAL_SCHEMES):
        href = html.escape(target, quote=True)
        return Markup(f'<a href="{href}" rel="noopener noreferrer">{md_text(value)}</a>')
    return Markup(md_text(value))


@dataclass(frozen=True)
class Counts:
    """How many incidents and near-misses a page lists, and the newest date among them."""

    incidents: int
    nearmisses: int
    last_seen: Markup | None


def counts(records: Sequence[AnyRecord]) -> Counts:
    incidents = sum(isinstance(r, PostMortem) for r in records)
    last = max((r.date for r in records), default=None)
    return Counts(incidents, len(records) - incidents, iso_date(last) if last else None)


def split_listing(records: Sequence[AnyRecord]) -> tuple[list[PostMortem], list[NearMiss]]:
    """Incidents, then near-misses and weak signals: the two tables of a listing."""
    incidents = [r for r in records if isinstance(r, PostMortem)]
    nearmisses = [r for r in records if isinstance(r, NearMiss)]
    return incidents, nearmisses


def paginate(records: Sequence[AnyRecord]) -> list[Sequence[AnyRecord]]:
    """Newest-first records cut into pages of PAGE_SIZE (at least one, possibly empty, page)."""
    return [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [records]


@dataclass(frozen=True)
class PagerLink:
    number: int
    href: Markup | None
    """None for the page the reader is on."""


def pager_links(section: str, key: str, current: int, total: int) -> list[PagerLink]:
    """Links between the numbered pages of one listing (none when it fits on one page)."""
    if total == 1:
        return []
    src = index_src(section, key, current)
    return [
        PagerLink(n, None if n == current else Markup(rel_link(src, index_src(section, key, n))))
        for n in range(1, total + 1)
    ]
