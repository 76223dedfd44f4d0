"""No value from front-matter, taxonomy or a record body can run script on a generated page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pmarchive.site.safety import plain_title, safe_url, sanitize_html

from .hostile import (
    BODY_ATTACKS,
    FLAG,
    HOSTILE_MKDOCS_YML,
    KEPT_IN_BODIES,
    PAYLOADS,
    Scanner,
    scan_site,
    write_hostile_archive,
)
from .sites import build_site


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_archive(root)
    return build_site(root, HOSTILE_MKDOCS_YML, strict=False)


def test_no_page_of_a_hostile_archive_can_run_script(hostile_site: Path) -> None:
    pages, problems = scan_site(hostile_site)
    assert pages >= 25  # records, every index kind, trend pages, reviews, search, runbook
    assert problems == []


@pytest.mark.parametrize(
    "page",
    [
        "postmortems/inc-2026-05-29-001/index.html",
        "nearmisses/nm-2026-06-02-001/index.html",
        "classes/cache-stampede/index.html",
        "classes/index.html",
        "factors/no-canary/index.html",
        "teams/checkout/index.html",
        "services/pricing-svc/index.html",
        "alerts/higherrorrate/index.html",
        "sev/1/index.html",
        "risk-register/index.html",
        "runbooks/high-error-rate/index.html",
    ],
)
def test_hostile_values_are_shown_as_text(hostile_site: Path, page: str) -> None:
    """The payload is on the page, readable, and inert: its text survives, its markup does not."""
    text = (hostile_site / page).read_text()
    assert "&lt;/title&gt;&lt;script&gt;" in text or "‹/title›‹script›" in text
    title = text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and ">" not in title


@pytest.mark.parametrize(
    "page", ["postmortems/inc-2026-05-29-001/index.html", "nearmisses/nm-2026-06-02-001/index.html"]
)
def test_bodies_keep_what_write_ups_use(hostile_site: Path, page: str) -> None:
    text = (hostile_site / page).read_text()
    for kept in KEPT_IN_BODIES:
        assert kept in text, kept


@pytest.mark.parametrize("alert", ["higherrorrate", "dataurlrunbook", "spacedrunbook"])
def test_a_runbook_url_with_another_scheme_is_not_a_link(hostile_site: Path, alert: str) -> None:
    text = (hostile_site / f"alerts/{alert}/index.html").read_text()
    runbook = text.split("Runbook:", 1)[1].split("</p>", 1)[0]
    assert "<a " not in runbook and "<code>" in runbook


@pytest.mark.parametrize("attack", BODY_ATTACKS)
def test_the_sanitiser_drops_every_active_part(attack: str) -> None:
    import markdown

    rendered = markdown.markdown(attack, extensions=["attr_list", "md_in_html", "tables"])
    clean = sanitize_html(rendered)
    scanner = Scanner("body")
    scanner.feed(clean)
    scanner.close()
    assert scanner.problems == [], clean
    tags = set(re.findall(r"<\s*([a-zA-Z][\w:-]*)", clean))
    assert tags <= {"p", "a", "img", "div", "details", "summary", "code", "em", "strong"}, clean
    assert 'id="__config"' not in clean


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://runbooks.example/a", True),
        ("http://runbooks.example/a", True),
        ("mailto:sre@example.com", True),
        ("/runbooks/high-error-rate/", True),
        ("../classes/retry-storm/", True),
        ("#timeline", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("javascript://%0Aalert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("\x01javascript:alert(1)", False),
        ("javascript&colon;alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("file:///etc/passwd", False),
        ("//evil.example/x", False),
        ("\\\\evil.example\\x", False),
        ("", False),
    ],
)
def test_safe_url_allows_only_http_https_mailto_and_relative(url: str, allowed: bool) -> None:
    assert (safe_url(url) is not None) is allowed


@pytest.mark.parametrize("payload", [*PAYLOADS.values(), "AT&T <b>bold</b> \"quoted\" 'single'"])
def test_plain_titles_survive_striptags_as_text(payload: str) -> None:
    from markupsafe import Markup

    title = plain_title(f"Cache stampede {payload}")
    assert "<" not in title and ">" not in title
    assert "<" not in Markup(title).striptags()  # what Material's <title> prints
    assert plain_title(title) == title  # idempotent: safe to apply at every stage


def test_the_flag_payloads_all_name_the_flag() -> None:
    assert all(FLAG in payload for payload in PAYLOADS.values())
