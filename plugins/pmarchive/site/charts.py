"""Plotly figures of the analyses, and their HTML embedding (JSON only; plotly.js ships once).

A page with charts loads only charts.js (deferred); charts.js fetches plotly.js, a sibling file
of its own, the first time a chart nears the viewport, so no page waits on plotly.js.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go

from pmarchive.model.schema import ACTION_KINDS
from pmarchive.analysis.figures import (
    ActionItemBalance,
    ClassRecurrence,
    DetectionQuarter,
    IncidentPyramid,
    NearMissRate,
    RecurrenceByClass,
    RiskRegister,
    Timings,
)
from pmarchive.site.urls import DIRECTORY_URLS, Linker

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_ASSET = "assets/pmarchive/plotly.min.js"
CHARTS_ASSET = "assets/pmarchive/charts.js"
# Colour-blind-safe categorical palette (Okabe-Ito), readable on light and dark backgrounds.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
SEV_COLOURS = {"sev-1": "#c62828", "sev-2": "#ef6c00", "sev-3": "#f9a825"}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        "height": 380,
    }
    layout.update(extra)
    return layout


def pyramid_figure(pyramid: IncidentPyramid) -> go.Figure:
    levels = list(pyramid.levels)
    return go.Figure(
        go.Bar(
            x=[level.count for level in levels],
            y=[level.label for level in levels],
            orientation="h",
            marker={"color": [SEV_COLOURS.get(level.key, COLOURS[5]) for level in levels]},
            text=[str(level.count) for level in levels],
            textposition="auto",
            hovertemplate="%{y}: %{x}<extra></extra>",
        ),
        layout=_layout(
            "Incident pyramid",
            yaxis={"autorange": "reversed"},
            xaxis={"title": {"text": "records"}},
        ),
    )


def recurrence_heatmap(recurrence: RecurrenceByClass) -> go.Figure:
    rows = [row for row in recurrence.classes if row.total]
    return go.Figure(
        go.Heatmap(
            z=[list(row.counts) for row in rows],
            x=list(recurrence.quarters),
            y=[row.slug for row in rows],
            colorscale="YlOrRd",
            hovertemplate="%{y} in %{x}: %{z} incidents<extra></extra>",
        ),
        layout=_layout(
            "Incidents per cause class per quarter",
            height=max(300, 28 * len(rows) + 120),
            yaxis={"autorange": "reversed"},
        ),
    )


def recurrence_lines(
    recurrence: RecurrenceByClass,
    rows: Sequence[ClassRecurrence],
    title: str = "Recurrence of the top classes",
) -> go.Figure:
    return go.Figure(
        [
            go.Scatter(
                x=list(recurrence.quarters),
                y=list(row.counts),
                name=row.slug,
                mode="lines+markers",
                line={"color": COLOURS[i % len(COLOURS)]},
            )
            for i, row in enumerate(rows)
        ],
        layout=_layout(title, yaxis={"title": {"text": "incidents"}, "rangemode": "tozero"}),
    )


def risk_figure(register: RiskRegister) -> go.Figure:
    entries = list(register.entries)
    return go.Figure(
        go.Bar(
            x=[entry.score for entry in entries],
            y=[entry.slug for entry in entries],
            orientation="h",
            marker={"color": COLOURS[3]},
            hovertemplate="%{y}: score %{x:,.0f}<extra></extra>",
        ),
        layout=_layout(
            "Pain-ranked risk register",
            height=max(300, 28 * len(entries) + 120),
            yaxis={"autorange": "reversed"},
            xaxis={"title": {"text": "score"}},
        ),
    )


def timings_figure(timings: Timings) -> go.Figure:
    groups = [row.group for row in timings.rows]

    def minutes(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(v / 60, 1) for v in values]

    series = [
        ("MTTD median", [row.mttd.median for row in timings.rows], COLOURS[0], "solid"),
        ("MTTD p90", [row.mttd.p90 for row in timings.rows], COLOURS[0], "dot"),
        ("MTTR median", [row.mttr.median for row in timings.rows], COLOURS[3], "solid"),
        ("MTTR p90", [row.mttr.p90 for row in timings.rows], COLOURS[3], "dot"),
    ]
    return go.Figure(
        [
            go.Scatter(
                x=groups,
                y=minutes(values),
                name=name,
                mode="lines+markers",
                line={"color": colour, "dash": dash},
                connectgaps=False,
            )
            for name, values, colour, dash in series
        ],
        layout=_layout(
            "Time to detect and to resolve (minutes)",
            yaxis={"title": {"text": "minutes"}, "rangemode": "tozero"},
        ),
    )


def detection_figure(mix: Sequence[DetectionQuarter]) -> go.Figure:
    quarters = [row.quarter for row in mix]
    return go.Figure(
        [
            go.Bar(
                x=quarters,
                y=[getattr(row, source) for row in mix],
                name=source,
                marker={"color": colour},
            )
            for source, colour in (
                ("alert", COLOURS[2]),
                ("human", COLOURS[1]),
                ("customer", COLOURS[3]),
            )
        ],
        layout=_layout(
            "Detection mix per quarter", barmode="stack", yaxis={"title": {"text": "incidents"}}
        ),
    )


def nearmiss_figure(rates: Sequence[NearMissRate]) -> go.Figure:
    quarters = [row.quarter for row in rates]
    return go.Figure(
        [
            go.Bar(
                x=quarters,
                y=[row.reports for row in rates],
                name="near-miss reports",
                marker={"color": COLOURS[5]},
            ),
            go.Scatter(
                x=quarters,
                y=[row.per_incident for row in rates],
                name="reports per incident",
                yaxis="y2",
                mode="lines+markers",
                line={"color": COLOURS[4]},
            ),
        ],
        layout=_layout(
            "Near-miss report rate",
            yaxis={"title": {"text": "reports"}},
            yaxis2={
                "title": {"text": "per incident"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
            },
        ),
    )


def actions_figure(balance: ActionItemBalance) -> go.Figure:
    kinds = list(ACTION_KINDS)
    return go.Figure(
        [
            go.Bar(
                x=kinds,
                y=[balance.by_kind.get(kind, 0) for kind in kinds],
                name="by kind",
                marker={"color": COLOURS[0]},
            ),
            go.Bar(
                x=["open", "done", "overdue"],
                y=[balance.open, balance.done, balance.overdue],
                name="by state",
                marker={"color": COLOURS[1]},
            ),
        ],
        layout=_layout("Action items: balance and state"),
    )


def figure_json(figure: go.Figure) -> str:
    """Figure JSON safe inside a <script> element."""
    text: str = figure.to_json(pretty=False, validate=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def chart_html(chart_id: str, figure: go.Figure, caption: str) -> str:
    """A chart container: the figure as JSON, drawn by charts.js; no JavaScript is inlined."""
    return (
        f'<figure class="pm-chart" id="{html.escape(chart_id)}">'
        f'<div class="pm-plot" data-figure="{html.escape(chart_id)}-data" role="img" '
        f'aria-label="{html.escape(caption, quote=True)}"></div>'
        f"<figcaption>{html.escape(caption)}</figcaption>"
        f'<script type="application/json" id="{html.escape(chart_id)}-data">'
        f"{figure_json(figure)}</script></figure>"
    )


def chart_scripts(src: str, linker: Linker = DIRECTORY_URLS) -> str:
    """The script tag a page with charts ends with: charts.js, deferred.

    charts.js loads ``PLOTLY_ASSET`` itself, from the folder charts.js was loaded from, only once
    a chart nears the viewport: plotly.js never blocks the page's content or Material's bundle.
    """
    return f'<script src="{html.escape(linker(src, CHARTS_ASSET), quote=True)}" defer></script>'
