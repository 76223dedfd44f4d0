"""Bytes a phone downloads for the home, alert, class and record pages of the example archive.

    .venv/bin/python benchmarks/page_weight.py
    PYTHONPATH=/tmp/pw-before/plugins .venv/bin/python benchmarks/page_weight.py  # another tree

Builds a copy of the example archive in a temporary folder, serves it on loopback as a plain
static server would (no compression) and opens each page in Debian's Chromium at phone size
(390x844). For each page it prints the bytes transferred (Chrome's encoded lengths: headers and
bodies) until DOMContentLoaded, until the ``load`` event, and in all after scrolling to the bottom
one screen at a time, and whether plotly.min.js had been requested by the ``load`` event.
Material's search index, fetched by its worker early or late from one run to the next, counts
only in the total after scrolling.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("mkdocs.yml", "postmortems", "nearmisses", "taxonomy", "docs", "overrides")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/browser.py: nothing leaves the machine
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = {
    "home": "",
    "alert": "alerts/higherrorrate/",
    "class": "classes/cache-stampede/",
    "record": "postmortems/inc-2025-01-14-001/",
    "trends": "trends/",
}
PHONE = {"width": 390, "height": 844}


def build_example(source: Path, workdir: Path) -> Path:
    """Build a copy of the example archive under ``workdir``; the site folder."""
    root = workdir / "archive"
    root.mkdir()
    for name in EXAMPLE_PARTS:
        part = source / name
        if part.is_dir():
            shutil.copytree(part, root / name)
        elif part.is_file():
            shutil.copy2(part, root / name)
    site = workdir / "site"
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


SEARCH_INDEX = "search/search_index.json"
"""Fetched by Material's search worker at a moment that varies from run to run: left out of the
columns up to DOMContentLoaded and load, counted in the total after scrolling."""
SETTLE = """() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"""
"""Two frames: IntersectionObserver has reported, and any chart near the viewport asked for
plotly.js."""


@dataclass
class Meter:
    """Bytes per request from the DevTools protocol, with snapshots at page events."""

    urls: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    stuck: set[str] = field(default_factory=set)
    at_dom_ready: int | None = None
    at_load: int | None = None
    requested_at_load: list[str] = field(default_factory=list)

    def total(self, *, search_index: bool = True) -> int:
        return sum(
            size
            for request_id, size in self.sizes.items()
            if search_index or not self.urls.get(request_id, "").endswith(SEARCH_INDEX)
        )

    def on_request(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]
        self.pending.add(event["requestId"])

    def on_finished(self, event: dict[str, Any]) -> None:
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])
        self.pending.discard(event["requestId"])

    def on_failed(self, event: dict[str, Any]) -> None:
        self.pending.discard(event["requestId"])

    def on_dom_ready(self, _event: dict[str, Any]) -> None:
        self.at_dom_ready = self.total(search_index=False)

    def on_load(self, _event: dict[str, Any]) -> None:
        self.at_load = self.total(search_index=False)
        self.requested_at_load = list(self.urls.values())


def settle(page: Page, meter: Meter) -> None:
    """Until what the page asked for after two frames has arrived (a benchmark may poll). A
    worker's own script never reports its end to the page: ``meter.stuck`` holds those."""
    page.evaluate(SETTLE)
    while meter.pending - meter.stuck:
        page.wait_for_timeout(50)


def scroll_to_bottom(page: Page, meter: Meter) -> None:
    """One screen at a time, so every chart passes through the viewport, settling each time."""
    while page.evaluate(
        "() => { const before = window.scrollY;"
        " window.scrollBy({ top: window.innerHeight, behavior: 'instant' });"
        " return window.scrollY > before; }"
    ):
        settle(page, meter)
    settle(page, meter)


def measure(page: Page, url: str) -> Meter:
    meter = Meter()
    session = page.context.new_cdp_session(page)
    session.on("Network.requestWillBeSent", meter.on_request)
    session.on("Network.loadingFinished", meter.on_finished)
    session.on("Network.loadingFailed", meter.on_failed)
    session.on("Page.domContentEventFired", meter.on_dom_ready)
    session.on("Page.loadEventFired", meter.on_load)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    session.send("Page.enable")
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    meter.stuck = set(meter.pending)  # still open when the network went idle
    settle(page, meter)
    scroll_to_bottom(page, meter)
    session.detach()
    return meter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--example", type=Path, default=ROOT, help="tree holding the example")
    args = parser.parse_args()
    import pmarchive

    print(f"pmarchive from {Path(pmarchive.__file__).parent}; example from {args.example}")
    print(
        f"viewport {PHONE['width']}x{PHONE['height']}, no compression, cache disabled; "
        f"{SEARCH_INDEX} counted only in 'scrolled'"
    )
    print(f"{'page':<8} {'DOMContentLoaded B':>19} {'load B':>10} {'scrolled B':>11}  plotly?")
    with tempfile.TemporaryDirectory() as tmp:
        site = build_example(args.example, Path(tmp))
        with serve(site) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for name, path in PAGES.items():
                    context = browser.new_context(viewport=PHONE)
                    meter = measure(context.new_page(), base + path)
                    context.close()
                    plotly = any("plotly.min.js" in u for u in meter.requested_at_load)
                    print(
                        f"{name:<8} {meter.at_dom_ready or 0:>19,} {meter.at_load or 0:>10,} "
                        f"{meter.total():>11,}  {'yes' if plotly else 'no':>7}"
                    )
            finally:
                browser.close()


if __name__ == "__main__":
    main()
