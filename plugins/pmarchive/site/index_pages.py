"""Compose every index page of the site (Markdown keyed by source path) from an archive.

Each page renders from a template in ``templates/pmarchive/pages/`` (a site's ``overrides/``
can replace any of them); this module builds their context: plain values, which the template
escapes as it prints them, and ready fragments (links, the trend sections). Record tables and
cards are HTML, rendered here (``records_table.html``, ``cards.html``) and placed through a
``Fragments``: as a placeholder line the plugin replaces after Markdown, or written in.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from pmarchive.analysis.grouping import INDEX_KINDS, Groups, group_records
from pmarchive.ingest.archive import Archive
from pmarchive.ingest.runbooks import page_candidates
from pmarchive.model.records import AnyRecord
from pmarchive.site.listing import (
    Counts,
    Link,
    contact_or_link,
    counts,
    index_src,
    iso_date,
    link,
    md_text,
    pager_links,
    paginate,
    record_cards,
    record_rows,
    rel_link,
    slug,
    split_listing,
    what_has_worked,
)
from pmarchive.site.safety import safe_url
from pmarchive.site.templating import (
    DEFAULT_ENVIRONMENT,
    Fragments,
    fragment,
    render_html,
    render_macro,
    render_page,
)
from pmarchive.site.trend_pages import TrendContext, alert_section, class_section
from pmarchive.site.urls import DIRECTORY_URLS, Linker, site_path

SAME_CLASS_LIMIT = 20
CLASS_CARDS = 5
PRIOR_CARDS = 5


@dataclass(frozen=True)
class IndexOptions:
    same_class_limit: int = SAME_CLASS_LIMIT
    """How many 'same class, different alert' records an alert page shows per class."""
    doc_pages: frozenset[str] | None = None
    """Source paths of the site's own pages; runbooks found there get checked links."""
    class_cards: int = CLASS_CARDS
    """How many of its newest records a class page shows as cards above its full listing."""


