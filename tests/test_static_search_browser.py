"""/search/ on a static host: no API, results and facets from the Pagefind index (one, or
several shards merged by the page), in Chromium."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from .browser import Watched, chromium, serve_directory, watch
from .sites import build_config, copy_example
from .test_static_search import shard_folders, shard_fragments

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = copy_example(tmp_path_factory.mktemp("static-example"))
    site_dir = tmp_path_factory.mktemp("static-site")
    build_config(root / "mkdocs.yml", site_dir)
    assert (Path(site_dir) / "pagefind" / "pagefind.js").is_file()
    with serve_directory(Path(site_dir)) as base:
        yield base


NO_API = "Failed to load resource: the server responded with a status of 404 (File not found)"
"""The one console line a static host causes: /search/ asks for /api/search first."""


def assert_clean(watched: Watched) -> None:
    assert [e for e in watched.console_errors if e != NO_API] == []
    assert watched.foreign_requests == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.mark.parametrize(("word", "facet"), [("stampede", "sev"), ("retry", "class")])
def test_static_search_finds_and_a_facet_narrows(
    browser: Browser, static_site: str, word: str, facet: str
) -> None:
    page = browser.new_page()
    watched = watch(page, static_site)
    page.goto(static_site + "search/")
    page.locator("#pm-q").press_sequentially(word, delay=20)
    page.wait_for_selector(f'#pm-results[data-query="{word}"][data-engine="pagefind"] .pm-hit')
    hits = page.locator("#pm-results .pm-hit")
    total = int(page.locator("#pm-status").inner_text().split()[0])
    assert total == hits.count() > 0  # the example is smaller than one page of results
    assert "pm-no-api" not in (page.locator("#pm-search").get_attribute("class") or "")
    first = hits.first.locator("a")
    assert first.inner_text().startswith(("INC-", "NM-"))
    assert (first.get_attribute("href") or "").startswith(("/postmortems/", "/nearmisses/"))
    marked = hits.first.locator(".pm-snippet mark").first.inner_text().lower()
    assert marked.startswith(word[:4])  # stemmed: "retry" marks "retries" too
    for snippet in page.locator("#pm-results .pm-snippet").all_inner_texts():
        # Pagefind indexes the built pages, so its excerpts are text: no Markdown in them
        assert not any(mark in snippet for mark in ("##", "**", "](", "```", "|", "<")), snippet

    values = page.locator(f'.pm-facet[data-facet="{facet}"] .pm-facet-value')
    counts = [int(c) for c in values.locator(".pm-count").all_inner_texts()]
    narrower = next(i for i, c in enumerate(counts) if c < total)
    button = values.nth(narrower)
    label = button.get_attribute("data-filter")
    button.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#pm-results .pm-hit').length === n",
        arg=counts[narrower],
    )
    assert page.input_value("#pm-q") == f"{word} {label}"
    assert page.locator("#pm-status").inner_text().startswith(f"{counts[narrower]} result")
    assert_clean(watched)


def test_a_result_opens_its_record(browser: Browser, static_site: str) -> None:
    page = browser.new_page()
    watched = watch(page, static_site)
    page.goto(static_site + "search/")
    page.locator("#pm-q").press_sequentially("stampede", delay=20)
    page.wait_for_selector('#pm-results[data-query="stampede"][data-engine="pagefind"] .pm-hit')
    record_id = page.locator("#pm-results .pm-hit").first.get_attribute("data-id")
    page.locator("#pm-results .pm-hit a").first.click()
    page.wait_for_url(f"**/{(record_id or '?').lower()}/")
    assert page.locator(".pm-header").get_attribute("data-record") == record_id
    assert_clean(watched)


@pytest.mark.parametrize(
    ("query", "note"),
    [("stampede factor:no-canary", "factor:no-canary"), ("stampede -class:retry-storm", "-class")],
)
def test_filters_only_the_api_knows_are_named(
    browser: Browser, static_site: str, query: str, note: str
) -> None:
    page = browser.new_page()
    page.goto(static_site + "search/?query=" + query.replace(" ", "+"))
    page.wait_for_selector('#pm-results[data-engine="pagefind"] .pm-hit')
    status = page.locator("#pm-status").inner_text()
    assert "need the archive's search API" in status and note in status


# --- an index in several shards, merged by the page ------------------------------------------
SHARD_SIZE = 7
"""The example's 50 records in shards of 7: the near-misses first, then the post-mortems, so the
SEV facet is in some shards only and a post-mortem is never in the first shard."""


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from pmarchive.site import static_search

    root = copy_example(tmp_path_factory.mktemp("sharded-example"))
    site_dir = tmp_path_factory.mktemp("sharded-site")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(static_search, "SHARD_PAGES", SHARD_SIZE)
        build_config(root / "mkdocs.yml", site_dir)
    assert len(shard_folders(site_dir)) > 2
    with serve_directory(site_dir) as base:
        yield base, site_dir


def facet_counts(found: list[dict[str, object]]) -> dict[str, dict[str, int]]:
    """What the facets should say of ``found`` (fragments): each value's count."""
    counts: dict[str, Counter[str]] = {}
    for fragment in found:
        for name, values in fragment["filters"].items():  # type: ignore[attr-defined]
            counts.setdefault(name, Counter()).update(values)
    return {name: dict(counter) for name, counter in counts.items()}


