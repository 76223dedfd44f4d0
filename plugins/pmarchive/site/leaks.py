"""Withheld records never leak into a build: links to them found in the parsed HTML of a
page, and their pages left in the site directory by an earlier build."""

from __future__ import annotations

import html.parser
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

_RECORD_SEGMENT = re.compile(r"(?:^|/)(postmortems|nearmisses)/([^/?#]+)")
_LINK_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "cite", "background", "content"}
)


class _LinkCollector(html.parser.HTMLParser):
    """Every URL-bearing attribute value of a page, decoded as a browser would read it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name.lower() in _LINK_ATTRIBUTES or name.lower() == "srcset"):
                self.urls.extend(value.split(",") if name.lower() == "srcset" else [value])


def _record_targets(url: str) -> Iterator[tuple[str, str]]:
    """(kind, id) of every record URL path inside ``url``, any case, encoded or not."""
    text = url
    for _ in range(3):  # %252F is %2F is /
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            break
        text = decoded
    text = re.sub(r"[\x00-\x20\x7f]+", "", text).replace("\\", "/").lower()
    for kind, segment in _RECORD_SEGMENT.findall(text):
        stem = re.sub(r"(?:\.md|\.html?)$", "", segment)
        yield kind, stem


def withheld_links(page_html: str, withheld_ids: Iterable[str]) -> list[str]:
    """The URLs in ``page_html`` that point at a withheld record's page.

    The page is parsed, so any attribute quoting and any case count, as do absolute URLs,
    relative ones, percent-encoded ones and links to a record's Markdown source.
    """
    withheld = {record_id.lower() for record_id in withheld_ids}
    if not withheld:
        return []
    collector = _LinkCollector()
    collector.feed(page_html)
    collector.close()
    found: list[str] = []
    for url in collector.urls:
        for kind, stem in _record_targets(url):
            if stem in withheld:
                found.append(f"{kind}/{stem}/")
    return found


def withheld_outputs(site_dir: Path, withheld_ids: Iterable[str]) -> list[Path]:
    """Pages of withheld records found in a site directory (left by an earlier --dirty build)."""
    found: list[Path] = []
    for kind in ("postmortems", "nearmisses"):
        folder = site_dir / kind
        if not folder.is_dir():
            continue
        for record_id in withheld_ids:
            for name in (record_id, record_id.lower()):
                for candidate in (folder / name, folder / f"{name}.html"):
                    if candidate.exists() and candidate not in found:
                        found.append(candidate)
    return found
