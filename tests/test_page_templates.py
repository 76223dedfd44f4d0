"""Index pages, the home page's recent section and runbooks' prior incidents render from package
templates that a site's overrides/ can replace, and what an override prints stays text. Their
record tables and cards render from HTML templates (autoescaped) replaced the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import jinja2
import pytest

from pmarchive.analysis.grouping import group_records
from pmarchive.ingest.archive import Archive
from pmarchive.ingest.audience import for_audience
from pmarchive.site.index_pages import (
    IndexOptions,
    card_list,
    entity_page,
    overview_page,
    prior_incidents_section,
    recent_section,
    record_table,
)
from pmarchive.site.listing import index_src
from pmarchive.site.templating import (
    DEFAULT_ENVIRONMENT,
    PACKAGE_TEMPLATES,
    PAGES,
    page_environment,
)

from .conftest import BASE_NM, BASE_PM, front_matter, write, write_taxonomy
from .hostile import HOSTILE_MKDOCS_YML, scan_site, write_hostile_archive
from .sites import MKDOCS_YML, REPO, build_site, load_at, page_overrides

Render = Callable[[Archive, jinja2.Environment], str]

OTHER_PAGES = ("trend", "risk", "evidence_gaps", "health", "sev_audit", "review", "search")
"""Prefixes of the trend, review and search templates (tests/test_trend_templates.py)."""

RUNBOOK = "runbooks/high-error-rate.md"
NO_STAMPS = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}


def entity(kind: str, key: str, page: int = 1) -> Render:
    """Page ``page`` of a key, its listing cut into pages of two records."""

    def render(archive: Archive, env: jinja2.Environment) -> str:
        groups = group_records(archive.records)
        with mock.patch("pmarchive.site.listing.PAGE_SIZE", 2):
            pages = entity_page(archive, groups, kind, key, IndexOptions(), env=env)
        return pages[index_src(kind, key, page)]

    return render


def overview(kind: str, audience: str | None = None) -> Render:
    def render(archive: Archive, env: jinja2.Environment) -> str:
        seen = for_audience(archive, audience) if audience else archive
        return overview_page(seen, group_records(seen.records), kind, env=env)

    return render


def prior(archive: Archive, env: jinja2.Environment) -> str:
    groups = group_records(archive.records)
    return prior_incidents_section(archive, groups, ["HighErrorRate"], RUNBOOK, env=env)


RENDERS: dict[str, Render] = {
    "index_overview": overview("classes"),
    "index_entity": entity("teams", "sre"),
    "index_continued": entity("teams", "sre", 2),
    "class": entity("classes", "cache-stampede"),
    "alert": entity("alerts", "HighErrorRate"),
    "recent": lambda archive, env: recent_section(archive, env=env),
    "prior_incidents": prior,
    "listing": entity("teams", "sre"),
    "withheld": overview("teams", "public"),
}
"""Every index page template, and a page the code renders with it."""

INCLUDED = {"listing", "withheld"}
"""Templates that are part of a page rather than a page of their own."""

SHIPPED_FRAME: dict[str, list[str]] = {
    "index_overview": ["# Cause classes\n\n", "| Name | Incidents | Near-misses | Last seen |"],
    "index_entity": ["\n\nTeam · **", "\n\n[All teams](../teams/index.md)\n"],
    "index_continued": [": page 2\n\n[Back to ", "](../../teams/sre.md)\n\n## Incidents\n"],
    "class": ["\n\nCause class · **", "**Candidate fix:** ", "**Related factors:** ["],
    "alert": ["**Runbook:** ", "## Same cause class, other alerts\n", "### Same class, diff"],
    "recent": ["[Cause classes](classes/index.md) · [Alerts]", "\n## Recent incidents\n\n"],
    "prior_incidents": ["## Prior incidents\n\n### HighErrorRate\n", "[risk register](../"],
    "listing": ["## Near-misses and weak signals\n\n", "Pages (newest first): **1** [2]("],
    "withheld": ["are withheld from the public audience and not counted here."],
}


load = load_at
overrides = page_overrides


@pytest.fixture(scope="module")
def example() -> Archive:
    return load(REPO)


def test_every_index_page_template_is_covered() -> None:
    shipped = {p.stem for p in (PACKAGE_TEMPLATES / PAGES).glob("*.md")}
    ours = {name for name in shipped if not name.startswith(OTHER_PAGES)}
    assert ours == set(RENDERS) == set(SHIPPED_FRAME)


@pytest.mark.parametrize("name", RENDERS)
def test_shipped_template_exists_and_renders(example: Archive, name: str) -> None:
    assert (PACKAGE_TEMPLATES / PAGES / f"{name}.md").is_file()
    text = RENDERS[name](example, DEFAULT_ENVIRONMENT)
    for frame in SHIPPED_FRAME[name]:
        assert frame in text
    assert "{{" not in text and "{%" not in text and "{#" not in text


@pytest.mark.parametrize("name", RENDERS)
def test_override_replaces_the_shipped_template(
    example: Archive, tmp_path: Path, name: str
) -> None:
    env = page_environment([overrides(tmp_path, {name: f"Our {name} template\n"})])
    text = RENDERS[name](example, env)
    if name in INCLUDED:
        assert f"Our {name} template" in text
    else:
        assert text == f"Our {name} template\n"
    for frame in SHIPPED_FRAME[name]:
        assert frame not in text


@pytest.mark.parametrize("name", ["class", "alert"])
def test_class_and_alert_pages_take_an_overridden_entity_frame(
    example: Archive, tmp_path: Path, name: str
) -> None:
    frame = "Ours: {{ title }}\n\n{% block intro %}{% endblock %}{{ incidents }}"
    env = page_environment([overrides(tmp_path, {"index_entity": frame})])
    text = RENDERS[name](example, env)
    assert text.startswith("Ours: ")
    intro = {"class": "**Candidate fix:** ", "alert": "**Runbook:** "}[name]
    assert intro in text  # the page's own intro block, in our frame
    assert "## Incidents" not in text and "<th>Date</th>\n<th>Id</th>" in text


def _example_expectations(example: Archive) -> dict[str, tuple[str, str]]:
    groups = group_records(example.records)
    sre = groups.get("teams", "sre")
    alert = groups.get("alerts", "HighErrorRate")
    stampede = example.taxonomy.classes["cache-stampede"]
    return {
        "index_entity": (
            "{{ kind }}|{{ key }}|{{ counts.incidents + counts.nearmisses }}|"
            "{{ counts.last_seen }}",
            f"teams|sre|{len(sre)}|{sre[0].date.isoformat()}",
        ),
        "index_continued": ("{{ number }}|{{ back }}|{{ plural }}", "2|../../teams/sre.md|Teams"),
        "class": (
            "{{ fix_status }}|{{ aliases|length }}|{{ url('trends.md') }}",
            f"{stampede.fix_status}|{len(stampede.aliases)}|../trends.md",
        ),
        "alert": (
            "{{ owner.text }}|{{ same_class|length > 0 }}|{{ no_history }}",
            "sre|True|False",
        ),
        "index_overview": (
            "{{ count }}|{{ rows[0].link.href }}|{{ withheld }}",
            f"{len(example.taxonomy.classes)}|../classes/access-control.md|0",
        ),
        "prior_incidents": (
            "{% for a in alerts %}{{ a.name }}|{{ a.total }}|{{ a.href }}{% endfor %}",
            f"HighErrorRate|{len(alert)}|../alerts/higherrorrate.md",
        ),
        "recent": (
            "{{ audience }}|{{ url('classes/index.md') }}",
            f"{example.audience}|classes/index.md",
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "index_entity",
        "index_continued",
        "class",
        "alert",
        "index_overview",
        "prior_incidents",
        "recent",
    ],
)
def test_an_override_reads_the_documented_context(
    example: Archive, tmp_path: Path, name: str
) -> None:
    printed, expected = _example_expectations(example)[name]
    env = page_environment([overrides(tmp_path, {name: printed + "\n"})])
    assert expected in RENDERS[name](example, env)


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_archive(root)
    return load(root)


HOSTILE_PRINTS = [
    ("class", "{{ title }} {{ description }} {{ candidate_fix }}"),
    ("recent", "{{ postmortems }} {{ nearmisses }}"),
    ("alert", "{{ summary }} {{ owner.text }} {{ title }}"),
    ("index_entity", "{{ title }} {{ key }}"),
    ("index_overview", "{% for row in rows %}{{ row.link.text }} {{ row.fix_status }}{% endfor %}"),
    ("prior_incidents", "{% for a in alerts %}{{ a.table }}{% endfor %}"),
]
"""Overrides printing a taxonomy or record value (every payload) through {{ }}."""


@pytest.mark.parametrize(("name", "printed"), HOSTILE_PRINTS)
def test_a_hostile_value_printed_by_an_override_stays_text(
    hostile_archive: Archive, tmp_path: Path, name: str, printed: str
) -> None:
    env = page_environment([overrides(tmp_path, {name: f"Printed: {printed}\n"})])
    render = RENDERS[name]
    if name == "index_entity":
        render = entity("teams", "checkout")
    text = render(hostile_archive, env)
    assert "Printed:" in text
    assert "&lt;/title&gt;&lt;script&gt;" in text  # the payload is there, as text
    for markup in ("<script>window", "<img", "<svg", "<title"):
        assert markup not in text, markup
    # no live Markdown link or attribute list; the record tables are raw-HTML blocks, which
    # Markdown leaves alone (every line of one starts with a tag)
    markdown = "\n".join(line for line in text.splitlines() if not line.startswith("<"))
    assert "](javascript:" not in markdown
    assert re.search(r"(?<!\\)\{:", markdown) is None


# --- the HTML templates of record tables and cards ------------------------------------------


def table(archive: Archive, env: jinja2.Environment) -> str:
    return str(record_table(archive.postmortems[:3], "index.md", env=env))


def cards(archive: Archive, env: jinja2.Environment) -> str:
    return str(card_list(archive.postmortems[:3], "index.md", env=env))


HTML_RENDERS: dict[str, Render] = {"records_table": table, "cards": cards}
"""Every HTML fragment template (``pmarchive/<name>.html``), and a fragment made with it."""

HTML_FRAME: dict[str, list[str]] = {
    "records_table": ["<table>\n<thead>\n<tr>\n<th>Date</th>\n<th>Id</th>", '"pm-row-title"'],
    "cards": ['<p><span class="pm-card pm-card-sev-', '<span class="pm-card-link"><a href="'],
}


def html_overrides(root: Path, templates: dict[str, str]) -> Path:
    for name, text in templates.items():
        write(root, f"overrides/pmarchive/{name}.html", text)
    return root / "overrides"


def test_every_html_fragment_template_is_covered() -> None:
    shipped = {p.stem for p in (PACKAGE_TEMPLATES / "pmarchive").glob("*.html")}
    # the record header and its similar-records list are the record pages' (test_build.py)
    record_page = {"record_header", "similar_records"}
    assert shipped - record_page == set(HTML_RENDERS) == set(HTML_FRAME)


@pytest.mark.parametrize("name", HTML_RENDERS)
def test_shipped_html_template_renders(example: Archive, name: str) -> None:
    text = HTML_RENDERS[name](example, DEFAULT_ENVIRONMENT)
    for frame in HTML_FRAME[name]:
        assert frame in text
    assert "\n\n\n" not in text.strip("\n")  # one raw-HTML block: no blank line inside
    newest = example.postmortems[0]
    assert f'href="postmortems/{newest.src_uri.removeprefix("postmortems/")[:-3]}/"' in text


HTML_OVERRIDES = {
    "records_table": "<p>Our records_table: {% for row in rows %}{{ row.record.href }} "
    "{% endfor %}</p>",
    "cards": "{% macro card_list(items) %}<p>Our cards: {% for c in items %}{{ c.record.href }} "
    "{% endfor %}</p>{% endmacro %}{% macro worked_list(items) %}<p>Our worked</p>{% endmacro %}",
}


@pytest.mark.parametrize("name", HTML_RENDERS)
def test_an_html_override_replaces_the_shipped_template_on_every_page(
    example: Archive, tmp_path: Path, name: str
) -> None:
    env = page_environment([html_overrides(tmp_path, {name: HTML_OVERRIDES[name]})])
    newest = example.postmortems[0]
    text = HTML_RENDERS[name](example, env)
    assert f"Our {name}: {newest.src_uri[:-3]}/ " in text  # the documented context
    pages = [RENDERS[page](example, env) for page in ("alert", "class", "recent")]
    pages.append(prior(example, env))
    used = [page for page in pages if f"Our {name}: " in page]
    # tables on the alert, class and home pages; cards on the alert, class and runbook pages
    assert len(used) == 3
    for page in used:
        for frame in HTML_FRAME[name]:
            assert frame not in page


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        (
            "records_table",
            "<p>Printed: {% for row in rows %}{{ row.title }} {{ row.record.text }}"
            "{% endfor %}</p>",
        ),
        (
            "cards",
            "{% macro card_list(items) %}<p>Printed: {% for c in items %}{{ c.title.text }} "
            "{{ c.summary }}{% endfor %}</p>{% endmacro %}"
            "{% macro worked_list(items) %}<p>Printed: {% for w in items %}{{ w.action }} "
            "{{ w.record.text }}{% endfor %}</p>{% endmacro %}",
        ),
    ],
)
def test_a_hostile_value_printed_by_an_html_override_stays_text(
    hostile_archive: Archive, tmp_path: Path, name: str, printed: str
) -> None:
    env = page_environment([html_overrides(tmp_path, {name: printed})])
    text = RENDERS["alert"](hostile_archive, env)
    assert "Printed:" in text
    assert "&lt;/title&gt;&lt;script&gt;" in text
    for markup in ("<script>window", "<img", "<svg", "<title"):
        assert markup not in text, markup


# --- a real build ---------------------------------------------------------------------------

SITE_PAGES = {
    "index_overview": "classes",
    "index_entity": "teams/sre",
    "index_continued": "teams/sre/2",
    "class": "classes/cache-stampede",
    "alert": "alerts/higherrorrate",
    "recent": "",
    "prior_incidents": "runbooks/high-error-rate",
}
"""Where each page template shows in a built site."""

CUSTOM_DIR = ("  font: false\n", "  font: false\n  custom_dir: overrides\n")


@pytest.fixture(scope="module")
def overridden_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("overridden")
    write_taxonomy(root)
    for record_id in ("INC-2026-01-10-001", "INC-2026-02-03-001", "INC-2026-05-03-001"):
        write(
            root,
            f"postmortems/{record_id}.md",
            front_matter(BASE_PM, id=record_id, date=record_id[4:14], teams="[sre]", **NO_STAMPS),
        )
    write(root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    write(root, "docs/index.md", "# Tiny archive\n\n<!-- pmarchive:recent -->\n")
    write(root, f"docs/{RUNBOOK}", "---\nalerts: [HighErrorRate]\n---\n\n# Runbook\n\nSteps.\n")
    overrides(root, {name: f"# Ours: {name}\n\nOverride of {name}.\n" for name in SITE_PAGES})
    with mock.patch("pmarchive.site.listing.PAGE_SIZE", 2):
        return build_site(root, MKDOCS_YML.replace(*CUSTOM_DIR))


@pytest.mark.parametrize(("name", "page"), SITE_PAGES.items())
def test_an_override_replaces_the_page_in_a_build(
    overridden_site: Path, name: str, page: str
) -> None:
    html = (overridden_site / page / "index.html").read_text()
    article = html.split("<article", 1)[1]
    assert f"Override of {name}." in article
    for frame in SHIPPED_FRAME[name]:
        assert frame.strip() not in article


@pytest.fixture(scope="module")
def hostile_overridden_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-overridden")
    write_hostile_archive(root)
    write(root, "docs/index.md", "# Hostile archive\n\n<!-- pmarchive:recent -->\n")
    overrides(
        root,
        {"class": "# Class\n\nOurs: {{ title }} {{ description }} {{ candidate_fix }}\n"},
    )
    write(
        root,
        "overrides/pmarchive/records_table.html",
        "{% for row in rows %}\n<p>Row: {{ row.title }}</p>\n\n{% endfor %}",
    )
    return build_site(root, HOSTILE_MKDOCS_YML.replace(*CUSTOM_DIR), strict=False)


@pytest.mark.parametrize(
    ("page", "printed"),
    [("classes/cache-stampede", "Ours:"), ("teams/checkout", "Row:"), ("", "Row:")],
)
def test_a_hostile_value_an_override_prints_stays_inert_in_a_build(
    hostile_overridden_site: Path, page: str, printed: str
) -> None:
    html = (hostile_overridden_site / page / "index.html").read_text()
    assert printed in html and "&lt;/title&gt;&lt;script&gt;" in html


def test_no_page_of_a_hostile_build_with_overrides_can_run_script(
    hostile_overridden_site: Path,
) -> None:
    pages, problems = scan_site(hostile_overridden_site)
    assert pages >= 25
    assert problems == []
    assert "Ours:" in (hostile_overridden_site / "classes/cache-stampede/index.html").read_text()
