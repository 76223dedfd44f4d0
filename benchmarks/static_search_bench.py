"""The static host's search: Pagefind index time, the binary's peak memory, index size and bytes
one search transfers, with the index in shards or in one piece, and a warm build's reuse of it.

    .venv/bin/python benchmarks/static_search_bench.py 4000 --shard-pages 2000 0
    .venv/bin/python benchmarks/static_search_bench.py 2000 --nearmisses 2000 --shard-pages 2000 \
        --no-browser

For each size: a synthetic archive site built without the static index; then, for each shard
size (0: one index, however large), the index built alone on a copy of that site (its time is
what the build adds) in a forked child, whose children's peak RSS is the Pagefind binary's
(one binary per shard, one at a time), kept in a store; then the index of a fresh copy of the
same site, reused from that store (a warm build: no page changed, Pagefind does not run); then
/search/ served as plain files and opened in Chromium (unless --no-browser): the bytes of the
Pagefind files fetched (every response under pagefind/ or pagefind-shards/) on opening the page,
for one query, and for one query with a facet.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import multiprocessing
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from synthetic import WORDS, write_archive

ROOT = Path(__file__).resolve().parent.parent
MKDOCS_YML = """\
site_name: Synthetic archive
theme: {name: material, font: false}
plugins: [search, {postmortems: {static_search: false}}]
nav: [index.md]
"""
"""The synthetic site with the static index left to this benchmark."""
INDEX_PATHS = ("/pagefind/", "/pagefind-shards/")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Plain files, no log, and no traceback when Chromium drops a request it no longer needs
    (closing the page)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()


def build_site(root: Path, count: int, nearmisses: int = 0) -> tuple[Path, float]:
    """The synthetic archive's site (``count`` post-mortems, ``nearmisses`` near-misses),
    without the static index; (its folder, seconds)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    write_archive(root, count, ROOT / "taxonomy", site=True, nearmisses=nearmisses)
    (root / "mkdocs.yml").write_text(MKDOCS_YML)
    site = root / "built"
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=False)
    start = time.perf_counter()
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return site, time.perf_counter() - start


def index_in_child(root: Path, site: Path, shard_pages: int, store: Path, answer: object) -> None:
    """Build the static index of ``site`` with ``store`` (signed under a key of the benchmark's
    own, beside it); send (stats, seconds, peak KB of the children)."""
    from pmarchive.ingest.archive import load_archive
    from pmarchive.ingest.config import ArchiveConfig
    from pmarchive.site.static_search import build_static_index

    archive = load_archive(ArchiveConfig(root=root))
    pages = [(site / record.url / "index.html", record) for record in archive.records]
    pages = [(path, record) for path, record in pages if path.is_file()]
    start = time.perf_counter()
    stats = build_static_index(
        site,
        pages,
        shard_pages=shard_pages or len(pages) or 1,
        store=store,
        key_file=store.parent / "bench.key",
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
    answer.send((stats, seconds, peak))  # type: ignore[attr-defined]


def transferred(site: Path) -> tuple[int, int, int]:
    """Bytes of the index fetched on opening /search/, for one query, and for one facet."""
    from tests.browser import chromium, serve_directory

    fetched: list[int] = []
    with serve_directory(site, QuietHandler) as base, chromium() as browser:
        page = browser.new_page()

        def on_response(response: object) -> None:
            url = getattr(response, "url", "")
            if any(part in url for part in INDEX_PATHS):
                fetched.append(len(response.body()))  # type: ignore[attr-defined]

        page.on("response", on_response)
        page.goto(base + "search/")
        page.wait_for_selector('#pm-results[data-engine="pagefind"]', state="attached")
        page.wait_for_load_state("networkidle")
        opened = sum(fetched)  # pagefind.js, its WebAssembly, each shard's metadata and filters
        fetched.clear()
        page.locator("#pm-q").press_sequentially(WORDS[0], delay=20)
        page.wait_for_selector(f'#pm-results[data-query="{WORDS[0]}"] .pm-hit')
        page.wait_for_load_state("networkidle")
        first = sum(fetched)
        fetched.clear()
        page.locator(".pm-facet .pm-facet-value").first.click()
        page.wait_for_function(
            "document.querySelector('#pm-q').value.includes(':') && document.querySelector"
            "('#pm-results').getAttribute('data-query') === document.querySelector('#pm-q').value"
        )
        page.wait_for_load_state("networkidle")
        faceted = sum(fetched)  # 0 when the facet's results were among those already fetched
        page.remove_listener("response", on_response)
        page.close()
    return opened, first, faceted


def index_once(root: Path, site: Path, shard_pages: int, store: Path) -> tuple[Any, float, int]:
    """``index_in_child`` in a forked child (a fresh count of the children's peak memory, and
    no re-import); its answer."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=index_in_child, args=(root, site, shard_pages, store, send)
    )
    child.start()
    answer: tuple[Any, float, int] = receive.recv()
    child.join()
    return answer


def measure(
    count: int, nearmisses: int, shard_sizes: list[int], workdir: Path, browser: bool
) -> None:
    root = workdir / str(count)
    pristine, site_seconds = build_site(root, count, nearmisses)
    count += nearmisses
    for shard_pages in shard_sizes:
        store = workdir / f"store-{count}-{shard_pages}" / "pagefind"
        site = workdir / f"{count}-{shard_pages}"
        shutil.copytree(pristine, site)
        stats, index_seconds, peak = index_once(root, site, shard_pages, store)
        warm = workdir / f"{count}-{shard_pages}-warm"
        shutil.copytree(pristine, warm)
        reused, reuse_seconds, _ = index_once(root, warm, shard_pages, store)
        if not reused.reused or (reused.files, reused.bytes) != (stats.files, stats.bytes):
            raise SystemExit(f"the warm build did not reuse the same index: {reused}")
        shutil.rmtree(warm)
        opened, first, faceted = transferred(site) if browser else (0, 0, 0)
        label = str(shard_pages) if shard_pages else "one"
        print(
            f"{count:>7} {label:>6} {stats.shards:>6} {site_seconds:>7.1f} {index_seconds:>7.1f} "
            f"{reuse_seconds:>7.2f} {peak / 1024:>8.0f} {stats.files:>6} {stats.bytes:>12,} "
            f"{opened:>10,} {first:>10,} {faceted:>10,}",
            flush=True,
        )
        shutil.rmtree(site)
        shutil.rmtree(store.parent)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    parser.add_argument(
        "--shard-pages",
        nargs="+",
        type=int,
        default=[2000, 0],
        help="the shard sizes to compare (0: one index); default 2000 0",
    )
    parser.add_argument(
        "--nearmisses", type=int, default=0, help="near-misses besides each size's post-mortems"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the bytes fetched by /search/ (0s)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; query '{WORDS[0]}' typed on /search/, then one facet"
    )
    print(
        f"{'records':>7} {'shard':>6} {'shards':>6} {'site s':>7} {'index s':>7} "
        f"{'reuse s':>7} {'peak MB':>8} {'files':>6} {'index B':>12} {'open B':>10} "
        f"{'search B':>10} {'+facet B':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            measure(size, args.nearmisses, args.shard_pages, Path(tmp), not args.no_browser)


if __name__ == "__main__":
    main()
