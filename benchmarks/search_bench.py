"""Search at scale: index build time, API latency p50/p95 and bytes per query.

    .venv/bin/python benchmarks/search_bench.py 1000 10000

For each size: a synthetic archive (pmarchive.synthetic), a full index build, an incremental
rebuild with nothing changed, then 200 queries through the HTTP API served by uvicorn on
loopback, and the size of Material's search_index.json for the same archive (a site build).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from synthetic import VOCABULARY, WORDS, write_archive

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.search.index import build_index
from pmarchive.search.server import create_app

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def queries(taxonomy_classes: list[str], count: int) -> list[str]:
    """A mix: a common word with a class filter, a mid-frequency word with SEV and date
    filters, and two words from the long tail (what people type to find one incident)."""
    rng = random.Random(7)
    made = []
    for n in range(count):
        if n % 3 == 0:
            made.append(f"{rng.choice(WORDS)} class:{rng.choice(taxonomy_classes)}")
        elif n % 3 == 1:
            made.append(f"{rng.choice(VOCABULARY[30:300])} sev:1..2 after:2025-01-01")
        else:
            made.append(" ".join(rng.sample(VOCABULARY[30:], 2)))
    return made


def measure(count: int, workdir: Path, with_site: bool) -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.browser import serve_app

    root = workdir / str(count)
    taxonomy = write_archive(root, count, ROOT / "taxonomy", site=with_site)
    archive = load_archive(ArchiveConfig(root=root))
    assert not archive.errors, archive.errors[:3]
    start = time.perf_counter()
    build_index(archive.records, root / "index")
    full = time.perf_counter() - start
    start = time.perf_counter()
    build_index(archive.records, root / "index")
    incremental = time.perf_counter() - start
    (root / "site").mkdir()
    latencies: list[float] = []
    sizes: list[int] = []
    with serve_app(create_app(root / "site", root / "index", taxonomy)) as base:
        urllib.request.urlopen(base + "api/search?q=warmup").read()
        for q in queries(sorted(taxonomy.classes), 200):
            url = base + "api/search?limit=20&q=" + urllib.parse.quote(q)
            start = time.perf_counter()
            body = urllib.request.urlopen(url).read()
            latencies.append((time.perf_counter() - start) * 1000)
            sizes.append(len(body))
    material = "-"
    if with_site:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "built"))
        config.plugins.on_startup(command="build", dirty=False)
        build(config)
        config.plugins.on_shutdown()
        material = str((root / "built" / "search" / "search_index.json").stat().st_size)
    print(
        f"{count:>7} {full:>9.1f} {incremental:>7.2f} {statistics.median(latencies):>8.1f} "
        f"{percentile(latencies, 0.95):>8.1f} {statistics.mean(sizes):>10.0f} "
        f"{max(sizes):>9} {material:>14}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--no-site", action="store_true", help="skip the Material site build")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; 200 queries per size, limit 20, one client"
    )
    print(
        f"{'records':>7} {'build s':>9} {'noop s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'mean B/q':>10} {'max B/q':>9} {'material B':>14}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            measure(size, Path(tmp), not args.no_site)


if __name__ == "__main__":
    main()
