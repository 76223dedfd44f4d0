"""The on-call fields (mitigation, trigger, tried, links, evidence_gaps, published, action-item
ticket and done): validated with located messages, rendered in the header, exported, searched and
published in the JSON Schema, each from its one declaration."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from pmarchive.ingest.archive import load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.ingest.taxonomy import load_taxonomy
from pmarchive.model.frontmatter import FIELDS_BY_NAME, fields_for
from pmarchive.model.records import ActionItem, Link, NearMiss, PostMortem, Tried
from pmarchive.model.schema import Url
from pmarchive.model.taxonomy import CauseClass, Gap, Taxonomy
from pmarchive.search.index import _document, schema
from pmarchive.site.export import json_schema, record_dict, to_csv
from pmarchive.site.record_page import render_record_page, template_environment

from .conftest import BASE_NM, BASE_PM, TODAY, front_matter, write
from .hostile import EVERY_PAYLOAD

P = "postmortems/INC-2026-05-29-001.md"
N = "nearmisses/NM-2026-06-02-001.md"
MAKE = Callable[..., ArchiveConfig]
MITIGATION = "Re-enabled request coalescing"
GAPS_YML = """\
    gaps:
      logs-rotated:
        title: Logs rotated away
        aliases: [logs-expired]
      trace-sampled-out:
        title: Traces sampled out
      clock-skew:
        title: Clocks disagree
    """


@pytest.fixture
def root(archive_root: Path) -> Path:
    write(archive_root, "taxonomy/gaps.yml", textwrap.dedent(GAPS_YML))
    return archive_root


def diagnostics(root: Path, config: ArchiveConfig) -> list[str]:
    return sorted(d.format_text() for d in load_archive(config).diagnostics)


# BASE_PM fills lines 2-16 (mitigation is line 16); the field under test is line 17.
PM_CASES: list[tuple[str, dict[str, str], list[str]]] = [
    ("trigger", {"trigger": "Scheduled cache flush"}, []),
    ("trigger empty", {"trigger": '""'}, [f"{P}:17: error: trigger: must not be empty"]),
    (
        "trigger not text",
        {"trigger": "[a, b]"},
        [f"{P}:17: error: trigger: expected text, got a list"],
    ),
    ("tried", {"tried": "[{action: Scale out, helped: no}, {action: Revert, helped: yes}]"}, []),
    ("tried partly", {"tried": "[{action: Scale out, helped: partly}]"}, []),
    (
        "tried helped misspelt",
        {"tried": "[{action: Scale out, helped: partialy}]"},
        [
            f"{P}:17: error: tried[0].helped: 'partialy' is not one of 'no', 'partly', 'yes'; "
            "did you mean 'partly'?"
        ],
    ),
    (
        "tried helped outside the choices",
        {"tried": "[{action: Scale out, helped: maybe}]"},
        [f"{P}:17: error: tried[0].helped: 'maybe' is not one of 'no', 'partly', 'yes'"],
    ),
    (
        "tried without helped",
        {"tried": "[{action: Scale out}]"},
        [f"{P}:17: error: tried[0].helped: required field 'helped' is missing"],
    ),
    (
        "tried with an unknown key",
        {"tried": "[{acton: Scale out, helped: no}]"},
        [
            f"{P}:17: error: tried[0].acton: unknown field 'acton'; did you mean 'action'? "
            "(allowed: 'action', 'helped')",
            f"{P}:17: error: tried[0].action: required field 'action' is missing",
        ],
    ),
    ("links", {"links": "[{label: Ticket, url: 'https://tracker.example/INC-1'}]"}, []),
    ("links http", {"links": "[{label: Wiki, url: 'http://wiki.example/x'}]"}, []),
    (
        "links javascript",
        {"links": "[{label: Ticket, url: 'javascript:alert(1)'}]"},
        [
            f"{P}:17: error: links[0].url: expected an http(s) URL such as "
            "https://tracker.example/INC-4312, got 'javascript:alert(1)'"
        ],
    ),
    (
        "links ftp",
        {"links": "[{label: Dump, url: 'ftp://files.example/dump'}]"},
        [
            f"{P}:17: error: links[0].url: expected an http(s) URL such as "
            "https://tracker.example/INC-4312, got 'ftp://files.example/dump'"
        ],
    ),
    (
        "links bare host",
        {"links": "[{label: Dashboard, url: grafana.example/d/pricing}]"},
        [
            f"{P}:17: error: links[0].url: expected an http(s) URL such as "
            "https://tracker.example/INC-4312, got 'grafana.example/d/pricing'; "
            "did you mean 'https://grafana.example/d/pricing'?"
        ],
    ),
    (
        "links without a url",
        {"links": "[{label: Ticket}]"},
        [f"{P}:17: error: links[0].url: required field 'url' is missing"],
    ),
    (
        "links not a list",
        {"links": "https://tracker.example/1"},
        [f"{P}:17: error: links: expected a list of links ({{label, url}})"],
    ),
    ("evidence gaps", {"evidence_gaps": "[logs-rotated, clock-skew]"}, []),
    (
        "evidence gap misspelt",
        {"evidence_gaps": "[trace-sampled]"},
        [
            f"{P}:17: error: evidence_gaps: unknown evidence gap 'trace-sampled'; "
            "did you mean 'trace-sampled-out'?"
        ],
    ),
    (
        "evidence gap alias",
        {"evidence_gaps": "[logs-expired]"},
        [
            f"{P}:17: notice: evidence_gaps: 'logs-expired' is an old name of evidence gap "
            "'logs-rotated' and is counted as 'logs-rotated'"
        ],
    ),
    ("published", {"published": "2026-06-03"}, []),
    (
        "published before the incident",
        {"published": "2026-05-01"},
        [
            f"{P}:17: error: published: published 2026-05-01 is before the incident's date "
            "2026-05-29; it is the day the write-up was published"
        ],
    ),
    (
        "published in the future",
        {"published": "2026-12-01"},
        [f"{P}:17: error: published: 2026-12-01 is in the future (today is 2026-11-24)"],
    ),
    (
        "published not a date",
        {"published": "next week"},
        [f"{P}:17: error: published: expected a date written YYYY-MM-DD, got 'next week'"],
    ),
    (
        "action item ticket and done",
        {
            "action_items": "[{id: AI-1, title: Coalesce, status: done, kind: prevent, "
            "done: 2026-06-20, ticket: 'https://tracker.example/AI-1'}]"
        },
        [],
    ),
    (
        "action item ticket not http",
        {
            "action_items": "[{id: AI-1, title: Coalesce, status: open, kind: prevent, "
            "ticket: 'javascript:alert(1)'}]"
        },
        [
            f"{P}:17: error: action_items[0].ticket: expected an http(s) URL such as "
            "https://tracker.example/INC-4312, got 'javascript:alert(1)'"
        ],
    ),
    (
        "action item done not a date",
        {
            "action_items": "[{id: AI-1, title: Coalesce, status: done, kind: prevent, "
            "done: yesterday}]"
        },
        [
            f"{P}:17: error: action_items[0].done: expected a date written YYYY-MM-DD, "
            "got 'yesterday'"
        ],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [case[1:] for case in PM_CASES], ids=[case[0] for case in PM_CASES]
)
def test_postmortem_fields(
    root: Path, make_config: MAKE, changes: dict[str, str], expected: list[str]
) -> None:
    write(root, P, front_matter(BASE_PM, mitigation=MITIGATION, **changes))
    assert diagnostics(root, make_config(root)) == sorted(expected)


def test_helped_is_read_as_the_word_yes_or_no(root: Path, make_config: MAKE) -> None:
    tried = "[{action: Scale out, helped: no}, {action: Revert, helped: yes}]"
    write(root, P, front_matter(BASE_PM, mitigation=MITIGATION, tried=tried))
    (record,) = load_archive(make_config(root)).postmortems
    assert record.tried == (Tried("Scale out", "no"), Tried("Revert", "yes"))


@pytest.mark.parametrize(
    ("changes", "warned"),
    [
        ({}, True),
        ({"sev": "1"}, True),
        ({"mitigation": MITIGATION}, False),
        ({"sev": "3"}, False),
        ({"status": "review"}, False),
        ({"status": "draft", "sev": "1"}, False),
    ],
)
def test_a_final_sev_1_or_2_without_mitigation_is_warned(
    root: Path, make_config: MAKE, changes: dict[str, str], warned: bool
) -> None:
    fields: dict[str, str | None] = {"mitigation": None, **changes}
    write(root, P, front_matter(BASE_PM, **fields))
    sev = changes.get("sev", "2")
    found = [line for line in diagnostics(root, make_config(root)) if ": mitigation:" in line]
    expected = (
        [
            f"{P}:4: warning: mitigation: mitigation is recommended for SEV-1/2 final "
            f"post-mortems (this one is SEV-{sev}): add 'mitigation:' with what ended the "
            "customer impact, in one or two sentences"
        ]
        if warned
        else []
    )
    assert found == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"evidence_gaps": "[clock-skew]", "trigger": "Image rollout"}, []),
        (
            {"evidence_gaps": "[clock-skw]"},
            [
                f"{N}:9: error: evidence_gaps: unknown evidence gap 'clock-skw'; "
                "did you mean 'clock-skew'?"
            ],
        ),
        ({"links": "[{label: Review, url: 'https://review.example/1'}]"}, []),
        (
            {"mitigation": "Stopped it"},
            [
                f"{N}:9: error: mitigation: 'mitigation' is a post-mortem field; a near-miss "
                "does not carry it (is the file in the wrong folder?)"
            ],
        ),
    ],
)
def test_nearmiss_fields(
    root: Path, make_config: MAKE, changes: dict[str, str], expected: list[str]
) -> None:
    write(root, N, front_matter(BASE_NM, **changes))
    assert diagnostics(root, make_config(root)) == expected


def test_an_archive_without_gaps_yml_loads_and_a_named_gap_is_a_clear_error(
    archive_root: Path, make_config: MAKE
) -> None:
    taxonomy, problems = load_taxonomy(archive_root / "taxonomy", archive_root)
    assert problems == [] and taxonomy.gaps == {}
    write(archive_root, N, front_matter(BASE_NM, evidence_gaps="[logs-rotated]"))
    assert diagnostics(archive_root, make_config(archive_root)) == [
        f"{N}:9: error: evidence_gaps: unknown evidence gap 'logs-rotated'; taxonomy/gaps.yml "
        "defines no evidence gaps: add 'logs-rotated' there (slug, title, description) or "
        "remove it here"
    ]


@pytest.mark.parametrize(
    ("gaps_yml", "expected"),
    [
        (GAPS_YML, []),
        (
            "gaps:\n  logs-rotated: {title: Logs, aliases: [clock-skew]}\n"
            "  clock-skew: {title: Clocks}\n",
            [
                "taxonomy/gaps.yml:2: error: gaps.logs-rotated.aliases: alias 'clock-skew' is "
                "also a current name"
            ],
        ),
        (
            "gaps:\n  Logs_Rotated: {title: Logs}\n",
            [
                "taxonomy/gaps.yml:2: error: gaps: 'Logs_Rotated' is not a valid name "
                "(lowercase words joined by '-')"
            ],
        ),
        (
            "gaps:\n  logs-rotated: {titel: Logs}\n",
            [
                "taxonomy/gaps.yml:2: error: gaps.logs-rotated.titel: unknown field 'titel'; "
                "did you mean 'title'? (allowed: 'aliases', 'description', 'title')",
                "taxonomy/gaps.yml:2: error: gaps.logs-rotated.title: required field 'title' "
                "is missing",
            ],
        ),
    ],
    ids=["valid", "alias clash", "bad slug", "misspelt key"],
)
def test_gaps_yml_is_checked_like_the_other_vocabularies(
    archive_root: Path, gaps_yml: str, expected: list[str]
) -> None:
    write(archive_root, "taxonomy/gaps.yml", textwrap.dedent(gaps_yml))
    taxonomy, problems = load_taxonomy(archive_root / "taxonomy", archive_root)
    assert sorted(p.format_text() for p in problems) == sorted(expected)
    if not expected:
        assert taxonomy.gaps["logs-rotated"] == Gap(
            "logs-rotated", "Logs rotated away", aliases=("logs-expired",)
        )
        assert taxonomy.resolve("gaps", "logs-expired") == ("logs-rotated", True)


def test_the_example_archive_has_the_gap_vocabulary_the_brief_names() -> None:
    root = Path(__file__).parent.parent
    taxonomy, problems = load_taxonomy(root / "taxonomy", root)
    assert problems == []
    assert {
        "logs-rotated",
        "trace-sampled-out",
        "metric-retention-too-short",
        "core-dump-not-captured",
        "no-audit-log",
        "clock-skew",
    } <= taxonomy.gaps.keys()
    assert all(gap.title and gap.description for gap in taxonomy.gaps.values())


# -- rendering, export, search, schema ------------------------------------------------------


def _record(**changes: object) -> PostMortem:
    values: dict[str, object] = dict(
        id="INC-2026-05-29-001",
        title="Checkout errors",
        date=dt.date(2026, 5, 29),
        cause_class=("cache-stampede",),
        path=P,
        summary="Pricing cache flush",
        status="final",
        sev=2,
        detection="alert",
        mitigation="Reverted the namespace setting",
        trigger="Config push to every region",
        tried=(Tried("Scale out", "no"), Tried("Revert", "yes"), Tried("Warm cache", "partly")),
        links=(
            Link("Ticket", Url("https://tracker.example/INC-4312")),
            Link("Sneaky", Url("javascript:alert(1)")),
        ),
        evidence_gaps=("trace-sampled-out",),
        published=dt.date(2026, 6, 3),
        action_items=(
            ActionItem(
                "AI-1",
                "Coalesce",
                "done",
                "prevent",
                done=dt.date(2026, 6, 20),
                ticket=Url("https://tracker.example/AI-1"),
            ),
        ),
    )
    values.update(changes)
    return PostMortem(**values)  # type: ignore[arg-type]


def _header(record: PostMortem | NearMiss, with_safe_url: bool = True) -> str:
    env = template_environment()
    if not with_safe_url:  # an older site's environment, without the filter
        del env.filters["safe_url"]
    page = render_record_page(record, Taxonomy(), env)
    return page.split("---\n\n", 1)[1]


def _cell(html: str, data_field: str) -> str:
    match = re.search(rf'<td data-field="{data_field}">(.*?)</td>', html, re.S)
    assert match is not None, data_field
    return match.group(1)


def test_mitigation_comes_right_after_the_summary_with_its_label() -> None:
    html = _header(_record())
    summary = html.index('data-field="summary"')
    mitigation = html.index('data-field="mitigation"')
    assert summary < mitigation < html.index('class="pm-facts"')
    assert "What ended it:</strong> Reverted the namespace setting</p>" in html


@pytest.mark.parametrize(
    ("data_field", "text"),
    [
        ("trigger", "Config push to every region"),
        ("published", "2026-06-03"),
        ("evidence_gaps", "trace-sampled-out"),
    ],
)
def test_header_rows_show_the_new_fields(data_field: str, text: str) -> None:
    assert re.sub(r"<[^>]+>", "", _cell(_header(_record()), data_field)) == text


def test_what_we_tried_is_a_table_with_helped_marked() -> None:
    html = _header(_record())
    table = html[html.index('data-field="tried"') :]
    table = table[: table.index("</table>")]
    assert "<caption>What we tried</caption>" in table
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", table)
    assert [(action, re.sub(r"<[^>]+>", "", helped).split()[-1]) for action, helped in rows] == [
        ("Scale out", "no"),
        ("Revert", "yes"),
        ("Warm cache", "partly"),
    ]
    assert 'class="pm-verdict pm-verdict-yes"' in table


def test_links_go_through_safe_url_and_never_as_javascript() -> None:
    cell = _cell(_header(_record()), "links")
    assert '<a class="pm-link" href="https://tracker.example/INC-4312"' in cell
    assert ">Ticket</a>" in cell
    assert 'href="javascript' not in cell and "Sneaky (javascript:alert(1))" in cell


def test_without_the_safe_url_filter_links_are_plain_text() -> None:
    cell = _cell(_header(_record(), with_safe_url=False), "links")
    assert "<a " not in cell and "Ticket (https://tracker.example/INC-4312)" in cell


def test_action_items_show_done_and_a_ticket_link() -> None:
    html = _header(_record())
    table = html[html.index('class="pm-actions"') :]
    assert "<td>2026-06-20</td>" in table
    assert (
        '<a class="pm-link" href="https://tracker.example/AI-1" rel="noopener noreferrer">'
        "ticket</a>" in table
    )


@pytest.mark.parametrize("field", ["mitigation", "trigger", "tried", "links"])
def test_hostile_values_in_the_new_fields_stay_text(field: str) -> None:
    values: dict[str, object] = {
        "mitigation": EVERY_PAYLOAD,
        "trigger": EVERY_PAYLOAD,
        "tried": (Tried(EVERY_PAYLOAD, "yes"),),
        "links": (Link(EVERY_PAYLOAD, Url("https://tracker.example/1")),),
    }
    html = _header(_record(**{field: values[field]}))
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_export_carries_the_new_fields() -> None:
    data = record_dict(_record())
    assert data["mitigation"] == "Reverted the namespace setting"
    assert data["trigger"] == "Config push to every region"
    assert data["tried"][0] == {"action": "Scale out", "helped": "no"}
    assert data["links"][0] == {"label": "Ticket", "url": "https://tracker.example/INC-4312"}
    assert data["evidence_gaps"] == ["trace-sampled-out"]
    assert data["published"] == "2026-06-03"
    assert data["action_items"][0]["done"] == "2026-06-20"
    assert data["action_items"][0]["ticket"] == "https://tracker.example/AI-1"
    json.dumps(data, allow_nan=False)
    header, row = to_csv([_record()]).splitlines()[:2]
    assert {"mitigation", "trigger", "tried", "links", "evidence_gaps", "published"} <= set(
        header.split(",")
    )
    assert "trace-sampled-out" in row


def test_search_documents_hold_mitigation_trigger_and_gaps() -> None:
    document = _document(_record(), "digest")
    assert document["mitigation"] == "Reverted the namespace setting"
    assert document["trigger"] == "Config push to every region"
    assert document["gaps"] == "trace-sampled-out"
    assert {"mitigation", "trigger", "gaps"} <= set(schema().names())
    boosts = {name: FIELDS_BY_NAME[name].search for name in ("mitigation", "summary")}
    assert boosts["mitigation"] is not None and boosts["summary"] is not None
    assert boosts["mitigation"].boost == boosts["summary"].boost == 1.5


@pytest.mark.parametrize(
    ("front", "valid"),
    [
        ({"mitigation": "Reverted"}, True),
        ({"trigger": "Deploy"}, True),
        ({"published": "2026-06-03"}, True),
        ({"evidence_gaps": ["logs-rotated"]}, True),
        ({"evidence_gaps": ["logs-rotatd"]}, False),
        ({"tried": [{"action": "Revert", "helped": "yes"}]}, True),
        ({"tried": [{"action": "Revert", "helped": True}]}, True),
        ({"tried": [{"action": "Revert", "helped": "maybe"}]}, False),
        ({"tried": [{"action": "Revert"}]}, False),
        ({"links": [{"label": "Ticket", "url": "https://tracker.example/1"}]}, True),
        ({"links": [{"label": "Ticket", "url": "javascript:alert(1)"}]}, False),
        ({"links": [{"label": "Ticket", "url": "ftp://files.example/1"}]}, False),
        ({"action_items": [{"id": "AI-1", "title": "x", "status": "done", "kind": "prevent",
                           "done": "2026-06-20", "ticket": "https://t.example/1"}]}, True),
        ({"action_items": [{"id": "AI-1", "title": "x", "status": "done", "kind": "prevent",
                           "ticket": "javascript:alert(1)"}]}, False),
    ],
)  # fmt: skip
def test_the_json_schema_describes_the_new_fields(front: dict[str, object], valid: bool) -> None:
    taxonomy = Taxonomy(
        classes={"cache-stampede": CauseClass("cache-stampede", "Cache stampede")},
        gaps={"logs-rotated": Gap("logs-rotated", "Logs rotated")},
    )
    document = {
        "id": "INC-2026-05-29-001",
        "title": "T",
        "status": "final",
        "sev": 2,
        "date": "2026-05-29",
        "cause_class": ["cache-stampede"],
        "detection": "alert",
        **front,
    }
    validator = jsonschema.Draft202012Validator(
        json_schema("postmortem", taxonomy), format_checker=jsonschema.FormatChecker()
    )
    assert validator.is_valid(document) is valid
    assert {"mitigation", "trigger", "tried", "links", "evidence_gaps", "published"} <= set(
        fields_for("postmortem")
    )


def test_the_example_archive_gives_every_final_sev_1_or_2_a_mitigation() -> None:
    root = Path(__file__).parent.parent
    archive = load_archive(ArchiveConfig(root=root, today=TODAY))
    serious = [pm for pm in archive.postmortems if pm.status == "final" and pm.sev <= 2]
    assert serious and all(pm.mitigation for pm in serious)
    assert all(pm.published for pm in archive.postmortems if pm.status == "final")
    assert all(
        pm.date <= pm.published <= TODAY for pm in archive.postmortems if pm.published is not None
    )
    assert any(nm.evidence_gaps for nm in archive.nearmisses)


@pytest.mark.parametrize("kind", ["near-miss", "weak-signal"])
def test_export_and_search_spell_each_kind_the_same_way(kind: str) -> None:
    nearmiss = NearMiss(
        id="NM-2026-06-02-001",
        title="Config push nearly global",
        date=dt.date(2026, 6, 2),
        cause_class=("cache-stampede",),
        path="nearmisses/NM-2026-06-02-001.md",
        kind=kind,
        caught_by="person",
    )
    assert record_dict(nearmiss)["kind"] == _document(nearmiss, "digest")["kind"] == kind
    postmortem = _record()
    assert record_dict(postmortem)["kind"] == _document(postmortem, "digest")["kind"]
    assert record_dict(postmortem)["kind"] == "postmortem"
