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
from plotly.subplots import make_subplots

from pmarchive.analysis.figures import (
    MIN_P90_VALUES,
    ActionItemBalance,
    ClassRecurrence,
    DetectionQuarter,
    IncidentPyramid,
    NearMissRate,
    RecurrenceByClass,
    RiskRegister,
    Timings,
)
from pmarchive.model.schema import ACTION_KINDS
from pmarchive.site.urls import DIRECTORY_URLS, Linker

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_ASSET = "assets/pmarchive/plotly.min.js"
CHARTS_ASSET = "assets/pmarchive/charts.js"
# Twelve distinct categorical colours (Okabe-Ito without its black, then Paul Tol's muted set),
# all of middle lightness, so each reads on Material's light (default) and dark (slate) pages.
COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#AA4499",
    "#44AA99",
    "#999933",
    "#882255",
    "#888888",
)
SEV_COLOURS = {"sev-1": "#c62828", "sev-2": "#ef6c00", "sev-3": "#f9a825"}
# A sequential scale whose zero is transparent (the page shows through in either palette) and
# whose top is a red dark enough for white text and bright enough on slate.
COUNT_SCALE = [[0.0, "rgba(0,0,0,0)"], [0.001, "#fde0c5"], [0.5, "#f4a259"], [1.0, "#c0392b"]]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        "height": 380,
    }
    layout.update(extra)
    return layout


def count_step(largest: float) -> int:
    """A whole tick step that gives at most about eight ticks up to ``largest``: 1, 2, 5, 10, 20…"""
    target = max(1.0, largest / 8)
    step = 1
    while True:
        for multiple in (1, 2, 5):
            if step * multiple >= target:
                return step * multiple
        step *= 10


def count_axis(largest: float, title: str = "") -> dict[str, Any]:
    """An axis of counts: whole-number ticks only (never 0.5 incidents), starting at zero."""
    axis: dict[str, Any] = {
        "tickformat": ",d",
        "tick0": 0,
        "dtick": count_step(largest),
        "rangemode": "tozero",
    }
    if title:
        axis["title"] = {"text": title}
    return axis


def series_colours(names: Sequence[str]) -> dict[str, str]:
    """A distinct colour per series for up to twelve series; callers with more show the top
    eleven and fold the rest into 'other' (``top_and_other``)."""
    if len(names) > len(COLOURS):
        raise ValueError(f"{len(names)} series: at most {len(COLOURS)} have distinct colours")
    return {name: COLOURS[index] for index, name in enumerate(names)}


def top_and_other(
    series: Sequence[tuple[str, Sequence[int]]], limit: int = len(COLOURS)
) -> list[tuple[str, list[int]]]:
    """At most ``limit`` series: the largest ``limit - 1`` by total, then 'other' summing the
    rest (in the order given when they fit)."""
    if len(series) <= limit:
        return [(name, list(values)) for name, values in series]
    ranked = sorted(series, key=lambda item: -sum(item[1]))
    kept, rest = ranked[: limit - 1], ranked[limit - 1 :]
    other = [sum(values) for values in zip(*(values for _, values in rest), strict=True)]
    return [*((name, list(values)) for name, values in kept), ("other", other)]


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
            xaxis=count_axis(max((level.count for level in levels), default=0), "records"),
        ),
    )


def recurrence_heatmap(
    recurrence: RecurrenceByClass,
    rows: Sequence[ClassRecurrence] | None = None,
    title: str = "Incidents per cause class per quarter",
) -> go.Figure:
    """One row per class with incidents, one column per quarter: a grid of mostly zeros reads
    as a heatmap, where it would be a tangle of flat lines."""
    shown = [row for row in (recurrence.classes if rows is None else rows) if row.total]
    largest = max((max(row.counts) for row in shown), default=0)
    return go.Figure(
        go.Heatmap(
            z=[list(row.counts) for row in shown],
            x=list(recurrence.quarters),
            y=[row.slug for row in shown],
            zmin=0,
            zmax=max(1, largest),
            colorscale=COUNT_SCALE,
            xgap=2,
            ygap=2,
            text=[[str(n) if n else "" for n in row.counts] for row in shown],
            texttemplate="%{text}",
            colorbar={
                "title": {"text": "incidents"},
                "tickformat": ",d",
                "tick0": 0,
                "dtick": count_step(largest),
            },
            hovertemplate="%{y} in %{x}: %{z} incidents<extra></extra>",
        ),
        layout=_layout(
            title,
            height=max(300, 28 * len(shown) + 120),
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"type": "category"},
        ),
    )


def recurrence_small_multiples(
    recurrence: RecurrenceByClass,
    rows: Sequence[ClassRecurrence],
    title: str = "Incidents per quarter of the highest-ranked classes",
) -> go.Figure:
    """One small bar chart per class, stacked with a shared quarter axis and the same count
    scale: a class's ups and downs stay readable where overlaid lines of 0s and 1s would not."""
    quarters = list(recurrence.quarters)
    count = max(1, len(rows))
    largest = max((max(row.counts, default=0) for row in rows), default=0)
    colours = series_colours([row.slug for row in rows][: len(COLOURS)])
    figure = make_subplots(
        rows=count,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.4 / count),
        subplot_titles=[row.slug for row in rows] or [""],
    )
    for index, row in enumerate(rows, start=1):
        figure.add_trace(
            go.Bar(
                x=quarters,
                y=list(row.counts),
                name=row.slug,
                marker={"color": colours.get(row.slug, COLOURS[-1])},
                hovertemplate=f"{row.slug}, %{{x}}: %{{y}} incidents<extra></extra>",
                showlegend=False,
            ),
            row=index,
            col=1,
        )
        figure.update_yaxes(
            range=[0, max(1, largest) * 1.15], row=index, col=1, **count_axis(largest)
        )
    figure.update_xaxes(type="category")
    figure.update_layout(_layout(title, height=90 + 110 * count, showlegend=False))
    return figure


