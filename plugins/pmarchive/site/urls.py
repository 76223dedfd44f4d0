"""Links inside raw HTML, which MkDocs does not rewrite, made by MkDocs' own URL rules.

Markdown links name other pages' source files and MkDocs resolves them in either URL mode. The
record header, the chart script tags and the alias redirect pages are raw HTML, so their links
come from a ``Linker``. The plugin passes one built on MkDocs' ``File.url`` and
``get_relative_url``; ``site_linker`` follows the same rules without importing MkDocs, for the
CLI and the tests.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from urllib.parse import quote, unquote

Linker = Callable[[str, str], str]
"""(source path of the page a link is on, source path of its target) -> the link's URL,
relative to the page."""

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")
"""What MkDocs builds into pages (``mkdocs.utils.markdown_extensions``); the rest is copied."""

_URL_SAFE = "/#%[]=:;$&()+,!?*@'~"
"""Characters MkDocs leaves unquoted in a URL (``mkdocs.utils.urlquote``)."""


def dest_path(src_uri: str, use_directory_urls: bool = True) -> str:
    """Where MkDocs writes the file built from ``src_uri`` (``File.dest_uri``).

    'a/b.md' -> 'a/b/index.html' with directory URLs, 'a/b.html' without; 'a/index.md' and
    'a/README.md' -> 'a/index.html' in both; any other file keeps its path.
    """
    if not src_uri.endswith(MARKDOWN_SUFFIXES):
        return src_uri
    parent, filename = posixpath.split(src_uri)
    stem = posixpath.splitext(filename)[0]
    name = "index" if stem == "README" else stem
    if not use_directory_urls or name == "index":
        return posixpath.join(parent, name + ".html")
    return posixpath.join(parent, name, "index.html")


def page_url(src_uri: str, use_directory_urls: bool = True) -> str:
    """The site-relative URL of the file built from ``src_uri`` (``File.url``).

    With directory URLs an index.html is its folder ('a/b/', and './' for the home page).
    """
    url = dest_path(src_uri, use_directory_urls)
    folder, filename = posixpath.split(url)
    if use_directory_urls and filename == "index.html":
        url = (folder or ".") + "/"
    return quote(url, safe=_URL_SAFE)


def relative_url(url: str, other: str) -> str:
    """``url`` seen from the page at ``other`` (``mkdocs.utils.get_relative_url``).

    Both are site-relative; the last part of ``other`` is a file (dropped) when it has a dot.
    """
    folder, _, basename = other.rpartition("/")
    if "." in basename:
        other = folder
    other_parts = _parts(other)
    url_parts = _parts(url)
    common = 0
    for mine, theirs in zip(other_parts, url_parts, strict=False):
        if mine != theirs:
            break
        common += 1
    relative = "/".join([".."] * (len(other_parts) - common) + url_parts[common:]) or "."
    return relative + "/" if url.endswith("/") else relative


def _parts(path: str) -> list[str]:
    normal = posixpath.normpath("/" + path.lstrip("/"))[1:]
    return normal.split("/") if normal else []


def site_linker(use_directory_urls: bool = True) -> Linker:
    """A Linker that follows MkDocs' rules for one URL mode, without MkDocs."""

    def link(from_src: str, to_src: str) -> str:
        return relative_url(
            page_url(to_src, use_directory_urls), page_url(from_src, use_directory_urls)
        )

    return link


DIRECTORY_URLS = site_linker(True)
"""MkDocs' default URL mode, for callers that are not handed the build's Linker."""


def site_path(linker: Linker, src_uri: str) -> str:
    """Where the page built from ``src_uri`` lands in the site, for files the core writes at the
    place MkDocs would have put a page (alias redirects): its URL seen from the home page,
    an index.html for a folder."""
    url = unquote(linker("index.md", src_uri))
    return (url + "index.html" if url.endswith("/") else url).removeprefix("./")
