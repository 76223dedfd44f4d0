"""The council's tables in a real browser: they fit the page or scroll inside their own box, at
a desktop width and on a phone, and a review prints as the document alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from .browser import chromium, serve_directory, watch
from .sites import build_config, copy_example

pytestmark = pytest.mark.browser

PAGES = ["risk-register/", "reviews/2026-q3/", "reviews/2026-q4/", "program-health/"]
WIDTHS = [1400, 390]

MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  return {
    page: document.documentElement.scrollWidth - width,
    tables: Array.from(document.querySelectorAll('.md-content table')).map((table) => {
      const box = table.closest('.md-typeset__scrollwrap') || table;
      const rect = box.getBoundingClientRect();
      const style = getComputedStyle(box);
      return {
        right: rect.right - width,
        hidden: table.scrollWidth - box.clientWidth,
        scrolls: style.overflowX === 'auto' || style.overflowX === 'scroll',
        head: table.querySelector('th') ? table.querySelector('th').textContent : '',
      };
    }),
  };
}"""


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = copy_example(tmp_path_factory.mktemp("council"))
    site = Path(build_config(root / "mkdocs.yml").site_dir)  # before Playwright's event loop
    with serve_directory(site) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def measure(browser: Browser, origin: str, path: str, width: int) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        watched = watch(page, origin)
        page.goto(origin + path)
        page.wait_for_load_state("load")
        result: dict[str, Any] = page.evaluate(MEASURE)
        watched.assert_clean()
        return result
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_tables_never_push_the_page_sideways(
    browser: Browser, origin: str, path: str, width: int
) -> None:
    found = measure(browser, origin, path, width)
    assert found["page"] <= 0, f"{path} at {width}px scrolls sideways by {found['page']}px"
    assert found["tables"], path
    for table in found["tables"]:
        assert table["right"] <= 0, (path, width, table)  # the box ends inside the viewport
        if table["hidden"] > 0:  # wider than its box: the box scrolls, the page does not
            assert table["scrolls"], (path, width, table)


@pytest.mark.parametrize("path", ["risk-register/", "reviews/2026-q3/"])
def test_register_and_review_tables_fit_whole_at_1400px(
    browser: Browser, origin: str, path: str
) -> None:
    found = measure(browser, origin, path, 1400)
    clipped = [table for table in found["tables"] if table["hidden"] > 0]
    assert clipped == [], f"{path}: columns out of sight at 1400px: {clipped}"


def test_a_review_prints_as_the_document_alone(browser: Browser, origin: str) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    try:
        page.goto(origin + "reviews/2026-q3/")
        page.wait_for_load_state("load")
        page.emulate_media(media="print")
        hidden = page.evaluate(
            """() => ['.md-header', '.md-sidebar--primary', '.md-footer'].map((selector) => {
                const element = document.querySelector(selector);
                return !element || getComputedStyle(element).display === 'none';
            })"""
        )
        assert hidden == [True, True, True]
        clipped = page.evaluate(
            """() => Array.from(document.querySelectorAll('.md-content table')).filter(
                (t) => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1
            ).length"""
        )
        assert clipped == 0
        # folded texts print whole: the summary gives way to the full text
        folded = page.locator("details.pm-more").first
        assert folded.locator("summary").is_hidden()
        full = folded.evaluate("(d) => d.textContent")
        assert folded.evaluate("(d) => d.getBoundingClientRect().height") > 0
        assert len(full) > 0
        assert page.pdf(format="A4")[:4] == b"%PDF"
    finally:
        page.close()