def risk_figure(register: RiskRegister) -> go.Figure:
    entries = list(register.entries)
    return go.Figure(
        go.Bar(
            x=[entry.score for entry in entries],
            y=[entry.slug for entry in entries],
            orientation="h",
            marker={
                "color": [COLOURS[3] if e.recurring_after_fix else COLOURS[0] for e in entries]
            },
            hovertemplate="%{y}: score %{x:,.0f}<extra></extra>",
        ),
        layout=_layout(
            "Pain score per cause class (red: recurring after its fix)",
            height=max(300, 28 * len(entries) + 120),
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"title": {"text": "score"}, "tickformat": ",d", "rangemode": "tozero"},
        ),
    )


def timings_figure(timings: Timings) -> go.Figure:
    """Medians as lines (detect, mitigate, resolve); p90 as open markers, only in a quarter
    with at least MIN_P90_VALUES values; the hover names n."""
    groups = [row.group for row in timings.rows]

    def minutes(value: float | None) -> float | None:
        return None if value is None else round(value / 60, 1)

    traces: list[go.Scatter] = []
    for label, attribute, colour in (
        ("detect", "mttd", COLOURS[0]),
        ("mitigate", "mttm", COLOURS[2]),
        ("resolve", "mttr", COLOURS[3]),
    ):
        spreads = [getattr(row, attribute) for row in timings.rows]
        counts = [s.count for s in spreads]
        traces.append(
            go.Scatter(
                x=groups,
                y=[minutes(s.median) for s in spreads],
                customdata=counts,
                name=f"time to {label}, median",
                mode="lines+markers",
                line={"color": colour},
                connectgaps=False,
                hovertemplate=f"%{{x}}: median time to {label} %{{y}} min (n=%{{customdata}})"
                "<extra></extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=groups,
                y=[minutes(s.p90_shown) for s in spreads],
                customdata=counts,
                name=f"time to {label}, p90 (n ≥ {MIN_P90_VALUES})",
                mode="markers",
                marker={"color": colour, "symbol": "circle-open", "size": 9},
                hovertemplate=f"%{{x}}: p90 time to {label} %{{y}} min (n=%{{customdata}})"
                "<extra></extra>",
            )
        )
    return go.Figure(
        traces,
        layout=_layout(
            "Time to detect, mitigate and resolve (minutes)",
            yaxis={"title": {"text": "minutes"}, "rangemode": "tozero"},
            xaxis={"type": "category"},
            height=420,
        ),
    )


def detection_figure(mix: Sequence[DetectionQuarter]) -> go.Figure:
    quarters = [row.quarter for row in mix]
    largest = max((row.total for row in mix), default=0)
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
            "Detection mix per quarter",
            barmode="stack",
            yaxis=count_axis(largest, "incidents"),
            xaxis={"type": "category"},
        ),
    )


def nearmiss_figure(rates: Sequence[NearMissRate]) -> go.Figure:
    quarters = [row.quarter for row in rates]
    largest = max((row.reports for row in rates), default=0)
    ratios = [row.per_incident for row in rates if row.per_incident is not None]
    top_ratio = max(ratios, default=1.0)
    return go.Figure(
        [
            go.Bar(
                x=quarters,
                y=[row.near_misses for row in rates],
                name="near-misses",
                marker={"color": COLOURS[5]},
            ),
            go.Bar(
                x=quarters,
                y=[row.weak_signals for row in rates],
                name="weak signals",
                marker={"color": COLOURS[1]},
            ),
            go.Scatter(
                x=quarters,
                y=[row.per_incident for row in rates],
                name="reports per incident",
                yaxis="y2",
                mode="lines+markers",
                line={"color": COLOURS[4]},
                hovertemplate="%{x}: %{y:.1f} reports per incident<extra></extra>",
            ),
        ],
        layout=_layout(
            "Near-miss and weak-signal reports per quarter",
            barmode="stack",
            xaxis={"type": "category"},
            yaxis=count_axis(largest, "reports"),
            yaxis2={
                "title": {"text": "reports per incident"},
                "overlaying": "y",
                "side": "right",
                "range": [0, max(1.0, top_ratio) * 1.15],
                "tickformat": ".1f",
                "dtick": 0.5 if top_ratio <= 3 else float(count_step(top_ratio)),
                "showgrid": False,
            },
        ),
    )


def actions_figure(balance: ActionItemBalance) -> go.Figure:
    kinds = list(ACTION_KINDS)
    by_kind = [balance.by_kind.get(kind, 0) for kind in kinds]
    states = [balance.open, balance.done, balance.overdue]
    return go.Figure(
        [
            go.Bar(x=kinds, y=by_kind, name="by kind", marker={"color": COLOURS[0]}),
            go.Bar(
                x=["open", "done", "overdue"],
                y=states,
                name="by state",
                marker={"color": COLOURS[1]},
            ),
        ],
        layout=_layout(
            "Action items: balance and state",
            yaxis=count_axis(max([*by_kind, *states, 0]), "items"),
        ),
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
