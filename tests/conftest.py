"""Shared builders: a tiny archive written into tmp_path with a known taxonomy and records."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from pmarchive.ingest.config import ArchiveConfig

TODAY = dt.date(2026, 11, 24)

TAXONOMY = {
    "classes.yml": """\
        classes:
          cache-stampede:
            title: Cache stampede
            description: Many callers miss one cache entry at once.
            aliases: [thundering-herd]
            candidate_fix: Request coalescing in the cache client
            fix_status: funded
          config-blast-radius:
            title: Config blast radius
            fix_status: landed
            fix_landed: 2026-03-01
          retry-storm:
            title: Retry storm
        """,
    "factors.yml": """\
        factors:
          no-canary:
            title: No canary
          no-coalescing:
            title: No request coalescing
            aliases: [no-dedup]
        """,
    "severity.yml": """\
        levels:
          - level: 1
            name: Critical
            criteria: {customer_impact_pct: 25, duration_min: 60, data_loss: true, security: true}
            incident_commander: true
            analysis: full
            due_business_days: 5
          - level: 2
            name: Major
            criteria: {customer_impact_pct: 5, duration_min: 30}
            analysis: full
            due_business_days: 10
          - level: 3
            name: Minor
            analysis: note
            due_business_days: 15
        """,
    "teams.yml": """\
        teams:
          checkout: {title: Checkout}
          pricing: {title: Pricing}
          sre: {title: SRE}
        """,
    "services.yml": """\
        services:
          pricing-svc: {title: Pricing service, team: pricing}
        """,
    "alerts.yml": """\
        alerts:
          HighErrorRate:
            summary: 5xx ratio above 2%
            runbook: /runbooks/high-error-rate/
            team: sre
            classes: [cache-stampede, retry-storm]
        """,
}

# (key, raw YAML value) in file order; line n of the file is BASE_PM[n - 2].
BASE_PM: list[tuple[str, str]] = [
    ("id", "INC-2026-05-29-001"),
    ("title", "Checkout errors after pricing cache flush"),
    ("status", "final"),
    ("sev", "2"),
    ("date", "2026-05-29"),
    ("started_at", "2026-05-29T14:05:00Z"),
    ("detected_at", "2026-05-29T14:06:00Z"),
    ("mitigated_at", "2026-05-29T14:11:00Z"),
    ("resolved_at", "2026-05-29T14:12:00Z"),
    ("cause_class", "[cache-stampede]"),
    ("detection", "alert"),
    ("customer_impact_pct", "12"),
    ("teams", "[checkout, pricing]"),
    ("alerts", "[HighErrorRate]"),
    ("mitigation", "Re-enabled request coalescing and warmed the cache"),
]

BASE_NM: list[tuple[str, str]] = [
    ("id", "NM-2026-06-02-001"),
    ("title", "Config push to every region stopped by review"),
    ("date", "2026-06-02"),
    ("kind", "near-miss"),
    ("caught_by", "person"),
    ("cause_class", "[config-blast-radius]"),
    ("teams", "[sre]"),
]

BODY = (
    "## Summary\n\nPricing cache flush; checkout callers stampeded the pricing service.\n\n"
    "## Impact\n\nTwelve percent of checkouts failed for six minutes.\n\n"
    "## Timeline\n\n- 14:05 cache flushed\n- 14:11 mitigated\n\n"
    "## Contributing factors\n\nNo request coalescing in the pricing client.\n\n"
    "## Action items\n\nSee the front-matter.\n"
)


def front_matter(base: list[tuple[str, str]], **changes: str | None) -> str:
    """Front-matter from ``base`` with values replaced in place, removed (None) or appended."""
    lines = ["---"]
    seen = set()
    for key, value in base:
        seen.add(key)
        if key in changes:
            if changes[key] is None:
                continue
            value = changes[key]  # type: ignore[assignment]
        lines.append(f"{key}: {value}")
    for key, value in changes.items():
        if key not in seen and value is not None:
            lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + BODY


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_taxonomy(root: Path) -> None:
    for name, text in TAXONOMY.items():
        write(root, f"taxonomy/{name}", textwrap.dedent(text))
    # HighErrorRate's runbook is a page of the site: without one, check warns (strict fails)
    write(root, "docs/runbooks/high-error-rate.md", "# HighErrorRate runbook\n\nSteps.\n")


@pytest.fixture
def archive_root(tmp_path: Path) -> Path:
    """A project root with the tiny taxonomy and empty record folders."""
    write_taxonomy(tmp_path)
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "nearmisses").mkdir()
    return tmp_path


@pytest.fixture
def make_config() -> Callable[..., ArchiveConfig]:
    def build(root: Path, **kwargs: object) -> ArchiveConfig:
        return ArchiveConfig(root=root, today=TODAY, **kwargs)  # type: ignore[arg-type]

    return build


SECRET_TITLE = "Zanzibar vault keys rotated by hand"
RESTRICTED_ID = "INC-2026-03-03-001"


def write_mixed_archive(root: Path, related: bool = False) -> Path:
    """A public post-mortem (``related`` to the restricted one when asked), a restricted one and
    an internal near-miss: what every audience test builds on."""
    public = {"visibility": "public"}
    if related:
        public["related"] = f"[{RESTRICTED_ID}]"
    write(root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, **public))
    write(
        root,
        f"postmortems/{RESTRICTED_ID}.md",
        front_matter(
            BASE_PM,
            id=RESTRICTED_ID,
            date="2026-03-03",
            title=SECRET_TITLE,
            visibility="restricted",
            started_at=None,
            detected_at=None,
            mitigated_at=None,
            resolved_at=None,
        ),
    )
    write(root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))  # internal
    return root


@pytest.fixture(autouse=True)
def _own_user_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record cache's signing key goes to a test folder, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "user-cache"))
