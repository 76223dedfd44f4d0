"""Real-browser smoke test of the example archive: home page and an incident page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.options import archive_config, plugin_options
from pmarchive.model.records import PostMortem
from pmarchive.search.server import create_app

from .browser import chromium, serve_app, serve_directory, watch
from .sites import build_config, copy_example

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example archive, so the build and its search index never write into the
    checkout (the index goes under the config file's folder)."""
    return copy_example(tmp_path_factory.mktemp("example-archive"))


def index_dir(root: Path) -> Path:
    options = plugin_options(root / "mkdocs.yml")
    return root / str(options.get("search_index_dir", ".pmarchive/search-index")) / "internal"


@pytest.fixture(scope="module")
def example_site_dir(tmp_path_factory: pytest.TempPathFactory, example_root: Path) -> Path:
    site_dir = tmp_path_factory.mktemp("example-site")
    build_config(example_root / "mkdocs.yml", site_dir)
    assert index_dir(example_root).is_dir()  # the index is built in the copy
    return site_dir


@pytest.fixture(scope="module")
def example_site(example_site_dir: Path) -> Iterator[str]:
    """The static site alone, as a plain web server (or GitHub Pages) would serve it."""
    with serve_directory(example_site_dir) as base:
        yield base


@pytest.fixture(scope="module")
def served_with_api(example_site_dir: Path, example_root: Path) -> Iterator[str]:
    """The site with the search API, as `pmarchive serve` runs it."""
    with serve_app(create_app(example_site_dir, index_dir(example_root))) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


def example_archive(root: Path) -> Archive:
    archive = load_archive(archive_config(root, plugin_options(root / "mkdocs.yml")))
    assert archive.errors == []
    return archive


def example_incident(root: Path) -> PostMortem:
    with_items = [
        pm for pm in example_archive(root).postmortems if pm.action_items and pm.started_at
    ]
    return with_items[0]


def test_home_page_loads_offline(browser: Browser, example_site: str) -> None:
    page = browser.new_page()
    watched = watch(page, example_site)
    response = page.goto(example_site)
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    assert "Post-mortem archive" in page.title()
    watched.assert_clean()


def test_incident_page_header_block(
    browser: Browser, example_site: str, example_root: Path
) -> None:
    incident = example_incident(example_root)
    page = browser.new_page()
    watched = watch(page, example_site)
    response = page.goto(example_site + incident.url)
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    header = page.locator(".pm-header")
    assert header.locator(".pm-title").inner_text() == incident.title
    assert header.locator('[data-field="sev"]').inner_text().startswith(f"SEV-{incident.sev}")
    assert header.locator('[data-field="status"]').inner_text() == incident.status
    assert header.locator('[data-field="date"]').inner_text() == incident.date.isoformat()
    classes = header.locator('[data-field="cause_class"] .pm-tag').all_inner_texts()
    assert classes == list(incident.cause_class)
    rows = header.locator('[data-field="action_items"] tbody tr')
    assert rows.count() == len(incident.action_items)
    assert incident.id in page.title()
    watched.assert_clean()


def test_alert_page_to_every_prior_incident_and_class(
    browser: Browser, example_site: str, example_root: Path
) -> None:
    archive = load_archive(
        archive_config(example_root, plugin_options(example_root / "mkdocs.yml"))
    )
    alert = "HighErrorRate"
    expected = {r.id for r in archive.records if alert in r.alerts}
    page = browser.new_page()
    watched = watch(page, example_site)
    page.goto(example_site + "alerts/higherrorrate/")
    own = page.locator("article h2#same-cause-class-other-alerts").evaluate(
        """(stop) => {
            const ids = [];
            for (const a of document.querySelectorAll("article a")) {
                if (stop.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING) break;
                if (/^(INC|NM)-/.test(a.textContent)) ids.push(a.textContent);
            }
            return ids;
        }"""
    )
    assert set(own) == expected and len(own) == len(expected)
    # one click further: the class page holds every record of the class
    cls = next(r for r in archive.records if alert in r.alerts).cause_class[0]
    page.locator(f'article a[href$="classes/{cls}/"]').first.click()
    page.wait_for_url(f"**/classes/{cls}/")
    listed = set(page.locator("article td a").all_inner_texts())
    assert {r.id for r in archive.records if cls in r.cause_class} <= listed
    # and following an incident from the alert page lands on its page
    page.go_back()
    page.wait_for_url("**/alerts/higherrorrate/")
    first = sorted(expected)[0]
    page.locator(f"article a:text-is('{first}')").first.click()
    page.wait_for_url(f"**/{first.lower()}/")
    assert page.locator(".pm-header").get_attribute("data-record") == first
    watched.assert_clean()


