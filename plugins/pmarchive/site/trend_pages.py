"""Leadership pages: trends, risk register, program health, SEV audit, quarterly reviews."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from pmarchive.model.schema import ACTION_KINDS
from pmarchive.analysis import figures as an
from pmarchive.ingest.archive import Archive
from pmarchive.site import charts as charts
from pmarchive.site.listing import index_src, md_text, rel_link
from pmarchive.site.urls import DIRECTORY_URLS, Linker

TOP_CLASSES = 5
AUDIT_ROWS = 400
"""Rows per SEV-audit table: the page stays small however large the archive."""


def _formula(function: Callable[..., Any]) -> str:
    """The analysis's docstring: its formula, shown on the page that uses it."""
    doc = inspect.getdoc(function) or ""
    return "\n".join(f"> {line}" if line else ">" for line in doc.splitlines()) + "\n"


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return "_No data in this window._\n"
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:,.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _class_link(src: str, slug: str) -> str:
    return f"[{md_text(slug)}]({rel_link(src, index_src('classes', slug))})"


class TrendContext:
    """Everything the trend pages share, computed once per build."""

    def __init__(
        self,
        archive: Archive,
        today: dt.date,
        weights: an.RiskWeights | None = None,
        linker: Linker = DIRECTORY_URLS,
    ) -> None:
        self.archive = archive
        self.linker = linker
        """Links in the pages' raw HTML (chart scripts), in the build's URL mode."""
        self.today = today
        self.weights = weights or an.RiskWeights()
        self.pms = archive.postmortems
        self.nms = archive.nearmisses
        self.quarters = an.quarters_spanning(archive.records)
        self.recurrence = an.recurrence_by_class(
            self.pms, archive.taxonomy, self.quarters, as_of=today
        )
        self.register = an.risk_register(self.pms, archive.taxonomy, today, self.weights)

    @property
    def window(self) -> str:
        if not self.quarters:
            return "_The archive holds no records yet._\n"
        return (
            f"Window: {self.quarters[0]} to {self.quarters[-1]} ({len(self.quarters)} quarters), "
            f"as of {self.today.isoformat()}; {len(self.pms)} incidents and {len(self.nms)} "
            f"near-misses and weak signals.\n"
        )

    def rank_of(self, slug: str) -> an.RiskEntry | None:
        return next((e for e in self.register.entries if e.slug == slug), None)


def trends_page(ctx: TrendContext) -> str:
    src = "trends.md"
    pyramid = an.incident_pyramid(ctx.pms, ctx.nms)
    top = [ctx.recurrence.get(e.slug) for e in ctx.register.entries[:TOP_CLASSES]]
    top_rows = [row for row in top if row is not None]
    timings = an.time_to_detect_and_resolve(ctx.pms, "quarter", groups=ctx.quarters)
    by_class = an.time_to_detect_and_resolve(ctx.pms, "class")
    mix = an.detection_mix(ctx.pms, ctx.quarters)
    rates = an.nearmiss_rate(ctx.pms, ctx.nms, ctx.quarters)
    actions = an.action_item_balance(ctx.pms, ctx.today)
    parts = [
        "---\ntitle: Trends\n---\n\n# Reliability trends\n",
        ctx.window,
        "See also: [risk register](risk-register.md) · [program health](program-health.md) · "
        "[SEV audit](sev-audit.md) · [quarterly reviews](reviews/index.md)\n",
        "## Incident pyramid\n",
        charts.chart_html(
            "pyramid", charts.pyramid_figure(pyramid), f"Incident pyramid, {_span(ctx)}"
        ),
        "",
        _table(
            ["Level", "Count", "Ratio to the level above"],
            [(lvl.label, lvl.count, lvl.ratio) for lvl in pyramid.levels],
        ),
        _formula(an.incident_pyramid),
        "## Recurrence by cause class\n",
        charts.chart_html(
            "recurrence",
            charts.recurrence_heatmap(ctx.recurrence),
            f"Incidents per class per quarter, {_span(ctx)}",
        ),
        "",
        charts.chart_html(
            "recurrence-top",
            charts.recurrence_lines(ctx.recurrence, top_rows),
            f"The {len(top_rows)} highest-ranked classes per quarter",
        ),
        "",
        _table(
            ["Class", *ctx.recurrence.quarters, "Total", "Fix outcome"],
            [
                (_class_link(src, row.slug), *row.counts, row.total, row.status)
                for row in ctx.recurrence.classes
                if row.total
            ],
        ),
        _formula(an.recurrence_by_class),
        "## Time to detect and to resolve\n",
        charts.chart_html(
            "timings",
            charts.timings_figure(timings),
            f"MTTD and MTTR per quarter (minutes), {_span(ctx)}",
        ),
        "",
        _timings_table(timings, "Quarter"),
        "By cause class:\n",
        _timings_table(by_class, "Class"),
        _formula(an.time_to_detect_and_resolve),
        "## Detection mix\n",
        charts.chart_html(
            "detection",
            charts.detection_figure(mix),
            f"How incidents were detected, per quarter, {_span(ctx)}",
        ),
        "",
        _table(
            ["Quarter", "Alert", "Human", "Customer"],
            [(row.quarter, row.alert, row.human, row.customer) for row in mix],
        ),
        _formula(an.detection_mix),
        "## Near-miss report rate\n",
        charts.chart_html(
            "nearmisses",
            charts.nearmiss_figure(rates),
            f"Near-miss and weak-signal reports per quarter, {_span(ctx)}",
        ),
        "",
        _table(
            ["Quarter", "Near-misses", "Weak signals", "Incidents", "Reports per incident"],
            [
                (r.quarter, r.near_misses, r.weak_signals, r.incidents, r.per_incident)
                for r in rates
            ],
        ),
        _formula(an.nearmiss_rate),
        "## Action items\n",
        charts.chart_html(
            "actions",
            charts.actions_figure(actions),
            f"Action items by kind and state, as of {ctx.today.isoformat()}",
        ),
        "",
        _actions_table(actions),
        _formula(an.action_item_balance),
        charts.chart_scripts(src, ctx.linker),
    ]
    return "\n".join(parts) + "\n"


