"""plotly.js (4.8 MB) waits until a chart nears the viewport: on-call pages stay light on phones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from .browser import Watched, chromium, serve_directory, watch
from .sites import build_config, copy_example

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PLOTLY = "plotly.min.js"
DRAWN = "(i) => !!document.querySelectorAll('.pm-plot')[i].querySelector('svg.main-svg')"
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
"""Resolves after two frames: IntersectionObserver has reported what is near the viewport."""


@dataclass(frozen=True)
class Site:
    origin: str
    """The server's root URL."""
    base: str
    """The site's root URL (under a sub-path for the .html build)."""
    suffix: str
    """What ends a page's URL: '/' with directory URLs, '.html' without."""

    def url(self, page: str) -> str:
        return self.base + page + self.suffix


MODES = {"directory-urls": ("", "/"), "html-urls-under-a-sub-path": ("archive/", ".html")}
"""Each build: the folder it is served from, under the server's root, and its page suffix."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example archive built in either URL mode, by mode: the folder to serve. Built before
    the browser starts (a build must not run inside Playwright's event loop)."""
    served: dict[str, Path] = {}
    for mode, (prefix, _) in MODES.items():
        root = copy_example(tmp_path_factory.mktemp("example-archive"))
        config = root / "mkdocs.yml"
        if mode != "directory-urls":
            config.write_text(config.read_text() + "\nuse_directory_urls: false\n")
        served[mode] = tmp_path_factory.mktemp("served")
        build_config(config, served[mode] / prefix)
    return served


@pytest.fixture(scope="module")
def browser(built: dict[str, Path]) -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module", params=list(MODES))
def site(request: pytest.FixtureRequest, built: dict[str, Path]) -> Iterator[Site]:
    prefix, suffix = MODES[request.param]
    with serve_directory(built[request.param]) as base:
        yield Site(base, base + prefix, suffix)


def open_page(browser: Browser, site: Site, path: str) -> tuple[Page, Watched, list[str]]:
    """The page at phone size, loaded; with the URLs it has requested so far and since."""
    page = browser.new_page(viewport=PHONE, color_scheme="light")
    watched = watch(page, site.origin)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(site.url(path), wait_until="load")
    assert response is not None and response.ok
    return page, watched, requested


def plotly_requests(requested: list[str]) -> list[str]:
    return [url for url in requested if url.endswith(PLOTLY)]


@pytest.mark.parametrize("page_path", ["alerts/higherrorrate", "classes/cache-stampede"])
def test_content_and_material_first_plotly_only_when_the_chart_scrolls_near(
    browser: Browser, site: Site, page_path: str
) -> None:
    page, watched, requested = open_page(browser, site, page_path)
    # Material's bundle ran and the content is there and readable
    assert page.evaluate("typeof window.document$") == "object"
    assert page.locator("article h1").first.is_visible()
    assert any("/bundle." in url for url in requested)
    # charts.js ran (it reserved the chart's height) and the chart sits below the screen
    page.wait_for_function("document.querySelector('.pm-plot').style.minHeight !== ''")
    plot = page.locator(".pm-plot").first
    box = plot.bounding_box()
    assert box is not None and box["y"] > PHONE["height"] + 300, box
    page.evaluate(NEXT_FRAME)
    page.wait_for_load_state("networkidle")
    assert plotly_requests(requested) == []
    assert not page.evaluate(DRAWN, 0)
    # the waiting chart keeps its accessible name, its caption and its height
    label = plot.get_attribute("aria-label")
    assert plot.get_attribute("role") == "img" and label
    caption = page.locator("figure.pm-chart figcaption").first.inner_text()
    assert caption == label
    with page.expect_request(lambda request: request.url.endswith(PLOTLY)):
        plot.scroll_into_view_if_needed()
    page.wait_for_function(DRAWN, arg=0)
    assert plotly_requests(requested) == [site.base + "assets/pmarchive/" + PLOTLY]
    drawn = plot.bounding_box()
    assert drawn is not None and drawn["height"] == box["height"]  # the page did not jump
    assert plot.get_attribute("aria-label") == label
    assert page.locator("figure.pm-chart figcaption").first.inner_text() == caption
    watched.assert_clean()


def test_trends_first_chart_draws_at_once_and_the_rest_as_they_scroll_near(
    browser: Browser, site: Site
) -> None:
    page, watched, requested = open_page(browser, site, "trends")
    page.wait_for_function(DRAWN, arg=0)
    assert page.evaluate("window.scrollY") == 0
    count = page.locator(".pm-plot").count()
    assert count > 2
    page.evaluate(NEXT_FRAME)
    assert not page.evaluate(DRAWN, count - 1)  # far down: not drawn yet
    # a palette switch relays out the drawn chart; one drawn later takes the new palette
    light = page.evaluate("document.querySelector('.pm-plot').layout.font.color")
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    slate = "getComputedStyle(document.body).getPropertyValue('--md-default-fg-color').trim()"
    page.wait_for_function(
        f"document.querySelector('.pm-plot').layout.font.color === {slate} && {slate} !== {light!r}"
    )
    page.locator(".pm-plot").nth(count - 1).scroll_into_view_if_needed()
    page.wait_for_function(DRAWN, arg=count - 1)
    last_font = page.evaluate(
        f"document.querySelectorAll('.pm-plot')[{count - 1}].layout.font.color"
    )
    assert last_font == page.evaluate(slate) != light
    assert len(plotly_requests(requested)) == 1  # fetched once, however many charts draw
    watched.assert_clean()
