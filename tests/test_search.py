"""The Whoosh index, the query language, the search API and the search command."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from whoosh import query as wq

from pmarchive.cli import main
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.search import index as search_module
from pmarchive.search.index import build_index
from pmarchive.search.plaintext import plain_text
from pmarchive.search.query import QueryError, parse_filters, text_query
from pmarchive.search.results import SearchResult
from pmarchive.search.searcher import ArchiveIndex
from pmarchive.search.server import create_app

from .conftest import (
    BASE_NM,
    BASE_PM,
    RESTRICTED_ID,
    front_matter,
    write,
    write_mixed_archive,
)
from .sites import REPO

NO_STAMPS = {"started_at": None, "detected_at": None, "mitigated_at": None, "resolved_at": None}


def incident(root: Path, record_id: str, body: str = "", **changes: str | None) -> None:
    text = front_matter(BASE_PM, id=record_id, date=record_id[4:14], **{**NO_STAMPS, **changes})
    write(root, f"postmortems/{record_id}.md", text + body)


@pytest.fixture
def archive(archive_root: Path, make_config: Callable[..., ArchiveConfig]) -> Archive:
    incident(
        archive_root,
        "INC-2026-01-10-001",
        "The flux capacitor overheated badly.\n",
        cause_class="[cache-stampede]",
        sev="1",
        teams="[checkout]",
        alerts="[HighErrorRate]",
    )
    incident(
        archive_root,
        "INC-2026-02-15-001",
        "Retries multiplied load on pricing.\n",
        cause_class="[retry-storm]",
        sev="2",
        teams="[pricing]",
        alerts="[]",
        mitigation="Drained the hydroponic queue",
        trigger="Quarterly zeppelin rollout",
    )
    incident(
        archive_root,
        "INC-2025-03-01-001",
        "Another stampede of cache misses.\n",
        cause_class="[cache-stampede, retry-storm]",
        sev="3",
        teams="[checkout, sre]",
    )
    write(
        archive_root,
        "nearmisses/NM-2026-06-02-001.md",
        front_matter(BASE_NM, cause_class="[cache-stampede]") + "Cache warmed just in time.\n",
    )
    loaded = load_archive(make_config(archive_root))
    assert loaded.errors == []
    return loaded


@pytest.fixture
def index(archive: Archive, tmp_path: Path) -> ArchiveIndex:
    build_index(archive.records, tmp_path / "index")
    return ArchiveIndex(tmp_path / "index", archive.taxonomy)


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.results]


@pytest.mark.parametrize(
    "query", ["hydroponic", "drained hydroponic", "zeppelin", "mitigation:hydroponic"]
)
def test_what_ended_it_and_the_trigger_are_searched_as_text(
    index: ArchiveIndex, query: str
) -> None:
    assert ids(index.search(query)) == ["INC-2026-02-15-001"]


def test_distinctive_words_find_their_record_first(index: ArchiveIndex) -> None:
    assert ids(index.search("flux capacitor"))[0] == "INC-2026-01-10-001"
    assert ids(index.search('"multiplied load"')) == ["INC-2026-02-15-001"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("class:cache-stampede", {"INC-2026-01-10-001", "INC-2025-03-01-001", "NM-2026-06-02-001"}),
        (
            "class:thundering-herd",
            {"INC-2026-01-10-001", "INC-2025-03-01-001", "NM-2026-06-02-001"},
        ),
        ("class:cache-stampede sev:1..2", {"INC-2026-01-10-001"}),
        ("sev:2..3", {"INC-2026-02-15-001", "INC-2025-03-01-001"}),
        ("team:checkout after:2026-01-01", {"INC-2026-01-10-001"}),
        ("before:2026-01-01", {"INC-2025-03-01-001"}),
        ("alert:HighErrorRate", {"INC-2026-01-10-001", "INC-2025-03-01-001"}),
        ("kind:near-miss", {"NM-2026-06-02-001"}),
        ("class:cache-stampede -kind:near-miss", {"INC-2026-01-10-001", "INC-2025-03-01-001"}),
        ("capacitor OR multiplied", {"INC-2026-01-10-001", "INC-2026-02-15-001"}),
        ("cache NOT capacitor", {"NM-2026-06-02-001", "INC-2025-03-01-001", "INC-2026-02-15-001"}),
        ("year:2025", {"INC-2025-03-01-001"}),
    ],
)
def test_filters_narrow_exactly(index: ArchiveIndex, query: str, expected: set[str]) -> None:
    assert set(ids(index.search(query))) == expected


def test_facets_count_exactly(index: ArchiveIndex) -> None:
    facets = index.search("").facets
    assert facets["class"] == {"cache-stampede": 3, "retry-storm": 2}
    assert facets["sev"] == {"1": 1, "2": 1, "3": 1}
    assert facets["kind"] == {"postmortem": 3, "near-miss": 1}
    assert facets["year"] == {"2026": 3, "2025": 1}
    assert facets["team"]["checkout"] == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("*stampede", "leading wildcards are not supported"),
        ("sev:high", "sev: expected a level or a range"),
        ("after:2026-13-01", "after: expected a date"),
        ("x" * 600, "the limit is 500"),
        (" ".join(f"w{i}" for i in range(50)), "the limit is 40"),
    ],
)
def test_bad_queries_get_a_clear_message(index: ArchiveIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        index.search(query)


def test_hits_carry_the_api_fields_and_escaped_snippets(
    archive_root: Path, make_config: Callable[..., ArchiveConfig], tmp_path: Path
) -> None:
    incident(archive_root, "INC-2026-01-10-001", "Payload <script>alert(1)</script> cache.\n")
    archive = load_archive(make_config(archive_root))
    build_index(archive.records, tmp_path / "ix")
    (hit,) = ArchiveIndex(tmp_path / "ix").search("payload").results
    assert (hit.id, hit.kind, hit.sev, hit.date) == (
        "INC-2026-01-10-001",
        "postmortem",
        2,
        "2026-01-10",
    )
    assert hit.url == "postmortems/inc-2026-01-10-001/" and hit.classes == ["cache-stampede"]
    # HTML tags are markup, stripped from the plain text the snippet is cut from
    assert "<script" not in hit.snippet and "script&gt;" not in hit.snippet
    assert "Payload alert(1) cache" in hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<mark" in hit.snippet


def test_similar_records_share_classes(index: ArchiveIndex) -> None:
    similar = [hit.id for hit in index.similar("INC-2026-01-10-001")]
    assert "INC-2026-01-10-001" not in similar
    assert set(similar[:2]) == {"INC-2025-03-01-001", "NM-2026-06-02-001"}


def test_incremental_reindex_touches_only_changed_records(
    archive: Archive,
    archive_root: Path,
    make_config: Callable[..., ArchiveConfig],
    tmp_path: Path,
) -> None:
    base = tmp_path / "index"
    first = build_index(archive.records, base)
    assert (first.added, first.updated, first.removed) == (4, 0, 0)
    again = build_index(archive.records, base)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)
    incident(
        archive_root,
        "INC-2026-02-15-001",
        "Retries multiplied load on pricing again.\n",
        cause_class="[retry-storm]",
        sev="2",
        teams="[pricing]",
        alerts="[]",
    )
    (archive_root / "nearmisses/NM-2026-06-02-001.md").unlink()
    changed = load_archive(make_config(archive_root))
    stats = build_index(changed.records, base)
    assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (0, 1, 1, 2)
    assert ArchiveIndex(base).search("again").results[0].id == "INC-2026-02-15-001"


def test_failed_build_leaves_the_old_index_answering(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "index"
    build_index(archive.records[:2], base)
    before = (base / "current").resolve()

    def explode(record: object, digest: str, **_: object) -> dict[str, object]:
        raise RuntimeError("killed mid-build")

    monkeypatch.setattr(search_module, "_document", explode)
    with pytest.raises(RuntimeError):
        build_index(archive.records, base)
    assert (base / "current").resolve() == before
    assert ArchiveIndex(base).search("").total == 2
    assert sorted(p.name for p in base.iterdir()) == ["build.lock", "current", before.name]


@pytest.fixture
def client(index: ArchiveIndex, tmp_path: Path) -> TestClient:
    site = tmp_path / "site"
    write(site, "index.html", "<h1>home</h1>")
    write(tmp_path, "secret.txt", "do not serve")
    return TestClient(create_app(site, index.base, index.taxonomy))


def test_api_search_paginates(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "", "limit": 3, "page": 1}).json()
    second = client.get("/api/search", params={"q": "", "limit": 3, "page": 2}).json()
    assert first["total"] == second["total"] == 4
    assert len(first["results"]) == 3 and len(second["results"]) == 1
    assert not {h["id"] for h in first["results"]} & {h["id"] for h in second["results"]}
    assert {"id", "title", "url", "snippet", "kind", "sev", "date", "classes"} <= set(
        first["results"][0]
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/search", {"q": "*x"}),
        ("/api/search", {"q": "a", "limit": "ten"}),
        ("/api/search", {"q": "sev:nope"}),
    ],
)
def test_api_bad_queries_are_400_with_a_message(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/api/similar/INC-0",
        "/nope/",
        "/api/other",
    ],
)
def test_not_found_and_no_path_traversal(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "do not serve" not in response.text


def test_api_similar_and_headers(client: TestClient) -> None:
    response = client.get("/api/similar/INC-2026-01-10-001")
    assert response.status_code == 200
    assert response.json()["results"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    home = client.get("/")
    assert home.status_code == 200 and "home" in home.text
    assert home.headers["cache-control"].startswith("public")


def test_search_command_json(archive: Archive, archive_root: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "search",
            "--root",
            str(archive_root),
            "--index",
            str(tmp_path / "ix"),
            "--json",
            "flux",
            "capacitor",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["results"][0]["id"] == "INC-2026-01-10-001"
    assert {"id", "title", "url"} <= set(payload["results"][0])
    text = runner.invoke(
        main,
        [
            "search",
            "--root",
            str(archive_root),
            "--index",
            str(tmp_path / "ix"),
            "class:retry-storm",
        ],
    )
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0] == "2 results"
    bad = runner.invoke(main, ["search", "--root", str(archive_root), "*x"])
    assert bad.exit_code == 2 and "leading wildcards" in bad.output


def test_snippet_fallback_to_summary_is_escaped(
    archive_root: Path, make_config: Callable[..., ArchiveConfig], tmp_path: Path
) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    incident(
        archive_root,
        "INC-2026-01-10-001",
        "",
        summary=f"'{hostile}'",
        title="Zeppelin outage",
    )
    # a second record of the same class, so the hostile one shows up in a similar list
    incident(
        archive_root,
        "INC-2026-02-15-001",
        "The zeppelin went down again.\n",
        summary="Zeppelin down again",
        title="Zeppelin outage again",
    )
    archive = load_archive(make_config(archive_root))
    assert archive.errors == []
    build_index(archive.records, tmp_path / "ix")
    searched = ArchiveIndex(tmp_path / "ix").search("zeppelin").results
    (hit,) = [h for h in searched if h.id == "INC-2026-01-10-001"]
    assert "<img" not in hit.snippet and "&lt;img" in hit.snippet
    similar = ArchiveIndex(tmp_path / "ix").similar("INC-2026-02-15-001")
    assert [h.id for h in similar] == ["INC-2026-01-10-001"]
    assert similar[0].snippet == "&lt;img src=x onerror=alert(1)&gt;"
    back = ArchiveIndex(tmp_path / "ix").similar("INC-2026-01-10-001")
    assert [h.id for h in back] == ["INC-2026-02-15-001"]
    assert back[0].snippet == "Zeppelin down again"


def test_similar_lists_follow_content_changes(
    archive: Archive,
    archive_root: Path,
    make_config: Callable[..., ArchiveConfig],
    tmp_path: Path,
) -> None:
    base = tmp_path / "ix"
    build_index(archive.records, base)
    assert "INC-2026-02-15-001" not in [
        h.id for h in ArchiveIndex(base).similar_all(["INC-2026-01-10-001"])["INC-2026-01-10-001"]
    ]
    incident(
        archive_root,
        "INC-2026-02-15-001",
        "Flux capacitor overheated again.\n",
        cause_class="[cache-stampede]",
        sev="2",
        teams="[pricing]",
        alerts="[]",
    )
    build_index(load_archive(make_config(archive_root)).records, base)
    similar = ArchiveIndex(base).similar_all(["INC-2026-01-10-001"])["INC-2026-01-10-001"]
    assert similar[0].id == "INC-2026-02-15-001"


# --- plain-text snippets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected", "absent"),
    [
        ("## Summary\n\nThe cache fell over.", "Summary\n\nThe cache fell over.", "#"),
        ("| Field | Value |\n|---|:--:|\n| SEV | two |", "Field   Value\nSEV   two", "|"),
        (
            "It was **very** bad and *odd* and __so__ _on_.",
            "It was very bad and odd and so on.",
            "*",
        ),
        ("See [the runbook](https://x.example/rb) now.", "See the runbook now.", "]("),
        ("See [the runbook][rb].\n\n[rb]: https://x.example/rb", "See the runbook.", "[rb]"),
        ("```python\nprint('hi')\n```\nafter", "print('hi')\nafter", "```"),
        ("~~~\ncode\n~~~", "code", "~~~"),
        ("a <b>bold</b> <span class='x'>move</span>", "a bold move", "<"),
        ("<!-- hidden -->shown", "shown", "hidden"),
        ("![diagram of the pool](pool.png) caption", "diagram of the pool caption", "!["),
        ("- [x] rolled back\n- item two\n1. first", "rolled back\nitem two\nfirst", "- "),
        ("> quoted text", "quoted text", ">"),
        ("Use `kubectl drain` first", "Use kubectl drain first", "`"),
        ("AT&amp;T &lt;3", "AT&T <3", "&amp;"),
        ('!!! note "Careful here"\n    body', "Careful here\nbody", "!!!"),
        ("snake_case_name stays", "snake_case_name stays", "\x00"),
        ("Setext\n------\ntext", "Setext\ntext", "---"),
    ],
)
def test_plain_text_strips_markdown(markdown: str, expected: str, absent: str) -> None:
    text = plain_text(markdown)
    assert text == expected
    assert absent not in text


MARKDOWN_BODY = (
    "## Summary\n\nThe **zeppelin** [hangar](https://x.example/h) flooded.\n\n"
    "| Zeppelin | State |\n|---|---|\n| `Z1` | <b>down</b> |\n\n"
    "```\nzeppelin --restart\n```\n"
)


@pytest.mark.parametrize("query", ["zeppelin", "hangar", "flooded", "restart"])
def test_snippets_never_show_markdown(
    archive_root: Path, make_config: Callable[..., ArchiveConfig], tmp_path: Path, query: str
) -> None:
    incident(archive_root, "INC-2026-01-10-001", MARKDOWN_BODY)
    build_index(load_archive(make_config(archive_root)).records, tmp_path / "ix")
    (hit,) = ArchiveIndex(tmp_path / "ix").search(query).results
    text = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<mark>" in hit.snippet
    for markup in ("##", "**", "|", "](", "```", "<b>", "&lt;b&gt;", "`"):
        assert markup not in text, (markup, hit.snippet)


# --- paging -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "cache", "class:cache-stampede"])
@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_every_result_is_on_exactly_one_page(client: TestClient, query: str, limit: int) -> None:
    first = client.get("/api/search", params={"q": query, "limit": limit}).json()
    total, pages = first["total"], first["pages"]
    assert total > 0 and pages == -(-total // limit)
    seen: list[str] = []
    for page in range(1, pages + 2):  # one past the last page is empty
        reply = client.get("/api/search", params={"q": query, "limit": limit, "page": page})
        body = reply.json()
        assert (body["page"], body["offset"], body["total"]) == (page, (page - 1) * limit, total)
        seen += [hit["id"] for hit in body["results"]]
    assert len(seen) == len(set(seen)) == total
    by_offset = [
        hit["id"]
        for offset in range(0, total, limit)
        for hit in client.get(
            "/api/search", params={"q": query, "limit": limit, "offset": offset}
        ).json()["results"]
    ]
    assert by_offset == seen


# --- vocabulary: did you mean -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "value", "suggestion", "suggested"),
    [
        ("class:cache-stampeed", "class", "cache-stampeed", "cache-stampede",
         "class:cache-stampede"),
        ("stampede -class:retry-strom", "class", "retry-strom", "retry-storm",
         "stampede -class:retry-storm"),
        ("kind:postmortum", "kind", "postmortum", "postmortem", "kind:postmortem"),
        ("kind:nearmis", "kind", "nearmis", "nearmiss", "kind:nearmiss"),
        ("team:chekout", "team", "chekout", "checkout", "team:checkout"),
        ("status:finl", "status", "finl", "final", "status:final"),
        ("tema:checkout", "tema", "checkout", "team", "team:checkout"),
        ("foo:bar", "foo", "bar", None, None),
        ("team:", "team", "", None, None),
        ("sev:7", "sev", "7", "3", "sev:3"),
        ("sev:2..9", "sev", "2..9", "2..3", "sev:2..3"),
    ],
)  # fmt: skip
def test_values_outside_the_vocabulary_get_a_did_you_mean(
    client: TestClient,
    query: str,
    field: str,
    value: str,
    suggestion: str | None,
    suggested: str | None,
) -> None:
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 400
    payload = response.json()
    assert (payload["field"], payload["value"], payload["suggestion"]) == (field, value, suggestion)
    assert payload["suggested_query"] == suggested
    if suggestion is not None:
        assert payload["error"].endswith(
            f"did you mean {suggestion}" + ":" * (field == "tema") + "?"
        )
        assert client.get("/api/search", params={"q": suggested}).status_code == 200


def test_the_did_you_mean_note_reads_as_the_page_shows_it(client: TestClient) -> None:
    payload = client.get("/api/search", params={"q": "class:cache-stampeed"}).json()
    assert payload["error"] == "No class 'cache-stampeed'; did you mean cache-stampede?"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind:postmortem", {"INC-2026-01-10-001", "INC-2026-02-15-001", "INC-2025-03-01-001"}),
        ("kind:post-mortem", {"INC-2026-01-10-001", "INC-2026-02-15-001", "INC-2025-03-01-001"}),
        ("kind:incident", {"INC-2026-01-10-001", "INC-2026-02-15-001", "INC-2025-03-01-001"}),
        ("kind:nearmiss", {"NM-2026-06-02-001"}),
        ("kind:near-miss", {"NM-2026-06-02-001"}),
        ("type:nearmiss", {"NM-2026-06-02-001"}),
        ("kind:weak-signal", set()),
        ("classes:thundering-herd sev:1", {"INC-2026-01-10-001"}),
        ("team:CHECKOUT sev:1", {"INC-2026-01-10-001"}),
        ("alert:higherrorrate sev:1", {"INC-2026-01-10-001"}),
    ],
)
def test_aliases_and_other_spellings_are_accepted(
    index: ArchiveIndex, query: str, expected: set[str]
) -> None:
    assert set(ids(index.search(query))) == expected


@pytest.mark.parametrize("words", ["note: the pool", "see http://x.example/a", "at 10:30 utc"])
def test_colons_in_words_are_not_filters(index: ArchiveIndex, words: str) -> None:
    assert index.search(words).total >= 0  # no VocabularyError


def test_the_search_command_says_did_you_mean(archive: Archive, archive_root: Path) -> None:
    result = CliRunner().invoke(
        main, ["search", "--root", str(archive_root), "class:cache-stampeed"]
    )
    assert result.exit_code != 0
    assert "No class 'cache-stampeed'; did you mean cache-stampede?" in result.output
    assert "try: pmarchive search class:cache-stampede\n" in result.output


# --- the query engine agrees with Whoosh's own search -------------------------------------


@pytest.mark.parametrize(
    "query",
    ["cache", "stampede cache", "capacitor OR multiplied", "cache NOT capacitor",
     '"multiplied load"', '"load multiplied"', '"retries multiplied load"', '"cache misses"^2',
     '"flux capacitor" OR "pricing"', "stamp*", "stamp*^2 pricing", "pricing -class:retry-storm",
     "title:outage"],
)  # fmt: skip
def test_scores_and_matches_are_whooshs(index: ArchiveIndex, query: str) -> None:
    parsed = parse_filters(query, index.taxonomy)
    whoosh_query = text_query(parsed.text, index.index.schema)
    if parsed.exclusions:
        whoosh_query = wq.AndNot(whoosh_query, wq.Or(parsed.exclusions))
    with index.index.searcher() as searcher:
        theirs = {
            searcher.stored_fields(hit.docnum)["id"]: hit.score
            for hit in searcher.search(whoosh_query, limit=None)
        }
    for cached in (False, True):  # the second time from the caches
        ours = {hit.id: hit.score for hit in index.search(query, limit=100).results}
        assert ours.keys() == theirs.keys(), cached
        for record_id, score in theirs.items():
            assert ours[record_id] == pytest.approx(score, abs=1e-3)


def test_caches_off_give_the_same_answers(index: ArchiveIndex) -> None:
    uncached = ArchiveIndex(index.base, index.taxonomy, leaf_cache=0, result_cache=0)
    for query in ("cache", "cache class:retry-storm", "", "stampede OR pricing"):
        assert uncached.search(query).to_json() == index.search(query).to_json()


# --- audiences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "zanzibar", "vault keys", "year:2026", "class:cache-stampede"]
)
def test_a_withheld_record_is_in_no_result_count_or_facet(
    archive_root: Path, tmp_path: Path, query: str
) -> None:
    write_mixed_archive(archive_root)
    result = CliRunner().invoke(
        main,
        ["search", "--root", str(archive_root), "--index", str(tmp_path / "ix"),
         "--audience", "public", "--json", "--limit", "100", "--", query],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert RESTRICTED_ID not in result.stdout and "Zanzibar" not in result.stdout
    assert payload["total"] == len(payload["results"]) <= 1
    for counts in payload["facets"].values():
        assert sum(counts.values()) <= payload["total"] * 3
    assert sum(payload["facets"]["year"].values()) == payload["total"]
    assert sum(payload["facets"]["kind"].values()) == payload["total"]


@pytest.mark.parametrize(
    "query", ["", "cache", "class:cache-stampede", "sev:1..2", "-kind:nearmiss", "pricing OR flux"]
)
def test_facets_count_every_match_exactly(index: ArchiveIndex, query: str) -> None:
    result = index.search(query, limit=100)
    expected: dict[str, dict[str, int]] = {name: {} for name in result.facets}
    for hit in result.results:
        values = {
            "class": hit.classes,
            "sev": [str(hit.sev)] if hit.sev else [],
            "kind": [hit.kind],
            "year": [hit.date[:4]],
        }
        for name, found in values.items():
            for value in found:
                expected[name][value] = expected[name].get(value, 0) + 1
    for name in ("class", "sev", "kind", "year"):
        assert result.facets[name] == expected[name], name
    assert sum(result.facets["kind"].values()) == result.total == len(result.results)


def test_body_words_hold_the_bodys_terms_and_frequencies(
    archive_root: Path, make_config: Callable[..., ArchiveConfig], tmp_path: Path
) -> None:
    """The frequency-only copy the scores are read from is the body, term for term (its
    analysis is replayed from the body's, so a mismatch would change every score)."""
    incident(archive_root, "INC-2026-01-10-001", MARKDOWN_BODY + "The zeppelins were zeppelins.\n")
    incident(archive_root, "INC-2026-02-15-001", "Retries, retrying and the retry storm.\n")
    incident(archive_root, "INC-2025-03-01-001", "Retries, retrying and the retry storm.\n")
    build_index(load_archive(make_config(archive_root)).records, tmp_path / "ix")
    with ArchiveIndex(tmp_path / "ix").index.searcher() as searcher:
        reader = searcher.reader()
        body = {term: reader.doc_frequency("body", term) for term in reader.lexicon("body")}
        words = {
            term: reader.doc_frequency("body_words", term) for term in reader.lexicon("body_words")
        }
        assert body == words and len(body) > 10
        for term in body:
            assert dict(reader.postings("body", term).items_as("weight")) == dict(
                reader.postings("body_words", term).items_as("weight")
            )
        for docnum in reader.all_doc_ids():
            assert reader.doc_field_length(docnum, "body") == reader.doc_field_length(
                docnum, "body_words"
            )


@pytest.mark.parametrize("query", ["", "class:cache-stampede", "sev:1..3", "-kind:nearmiss"])
def test_equal_scores_rank_newest_first(index: ArchiveIndex, query: str) -> None:
    dates = [hit.date for hit in index.search(query).results]
    assert dates == sorted(dates, reverse=True) and len(dates) > 1


# --- key terms ------------------------------------------------------------------------------


def _example_records(tmp_path: Path, make_config: Callable[..., ArchiveConfig]) -> list[Any]:
    """The example archive's records and 60 synthetic ones, recurring wording and classes."""
    from benchmarks.synthetic import write_archive

    root = tmp_path / "synthetic"
    write_archive(root, 40, REPO / "taxonomy", nearmisses=20, length=2)
    records = list(load_archive(make_config(root)).records)
    example = load_archive(make_config(REPO))
    return records + list(example.records)


@pytest.mark.parametrize("segments", [1, 2])
def test_key_terms_are_whooshs(
    tmp_path: Path,
    make_config: Callable[..., ArchiveConfig],
    monkeypatch: pytest.MonkeyPatch,
    segments: int,
) -> None:
    """Key terms from the collection frequencies read once equal Whoosh's own
    ``key_terms_from_text`` (Bo1, normalised), for every record, in a fresh index and in one
    whose records were indexed in two generations (two segments, summed frequencies)."""
    from pmarchive.search.searcher import analysed_words, collection_frequencies
    from pmarchive.search.similar import KEY_TERMS, bo1_key_terms, key_text

    records = _example_records(tmp_path, make_config)
    base = tmp_path / "ix"
    if segments == 2:  # a second build that does not merge: two segments, one with deletions
        build_index(records[: len(records) // 2 + 1], base)
        monkeypatch.setattr(search_module, "OPTIMIZE_BELOW", 0)
        changed = dataclasses.replace(records[0], body="Zeppelin hangar flooded overnight.")
        records = [changed, *records[1:]]
    build_index(records, base)
    with ArchiveIndex(base).index.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) == segments
        assert reader.has_deletions() == (segments == 2)
        collection = collection_frequencies(reader, "body")
        body = searcher.schema["body"]
        compared = 0
        for _, stored in reader.iter_docs():
            text = key_text(stored)
            whooshs = [w for w, _ in searcher.key_terms_from_text("body", text, numterms=KEY_TERMS)]
            ours = bo1_key_terms(analysed_words(body, text), collection, reader.doc_count_all())
            assert ours == whooshs, stored["id"]
            compared += 1
    assert compared == len(records) > 80
