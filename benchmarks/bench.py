"""The scale benchmark: the plugin against a plain Material build of the same Markdown, in one run.

    make bench
    .venv/bin/python benchmarks/bench.py --records 10000 --nearmisses 10000

It writes its own archive (synthetic.py: post-mortems and near-misses of about 600 words, with
recurring classes, record n seeded by n) into a temporary folder, and a sibling site that holds
the same files as ordinary Markdown pages (front-matter kept, out of the nav, Material's search
on, no postmortems plugin). Then, alternating the builds round by round, each build a separate
process: the plain build, the plugin's build cold (no .pmarchive/) and warm (index already
built), with the wall time and peak memory (max RSS from wait4) of each; `pmarchive check`
against a bare libyaml parse of every record's front-matter, also as processes; search latency
over a fixed query mix against the Whoosh index in-process; the bytes a page load transfers for
the home, alert and record pages, measured in Chromium; and the size of a record page's HTML.
Every figure is printed beside the issue's goal. Medians over --rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The example archive's day: the plugin's figures must not move with the machine's calendar.
TODAY = "2026-11-24"
SITE_NAME = "Synthetic archive"
HOME_PAGE = "# Synthetic archive\n\nEvery incident and near-miss we have learned from.\n"
RECORD_FOLDERS = ("postmortems", "nearmisses")
CACHE_FOLDERS = (".pmarchive", ".pmarchive-cache")
"""What a build leaves beside mkdocs.yml: the search index, the record cache."""
# pmarchive serve gzips responses from 500 bytes (GZipMiddleware); page weights are counted so.
GZIP_MINIMUM = 500

# What a bare front-matter parse costs: read each record, cut out its front-matter, libyaml.
LIBYAML_BASELINE = """\
import sys
from pathlib import Path
import yaml
for folder in sys.argv[1:]:
    for path in sorted(Path(folder).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        end = text.find("\\n---\\n", 4)
        yaml.load(text[4:end], Loader=yaml.CSafeLoader)
"""


def plugin_mkdocs_yml(today: str = TODAY) -> str:
    """The plugin's site: Material, Material's search and the postmortems plugin."""
    return (
        f"site_name: {SITE_NAME}\n"
        "theme: {name: material, font: false}\n"
        f'plugins: [search, {{postmortems: {{today: "{today}"}}}}]\n'
        "nav: [index.md]\n"
    )


def plain_mkdocs_yml(folders: Sequence[str] = RECORD_FOLDERS) -> str:
    """The same site without the plugin: the records are ordinary pages under docs_dir, kept
    out of the nav (not_in_nav, so MkDocs lists none), and Material's search indexes them."""
    not_in_nav = "".join(f"  /{folder}/\n" for folder in folders)
    return (
        f"site_name: {SITE_NAME}\n"
        "theme: {name: material, font: false}\n"
        "plugins: [search]\n"
        "nav: [index.md]\n"
        f"not_in_nav: |\n{not_in_nav}"
    )


@dataclass(frozen=True)
class Query:
    label: str
    text: str


def query_mix(cause_class: str) -> list[Query]:
    """The fixed mix the API is timed on (words from the top of synthetic.VOCABULARY)."""
    return [
        Query("one common word", "cache"),
        Query("two words", "retry timeout"),
        Query("a phrase", '"connection pool"'),
        Query("word + class", f"latency class:{cause_class}"),
        Query("word + SEV range + date", "deploy sev:1..2 after:2025-01-01"),
        Query("OR with a negation", "failover OR rollback -class:" + cause_class),
    ]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def format_ratio(plugin: float | None, plain: float | None) -> str:
    """plugin / plain as '1.23x'; '-' when either side is missing or plain is zero."""
    if plugin is None or plain is None or plain == 0:
        return "-"
    return f"{plugin / plain:.2f}x"


def verdict(value: float | None, limit: float) -> str:
    """'met' when ``value`` is at most ``limit``, 'not met' above it, '-' when not measured."""
    if value is None:
        return "-"
    return "met" if value <= limit else "not met"


@dataclass(frozen=True)
class Row:
    """One line of the table. ``ratio_goal`` compares plugin/plain with a limit; otherwise
    ``limit`` applies to the plugin's own figure."""

    label: str
    unit: str
    plain: float | None
    plugin: float | None
    limit: float
    ratio_goal: bool

    def checked(self) -> float | None:
        if not self.ratio_goal:
            return self.plugin
        if self.plugin is None or not self.plain:
            return None
        return self.plugin / self.plain

    def goal(self) -> str:
        if self.ratio_goal:
            return f"<= {self.limit:g}x plain"
        return f"<= {self.limit:g} {self.unit}"


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:,.{digits}f} {unit}"


