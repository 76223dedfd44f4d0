"""An archive whose every text value is a script-injection payload, and a scanner for its site.

Each payload, if it ever ran, would set ``window.__pwned``; the browser tests read that flag.
The static scanner reads every page of the built site and reports anything that can run script:
inline script, event-handler attributes, dangerous URL schemes, frames and plugins, markup in
``<title>``.
"""

from __future__ import annotations

import html.parser
import textwrap
from pathlib import Path

from .conftest import write

FLAG = "__pwned"

PAYLOADS: dict[str, str] = {
    "title-breakout": f"</title><script>window.{FLAG}=1</script>",
    "img-onerror": f'"><img src=x onerror="window.{FLAG}=1">',
    "svg-onload": f"'><svg onload=window.{FLAG}=1>",
    "entity-breakout": f"&lt;/title&gt;&lt;script&gt;window.{FLAG}=1&lt;/script&gt;",
    "attr-list": f'{{: onclick="window.{FLAG}=1" }}',
    "markdown-link": f"[click](javascript:window.{FLAG}=1)",
}
"""One payload per escaping context; the hostile archive carries them all in every value."""

EVERY_PAYLOAD = " ".join(PAYLOADS.values())


def hostile(label: str) -> str:
    """A YAML double-quoted scalar: readable label, then every payload."""
    text = f"{label} {EVERY_PAYLOAD}"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


BODY_ATTACKS: tuple[str, ...] = (
    f"<script>window.{FLAG}=1</script>",
    f'<img src="x" onerror="window.{FLAG}=1">',
    f"[a markdown link](javascript:window.{FLAG}=1)",
    f"[a spaced scheme](java&#x09;script:window.{FLAG}=1)",
    f'<a href="JaVaScRiPt:window.{FLAG}=1">mixed case</a>',
    f"<a href='javascript:window.{FLAG}=1'>single quotes</a>",
    f'<a href="data:text/html,<script>window.{FLAG}=1</script>">data URL</a>',
    f"![an image](javascript:window.{FLAG}=1)",
    f'<iframe srcdoc="<script>parent.{FLAG}=1</script>"></iframe>',
    f'<object data="javascript:window.{FLAG}=1"></object>',
    f"<svg><script>window.{FLAG}=1</script></svg>",
    f'<math><mtext><img src=x onerror="window.{FLAG}=1"></mtext></math>',
    f'<details open ontoggle="window.{FLAG}=1"><summary>toggle</summary>x</details>',
    f'<form action="javascript:window.{FLAG}=1"><button>go</button></form>',
    f'<div markdown="1" onmouseover="window.{FLAG}=1">md_in_html</div>',
    f'A paragraph with attributes\n{{: onclick="window.{FLAG}=1" }}',
    f'<style>body{{background:url("javascript:window.{FLAG}=1")}}</style>',
    f'<base href="javascript:window.{FLAG}=1//">',
    f'<meta http-equiv="refresh" content="0;url=javascript:window.{FLAG}=1">',
    f'<div id="__config">{{"base": "javascript:window.{FLAG}=1"}}</div>',
    f"<!-- <script>window.{FLAG}=1</script> -->",
    f'<p style="background:url(javascript:window.{FLAG}=1)">styled</p>',
)
"""Raw HTML and Markdown an author could write into a record body."""

KEPT_IN_BODIES: tuple[str, ...] = (
    "<table>",
    "<details",
    "<summary>",
    "<kbd>Ctrl</kbd>",
    "<sub>2</sub>",
    "<sup>3</sup>",
    '<img alt="graph" src="https://grafana.example/render/1.png"',
    '<a href="https://tracker.example/INC-1" rel="noopener noreferrer">ticket</a>',
)
"""What write-ups legitimately use and the sanitiser keeps."""

SAFE_BODY = """
| step | result |
|---|---|
| restart | <kbd>Ctrl</kbd> H<sub>2</sub>O x<sup>3</sup> |

<details><summary>Logs</summary>

```
ERROR pool exhausted
```

</details>

![graph](https://grafana.example/render/1.png)
[ticket](https://tracker.example/INC-1)
"""


