"""Audiences: a record above the build's audience reaches no output of that build."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from pmarchive.ingest.audience import AudienceError, resolve_audience
from pmarchive.site.leaks import withheld_links

from .conftest import (
    RESTRICTED_ID,
    SECRET_TITLE,
    write,
    write_mixed_archive,
)
from .sites import build_site

PUBLIC_YML = """\
site_name: Tiny archive
theme:
  name: material
  font: false
plugins:
  - search
  - postmortems:
      today: "2026-11-24"
      audience: public
nav:
  - Home: index.md
"""


@pytest.fixture
def mixed(archive_root: Path) -> Path:
    """A public post-mortem, a restricted one and an internal near-miss."""
    return write_mixed_archive(archive_root, related=True)


def every_output(root: Path) -> str:
    """All text the build produced: the site and the search index."""
    parts = []
    for folder in (root / "site", root / ".pmarchive"):
        for path in folder.rglob("*"):
            if path.is_file():
                parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_public_build_contains_no_trace_of_withheld_records(mixed: Path) -> None:
    site = build_site(mixed, PUBLIC_YML)
    assert (site / "postmortems/inc-2026-05-29-001/index.html").is_file()
    assert not (site / f"postmortems/{RESTRICTED_ID.lower()}").exists()
    assert not (site / "nearmisses/nm-2026-06-02-001").exists()
    everything = every_output(mixed)
    for needle in (
        RESTRICTED_ID,
        RESTRICTED_ID.lower(),
        SECRET_TITLE,
        "NM-2026-06-02-001",
        "Config push to every region",
    ):
        assert needle not in everything, needle
    assert (
        "2 records are withheld from the public audience"
        in (site / "classes/index.html").read_text()
    )


def test_internal_build_shows_internal_but_not_restricted(mixed: Path) -> None:
    site = build_site(mixed)
    assert (site / "nearmisses/nm-2026-06-02-001/index.html").is_file()
    assert SECRET_TITLE not in every_output(mixed)


def test_environment_variable_wins(mixed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMARCHIVE_AUDIENCE", "restricted")
    site = build_site(mixed, PUBLIC_YML)
    assert (site / f"postmortems/{RESTRICTED_ID.lower()}/index.html").is_file()


LEAKING_LINKS = [
    "[the vault incident](postmortems/inc-2026-03-03-001/)",
    "[upper case](postmortems/INC-2026-03-03-001/)",
    "<a href='postmortems/inc-2026-03-03-001/'>single quotes</a>",
    "<a href=postmortems/INC-2026-03-03-001/>no quotes</a>",
    '<a HREF="/postmortems/inc-2026-03-03-001/">absolute path, upper-case attribute</a>',
    "[absolute URL](https://archive.example/postmortems/INC-2026-03-03-001/)",
    "[from below](../postmortems/inc-2026-03-03-001/index.html)",
    "[the source](postmortems/INC-2026-03-03-001.md)",
    "[encoded](postmortems%2FINC-2026-03-03-001/)",
    "[fragment](postmortems/inc-2026-03-03-001#timeline)",
    '<img src="postmortems/inc-2026-03-03-001/graph.png" alt="graph">',
]


@pytest.mark.parametrize("link", LEAKING_LINKS)
def test_a_page_linking_to_a_withheld_record_fails_the_build(
    mixed: Path, caplog: pytest.LogCaptureFixture, link: str
) -> None:
    write(mixed, "docs/index.md", f"# Home\n\nSee {link}.\n")
    with pytest.raises(Abort):
        build_site(mixed, PUBLIC_YML)
    assert "links to postmortems/inc-2026-03-03-001/, a record withheld" in caplog.text


@pytest.mark.parametrize(
    "html",
    [
        '<a href="postmortems/inc-2026-05-29-001/">a public record</a>',
        '<a href="classes/postmortems/">not a record</a>',
        "<p>postmortems/inc-2026-03-03-001/ as text, not a link</p>",
    ],
)
def test_links_to_visible_pages_pass(html: str) -> None:
    assert withheld_links(html, {RESTRICTED_ID}) == []


def test_a_dirty_rebuild_removes_a_record_just_withheld(mixed: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site = build_site(mixed)  # internal: the public record and the near-miss are published
    page = site / "postmortems/inc-2026-05-29-001/index.html"
    assert page.is_file()
    path = mixed / "postmortems/INC-2026-05-29-001.md"
    path.write_text(path.read_text().replace("visibility: public", "visibility: restricted"))
    config = load_config(str(mixed / "mkdocs.yml"), strict=False)  # MkDocs warns on --dirty
    config.plugins.on_startup(command="build", dirty=True)
    try:
        build(config, dirty=True)
    finally:
        config.plugins.on_shutdown()
    assert not page.exists() and not page.parent.exists()
    assert (site / "nearmisses/nm-2026-06-02-001/index.html").is_file()


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (None, {}, "internal"),
        ("public", {}, "public"),
        ("public", {"PMARCHIVE_AUDIENCE": "Restricted"}, "restricted"),
    ],
)
def test_resolve_audience(configured: str | None, environ: dict[str, str], expected: str) -> None:
    assert resolve_audience(configured, environ) == expected


def test_unknown_audience_is_refused() -> None:
    with pytest.raises(AudienceError, match="not one of public, internal, restricted"):
        resolve_audience("everyone", {})
