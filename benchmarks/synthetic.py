"""A generated corpus of valid records for benchmarks and scale tests.

Record ``n`` depends only on ``n`` and the taxonomy, never on how many records are generated, so
the same record can be compared between a small and a large archive.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

from pmarchive.model.taxonomy import Taxonomy

WORDS = [
    "cache",
    "pricing",
    "checkout",
    "retry",
    "queue",
    "latency",
    "shard",
    "replica",
    "failover",
    "deploy",
    "canary",
    "rollback",
    "config",
    "region",
    "pool",
    "connection",
    "timeout",
    "saturation",
    "throttle",
    "lease",
    "leader",
    "election",
    "disk",
    "certificate",
    "dns",
    "resolver",
    "gateway",
    "token",
    "session",
    "index",
    "migration",
    "backfill",
    "consumer",
    "lag",
]
START = dt.date(2024, 1, 1)
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "xe",
    "zu",
    "pra",
    "sle",
    "dro",
    "fen",
    "gul",
    "hap",
    "jir",
    "kos",
    "mav",
    "nep",
]
# Real write-ups have a large vocabulary with a Zipf-shaped frequency: a few words everywhere,
# most words rare. Domain words take the top ranks, invented words the long tail.
VOCABULARY = [
    *WORDS,
    *(a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "n", "t", "s", "r")),
]
_WEIGHTS = [1 / rank for rank in range(1, len(VOCABULARY) + 1)]


def _text(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(VOCABULARY, weights=_WEIGHTS, k=count))


def _pick(rng: random.Random, names: list[str], most: int) -> list[str]:
    if not names:
        return []
    return sorted(set(rng.sample(names, k=min(len(names), rng.randint(1, most)))))


_TRIGGERS = [
    "a deploy of",
    "a config push to",
    "a traffic spike on",
    "a certificate expiry in",
    "a failover of",
    "a schema migration of",
    "a dependency upgrade in",
    "a capacity change to",
]
_MITIGATIONS = [
    "Rolling back",
    "Failing over",
    "Draining traffic from",
    "Restarting",
    "Raising the connection limit of",
    "Disabling the feature flag in front of",
    "Scaling out",
    "Reverting the config of",
]


def _trigger_and_mitigation(n: int) -> tuple[str, str]:
    """One plausible sentence each for ``trigger`` and ``mitigation`` of post-mortem ``n``.

    Seeded apart from the rest of the record, so adding them changed no other byte of it, and
    worded so that no lint reads them as blame or hindsight.
    """
    rng = random.Random(f"postmortem-mitigation-{n}")
    first, second = rng.sample(WORDS, 2)
    component = f"the {first} {second} service"
    trigger = f"{rng.choice(_TRIGGERS).capitalize()} {component}."
    minutes = rng.randint(3, 90)
    mitigation = (
        f"{rng.choice(_MITIGATIONS)} {component} ended the customer impact after {minutes} minutes."
    )
    return trigger, mitigation


def postmortem_text(n: int, taxonomy: Taxonomy, *, length: int = 1) -> tuple[str, str]:
    """(record id, file text) of synthetic post-mortem number ``n``; ``length`` multiplies the
    body's words (1: about 300, 2: about 600, the length of a real write-up)."""
    rng = random.Random(n)
    day = START + dt.timedelta(days=n % 900)
    record_id = f"INC-{day.isoformat()}-{n // 900 + 1:03d}"
    started = dt.datetime.combine(day, dt.time(rng.randint(0, 22), rng.randint(0, 59)))
    detect = rng.randint(30, 1800)
    mitigate = detect + rng.randint(60, 7200)
    resolve = mitigate + rng.randint(0, 3600)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    classes = _pick(rng, sorted(taxonomy.classes), 2)
    trigger, mitigation = _trigger_and_mitigation(n)
    text = f"""---
id: {record_id}
title: Synthetic incident {n} in {_text(rng, 3)}
status: final
sev: {rng.choice(sorted(taxonomy.severity) or [3])}
date: {day.isoformat()}
started_at: {started.strftime(stamp)}
detected_at: {(started + dt.timedelta(seconds=detect)).strftime(stamp)}
mitigated_at: {(started + dt.timedelta(seconds=mitigate)).strftime(stamp)}
resolved_at: {(started + dt.timedelta(seconds=resolve)).strftime(stamp)}
cause_class: [{", ".join(classes)}]
contributing_factors: [{", ".join(_pick(rng, sorted(taxonomy.factors), 2))}]
detection: {rng.choice(["alert", "human", "customer"])}
customer_impact_pct: {rng.randint(0, 40)}
revenue_impact_usd: {rng.randint(0, 50) * 500}
teams: [{", ".join(_pick(rng, sorted(taxonomy.teams), 2))}]
services: [{", ".join(_pick(rng, sorted(taxonomy.services), 2))}]
alerts: [{", ".join(_pick(rng, sorted(taxonomy.alerts), 1))}]
summary: {_text(rng, 18)}.
trigger: {trigger}
mitigation: {mitigation}
visibility: internal
---

## Summary

{_text(rng, 120 * length)}.

## Impact

{_text(rng, 30 * length)}.

## Timeline

- detected after {detect} seconds
- mitigated after {mitigate} seconds

## Contributing factors

{_text(rng, 40 * length)}.

## Action items

{_text(rng, 20 * length)}.

## Lessons

{_text(rng, 80 * length)}.
"""
    return record_id, text


