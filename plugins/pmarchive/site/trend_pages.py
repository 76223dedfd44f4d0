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
import html
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup

from pmarchive.analysis import figures as an
from pmarchive.analysis._shared import gap_titles
from pmarchive.core.calendar import previous_quarter, quarter_of, quarters_between
from pmarchive.ingest.archive import Archive
from pmarchive.model.records import Record
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
FIX_PREVIEW = 48
"""Characters of a candidate fix shown in a register row; the full text is one click away."""
DEFAULT_WINDOW_QUARTERS = 8
"""Quarters the trend and review pages cover, up to the run's today."""


def window_quarters(records: Sequence[Record], today: dt.date, length: int) -> tuple[str, ...]:
    """The last ``length`` quarters up to today's, starting no earlier than the first record's
    quarter (nothing is compared with quarters before the data begins); empty without records."""
    dates = [record.date for record in records if record.date <= today]
    if not dates or length < 1:
        return ()
    last = quarter_of(today)
    first = last
    for _ in range(length - 1):
        first = previous_quarter(first)
    return quarters_between(max(first, quarter_of(min(dates))), last)


def _explain(function: Callable[..., Any], summary: str = "How it is computed") -> Markup:
    """The analysis's docstring, its formula, folded under a plain-words page: one click away
    for the curious, out of the way of a manager reading the page."""
    doc = inspect.getdoc(function) or ""
    paragraphs = [" ".join(part.split()) for part in doc.split("\n\n") if part.strip()]
    body = "".join(f"<p>{html.escape(part.replace('``', ''))}</p>" for part in paragraphs)
    return fragment(
        f'<details class="pm-formula"><summary>{html.escape(summary)}</summary>{body}</details>\n'
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], empty: str = "") -> Markup:
    """A Markdown table of ready cells (escaped by the caller, or numbers)."""
    if not rows:
        return fragment(f"_{empty or 'No data in this window.'}_\n")
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


def _term_link(src: str, kind: str, slug: str) -> Markup:
    """A factor or an evidence gap, linked to its index page."""
    return fragment(f"[{md_text(slug)}]({rel_link(src, index_src(kind, slug))})")


def _record_link(src: str, record_id: str, section: str = "postmortems") -> Markup:
    return fragment(f"[{md_text(record_id)}]({rel_link(src, f'{section}/{record_id.lower()}.md')})")


def _more(text: str, limit: int = FIX_PREVIEW) -> str:
    """Long text cut to ``limit`` characters with the whole of it one click away (<details>)."""
    flat = " ".join(text.split())
    if not flat:
        return "–"
    if len(flat) <= limit:
        return md_text(flat)
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return f'<details class="pm-more"><summary>{md_text(cut)}…</summary>{md_text(flat)}</details>'


def _number(value: float, spec: str) -> Markup:
    return fragment(format(value, spec))


