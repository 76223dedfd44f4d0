"""The Whoosh index, the query language, the search API and the search command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from pmarchive.cli import main
from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.search import index as search_module
from pmarchive.search.index import build_index
from pmarchive.search.query import QueryError
from pmarchive.search.results import SearchResult
from pmarchive.search.searcher import ArchiveIndex
from pmarchive.search.server import create_app

from .conftest import BASE_NM, BASE_PM, front_matter, write

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
    assert facets["kind"] == {"post-mortem": 3, "near-miss": 1}
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
        "post-mortem",
        2,
        "2026-01-10",
    )
    assert hit.url == "postmortems/inc-2026-01-10-001/" and hit.classes == ["cache-stampede"]
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
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

    def explode(record: object, digest: str) -> dict[str, object]:
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
