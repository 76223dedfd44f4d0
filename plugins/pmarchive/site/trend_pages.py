"""Leadership pages: trends, risk register, program health, SEV audit, quarterly reviews.

Each page renders from its template in ``templates/pmarchive/pages/`` (``trends.md``,
``risk_register.md``, ``health.md``, ``sev_audit.md``, ``review.md``, ``reviews_index.md``,
``trend_class_section.md``, ``trend_alert_section.md``), so a site's ``overrides/`` can replace
any of them: the template holds the page's frame (front-matter, headings, the order of the
sections, the sentences and chart captions). The code here hands it the analyses' results as
plain values and ready fragments: tables built from escaped parts, charts, formulas, links, and
the dates, quarters and numbers it formatted.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup

from pmarchive.analysis import figures as an
from pmarchive.ingest.archive import Archive
from pmarchive.model.schema import ACTION_KINDS
from pmarchive.site import charts as charts
from pmarchive.site.listing import index_src, md_text, rel_link
from pmarchive.site.templating import DEFAULT_ENVIRONMENT, fragment, render_page
from pmarchive.site.urls import DIRECTORY_URLS, Linker

TOP_CLASSES = 5
AUDIT_ROWS = 400
"""Rows per SEV-audit table: the page stays small however large the archive."""
REVIEW_RISKS = 10
"""Classes in a quarterly review's risk register."""


def _formula(function: Callable[..., Any]) -> Markup:
    """The analysis's docstring: its formula, shown on the page that uses it."""
    doc = inspect.getdoc(function) or ""
    return fragment("\n".join(f"> {line}" if line else ">" for line in doc.splitlines()) + "\n")


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> Markup:
    """A Markdown table of ready cells (escaped by the caller, or numbers)."""
    if not rows:
        return fragment("_No data in this window._\n")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return fragment("\n".join(lines) + "\n")


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


def _class_link(src: str, slug: str) -> Markup:
    return fragment(f"[{md_text(slug)}]({rel_link(src, index_src('classes', slug))})")


def _number(value: float, spec: str) -> Markup:
    return fragment(format(value, spec))


class Charts:
    """A page's figures by chart id; its template places one with ``chart(id, caption)``.

    The caption is the template's text, HTML-escaped into the chart's container. A figure is
    built when the template asks for it, so an override that drops a chart costs nothing.
    """

    def __init__(self, figures: Mapping[str, Callable[[], go.Figure]]) -> None:
        self.figures = dict(figures)

    def __call__(self, chart_id: str, caption: str) -> Markup:
        build = self.figures.get(chart_id)
        if build is None:
            raise jinja2.TemplateRuntimeError(
                f"no chart {chart_id!r} on this page; its charts: {', '.join(self.figures)}"
            )
        return fragment(charts.chart_html(chart_id, build(), str(caption)))


