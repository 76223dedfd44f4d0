"""Load on `pmarchive serve`: many concurrent clients mixing searches, malformed queries and
static pages; prints status counts and latency percentiles per kind of request.

    .venv/bin/python benchmarks/load_bench.py --records 1000 --clients 200 --requests 20

A synthetic archive (pmarchive.synthetic) is written into a temporary folder and served by the
real command (`pmarchive serve`, which builds the site and the index) in a child process on a
free loopback port. The clients run in this process (asyncio + httpx), each sending its share
of requests one after another. Everything stops by itself: after every client has sent its
requests, or at the time limit. Exit status 1 if any response was a 5xx (or never came).

With --frontmatter it measures loading instead of serving: the strict located YAML loader
(pmarchive.ingest.yamlsafe) against a bare libyaml parse of the same front-matters, then
`pmarchive check` against a process that only parses them with libyaml (bench.py's pair):

    .venv/bin/python benchmarks/load_bench.py --frontmatter --records 2000 --nearmisses 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import yaml
from synthetic import VOCABULARY, WORDS, write_archive

ROOT = Path(__file__).resolve().parent.parent

MALFORMED = [
    "sev:1..99999999999999999999",
    "year:99999999999999999999",
    "title:*a*",
    "body:?x",
    "*stampede",
    "sev:high",
    "after:2026-13-01",
    "-before:2026-01-01",
    "x" * 600,
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def request_mix(classes: list[str], count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, path) pairs: 30% home page, 10% the cause-class index page, 40% valid searches
    (free text, filters, dates), 20% malformed queries that must be refused with a 400."""
    rng = random.Random(seed)
    mix: list[tuple[str, str]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.30:
            mix.append(("home", "/"))
        elif roll < 0.40:
            mix.append(("page", "/classes/"))
        elif roll < 0.80:
            choice = rng.randrange(3)
            if choice == 0:
                q = f"{rng.choice(WORDS)} class:{rng.choice(classes)}"
            elif choice == 1:
                q = f"{rng.choice(VOCABULARY[30:300])} sev:1..2 after:2025-01-01"
            else:
                q = " ".join(rng.sample(VOCABULARY[30:], 2))
            mix.append(("search", "/api/search?" + str(httpx.QueryParams({"q": q, "limit": 20}))))
        else:
            q = rng.choice(MALFORMED)
            mix.append(("malformed", "/api/search?" + str(httpx.QueryParams({"q": q}))))
    return mix


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from pmarchive.cli import main; main()",
        "serve",
        "--root",
        str(root),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PMARCHIVE_TODAY": "2026-11-24"},
    )