def _with_n(value: str, n: int) -> str:
    return f"{value} (n={n})" if value != "–" else f"– (n={n})"


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
    """Everything the trend pages share, computed once per build.

    The trend and review pages cover the window: the last ``window`` quarters up to today
    (see ``window_quarters``). Records dated before it stay on class, alert and record pages.
    """

    def __init__(
        self,
        archive: Archive,
        today: dt.date,
        weights: an.RiskWeights | None = None,
        linker: Linker = DIRECTORY_URLS,
        *,
        env: jinja2.Environment = DEFAULT_ENVIRONMENT,
        window: int = DEFAULT_WINDOW_QUARTERS,
    ) -> None:
        self.archive = archive
        self.linker = linker
        """Links in the pages' raw HTML (chart scripts), in the build's URL mode."""
        self.env = env
        """Finds the page templates (the site's custom_dir first, then the package's)."""
        self.today = today
        self.weights = weights or an.RiskWeights()
        self.window = window
        self.quarters = window_quarters(archive.records, today, window)
        shown = set(self.quarters)
        self.pms = [pm for pm in archive.postmortems if quarter_of(pm.date) in shown]
        self.nms = [nm for nm in archive.nearmisses if quarter_of(nm.date) in shown]
        self.older = len(archive.records) - len(self.pms) - len(self.nms)
        """Records outside the window (older, or dated after today): on their own pages only."""
        self.recurrence = an.recurrence_by_class(
            self.pms, archive.taxonomy, self.quarters, as_of=today
        )
        self.register = an.risk_register(self.pms, archive.taxonomy, today, self.weights, self.nms)

    def rank_of(self, slug: str) -> an.RiskEntry | None:
        entry = next((e for e in self.register.entries if e.slug == slug), None)
        return entry if entry is not None and entry.count else None

    def page(self, name: str, src: str, **context: Any) -> str:
        """Render page template ``name`` for the page at ``src`` with what every page gets.

        Every template receives ``quarters`` (the window, oldest first), ``today``,
        ``incident_count``, ``nearmiss_count`` (records in the window), ``older_count``
        (records outside it), ``withheld`` and ``audience`` (records this audience does not
        see), ``url(target_src)`` (a relative link from this page) and ``scripts`` (the chart
        scripts, for a page that places a chart).
        """
        return render_page(
            self.env,
            name,
            quarters=[fragment(q) for q in self.quarters],
            today=fragment(self.today.isoformat()),
            incident_count=len(self.pms),
            nearmiss_count=len(self.nms),
            older_count=self.older,
            window=self.window,
            withheld=self.archive.withheld,
            audience=self.archive.audience,
            url=lambda target: fragment(rel_link(src, str(target))),
            scripts=fragment(charts.chart_scripts(src, self.linker)),
            **context,
        )


