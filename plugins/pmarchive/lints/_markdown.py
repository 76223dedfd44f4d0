"""Where code and headings sit in Markdown, so phrase and heading rules can look past code."""

from __future__ import annotations

import re

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _code_ranges(text: str, *, inline: bool) -> list[tuple[int, int]]:
    """Offsets of fenced code blocks (fences included) and, if asked, inline code spans."""
    ranges: list[tuple[int, int]] = []
    fence: str | None = None
    fence_start = 0
    pos = 0
    for line in text.split("\n"):
        content = line.rstrip("\r")
        match = _FENCE.fullmatch(content)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, fence_start = match.group(1), pos
            elif inline:
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


def blank_code(text: str, *, inline: bool) -> str:
    """``text`` with code replaced by spaces, so offsets, lines and columns stay the same."""
    chars = list(text)
    for start, end in _code_ranges(text, inline=inline):
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")


def heading_positions(prose: str) -> list[tuple[int, int, str]]:
    """(offset, level, title) of every ATX or setext heading of ``prose``, a text whose code is
    already blanked (see ``blank_code``), in order."""
    found: list[tuple[int, int, str]] = []
    lines = [line.rstrip("\r") for line in prose.split("\n")]
    starts = []
    offset = 0
    for line in prose.split("\n"):
        starts.append(offset)
        offset += len(line) + 1
    for index, line in enumerate(lines):
        atx = _ATX.fullmatch(line)
        if atx:
            found.append((starts[index], len(atx.group(1)), (atx.group(2) or "").strip()))
            continue
        underline = _SETEXT.fullmatch(line)
        previous = lines[index - 1] if index else ""
        if underline and previous.strip() and not _ATX.fullmatch(previous):
            level = 1 if underline.group(1)[0] == "=" else 2
            found.append((starts[index - 1], level, previous.strip()))
    return found
