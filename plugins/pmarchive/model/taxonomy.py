"""The taxonomy's entries as typed values: cause classes, factors, evidence gaps, the severity
ladder, teams, services and alerts, with the old names (aliases) that map to current ones."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ALERT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_:.-]*")
FIX_STATUSES = ("none", "proposed", "funded", "landed")
ANALYSIS_LEVELS = ("full", "lightweight", "note")


@dataclass(frozen=True)
class CauseClass:
    slug: str
    title: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    candidate_fix: str = ""
    fix_status: str = "none"
    fix_landed: dt.date | None = None


@dataclass(frozen=True)
class Factor:
    slug: str
    title: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gap:
    """Evidence an investigation could not obtain, and why (logs rotated, trace sampled out...):
    aggregated, the observability debt that hides causes."""

    slug: str
    title: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeverityCriteria:
    """Objective entry criteria: meeting any one implies at least this level."""

    customer_impact_pct: float | None = None
    duration_min: float | None = None
    revenue_impact_usd: float | None = None
    data_loss: bool = False
    security: bool = False


@dataclass(frozen=True)
class SeverityLevel:
    level: int
    name: str
    description: str = ""
    criteria: SeverityCriteria = field(default_factory=SeverityCriteria)
    incident_commander: bool = False
    comms: str = ""
    analysis: str = "full"
    due_business_days: int = 5

    @property
    def label(self) -> str:
        return f"SEV-{self.level}"


@dataclass(frozen=True)
class Team:
    slug: str
    title: str
    description: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Service:
    slug: str
    title: str
    team: str = ""
    tier: int | None = None


@dataclass(frozen=True)
class Alert:
    name: str
    summary: str = ""
    runbook: str = ""
    team: str = ""
    classes: tuple[str, ...] = ()


@dataclass
class Taxonomy:
    """Every controlled vocabulary, with the old names (aliases) that map to current ones."""

    classes: dict[str, CauseClass] = field(default_factory=dict)
    factors: dict[str, Factor] = field(default_factory=dict)
    severity: dict[int, SeverityLevel] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    gaps: dict[str, Gap] = field(default_factory=dict)
    """Evidence gaps (taxonomy/gaps.yml, optional: empty when the archive has none)."""

    def names(self, vocabulary: str) -> list[str]:
        return list(getattr(self, vocabulary))

    def aliases(self, vocabulary: str) -> dict[str, str]:
        """Old name -> current name, for the vocabularies that carry aliases."""
        entries = getattr(self, vocabulary)
        return {
            alias: slug
            for slug, entry in entries.items()
            for alias in getattr(entry, "aliases", ())
        }

    def resolve(self, vocabulary: str, value: str) -> tuple[str | None, bool]:
        """(current name, True if ``value`` was an alias); (None, False) if unknown."""
        if value in getattr(self, vocabulary):
            return value, False
        current = self.aliases(vocabulary).get(value)
        return (current, True) if current is not None else (None, False)