def test_search_page_ranks_counts_and_narrows(browser: Browser, served_with_api: str) -> None:
    page = browser.new_page()
    watched = watch(page, served_with_api)
    page.goto(served_with_api + "search/")
    page.locator("#pm-q").press_sequentially("stampede", delay=20)
    page.wait_for_selector('#pm-results[data-query="stampede"] .pm-hit')
    first_ids = page.locator("#pm-results .pm-hit").evaluate_all(
        "hits => hits.map(h => h.dataset.id)"
    )
    assert first_ids, "no results"
    button = page.locator('.pm-facet[data-facet="sev"] .pm-facet-value').first
    label = button.get_attribute("data-filter")
    count = int(button.locator(".pm-count").inner_text())
    assert 0 < count <= len(first_ids)
    button.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#pm-results .pm-hit').length === n", arg=count
    )
    assert page.input_value("#pm-q") == f"stampede {label}"
    assert page.locator("#pm-status").inner_text().startswith(f"{count} result")
    watched.assert_clean()


def test_search_page_without_any_index_says_so(
    browser: Browser, example_site_dir: Path, tmp_path: Path
) -> None:
    """A static host without the Pagefind index (static_search: false) and without the API."""
    bare = tmp_path / "bare-site"
    shutil.copytree(example_site_dir, bare, ignore=shutil.ignore_patterns("pagefind"))
    with serve_directory(bare) as base:
        page = browser.new_page()
        page.goto(base + "search/?query=stampede")
        page.wait_for_function("document.querySelector('#pm-search.pm-no-api') !== null")
        assert "search API" in page.locator("#pm-status").inner_text()


AXIS_TEXT = ".xtick text, .ytick text, .legendtext"
"""Text drawn in the layout's font: tick labels and legend entries (bar labels keep their own)."""

FONT_AND_FILL = """(selector) => [...document.querySelectorAll('.pm-plot')].map(p => [
    p.layout.font.color,
    getComputedStyle(p.querySelector(selector)).fill,
])"""
"""Per plot: the layout's font colour and the fill of its first tick label or legend entry."""

REDRAWN_DARK = """([before, selector]) => {
    const fg = getComputedStyle(document.body).getPropertyValue('--md-default-fg-color').trim();
    const plots = [...document.querySelectorAll('.pm-plot')];
    return plots.length === before.length && plots.every((p, i) =>
        p.layout.font.color === fg && fg !== before[i][0] &&
        getComputedStyle(p.querySelector(selector)).fill !== before[i][1]);
}"""
"""True once every plot is relaid out in the slate foreground and its text is drawn in it."""


@pytest.mark.parametrize("page_path", ["trends/", "risk-register/", "classes/cache-stampede/"])
def test_charts_draw_in_a_real_browser(
    browser: Browser, example_site: str, page_path: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
    watched = watch(page, example_site)
    page.goto(example_site + page_path)
    # plotly.js loads when a chart nears the viewport: bring each chart near, in turn
    plots = page.locator(".pm-plot")
    assert plots.count() > 0
    for i in range(plots.count()):
        plots.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "(i) => !!document.querySelectorAll('.pm-plot')[i].querySelector('svg.main-svg')", arg=i
        )
    plot = page.locator(".pm-plot").first
    box = plot.bounding_box()
    # drawn at its figure's size: the smallest of ours (a class's recurrence bars) is 200 px
    assert box is not None and box["width"] > 500 and box["height"] >= 200
    shot = tmp_path / "chart.png"
    plot.screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000  # a drawn chart, not an empty box
    # the palette toggle redraws every chart in the dark scheme without errors: each plot's font
    # takes the slate foreground and its drawn text changes colour
    before = page.evaluate(FONT_AND_FILL, AXIS_TEXT)
    assert before and all(font and fill for font, fill in before), before
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    page.wait_for_function(REDRAWN_DARK, arg=[before, AXIS_TEXT])
    after = page.evaluate(FONT_AND_FILL, AXIS_TEXT)
    assert all(a[1] != b[1] for a, b in zip(after, before, strict=True)), (before, after)
    watched.assert_clean()
