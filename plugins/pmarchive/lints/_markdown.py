"""Where code and headings sit in Markdown, so phrase and heading rules can look past code."""

from __future__ import annotations

import re
from functools import lru_cache

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _code_ranges(text: str, *, inline: bool) -> list[tuple[int, int]]:
    """Offsets of fenced code blocks (fences included) and, if asked, inline code spans."""
    ranges: list[tuple[int, int]] = []
    if "`" not in text and "~~~" not in text:
        return ranges  # no fence and no code span can open
    fence: str | None = None
    fence_start = 0
    pos = 0
    for line in text.split("\n"):
        content = line.rstrip("\r")
        match = _FENCE.fullmatch(content)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, fence_start = match.group(1), pos
            elif inline and "`" in line:
                ranges.extend((pos + m.start(), pos + m.end()) for m in _INLINE_CODE.finditer(line))
        elif (
            match
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not match.group(2).strip()
        ):
            ranges.append((fence_start, pos + len(line)))
            fence = None
        pos += len(line) + 1
    if fence is not None:
        ranges.append((fence_start, len(text)))
    return ranges


@lru_cache(maxsize=8)
def blank_code(text: str, *, inline: bool) -> str:
    """``text`` with code replaced by spaces, so offsets, lines and columns stay the same.

    Cached: the rules of one record ask for the same body's prose several times.
    """
    ranges = _code_ranges(text, inline=inline)
    if not ranges:
        return text
    chars = list(text)
    for start, end in ranges:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")


@lru_cache(maxsize=8)
def heading_positions(prose: str) -> tuple[tuple[int, int, str], ...]:
    """(offset, level, title) of every ATX or setext heading of ``prose``, a text whose code is
    already blanked (see ``blank_code``), in order. Cached like ``blank_code``."""
    found: list[tuple[int, int, str]] = []
    raw = prose.split("\n")
    lines = [line.rstrip("\r") for line in raw]
    starts = []
    offset = 0
    for line in raw:
        starts.append(offset)
        offset += len(line) + 1
    for index, line in enumerate(lines):
        # an ATX heading holds a "#", a setext underline a "=" or a "-"
        atx = _ATX.fullmatch(line) if "#" in line else None
        if atx:
            found.append((starts[index], len(atx.group(1)), (atx.group(2) or "").strip()))
            continue
        if "=" not in line and "-" not in line:
            continue
        underline = _SETEXT.fullmatch(line)
        previous = lines[index - 1] if index else ""
        if underline and previous.strip() and not _ATX.fullmatch(previous):
            level = 1 if underline.group(1)[0] == "=" else 2
            found.append((starts[index - 1], level, previous.strip()))
    return tuple(found)
