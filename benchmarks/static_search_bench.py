"""The static host's search: Pagefind index size, build time and bytes one search transfers.

    .venv/bin/python benchmarks/static_search_bench.py 1000 5000

For each size: a synthetic archive site built without the static index, then the index built
alone (its time is what the build adds), then /search/ served as plain files and opened in
Chromium: the bytes of the Pagefind files fetched for one query and for one query with a facet
(the bytes of every response under pagefind/), and what opening /search/ fetches of it.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

from synthetic import WORDS, write_archive

ROOT = Path(__file__).resolve().parent.parent


def measure(count: int, workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from pmarchive import plugin
    from pmarchive.ingest.archive import load_archive
    from pmarchive.ingest.config import ArchiveConfig
    from pmarchive.model.records import AnyRecord
    from pmarchive.site.static_search import build_static_index
    from tests.browser import chromium, serve_directory

    root = workdir / str(count)
    write_archive(root, count, ROOT / "taxonomy", site=True)
    site = root / "built"
    plugin.STATIC_SEARCH = False
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=False)
    start = time.perf_counter()
    build(config)
    site_seconds = time.perf_counter() - start
    config.plugins.on_shutdown()
    archive = load_archive(ArchiveConfig(root=root))
    pages: list[tuple[Path, AnyRecord]] = [
        (site / record.url / "index.html", record) for record in archive.records
    ]
    start = time.perf_counter()
    stats = build_static_index(site, pages)
    index_seconds = time.perf_counter() - start

    fetched: list[int] = []
    with serve_directory(site) as base, chromium() as browser:
        page = browser.new_page()

        def on_response(response: object) -> None:
            url = getattr(response, "url", "")
            if "/pagefind/" in url:
                fetched.append(len(response.body()))  # type: ignore[attr-defined]

        page.on("response", on_response)
        page.goto(base + "search/")
        page.wait_for_load_state("networkidle")
        opened = sum(fetched)  # pagefind.js, its WebAssembly, the index's metadata and filters
        fetched.clear()
        page.locator("#pm-q").press_sequentially(WORDS[0], delay=20)
        page.wait_for_selector(f'#pm-results[data-query="{WORDS[0]}"] .pm-hit')
        page.wait_for_load_state("networkidle")
        first = sum(fetched)
        fetched.clear()
        page.locator(".pm-facet .pm-facet-value").first.click()
        page.wait_for_function("document.querySelector('#pm-q').value.includes(':')")
        page.wait_for_load_state("networkidle")
        faceted = sum(fetched)  # 0 when the facet's results were among those already fetched
        page.remove_listener("response", on_response)
        page.close()
    print(
        f"{count:>7} {site_seconds:>8.1f} {index_seconds:>8.1f} {stats.files:>7} "
        f"{stats.bytes:>12,} {opened:>12,} {first:>12,} {faceted:>12,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; query '{WORDS[0]}' typed on /search/, then one facet"
    )
    print(
        f"{'records':>7} {'site s':>8} {'index s':>8} {'files':>7} {'index B':>12} "
        f"{'open B':>12} {'search B':>12} {'+facet B':>12}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            measure(size, Path(tmp))


if __name__ == "__main__":
    main()