def nearmiss_text(n: int, taxonomy: Taxonomy, *, length: int = 1) -> tuple[str, str]:
    """(record id, file text) of synthetic near-miss number ``n``; its body is about 300 words
    times ``length``. Seeded apart from the post-mortems, so adding near-misses changes none."""
    rng = random.Random(f"nearmiss-{n}")
    day = START + dt.timedelta(days=n % 900)
    record_id = f"NM-{day.isoformat()}-{n // 900 + 1:03d}"
    text = f"""---
id: {record_id}
title: Synthetic near-miss {n} in {_text(rng, 3)}
date: {day.isoformat()}
kind: {rng.choice(["near-miss", "near-miss", "weak-signal"])}
caught_by: {rng.choice(["luck", "defense", "person"])}
cause_class: [{", ".join(_pick(rng, sorted(taxonomy.classes), 2))}]
contributing_factors: [{", ".join(_pick(rng, sorted(taxonomy.factors), 2))}]
teams: [{", ".join(_pick(rng, sorted(taxonomy.teams), 2))}]
services: [{", ".join(_pick(rng, sorted(taxonomy.services), 2))}]
alerts: [{", ".join(_pick(rng, sorted(taxonomy.alerts), 1))}]
where_blind: {_text(rng, 12)}.
suggested_defense: {_text(rng, 12)}.
reporter: {rng.choice(["dana", "lee", "sam", "ravi"])}
summary: {_text(rng, 18)}.
visibility: internal
---

## What happened

{_text(rng, 120 * length)}.

## What caught it

{_text(rng, 60 * length)}.

## Where we were blind

{_text(rng, 60 * length)}.

## Suggested defense

{_text(rng, 60 * length)}.
"""
    return record_id, text


def write_corpus(
    folder: Path, count: int, taxonomy: Taxonomy, *, length: int = 1, nearmisses: bool = False
) -> list[str]:
    """Write ``count`` synthetic post-mortems (or near-misses) into ``folder``; their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    make = nearmiss_text if nearmisses else postmortem_text
    ids = []
    for n in range(count):
        record_id, text = make(n, taxonomy, length=length)
        (folder / f"{record_id}.md").write_text(text, encoding="utf-8")
        ids.append(record_id)
    return ids


SITE_MKDOCS_YML = """\
site_name: Synthetic archive
theme: {name: material, font: false}
plugins: [search, postmortems]
nav: [index.md]
"""
"""A minimal site around a synthetic archive (benchmarks build it with the plugin)."""


def write_archive(
    root: Path,
    count: int,
    taxonomy_source: Path,
    *,
    site: bool = False,
    nearmisses: int = 0,
    length: int = 1,
) -> Taxonomy:
    """A synthetic archive under ``root``: a copy of ``taxonomy_source``, ``count`` post-mortems,
    ``nearmisses`` near-misses (none by default), bodies ``length`` times the default and, with
    ``site``, a mkdocs.yml and a home page."""
    from pmarchive.ingest.taxonomy import load_taxonomy

    shutil.copytree(taxonomy_source, root / "taxonomy")
    (root / "nearmisses").mkdir(parents=True, exist_ok=True)
    taxonomy, problems = load_taxonomy(root / "taxonomy")
    if any(p.severity.value == "error" for p in problems):
        raise ValueError(f"the taxonomy in {taxonomy_source} has errors")
    write_corpus(root / "postmortems", count, taxonomy, length=length)
    write_corpus(root / "nearmisses", nearmisses, taxonomy, length=length, nearmisses=True)
    write_runbooks(root / "docs", taxonomy)
    if site:
        (root / "docs" / "index.md").write_text("# Synthetic\n")
        (root / "mkdocs.yml").write_text(SITE_MKDOCS_YML)
    return taxonomy


def write_runbooks(docs: Path, taxonomy: Taxonomy) -> None:
    """A short page for every site-relative runbook the taxonomy names (check warns without)."""
    for name, alert in taxonomy.alerts.items():
        if alert.runbook.startswith("/"):
            page = docs / (alert.runbook.strip("/") + ".md")
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"---\nalerts: [{name}]\n---\n\n# {name}\n\nFirst checks.\n")