def _span(ctx: TrendContext) -> str:
    return f"{ctx.quarters[0]}–{ctx.quarters[-1]}" if ctx.quarters else "no data"


def _timings_table(timings: an.Timings, label: str) -> str:
    return _table(
        [
            label,
            "Incidents with MTTD",
            "MTTD median (min)",
            "MTTD p90 (min)",
            "Incidents with MTTR",
            "MTTR median (min)",
            "MTTR p90 (min)",
        ],
        [
            (
                row.group,
                row.mttd.count,
                _minutes(row.mttd.median),
                _minutes(row.mttd.p90),
                row.mttr.count,
                _minutes(row.mttr.median),
                _minutes(row.mttr.p90),
            )
            for row in timings.rows
        ],
    )


def _actions_table(actions: an.ActionItemBalance) -> str:
    kinds = list(ACTION_KINDS)
    return _table(
        ["Open", "Done", "Overdue", *kinds, "Open (short form)", "Done (short form)"],
        [
            (
                actions.open,
                actions.done,
                actions.overdue,
                *(actions.by_kind.get(kind, 0) for kind in kinds),
                actions.short_form_open,
                actions.short_form_done,
            )
        ],
    )


def _risk_table(src: str, register: an.RiskRegister) -> str:
    return _table(
        [
            "Rank",
            "Class",
            "Incidents",
            "$ impact",
            "Worst SEV",
            "Recent",
            "Score",
            "Candidate fix",
            "Fix status",
        ],
        [
            (
                e.rank,
                _class_link(src, e.slug),
                e.count,
                f"${e.usd:,.0f}",
                f"SEV-{e.worst_sev}",
                e.recent,
                f"{e.score:,.0f}",
                md_text(e.candidate_fix) or "–",
                e.fix_status,
            )
            for e in register.entries
        ],
    )


def risk_page(ctx: TrendContext) -> str:
    src = "risk-register.md"
    w = ctx.weights
    weights = (
        f"Weights (set in `mkdocs.yml` under the plugin's `risk_weights`): $ × {w.w_usd:g}, "
        f"incidents × {w.w_count:g}, SEV weight × {w.w_sev:g} (SEV weights "
        + ", ".join(f"SEV-{k}: {v:g}" for k, v in sorted(w.sev_weight.items()))
        + f"), incidents in the last {w.recent_days} days × {w.w_recent:g}.\n"
    )
    return (
        "\n".join(
            [
                "---\ntitle: Risk register\n---\n\n# Pain-ranked risk register\n",
                ctx.window,
                "The ranked list of the next SEV-1s waiting to happen: each cause class scored "
                "by what it has cost, joined with the fix that would remove it.\n",
                weights,
                charts.chart_html(
                    "risk",
                    charts.risk_figure(ctx.register),
                    f"Risk score per class, as of {ctx.today.isoformat()}",
                ),
                "",
                _risk_table(src, ctx.register),
                _formula(an.risk_register),
                charts.chart_scripts(src, ctx.linker),
            ]
        )
        + "\n"
    )


