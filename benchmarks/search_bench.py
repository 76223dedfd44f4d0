"""Search API latency at scale, in-process, optionally against another commit side by side.

    .venv/bin/python benchmarks/search_bench.py --records 2000 --nearmisses 2000
    .venv/bin/python benchmarks/search_bench.py --records 2000 --nearmisses 2000 --compare HEAD~3

Writes a synthetic archive (benchmarks/synthetic.py, deterministic), builds its Whoosh index and
times ``ArchiveIndex.search`` (what /api/search calls, without HTTP) over bench.py's query mix
plus paging (page 3 of a broad query) and as-you-type prefixes of one word, after one warm-up
pass, then 30 words no query has used (nothing of theirs cached). This tree runs three times:
with its caches off ("no caches": every query evaluated from the index), with the cache of scored
terms only ("term cache": every query evaluated again, from the terms' kept scores), and with the
cache of whole results too ("both": a repeated query is a lookup). With ``--compare REF`` the
package as it is at REF (``git archive``) builds its own index of the same archive and is timed
the same way; each side runs in its own process, and the ratio is the last column over the
first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

EXTRA = [
    ("page 3 of a common word", "cache", 3),
    ("as you type: c", "c*", 1),
    ("as you type: ca", "ca*", 1),
    ("as you type: cac", "cac*", 1),
    ("as you type: cache", "cache", 1),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def worker(archive: Path, index_dir: Path, repeats: int) -> dict[str, object]:
    """Build the index with the package on sys.path and time the mix (run in its own process)."""
    from bench import query_mix
    from synthetic import VOCABULARY

    from pmarchive.ingest.archive import load_archive
    from pmarchive.ingest.config import ArchiveConfig
    from pmarchive.search.index import build_index
    from pmarchive.search.searcher import ArchiveIndex

    loaded = load_archive(ArchiveConfig(root=archive))
    start = time.perf_counter()
    build_index(loaded.records, index_dir)
    built = time.perf_counter() - start
    cause_class = sorted(loaded.taxonomy.classes)[0]
    mix = [(q.label, q.text, 1) for q in query_mix(cause_class)] + EXTRA
    caches = os.environ.get("SEARCH_BENCH_CACHES", "leaf,result").split(",")
    options = {name + "_cache": 0 for name in ("leaf", "result") if name not in caches}
    index = ArchiveIndex(index_dir, loaded.taxonomy, **options)  # type: ignore[arg-type]
    times: dict[str, list[float]] = {label: [] for label, _, _ in mix}
    matches: dict[str, int] = {}
    try:
        start = time.perf_counter()
        for label, text, page in mix:  # warm-up, which also opens the searcher's caches
            matches[label] = index.search(text, page=page).total
        first = time.perf_counter() - start
        for _ in range(repeats):
            for label, text, page in mix:
                start = time.perf_counter()
                index.search(text, page=page)
                times[label].append((time.perf_counter() - start) * 1000)
        fresh = []  # words no query has used yet: nothing of theirs is cached
        for word in VOCABULARY[40:70]:
            start = time.perf_counter()
            index.search(word)
            fresh.append((time.perf_counter() - start) * 1000)
    finally:
        index.close()
    every = [t for values in times.values() for t in values]
    return {
        "build_s": built,
        "first_pass_ms": first * 1000,
        "matches": matches,
        "p50": statistics.median(every),
        "p95": percentile(every, 0.95),
        "per_query_p95": {label: percentile(values, 0.95) for label, values in times.items()},
        "fresh_p50": statistics.median(fresh),
        "fresh_p95": percentile(fresh, 0.95),
    }


def run_worker(
    code: Path, archive: Path, index_dir: Path, repeats: int, caches: str = "leaf,result"
) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(code), "SEARCH_BENCH_CACHES": caches}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(archive), str(index_dir), str(repeats)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def extract(ref: str, into: Path) -> Path:
    """The package as it is at ``ref``, as a directory to put on PYTHONPATH."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "plugins/pmarchive"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "plugins"


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        archive, index_dir, repeats = sys.argv[2:5]
        print(json.dumps(worker(Path(archive), Path(index_dir), int(repeats))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2000, help="post-mortems (default 2000)")
    parser.add_argument("--nearmisses", type=int, default=2000, help="near-misses (default 2000)")
    parser.add_argument("--queries", type=int, default=30, help="timed passes over the mix")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each side, alternated")
    parser.add_argument("--compare", metavar="REF", help="time the package at this git ref too")
    args = parser.parse_args()
    from synthetic import write_archive

    print(
        f"search bench: {args.records} post-mortems + {args.nearmisses} near-misses, "
        f"{args.queries} passes; {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        archive = work / "archive"
        write_archive(archive, args.records, ROOT / "taxonomy", nearmisses=args.nearmisses)
        here = ROOT / "plugins"
        sides = {
            "no caches": (here, ""),
            "term cache": (here, "leaf"),
            "both": (here, "leaf,result"),
        }
        if args.compare:
            sides = {args.compare: (extract(args.compare, work / "ref"), "leaf,result"), **sides}
        runs: dict[str, list[dict[str, object]]] = {name: [] for name in sides}
        for round_ in range(args.rounds):
            for n, (name, (code, caches)) in enumerate(sides.items()):
                index_dir = work / f"index-{n}-{round_}"
                runs[name].append(run_worker(code, archive, index_dir, args.queries, caches))
        print_table(runs)


def print_table(runs: dict[str, list[dict[str, object]]]) -> None:
    names = list(runs)
    best = {name: min(rs, key=lambda r: float(r["p95"])) for name, rs in runs.items()}  # type: ignore[arg-type]
    width = 40
    print(
        f"{'':<{width}}"
        + "".join(f"{name:>14}" for name in names)
        + ("   ratio" * (len(names) > 1))
    )

    def row(label: str, values: list[float], unit: str) -> None:
        ratio = f"{values[-1] / values[0]:>7.2f}x" if len(values) > 1 and values[0] else ""
        print(f"{label:<{width}}" + "".join(f"{v:>11.2f} {unit:<2}" for v in values) + ratio)

    row("index build", [float(best[n]["build_s"]) for n in names], "s")  # type: ignore[arg-type]
    row("first pass (cold caches)", [float(best[n]["first_pass_ms"]) for n in names], "ms")  # type: ignore[arg-type]
    row("API p50", [float(best[n]["p50"]) for n in names], "ms")  # type: ignore[arg-type]
    row("API p95", [float(best[n]["p95"]) for n in names], "ms")  # type: ignore[arg-type]
    row("a word never searched before, p50", [float(best[n]["fresh_p50"]) for n in names], "ms")  # type: ignore[arg-type]
    row("a word never searched before, p95", [float(best[n]["fresh_p95"]) for n in names], "ms")  # type: ignore[arg-type]
    labels = list(best[names[-1]]["per_query_p95"])  # type: ignore[call-overload]
    for label in labels:
        values = [float(best[n]["per_query_p95"].get(label, float("nan"))) for n in names]  # type: ignore[attr-defined]
        matched = best[names[-1]]["matches"][label]  # type: ignore[index]
        row(f"  p95 {label} ({matched})", values, "ms")


if __name__ == "__main__":
    main()