class TrendContext:
    """Everything the trend pages share, computed once per build."""

    def __init__(
        self,
        archive: Archive,
        today: dt.date,
        weights: an.RiskWeights | None = None,
        linker: Linker = DIRECTORY_URLS,
        *,
        env: jinja2.Environment = DEFAULT_ENVIRONMENT,
    ) -> None:
        self.archive = archive
        self.linker = linker
        """Links in the pages' raw HTML (chart scripts), in the build's URL mode."""
        self.env = env
        """Finds the page templates (the site's custom_dir first, then the package's)."""
        self.today = today
        self.weights = weights or an.RiskWeights()
        self.pms = archive.postmortems
        self.nms = archive.nearmisses
        self.quarters = an.quarters_spanning(archive.records)
        self.recurrence = an.recurrence_by_class(
            self.pms, archive.taxonomy, self.quarters, as_of=today
        )
        self.register = an.risk_register(self.pms, archive.taxonomy, today, self.weights)

    def rank_of(self, slug: str) -> an.RiskEntry | None:
        return next((e for e in self.register.entries if e.slug == slug), None)

    def page(self, name: str, src: str, **context: Any) -> str:
        """Render page template ``name`` for the page at ``src`` with what every page gets.

        Every template receives ``quarters`` (the window, oldest first), ``today``,
        ``incident_count``, ``nearmiss_count``, ``url(target_src)`` (a relative link from this
        page) and ``scripts`` (the chart scripts, for a page that places a chart).
        """
        return render_page(
            self.env,
            name,
            quarters=[fragment(q) for q in self.quarters],
            today=fragment(self.today.isoformat()),
            incident_count=len(self.pms),
            nearmiss_count=len(self.nms),
            url=lambda target: fragment(rel_link(src, str(target))),
            scripts=fragment(charts.chart_scripts(src, self.linker)),
            **context,
        )


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
    tables = {
        "pyramid": _table(
            ["Level", "Count", "Ratio to the level above"],
            [(lvl.label, lvl.count, lvl.ratio) for lvl in pyramid.levels],
        ),
        "recurrence": _table(
            ["Class", *ctx.recurrence.quarters, "Total", "Fix outcome"],
            [
                (_class_link(src, row.slug), *row.counts, row.total, row.status)
                for row in ctx.recurrence.classes
                if row.total
            ],
        ),
        "timings": _timings_table(timings, "Quarter"),
        "timings_by_class": _timings_table(by_class, "Class"),
        "detection": _table(
            ["Quarter", "Alert", "Human", "Customer"],
            [(row.quarter, row.alert, row.human, row.customer) for row in mix],
        ),
        "nearmisses": _table(
            ["Quarter", "Near-misses", "Weak signals", "Incidents", "Reports per incident"],
            [
                (r.quarter, r.near_misses, r.weak_signals, r.incidents, r.per_incident)
                for r in rates
            ],
        ),
        "actions": _actions_table(actions),
    }
    figures = {
        "pyramid": lambda: charts.pyramid_figure(pyramid),
        "recurrence": lambda: charts.recurrence_heatmap(ctx.recurrence),
        "recurrence-top": lambda: charts.recurrence_lines(ctx.recurrence, top_rows),
        "timings": lambda: charts.timings_figure(timings),
        "detection": lambda: charts.detection_figure(mix),
        "nearmisses": lambda: charts.nearmiss_figure(rates),
        "actions": lambda: charts.actions_figure(actions),
    }
    formulas = {
        function.__name__: _formula(function)
        for function in (
            an.incident_pyramid,
            an.recurrence_by_class,
            an.time_to_detect_and_resolve,
            an.detection_mix,
            an.nearmiss_rate,
            an.action_item_balance,
        )
    }
    return ctx.page(
        "trends",
        src,
        chart=Charts(figures),
        tables=tables,
        formulas=formulas,
        top_count=len(top_rows),
        pyramid=pyramid,
        recurrence=ctx.recurrence,
        timings=timings,
        timings_by_class=by_class,
        detection=mix,
        nearmiss_rates=rates,
        actions=actions,
    )


def _timings_table(timings: an.Timings, label: str) -> Markup:
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


def _actions_table(actions: an.ActionItemBalance) -> Markup:
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


def _risk_table(src: str, register: an.RiskRegister) -> Markup:
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
    weights = {
        "usd": _number(w.w_usd, "g"),
        "count": _number(w.w_count, "g"),
        "sev": _number(w.w_sev, "g"),
        "recent": _number(w.w_recent, "g"),
        "recent_days": w.recent_days,
        "sev_weights": [(k, _number(v, "g")) for k, v in sorted(w.sev_weight.items())],
    }
    return ctx.page(
        "risk_register",
        src,
        chart=Charts({"risk": lambda: charts.risk_figure(ctx.register)}),
        tables={"risk": _risk_table(src, ctx.register)},
        formulas={"risk_register": _formula(an.risk_register)},
        weights=weights,
        register=ctx.register,
    )