def trends_page(ctx: TrendContext) -> str:
    src = "trends.md"
    pyramid = an.incident_pyramid(ctx.pms, ctx.nms)
    ranked = [e for e in ctx.register.entries[:TOP_CLASSES] if e.count]
    top_rows = [row for row in (ctx.recurrence.get(e.slug) for e in ranked) if row is not None]
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
        "recurrence-top": lambda: charts.recurrence_small_multiples(ctx.recurrence, top_rows),
        "timings": lambda: charts.timings_figure(timings),
        "detection": lambda: charts.detection_figure(mix),
        "nearmisses": lambda: charts.nearmiss_figure(rates),
        "actions": lambda: charts.actions_figure(actions),
    }
    formulas = {
        function.__name__: _explain(function)
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
    """Medians with their n; a p90 only where at least MIN_P90_VALUES values back it."""

    def spread(s: an.Spread) -> tuple[str, str]:
        return (_with_n(_minutes(s.median), s.count), _minutes(s.p90_shown))

    return _table(
        [
            label,
            "Detect: median (min)",
            "Detect: p90",
            "Mitigate: median (min)",
            "Mitigate: p90",
            "Resolve: median (min)",
            "Resolve: p90",
        ],
        [
            (row.group, *spread(row.mttd), *spread(row.mttm), *spread(row.mttr))
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


def _sev(level: int | None) -> str:
    return "–" if level is None else f"SEV-{level}"


def _risk_table(src: str, register: an.RiskRegister) -> Markup:
    def flag(e: an.RiskEntry) -> str:
        if e.recurring_after_fix:
            landed = e.fix_landed.isoformat() if e.fix_landed else "?"
            return f"**recurring after fix** ({len(e.after_fix_ids)} since {landed})"
        return e.fix_status

    return _table(
        [
            "#",
            "Class",
            "Incidents",
            "$ share",
            "Worst",
            "Recent",
            "Near-misses",
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
                _sev(e.worst_sev),
                e.recent,
                e.nearmisses,
                f"{e.score:,.0f}",
                _more(e.candidate_fix),
                flag(e),
            )
            for e in register.entries
        ],
    )


def _pain_table(src: str, register: an.PainRegister) -> Markup:
    label = {"factors": "Factor", "gaps": "Evidence gap"}[register.kind]

    def key(e: an.PainEntry) -> str:
        return _term_link(src, register.kind, e.slug)

    return _table(
        [
            "#",
            label,
            "Incidents",
            "SEV-1/2",
            "$ share",
            "Worst",
            "Recent",
            "Near-misses",
            "Score",
        ],
        [
            (
                e.rank,
                key(e),
                e.count,
                e.severe,
                f"${e.usd:,.0f}",
                _sev(e.worst_sev),
                e.recent,
                e.nearmisses,
                f"{e.score:,.0f}",
            )
            for e in register.entries
        ],
        empty="No evidence gaps are declared in taxonomy/gaps.yml yet."
        if register.kind == "gaps"
        else "",
    )


def _weights(w: an.RiskWeights) -> dict[str, Any]:
    return {
        "usd": _number(w.w_usd, "g"),
        "count": _number(w.w_count, "g"),
        "sev": _number(w.w_sev, "g"),
        "recent": _number(w.w_recent, "g"),
        "nearmiss": _number(w.w_nearmiss, "g"),
        "recent_days": w.recent_days,
        "sev_weights": [(k, _number(v, "g")) for k, v in sorted(w.sev_weight.items())],
    }


def _registers(ctx: TrendContext) -> tuple[an.PainRegister, an.PainRegister]:
    tax = ctx.archive.taxonomy
    return (
        an.factor_register(ctx.pms, tax, ctx.today, ctx.weights, ctx.nms),
        an.gap_register(ctx.pms, tax, ctx.today, ctx.weights, ctx.nms),
    )


def risk_page(ctx: TrendContext) -> str:
    src = "risk-register.md"
    factors, gaps = _registers(ctx)
    total = sum((pm.revenue_impact_usd or 0) for pm in ctx.pms)
    return ctx.page(
        "risk_register",
        src,
        chart=Charts({"risk": lambda: charts.risk_figure(ctx.register)}),
        tables={
            "risk": _risk_table(src, ctx.register),
            "factors": _pain_table(src, factors),
            "gaps": _pain_table(src, gaps),
        },
        formulas={
            "risk_register": _explain(an.risk_register),
            "factor_register": _explain(an.factor_register),
            "gap_register": _explain(an.gap_register),
        },
        weights=_weights(ctx.weights),
        register=ctx.register,
        factors=factors,
        gaps=gaps,
        class_count=len(ctx.register.entries),
        recurring=[_class_link(src, e.slug) for e in ctx.register.entries if e.recurring_after_fix],
        total_usd=_number(ctx.register.total_cents / 100, ",.0f"),
        archive_usd=_number(total, ",.0f"),
    )


def evidence_gaps_page(ctx: TrendContext) -> str:
    """/evidence-gaps/: the evidence-gap register, the "investigate" line of the budget."""
    src = "evidence-gaps.md"
    _, gaps = _registers(ctx)
    return ctx.page(
        "evidence_gaps",
        src,
        table=_pain_table(src, gaps),
        formula=_explain(an.gap_register),
        weights=_weights(ctx.weights),
        gaps=gaps,
    )


def _overdue_table(src: str, items: Sequence[an.OverdueItem]) -> Markup:
    return _table(
        ["Incident", "Item", "Action", "Owner", "Due"],
        [
            (
                _record_link(src, item.record_id),
                md_text(item.item_id),
                md_text(item.title),
                md_text(item.owner) or "–",
                item.due.isoformat(),
            )
            for item in items
        ],
        empty="No action item is past its due date.",
    )


def program_health_page(ctx: TrendContext) -> str:
    src = "program-health.md"
    health = an.program_health(ctx.pms, ctx.archive.taxonomy, ctx.today, ctx.weights.recent_days)

    def classes(slugs: Sequence[str]) -> str:
        return ", ".join(_class_link(src, c) for c in slugs) or "none"

    on_time = (
        f"{_pct(health.on_time_rate)} ({health.on_time} of {health.judged}; "
        f"{health.unknown} without a publish date)"
    )
    rows = [
        (
            "Post-mortems published on time",
            on_time,
            f"Classes recurring in the last {health.recent_days} days",
            classes(health.recurring_recent),
        ),
        (
            "Action items closed",
            f"{_pct(health.action_completion_rate)} ({health.actions.done} of "
            f"{health.actions.total})",
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
        ["Incident", "Title", "SEV", "Status", "Due", "Published"],
        [
            (
                _record_link(src, p.id),
                md_text(p.title),
                f"SEV-{p.sev}",
                p.status,
                p.due.isoformat(),
                p.published.isoformat() if p.published else "not yet",
            )
            for p in health.late
        ],
        empty="No post-mortem is past its due date.",
    )
    return ctx.page(
        "health",
        src,
        tables={
            "figures": _table(["Process figure", "Value", "Outcome it serves", "Value"], rows),
            "late": late,
            "overdue": _overdue_table(src, health.actions.overdue_items),
        },
        formulas={"program_health": _explain(an.program_health)},
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
        implied = f"SEV-{f.implied}" if f.implied else "–"
        return (
            _record_link(src, f.id),
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
        formulas={"sev_audit": _explain(an.sev_audit)},
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
    if isinstance(delta, float):
        return f"{delta:+,.1f}"
    return f"{delta:+d}"


def review_page(ctx: TrendContext, quarter: str) -> str:
    src = review_src(quarter)
    review = an.quarterly_review(
        ctx.pms,
        ctx.nms,
        ctx.archive.taxonomy,
        quarter,
        ctx.today,
        ctx.weights,
        data_begins=ctx.quarters[0] if ctx.quarters else None,
    )
    cur, prev = review.current, review.previous

    def timing(label: str, now: an.Spread, before: an.Spread) -> tuple[str, str, str, str]:
        a, b = _num(now.median), _num(before.median)
        return (
            label,
            _with_n(_cell(a), now.count),
            _with_n(_cell(b), before.count),
            _change(a, b),
        )

    counts = [
        ("Incidents", cur.pyramid.incidents, prev.pyramid.incidents),
        *(
            (level.label, level.count, prev.pyramid.count(level.key))
            for level in cur.pyramid.levels
        ),
        ("Detected by alert", cur.detection.alert, prev.detection.alert),
        ("Detected by customers", cur.detection.customer, prev.detection.customer),
        ("Action items open (of its incidents)", cur.actions.open, prev.actions.open),
        ("Action items overdue (of its incidents)", cur.actions.overdue, prev.actions.overdue),
        (
            "SEV deflation candidates",
            len(cur.sev_audit.deflation_candidates),
            len(prev.sev_audit.deflation_candidates),
        ),
    ]
    rows: list[tuple[object, ...]] = [
        (name, now, before, _change(now, before)) for name, now, before in counts
    ]
    rows += [
        timing("Time to detect, median (min)", cur.timings.mttd, prev.timings.mttd),
        timing("Time to mitigate, median (min)", cur.timings.mttm, prev.timings.mttm),
        timing("Time to resolve, median (min)", cur.timings.mttr, prev.timings.mttr),
    ]
    if not review.has_previous:
        rows = [(row[0], row[1], "–", "–") for row in rows]
    this_label = f"{quarter} (partial)" if review.partial else quarter
    before_label = (
        review.previous_quarter if review.has_previous else f"{review.previous_quarter} (no data)"
    )
    incidents = _table(
        ["Date", "Incident", "SEV", "Summary", "Mitigation"],
        [
            (
                pm.date.isoformat(),
                fragment(f"{_record_link(src, pm.id)} {md_text(pm.title)}"),
                f"SEV-{pm.sev}",
                _more(pm.summary, 140),
                _more(pm.mitigation, 140),
            )
            for pm in review.incidents
        ],
        empty="No incidents this quarter.",
    )
    nearmisses = _table(
        ["Date", "Report", "Kind", "Caught by", "Summary"],
        [
            (
                nm.date.isoformat(),
                fragment(f"{_record_link(src, nm.id, 'nearmisses')} {md_text(nm.title)}"),
                nm.kind,
                nm.caught_by,
                _more(nm.summary, 140),
            )
            for nm in review.nearmisses
        ],
        empty="No near-misses or weak signals this quarter.",
    )
    recurrence = _table(
        ["Class", quarter, review.previous_quarter, "Fix outcome"],
        [
            (_class_link(src, r.slug), r.counts[1], r.counts[0], r.status)
            for r in review.recurrence.classes
            if r.total
        ],
    )
    asks = _table(
        ["Rank", "Class", "Incidents", "$ share", "Score", "Candidate fix", "Fix status"],
        [
            (
                e.rank,
                _class_link(src, e.slug),
                e.count,
                f"${e.usd:,.0f}",
                f"{e.score:,.0f}",
                md_text(e.candidate_fix),
                e.fix_status,
            )
            for e in review.proposed_asks
        ],
        empty="Every class with incidents has a funded or landed fix, or no candidate fix yet.",
    )
    gap_names = gap_titles(ctx.archive.taxonomy)
    new_gaps = [
        fragment(
            f"{md_text(gap_names.get(gap, gap))} ("
            + ", ".join(_record_link(src, i, _section_of(ctx, i)) for i in ids)
            + ")"
        )
        for gap, ids in review.new_gaps
    ]
    top = an.RiskRegister(
        review.risk_register.today,
        review.risk_register.weights,
        tuple(e for e in review.risk_register.entries if e.count)[:REVIEW_RISKS],
    )
    health = review.program_health
    return ctx.page(
        "review",
        src,
        quarter=fragment(quarter),
        previous_quarter=fragment(review.previous_quarter),
        as_of=fragment(review.as_of.isoformat()),
        partial=review.partial,
        has_previous=review.has_previous,
        tables={
            "figures": _table(["Figure", this_label, before_label, "Change"], rows),
            "incidents": incidents,
            "nearmisses": nearmisses,
            "overdue": _overdue_table(src, review.overdue),
            "recurrence": recurrence,
            "asks": asks,
            "risk": _risk_table(src, top),
        },
        formulas={"quarterly_review": _explain(an.quarterly_review)},
        on_time=fragment(_pct(health.on_time_rate)),
        on_time_n=health.judged,
        actions_closed=fragment(_pct(health.action_completion_rate)),
        recurring_after_fix=[_class_link(src, o.slug) for o in health.recurring_after_fix],
        going_quiet=[_class_link(src, o.slug) for o in health.going_quiet],
        new_gaps=new_gaps,
        review=review,
    )


def _section_of(ctx: TrendContext, record_id: str) -> str:
    record = ctx.archive.by_id().get(record_id)
    return record.section if record is not None else "postmortems"


def _num(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def reviews_index(ctx: TrendContext) -> str:
    src = "reviews/index.md"
    running = quarter_of(ctx.today)
    reviews = [
        {
            "quarter": fragment(q),
            "url": fragment(rel_link(src, review_src(q))),
            "partial": q == running,
        }
        for q in reversed(ctx.quarters)
    ]
    return ctx.page("reviews_index", src, reviews=reviews)


def trend_pages(ctx: TrendContext) -> dict[str, str]:
    pages = {
        "trends.md": trends_page(ctx),
        "risk-register.md": risk_page(ctx),
        "evidence-gaps.md": evidence_gaps_page(ctx),
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
            {
                f"class-{slug}": lambda: charts.recurrence_small_multiples(
                    ctx.recurrence, [row], title
                )
            }
        ),
        tables={"counts": _table(list(ctx.recurrence.quarters), [row.counts])},
        slug=slug,
        status=row.status,
        entry=entry,
        rank_count=sum(1 for e in ctx.register.entries if e.count),
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
            {"alert-classes": lambda: charts.recurrence_heatmap(ctx.recurrence, rows, title)}
        ),
        tables={
            "recurrence": _table(
                ["Class", *ctx.recurrence.quarters],
                [(_class_link(src, r.slug), *r.counts) for r in rows],
            )
        },
        classes=rows,
    )
