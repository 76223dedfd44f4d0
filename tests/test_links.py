"""Link integrity: every internal href, src and #anchor of the built example site resolves, with
``use_directory_urls`` on and off."""

from __future__ import annotations

import posixpath
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url
from playwright.sync_api import Browser

from pmarchive.ingest.archive import Archive, load_archive
from pmarchive.ingest.options import archive_config, plugin_options
from pmarchive.site.charts import chart_scripts
from pmarchive.site.index_pages import alias_redirects
from pmarchive.site.listing import page_sources
from pmarchive.site.record_page import render_record_page, template_environment
from pmarchive.site.urls import dest_path, page_url, site_linker, site_path

from .browser import chromium, serve_directory
from .sites import build_site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ("postmortems", "nearmisses", "taxonomy", "docs", "overrides")
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_ATTRS = frozenset({"href", "src"})


class _PageParser(HTMLParser):
    """The links (tag, attribute, value) and the anchors (ids and names) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        for name, value in values.items():
            if name in LINK_ATTRS:
                self.links.append((tag, name, value))
            elif name == "id" or (name == "name" and tag == "a"):
                self.anchors.add(value)
        refresh = values.get("content", "") if values.get("http-equiv") == "refresh" else ""
        if "url=" in refresh.lower():
            target = refresh[refresh.lower().index("url=") + 4 :].strip()
            self.links.append((tag, "refresh", target))

    handle_startendtag = handle_starttag


def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def broken_links(site: Path) -> list[str]:
    """Every internal link of every page of ``site`` that does not resolve, one line each."""
    pages = {p.relative_to(site).as_posix(): _parse(p) for p in sorted(site.rglob("*.html"))}
    broken = []
    for page, parsed in pages.items():
        for tag, attr, value in parsed.links:
            problem = _problem(site, pages, page, value)
            if problem:
                broken.append(f"{page}: <{tag} {attr}={value!r}>: {problem}")
    return broken


def _problem(site: Path, pages: dict[str, _PageParser], page: str, value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme.lower() in EXTERNAL_SCHEMES or (not parts.scheme and parts.netloc):
        return None  # leaves the site: not ours to check
    if parts.scheme:
        return f"unexpected scheme {parts.scheme!r}"
    if parts.path:
        target = _join(posixpath.dirname(page), unquote(parts.path))
        if target is None:
            return "outside the site"
        if parts.path.endswith("/") or (site / target).is_dir():
            target = posixpath.join(target, "index.html") if target else "index.html"
        if not (site / target).is_file():
            return f"no file {target}"
    else:
        target = page
    fragment = unquote(parts.fragment)
    if fragment and target in pages and fragment not in pages[target].anchors:
        return f"no anchor #{fragment} in {target}"
    return None


def _join(directory: str, path: str) -> str | None:
    """``path`` seen from ``directory`` of the site, or None when it climbs above the site."""
    segments = [] if path.startswith("/") else [s for s in directory.split("/") if s]
    for segment in path.split("/"):
        if segment == "..":
            if not segments:
                return None
            segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "/".join(segments)


# --- MkDocs' URL rules, without MkDocs -----------------------------------------------------


def mkdocs_file(src_uri: str, use_directory_urls: bool) -> File:
    return File(src_uri, None, "site", use_directory_urls)


@pytest.mark.parametrize(
    ("src_uri", "use_directory_urls", "dest", "url"),
    [
        ("index.md", True, "index.html", "./"),
        ("index.md", False, "index.html", "index.html"),
        ("trends.md", True, "trends/index.html", "trends/"),
        ("trends.md", False, "trends.html", "trends.html"),
        ("classes/index.md", True, "classes/index.html", "classes/"),
        ("classes/index.md", False, "classes/index.html", "classes/index.html"),
        ("runbooks/README.md", True, "runbooks/index.html", "runbooks/"),
        ("runbooks/README.md", False, "runbooks/index.html", "runbooks/index.html"),
        ("postmortems/inc-1.md", True, "postmortems/inc-1/index.html", "postmortems/inc-1/"),
        ("postmortems/inc-1.md", False, "postmortems/inc-1.html", "postmortems/inc-1.html"),
        ("classes/x/2.md", True, "classes/x/2/index.html", "classes/x/2/"),
        ("classes/x/2.md", False, "classes/x/2.html", "classes/x/2.html"),
        ("notes/a b.markdown", True, "notes/a b/index.html", "notes/a%20b/"),
        (
            "assets/pmarchive/charts.js",
            True,
            "assets/pmarchive/charts.js",
            "assets/pmarchive/charts.js",
        ),
        (
            "assets/pmarchive/charts.js",
            False,
            "assets/pmarchive/charts.js",
            "assets/pmarchive/charts.js",
        ),
        ("classes/old/index.html", True, "classes/old/index.html", "classes/old/"),
        ("classes/old/index.html", False, "classes/old/index.html", "classes/old/index.html"),
    ],
)
def test_page_urls_follow_mkdocs(
    src_uri: str, use_directory_urls: bool, dest: str, url: str
) -> None:
    assert (dest_path(src_uri, use_directory_urls), page_url(src_uri, use_directory_urls)) == (
        dest,
        url,
    )
    file = mkdocs_file(src_uri, use_directory_urls)
    assert (file.dest_uri, file.url) == (dest, url)  # the table is MkDocs' own behaviour


@pytest.mark.parametrize(
    ("from_src", "to_src", "use_directory_urls", "expected"),
    [
        ("postmortems/inc-1.md", "classes/x.md", True, "../../classes/x/"),
        ("postmortems/inc-1.md", "classes/x.md", False, "../classes/x.html"),
        ("postmortems/inc-1.md", "postmortems/inc-2.md", True, "../inc-2/"),
        ("postmortems/inc-1.md", "postmortems/inc-2.md", False, "inc-2.html"),
        ("index.md", "classes/x.md", True, "classes/x/"),
        ("index.md", "classes/x.md", False, "classes/x.html"),
        ("index.md", "index.md", True, "./"),
        ("index.md", "index.md", False, "index.html"),
        ("classes/index.md", "classes/x.md", True, "x/"),
        ("classes/index.md", "classes/x.md", False, "x.html"),
        ("classes/x.md", "classes/index.md", True, "../"),
        ("classes/x.md", "classes/index.md", False, "index.html"),
        ("classes/x.md", "classes/x.md", True, "./"),
        ("classes/x.md", "classes/x.md", False, "x.html"),
        ("classes/x/2.md", "classes/x.md", True, "../"),
        ("classes/x/2.md", "classes/x.md", False, "../x.html"),
        ("classes/old.md", "classes/new.md", True, "../new/"),
        ("classes/old.md", "classes/new.md", False, "new.html"),
        ("trends.md", "assets/pmarchive/plotly.min.js", True, "../assets/pmarchive/plotly.min.js"),
        ("trends.md", "assets/pmarchive/plotly.min.js", False, "assets/pmarchive/plotly.min.js"),
        ("classes/x.md", "assets/pmarchive/charts.js", True, "../../assets/pmarchive/charts.js"),
        ("classes/x.md", "assets/pmarchive/charts.js", False, "../assets/pmarchive/charts.js"),
        ("reviews/index.md", "reviews/2026-q1.md", True, "2026-q1/"),
        ("reviews/index.md", "reviews/2026-q1.md", False, "2026-q1.html"),
    ],
)
def test_links_follow_mkdocs(
    from_src: str, to_src: str, use_directory_urls: bool, expected: str
) -> None:
    assert site_linker(use_directory_urls)(from_src, to_src) == expected
    mkdocs = get_relative_url(
        mkdocs_file(to_src, use_directory_urls).url, mkdocs_file(from_src, use_directory_urls).url
    )
    assert mkdocs == expected  # the table is MkDocs' own behaviour


@pytest.mark.parametrize(
    ("src_uri", "use_directory_urls", "expected"),
    [
        ("classes/thundering-herd.md", True, "classes/thundering-herd/index.html"),
        ("classes/thundering-herd.md", False, "classes/thundering-herd.html"),
        ("index.md", True, "index.html"),
        ("index.md", False, "index.html"),
        ("trends.md", False, "trends.html"),
    ],
)
def test_site_path_is_where_mkdocs_writes_the_page(
    src_uri: str, use_directory_urls: bool, expected: str
) -> None:
    assert site_path(site_linker(use_directory_urls), src_uri) == expected
    assert mkdocs_file(src_uri, use_directory_urls).dest_uri == expected


# --- the raw HTML the core writes, in either mode -----------------------------------------


@pytest.fixture(scope="module")
def example_archive() -> Archive:
    archive = load_archive(archive_config(ROOT, plugin_options(ROOT / "mkdocs.yml")))
    assert archive.errors == []
    return archive


@pytest.mark.parametrize(
    ("use_directory_urls", "expected"),
    [
        (
            True,
            [
                'href="../../classes/cache-stampede/"',
                'href="../../factors/no-canary/"',
                'href="../../alerts/higherrorrate/"',
                'href="../../nearmisses/nm-2026-05-12-001/"',
            ],
        ),
        (
            False,
            [
                'href="../classes/cache-stampede.html"',
                'href="../factors/no-canary.html"',
                'href="../alerts/higherrorrate.html"',
                'href="../nearmisses/nm-2026-05-12-001.html"',
            ],
        ),
    ],
)
def test_record_header_links_in_either_mode(
    example_archive: Archive, use_directory_urls: bool, expected: list[str]
) -> None:
    record = example_archive.by_id()["INC-2026-05-29-001"]
    page = render_record_page(
        record,
        example_archive.taxonomy,
        template_environment(),
        page_sources(example_archive.by_id()),
        linker=site_linker(use_directory_urls),
    )
    header = page[: page.index("</div>")]
    assert [link for link in expected if link not in header] == []


@pytest.mark.parametrize(
    ("use_directory_urls", "src", "expected"),
    [
        (True, "trends.md", ["../assets/pmarchive/charts.js"]),
        (False, "trends.md", ["assets/pmarchive/charts.js"]),
        (True, "classes/x.md", ["../../assets/pmarchive/charts.js"]),
        (False, "classes/x.md", ["../assets/pmarchive/charts.js"]),
    ],
)
def test_chart_scripts_in_either_mode(
    use_directory_urls: bool, src: str, expected: list[str]
) -> None:
    tags = chart_scripts(src, site_linker(use_directory_urls))
    # charts.js alone: it fetches plotly.js itself, relative to its own URL, when a chart nears
    # the screen
    assert re.findall(r'<script src="([^"]+)" defer></script>', tags) == expected


@pytest.mark.parametrize(
    ("use_directory_urls", "path", "target", "script"),
    [
        (
            True,
            "classes/thundering-herd/index.html",
            "../cache-stampede/",
            "../../assets/pmarchive/redirect.js",
        ),
        (
            False,
            "classes/thundering-herd.html",
            "cache-stampede.html",
            "../assets/pmarchive/redirect.js",
        ),
        (
            True,
            "factors/noisy-alerts/index.html",
            "../alert-fatigue/",
            "../../assets/pmarchive/redirect.js",
        ),
        (
            False,
            "factors/noisy-alerts.html",
            "alert-fatigue.html",
            "../assets/pmarchive/redirect.js",
        ),
    ],
)
def test_alias_redirects_in_either_mode(
    example_archive: Archive, use_directory_urls: bool, path: str, target: str, script: str
) -> None:
    pages = alias_redirects(example_archive, site_linker(use_directory_urls))
    page = pages[path]
    assert f'<link rel="canonical" href="{target}">' in page
    assert f'<meta http-equiv="refresh" content="0; url={target}">' in page
    # the script runs before the meta refresh is read, so it can keep the #fragment
    assert page.index(f'<script src="{script}"></script>') < page.index("http-equiv")


# --- the checker itself, on a hand-made site ---------------------------------------------

FAKE_SITE = {
    "index.html": '<a id="top" href="#top">x</a><a name="old">y</a>',
    "a/index.html": '<h2 id="part">Part</h2><img src="../img/logo.png">',
    "b.html": "<p>B</p>",
    "img/logo.png": "",
}


def fake_site(root: Path, page: str) -> Path:
    for path, text in {**FAKE_SITE, "page/index.html": page}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('<a href="../a/">', None),
        ('<a href="../a/index.html#part">', None),
        ('<a href="../a/#part">', None),
        ('<a href="../a">', None),
        ('<a href="../b.html">', None),
        ('<a href="../#top">', None),
        ('<a href="../index.html#old">', None),
        ('<a href="#here"><span id="here"></span>', None),
        ('<a href="https://example.com/missing/">', None),
        ('<a href="mailto:oncall@example.com">', None),
        ('<a href="//cdn.example.com/x.js">', None),
        ('<a href="../c/">', "no file c/index.html"),
        ('<a href="../b/">', "no file b/index.html"),
        ('<a href="../a/#nowhere">', "no anchor #nowhere in a/index.html"),
        ('<a href="#nowhere">', "no anchor #nowhere in page/index.html"),
        ('<img src="img/logo.png">', "no file page/img/logo.png"),
        ('<script src="../../../x.js"></script>', "outside the site"),
        ('<a href="javascript:alert(1)">', "unexpected scheme 'javascript'"),
        ('<meta http-equiv="refresh" content="0; url=../c/">', "no file c/index.html"),
        ('<meta http-equiv="refresh" content="0; url=../a/">', None),
    ],
)
def test_checker_finds_what_does_not_resolve(
    tmp_path: Path, link: str, expected: str | None
) -> None:
    found = broken_links(fake_site(tmp_path, link))
    assert [line.rsplit(": ", 1)[1] for line in found] == ([expected] if expected else [])


# --- the bundled example, built in both URL modes ----------------------------------------


def example_site(root: Path, use_directory_urls: bool) -> Path:
    for name in EXAMPLE:
        shutil.copytree(ROOT / name, root / name)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config += f"\nuse_directory_urls: {str(use_directory_urls).lower()}\n"
    return build_site(root, config)


@pytest.fixture(scope="module", params=[True, False], ids=["directory-urls", "file-urls"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[bool, Path]]:
    mode: bool = request.param
    yield mode, example_site(tmp_path_factory.mktemp("example"), mode)


def test_every_internal_link_and_anchor_resolves(built: tuple[bool, Path]) -> None:
    _, site = built
    assert len(list(site.rglob("*.html"))) > 100  # the whole example, not an empty build
    broken = broken_links(site)
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("directory_page", "file_page"),
    [
        ("postmortems/inc-2026-05-29-001/index.html", "postmortems/inc-2026-05-29-001.html"),
        ("nearmisses/nm-2026-05-12-001/index.html", "nearmisses/nm-2026-05-12-001.html"),
        ("classes/cache-stampede/index.html", "classes/cache-stampede.html"),
        ("alerts/higherrorrate/index.html", "alerts/higherrorrate.html"),
        ("classes/index.html", "classes/index.html"),
        ("trends/index.html", "trends.html"),
        ("reviews/2026-q2/index.html", "reviews/2026-q2.html"),
        ("classes/thundering-herd/index.html", "classes/thundering-herd.html"),
        ("404.html", "404.html"),
    ],
)
def test_pages_are_where_the_url_mode_puts_them(
    built: tuple[bool, Path], directory_page: str, file_page: str
) -> None:
    directory_urls, site = built
    assert (site / (directory_page if directory_urls else file_page)).is_file()


# --- alias redirects in a real browser -----------------------------------------------------

ALIAS_URL = {True: "classes/thundering-herd/", False: "classes/thundering-herd.html"}
CLASS_URL = {True: "classes/cache-stampede/", False: "classes/cache-stampede.html"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.mark.browser
@pytest.mark.parametrize(
    ("javascript", "fragment"),
    [(True, "#recurrence"), (False, "")],
    ids=["script-keeps-the-fragment", "meta-refresh-without-script"],
)
def test_alias_redirect_reaches_the_class_page(
    built: tuple[bool, Path], browser: Browser, javascript: bool, fragment: str
) -> None:
    directory_urls, site = built
    with serve_directory(site) as base:
        context = browser.new_context(java_script_enabled=javascript)
        try:
            page = context.new_page()
            page.goto(base + ALIAS_URL[directory_urls] + "#recurrence")
            expected = base + CLASS_URL[directory_urls] + fragment
            page.wait_for_url(expected)
            assert page.url == expected
            assert page.locator("h2#recurrence").count() == 1
        finally:
            context.close()
