"""Compose every index page of the site (Markdown keyed by source path) from an archive."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pmarchive.analysis.grouping import INDEX_KINDS, Groups, group_records
from pmarchive.ingest.archive import Archive
from pmarchive.model.records import AnyRecord, PostMortem
from pmarchive.site.listing import (
    counts_line,
    index_src,
    listing,
    md_text,
    pager,
    paginate,
    record_table,
    rel_link,
)
from pmarchive.site.safety import safe_url
from pmarchive.site.trend_pages import TrendContext, alert_section, class_section
from pmarchive.site.urls import DIRECTORY_URLS, Linker, site_path

SAME_CLASS_LIMIT = 20


@dataclass(frozen=True)
class IndexOptions:
    same_class_limit: int = SAME_CLASS_LIMIT
    """How many 'same class, different alert' records an alert page shows per class."""
    doc_pages: frozenset[str] | None = None
    """Source paths of the site's own pages; runbooks found there get checked links."""


def entity_keys(archive: Archive, groups: Groups, kind: str) -> list[str]:
    """Every key that gets a page: the whole taxonomy vocabulary plus keys records use."""
    tax = archive.taxonomy
    vocabulary: dict[str, list[str]] = {
        "classes": list(tax.classes),
        "factors": list(tax.factors),
        "teams": list(tax.teams),
        "services": list(tax.services),
        "alerts": list(tax.alerts),
        "sev": [str(level) for level in tax.severity],
        "quarters": [],
    }
    keys = dict.fromkeys(vocabulary[kind])
    keys.update(dict.fromkeys(groups.by_kind[kind]))
    ordered = sorted(keys, reverse=(kind == "quarters"))
    return ordered


def entity_title(archive: Archive, kind: str, key: str) -> str:
    tax = archive.taxonomy
    if kind == "sev" and int(key) in tax.severity:
        return f"SEV-{key} · {tax.severity[int(key)].name}"
    if kind == "sev":
        return f"SEV-{key}"
    entry = getattr(tax, kind, {}).get(key) if kind != "quarters" else None
    title = getattr(entry, "title", "") if entry is not None else ""
    return f"{title} ({key})" if title and title != key else key


def _class_intro(archive: Archive, key: str, records: Sequence[AnyRecord], src: str) -> str:
    cls = archive.taxonomy.classes.get(key)
    lines = []
    if cls is not None:
        if cls.description:
            lines.append(md_text(cls.description) + "\n")
        fix = md_text(cls.candidate_fix) if cls.candidate_fix else "_none recorded_"
        landed = f", landed {cls.fix_landed.isoformat()}" if cls.fix_landed else ""
        lines.append(f"**Candidate fix:** {fix} (status: **{cls.fix_status}**{landed})\n")
        if cls.aliases:
            lines.append("Formerly called: " + ", ".join(md_text(a) for a in cls.aliases) + "\n")
    factors = Counter(f for r in records for f in r.contributing_factors)
    alerts = Counter(a for r in records for a in r.alerts)
    for label, section, counter in (
        ("Related factors", "factors", factors),
        ("Alerts that fired", "alerts", alerts),
    ):
        if counter:
            items = ", ".join(
                f"[{md_text(name)}]({rel_link(src, index_src(section, name))}) ({n})"
                for name, n in counter.most_common()
            )
            lines.append(f"**{label}:** {items}\n")
    return "\n".join(lines)


def alert_classes(archive: Archive, key: str, records: Sequence[AnyRecord]) -> list[str]:
    """The classes an alert's records had; its usual classes while it has no history."""
    classes = list(dict.fromkeys(c for r in records for c in r.cause_class))
    alert = archive.taxonomy.alerts.get(key)
    if not classes and alert is not None:
        classes = list(alert.classes)
    return classes


def _alert_intro(
    archive: Archive,
    groups: Groups,
    key: str,
    records: Sequence[AnyRecord],
    src: str,
    options: IndexOptions,
) -> tuple[str, str]:
    """(text above the listing, 'same class, different alert' text below it)."""
    alert = archive.taxonomy.alerts.get(key)
    top = []
    if alert is not None:
        if alert.summary:
            top.append(md_text(alert.summary) + "\n")
        if alert.runbook:
            top.append(f"**Runbook:** {_runbook_link(src, alert.runbook, options)}\n")
        if alert.team:
            team = f"[{md_text(alert.team)}]({rel_link(src, index_src('teams', alert.team))})"
            top.append(f"**Owner:** {team}\n")
    if not records:
        top.append(
            "This alert has no recorded incidents or near-misses yet. The records of its "
            "usual cause classes are listed below.\n"
        )
    below = []
    for cls in alert_classes(archive, key, records):
        others = [r for r in groups.get("classes", cls) if key not in r.alerts]
        total = len(groups.get("classes", cls))
        class_link = rel_link(src, index_src("classes", cls))
        below.append(f"### Same class, different alert: {md_text(cls)}\n")
        shown = others[: options.same_class_limit]
        below.append(record_table(shown, src))
        below.append(f"\n[All {total} records of {md_text(cls)}]({class_link})\n")
    return "\n".join(top), "\n".join(below)


