"""The size of Material's in-browser search index (fetched on a reader's first page view) for a
synthetic archive: it must not grow with the number of records.

    .venv/bin/python benchmarks/search_index_size.py 2000

writes 2,000 post-mortems and 2,000 near-misses (bodies three times the default length) into a
temporary folder, builds the site and prints the bytes and entries of search/search_index.json.
Run it with PYTHONPATH pointing at another checkout's plugins/ to compare two versions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import plugin_mkdocs_yml
from synthetic import write_archive

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=int, nargs="?", default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        write_archive(
            root, args.records, REPO / "taxonomy", site=True, nearmisses=args.records, length=3
        )
        (root / "mkdocs.yml").write_text(plugin_mkdocs_yml(), encoding="utf-8")
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        mkdocs = Path(sys.executable).with_name("mkdocs")
        subprocess.run(
            [str(mkdocs), "build", "-q", "-f", str(root / "mkdocs.yml")], env=env, check=True
        )
        index = root / "site" / "search" / "search_index.json"
        docs = json.loads(index.read_text(encoding="utf-8"))["docs"]
        print(
            f"{args.records} post-mortems + {args.records} near-misses: "
            f"search_index.json {index.stat().st_size:,} bytes, {len(docs)} entries"
        )


if __name__ == "__main__":
    main()
