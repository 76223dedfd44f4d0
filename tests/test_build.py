"""Build a tiny archive with the plugin and assert on the produced HTML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mkdocs.exceptions import Abort

from .conftest import BASE_NM, BASE_PM, front_matter, write
from .sites import MKDOCS_YML, build_site

PM_PATH = "postmortems/INC-2026-05-29-001.md"


@pytest.fixture(autouse=True)
def own_key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record cache's signing key goes to the user's cache folder: the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


NM_PATH = "nearmisses/NM-2026-06-02-001.md"


def header_field(html: str, name: str) -> str:
    match = re.search(rf'<(\w+)[^>]*data-field="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no {name} in the header block"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


@pytest.fixture
def built(archive_root: Path) -> Path:
    write(
        archive_root,
        PM_PATH,
        front_matter(
            BASE_PM,
            revenue_impact_usd="8400",
            priority="P2",
            action_items="[{id: AI-1, title: Coalesce requests, owner: pricing, due: 2026-06-30, "
            "status: open, kind: prevent}]",
        ),
    )
    write(archive_root, NM_PATH, front_matter(BASE_NM, where_blind="Nothing watched scope"))
    return build_site(archive_root)


def test_record_pages_have_stable_lowercase_urls(built: Path) -> None:
    assert (built / "postmortems/inc-2026-05-29-001/index.html").is_file()
    assert (built / "nearmisses/nm-2026-06-02-001/index.html").is_file()


def test_header_block_shows_front_matter_values(built: Path) -> None:
    html = (built / "postmortems/inc-2026-05-29-001/index.html").read_text()
    assert header_field(html, "sev") == "SEV-2 · Major"
    assert header_field(html, "status") == "final"
    assert header_field(html, "date") == "2026-05-29"
    assert header_field(html, "started_at") == "2026-05-29 14:05 UTC"
    assert header_field(html, "duration_min") == "6 min"
    assert header_field(html, "mttd_seconds") == "60 s"
    assert header_field(html, "mttr_seconds") == "7 min"
    assert header_field(html, "customer_impact_pct") == "12% of customers"
    assert header_field(html, "revenue_impact_usd") == "$8,400"
    assert header_field(html, "cause_class") == "cache-stampede"
    assert header_field(html, "teams") == "checkout pricing"
    assert header_field(html, "alerts") == "HighErrorRate"
    assert "Coalesce requests" in html and "Action items: 1 open, 0 done" in html
    assert "Pricing cache flush; checkout callers stampeded" in html  # the body follows


def test_nearmiss_header(built: Path) -> None:
    html = (built / "nearmisses/nm-2026-06-02-001/index.html").read_text()
    assert header_field(html, "kind") == "near-miss"
    assert header_field(html, "caught_by") == "caught by person"
    assert header_field(html, "where_blind") == "Nothing watched scope"


def test_records_are_not_in_the_navigation(built: Path) -> None:
    home = (built / "index.html").read_text()
    nav = home[home.index('<nav class="md-nav md-nav--primary"') :]
    nav = nav[: nav.index("</nav>")]
    assert "inc-2026-05-29-001" not in nav and "nm-2026-06-02-001" not in nav


def test_nothing_is_written_into_docs_dir(built: Path, archive_root: Path) -> None:
    assert sorted(p.name for p in (archive_root / "docs").rglob("*")) == [
        "high-error-rate.md",  # the tiny taxonomy's runbook page
        "index.md",
        "runbooks",
    ]


@pytest.mark.parametrize(
    "title",
    ["</title><script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<b>bold</b> & co"],
)
def test_values_reaching_html_are_escaped(archive_root: Path, title: str) -> None:
    quoted = "'" + title.replace("'", "''") + "'"
    write(archive_root, PM_PATH, front_matter(BASE_PM, title=quoted, summary=quoted))
    site = build_site(archive_root)
    html = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    for raw in ("<script>alert(1)", "<img src=x", "<b>bold</b>"):
        assert raw not in html
    assert "&lt;" in html


def test_errors_fail_the_build_with_every_problem(
    archive_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(archive_root, PM_PATH, front_matter(BASE_PM, cause_class="[cache-stampeed]"))
    write(archive_root, NM_PATH, front_matter(BASE_NM, caught_by="lcuk"))
    with pytest.raises(Abort):
        build_site(archive_root)
    message = caplog.text
    assert "the archive has 2 error(s)" in message
    assert "did you mean 'cache-stampede'?" in message
    assert "did you mean 'luck'?" in message


def test_warnings_fail_a_strict_build(archive_root: Path) -> None:
    write(archive_root, PM_PATH, front_matter(BASE_PM, teams="[checkout, checkout]"))
    with pytest.raises(Abort):
        build_site(archive_root, strict=True)
    site = build_site(archive_root, strict=False)
    assert (site / "postmortems/inc-2026-05-29-001/index.html").is_file()


def test_header_template_can_be_overridden(archive_root: Path) -> None:
    write(archive_root, PM_PATH, front_matter(BASE_PM))
    write(
        archive_root,
        "overrides/pmarchive/record_header.html",
        '<div class="custom-header">{{ record.id }} / {{ record.title }}</div>\n',
    )
    yml = (
        "site_name: T\ntheme:\n  name: material\n  font: false\n  custom_dir: overrides\n"
        "plugins:\n  - postmortems:\n      today: '2026-11-24'\nnav:\n  - index.md\n"
    )
    site = build_site(archive_root, yml)
    html = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    assert '<div class="custom-header">INC-2026-05-29-001 / Checkout errors' in html


def _article(html: str) -> str:
    start = html.index('<article class="md-content__inner')
    return html[start : html.index("</article>", start)]


@pytest.mark.parametrize(
    "path", ["postmortems/inc-2026-05-29-001/index.html", "nearmisses/nm-2026-06-02-001/index.html"]
)
def test_header_block_is_first_and_holds_the_only_h1(built: Path, path: str) -> None:
    # The header is inserted after Markdown ran: it must still open the content, carry the
    # record's h1 (so Material adds none of its own) and leave the body's headings in the TOC.
    article = _article((built / path).read_text())
    content = article.split(">", 1)[1].lstrip()
    # the static search's hidden filter markers may come first: nothing a reader sees
    content = re.sub(r"^(\s*<span hidden [^>]*></span>)*\s*", "", content)
    assert content.startswith('<div class="pm-header"')
    assert article.count("<h1") == 1 and '<h1 class="pm-title"' in article


def test_body_headings_stay_in_the_table_of_contents(built: Path) -> None:
    html = (built / "postmortems/inc-2026-05-29-001/index.html").read_text()
    toc = html[html.index('<nav class="md-nav md-nav--secondary"') :]
    toc = toc[: toc.index("</nav>")]
    body = _article(html).split("</div>", 1)[1]
    headings = re.findall(r'<h2 id="([^"]+)"', body)
    assert headings, "the body has h2 headings"
    for anchor in headings:
        assert f'href="#{anchor}"' in toc
    assert "pm-title" not in toc


def test_render_writes_the_header_into_each_record_markdown(archive_root: Path) -> None:
    from pmarchive.ingest.archive import load_archive
    from pmarchive.pipeline import generate, write_generated
    from pmarchive.settings import read_settings

    write(archive_root, PM_PATH, front_matter(BASE_PM))
    settings = read_settings(archive_root, {"today": "2026-11-24"})
    generated = generate(load_archive(settings.archive), settings, "internal")
    out = archive_root / "out"
    write_generated(generated, out)
    text = (out / "postmortems/inc-2026-05-29-001.md").read_text()
    meta, rest = text[4:].split("\n---\n", 1)
    assert "pmarchive_record: INC-2026-05-29-001" in meta
    assert rest.startswith('\n<div class="pm-header"')
    header, body = rest.lstrip("\n").split("\n\n", 1)  # the header is one raw-HTML block
    assert header.startswith('<div class="pm-header"') and header.endswith("</div>")
    assert body.startswith("## Summary\n\nPricing cache flush")


def _stored_documents(index_dir: Path) -> list[dict]:
    from whoosh import index as whoosh_index

    from pmarchive.search.index import current_dir

    current = current_dir(index_dir)
    assert current is not None
    with whoosh_index.open_dir(str(current)).searcher() as searcher:
        return sorted((dict(fields) for fields in searcher.all_stored_fields()), key=str)


def test_index_built_in_a_second_process_matches_the_in_process_one(archive_root: Path) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from pmarchive.ingest.archive import load_archive
    from pmarchive.pipeline import fill_similar, generate
    from pmarchive.settings import read_settings

    write(archive_root, PM_PATH, front_matter(BASE_PM))
    other = front_matter(BASE_PM, id="INC-2026-05-30-001", date="2026-05-30")
    write(archive_root, "postmortems/INC-2026-05-30-001.md", other)
    write(archive_root, NM_PATH, front_matter(BASE_NM))
    results = {}
    for where in ("here", "there"):
        settings = read_settings(
            archive_root, {"today": "2026-11-24", "search_index_dir": f".idx-{where}"}
        )
        full = load_archive(settings.archive)
        if where == "here":
            generated = generate(full, settings, "internal")
            assert generated.pending_index is None and generated.similar is not None
            headers = {uri: generated.header(uri) for uri in sorted(generated.record_uris)}
        else:
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as executor:
                generated = generate(full, settings, "internal", background=executor)
                assert generated.pending_index is not None and generated.similar is None
                early = {uri: generated.header(uri) for uri in sorted(generated.record_uris)}
                blocks = generated.similar_blocks()
            marker = generated.similar_marker
            assert all(header.count(marker) == 1 for header in early.values())
            headers = {uri: fill_similar(h, marker, blocks[uri]) for uri, h in early.items()}
        results[where] = (
            headers,
            generated.index_stats,
            _stored_documents(settings.index_dir("internal")),
        )
    here, there = results["here"], results["there"]
    assert here[0] == there[0] and len(here[0]) == 3
    assert "INC-2026-05-30-001" in here[0]["postmortems/inc-2026-05-29-001.md"]  # similar
    assert here[1] == there[1] and here[1] is not None and here[1].added == 3
    assert here[2] == there[2] and len(here[2]) == 3


def test_an_index_failure_in_the_second_process_is_a_clean_build_error(
    archive_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mkdocs.exceptions import PluginError

    write(archive_root, PM_PATH, front_matter(BASE_PM))
    (archive_root / ".pmarchive").mkdir()
    (archive_root / ".pmarchive" / "search-index").write_text("a file, not a folder")
    with pytest.raises((Abort, PluginError)) as raised:
        build_site(archive_root)
    assert "search index:" in str(raised.value) + caplog.text
    assert "Traceback" not in caplog.text


def test_a_dead_index_process_falls_back_to_building_in_process(archive_root: Path) -> None:
    from concurrent.futures import Executor, Future
    from concurrent.futures.process import BrokenProcessPool

    from pmarchive.ingest.archive import load_archive
    from pmarchive.pipeline import generate
    from pmarchive.settings import read_settings

    class DeadProcess(Executor):  # what an OOM kill or a failed start looks like
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            future: Future[object] = Future()
            future.set_exception(BrokenProcessPool("the process died"))
            return future

    write(archive_root, PM_PATH, front_matter(BASE_PM))
    settings = read_settings(archive_root, {"today": "2026-11-24"})
    generated = generate(
        load_archive(settings.archive), settings, "internal", background=DeadProcess()
    )
    stats = generated.finish_index()
    assert stats is not None and stats.added == 1
    assert generated.header("postmortems/inc-2026-05-29-001.md").startswith(
        '<div class="pm-header"'
    )


@pytest.mark.parametrize(
    ("cores", "static_search", "index_late"),
    [(1, True, False), (2, True, False), (2, True, True), (2, False, False)],
)
def test_record_pages_list_similar_records_however_the_index_is_built(
    archive_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    static_search: bool,
    index_late: bool,
) -> None:
    """With two cores the similar records arrive after the pages are written and are filled in
    at the end of the build: in Pagefind's pass over the pages, or, when the index is still
    being built as the pages are done, after Pagefind has indexed them (or in a pass of their
    own without static search). With one core they are in the header from the start. The
    pages are the same, and no page keeps the placeholder."""
    import pmarchive.plugin as plugin_module

    monkeypatch.setattr("os.cpu_count", lambda: cores)
    if index_late:
        real_generate = plugin_module.generate

        def late(*args: Any, **kwargs: Any) -> Any:
            generated = real_generate(*args, **kwargs)
            generated.index_done = lambda: False  # as if the other process were still busy
            return generated

        monkeypatch.setattr(plugin_module, "generate", late)
    write(archive_root, PM_PATH, front_matter(BASE_PM))
    other = front_matter(BASE_PM, id="INC-2026-05-30-001", date="2026-05-30")
    write(archive_root, "postmortems/INC-2026-05-30-001.md", other)
    mkdocs_yml = MKDOCS_YML.replace(
        "today:", f"static_search: {str(static_search).lower()}\n      today:"
    )
    site = build_site(archive_root, mkdocs_yml)
    assert (site / "pagefind").is_dir() == static_search
    page = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    similar = re.search(r'<details class="pm-similar">.*?</details>', page, re.S)
    assert similar is not None
    assert 'href="../inc-2026-05-30-001/"' in similar.group(0)
    assert "INC-2026-05-30-001" in similar.group(0)
    header_end = page.index("</h1>")
    assert page.index('class="pm-header"') < header_end < similar.start()
    assert ("data-pagefind-body" in page) == static_search
    for path in site.rglob("*.html"):
        assert "pm-similar-" not in path.read_text(), path


@pytest.mark.parametrize(
    "late",
    [(False, False, False), (True, True, True), (True, False, False), (False, True, True)],
)
def test_a_rebuild_of_unchanged_records_reuses_the_static_index(
    archive_root: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    late: tuple[bool, bool, bool],
) -> None:
    """The second build of the same archive takes Pagefind's index from the store beside the
    record cache, whether each build ran Pagefind before the similar records went in (the
    index process still busy, as in a cold build) or after (as in a warm one); an edited
    record builds it again."""
    import logging

    import pmarchive.plugin as plugin_module

    real_generate = plugin_module.generate
    builds: list[bool] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        generated = real_generate(*args, **kwargs)
        busy = late[len(builds)]
        builds.append(busy)
        if busy:
            generated.index_done = lambda: False
        return generated

    monkeypatch.setattr(plugin_module, "generate", timed)
    write(archive_root, PM_PATH, front_matter(BASE_PM))
    write(archive_root, NM_PATH, front_matter(BASE_NM))
    outcomes = []
    for edit in (False, False, True):
        if edit:
            text = front_matter(BASE_PM).replace("No request coalescing", "No coalescing at all")
            write(archive_root, PM_PATH, text)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            site = build_site(archive_root)
        (line,) = [r.getMessage() for r in caplog.records if "static search index" in r.message]
        outcomes.append("reused" in line)
        assert (site / "pagefind" / "pagefind-entry.json").is_file()
    assert outcomes == [False, True, False]
    assert (archive_root / ".pmarchive-cache" / "pagefind").is_dir()


def test_record_pages_are_written_whole_after_waiting_compressed(archive_root: Path) -> None:
    """Between rendering and writing, a record page's HTML waits compressed: the written page
    has its header and body, a hand-written page is untouched, and nothing stays packed."""
    from .sites import build_config

    write(archive_root, PM_PATH, front_matter(BASE_PM) + "\nThe flux capacitor overheated.\n")
    write(archive_root, NM_PATH, front_matter(BASE_NM))
    write(archive_root, "mkdocs.yml", MKDOCS_YML)
    write(archive_root, "docs/index.md", "# Tiny archive\n\nHello from the home page.\n")
    config = build_config(archive_root / "mkdocs.yml")
    site = Path(config.site_dir)
    page = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    header, body = page.index('class="pm-header"'), page.index("The flux capacitor overheated.")
    assert header < body < page.index("</article>")
    assert "Hello from the home page." in (site / "index.html").read_text()
    assert config.plugins["postmortems"].packed == {}


@pytest.mark.parametrize(
    ("records", "threads", "method"),
    [(10, 1, "fork"), (1999, 1, "fork"), (2000, 1, "spawn"), (10, 2, "spawn"), (5000, 3, "spawn")],
)
def test_the_index_process_is_forked_only_for_a_small_archive_and_one_thread(
    monkeypatch: pytest.MonkeyPatch, records: int, threads: int, method: str
) -> None:
    import pmarchive.plugin as plugin_module

    monkeypatch.setattr(plugin_module.threading, "active_count", lambda: threads)
    assert plugin_module._process_context(records).get_start_method() == method


def test_a_spawned_index_process_gives_the_pages_their_similar_records(
    archive_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pmarchive.plugin as plugin_module

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(plugin_module, "SPAWN_FROM", 0)
    write(archive_root, PM_PATH, front_matter(BASE_PM))
    other = front_matter(BASE_PM, id="INC-2026-05-30-001", date="2026-05-30")
    write(archive_root, "postmortems/INC-2026-05-30-001.md", other)
    site = build_site(archive_root)
    page = (site / "postmortems/inc-2026-05-29-001/index.html").read_text()
    assert '<details class="pm-similar">' in page and "INC-2026-05-30-001" in page
    assert "pm-similar-" not in page
