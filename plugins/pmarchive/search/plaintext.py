"""Markdown as the words a reader sees: what the index stores, searches and cuts snippets from.

Done once per record at index time (a few regular expressions, tens of microseconds for a
600-word record) rather than per hit at query time: the stored character positions the
snippets are cut by then already point into the plain text.
"""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_QUOTE = re.compile(r"^\s{0,3}(>\s?)+")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_ADMONITION = re.compile(r'^\s*(?:!!!|\?\?\?\+?)\s*[\w-]+(?:\s+"([^"]*)")?\s*$')
_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_ATTRIBUTES = re.compile(r"\{:?\s*[#.][^}]*\}")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_CODE = re.compile(r"(`+)(.+?)\1")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\*)|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")


_ANY_INLINE = re.compile(r"[<\[!`*_~{&]")
"""A character some inline markup starts with: a line without one is left as it is."""
_ANY_BLOCK = re.compile(r"^\s*(?:[#>|=*+\-_!?~`\[]|\d{1,9}[.)]|$)|\|")
"""The start of a line some block markup has, or a table's pipe anywhere."""


def _inline(line: str) -> str:
    if not _ANY_INLINE.search(line):
        return line
    line = _AUTOLINK.sub(r"\1", line)
    line = _TAG.sub("", line)
    line = _IMAGE.sub(r"\1", line)
    line = _FOOTNOTE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _ATTRIBUTES.sub("", line)
    line = _CODE.sub(lambda m: m.group(2).strip(), line)
    line = _STRONG.sub(r"\2", line)
    line = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), line)
    line = _STRIKE.sub(r"\1", line)
    return line


def plain_text(markdown: str) -> str:
    """The text of ``markdown`` without its markup: no heading marks, table pipes, emphasis,
    link syntax, code fences or HTML tags; one line per block line, entities decoded."""
    out: list[str] = []
    fenced = False
    for line in _COMMENT.sub("", markdown).splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:  # code is kept as text (it is searched), without its fences
            out.append(line.strip())
            continue
        if not _ANY_BLOCK.match(line) and not _ANY_INLINE.search(line):
            out.append(line.strip())  # plain prose, most lines of a write-up
            continue
        if _RULE.match(line) or _TABLE_RULE.match(line) or _DEFINITION.match(line):
            continue
        if _SETEXT.match(line) and out and out[-1]:
            continue
        admonition = _ADMONITION.match(line)
        if admonition:
            out.append(admonition.group(1) or "")
            continue
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = _LIST.sub("", _QUOTE.sub("", line))
        if line.lstrip().startswith("|") or line.count("|") >= 2:
            line = "   ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        out.append(html.unescape(_inline(line)).strip())
    return "\n".join(out).strip()