def format_table(rows: Sequence[Row]) -> str:
    """The plain and plugin figures, their ratio, the goal and whether it is met, aligned."""
    header = ("", "plain", "plugin", "ratio", "goal", "")
    lines = [
        (
            row.label,
            _figure(row.plain, row.unit),
            _figure(row.plugin, row.unit),
            format_ratio(row.plugin, row.plain),
            row.goal(),
            verdict(row.checked(), row.limit),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = []
    for line in [header, *lines]:
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:4], widths[1:4], strict=True)
        ]
        cells += [line[4].ljust(widths[4]), line[5]]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


# --- the archive and the two sites ---------------------------------------------------------


def write_sites(workdir: Path, records: int, nearmisses: int) -> tuple[Path, Path, str]:
    """The plugin's archive and the plain site beside it; (archive, plain, a cause class)."""
    from synthetic import write_archive

    archive = workdir / "archive"
    taxonomy = write_archive(archive, records, ROOT / "taxonomy", nearmisses=nearmisses, length=2)
    (archive / "docs").mkdir(exist_ok=True)
    (archive / "docs" / "index.md").write_text(HOME_PAGE, encoding="utf-8")
    (archive / "mkdocs.yml").write_text(plugin_mkdocs_yml(), encoding="utf-8")
    plain = workdir / "plain"
    (plain / "docs").mkdir(parents=True)
    (plain / "docs" / "index.md").write_text(HOME_PAGE, encoding="utf-8")
    for folder in RECORD_FOLDERS:
        shutil.copytree(archive / folder, plain / "docs" / folder)
    (plain / "mkdocs.yml").write_text(plain_mkdocs_yml(), encoding="utf-8")
    return archive, plain, sorted(taxonomy.classes)[0]


# --- processes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float


