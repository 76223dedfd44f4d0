"""The alert page as a responder's page: the owner and its contact, one card per prior record
(newest first), what has worked, compact same-class lists; the same cards on runbooks and class
pages; the team page; the 404 page for an unknown alert. Built from a tiny archive whose records
carry mitigations and what was tried, and from the bundled example."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from markupsafe import escape

from pmarchive.analysis.grouping import group_records
from pmarchive.model.records import PostMortem, Tried
from pmarchive.site.index_pages import (
    IndexOptions,
    entity_page,
    not_found_context,
    prior_incidents_section,
)
from pmarchive.site.listing import (
    contact_or_link,
    minutes_to_mitigate,
    what_has_worked,
)
from pmarchive.site.templating import page_environment
from pmarchive.site.urls import site_linker

from .conftest import (
    BASE_NM,
    BASE_PM,
    RESTRICTED_ID,
    SECRET_TITLE,
    front_matter,
    write,
    write_mixed_archive,
    write_taxonomy,
)
from .hostile import EVERY_PAYLOAD, hostile, scan_site
from .sites import MKDOCS_YML, REPO, build_site, load_at

SECRET = "Zanzibar failover runbook"
"""Title and mitigation of a restricted record: no internal page may show either."""
HOSTILE_ID = "INC-2026-01-05-001"

TEAMS_YML = """\
teams:
  checkout: {title: Checkout, contact: "https://chat.example/checkout-oncall"}
  pricing: {title: Pricing, contact: "javascript:alert(1)"}
  sre: {title: SRE, contact: "#sre-oncall"}
"""

NOT_FOUND_HOOK = """\
from pmarchive.site.index_pages import not_found_context
from pmarchive.site.urls import site_linker


def on_template_context(context, template_name, config):
    # What plugin.py's on_template_context passes the 404 page.
    plugin = config.plugins["postmortems"]
    if template_name == "404.html" and plugin.generated is not None:
        linker = site_linker(config.use_directory_urls)
        context["pmarchive_404"] = not_found_context(plugin.generated.archive, linker)
    return context