def write_hostile_archive(root: Path) -> None:
    """Taxonomy and records whose every text value carries every payload."""
    files = {
        "taxonomy/classes.yml": f"""\
            classes:
              cache-stampede:
                title: {hostile("Cache stampede")}
                description: {hostile("Many callers miss at once.")}
                aliases: [thundering-herd]
                candidate_fix: {hostile("Coalescing")}
                fix_status: funded
              retry-storm:
                title: {hostile("Retry storm")}
                fix_status: landed
                fix_landed: 2026-03-01
            """,
        "taxonomy/factors.yml": f"""\
            factors:
              no-canary:
                title: {hostile("No canary")}
                description: {hostile("No staged rollout.")}
            """,
        "taxonomy/gaps.yml": f"""\
            gaps:
              logs-rotated:
                title: {hostile("Logs rotated")}
                description: {hostile("Gone before we looked.")}
            """,
        "taxonomy/severity.yml": f"""\
            levels:
              - level: 1
                name: {hostile("Critical")}
                description: {hostile("Worst.")}
                criteria: {{customer_impact_pct: 25}}
                comms: {hostile("Status page")}
                analysis: full
                due_business_days: 5
              - level: 2
                name: {hostile("Major")}
                analysis: full
                due_business_days: 10
            """,
        "taxonomy/teams.yml": f"""\
            teams:
              checkout:
                title: {hostile("Checkout")}
                description: {hostile("Checkout team.")}
                contact: {hostile("#checkout-oncall")}
              sre:
                title: {hostile("SRE")}
            """,
        "taxonomy/services.yml": f"""\
            services:
              pricing-svc: {{title: {hostile("Pricing")}, team: checkout}}
            """,
        "taxonomy/alerts.yml": f"""\
            alerts:
              HighErrorRate:
                summary: {hostile("5xx ratio")}
                runbook: "javascript://%0Awindow.{FLAG}=1"
                team: sre
                classes: [cache-stampede]
              DataUrlRunbook:
                summary: {hostile("data")}
                runbook: "data:text/html,<script>window.{FLAG}=1</script>"
                team: sre
                classes: [retry-storm]
              SpacedRunbook:
                summary: {hostile("spaced")}
                runbook: "java\\tscript://x%0Awindow.{FLAG}=1"
                team: sre
                classes: [retry-storm]
            """,
    }
    for rel, text in files.items():
        write(root, rel, textwrap.dedent(text))
    body = "\n\n".join(["## Summary", *BODY_ATTACKS, SAFE_BODY, "## Impact\n\nSome."])
    postmortem = f"""\
---
id: INC-2026-05-29-001
title: {hostile("Checkout errors")}
summary: {hostile("Pricing cache flush")}
status: final
sev: 1
priority: P1
date: 2026-05-29
started_at: 2026-05-29T14:05:00Z
mitigated_at: 2026-05-29T14:11:00Z
cause_class: [cache-stampede]
contributing_factors: [no-canary]
detection: alert
customer_impact_pct: 12
revenue_impact_usd: 8400
teams: [checkout]
services: [pricing-svc]
alerts: [HighErrorRate]
authors: [{hostile("alice")}]
visibility: internal
mitigation: {hostile("Rolled back")}
trigger: {hostile("Cache flush")}
published: 2026-06-20
evidence_gaps: [logs-rotated]
tried:
  - action: {hostile("Restarted pods")}
    helped: "no"
links:
  - label: {hostile("Ticket")}
    url: "https://tickets.example.com/INC-1?q=<script>x</script>&a=\\"b"
action_items:
  - id: AI-1
    title: {hostile("Coalesce")}
    owner: {hostile("pricing")}
    due: 2026-06-30
    status: open
    kind: prevent
  - id: AI-2
    title: {hostile("Alert on misses")}
    status: done
    kind: detect
---

{body}
"""
    write(root, "postmortems/INC-2026-05-29-001.md", postmortem)
    second = postmortem.replace("INC-2026-05-29-001", "INC-2026-06-10-001").replace(
        "2026-05-29", "2026-06-10"
    )
    write(root, "postmortems/INC-2026-06-10-001.md", second)
    nearmiss = f"""\
---
id: NM-2026-06-02-001
title: {hostile("Config push nearly global")}
summary: {hostile("Stopped by review")}
date: 2026-06-02
kind: near-miss
caught_by: person
cause_class: [cache-stampede]
teams: [checkout]
alerts: [HighErrorRate]
where_blind: {hostile("No diff view")}
suggested_defense: {hostile("Staged delivery")}
reporter: {hostile("bob")}
trigger: {hostile("Config push")}
evidence_gaps: [logs-rotated]
links:
  - label: {hostile("Review")}
    url: "https://review.example.com/1"
---

{body}
"""
    write(root, "nearmisses/NM-2026-06-02-001.md", nearmiss)
    write(
        root,
        "docs/runbooks/high-error-rate.md",
        "---\nalerts: [HighErrorRate]\n---\n\n# HighErrorRate\n\nCheck the dashboards.\n",
    )


HOSTILE_MKDOCS_YML = """\
site_name: Hostile archive
theme:
  name: material
  font: false
markdown_extensions:
  - attr_list
  - md_in_html
  - tables
  - admonition
  - toc: {permalink: true}
plugins:
  - search
  - postmortems:
      today: "2026-11-24"
nav:
  - Home: index.md
  - Runbook: runbooks/high-error-rate.md
"""

_DANGEROUS_TAGS = frozenset(
    {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "math"}
)
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"})


class Scanner(html.parser.HTMLParser):
    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.problems: list[str] = []
        self._in_script = False
        self._script_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        where = f"{self.path}: <{tag}>"
        if tag in _DANGEROUS_TAGS:
            self.problems.append(f"{where} is not allowed on a generated page")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = values.get("content", "").split("url=", 1)[-1]
            if not _safe(target):
                self.problems.append(f"{where} refreshes to {target!r}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"{where} has an event handler {name}={value!r}")
            if name in _URL_ATTRIBUTES and not _safe(value):
                self.problems.append(f"{where} {name}={value!r} is not http(s), mailto or relative")
            if name == "style" and "url(" in value.replace(" ", "").lower():
                self.problems.append(f"{where} style loads {value!r}")
        if tag == "script":
            self._in_script = True
            kind = values.get("type", "").lower()
            self._script_inline = "src" not in values and kind != "application/json"
            if self._script_inline:
                self.problems.append(f"{where} is an inline script (a CSP would block it)")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def _safe(url: str) -> bool:
    from pmarchive.site.safety import safe_url

    return safe_url(url) is not None or url.strip() == ""


def scan_site(site: Path) -> tuple[int, list[str]]:
    """(pages read, every problem found) over all HTML pages of ``site``."""
    problems: list[str] = []
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        scanner = Scanner(page.relative_to(site).as_posix())
        text = page.read_text(encoding="utf-8")
        scanner.feed(text)
        scanner.close()
        problems.extend(scanner.problems)
        # <title> is raw text to a browser: only a literal "<" could end it early
        if "<title>" in text:
            title = text.split("<title>", 1)[1].split("</title>", 1)[0]
            if "<" in title:
                problems.append(f"{scanner.path}: <title> holds markup {title!r}")
    return len(pages), problems