def program_health_page(ctx: TrendContext) -> str:
    src = "program-health.md"
    health = an.program_health(ctx.pms, ctx.archive.taxonomy, ctx.today, ctx.weights.recent_days)
    recent = (
        ", ".join(f"{_class_link(src, k)} ({v})" for k, v in health.recent_class_counts.items())
        or "none"
    )
    rows = [
        (
            "Post-mortems published on time",
            _pct(health.on_time_rate),
            f"Classes recurring in the last {health.recent_days} days",
            ", ".join(_class_link(src, c) for c in health.recurring_recent) or "none",
        ),
        (
            "Action items closed",
            _pct(health.action_completion_rate),
            "Classes recurring after their fix landed",
            ", ".join(_class_link(src, o.slug) for o in health.recurring_after_fix) or "none",
        ),
        (
            "Action items overdue",
            health.actions.overdue,
            "Classes going quiet after their fix",
            ", ".join(_class_link(src, o.slug) for o in health.going_quiet) or "none",
        ),
    ]
    late = _table(
        ["Id", "Title", "SEV", "Status", "Due"],
        [
            (p.id, md_text(p.title), f"SEV-{p.sev}", p.status, p.due.isoformat())
            for p in health.late
        ],
    )
    return (
        "\n".join(
            [
                "---\ntitle: Program health\n---\n\n# Program health\n",
                ctx.window,
                "Each process figure stands beside the outcome it is meant to drive: a high "
                "completion rate means little while the same class keeps coming back.\n",
                _table(["Process figure", "Value", "Outcome it serves", "Value"], rows),
                f"Incidents per class in the last {health.recent_days} days: {recent}.\n",
                "## Post-mortems past their due date\n",
                late,
                _formula(an.program_health),
            ]
        )
        + "\n"
    )


def sev_audit_page(ctx: TrendContext) -> str:
    audit = an.sev_audit(ctx.pms, ctx.archive.taxonomy)
    src = "sev-audit.md"

    def row(f: an.SevFinding) -> tuple[object, ...]:
        record = f"[{md_text(f.id)}]({rel_link(src, 'postmortems/' + f.id.lower() + '.md')})"
        implied = f"SEV-{f.implied}" if f.implied else "–"
        return (
            record,
            md_text(f.title),
            f"SEV-{f.declared}",
            implied,
            md_text(", ".join(f.reasons)) or "–",
            f.verdict,
        )

    head = ["Incident", "Title", "Declared", "Implied", "Criteria met", "Verdict"]
    verdicts: dict[str, int] = {}
    for finding in audit.findings:
        verdicts[finding.verdict] = verdicts.get(finding.verdict, 0) + 1
    newest = sorted(audit.findings, key=lambda f: (f.date, f.id), reverse=True)
    return (
        "\n".join(
            [
                "---\ntitle: SEV audit\n---\n\n# SEV audit\n",
                ctx.window,
                "Severity, priority and cause class stay separate fields; this page checks the "
                "declared severity against the ladder's objective criteria.\n",
                "## Verdicts\n",
                _table(["Verdict", "Incidents"], sorted(verdicts.items())),
                f"## Deflation candidates ({len(audit.deflation_candidates)})\n",
                _table(head, [row(f) for f in audit.deflation_candidates[:AUDIT_ROWS]]),
                f"## The newest {min(AUDIT_ROWS, len(newest))} incidents\n",
                _table(head, [row(f) for f in newest[:AUDIT_ROWS]]),
                _formula(an.sev_audit),
            ]
        )
        + "\n"
    )


def review_src(quarter: str) -> str:
    return f"reviews/{quarter.lower()}.md"


def _change(now: float | int | None, before: float | int | None) -> str:
    if now is None or before is None:
        return "–"
    delta = now - before
    return f"{delta:+,.1f}".replace(".0", "") if isinstance(delta, float) else f"{delta:+d}"