def _runbook_link(src: str, url: str, options: IndexOptions) -> str:
    """A runbook in this site links to its source page (MkDocs checks it); others stay URLs."""
    page = url.strip("/") + ".md"
    if "://" not in url and (options.doc_pages is None or page in options.doc_pages):
        return f"[{md_text(url)}]({rel_link(src, page)})"
    # Only http(s) runbooks elsewhere become links; anything else (javascript:, data:, a
    # scheme-relative //host) is shown as text.
    target = safe_url(url) if "://" in url else None
    if target is not None and target.lower().startswith(("http://", "https://")):
        href = html.escape(target, quote=True)
        return f'<a href="{href}" rel="noopener noreferrer">{md_text(url)}</a>'
    return f"<code>{html.escape(url)}</code>"


def entity_page(
    archive: Archive,
    groups: Groups,
    kind: str,
    key: str,
    options: IndexOptions,
    trends: TrendContext | None = None,
) -> dict[str, str]:
    """The page of one key, and its numbered continuation pages when the listing is long."""
    spec = INDEX_KINDS[kind]
    records = groups.get(kind, key)
    src = index_src(kind, key)
    title = entity_title(archive, kind, key)
    chunks = paginate(records)
    parts = [f"# {md_text(title)}\n", f"{spec.label} · {counts_line(records)}\n"]
    below = ""
    if kind == "classes":
        parts.append(_class_intro(archive, key, records, src))
    if kind == "alerts":
        top, below = _alert_intro(archive, groups, key, records, src, options)
        parts.append(top)
    parts.append(listing(chunks[0], src) + pager(kind, key, 1, len(chunks)))
    if below:
        parts.append("## Same cause class, other alerts\n\n" + below)
    parts.append(f"\n[All {spec.plural.lower()}]({rel_link(src, index_src(kind))})\n")
    if trends is not None and kind == "classes" and key in archive.taxonomy.classes:
        parts.append(class_section(trends, key, src))
    if trends is not None and kind == "alerts":
        parts.append(alert_section(trends, alert_classes(archive, key, records), src))
    pages = {src: "\n".join(parts)}
    for number, chunk in enumerate(chunks[1:], start=2):
        page_src = index_src(kind, key, number)
        back = rel_link(page_src, src)
        pages[page_src] = (
            f"# {md_text(title)}: page {number}\n\n[Back to {md_text(title)}]({back})\n\n"
            + listing(chunk, page_src)
            + pager(kind, key, number, len(chunks))
        )
    return pages


def overview_page(archive: Archive, groups: Groups, kind: str) -> str:
    spec = INDEX_KINDS[kind]
    src = index_src(kind)
    keys = entity_keys(archive, groups, kind)
    head = ["Name", "Incidents", "Near-misses", "Last seen"]
    if kind == "classes":
        head += ["Fix status"]
    if kind == "alerts":
        head += ["Owner"]
    rows = []
    for key in keys:
        records = groups.get(kind, key)
        incidents = sum(isinstance(r, PostMortem) for r in records)
        last = max((r.date for r in records), default=None)
        cells = [
            f"[{md_text(entity_title(archive, kind, key))}]({rel_link(src, index_src(kind, key))})",
            str(incidents),
            str(len(records) - incidents),
            last.isoformat() if last else "never",
        ]
        if kind == "classes":
            cells.append(
                archive.taxonomy.classes[key].fix_status if key in archive.taxonomy.classes else ""
            )
        if kind == "alerts":
            cells.append(
                md_text(archive.taxonomy.alerts[key].team) if key in archive.taxonomy.alerts else ""
            )
        rows.append("| " + " | ".join(cells) + " |")
    table = "| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n" + "\n".join(rows)
    return (
        f"# {spec.plural}\n\n{len(keys)} {spec.plural.lower()}.{withheld_note(archive)}\n\n"
        f"{table}\n"
    )


