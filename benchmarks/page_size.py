"""Build synthetic archives of several sizes; print build time and record-page size.

    .venv/bin/python benchmarks/page_size.py 30 3000

A record page must weigh the same whatever the archive holds: records are not in the navigation.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from synthetic import postmortem_text, write_archive

ROOT = Path(__file__).resolve().parent.parent


def measure(count: int, workdir: Path) -> dict[str, float]:
    root = workdir / str(count)
    taxonomy = write_archive(root, count, ROOT / "taxonomy", site=True)
    config = load_config(str(root / "mkdocs.yml"))
    start = time.perf_counter()
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    config.plugins.on_shutdown()
    seconds = time.perf_counter() - start
    site = Path(config.site_dir)
    record_id, _ = postmortem_text(0, taxonomy)
    page = site / "postmortems" / record_id.lower() / "index.html"
    largest_page = max(site.rglob("*.html"), key=lambda p: p.stat().st_size)
    largest = largest_page.stat().st_size
    return {
        "records": count,
        "build_s": seconds,
        "record_page_bytes": page.stat().st_size,
        "largest_html_bytes": largest,
        "largest_html": str(largest_page.relative_to(site)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[30, 3000])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}"
    )
    print(f"{'records':>8} {'build s':>8} {'record page B':>14} {'largest html B':>15}  largest")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            row = measure(size, Path(tmp))
            print(
                f"{row['records']:>8} {row['build_s']:>8.1f} {row['record_page_bytes']:>14} "
                f"{row['largest_html_bytes']:>15}  {row['largest_html']}"
            )


if __name__ == "__main__":
    main()
