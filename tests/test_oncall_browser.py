"""The on-call path on a 390 px phone, in Chromium: from the alert's link the newest incident's
mitigation and the team's contact show without scrolling, no page scrolls sideways, and an
unknown alert's 404 page offers a search for it under a Content-Security-Policy without inline
script."""

from __future__ import annotations

import contextlib
import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from pmarchive.model.records import PostMortem
from pmarchive.search.server import CONTENT_SECURITY_POLICY

from .browser import chromium, serve_directory, watch
from .hostile import FLAG
from .sites import build_config, copy_example, load_at
from .test_oncall_cards import NOT_FOUND_HOOK

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
)
"""What ``pmarchive serve`` sends: no inline script anywhere."""


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """A static host as GitHub Pages behaves: 404.html for a missing path, at any depth. The
    404 page comes with the policy ``pmarchive serve`` sends (no inline script), which
    notfound.js must work under."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def serve_site(directory: Path) -> contextlib.AbstractContextManager[str]:
    return serve_directory(directory, _SiteHandler)


@pytest.fixture(scope="module")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_example(tmp_path_factory.mktemp("oncall-example"))
    (root / "hooks.py").write_text(NOT_FOUND_HOOK)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text() + "\nhooks:\n  - hooks.py\n")
    return root


@pytest.fixture(scope="module")
def site(example_root: Path) -> Iterator[str]:
    built = Path(build_config(example_root / "mkdocs.yml", example_root / "site").site_dir)
    with serve_site(built) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


def newest_incident_of(root: Path, alert: str) -> PostMortem:
    archive = load_at(root)
    return next(r for r in archive.postmortems if alert in r.alerts)


def phone_page(browser: Browser) -> Page:
    return browser.new_page(viewport=PHONE)


SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize(
    "path",
    [
        "alerts/higherrorrate/",
        "alerts/dbpoolexhausted/",
        "classes/cache-stampede/",
        "teams/sre/",
        "runbooks/high-error-rate/",
        "search/?query=stampede",
        "alerts/NoSuchAlert/",
        "RECORD",
    ],
)
def test_nothing_scrolls_sideways_at_390_px(
    browser: Browser, site: str, example_root: Path, path: str
) -> None:
    if path == "RECORD":
        path = newest_incident_of(example_root, "HighErrorRate").url
    page = phone_page(browser)
    page.goto(site + path, wait_until="load")
    if path.startswith("search/"):
        page.wait_for_selector("#pm-results .pm-hit")
    assert page.evaluate(SIDEWAYS) <= 0, path


def test_newest_mitigation_and_team_contact_show_without_scrolling(
    browser: Browser, site: str, example_root: Path
) -> None:
    newest = newest_incident_of(example_root, "HighErrorRate")
    assert newest.mitigation
    page = phone_page(browser)
    watched = watch(page, site)
    page.goto(site + "alerts/higherrorrate/", wait_until="load")
    assert page.evaluate("window.scrollY") == 0
    card = page.locator(".pm-card", has=page.locator(f"a:text-is('{newest.id}')")).first
    mitigation = card.locator(".pm-card-mitigation")
    assert newest.mitigation.split()[0] in mitigation.inner_text()
    contact = page.locator("article p", has_text="On call:").first
    assert "#sre-oncall" in contact.inner_text()
    for element in (mitigation, contact):
        assert element.is_visible()
        box = element.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (
            box
        )
    # the first card is the newest record and SEV-1/2 cards are marked
    major = page.locator(".pm-card.pm-card-major .pm-card-sev").all_inner_texts()
    assert major and all(text in ("SEV-1", "SEV-2") for text in major)
    watched.assert_clean()


def test_unknown_alert_offers_a_search_for_its_name_and_every_alert(
    browser: Browser, site: str, example_root: Path
) -> None:
    page = phone_page(browser)
    watched = watch(page, site)
    response = page.goto(site + "alerts/NoSuchAlert/", wait_until="load")
    assert response is not None and response.status == 404
    assert page.locator("#pm-notfound-name").inner_text() == "NoSuchAlert"
    search = page.locator("#pm-notfound-search")
    assert search.is_visible()
    assert search.get_attribute("href") == "/search/?query=NoSuchAlert"
    assert page.locator("#pm-notfound-match").is_hidden()  # no known alert is spelled so
    alerts = page.locator(".pm-notfound-alerts li a")
    archive = load_at(example_root)
    assert sorted(alerts.all_inner_texts()) == sorted(archive.taxonomy.alerts)
    search.click()
    page.wait_for_url("**/search/?query=NoSuchAlert")
    assert page.input_value("#pm-q") == "NoSuchAlert"
    # under a policy without inline script (a violation is a console error), notfound.js ran
    # from its file; the only errors are the 404 responses themselves
    assert [e for e in watched.console_errors if "status of 404" not in e] == []
    assert watched.foreign_requests == []


@pytest.mark.parametrize("path", ["alerts/HighErrorRate/", "deep/er/alerts/x/y/"])
def test_404_links_work_from_any_depth(browser: Browser, site: str, path: str) -> None:
    page = phone_page(browser)
    page.goto(site + path, wait_until="load")
    first = page.locator(".pm-notfound-alerts li a").first
    href = first.get_attribute("href")
    assert href is not None and href.startswith("/alerts/")
    if path == "alerts/HighErrorRate/":  # only the case differs from a real alert's URL
        offer = page.locator("#pm-notfound-match-link")
        assert offer.is_visible() and offer.inner_text() == "HighErrorRate"
        offer.click()
        page.wait_for_url("**/alerts/higherrorrate/")
        assert page.locator("article h1").inner_text().startswith("HighErrorRate")
    else:  # not an alert URL: no alert named, the list is still there
        assert page.locator("#pm-notfound-alert").is_hidden()
        first.click()
        page.wait_for_url("**/alerts/*/")


def test_a_hostile_alert_name_in_the_url_stays_text(browser: Browser, site: str) -> None:
    name = f"<img src=x onerror=window.{FLAG}=1>"
    page = phone_page(browser)
    page.goto(site + "alerts/" + name.replace(" ", "%20") + "/", wait_until="load")
    assert page.locator("#pm-notfound-name").inner_text() == name
    assert page.locator("#pm-notfound img").count() == 0
    href = page.locator("#pm-notfound-search").get_attribute("href")
    assert href is not None and "<" not in href and href.startswith("/search/?query=%3Cimg")
    assert page.evaluate(f"window.{FLAG}") is None