"""

ONCALL_MKDOCS_YML = MKDOCS_YML + "hooks:\n  - hooks.py\n"


def incident(root: Path, record_id: str, **changes: str | None) -> None:
    day = record_id[4:14]
    stamps = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}
    write(
        root,
        f"postmortems/{record_id}.md",
        front_matter(BASE_PM, id=record_id, date=day, **{**stamps, **changes}),
    )


def write_oncall_archive(root: Path) -> Path:
    """HighErrorRate (owned by sre, contact #sre-oncall) with three incidents, a near-miss and
    a restricted incident; another alert's incident of the same class; a runbook page."""
    write_taxonomy(root)
    write(root, "taxonomy/teams.yml", TEAMS_YML)
    write(
        root,
        "taxonomy/alerts.yml",
        textwrap.dedent("""\
            alerts:
              HighErrorRate:
                summary: 5xx ratio above 2%
                runbook: /runbooks/high-error-rate/
                team: sre
                classes: [cache-stampede, retry-storm]
              Queue_Depth.High:
                summary: Queue depth above 10k
                team: checkout
                classes: [retry-storm]
            """),
    )
    incident(
        root,
        "INC-2026-01-10-001",
        sev="3",
        title="Checkout errors after a pricing deploy",
        summary="Pricing returned stale prices for ten minutes.",
        started_at="2026-01-10T14:05:00Z",
        mitigated_at="2026-01-10T14:15:00Z",
        mitigation="Rolled back the pricing deploy",
        teams="[checkout]",
        alerts="[HighErrorRate]",
    )
    incident(
        root,
        "INC-2026-02-15-001",
        sev="1",
        title="Every region returned errors during a cache stampede on the pricing tier",
        summary="A cache flush stampeded the pricing origin.",
        duration_min="125",
        mitigation="Failed over pricing to the warm replica",
        tried=(
            '[{action: Scaled pricing from 40 to 120 pods, helped: "no"},'
            " {action: Turned retries off in the storefront, helped: partly}]"
        ),
        cause_class="[cache-stampede, retry-storm]",
        teams="[sre]",
        alerts="[HighErrorRate]",
    )
    incident(
        root,
        "INC-2026-03-20-001",
        sev="2",
        title=SECRET,
        mitigation=f"{SECRET}, step 4",
        visibility="restricted",
        alerts="[HighErrorRate]",
    )
    incident(
        root,
        HOSTILE_ID,
        sev="2",
        title=hostile("Hostile mitigation"),
        mitigation=hostile("Restarted"),
        tried=f'[{{action: {hostile("Drained")}, helped: "yes"}}]',
        alerts="[HighErrorRate]",
    )
    incident(
        root,
        "INC-2026-03-01-001",
        sev="2",
        title="Queue backlog after a retry storm",
        mitigation="Paused the producers",
        cause_class="[retry-storm]",
        alerts="[Queue_Depth.High]",
    )
    write(
        root,
        "nearmisses/NM-2026-02-20-001.md",
        front_matter(
            BASE_NM,
            id="NM-2026-02-20-001",
            date="2026-02-20",
            title="Cache flush stopped by a canary",
            cause_class="[cache-stampede]",
            alerts="[HighErrorRate]",
        ),
    )
    write(
        root,
        "docs/runbooks/high-error-rate.md",
        "---\nalerts: [HighErrorRate]\n---\n\n# HighErrorRate runbook\n\nSteps.\n",
    )
    write(root, "hooks.py", NOT_FOUND_HOOK)
    return root


ALERT_ORDER = [
    "nm-2026-02-20-001",
    "inc-2026-02-15-001",
    "inc-2026-01-10-001",
    "inc-2026-01-05-001",
]
"""HighErrorRate's records in the internal build, newest first (the restricted one withheld)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_oncall_archive(tmp_path_factory.mktemp("oncall"))
    return build_site(root, ONCALL_MKDOCS_YML)


def article(site: Path, page: str) -> str:
    html = (site / page / "index.html").read_text()
    return html[html.index("<article") : html.index("</article>")]


def section(html: str, heading_id: str) -> str:
    """From the h2 with ``heading_id`` to the next h2."""
    start = html.index(f'<h2 id="{heading_id}"')
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else len(html)]


CARD = re.compile(r'<span class="pm-card ([^"]*)">(.*?)</span></p>', re.S)


def cards(html: str) -> list[tuple[str, str]]:
    """(classes, inner HTML) of each card, in page order."""
    return CARD.findall(html)


def card_id(inner: str) -> str:
    return re.findall(r'href="[^"]*/((?:inc|nm)-[0-9-]+)/"', inner)[-1]


# --- the alert page -----------------------------------------------------------------------


def test_alert_page_opens_with_owner_contact_and_runbook_before_the_cards(site: Path) -> None:
    html = article(site, "alerts/higherrorrate")
    owner = html.index('href="../../teams/sre/"')
    contact = html.index("#sre-oncall")
    runbook = html.index('href="../../runbooks/high-error-rate/"')
    first_card = html.index('class="pm-card ')
    assert owner < contact < runbook < first_card
    # a chat channel is text, not a link to a fragment of this page
    assert 'href="#sre-oncall"' not in html


def test_alert_page_has_one_card_per_record_newest_first(site: Path) -> None:
    html = section(article(site, "alerts/higherrorrate"), "prior-records-newest-first")
    found = cards(html)
    assert [card_id(inner) for _, inner in found] == ALERT_ORDER


@pytest.mark.parametrize(
    ("record", "marked", "expected", "absent"),
    [
        (
            "inc-2026-02-15-001",
            True,
            [
                '<span class="pm-card-sev">SEV-1</span> 2026-02-15',
                "mitigated in 2 h 5 min",
                ">Every region returned errors during a cache stampede on the pricing tier</a>",
                "A cache flush stampeded the pricing origin.",
                "<strong>What ended it:</strong> Failed over pricing to the warm replica",
                ">INC-2026-02-15-001</a>",
            ],
            [],
        ),
        (
            "inc-2026-01-10-001",
            False,
            [
                '<span class="pm-card-sev">SEV-3</span> 2026-01-10',
                "mitigated in 10 min",  # from mitigated_at - started_at
                "<strong>What ended it:</strong> Rolled back the pricing deploy",
            ],
            [],
        ),
        (
            "nm-2026-02-20-001",
            False,
            ['<span class="pm-card-sev">near-miss</span> 2026-02-20', ">Cache flush stopped by"],
            ["What ended it", "mitigated in"],
        ),
    ],
)
def test_card_contents(
    site: Path, record: str, marked: bool, expected: list[str], absent: list[str]
) -> None:
    html = article(site, "alerts/higherrorrate")
    classes, inner = next(c for c in cards(html) if card_id(c[1]) == record)
    assert ("pm-card-major" in classes.split()) is marked
    for text in expected:
        assert text in inner, text
    for text in absent:
        assert text not in inner, text


def test_what_has_worked_lists_mitigations_and_helpful_steps_newest_first(site: Path) -> None:
    html = section(article(site, "alerts/higherrorrate"), "what-has-worked-for-this-alert")
    items = re.findall(r'<li>(.*?) \(<em>(.*?)</em>, <a href="([^"]*)">(.*?)</a>\)</li>', html)
    assert [(action, outcome, text) for action, outcome, _, text in items[:3]] == [
        ("Failed over pricing to the warm replica", "ended it", "2026-02-15 · SEV-1"),
        ("Turned retries off in the storefront", "partly helped", "2026-02-15 · SEV-1"),
        ("Rolled back the pricing deploy", "ended it", "2026-01-10 · SEV-3"),
    ]
    assert items[0][2] == "../../postmortems/inc-2026-02-15-001/"
    assert items[2][2] == "../../postmortems/inc-2026-01-10-001/"
    assert "Scaled pricing" not in html  # tried, did not help


def test_same_class_records_of_other_alerts_are_compact_lists(site: Path) -> None:
    html = section(article(site, "alerts/higherrorrate"), "same-cause-class-other-alerts")
    assert "<table" not in html
    line = (
        '<li>2026-03-01 · SEV-2 · <a href="../../postmortems/inc-2026-03-01-001/">'
        "Queue backlog after a retry storm</a></li>"
    )
    assert line in html


@pytest.mark.parametrize(
    "page",
    [
        "alerts/higherrorrate",
        "runbooks/high-error-rate",
        "classes/cache-stampede",
        "teams/checkout",
        "search",
        "",
    ],
)
def test_a_withheld_record_is_in_no_card_and_nothing_that_worked(site: Path, page: str) -> None:
    html = (site / page / "index.html").read_text()
    assert SECRET not in html
    assert "inc-2026-03-20-001" not in html.lower()


def test_hostile_mitigation_and_steps_stay_text(site: Path) -> None:
    html = article(site, "alerts/higherrorrate")
    _, inner = next(c for c in cards(html) if card_id(c[1]) == HOSTILE_ID.lower())
    assert "Restarted" in inner and "&lt;/title&gt;&lt;script&gt;" in inner
    worked = section(html, "what-has-worked-for-this-alert")
    assert "Drained" in worked and "&lt;/title&gt;&lt;script&gt;" in worked
    for markup in ("<script>window", "<img", "<svg", 'href="javascript'):
        assert markup not in html, markup


def test_no_page_of_the_oncall_site_can_run_script(site: Path) -> None:
    pages, problems = scan_site(site)
    assert pages >= 20
    assert problems == []
    assert EVERY_PAYLOAD  # the payloads the scanner looks for are the ones planted


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_cards_and_what_has_worked_hold_only_the_audiences_records(
    archive_root: Path, audience: str
) -> None:
    write_mixed_archive(archive_root)  # public and restricted incidents of HighErrorRate
    write(
        archive_root,
        "docs/runbooks/high-error-rate.md",
        "---\nalerts: [HighErrorRate]\n---\n\n# Runbook\n\nSteps.\n",
    )
    yml = MKDOCS_YML.replace(
        'today: "2026-11-24"\n', f'today: "2026-11-24"\n      audience: {audience}\n'
    )
    site = build_site(archive_root, yml)
    alert = article(site, "alerts/higherrorrate")
    assert [card_id(inner) for _, inner in cards(alert)] == ["inc-2026-05-29-001"]
    worked = section(alert, "what-has-worked-for-this-alert")
    assert re.findall(r'href="[^"]*/((?:inc|nm)-[0-9-]+)/"', worked) == ["inc-2026-05-29-001"]
    for page in ("alerts/higherrorrate", "runbooks/high-error-rate", "classes/cache-stampede"):
        html = (site / page / "index.html").read_text()
        assert SECRET_TITLE not in html and RESTRICTED_ID.lower() not in html.lower(), page
        if audience == "public":  # the internal near-miss is withheld too
            assert "nm-2026-06-02-001" not in html, page


def test_a_long_alert_history_continues_on_numbered_pages(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmarchive.site.listing.PAGE_SIZE", 2)
    for day in range(1, 4):
        incident(archive_root, f"INC-2026-01-0{day}-001", alerts="[HighErrorRate]")
    site = build_site(archive_root)  # strict: the pager's links resolve
    first = article(site, "alerts/higherrorrate")
    assert [card_id(inner) for _, inner in cards(first)] == [
        "inc-2026-01-03-001",
        "inc-2026-01-02-001",
    ]
    assert re.search(r'More records \(newest first\): <strong>1</strong> <a href="2/">2</a>', first)
    assert "inc-2026-01-01-001" in article(site, "alerts/higherrorrate/2")


# --- the same cards elsewhere -----------------------------------------------------------------


def test_runbook_prior_incidents_are_the_alert_cards(site: Path) -> None:
    html = section(article(site, "runbooks/high-error-rate"), "prior-incidents")
    assert [card_id(inner) for _, inner in cards(html)] == ALERT_ORDER
    assert "<strong>What ended it:</strong> Failed over pricing to the warm replica" in html
    assert "<table" not in html


def test_class_page_shows_its_newest_records_as_cards_above_the_listing(site: Path) -> None:
    html = article(site, "classes/cache-stampede")
    recent = section(html, "most-recent")
    assert [card_id(inner) for _, inner in cards(recent)] == [
        "nm-2026-02-20-001",
        "inc-2026-02-15-001",
        "inc-2026-01-10-001",
        "inc-2026-01-05-001",
    ]
    assert html.index('id="most-recent"') < html.index('id="incidents"')


@pytest.mark.parametrize(
    ("kind", "key", "src"),
    [
        ("alerts", "HighErrorRate", "alerts/higherrorrate.md"),
        ("classes", "cache-stampede", "classes/cache-stampede.md"),
        ("runbook", "HighErrorRate", "runbooks/high-error-rate.md"),
    ],
)
def test_an_override_of_the_card_template_serves_every_page_with_cards(
    tmp_path: Path, kind: str, key: str, src: str
) -> None:
    archive = load_at(write_oncall_archive(tmp_path / "archive"))
    groups = group_records(archive.records)
    ours = "{% macro card(c) %}Our card: {{ c.title.text }} / {{ c.mitigation }}{% endmacro %}"
    ours += "{% macro card_list(items) %}{% for c in items %}<p>{{ card(c) }}</p>\n{% endfor %}"
    ours += "{% endmacro %}{% macro worked_list(items) %}{% endmacro %}"
    write(tmp_path, "overrides/pmarchive/cards.html", ours)
    env = page_environment([tmp_path / "overrides"])
    if kind == "runbook":
        text = prior_incidents_section(archive, groups, [key], src, env=env)
    else:
        text = entity_page(archive, groups, kind, key, IndexOptions(), env=env)[src]
    assert "Our card: Every region returned errors" in text
    assert "/ Failed over pricing to the warm replica" in text
    assert "pm-card-meta" not in text
    hostile_card = next(line for line in text.splitlines() if "Hostile mitigation" in line)
    assert "&lt;/title&gt;&lt;script&gt;" in hostile_card and "<script>" not in hostile_card


# --- the team page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("team", "contact", "alerts", "services"),
    [
        ("sre", "<strong>On call:</strong> #sre-oncall</p>", ["higherrorrate"], []),
        (
            "checkout",
            '<strong>On call:</strong> <a href="https://chat.example/checkout-oncall" '
            'rel="noopener noreferrer">https://chat.example/checkout-oncall</a>',
            ["queue-depth-high"],
            [],
        ),
        ("pricing", "<strong>On call:</strong> javascript:alert(1)</p>", [], ["pricing-svc"]),
    ],
)
def test_team_page_shows_contact_and_what_it_owns(
    site: Path, team: str, contact: str, alerts: list[str], services: list[str]
) -> None:
    html = article(site, f"teams/{team}")
    assert contact in html
    assert 'href="javascript' not in html
    owned = re.findall(r'href="../../(alerts|services)/([^/"]+)/"', html.split("<h2", 1)[0])
    assert [key for kind, key in owned if kind == "alerts"] == alerts
    assert [key for kind, key in owned if kind == "services"] == services


# --- the 404 page -------------------------------------------------------------------------------


def test_404_lists_every_alert_with_root_links_and_loads_its_script(site: Path) -> None:
    html = (site / "404.html").read_text()
    assert '<a href="/alerts/higherrorrate/">HighErrorRate</a>: 5xx ratio above 2%' in html
    assert '<li data-slug="queue-depth-high"><a href="/alerts/queue-depth-high/">' in html
    assert 'data-search="/search/"' in html
    assert '<script src="/assets/pmarchive/notfound.js"></script>' in html
    assert (site / "assets/pmarchive/notfound.js").is_file()
    assert re.search(r"<script>(?!\s*</script>)", html) is None  # no inline script


@pytest.mark.parametrize(
    ("extra", "alert_href", "search"),
    [
        ("use_directory_urls: false\n", "/alerts/higherrorrate.html", "/search.html"),
        (
            "site_url: https://example.org/archive/\n",
            "/archive/alerts/higherrorrate/",
            "/archive/search/",
        ),
    ],
)
def test_404_links_follow_the_url_mode_and_site_path(
    tmp_path: Path, extra: str, alert_href: str, search: str
) -> None:
    root = write_oncall_archive(tmp_path)
    html = (build_site(root, ONCALL_MKDOCS_YML + extra) / "404.html").read_text()
    assert f'<a href="{alert_href}">HighErrorRate</a>' in html
    assert f'data-search="{search}"' in html


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#sre-oncall", r"\#sre\-oncall"),
        ("sre@example.com", "sre@example.com"),
        (
            "mailto:sre@example.com",
            '<a href="mailto:sre@example.com" rel="noopener noreferrer">mailto:sre@example.com</a>',
        ),
        (
            "https://chat.example/c?a=1&b=2",
            '<a href="https://chat.example/c?a=1&amp;b=2" rel="noopener noreferrer">'
            "https://chat.example/c?a=1&amp;b=2</a>",
        ),
        ("javascript:alert(1)", r"javascript:alert\(1\)"),
        ("//evil.example/x", r"//evil.example/x"),
        ("<b>on call</b>", "&lt;b&gt;on call&lt;/b&gt;"),
    ],
)
def test_contact_or_link(value: str, expected: str) -> None:
    assert str(contact_or_link(value)) == expected


def _pm(**changes: object) -> PostMortem:
    base = PostMortem(
        id="INC-2026-01-01-001",
        title="t",
        date=dt.date(2026, 1, 1),
        cause_class=("cache-stampede",),
        path="postmortems/INC-2026-01-01-001.md",
        status="final",
        sev=2,
        detection="alert",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


STAMP = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("changes", "minutes"),
    [
        ({}, None),
        ({"duration_min": 42.0}, 42.0),
        ({"started_at": STAMP, "mitigated_at": STAMP + dt.timedelta(minutes=90)}, 90.0),
        ({"started_at": STAMP}, None),
        (
            {
                "duration_min": 5.0,
                "started_at": STAMP,
                "mitigated_at": STAMP + dt.timedelta(minutes=90),
            },
            5.0,
        ),
    ],
)
def test_minutes_to_mitigate(changes: dict[str, object], minutes: float | None) -> None:
    assert minutes_to_mitigate(_pm(**changes)) == minutes


def test_what_has_worked_keeps_record_order_and_skips_what_did_not_help() -> None:
    newer = _pm(
        id="INC-2026-02-01-001",
        mitigation="",
        tried=(Tried("A", "no"), Tried("B", "yes"), Tried("C", "partly")),
    )
    older = _pm(mitigation="Rolled back", tried=(Tried("D", "yes"),))
    worked = what_has_worked([newer, older], "alerts/x.md", site_linker(False))
    assert [(w.action, str(w.outcome)) for w in worked] == [
        ("B", "helped"),
        ("C", "partly helped"),
        ("Rolled back", "ended it"),
        ("D", "helped"),
    ]
    assert worked[0].record.href == "../postmortems/inc-2026-02-01-001.html"


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_not_found_context_lists_taxonomy_alerts_in_the_url_mode(
    tmp_path: Path, use_directory_urls: bool
) -> None:
    archive = load_at(write_oncall_archive(tmp_path))
    seen = not_found_context(archive, site_linker(use_directory_urls))
    assert [a.name for a in seen.alerts] == ["HighErrorRate", "Queue_Depth.High"]
    suffix = "/" if use_directory_urls else ".html"
    assert [a.url for a in seen.alerts] == [
        f"alerts/higherrorrate{suffix}",
        f"alerts/queue-depth-high{suffix}",
    ]
    assert seen.search == ("search/" if use_directory_urls else "search.html")


# --- the example archive ------------------------------------------------------------------------


def test_example_alert_page_has_a_card_for_every_record_of_the_alert_newest_first() -> None:
    archive = load_at(REPO)
    groups = group_records(archive.records)
    records = groups.get("alerts", "HighErrorRate")
    page = entity_page(archive, groups, "alerts", "HighErrorRate", IndexOptions())
    text = page["alerts/higherrorrate.md"]
    start = text.index("## Prior records, newest first")
    listed = text[start : text.index("\n## ", start + 1)]
    paragraphs = [p for p in listed.splitlines() if p.startswith('<p><span class="pm-card ')]
    ids = [
        re.findall(r'<span class="pm-card-link"><a href="[^"]*">(.*?)</a>', p)[0]
        for p in paragraphs
    ]
    assert ids == [r.id for r in records]
    assert len(records) >= 5
    newest = next(r for r in records if isinstance(r, PostMortem))
    assert newest.mitigation  # the example writes down what ended each incident
    card = paragraphs[records.index(newest)]
    assert f"<strong>What ended it:</strong> {escape(newest.mitigation)}</span>" in card
    owner = text.index("**Owner:**")
    assert owner < text.index("**On call:** \\#sre\\-oncall") < start