def withheld_note(archive: Archive) -> str:
    """Aggregates say how many records this audience does not see."""
    if not archive.withheld:
        return ""
    n = archive.withheld
    return (
        f" {n} record{'s' * (n != 1)} {'are' if n != 1 else 'is'} withheld from the "
        f"{archive.audience} audience and not counted here."
    )


REDIRECT_SCRIPT = "assets/pmarchive/redirect.js"
"""Keeps the #fragment on the way from an alias page to the current one."""


def alias_redirects(archive: Archive, linker: Linker = DIRECTORY_URLS) -> dict[str, str]:
    """Old class and factor names keep their URLs: a redirect page, by site path, where the
    alias's own page would be (``classes/<alias>/`` with directory URLs)."""
    pages: dict[str, str] = {}
    for kind in ("classes", "factors"):
        for key, entry in getattr(archive.taxonomy, kind).items():
            for alias in entry.aliases:
                alias_src = f"{kind}/{alias.lower()}.md"
                pages[site_path(linker, alias_src)] = redirect_html(
                    linker(alias_src, index_src(kind, key)),
                    linker(alias_src, REDIRECT_SCRIPT),
                )
    return pages


def redirect_html(target: str, script: str) -> str:
    """A page that sends the reader to ``target`` with the #fragment they came with (``script``,
    the redirect asset); the meta refresh, without the fragment, when scripts do not run."""
    url = html.escape(target, quote=True)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<title>Moved</title><link rel="canonical" href="{url}">\n'
        f'<script src="{html.escape(script, quote=True)}"></script>\n'
        f'<meta http-equiv="refresh" content="0; url={url}">\n'
        f'</head><body><p>This page moved to <a href="{url}">{url}</a>.</p></body></html>\n'
    )


def all_index_pages(
    archive: Archive,
    options: IndexOptions | None = None,
    groups: Groups | None = None,
    trends: TrendContext | None = None,
) -> dict[str, str]:
    """Every generated index page: overview and key pages of each kind, by source path.

    With ``trends``, class pages carry their recurrence chart and risk rank, and alert pages
    the recurrence of their classes.
    """
    options = options or IndexOptions()
    groups = groups if groups is not None else group_records(archive.records)
    pages: dict[str, str] = {}
    for kind in INDEX_KINDS:
        pages[index_src(kind)] = overview_page(archive, groups, kind)
        for key in entity_keys(archive, groups, kind):
            pages.update(entity_page(archive, groups, kind, key, options, trends))
    return pages


def recent_section(archive: Archive, src: str = "index.md", limit: int = 10) -> str:
    """The home page's generated part: newest incidents and near-misses, and where to go next."""
    links = " · ".join(
        f"[{label}]({rel_link(src, index_src(kind))})"
        for label, kind in (
            ("Cause classes", "classes"),
            ("Alerts", "alerts"),
            ("Teams", "teams"),
            ("Services", "services"),
            ("Severities", "sev"),
            ("Quarters", "quarters"),
        )
    )
    return (
        f"{links}\n\n{withheld_note(archive).strip()}\n\n## Recent incidents\n\n"
        + record_table(archive.postmortems[:limit], src)
        + "\n## Recent near-misses and weak signals\n\n"
        + record_table(archive.nearmisses[:limit], src)
    )


def prior_incidents_section(
    archive: Archive, groups: Groups, alerts: Sequence[str], src: str, limit: int = 5
) -> str:
    """The 'Prior incidents' section injected into a runbook that names its alerts."""
    parts = ["## Prior incidents\n"]
    for alert in alerts:
        records = groups.get("alerts", alert)
        link = rel_link(src, index_src("alerts", alert))
        parts.append(f"### {md_text(alert)}\n")
        parts.append(record_table(records[:limit], src))
        parts.append(
            f"\n[Every record of {md_text(alert)} ({len(records)}) and its cause classes]({link})\n"
        )
        classes = list(dict.fromkeys(c for r in records for c in r.cause_class))
        if classes:
            trend_links = ", ".join(
                f"[{md_text(c)}]({rel_link(src, index_src('classes', c))})" for c in classes
            )
            parts.append(
                f"Recurrence and risk rank of its classes: {trend_links} · "
                f"[risk register]({rel_link(src, 'risk-register.md')}) · "
                f"[trends]({rel_link(src, 'trends.md')})\n"
            )
    return "\n".join(parts)