def entity_keys(archive: Archive, groups: Groups, kind: str) -> list[str]:
    """Every key that gets a page: the whole taxonomy vocabulary plus keys records use."""
    tax = archive.taxonomy
    vocabulary: dict[str, list[str]] = {
        "classes": list(tax.classes),
        "factors": list(tax.factors),
        "teams": list(tax.teams),
        "services": list(tax.services),
        "alerts": list(tax.alerts),
        "gaps": list(tax.gaps),
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


def url_from(src: str) -> Callable[[str], Markup]:
    """``url(target_src)`` in a template: a relative link from page ``src`` to a source path."""
    return lambda target: fragment(rel_link(src, str(target)))


INLINE = Fragments()
"""Fragments written into the Markdown, links in directory URLs: for callers that want whole
Markdown pages."""


def record_table(
    records: Sequence[AnyRecord],
    src: str,
    *,
    compact: bool = False,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> Markup:
    """The record table (HTML template ``records_table.html``) of page ``src``, as its Markdown
    holds it (``fragments``); ``compact``: one line per record (date, SEV, linked title), which
    a phone shows whole."""
    rows = record_rows(records, src, fragments.linker)
    return fragments.place(src, render_html(env, "records_table", rows=rows, compact=compact))


def card_list(
    records: Sequence[AnyRecord],
    src: str,
    *,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> Markup:
    """One card per record (macro ``card_list`` of ``cards.html``) on page ``src``; empty
    without records (a template tests it with ``{% if cards %}``)."""
    if not records:
        return Markup("")
    cards = record_cards(records, src, fragments.linker)
    return fragments.place(src, render_macro(env, "cards", "card_list", cards))


def worked_list(
    records: Sequence[AnyRecord],
    src: str,
    *,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> Markup:
    """What has worked for ``records`` (macro ``worked_list`` of ``cards.html``); empty when
    nothing has."""
    worked = what_has_worked(records, src, fragments.linker)
    if not worked:
        return Markup("")
    return fragments.place(src, render_macro(env, "cards", "worked_list", worked))


def _listing(
    records: Sequence[AnyRecord],
    kind: str,
    key: str,
    number: int,
    total: int,
    env: jinja2.Environment,
    fragments: Fragments,
) -> dict[str, Any]:
    """What ``listing.md`` prints: one numbered page's two tables and the pager."""
    src = index_src(kind, key, number)
    incidents, nearmisses = split_listing(records)
    return {
        "incidents": record_table(incidents, src, env=env, fragments=fragments),
        "nearmisses": record_table(nearmisses, src, env=env, fragments=fragments),
        "pager": pager_links(kind, key, number, total),
    }


def _tally(src: str, section: str, counter: Counter[str]) -> list[tuple[Link, int]]:
    return [(link(src, name, index_src(section, name)), n) for name, n in counter.most_common()]


def _class_context(
    archive: Archive,
    key: str,
    records: Sequence[AnyRecord],
    src: str,
    options: IndexOptions,
    env: jinja2.Environment,
    fragments: Fragments,
) -> dict[str, Any]:
    """What ``class.md`` adds to an entity page: the taxonomy entry, related factors and alerts,
    and its newest records as cards."""
    cls = archive.taxonomy.classes.get(key)
    newest = records[: options.class_cards]
    return {
        "cards": card_list(newest, src, env=env, fragments=fragments),
        "in_taxonomy": cls is not None,
        "description": cls.description if cls else "",
        "candidate_fix": cls.candidate_fix if cls else "",
        "fix_status": cls.fix_status if cls else "",
        "fix_landed": iso_date(cls.fix_landed) if cls and cls.fix_landed else None,
        "aliases": list(cls.aliases) if cls else [],
        "factors": _tally(
            src, "factors", Counter(f for r in records for f in r.contributing_factors)
        ),
        "alerts": _tally(src, "alerts", Counter(a for r in records for a in r.alerts)),
    }


def alert_classes(archive: Archive, key: str, records: Sequence[AnyRecord]) -> list[str]:
    """The classes an alert's records had; its usual classes while it has no history."""
    classes = list(dict.fromkeys(c for r in records for c in r.cause_class))
    alert = archive.taxonomy.alerts.get(key)
    if not classes and alert is not None:
        classes = list(alert.classes)
    return classes


@dataclass(frozen=True)
class SameClass:
    """On an alert page: the records of one of its classes that this alert did not catch."""

    name: str
    listing: Markup
    """At most ``IndexOptions.same_class_limit`` of them, newest first, one line each."""
    total: int
    """Every record of the class, this alert's included."""
    href: Markup
    """The class's page."""


def _alert_context(
    archive: Archive,
    groups: Groups,
    key: str,
    records: Sequence[AnyRecord],
    src: str,
    options: IndexOptions,
    env: jinja2.Environment,
    fragments: Fragments,
) -> dict[str, Any]:
    """What ``alert.md`` adds to an entity page: the owner and its contact, runbook, summary,
    one card per record of the first listing page, what has worked, same-class records."""
    alert = archive.taxonomy.alerts.get(key)
    team = archive.taxonomy.teams.get(alert.team) if alert and alert.team else None
    shown = paginate(records)[0]
    same_class = []
    for cls in alert_classes(archive, key, records):
        everything = groups.get("classes", cls)
        others = [r for r in everything if key not in r.alerts]
        same_class.append(
            SameClass(
                name=cls,
                listing=record_table(
                    others[: options.same_class_limit],
                    src,
                    compact=True,
                    env=env,
                    fragments=fragments,
                ),
                total=len(everything),
                href=fragment(rel_link(src, index_src("classes", cls))),
            )
        )
    return {
        "summary": alert.summary if alert else "",
        "runbook": _runbook_link(src, alert.runbook, options) if alert and alert.runbook else None,
        "owner": link(src, alert.team, index_src("teams", alert.team))
        if alert and alert.team
        else None,
        "contact": contact_or_link(team.contact) if team and team.contact else None,
        "cards": card_list(shown, src, env=env, fragments=fragments),
        "worked": worked_list(shown, src, env=env, fragments=fragments),
        "no_history": not records,
        "same_class": same_class,
    }


def _runbook_link(src: str, url: str, options: IndexOptions) -> Markup:
    """A runbook in this site links to its source page (MkDocs checks it); others stay URLs."""
    if "://" not in url:
        known = options.doc_pages
        page = next((p for p in page_candidates(url) if known is None or p in known), None)
        if page is not None:
            return fragment(f"[{md_text(url)}]({rel_link(src, page)})")
    # Only http(s) runbooks elsewhere become links; anything else (javascript:, data:, a
    # scheme-relative //host) is shown as text.
    target = safe_url(url) if "://" in url else None
    if target is not None and target.lower().startswith(("http://", "https://")):
        href = html.escape(target, quote=True)
        return fragment(f'<a href="{href}" rel="noopener noreferrer">{md_text(url)}</a>')
    return fragment(f"<code>{html.escape(url)}</code>")


@dataclass(frozen=True)
class TeamInfo:
    """What a team page shows above its listing: how to reach the team and what it owns."""

    contact: Markup | None
    """Its on-call contact: a link when it is an http(s) or mailto URL, else text."""
    alerts: list[Link]
    """Alerts it owns (taxonomy/alerts.yml ``team``)."""
    services: list[Link]
    """Services it owns (taxonomy/services.yml ``team``)."""


def team_info(archive: Archive, key: str, src: str) -> TeamInfo:
    tax = archive.taxonomy
    team = tax.teams.get(key)
    return TeamInfo(
        contact=contact_or_link(team.contact) if team and team.contact else None,
        alerts=[
            link(src, name, index_src("alerts", name))
            for name, alert in sorted(tax.alerts.items())
            if alert.team == key
        ],
        services=[
            link(src, name, index_src("services", name))
            for name, service in sorted(tax.services.items())
            if service.team == key
        ],
    )


ENTITY_TEMPLATES = {"classes": "class", "alerts": "alert"}
"""The page template of a key of each kind; the other kinds use ``index_entity``."""


def entity_page(
    archive: Archive,
    groups: Groups,
    kind: str,
    key: str,
    options: IndexOptions,
    trends: TrendContext | None = None,
    *,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> dict[str, str]:
    """The page of one key, and its numbered continuation pages when the listing is long; their
    record tables and cards placed through ``fragments``."""
    spec = INDEX_KINDS[kind]
    records = groups.get(kind, key)
    src = index_src(kind, key)
    chunks = paginate(records)
    common: dict[str, Any] = {
        "kind": kind,
        "key": key,
        "title": entity_title(archive, kind, key),
        "label": spec.label,
        "plural": spec.plural,
    }
    context: dict[str, Any] = {
        **common,
        **_listing(chunks[0], kind, key, 1, len(chunks), env, fragments),
        "counts": counts(records),
        "overview": fragment(rel_link(src, index_src(kind))),
        "trends": None,
        "team": team_info(archive, key, src) if kind == "teams" else None,
        "url": url_from(src),
    }
    if kind == "classes":
        context.update(_class_context(archive, key, records, src, options, env, fragments))
        if trends is not None and key in archive.taxonomy.classes:
            context["trends"] = fragment(class_section(trends, key, src))
    if kind == "alerts":
        context.update(_alert_context(archive, groups, key, records, src, options, env, fragments))
        if trends is not None:
            section = alert_section(trends, alert_classes(archive, key, records), src)
            context["trends"] = fragment(section)
    pages = {src: render_page(env, ENTITY_TEMPLATES.get(kind, "index_entity"), **context)}
    for number, chunk in enumerate(chunks[1:], start=2):
        page_src = index_src(kind, key, number)
        pages[page_src] = render_page(
            env,
            "index_continued",
            **common,
            **_listing(chunk, kind, key, number, len(chunks), env, fragments),
            number=number,
            back=fragment(rel_link(page_src, src)),
            url=url_from(page_src),
        )
    for page_src, markdown in pages.items():
        fragments.printed(page_src, markdown)
    return pages


@dataclass(frozen=True)
class OverviewRow:
    """One key on its index's overview page."""

    link: Link
    """The key's title, linking to its page."""
    counts: Counts
    fix_status: str
    """Cause classes only (empty for a class not in the taxonomy)."""
    owner: str
    """Alerts only: the owning team (empty when none)."""


def overview_page(
    archive: Archive, groups: Groups, kind: str, *, env: jinja2.Environment = DEFAULT_ENVIRONMENT
) -> str:
    spec = INDEX_KINDS[kind]
    src = index_src(kind)
    keys = entity_keys(archive, groups, kind)
    tax = archive.taxonomy
    rows = [
        OverviewRow(
            link=link(src, entity_title(archive, kind, key), index_src(kind, key)),
            counts=counts(groups.get(kind, key)),
            fix_status=tax.classes[key].fix_status if key in tax.classes else "",
            owner=tax.alerts[key].team if key in tax.alerts else "",
        )
        for key in keys
    ]
    return render_page(
        env,
        "index_overview",
        kind=kind,
        label=spec.label,
        plural=spec.plural,
        count=len(keys),
        rows=rows,
        withheld=archive.withheld,
        audience=archive.audience,
        url=url_from(src),
    )


def withheld_note(archive: Archive, *, env: jinja2.Environment = DEFAULT_ENVIRONMENT) -> str:
    """Aggregates say how many records this audience does not see (``withheld.md``), after a
    space; empty when the audience sees every record."""
    note = render_page(env, "withheld", withheld=archive.withheld, audience=archive.audience)
    return " " + note if note else ""


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
    *,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> dict[str, str]:
    """Every generated index page: overview and key pages of each kind, by source path.

    With ``trends``, class pages carry their recurrence chart and risk rank, and alert pages
    the recurrence of their classes. ``env`` finds the page templates (the site's custom_dir
    first). Record tables and cards go through ``fragments``: written into the Markdown by
    default, placeholders the plugin fills with a deferred ``Fragments``.
    """
    options = options or IndexOptions()
    groups = groups if groups is not None else group_records(archive.records)
    pages: dict[str, str] = {}
    for kind in INDEX_KINDS:
        pages[index_src(kind)] = overview_page(archive, groups, kind, env=env)
        for key in entity_keys(archive, groups, kind):
            pages.update(
                entity_page(
                    archive, groups, kind, key, options, trends, env=env, fragments=fragments
                )
            )
    return pages


def recent_section(
    archive: Archive,
    src: str = "index.md",
    limit: int = 10,
    *,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> str:
    """The home page's generated part (``recent.md``): newest incidents and near-misses, and
    where to go next. The tables are written into the Markdown by default: it goes into a
    hand-written page."""
    markdown = render_page(
        env,
        "recent",
        postmortems=record_table(archive.postmortems[:limit], src, env=env, fragments=fragments),
        nearmisses=record_table(archive.nearmisses[:limit], src, env=env, fragments=fragments),
        withheld=archive.withheld,
        audience=archive.audience,
        url=url_from(src),
    )
    fragments.printed(src, markdown)
    return markdown


@dataclass(frozen=True)
class PriorAlert:
    """One alert of a runbook's 'Prior incidents' section."""

    name: str
    cards: Markup
    """Its newest records, one card each (empty without records)."""
    table: Markup
    """The same records as a record table, for an override that prefers one."""
    total: int
    href: Markup
    """The alert's page."""
    classes: list[Link]
    """The cause classes of its records, linking to their pages (recurrence, risk rank)."""


def prior_incidents_section(
    archive: Archive,
    groups: Groups,
    alerts: Sequence[str],
    src: str,
    limit: int = PRIOR_CARDS,
    *,
    env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    fragments: Fragments = INLINE,
) -> str:
    """The 'Prior incidents' section (``prior_incidents.md``) added to a runbook that names its
    alerts: the newest ``limit`` records of each, as cards (written into the Markdown by
    default: it goes into a hand-written page)."""
    sections = []
    for alert in alerts:
        records = groups.get("alerts", alert)
        classes = dict.fromkeys(c for r in records for c in r.cause_class)
        sections.append(
            PriorAlert(
                name=alert,
                cards=card_list(records[:limit], src, env=env, fragments=fragments),
                table=record_table(records[:limit], src, env=env, fragments=fragments),
                total=len(records),
                href=fragment(rel_link(src, index_src("alerts", alert))),
                classes=[link(src, c, index_src("classes", c)) for c in classes],
            )
        )
    markdown = render_page(env, "prior_incidents", alerts=sections, url=url_from(src))
    fragments.printed(src, markdown)
    return markdown


@dataclass(frozen=True)
class KnownAlert:
    """An alert the 404 page offers (``theme/404.html``)."""

    name: str
    slug: str
    """Its URL segment: notfound.js matches a mistyped /alerts/<name>/ against it."""
    url: str
    """Its page, relative to the site root (the 404 page prefixes ``base_url``)."""
    summary: str


@dataclass(frozen=True)
class NotFound:
    """What the site's 404 page shows (``theme/404.html``, as ``pmarchive_404``): a search for
    the alert named in a missing /alerts/<name>/ URL, and every alert that has a page."""

    search: str
    """The search page, relative to the site root."""
    alerts: list[KnownAlert]


def not_found_context(archive: Archive, linker: Linker = DIRECTORY_URLS) -> NotFound:
    """The 404 page's data, with URLs in the build's URL mode (``linker``). Taxonomy only: an
    alert's page exists in every audience's build, whatever records it lists."""

    def from_root(src: str) -> str:
        return linker("index.md", src).removeprefix("./")

    return NotFound(
        search=from_root("search.md"),
        alerts=[
            KnownAlert(
                name=name,
                slug=slug(name),
                url=from_root(index_src("alerts", name)),
                summary=alert.summary,
            )
            for name, alert in sorted(archive.taxonomy.alerts.items(), key=lambda i: i[0].lower())
        ],
    )
