"""The /search/ page in a real Chromium at phone width, on both engines (the Whoosh API under
`pmarchive serve`, Pagefind on a static host): Material's overlay never opens over it, facets
toggle on and off, every result is reachable through the pages, back and forward follow the
pages, and a filter value outside the vocabulary gets a did-you-mean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from pmarchive.ingest.options import plugin_options
from pmarchive.ingest.taxonomy import load_taxonomy
from pmarchive.search.server import create_app

from .browser import chromium, serve_app, serve_directory, watch
from .sites import build_config, copy_example

pytestmark = pytest.mark.browser

OVERLAY_OPEN = "document.querySelector('[data-md-toggle=\"search\"]').checked"
PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = copy_example(tmp_path_factory.mktemp("search-page"))
    site = Path(build_config(root / "mkdocs.yml", root / "site").site_dir)
    return root, site


@pytest.fixture(scope="module")
def static_site(built: tuple[Path, Path]) -> Iterator[str]:
    with serve_directory(built[1]) as base:
        yield base


@pytest.fixture(scope="module")
def api_site(built: tuple[Path, Path]) -> Iterator[str]:
    root, site = built
    options = plugin_options(root / "mkdocs.yml")
    index_dir = root / str(options.get("search_index_dir", ".pmarchive/search-index")) / "internal"
    taxonomy, _ = load_taxonomy(root / "taxonomy")
    with serve_app(create_app(site, index_dir, taxonomy)) as base:
        yield base


@pytest.fixture(scope="module", params=["api", "pagefind"])
def engine(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(engine, base URL): the page behind the search API, and the same site served static."""
    fixture = "api_site" if request.param == "api" else "static_site"
    return request.param, str(request.getfixturevalue(fixture))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


def open_search(browser: Browser, base: str, engine: str, query: str) -> Page:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}search/?query={query}")
    page.wait_for_selector(f'#pm-results[data-engine="{engine}"], #pm-note:not([hidden])')
    return page


def result_count(page: Page) -> int:
    return int(page.locator("#pm-status").inner_text().split()[0])


def settled(page: Page, query: str) -> None:
    page.wait_for_function(
        "q => document.getElementById('pm-results').getAttribute('data-query') === q", arg=query
    )


@pytest.mark.parametrize("parameter", ["query", "q"])
def test_arriving_with_words_searches_without_the_overlay(
    browser: Browser, static_site: str, parameter: str
) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{static_site}search/?{parameter}=stampede")
    page.wait_for_selector("#pm-results .pm-hit")
    assert page.input_value("#pm-q") == "stampede"
    page.wait_for_function(f"() => !({OVERLAY_OPEN})")
    assert "query=stampede" in page.url


def test_enter_in_the_header_box_opens_the_search_page(browser: Browser, static_site: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(static_site)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator(".md-search__input").fill("stampede")
    page.locator(".md-search__input").press("Enter")
    page.wait_for_url("**/search/?query=stampede")
    page.wait_for_selector("#pm-results .pm-hit")
    assert page.evaluate(OVERLAY_OPEN) is False


@pytest.mark.parametrize("facet", ["class", "kind", "year"])
def test_a_facet_toggles_on_and_off(browser: Browser, engine: tuple[str, str], facet: str) -> None:
    name, base = engine
    page = open_search(browser, base, name, "cache")
    watched = watch(page, base.rstrip("/"))
    settled(page, "cache")
    total = result_count(page)
    values = page.locator(f'.pm-facet[data-facet="{facet}"] .pm-facet-value')
    counts = [int(c) for c in values.locator(".pm-count").all_inner_texts()]
    narrower = next(i for i, c in enumerate(counts) if c < total)
    token = values.nth(narrower).get_attribute("data-filter") or ""
    values.nth(narrower).click()
    settled(page, f"cache {token}")
    assert result_count(page) == counts[narrower]
    active = page.locator(f'.pm-facet-value[data-filter="{token}"]')
    assert active.get_attribute("aria-pressed") == "true"
    assert page.locator(f'#pm-chips .pm-chip[data-filter="{token}"]').is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    active.click()  # again: off
    settled(page, "cache")
    assert result_count(page) == total
    assert page.input_value("#pm-q") == "cache"
    assert page.locator("#pm-chips .pm-chip").count() == 0
    page.go_back()  # the facet's results, from history
    settled(page, f"cache {token}")
    assert result_count(page) == counts[narrower]
    page.locator(f'#pm-chips .pm-chip[data-filter="{token}"]').click()  # a chip removes it
    settled(page, "cache")
    assert result_count(page) == total
    watched.assert_clean()


def test_every_result_is_reachable_through_the_pages(
    browser: Browser, engine: tuple[str, str]
) -> None:
    name, base = engine
    page = open_search(browser, base, name, "impact")  # a section of every post-mortem
    settled(page, "impact")
    total = result_count(page)
    assert total > 20  # more than one page
    seen: list[str] = []
    number = 1
    while True:
        page.wait_for_function(
            "n => document.getElementById('pm-results').getAttribute('data-page') === n",
            arg=str(number),
        )
        seen += [
            h.get_attribute("data-id") or "" for h in page.locator("#pm-results .pm-hit").all()
        ]
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        following = page.locator(".pm-pages .pm-page-next")
        if following.is_disabled():
            break
        following.click()
        number += 1
        page.wait_for_url(f"**page={number}")
    assert len(seen) == len(set(seen)) == total
    page.go_back()
    page.wait_for_function(
        "n => document.getElementById('pm-results').getAttribute('data-page') === n",
        arg=str(number - 1),
    )
    page.locator('.pm-pages button[data-page="1"]').first.click()
    page.wait_for_function(
        "document.getElementById('pm-results').getAttribute('data-page') === '1'"
    )
    assert "page=" not in page.url


@pytest.mark.parametrize(
    ("query", "message", "corrected"),
    [
        ("class:cache-stampeed", "No class 'cache-stampeed'; did you mean cache-stampede?",
         "class:cache-stampede"),
        ("kind:postmortum", "No kind 'postmortum'; did you mean postmortem?", "kind:postmortem"),
        ("clas:cache-stampede", "No filter 'clas:'; did you mean class:?", "class:cache-stampede"),
    ],
)  # fmt: skip
def test_a_value_outside_the_vocabulary_gets_a_did_you_mean(
    browser: Browser, engine: tuple[str, str], query: str, message: str, corrected: str
) -> None:
    name, base = engine
    page = open_search(browser, base, name, query)
    note = page.locator("#pm-note")
    note.wait_for(state="visible")
    assert note.inner_text().startswith(message)
    assert page.locator("#pm-results .pm-hit").count() == 0
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    note.locator("a.pm-suggestion").click()
    settled(page, corrected)
    assert page.input_value("#pm-q") == corrected
    assert note.is_hidden()
    assert result_count(page) > 0
