"""/search/ on a static host: no API, results and facets from the Pagefind index, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .browser import Watched, chromium, serve_directory, watch
from .sites import build_config, copy_example

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = copy_example(tmp_path_factory.mktemp("static-example"))
    site_dir = tmp_path_factory.mktemp("static-site")
    build_config(root / "mkdocs.yml", site_dir)
    assert (Path(site_dir) / "pagefind" / "pagefind.js").is_file()
    with serve_directory(Path(site_dir)) as base:
        yield base


NO_API = "Failed to load resource: the server responded with a status of 404 (File not found)"
"""The one console line a static host causes: /search/ asks for /api/search first."""


def assert_clean(watched: Watched) -> None:
    assert [e for e in watched.console_errors if e != NO_API] == []
    assert watched.foreign_requests == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.mark.parametrize(("word", "facet"), [("stampede", "sev"), ("retry", "class")])
def test_static_search_finds_and_a_facet_narrows(
    browser: Browser, static_site: str, word: str, facet: str
) -> None:
    page = browser.new_page()
    watched = watch(page, static_site)
    page.goto(static_site + "search/")
    page.locator("#pm-q").press_sequentially(word, delay=20)
    page.wait_for_selector(f'#pm-results[data-query="{word}"][data-engine="pagefind"] .pm-hit')
    hits = page.locator("#pm-results .pm-hit")
    total = int(page.locator("#pm-status").inner_text().split()[0])
    assert total == hits.count() > 0  # the example is smaller than one page of results
    assert "pm-no-api" not in (page.locator("#pm-search").get_attribute("class") or "")
    first = hits.first.locator("a")
    assert first.inner_text().startswith(("INC-", "NM-"))
    assert (first.get_attribute("href") or "").startswith(("/postmortems/", "/nearmisses/"))
    marked = hits.first.locator(".pm-snippet mark").first.inner_text().lower()
    assert marked.startswith(word[:4])  # stemmed: "retry" marks "retries" too
    for snippet in page.locator("#pm-results .pm-snippet").all_inner_texts():
        # Pagefind indexes the built pages, so its excerpts are text: no Markdown in them
        assert not any(mark in snippet for mark in ("##", "**", "](", "```", "|", "<")), snippet

    values = page.locator(f'.pm-facet[data-facet="{facet}"] .pm-facet-value')
    counts = [int(c) for c in values.locator(".pm-count").all_inner_texts()]
    narrower = next(i for i, c in enumerate(counts) if c < total)
    button = values.nth(narrower)
    label = button.get_attribute("data-filter")
    button.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#pm-results .pm-hit').length === n",
        arg=counts[narrower],
    )
    assert page.input_value("#pm-q") == f"{word} {label}"
    assert page.locator("#pm-status").inner_text().startswith(f"{counts[narrower]} result")
    assert_clean(watched)


def test_a_result_opens_its_record(browser: Browser, static_site: str) -> None:
    page = browser.new_page()
    watched = watch(page, static_site)
    page.goto(static_site + "search/")
    page.locator("#pm-q").press_sequentially("stampede", delay=20)
    page.wait_for_selector('#pm-results[data-query="stampede"][data-engine="pagefind"] .pm-hit')
    record_id = page.locator("#pm-results .pm-hit").first.get_attribute("data-id")
    page.locator("#pm-results .pm-hit a").first.click()
    page.wait_for_url(f"**/{(record_id or '?').lower()}/")
    assert page.locator(".pm-header").get_attribute("data-record") == record_id
    assert_clean(watched)


@pytest.mark.parametrize(
    ("query", "note"),
    [("stampede factor:no-canary", "factor:no-canary"), ("stampede -class:retry-storm", "-class")],
)
def test_filters_only_the_api_knows_are_named(
    browser: Browser, static_site: str, query: str, note: str
) -> None:
    page = browser.new_page()
    page.goto(static_site + "search/?query=" + query.replace(" ", "+"))
    page.wait_for_selector('#pm-results[data-engine="pagefind"] .pm-hit')
    status = page.locator("#pm-status").inner_text()
    assert "need the archive's search API" in status and note in status