def review_page(ctx: TrendContext, quarter: str) -> str:
    src = review_src(quarter)
    review = an.quarterly_review(
        ctx.pms, ctx.nms, ctx.archive.taxonomy, quarter, ctx.today, ctx.weights
    )
    cur, prev = review.current, review.previous
    figures = [
        ("Incidents", cur.pyramid.incidents, prev.pyramid.incidents),
        *(
            (level.label, level.count, prev.pyramid.count(level.key))
            for level in cur.pyramid.levels
        ),
        ("Detected by alert", cur.detection.alert, prev.detection.alert),
        ("Detected by customers", cur.detection.customer, prev.detection.customer),
        ("MTTD median (min)", _num(cur.timings.mttd.median), _num(prev.timings.mttd.median)),
        ("MTTR median (min)", _num(cur.timings.mttr.median), _num(prev.timings.mttr.median)),
        ("Near-miss reports", cur.nearmisses.reports, prev.nearmisses.reports),
        ("Action items open", cur.actions.open, prev.actions.open),
        ("Action items overdue", cur.actions.overdue, prev.actions.overdue),
        (
            "SEV deflation candidates",
            len(cur.sev_audit.deflation_candidates),
            len(prev.sev_audit.deflation_candidates),
        ),
    ]
    rows = [(name, now, before, _change(now, before)) for name, now, before in figures]
    recurrence = _table(
        ["Class", review.previous_quarter, quarter, "Fix outcome"],
        [
            (_class_link(src, r.slug), *r.counts, r.status)
            for r in review.recurrence.classes
            if r.total
        ],
    )
    health = review.program_health
    return (
        "\n".join(
            [
                f"---\ntitle: Reliability review {quarter}\n---\n\n# Quarterly reliability review: "
                f"{quarter}\n",
                f"As of {review.as_of.isoformat()}, compared with {review.previous_quarter}.\n",
                "## The aggregate signal\n",
                _table(["Figure", quarter, review.previous_quarter, "Change"], rows),
                "## Trends by cause class\n",
                recurrence,
                "## Risk register (top ten)\n",
                _risk_table(
                    src,
                    an.RiskRegister(
                        review.risk_register.today,
                        review.risk_register.weights,
                        review.risk_register.entries[:10],
                    ),
                ),
                "## Program health\n",
                f"Post-mortems on time: {_pct(health.on_time_rate)}; action items closed: "
                f"{_pct(health.action_completion_rate)}; classes recurring after their fix: "
                + (
                    ", ".join(_class_link(src, o.slug) for o in health.recurring_after_fix)
                    or "none"
                )
                + "; going quiet: "
                + (", ".join(_class_link(src, o.slug) for o in health.going_quiet) or "none")
                + ".\n",
                f"[All reviews]({rel_link(src, 'reviews/index.md')}) · "
                f"[Trends]({rel_link(src, 'trends.md')})\n",
                _formula(an.quarterly_review),
            ]
        )
        + "\n"
    )


def _num(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def reviews_index(ctx: TrendContext) -> str:
    links = "\n".join(
        f"- [{q}]({rel_link('reviews/index.md', review_src(q))})" for q in reversed(ctx.quarters)
    )
    return f"---\ntitle: Quarterly reviews\n---\n\n# Quarterly reliability reviews\n\n{links}\n"


def trend_pages(ctx: TrendContext) -> dict[str, str]:
    pages = {
        "trends.md": trends_page(ctx),
        "risk-register.md": risk_page(ctx),
        "program-health.md": program_health_page(ctx),
        "sev-audit.md": sev_audit_page(ctx),
        "reviews/index.md": reviews_index(ctx),
    }
    for quarter in ctx.quarters:
        pages[review_src(quarter)] = review_page(ctx, quarter)
    return pages


def class_section(ctx: TrendContext, slug: str, src: str) -> str:
    """On a class page: its recurrence chart and its rank in the risk register."""
    row = ctx.recurrence.get(slug)
    if row is None:
        return ""
    entry = ctx.rank_of(slug)
    rank = (
        f"Rank **{entry.rank}** of {len(ctx.register.entries)} in the "
        f"[risk register]({rel_link(src, 'risk-register.md')}) (score {entry.score:,.0f})."
        if entry
        else "Not in the risk register: no incidents yet."
    )
    figure = charts.recurrence_lines(ctx.recurrence, [row], f"{slug}: incidents per quarter")
    return (
        "\n".join(
            [
                "## Recurrence\n",
                rank + f" Fix outcome: {row.status}.\n",
                charts.chart_html(
                    f"class-{slug}", figure, f"Incidents of {slug} per quarter, {_span(ctx)}"
                ),
                "",
                _table(list(ctx.recurrence.quarters), [row.counts]),
                charts.chart_scripts(src, ctx.linker),
            ]
        )
        + "\n"
    )


def alert_section(ctx: TrendContext, classes: Sequence[str], src: str) -> str:
    """On an alert page: the recurrence of the classes its incidents had."""
    rows = [r for r in (ctx.recurrence.get(c) for c in classes) if r is not None]
    if not rows:
        return ""
    figure = charts.recurrence_lines(ctx.recurrence, rows, "Recurrence of this alert's classes")
    return (
        "\n".join(
            [
                "## Recurrence of these classes\n",
                charts.chart_html(
                    "alert-classes",
                    figure,
                    f"Incidents per quarter of this alert's classes, {_span(ctx)}",
                ),
                "",
                _table(
                    ["Class", *ctx.recurrence.quarters],
                    [(_class_link(src, r.slug), *r.counts) for r in rows],
                ),
                charts.chart_scripts(src, ctx.linker),
            ]
        )
        + "\n"
    )
