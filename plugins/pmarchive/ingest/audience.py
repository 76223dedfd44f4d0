"""Audiences: which records a build may show, decided once, before anything is rendered."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from pmarchive.ingest.archive import Archive
from pmarchive.model.records import AnyRecord
from pmarchive.model.schema import VISIBILITIES

LEVELS = {name: rank for rank, name in enumerate(VISIBILITIES)}
"""Each audience's rank: a record is shown to builds whose audience ranks at least as high."""
ENVIRONMENT_VARIABLE = "PMARCHIVE_AUDIENCE"


class AudienceError(ValueError):
    pass


def resolve_audience(configured: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The build's audience: PMARCHIVE_AUDIENCE wins over the configured value."""
    value = (environ.get(ENVIRONMENT_VARIABLE) or configured or "internal").strip().lower()
    if value not in LEVELS:
        raise AudienceError(
            f"audience '{value}' is not one of {', '.join(LEVELS)} "
            f"(from {ENVIRONMENT_VARIABLE} or the plugin's audience option)"
        )
    return value


def visible_to(record: AnyRecord, audience: str) -> bool:
    # An unknown visibility cannot happen after validation; fail closed all the same.
    return LEVELS.get(record.visibility, LEVELS["restricted"]) <= LEVELS[audience]


def for_audience(archive: Archive, audience: str) -> Archive:
    """The archive as ``audience`` may see it; 'related' never names a withheld record."""
    shown = [r for r in archive.records if visible_to(r, audience)]
    ids = {r.id for r in shown}

    def scrub(record: AnyRecord) -> AnyRecord:
        related = tuple(other for other in record.related if other in ids)
        return record if related == record.related else dataclasses.replace(record, related=related)

    filtered = dataclasses.replace(
        archive,
        postmortems=[scrub(r) for r in archive.postmortems if r.id in ids],  # type: ignore[misc]
        nearmisses=[scrub(r) for r in archive.nearmisses if r.id in ids],  # type: ignore[misc]
    )
    filtered.audience = audience
    filtered.withheld = len(archive.records) - len(shown)
    filtered.withheld_ids = frozenset(r.id for r in archive.records if r.id not in ids)
    return filtered