def run_measured(command: Sequence[str], cwd: Path) -> Run:
    """Run ``command`` to its end: wall time and the child's own peak RSS (wait4, not the
    running maximum over every child that RUSAGE_CHILDREN reports)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=errors, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{tail}")
    return Run(seconds, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux


def build_command(folder: Path) -> list[str]:
    return [str(BIN / "mkdocs"), "build", "-q", "-f", str(folder / "mkdocs.yml")]


def time_builds(archive: Path, plain: Path, rounds: int) -> dict[str, list[Run]]:
    """Alternate the builds: each round runs plain, cold and warm, in an order that rotates,
    so a burst of load on the machine does not land on one kind of build every time. Warm
    always comes after cold in its round (its index is the one cold built)."""
    orders = [("plain", "cold", "warm"), ("cold", "warm", "plain"), ("cold", "plain", "warm")]
    runs: dict[str, list[Run]] = {"plain": [], "cold": [], "warm": []}
    for n in range(rounds):
        for kind in orders[n % len(orders)]:
            if kind == "cold":  # a fresh clone: no index, no record cache
                for folder in CACHE_FOLDERS:
                    shutil.rmtree(archive / folder, ignore_errors=True)
            folder = plain if kind == "plain" else archive
            run = run_measured(build_command(folder), folder)
            runs[kind].append(run)
            print(f"  round {n + 1}: {kind:<5} {run.seconds:7.1f} s {run.peak_mib:7.0f} MiB")
    return runs


def time_checks(archive: Path, rounds: int) -> dict[str, list[Run]]:
    """`pmarchive check` and the bare libyaml parse, alternately, each a fresh process."""
    check = [str(BIN / "pmarchive"), "check", "--root", str(archive)]
    baseline = [sys.executable, "-c", LIBYAML_BASELINE, *(str(archive / f) for f in RECORD_FOLDERS)]
    runs: dict[str, list[Run]] = {"check": [], "libyaml": []}
    for n in range(rounds):
        pair = [("libyaml", baseline), ("check", check)]
        for kind, command in pair if n % 2 == 0 else reversed(pair):
            runs[kind].append(run_measured(command, archive))
    return runs


# --- search ---------------------------------------------------------------------------------


def time_queries(archive: Path, mix: Sequence[Query], repeats: int) -> dict[str, list[float]]:
    """Milliseconds per query of ``mix``, each run ``repeats`` times after one warm-up pass,
    through the in-process ArchiveIndex (what /api/search calls)."""
    from pmarchive.ingest.taxonomy import load_taxonomy
    from pmarchive.search.searcher import ArchiveIndex

    taxonomy, _ = load_taxonomy(archive / "taxonomy")
    # no result cache: the mix repeats its queries, and a cached answer is no latency figure
    index = ArchiveIndex(
        archive / ".pmarchive" / "search-index" / "internal", taxonomy, result_cache=0
    )
    try:
        for query in mix:  # the warm-up pass, which also shows what each query finds
            print(f"  {query.label}: {query.text!r} matches {index.search(query.text).total}")
        times: dict[str, list[float]] = {query.label: [] for query in mix}
        for _ in range(repeats):
            for query in mix:
                start = time.perf_counter()
                index.search(query.text)
                times[query.label].append((time.perf_counter() - start) * 1000)
    finally:
        index.close()
    return times


# --- page weight ----------------------------------------------------------------------------


@contextlib.contextmanager
def _browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def gzip_size(body: bytes) -> int:
    """The bytes a body takes on the wire from `pmarchive serve` (gzip from 500 bytes)."""
    return len(gzip.compress(body, 6)) if len(body) >= GZIP_MINIMUM else len(body)


def page_load(browser: object, url: str) -> tuple[int, int, int]:
    """(requests, raw bytes, gzip bytes) of every response a fresh browser gets while loading
    ``url`` until the network is idle: the page, its assets, and what its scripts fetch
    unasked (Material's search index)."""
    context = browser.new_context()  # type: ignore[attr-defined]
    responses: list[Any] = []
    context.on("response", lambda response: responses.append(response))
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    bodies = []
    for response in responses:
        with contextlib.suppress(Exception):  # a redirect has no body
            bodies.append(response.body())
    context.close()
    return len(responses), sum(map(len, bodies)), sum(map(gzip_size, bodies))


def page_weights(sites: dict[str, Path], pages: dict[str, dict[str, str]]) -> dict:
    """page -> site -> (requests, raw bytes, gzip bytes), each site served over loopback."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the test suite's browser harness: Debian's Chromium
    from tests.browser import serve_directory

    weights: dict[str, dict[str, tuple[int, int, int]]] = {}
    with _browser() as browser:
        for site, folder in sites.items():
            with serve_directory(folder) as base:
                for page, path in pages[site].items():
                    weights.setdefault(page, {})[site] = page_load(browser, base + path)
    return weights


def note(text: str) -> None:
    print(textwrap.fill(text, width=100, subsequent_indent="  "))


# --- the run --------------------------------------------------------------------------------


def median_s(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def peak(runs: list[Run]) -> float:
    return statistics.median(run.peak_mib for run in runs)


def build_rows(builds: dict[str, list[Run]]) -> list[Row]:
    """The three build goals: warm and cold time, peak memory, each against plain Material."""
    plain = builds["plain"]
    plugin_peak = max(peak(builds["cold"]), peak(builds["warm"]))
    return [
        Row("build, warm", "s", median_s(plain), median_s(builds["warm"]), 1.0, True),
        Row("build, cold", "s", median_s(plain), median_s(builds["cold"]), 1.25, True),
        Row("peak memory (cold/warm max)", "MiB", peak(plain), plugin_peak, 1.5, True),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=500, help="post-mortems (default 500)")
    parser.add_argument("--nearmisses", type=int, default=500, help="near-misses (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="builds of each kind (default 3)")
    parser.add_argument("--queries", type=int, default=50, help="timed passes over the mix")
    parser.add_argument("--keep", type=Path, help="write the sites here and keep them")
    parser.add_argument(
        "--builds-only",
        action="store_true",
        help="time the builds and stop (no check, API or page-load figures): a quick measure "
        "while working on build speed",
    )
    args = parser.parse_args(argv)

    print(
        f"pmarchive bench: {args.records} post-mortems + {args.nearmisses} near-misses, "
        f"{args.rounds} rounds; {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    with contextlib.ExitStack() as stack:
        if args.keep:
            workdir = args.keep
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pmbench-")))
        start = time.perf_counter()
        archive, plain, cause_class = write_sites(workdir, args.records, args.nearmisses)
        print(f"archive written in {time.perf_counter() - start:.1f} s; builds:")
        builds = time_builds(archive, plain, args.rounds)
        if args.builds_only:
            print()
            print(format_table(build_rows(builds)))
            return
        checks = time_checks(archive, args.rounds)
        mix = query_mix(cause_class)
        print("queries:")
        latencies = time_queries(archive, mix, args.queries)
        all_ms = [ms for values in latencies.values() for ms in values]

        from synthetic import postmortem_text

        from pmarchive.ingest.taxonomy import load_taxonomy

        taxonomy, _ = load_taxonomy(archive / "taxonomy")
        record_id, _ = postmortem_text(0, taxonomy, length=2)
        alert = sorted((archive / "site" / "alerts").iterdir())[0].name
        pages = {
            "plain": {"home": "", "record": f"postmortems/{record_id}/"},
            "plugin": {
                "home": "",
                "alert": f"alerts/{alert}/",
                "record": f"postmortems/{record_id.lower()}/",
            },
        }
        weights = page_weights({"plain": plain / "site", "plugin": archive / "site"}, pages)
        record_html = {
            site: (folder / "site" / pages[site]["record"] / "index.html").stat().st_size
            for site, folder in (("plain", plain), ("plugin", archive))
        }

    def kib(page: str, site: str) -> float | None:
        found = weights.get(page, {}).get(site)
        return None if found is None else found[2] / 1024

    html_kib = {site: size / 1024 for site, size in record_html.items()}
    check_s = median_s(checks["check"])
    rows = [
        *build_rows(builds),
        Row("check vs libyaml", "s", median_s(checks["libyaml"]), check_s, 3.0, True),
        Row("API p50", "ms", None, statistics.median(all_ms), 30.0, False),
        Row("API p95", "ms", None, percentile(all_ms, 0.95), 30.0, False),
        *(
            Row(f"{page} page load", "KiB", kib(page, "plain"), kib(page, "plugin"), 500.0, False)
            for page in ("home", "alert", "record")
        ),
        Row("record page HTML", "KiB", html_kib["plain"], html_kib["plugin"], 40.0, False),
    ]
    print()
    print(format_table(rows))
    print()
    note(
        f"Medians of {args.rounds} rounds; builds and check are separate processes (wall time, "
        "peak RSS by wait4); the libyaml side is a process reading every record and parsing its "
        "front-matter with CSafeLoader."
    )
    note(
        f"API: in-process ArchiveIndex.search, {args.queries} passes over {len(mix)} queries; "
        "p95 per query (ms): "
        + ", ".join(f"{label} {percentile(ms, 0.95):.1f}" for label, ms in latencies.items())
    )
    note(
        "Page load: every response Chromium receives until the network is idle (fresh cache), "
        "bodies gzip-compressed as pmarchive serve sends them; uncompressed: "
        + ", ".join(
            f"{page} {site} {found[1] / 1024:,.0f} KiB in {found[0]} requests"
            for page, sites in weights.items()
            for site, found in sites.items()
        )
    )


if __name__ == "__main__":
    main()
