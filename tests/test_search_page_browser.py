"""The /search/ page is the one search page: Material's own overlay never opens over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .browser import chromium, serve_directory
from .sites import build_config, copy_example

pytestmark = pytest.mark.browser

OVERLAY_OPEN = "document.querySelector('[data-md-toggle=\"search\"]').checked"


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = copy_example(tmp_path_factory.mktemp("search-page"))
    site = Path(build_config(root / "mkdocs.yml", root / "site").site_dir)
    with serve_directory(site) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.mark.parametrize("parameter", ["query", "q"])
def test_arriving_with_words_searches_without_the_overlay(
    browser: Browser, static_site: str, parameter: str
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{static_site}search/?{parameter}=stampede")
    page.wait_for_selector("#pm-results .pm-hit")
    assert page.input_value("#pm-q") == "stampede"
    page.wait_for_function(f"!({OVERLAY_OPEN})")
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