def wait_until_up(base: str, server: subprocess.Popen[bytes], limit: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if server.poll() is not None:
            raise SystemExit(f"pmarchive serve exited with {server.returncode}")
        try:
            if httpx.get(base + "/", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"pmarchive serve did not answer within {limit:.0f} s")


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a client this thin leaves the
    CPU to the server (httpx's pool cost more per request than the server's static pages)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept-Encoding: gzip\r\n\r\n"
        )
        self.writer.write(request.encode("ascii"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        if headers.get("connection") == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def load(
    port: int, mixes: list[list[tuple[str, str]]], limit: float, ramp: float
) -> tuple[list[tuple[str, int, float]], float]:
    """Run every client's requests; (kind, status, ms) per request (status 0: no answer).

    Client n starts after n/len(mixes) x ``ramp`` seconds: people arrive over a moment, not
    in one instant (200 simultaneous connects measure the accept queue, not the app)."""
    outcomes: list[tuple[str, int, float]] = []

    async def client(n: int, mix: list[tuple[str, str]]) -> None:
        await asyncio.sleep(ramp * n / len(mixes))
        connection = Connection("127.0.0.1", port)
        try:
            for kind, path in mix:
                start = time.perf_counter()
                try:
                    status = await connection.get(path)
                except (OSError, ValueError, asyncio.IncompleteReadError):
                    status = 0
                    await connection.close()
                outcomes.append((kind, status, (time.perf_counter() - start) * 1000))
        finally:
            await connection.close()

    start = time.perf_counter()
    tasks = [asyncio.create_task(client(n, mix)) for n, mix in enumerate(mixes)]
    _, late = await asyncio.wait(tasks, timeout=limit)
    for task in late:
        task.cancel()
    return outcomes, time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), for who-was-busy figures."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(outcomes: list[tuple[str, int, float]], elapsed: float, sent: int) -> int:
    statuses = Counter(status for _, status, _ in outcomes)
    failures = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    print(
        f"requests: {len(outcomes)} of {sent} answered in {elapsed:.1f} s "
        f"({len(outcomes) / elapsed:.0f}/s); statuses: "
        + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    )
    print(f"5xx or no answer: {failures}")
    print(f"{'kind':<10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  statuses")
    for kind in ("home", "page", "search", "malformed"):
        rows = [(status, ms) for k, status, ms in outcomes if k == kind]
        if not rows:
            continue
        times = [ms for _, ms in rows]
        kinds = Counter(status for status, _ in rows)
        print(
            f"{kind:<10} {len(rows):>6} {statistics.median(times):>8.1f} "
            f"{percentile(times, 0.95):>8.1f} {max(times):>8.1f}  "
            + ", ".join(f"{status}: {n}" for status, n in sorted(kinds.items()))
        )
    wrong = [k for k, status, _ in outcomes if k == "malformed" and status != 400]
    if wrong:
        print(f"malformed queries not answered 400: {len(wrong)}")
    return 1 if failures or len(outcomes) < sent or wrong else 0


# --- front-matter loading (--frontmatter) ---------------------------------------------------


def front_matters(root: Path) -> list[tuple[str, int]]:
    """(front-matter text, its first file line) of every record, cut as the archive reader does."""
    from pmarchive.ingest.source import read_text, split_frontmatter

    found = []
    for folder in ("postmortems", "nearmisses"):
        for path in sorted((root / folder).glob("*.md")):
            split = split_frontmatter(read_text(path))
            found.append((split.frontmatter, split.frontmatter_line))
    return found


def loader_from_commit(commit: str, folder: Path) -> ModuleType:
    """yamlsafe.py as it was at ``commit``, imported on its own (it needs only PyYAML)."""
    source = subprocess.run(
        ["git", "show", f"{commit}:plugins/pmarchive/ingest/yamlsafe.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = folder / "yamlsafe_old.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("yamlsafe_old", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def time_loads(
    docs: list[tuple[str, int]], loaders: dict[str, Callable[[str, int], Any]], rounds: int
) -> dict[str, float]:
    """Median seconds to load every document, per loader, after a warm-up; the loaders take
    turns going first, round by round."""
    times: dict[str, list[float]] = {name: [] for name in loaders}
    names = list(loaders)
    for load in loaders.values():  # warm up: first calls, imports, caches
        for text, line in docs[:50]:
            load(text, line)
    for n in range(rounds):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            load = loaders[name]
            start = time.perf_counter()
            for text, line in docs:
                load(text, line)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def frontmatter_bench(records: int, nearmisses: int, rounds: int, old_commit: str | None) -> None:
    from bench import LIBYAML_BASELINE, time_checks

    from pmarchive.ingest import yamlsafe

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, PyYAML "
        f"{yaml.__version__} (libyaml: {yaml.__with_libyaml__}); {records} post-mortems + "
        f"{nearmisses} near-misses, medians of {rounds} round(s)"
    )
    loaders: dict[str, Callable[[str, int], Any]] = {
        "bare libyaml: yaml.load(CSafeLoader)": lambda text, line: yaml.load(
            text, Loader=yaml.CSafeLoader
        ),
        "strict loader, libyaml": lambda text, line: yamlsafe.load_located(
            text, first_line=line, engine="libyaml"
        ),
        "strict loader, pure Python": lambda text, line: yamlsafe.load_located(
            text, first_line=line, engine="python"
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        if old_commit:
            old = loader_from_commit(old_commit, Path(tmp))
            loaders[f"strict loader at {old_commit}"] = lambda text, line: old.load_located(
                text, first_line=line
            )
        root = Path(tmp) / "archive"
        write_archive(root, records, ROOT / "taxonomy", nearmisses=nearmisses, length=2)
        docs = front_matters(root)
        size = sum(len(text.encode("utf-8")) for text, _ in docs)
        print(f"{len(docs)} front-matters, {size / len(docs):.0f} bytes each on average\n")
        medians = time_loads(docs, loaders, rounds)
        bare = medians["bare libyaml: yaml.load(CSafeLoader)"]
        print(f"{'in-process, every front-matter':<40} {'total':>9} {'per file':>10} {'ratio':>7}")
        for name, seconds in medians.items():
            per_file = seconds / len(docs) * 1e6
            print(f"{name:<40} {seconds:8.3f}s {per_file:8.1f}us {seconds / bare:6.2f}x")
        assert LIBYAML_BASELINE  # the process the check is compared with, from bench.py
        checks = time_checks(root, rounds)
        check = statistics.median(run.seconds for run in checks["check"])
        baseline = statistics.median(run.seconds for run in checks["libyaml"])
        print(f"\n{'processes, Python start-up included':<40} {'total':>9} {'':>10} {'ratio':>7}")
        print(f"{'bare libyaml parse of every record':<40} {baseline:8.2f}s {'':>10} {1:6.2f}x")
        print(
            f"{'pmarchive check --root ARCHIVE':<40} {check:8.2f}s {'':>10} "
            f"{check / baseline:6.2f}x  (goal <= 3x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds for the load")
    parser.add_argument("--startup-limit", type=float, default=900.0, help="seconds to start")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds over which clients join")
    parser.add_argument(
        "--frontmatter",
        action="store_true",
        help="time front-matter loading and `pmarchive check` instead of serving",
    )
    parser.add_argument("--nearmisses", type=int, default=0, help="near-misses (--frontmatter)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (--frontmatter)")
    parser.add_argument(
        "--old-commit", help="also time yamlsafe.py as it was at this commit (--frontmatter)"
    )
    args = parser.parse_args()
    if args.frontmatter:
        frontmatter_bench(args.records, args.nearmisses, args.rounds, args.old_commit)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"{args.records} records, {args.clients} concurrent clients x {args.requests} requests, "
        f"joining over {args.ramp:g} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        taxonomy = write_archive(root, args.records, ROOT / "taxonomy", site=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(root, port)
        try:
            startup = wait_until_up(base, server, args.startup_limit)
            print(f"pmarchive serve up after {startup:.1f} s (site and index built)")
            httpx.get(base + "/api/search?q=warmup", timeout=60)  # open the index once
            classes = sorted(taxonomy.classes)
            mixes = [request_mix(classes, args.requests, seed) for seed in range(args.clients)]
            server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
            outcomes, elapsed = asyncio.run(load(port, mixes, args.time_limit, args.ramp))
            server_cpu = cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            print(
                f"CPU during the load: server {server_cpu:.1f} s, clients {client_cpu:.1f} s "
                f"(of {elapsed:.1f} s x {os.cpu_count()} cores)"
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    sys.exit(report(outcomes, elapsed, args.clients * args.requests))


if __name__ == "__main__":
    main()
