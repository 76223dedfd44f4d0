"""Typed records: post-mortems and near-misses / weak signals, as validated from front-matter.

Each attribute declared with ``front(...)`` is a front-matter field: its annotation is its
type, a missing default makes it required, and validation, the JSON Schema, export, the
search index and the page header are derived from it (see model/frontmatter.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pmarchive.model.schema import (
    ACTION_KINDS,
    ACTION_STATUSES,
    CAUGHT_BY,
    DETECTION_SOURCES,
    HELPED,
    NEARMISS_KINDS,
    PRIORITIES,
    STATUSES,
    VISIBILITIES,
    Header,
    Search,
    Url,
    front,
)


@dataclass(frozen=True)
class ActionItem:
    id: str = field(metadata=front(header=Header("Id", order=1)))
    title: str = field(metadata=front(header=Header("Action", order=2)))
    status: str = field(metadata=front(choices=ACTION_STATUSES, header=Header("Status", order=6)))
    kind: str = field(metadata=front(choices=ACTION_KINDS, header=Header("Kind", order=3)))
    owner: str = field(default="", metadata=front(header=Header("Owner", order=4)))
    due: dt.date | None = field(default=None, metadata=front(header=Header("Due", "date", order=5)))
    done: dt.date | None = field(
        default=None,
        metadata=front(help="Day it was done", header=Header("Done", "date", order=7)),
    )
    ticket: Url | None = field(
        default=None,
        metadata=front(
            help="Tracker ticket (http or https)",
            header=Header("Ticket", "url", order=8, text="ticket"),
        ),
    )


@dataclass(frozen=True)
class Tried:
    """A step responders took, and whether it helped end the impact."""

    action: str = field(metadata=front(help="What was done", header=Header("Action", order=1)))
    helped: str = field(metadata=front(choices=HELPED, header=Header("Helped", "verdict", order=2)))


@dataclass(frozen=True)
class Link:
    """A labelled http(s) link: ticket, dashboard, chat channel, recording, status page."""

    label: str = field(metadata=front(help="What it is", header=Header("Label", order=1)))
    url: Url = field(
        metadata=front(help="http or https only", header=Header("URL", "url", order=2))
    )


@dataclass(frozen=True, kw_only=True)
class Record:
    """What every record has; the file it came from travels with it for error messages."""

    id: str = field(
        metadata=front(
            help="Unique id; equals the file name without .md",
            header=Header("Id", "id"),
            search=Search("id", "id", unique=True),
        )
    )
    title: str = field(
        metadata=front(
            help="One-line title",
            header=Header("Title", "title"),
            search=Search("title", "text", boost=3.0),
        )
    )
    date: dt.date = field(
        metadata=front(
            help="Day it happened (YYYY-MM-DD)",
            header=Header("Date", "date", order=10),
            search=Search("date", "datetime", sortable=True),
        )
    )
    cause_class: tuple[str, ...] = field(
        metadata=front(
            help="Cause classes from taxonomy/classes.yml; at least one",
            vocabulary="classes",
            min_items=1,
            header=Header("Cause classes", "terms", order=200),
            search=Search("classes", "keyword", scorable=True),
        )
    )
    path: str
    body: str = ""
    body_line: int = 1
    summary: str = field(
        default="",
        metadata=front(
            help="One or two sentences for listings and search",
            header=Header("Summary", "summary"),
            search=Search("summary", "text", boost=1.5),
        ),
    )
    contributing_factors: tuple[str, ...] = field(
        default=(),
        metadata=front(
            help="Contributing factors from taxonomy/factors.yml",
            vocabulary="factors",
            header=Header("Contributing factors", "terms", order=210),
            search=Search("factors", "keyword"),
        ),
    )
    teams: tuple[str, ...] = field(
        default=(),
        metadata=front(
            help="Teams from taxonomy/teams.yml",
            vocabulary="teams",
            header=Header("Teams", "terms", order=220),
            search=Search("teams", "keyword"),
        ),
    )
    services: tuple[str, ...] = field(
        default=(),
        metadata=front(
            help="Services from taxonomy/services.yml",
            vocabulary="services",
            header=Header("Services", "terms", order=230),
            search=Search("services", "keyword"),
        ),
    )
    alerts: tuple[str, ...] = field(
        default=(),
        metadata=front(
            help="Alerts that fired, from taxonomy/alerts.yml",
            vocabulary="alerts",
            header=Header("Alerts", "terms", order=240),
            search=Search("alerts", "keyword"),
        ),
    )
    trigger: str = field(
        default="",
        metadata=front(
            help="The event that set it off: a deploy, a config push, a traffic spike, an "
            "expiry... (the mechanism is the cause class)",
            header=Header("Trigger", order=15),
            search=Search("trigger", "text"),
        ),
    )
    evidence_gaps: tuple[str, ...] = field(
        default=(),
        metadata=front(
            help="What the investigation could not determine, and why: gaps from taxonomy/gaps.yml",
            vocabulary="gaps",
            header=Header("Evidence gaps", "terms", order=250),
            search=Search("gaps", "keyword"),
        ),
    )
    links: tuple[Link, ...] = field(
        default=(),
        metadata=front(
            help="Labelled http(s) links: ticket, dashboard, chat channel, recording, status page",
            header=Header("Links", "links", order=410),
        ),
    )
    related: tuple[str, ...] = field(
        default=(),
        metadata=front(
            help="Ids of related records",
            header=Header("Related", "terms", order=400, link="records"),
        ),
    )
    visibility: str = field(
        default="internal",
        metadata=front(
            help="Who may read it; internal when absent",
            choices=VISIBILITIES,
            header=Header("Visibility", "badge"),
        ),
    )
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    lint_ignore: dict[str, str] = field(
        default_factory=dict,
        compare=False,
        hash=False,
        metadata=front(
            help="Lints silenced in this file: {rule: reason}; the reason is required",
            hidden="an instruction to the lints, not a fact about the incident",
        ),
    )
    """Lint rule -> the reason it is silenced in this file."""
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    """File line of each front-matter field, for messages about the record as a whole."""

    @property
    def quarter(self) -> str:
        return f"{self.date.year}-Q{(self.date.month - 1) // 3 + 1}"

    section: ClassVar[str] = ""
    """URL section of this record kind: 'postmortems' or 'nearmisses'."""

    @property
    def url(self) -> str:
        """Site-relative URL, part of the stable URL contract."""
        return f"{self.section}/{self.id.lower()}/"

    @property
    def src_uri(self) -> str:
        return f"{self.section}/{self.id.lower()}.md"


@dataclass(frozen=True, kw_only=True)
class PostMortem(Record):
    status: str = field(
        metadata=front(
            choices=STATUSES, header=Header("Status", "badge"), search=Search("status", "id")
        )
    )
    sev: int = field(
        metadata=front(
            help="A level of taxonomy/severity.yml",
            header=Header("Severity", "badge"),
            search=Search("sev", "numeric"),
        )
    )
    detection: str = field(
        metadata=front(choices=DETECTION_SOURCES, header=Header("Detection", order=80))
    )
    priority: str | None = field(
        default=None,
        metadata=front(
            help="Fix urgency, separate from severity",
            choices=PRIORITIES,
            header=Header("Priority", "badge"),
        ),
    )
    started_at: dt.datetime | None = field(
        default=None, metadata=front(header=Header("Started", "stamp", order=20))
    )
    detected_at: dt.datetime | None = field(
        default=None, metadata=front(header=Header("Detected", "stamp", order=30))
    )
    mitigated_at: dt.datetime | None = field(
        default=None, metadata=front(header=Header("Mitigated", "stamp", order=40))
    )
    resolved_at: dt.datetime | None = field(
        default=None, metadata=front(header=Header("Resolved", "stamp", order=50))
    )
    duration_min: float | None = field(
        default=None,
        metadata=front(
            help="Minutes from start to mitigation",
            minimum=0,
            header=Header("Duration", "minutes", order=60),
        ),
    )
    mttd_seconds: int | None = field(
        default=None,
        metadata=front(
            help="Seconds from start to detection",
            minimum=0,
            header=Header("Time to detect", "seconds", order=70),
        ),
    )
    mttr_seconds: int | None = field(
        default=None,
        metadata=front(
            help="Seconds from start to resolution",
            minimum=0,
            header=Header("Time to resolve", "seconds", order=75),
        ),
    )
    customer_impact_pct: float | None = field(
        default=None,
        metadata=front(
            minimum=0,
            maximum=100,
            header=Header("Customer impact", "percent", order=90, text="of customers"),
        ),
    )
    revenue_impact_usd: float | None = field(
        default=None,
        metadata=front(minimum=0, header=Header("Revenue impact", "money", order=100)),
    )
    data_loss: bool = field(
        default=False, metadata=front(header=Header("Flags", "flag", order=110, text="data loss"))
    )
    security: bool = field(
        default=False, metadata=front(header=Header("Flags", "flag", order=110, text="security"))
    )
    mitigation: str = field(
        default="",
        metadata=front(
            help="What ended the customer impact, in one or two sentences (recommended for "
            "SEV-1/2)",
            header=Header("What ended it", "callout"),
            search=Search("mitigation", "text", boost=1.5),
        ),
    )
    tried: tuple[Tried, ...] = field(
        default=(),
        metadata=front(
            help="What responders tried, each with whether it helped (yes, no or partly)",
            header=Header("What we tried", "entries", order=1),
        ),
    )
    published: dt.date | None = field(
        default=None,
        metadata=front(
            help="Day the write-up was published (became final); program health measures "
            "timeliness from it",
            header=Header("Published", "date", order=55),
        ),
    )
    action_items: tuple[ActionItem, ...] = field(
        default=(), metadata=front(header=Header("Action items", "items"))
    )
    action_items_open: int | None = field(
        default=None,
        metadata=front(minimum=0, hidden="counted in the action-items line as 'N open'"),
    )
    action_items_done: int | None = field(
        default=None,
        metadata=front(minimum=0, hidden="counted in the action-items line as 'N done'"),
    )
    authors: tuple[str, ...] = field(
        default=(), metadata=front(header=Header("Authors", "list", order=300))
    )

    record_type: Literal["postmortem"] = "postmortem"

    section: ClassVar[str] = "postmortems"

    @property
    def open_items(self) -> int:
        if self.action_items:
            return sum(1 for item in self.action_items if item.status != "done")
        return self.action_items_open or 0

    @property
    def done_items(self) -> int:
        if self.action_items:
            return sum(1 for item in self.action_items if item.status == "done")
        return self.action_items_done or 0


@dataclass(frozen=True, kw_only=True)
class NearMiss(Record):
    kind: str = field(metadata=front(choices=NEARMISS_KINDS, header=Header("Kind", "badge")))
    caught_by: str = field(
        metadata=front(
            help="What stopped it; luck means it deserves a review",
            choices=CAUGHT_BY,
            header=Header("Caught by", "badge"),
        )
    )
    where_blind: str = field(
        default="",
        metadata=front(
            help="Where our defences could not see it coming",
            header=Header("Where we were blind", order=300),
        ),
    )
    suggested_defense: str = field(
        default="", metadata=front(header=Header("Suggested defence", order=310))
    )
    reporter: str = field(default="", metadata=front(header=Header("Reported by", order=320)))

    record_type: Literal["nearmiss"] = "nearmiss"

    section: ClassVar[str] = "nearmisses"


AnyRecord = PostMortem | NearMiss


def derived_durations(
    started: dt.datetime | None,
    detected: dt.datetime | None,
    mitigated: dt.datetime | None,
    resolved: dt.datetime | None,
) -> dict[str, float]:
    """duration_min = mitigated - started; mttd = detected - started; mttr = resolved - started."""
    out: dict[str, float] = {}
    if started is not None and mitigated is not None:
        out["duration_min"] = (mitigated - started).total_seconds() / 60
    if started is not None and detected is not None:
        out["mttd_seconds"] = (detected - started).total_seconds()
    if started is not None and resolved is not None:
        out["mttr_seconds"] = (resolved - started).total_seconds()
    return out