def page_facets(page: Page) -> dict[str, dict[str, int]]:
    shown: dict[str, dict[str, int]] = {}
    for group in page.locator(".pm-facet").all():
        name = group.get_attribute("data-facet") or ""
        for button in group.locator(".pm-facet-value").all():
            key = (button.get_attribute("data-filter") or "").split(":", 1)[1].strip('"')
            shown.setdefault(name, {})[key] = int(button.locator(".pm-count").inner_text())
    return shown


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("", lambda f: True),  # no search: the facets are the whole index's
        ("sev:1", lambda f: f["filters"].get("sev") == ["1"]),
        ("kind:near-miss", lambda f: f["filters"]["kind"] == ["near-miss"]),
        ("year:2025", lambda f: f["filters"]["year"] == ["2025"]),
    ],
)
def test_facet_counts_and_totals_are_the_sum_over_shards(
    browser: Browser, sharded: tuple[str, Path], query: str, keep: Any
) -> None:
    base, site = sharded
    every = [f for shard in shard_fragments(site) for f in shard.values()]
    found = [f for f in every if keep(f)]
    assert found and (not query or len(found) < len(every))
    page = browser.new_page()
    watched = watch(page, base)
    page.goto(base + "search/?query=" + query)
    page.wait_for_selector(
        f'#pm-results[data-engine="pagefind"][data-query="{query}"]', state="attached"
    )
    page.wait_for_selector(".pm-facet .pm-facet-value")
    assert page_facets(page) == facet_counts(every if not query else found)
    if query:
        total = len(found)
        assert page.locator("#pm-status").inner_text().startswith(f"{total} result")
        last = -(-total // 20)
        shown = page.locator(".pm-page").all_inner_texts()
        assert shown == ([f"page 1 of {last}"] if last > 1 else [])
        ids = set(page.locator("#pm-results .pm-hit").evaluate_all(
            "hits => hits.map(h => h.getAttribute('data-id'))"))  # fmt: skip
        assert ids <= {f["meta"]["id"] for f in found}  # type: ignore[index]
        assert len(ids) == min(total, 20)
    assert_clean(watched)


def test_a_record_in_a_merged_shard_is_found_and_opens(
    browser: Browser, sharded: tuple[str, Path]
) -> None:
    base, site = sharded
    shards = shard_fragments(site)
    # the last shard's record whose rarest title word is in the fewest pages of the whole index
    every = [f for shard in shards for f in shard.values()]

    def pages_with(word: str) -> int:
        return sum(word in str(f["content"]).lower() for f in every)

    choices = [
        (pages_with(word), word, fragment)
        for fragment in shards[-1].values()
        for word in str(fragment["meta"]["title"]).lower().split()  # type: ignore[index]
        if word.isalpha() and len(word) > 5
    ]
    _, word, fragment = min(choices, key=lambda c: (c[0], c[1]))
    record_id = str(fragment["meta"]["id"])  # type: ignore[index]
    page = browser.new_page()
    watched = watch(page, base)
    page.goto(base + "search/")
    page.locator("#pm-q").press_sequentially(word, delay=20)
    page.wait_for_selector(f'#pm-results[data-query="{word}"][data-engine="pagefind"] .pm-hit')
    hit = page.locator(f'#pm-results .pm-hit[data-id="{record_id}"]')
    assert hit.count() == 1
    link = hit.locator("a")
    assert link.get_attribute("href") == "/" + str(fragment["url"]).lstrip("/")
    assert hit.locator(".pm-hit-title").inner_text() == fragment["meta"]["title"]  # type: ignore[index]
    link.click()
    page.wait_for_url(f"**/{record_id.lower()}/")
    assert page.locator(".pm-header").get_attribute("data-record") == record_id
    assert_clean(watched)
