"""The example site under `pmarchive serve`'s Content-Security-Policy, in a real Chromium:
Material's pages, the charts and the archive's search page still work, and nothing is refused."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response

from pmarchive.ingest.options import plugin_options
from pmarchive.search.server import create_app

from .browser import chromium, serve_app, watch
from .sites import build_config, copy_example

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser

# Recorded before any page script runs (an init script is not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = copy_example(tmp_path_factory.mktemp("csp-archive"))  # never the checkout's index
    site_dir = tmp_path_factory.mktemp("csp-site")
    build_config(root / "mkdocs.yml", site_dir)
    options = plugin_options(root / "mkdocs.yml")
    index_dir = root / str(options.get("search_index_dir", ".pmarchive/search-index")) / "internal"
    assert index_dir.is_dir()
    with serve_app(create_app(site_dir, index_dir)) as base:
        yield base, site_dir


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(url)
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    return page


def _record_page(site_dir: Path) -> str:
    record = min(p for p in (site_dir / "postmortems").iterdir() if (p / "index.html").is_file())
    return f"postmortems/{record.name}/"


@pytest.mark.parametrize("path", ["", "search/", "trends/", "classes/", "program-health/", None])
def test_pages_load_with_nothing_refused(
    browser: Browser, served: tuple[str, Path], path: str | None
) -> None:
    base, site_dir = served
    page = browser.new_page()
    watched = watch(page, base)
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(base + (path if path is not None else _record_page(site_dir)))
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__violations") == []
    watched.assert_clean()
    assert page.locator(".md-header").count() == 1


def test_material_scripts_run_under_the_policy(browser: Browser, served: tuple[str, Path]) -> None:
    base, _ = served
    page = _open(browser, base)
    before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    after = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert {before, after} == {"default", "slate"}
    assert page.evaluate("window.__violations") == []


def test_charts_draw_under_the_policy(browser: Browser, served: tuple[str, Path]) -> None:
    base, _ = served
    page = _open(browser, base + "trends/")
    page.wait_for_selector("svg.main-svg", timeout=10_000)
    assert page.locator("svg.main-svg").count() > 0
    assert page.evaluate("window.__violations") == []


@pytest.mark.parametrize(("query", "expect_results"), [("cache", True), ("title:*a*", False)])
def test_archive_search_page_talks_to_the_api(
    browser: Browser, served: tuple[str, Path], query: str, expect_results: bool
) -> None:
    base, _ = served
    page = _open(browser, base + "search/")

    def asked(response: Response) -> bool:
        url = urllib.parse.unquote(response.url)
        return "/api/search?" in url and url.endswith("q=" + query)

    with page.expect_response(asked) as answer:
        page.fill("#pm-q", query)
    assert answer.value.status == (200 if expect_results else 400)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # the page renders the answer after the response arrives
    results = page.locator("#pm-results li").count()
    assert (results > 0) == expect_results
    if not expect_results:
        assert "wildcard" in page.locator("#pm-note").text_content().lower()  # type: ignore[union-attr]
    assert page.evaluate("window.__violations") == []
