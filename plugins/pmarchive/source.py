"""Reading archive files as text and splitting Markdown front-matter from the body."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from frontmatter.default_handlers import YAMLHandler


class SourceProblem(Exception):
    """A file that cannot be read as UTF-8 text with front-matter."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def decode(data: bytes) -> str:
    """UTF-8 text with a BOM dropped and CRLF/CR turned into LF, or a located SourceProblem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceProblem(
            line,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; "
            "save the file as UTF-8",
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SourceProblem(line, "contains a NUL byte; is this a binary file?")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceProblem(1, f"cannot read file: {exc.strerror or exc}") from None
    return decode(data)


@dataclass(frozen=True)
class SplitDocument:
    """Front-matter text, the file line it starts on, and the Markdown body."""

    frontmatter: str
    frontmatter_line: int
    body: str
    body_line: int


# python-frontmatter's definition of a YAML fence, so we split exactly as it does.
_FENCE = YAMLHandler.FM_BOUNDARY


def split_frontmatter(text: str) -> SplitDocument:
    """Split at the '---' fences; every line number stays the file's own."""
    if not YAMLHandler().detect(text):
        first = text.lstrip("\n").split("\n", 1)[0][:40]
        found = f" (found '{first}')" if first else " (the file is empty)"
        raise SourceProblem(
            1, f"missing front-matter: the file must start with a '---' line{found}"
        )
    fences = _FENCE.finditer(text)
    opening = next(fences)
    closing = next(fences, None)
    if closing is None:
        raise SourceProblem(1, "front-matter opened on line 1 is never closed by a '---' line")
    fm_start = opening.end()
    fm_line = text.count("\n", 0, fm_start) + 1
    body_start = closing.end()
    if text.startswith("\n", body_start):
        body_start += 1
    return SplitDocument(
        frontmatter=text[fm_start : closing.start()],
        frontmatter_line=fm_line,
        body=text[body_start:],
        body_line=text.count("\n", 0, body_start) + 1,
    )
