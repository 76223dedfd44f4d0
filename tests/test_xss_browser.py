"""In Chromium, at phone width: flag payloads in every field never run, on any page kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .browser import chromium, serve_app, serve_directory, watch
from .hostile import FLAG, HOSTILE_MKDOCS_YML, write_hostile_archive
from .sites import build_site

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "postmortems/inc-2026-05-29-001/",
    "nearmisses/nm-2026-06-02-001/",
    "classes/",
    "classes/cache-stampede/",
    "factors/no-canary/",
    "teams/checkout/",
    "services/pricing-svc/",
    "alerts/",
    "alerts/higherrorrate/",
    "alerts/dataurlrunbook/",
    "sev/1/",
    "quarters/",
    "trends/",
    "risk-register/",
    "program-health/",
    "sev-audit/",
    "reviews/",
    "search/?query=stampede",
    "runbooks/high-error-rate/",
    "classes/thundering-herd/",
]
"""One page of every kind the plugin generates, plus a runbook and an alias redirect."""


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile archive, built once: its site and its search index."""
    root = tmp_path_factory.mktemp("hostile-browser")
    write_hostile_archive(root)
    build_site(root, HOSTILE_MKDOCS_YML, strict=False)
    return root


@pytest.fixture(scope="module")
def hostile_site(hostile_root: Path) -> Iterator[str]:
    with serve_directory(hostile_root / "site") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


def test_no_payload_runs_on_any_page_kind(browser: Browser, hostile_site: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    watched = watch(page, hostile_site)
    page.on("dialog", lambda dialog: dialog.dismiss())
    visited = []
    for path in PAGES:
        response = page.goto(hostile_site + path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("networkidle")
        # hover every chart, click every link-like element a reader might tap in the header
        for plot in page.locator(".pm-plot").all()[:4]:
            plot.scroll_into_view_if_needed()
            box = plot.bounding_box()
            if box:
                for fraction in (0.3, 0.5, 0.7):
                    page.mouse.move(
                        box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2
                    )
                    page.wait_for_timeout(50)
        for summary in page.locator("article details summary").all()[:3]:
            summary.evaluate("s => s.click()")
        assert page.evaluate(f"typeof window.{FLAG}") == "undefined", path
        visited.append(page.url)
    assert len(visited) == len(PAGES)
    # nothing off-origin was fetched but the image the body links on purpose
    assert {url for url in watched.foreign_requests if "grafana.example" not in url} == set()
    context.close()


def test_runbook_link_with_another_scheme_cannot_be_followed(
    browser: Browser, hostile_site: str
) -> None:
    page = browser.new_page()
    page.goto(hostile_site + "alerts/higherrorrate/")
    hrefs = page.locator("article a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and not [h for h in hrefs if not h.startswith(("http://", "https://"))]
    assert page.evaluate(f"typeof window.{FLAG}") == "undefined"


CSP_PAGES = [
    "",
    "trends/",
    "risk-register/",
    "postmortems/inc-2026-05-29-001/",
    "alerts/higherrorrate/",
]


@pytest.fixture(scope="module")
def hostile_served(hostile_root: Path) -> Iterator[str]:
    """The hostile archive behind `pmarchive serve`'s app: its Content-Security-Policy on."""
    from pmarchive.search.server import create_app

    index = hostile_root / ".pmarchive/search-index/internal"
    with serve_app(create_app(hostile_root / "site", index)) as base:
        yield base


@pytest.mark.parametrize("path", CSP_PAGES)
def test_pages_run_under_the_content_security_policy(
    browser: Browser, hostile_served: str, path: str
) -> None:
    """No inline script is left for the policy to block: no violation, and the theme works."""
    page = browser.new_page()
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    response = page.goto(hostile_served + path)
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    page.wait_for_load_state("networkidle")
    assert violations == []
    # Material's storage helpers (moved from inline script into theme.js) are defined
    assert page.evaluate("typeof window.__md_get") == "function"
    if path in ("trends/", "risk-register/"):
        page.wait_for_selector(".pm-plot svg.main-svg")
    assert page.evaluate(f"typeof window.{FLAG}") == "undefined"
