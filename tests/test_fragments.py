"""Record tables and cards of generated index pages are HTML outside Markdown: the page's
Markdown holds a placeholder line, the plugin puts the HTML in its place after Markdown, for
generated pages only; a placeholder that does not come back fails the build with one line; the
listings are the ones the Markdown tables gave, in either URL mode."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from mkdocs.exceptions import Abort

from pmarchive.analysis.grouping import INDEX_KINDS, group_records
from pmarchive.ingest.archive import Archive
from pmarchive.model.records import AnyRecord
from pmarchive.site.listing import index_src, paginate, split_listing
from pmarchive.site.templating import FRAGMENT_PREFIX, FragmentError, Fragments
from pmarchive.site.urls import dest_path, site_linker

from .conftest import BASE_NM, BASE_PM, front_matter, write, write_taxonomy
from .sites import MKDOCS_YML, build_config, copy_example, page_overrides

NO_STAMPS = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}
NONCE = "0123456789abcdef"
FIXED_NONCE = mock.patch("pmarchive.site.templating.secrets.token_hex", return_value=NONCE)
"""Every build's tokens are then PMARCHIVEFRAGMENT0123456789abcdef-<n>: a hand-written page
can hold a token of the build itself."""


# --- Fragments, on its own ----------------------------------------------------------------------


def test_a_deferred_fragment_is_a_line_of_its_own_and_comes_back_for_its_page_only() -> None:
    fragments = Fragments(deferred=True)
    placed = fragments.place("classes/a.md", "<table>\n<tr><td>x</td></tr>\n</table>")
    token = placed.strip()
    assert re.fullmatch(FRAGMENT_PREFIX + r"[0-9a-f]{16}-1", token)
    assert placed == f"\n\n{token}\n\n"
    fragments.printed("classes/a.md", f"# A\n{placed}")
    assert "classes/a.md" in fragments and "docs/notes.md" not in fragments
    html = f"<h1>A</h1>\n<p>{token}</p>\n<p>after</p>"
    assert fragments.substitute("classes/a.md", html) == (
        "<h1>A</h1>\n<table>\n<tr><td>x</td></tr>\n</table>\n<p>after</p>"
    )
    assert "classes/a.md" not in fragments  # handed out once


def test_tokens_differ_between_builds() -> None:
    first, second = Fragments(deferred=True), Fragments(deferred=True)
    assert first.place("a.md", "<p>x</p>") != second.place("a.md", "<p>x</p>")


def test_a_fragment_the_template_did_not_print_is_forgotten() -> None:
    fragments = Fragments(deferred=True)
    kept = fragments.place("a.md", "<p>kept</p>")
    fragments.place("a.md", "<p>left out by an override</p>")
    fragments.printed("a.md", f"# A{kept}")
    assert fragments.substitute("a.md", f"<p>{kept.strip()}</p>") == "<p>kept</p>"
    fragments.place("b.md", "<p>never printed</p>")
    fragments.printed("b.md", "# B\n")
    assert "b.md" not in fragments


@pytest.mark.parametrize(
    "rendered",
    [
        "<p><code>{token}</code></p>",  # printed inside a code span
        "<p>Incidents: {token}</p>",  # run into the text around it
        "<pre><code>{token}\n</code></pre>",  # indented into a code block
        "<h1>A</h1>",  # gone
    ],
)
def test_a_token_that_does_not_come_back_as_its_own_paragraph_is_an_error(
    rendered: str,
) -> None:
    fragments = Fragments(deferred=True)
    token = fragments.place("teams/sre.md", "<table></table>").strip()
    fragments.printed("teams/sre.md", token)
    with pytest.raises(FragmentError) as caught:
        fragments.substitute("teams/sre.md", rendered.format(token=token))
    message = str(caught.value)
    assert message.startswith("teams/sre.md: ") and "\n" not in message
    assert "line of its own" in message


def test_inline_fragments_are_the_html_written_into_the_markdown() -> None:
    inline = Fragments()
    assert inline.place("index.md", "<table>\n</table>") == "\n\n<table>\n</table>\n\n"
    assert "index.md" not in inline  # nothing waits for substitution
    deferred = Fragments(deferred=True)
    placed = deferred.place("a.md", "<ul>\n<li>x</li>\n</ul>")
    deferred.printed("a.md", f"## A\n{placed}")
    assert deferred.inline("a.md", f"## A\n{placed}") == "## A\n\n\n<ul>\n<li>x</li>\n</ul>\n\n"


# --- in a build ---------------------------------------------------------------------------------


def tiny_archive(root: Path) -> Path:
    write_taxonomy(root)
    for record_id in ("INC-2026-01-10-001", "INC-2026-05-03-001"):
        write(
            root,
            f"postmortems/{record_id}.md",
            front_matter(BASE_PM, id=record_id, date=record_id[4:14], teams="[sre]", **NO_STAMPS),
        )
    write(root, "nearmisses/NM-2026-06-02-001.md", front_matter(BASE_NM))
    return root


CUSTOM_DIR = ("  font: false\n", "  font: false\n  custom_dir: overrides\n")


def build(root: Path, strict: bool = True) -> tuple[Path, Any]:
    write(root, "mkdocs.yml", MKDOCS_YML.replace(*CUSTOM_DIR))
    if not (root / "docs/index.md").exists():
        write(root, "docs/index.md", "# Tiny archive\n\n<!-- pmarchive:recent -->\n")
    config = build_config(root / "mkdocs.yml", strict=strict)
    return Path(config.site_dir), config.plugins["postmortems"].generated


@pytest.mark.parametrize("token", [f"{FRAGMENT_PREFIX}{NONCE}-1", f"{FRAGMENT_PREFIX}{NONCE}-3"])
def test_a_token_in_a_hand_written_page_is_left_alone(tmp_path: Path, token: str) -> None:
    root = tiny_archive(tmp_path)
    write(root, "docs/notes.md", f"# Notes\n\n{token}\n\nAfter.\n")
    (root / "overrides").mkdir()
    with FIXED_NONCE:
        site, _ = build(root)
    notes = (site / "notes/index.html").read_text()
    assert f"<p>{token}</p>" in notes  # the build's own token, in a user's page: just text
    assert "<table>" not in notes and "pm-card" not in notes
    # the generated pages got their tables, whatever the user's page holds
    for page in ("classes/cache-stampede", "teams/sre", "alerts/higherrorrate"):
        html = (site / page / "index.html").read_text()
        assert FRAGMENT_PREFIX not in html, page
    assert "INC-2026-05-03-001</a></td>" in (site / "teams/sre/index.html").read_text()


def test_a_missing_token_fails_the_build_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tiny_archive(tmp_path)
    # an override that prints a table inside a code span: the placeholder never comes back
    page_overrides(root, {"listing": "## Incidents\n\n`{{ incidents|trim }}`\n"})
    with pytest.raises(Abort):
        build(root)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    # MkDocs names the page it was rendering, then the plugin's error: one line
    assert errors[0] == "Error reading page 'classes/cache-stampede.md':"
    message = errors[-1]
    assert "\n" not in message
    assert re.match(
        r"[a-z]+/[a-z0-9-]+\.md: a generated record table or card list is missing", message
    )


def test_an_override_that_leaves_a_table_out_builds(tmp_path: Path) -> None:
    root = tiny_archive(tmp_path)
    page_overrides(root, {"listing": "## Incidents\n\n{{ incidents }}\nNo near-miss table here.\n"})
    site, _ = build(root)
    html = (site / "teams/sre/index.html").read_text()
    assert "No near-miss table here." in html and "INC-2026-05-03-001</a></td>" in html
    assert FRAGMENT_PREFIX not in html


# --- the example archive: the same listings as the Markdown tables gave ---------------------------


def listed_ids(html: str, heading: str) -> list[str]:
    """Record ids of the table under the h2 ``heading`` (in order), from a built page."""
    start = html.index(f'<h2 id="{heading}">')
    end = html.find("<h2 ", start + 1)
    section = html[start : end if end != -1 else len(html)]
    if "<table>" not in section:
        return []
    table = section[section.index("<table>") : section.index("</table>")]
    return re.findall(r"<tr>\n<td>[0-9-]+</td>\n<td><a href=\"[^\"]+\">([^<]+)</a></td>", table)


def card_ids(html: str) -> list[str]:
    """Record ids of the cards of a built page, in order."""
    return re.findall(r'<span class="pm-card-link"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture(scope="module", params=[True, False], ids=["directory-urls", "file-urls"])
def example_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, bool, Archive]:
    root = copy_example(tmp_path_factory.mktemp("example"))
    yml = (root / "mkdocs.yml").read_text()
    if not request.param:
        (root / "mkdocs.yml").write_text(yml + "\nuse_directory_urls: false\n")
    with mock.patch("pmarchive.site.listing.PAGE_SIZE", 4):  # and continuation pages
        config = build_config(root / "mkdocs.yml")
    # the archive as the build's audience sees it (restricted records withheld)
    return Path(config.site_dir), request.param, config.plugins["postmortems"].generated.archive


def test_every_listing_of_the_example_is_the_one_the_markdown_tables_gave(
    example_site: tuple[Path, bool, Archive],
) -> None:
    site, directory_urls, archive = example_site
    groups = group_records(archive.records)
    checked = 0
    for kind in INDEX_KINDS:
        for key in groups.by_kind[kind]:
            chunks = [list(chunk) for chunk in _paginate(groups.get(kind, key))]
            for number, chunk in enumerate(chunks, start=1):
                src = index_src(kind, key, number)
                html = (site / dest_path(src, directory_urls)).read_text()
                assert FRAGMENT_PREFIX not in html, src
                if kind == "alerts" and number == 1:  # an alert's first page: one card each
                    assert card_ids(html) == [r.id for r in chunk], src
                    checked += 1
                    continue
                incidents, nearmisses = split_listing(chunk)
                assert listed_ids(html, "incidents") == [r.id for r in incidents], src
                near = listed_ids(html, "near-misses-and-weak-signals")
                assert near == [r.id for r in nearmisses], src
                checked += 1
    assert checked > 100


def _paginate(records: Sequence[AnyRecord]) -> list[Sequence[AnyRecord]]:
    with mock.patch("pmarchive.site.listing.PAGE_SIZE", 4):
        return paginate(records)


def test_listing_links_follow_the_url_mode_and_reach_built_pages(
    example_site: tuple[Path, bool, Archive],
) -> None:
    site, directory_urls, archive = example_site
    linker = site_linker(directory_urls)
    for src in ("teams/sre.md", "alerts/higherrorrate.md", "classes/cache-stampede.md"):
        page = site / dest_path(src, directory_urls)
        html = page.read_text()
        article = html.split("<article", 1)[1].split("</article>", 1)[0]
        hrefs = re.findall(r'<td><a href="([^"]+)">INC-', article)
        hrefs += re.findall(r'<span class="pm-card-link"><a href="([^"]+)">', article)
        assert hrefs, src
        for href in hrefs:
            target = (page.parent / href).resolve()
            assert (target / "index.html" if href.endswith("/") else target).is_file(), href
        newest = next(r for r in archive.records if src in _sources_of(r))
        assert f'href="{linker(src, newest.src_uri)}"' in article


def _sources_of(record: AnyRecord) -> set[str]:
    teams = {index_src("teams", t) for t in record.teams}
    alerts = {index_src("alerts", a) for a in record.alerts}
    return teams | alerts | {index_src("classes", c) for c in record.cause_class}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("pmarchive/pages/records_table.md", "pmarchive/records_table.html"),
        ("pmarchive/cards.md", "pmarchive/cards.html"),
    ],
)
def test_an_override_of_a_retired_markdown_template_is_a_warning_naming_its_html_form(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, old: str, new: str
) -> None:
    root = tiny_archive(tmp_path)
    write(root, f"overrides/{old}", "{% for row in rows %}{{ row.title }}{% endfor %}\n")
    with pytest.raises(Abort):  # strict: the warning fails the build
        build(root)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"overrides/{old}: no longer used" in w and f"override {new}" in w for w in warnings)
    site, _ = build(root, strict=False)  # and the shipped HTML template serves the page
    assert "INC-2026-05-03-001</a></td>" in (site / "teams/sre/index.html").read_text()
