"""Reading archive files as text and splitting Markdown front-matter from the body."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator
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


def read_text(path: Path, max_bytes: int | None = None) -> str:
    """The file as text; more than ``max_bytes`` is refused without reading the rest."""
    try:
        with path.open("rb") as handle:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        raise SourceProblem(1, f"cannot read file: {exc.strerror or exc}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise SourceProblem(1, f"file is more than {max_bytes} bytes; it is not read")
    return decode(data)


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@functools.lru_cache(maxsize=1024)
def _real_folder(folder: Path) -> Path:
    """Where ``folder`` really is, every link followed; remembered for one listing of files
    (``markdown_files`` forgets them, so a folder swapped for a link is seen on the next)."""
    return folder.resolve(strict=True)


def check_file(path: Path, root: Path) -> int:
    """The size of ``path`` if it may be read; otherwise a SourceProblem, and it is never opened.

    A file is read only when it is a regular file whose real location (after following every
    symbolic link, its own and its folders') is inside ``root``: a link to ``/etc/passwd`` or to
    a file elsewhere on the machine is refused, and so are pipes and devices (reading a pipe
    waits forever). The message names the link, never its target or the target's content.
    """
    try:
        is_link = path.is_symlink()
        # a file that is not a link is where its folder really is: resolve each folder once
        target = _real_folder(path.parent) / path.name if not is_link else path.resolve(strict=True)
        info = target.stat()
    except (OSError, RuntimeError):
        raise SourceProblem(
            1, "is a symbolic link that leads nowhere (broken, or a loop); replace it with the file"
        ) from None
    if not target.is_relative_to(_real_folder(root)):
        raise SourceProblem(
            1,
            "is a symbolic link (or inside a linked folder) that leads outside the archive; it "
            "is not read: put the file itself in the archive",
        )
    for test, kind in _KINDS:
        if test(info.st_mode):
            linked = " linked here" if is_link else ""
            raise SourceProblem(1, f"is {kind}{linked}, not a regular file; it is not read")
    return info.st_size


def markdown_files(folder: Path, suffix: str = ".md") -> Iterator[Path]:
    """Every entry under ``folder`` whose name ends with ``suffix`` ("" for all), in a stable
    order, links and odd files included.

    Linked folders are listed, not entered, so ``check_file`` can refuse them by name instead of
    their records silently going missing (or being read twice).
    """
    _real_folder.cache_clear()
    found: list[Path] = []
    for current, dirs, files in os.walk(folder, followlinks=False):
        base = Path(current)
        found += [base / name for name in files if name.endswith(suffix)]
        found += [base / name for name in dirs if (base / name).is_symlink()]
    yield from sorted(found)


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