def program_health_page(ctx: TrendContext) -> str:
    src = "program-health.md"
    health = an.program_health(ctx.pms, ctx.archive.taxonomy, ctx.today, ctx.weights.recent_days)

    def classes(slugs: Sequence[str]) -> str:
        return ", ".join(_class_link(src, c) for c in slugs) or "none"

    rows = [
        (
            "Post-mortems published on time",
            _pct(health.on_time_rate),
            f"Classes recurring in the last {health.recent_days} days",
            classes(health.recurring_recent),
        ),
        (
            "Action items closed",
            _pct(health.action_completion_rate),
            "Classes recurring after their fix landed",
            classes([o.slug for o in health.recurring_after_fix]),
        ),
        (
            "Action items overdue",
            health.actions.overdue,
            "Classes going quiet after their fix",
            classes([o.slug for o in health.going_quiet]),
        ),
    ]
    late = _table(
        ["Id", "Title", "SEV", "Status", "Due"],
        [
            (p.id, md_text(p.title), f"SEV-{p.sev}", p.status, p.due.isoformat())
            for p in health.late
        ],
    )
    return ctx.page(
        "health",
        src,
        tables={
            "figures": _table(["Process figure", "Value", "Outcome it serves", "Value"], rows),
            "late": late,
        },
        formulas={"program_health": _formula(an.program_health)},
        recent_days=health.recent_days,
        recent_classes=[
            fragment(f"{_class_link(src, k)} ({v})") for k, v in health.recent_class_counts.items()
        ],
        health=health,
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
    return ctx.page(
        "sev_audit",
        src,
        tables={
            "verdicts": _table(["Verdict", "Incidents"], sorted(verdicts.items())),
            "deflation": _table(head, [row(f) for f in audit.deflation_candidates[:AUDIT_ROWS]]),
            "newest": _table(head, [row(f) for f in newest[:AUDIT_ROWS]]),
        },
        formulas={"sev_audit": _formula(an.sev_audit)},
        deflation_count=len(audit.deflation_candidates),
        newest_count=min(AUDIT_ROWS, len(newest)),
        audit=audit,
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
    top = an.RiskRegister(
        review.risk_register.today,
        review.risk_register.weights,
        review.risk_register.entries[:REVIEW_RISKS],
    )
    health = review.program_health
    return ctx.page(
        "review",
        src,
        quarter=fragment(quarter),
        previous_quarter=fragment(review.previous_quarter),
        as_of=fragment(review.as_of.isoformat()),
        tables={
            "figures": _table(["Figure", quarter, review.previous_quarter, "Change"], rows),
            "recurrence": recurrence,
            "risk": _risk_table(src, top),
        },
        formulas={"quarterly_review": _formula(an.quarterly_review)},
        on_time=fragment(_pct(health.on_time_rate)),
        actions_closed=fragment(_pct(health.action_completion_rate)),
        recurring_after_fix=[_class_link(src, o.slug) for o in health.recurring_after_fix],
        going_quiet=[_class_link(src, o.slug) for o in health.going_quiet],
        review=review,
    )


def _num(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def reviews_index(ctx: TrendContext) -> str:
    src = "reviews/index.md"
    reviews = [
        {"quarter": fragment(q), "url": fragment(rel_link(src, review_src(q)))}
        for q in reversed(ctx.quarters)
    ]
    return ctx.page("reviews_index", src, reviews=reviews)


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
    title = f"{slug}: incidents per quarter"
    return ctx.page(
        "trend_class_section",
        src,
        chart=Charts(
            {f"class-{slug}": lambda: charts.recurrence_lines(ctx.recurrence, [row], title)}
        ),
        tables={"counts": _table(list(ctx.recurrence.quarters), [row.counts])},
        slug=slug,
        status=row.status,
        entry=entry,
        rank_count=len(ctx.register.entries),
        score=None if entry is None else _number(entry.score, ",.0f"),
        recurrence=row,
    )


def alert_section(ctx: TrendContext, classes: Sequence[str], src: str) -> str:
    """On an alert page: the recurrence of the classes its incidents had."""
    rows = [r for r in (ctx.recurrence.get(c) for c in classes) if r is not None]
    if not rows:
        return ""
    title = "Recurrence of this alert's classes"
    return ctx.page(
        "trend_alert_section",
        src,
        chart=Charts(
            {"alert-classes": lambda: charts.recurrence_lines(ctx.recurrence, rows, title)}
        ),
        tables={
            "recurrence": _table(
                ["Class", *ctx.recurrence.quarters],
                [(_class_link(src, r.slug), *r.counts) for r in rows],
            )
        },
        classes=rows,
    )
