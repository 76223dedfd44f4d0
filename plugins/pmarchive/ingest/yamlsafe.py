"""Strict YAML loading that remembers where every value came from.

Front-matter is small and hand-written, so we refuse the parts of YAML that only cause harm there:
anchors and aliases (alias bombs, values changing at a distance), language tags such as
``!!python/object``, and duplicate keys (YAML silently keeps the last). Size and nesting are capped
*before* the parser runs, because libyaml crashes on deeply nested flow collections.

Front-matter is parsed by libyaml when PyYAML has it: one pass over its events refuses what is
refused and builds the values and their lines directly (``_EventReader``). PyYAML's own parser
and composer (``_StrictLoader``) read a file when PyYAML has no libyaml, and a file libyaml
finds is not valid YAML, so a YAML error is always worded and located as PyYAML words it. The
two agree on every valid document, except that libyaml also reads a few things PyYAML refuses:
a tab inside a plain value, and '?' inside a word in a flow list (``[pl?tform]``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32

LIBYAML: bool = getattr(yaml, "__with_libyaml__", False)
"""PyYAML was built with libyaml: front-matter is parsed in C, values built in Python."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
}


class YamlProblem(Exception):
    """A problem that stops a YAML document from being read at all."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ScalarSource:
    """How a scalar was written, so coercions can be explained in the author's own terms."""

    raw: str
    plain: bool  # unquoted: subject to YAML 1.1's implicit typing


@dataclass(frozen=True)
class InvalidScalar:
    """A scalar YAML recognised (say, as a timestamp) but could not build (2026-13-45)."""

    raw: str
    reason: str


@dataclass(frozen=True)
class InvalidNumber:
    """A number written in a form we refuse: NaN, infinity, too large, or not plain decimal.

    YAML 1.1 reads ``.nan``, ``.inf``, ``0x3``, ``0b101``, ``0755``, ``1:20`` and ``1_000`` as
    numbers the author may not have meant; NaN and infinity are not even valid JSON.
    """

    raw: str
    value: int | float
    """What YAML reads it as (infinity when the digits are too many to read at all)."""
    reason: str
    """The located message: what YAML made of it and the plain number to write instead."""


LARGEST_NUMBER = 2**53 - 1
"""The largest number every consumer of the JSON export (JavaScript included) keeps exactly."""

PLAIN_HINT = "write a plain number, e.g. 1000"


def number_problem(raw: str, value: int | float) -> str | None:
    """Why ``raw`` (which YAML read as ``value``) is not a plain decimal number, or None."""
    text = raw.strip()
    sign = text[0] if text[:1] in "+-" else ""
    body = text.lstrip("+-").lower()
    if isinstance(value, float) and math.isnan(value):
        return f"{raw} is not a number (YAML reads it as NaN); {PLAIN_HINT}"
    if isinstance(value, float) and math.isinf(value):
        if "inf" in body:
            return f"{raw} is infinity; {PLAIN_HINT}"
        return f"{raw} is too large to be stored as a number; {PLAIN_HINT}"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if body.startswith(("0x", "0b")):
        base = "hexadecimal" if body.startswith("0x") else "binary"
        return f"YAML reads {raw} as {base} ({shown}); write a plain number, e.g. {shown}"
    if ":" in body:
        return (
            f"YAML 1.1 reads {raw} as a base-60 number ({shown}); write a plain number, "
            f"e.g. {shown}, or quote it if it is text"
        )
    if "_" in body:
        return (
            f"YAML reads {raw} as {shown} (underscores are dropped); write a plain number, "
            f"e.g. {shown}"
        )
    if isinstance(value, int) and len(body) > 1 and body.startswith("0"):
        digits = sign + (body.lstrip("0") or "0")
        return (
            f"YAML 1.1 reads {raw} as octal ({shown}); write a plain number, e.g. {digits} "
            "(no leading zero)"
        )
    if abs(value) > LARGEST_NUMBER:
        return f"{raw} is larger than {LARGEST_NUMBER}, the largest number kept exactly"
    return None


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


@dataclass
class Located:
    """A loaded document with the file line of every node and the source of every scalar."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)
    scalars: dict[Path, ScalarSource] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    comment_cuts: dict[Path, Problem] = field(default_factory=dict)
    """Plain scalars that YAML ended at a `` #`` on their line (the rest became a comment), with
    the line and the quoted value to write instead; a warning for text fields, where a ``#`` is
    far more often part of the text (``title: Outage #42``) than a comment."""

    def line_of(self, path: Path, default: int = 1) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), default)


def _label(path: Path) -> str:
    """``action_items[0].title`` for a path, as validation names nested fields."""
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else part)
    return label


def _double_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _as_written(path: Path, value: str) -> str:
    """The line an author should write: ``title: "..."`` (or ``- "..."`` for a list item)."""
    key = path[-1] if path else None
    return (
        f"{key}: {_double_quoted(value)}" if isinstance(key, str) else f"- {_double_quoted(value)}"
    )


_COMMENT_AFTER = re.compile(r"[ \t]+#")


class _Source:
    """The raw lines of the text, split only when a located hint needs them."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        # a comment after a plain scalar needs whitespace before '#'; most front-matter has none
        self.may_cut = " #" in text or "\t#" in text
        self._lines: list[str] | None = None

    def line(self, index: int) -> str:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines[index] if index < len(self._lines) else ""

    def comment_cut(self, path: Path, value: str, end: Any, out: Located) -> None:
        """Record a plain scalar whose line goes on with `` #...`` after it: a cut comment."""
        rest = self.line(end.line)[end.column :]
        if _COMMENT_AFTER.match(rest) is None:
            return
        meant = (value + rest).strip()
        out.comment_cuts[path] = Problem(
            self.first_line + end.line,
            _label(path),
            "the text after ' #' was read as a YAML comment; quote the value: "
            + _as_written(path, meant),
        )


# Scalar constructors that are plain functions of the node (not generators), called directly:
# the same result as ``construct_object`` without its bookkeeping.
_SCALAR_CONSTRUCTORS = {
    tag: yaml.SafeLoader.yaml_constructors[tag] for tag in (_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP)
}


def _scalar_value(loader: Any, node: ScalarNode) -> Any:
    """The value of one scalar node, or InvalidNumber / InvalidScalar for one we refuse."""
    if node.tag == _STR:
        return node.value
    is_number = node.tag in (_INT, _FLOAT)
    try:
        direct = _SCALAR_CONSTRUCTORS.get(node.tag)
        if direct is not None:
            value = direct(loader, node)
        else:
            value = loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.constructor.ConstructorError) as exc:
        if is_number:  # more digits than Python reads into an int
            too_long = f"{node.value[:20]}... has more digits than any number here may have"
            return InvalidNumber(node.value, math.inf, f"{too_long}; {PLAIN_HINT}")
        reason = getattr(exc, "problem", None) or str(exc)
        return InvalidScalar(node.value, str(reason))
    if isinstance(value, int | float) and not isinstance(value, bool):
        problem = number_problem(node.value, value)
        if problem is not None:
            return InvalidNumber(node.value, value, problem)
    return value


def _key_value(loader: Any, key_node: ScalarNode, key_line: int) -> str:
    """A mapping key as a name, or a YamlProblem saying what YAML read it as."""
    try:
        key = loader.construct_object(key_node)
    except (ValueError, OverflowError, yaml.YAMLError):
        # '<<' (a merge key), '=', '!!int name' or an impossible date: never a field name
        shown = str(key_node.tag).replace("tag:yaml.org,2002:", "!!")
        raise YamlProblem(
            key_line,
            f"key {key_node.value!r} is not a plain name (YAML reads it as {shown}); "
            f"quote it: '{key_node.value}'",
        ) from None
    if not isinstance(key, str):
        hint = f"; quote it: '{key_node.value}'" if not key_node.style else ""
        raise YamlProblem(
            key_line,
            f"key {key_node.value!r} is read by YAML as {_describe(key)}, not a name{hint}",
        )
    return key


def _refusal(event: yaml.Event, line: int) -> YamlProblem | None:
    """Anchors, aliases and tags beyond plain data are refused where they are written."""
    if isinstance(event, yaml.AliasEvent):
        return YamlProblem(
            line,
            f"YAML alias '*{event.anchor}' is not allowed in front-matter; "
            "write the value out in full",
        )
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        return YamlProblem(
            line,
            f"YAML anchor '&{anchor}' is not allowed in front-matter; write values out in full",
        )
    tag = getattr(event, "tag", None)
    if tag not in (None, "!") and tag not in _STANDARD_TAGS:
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        return YamlProblem(
            line, f"YAML tag '{shown}' is not allowed; front-matter holds plain data only"
        )
    return None


def _duplicate(key: str, key_line: int, path: Path, out: Located) -> Problem:
    return Problem(
        key_line,
        key,
        f"duplicate key '{key}' (first on line {out.lines[(*path, key)]}); "
        "YAML would silently keep only the last one",
    )


# --- the size and nesting caps, before any parser ------------------------------------------

_SHAPE_MARKS = re.compile(r"[\"'\[\]{}#]")


def check_shape(text: str, first_line: int, max_bytes: int, max_depth: int) -> None:
    """Refuse oversized or absurdly nested text before any parser sees it.

    This is a cap, not a parser: it counts flow brackets outside quotes and comments, and block
    indentation, which is enough to stop the inputs that exhaust a YAML parser's stack. It jumps
    from one bracket, quote or '#' to the next (the per-character walk, ``_check_shape_by_char``,
    is the definition, and still runs when some line is indented deeper than the cap allows).
    """
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise YamlProblem(first_line, f"front-matter is {size} bytes; the limit is {max_bytes}")
    if re.search(rf"^[ -]{{{2 * max_depth + 1}}}", text, re.MULTILINE):
        _check_shape_by_char(text, first_line, max_depth)
        return
    depth = 0
    quote: str | None = None
    pos = 0
    while True:
        if quote is not None:
            at = text.find(quote, pos)
            if at < 0:
                return
            if text[at - 1] != "\\":  # at > pos - 1 >= the opening quote, so at >= 1
                quote = None
            pos = at + 1
            continue
        found = _SHAPE_MARKS.search(text, pos)
        if found is None:
            return
        at = found.start()
        ch = text[at]
        prev = text[at - 1] if at and text[at - 1] != "\n" else " "
        pos = at + 1
        if ch in "'\"":
            if prev in " \t[{,:-":
                quote = ch
        elif ch == "#":
            if prev in " \t":
                pos = text.find("\n", at)
                if pos < 0:
                    return
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                line = first_line + text.count("\n", 0, at)
                raise YamlProblem(line, f"front-matter is nested more than {max_depth} levels deep")
        else:
            depth = max(0, depth - 1)


def _check_shape_by_char(text: str, first_line: int, max_depth: int) -> None:
    too_deep = f"front-matter is nested more than {max_depth} levels deep"
    depth = 0
    quote: str | None = None
    for offset, line_text in enumerate(text.split("\n")):
        line = first_line + offset
        stripped = line_text.lstrip(" -")
        if quote is None and len(line_text) - len(stripped) > 2 * max_depth:
            raise YamlProblem(line, too_deep)
        prev = " "
        for ch in line_text:
            if quote is not None:
                if ch == quote and prev != "\\":
                    quote = None
            elif ch in "'\"" and prev in " \t[{,:-":
                quote = ch
            elif ch == "#" and prev in " \t":
                break
            elif ch in "[{":
                depth += 1
                if depth > max_depth:
                    raise YamlProblem(line, too_deep)
            elif ch in "]}":
                depth = max(0, depth - 1)
            prev = ch


# --- loading ---------------------------------------------------------------------------------

Engine = Literal["libyaml", "python"]
ENGINES: tuple[Engine, ...] = ("libyaml", "python") if LIBYAML else ("python",)
"""The loaders this installation has: PyYAML built without libyaml has only the Python one."""


def load_located(
    text: str,
    *,
    first_line: int = 1,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    engine: Engine | None = None,
) -> Located:
    """Parse one YAML document; ``first_line`` is the file line of the text's first line.

    ``engine`` picks the parser (libyaml when PyYAML has it, else PyYAML's own); both give the
    same values, lines, hints and problems. Sizes and nesting are checked first, either way.
    """
    check_shape(text, first_line, max_bytes, max_depth)
    source = _Source(text, first_line)
    if (engine or ENGINES[0]) == "libyaml" and LIBYAML:
        located = _load_libyaml(source)
        if located is not None:
            return located
    return _load_python(source)


def _load_libyaml(source: _Source) -> Located | None:
    """One pass over libyaml's events, or None when libyaml finds the text is not valid YAML:
    PyYAML then reads it again, so the message and line are the ones PyYAML gives (libyaml
    words its errors differently, and a broken file is rare enough to be read twice)."""
    loader = yaml.CSafeLoader(source.text)
    try:
        return _EventReader(loader, source).document()
    except yaml.YAMLError:
        return None
    except RecursionError:
        raise YamlProblem(source.first_line, "front-matter is nested too deeply") from None
    finally:
        loader.dispose()


class _EventReader:
    """Builds the Located value straight from parser events: the node tree PyYAML's composer
    would build is never made. Composition problems (anchors, aliases, tags) stop the reading
    at once; problems found while building values (a key that is not a name) wait until the
    whole document has parsed, because PyYAML composes the document before it builds values,
    so a YAML error further down wins over them."""

    def __init__(self, loader: Any, source: _Source) -> None:
        self.loader = loader
        self.get = loader.get_event
        self.source = source
        self.first = source.first_line
        self.out = Located(value=None)
        self.deferred: YamlProblem | None = None

    def document(self) -> Located:
        get = self.get
        get()  # stream start
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            self.out.lines[()] = self.first
            return self.out
        value = self.node(get(), (), False)
        get()  # document end
        if not isinstance(get(), yaml.StreamEndEvent):
            raise yaml.YAMLError("more than one document")  # PyYAML words this one
        if self.deferred is not None:
            raise self.deferred
        self.out.value = value
        return self.out

    def node(self, event: Any, path: Path, skip: bool) -> Any:
        """The value of the node ``event`` starts; ``skip`` consumes it without keeping
        anything (the value of a duplicate key, or anything after a deferred problem)."""
        line = self.first + event.start_mark.line
        kind = type(event)
        if kind is not yaml.ScalarEvent or event.anchor is not None or event.tag is not None:
            refused = _refusal(event, line)
            if refused is not None:
                raise refused
        skip = skip or self.deferred is not None
        out = self.out
        if kind is yaml.ScalarEvent:
            if skip:
                return None
            out.lines[path] = line
            style = event.style or None
            out.scalars[path] = ScalarSource(raw=event.value, plain=style is None)
            if style is None and self.source.may_cut:
                self.source.comment_cut(path, event.value, event.end_mark, out)
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
            if tag == _STR:
                return event.value
            return _scalar_value(self.loader, _scalar_node(event, tag))
        if kind is yaml.SequenceStartEvent:
            if not skip:
                out.lines[path] = line
            items: list[Any] = []
            get = self.get
            event = get()
            while type(event) is not yaml.SequenceEndEvent:
                items.append(self.node(event, (*path, len(items)), skip))
                event = get()
            return items
        if kind is yaml.MappingStartEvent:
            if not skip:
                out.lines[path] = line
            return self.mapping(path, skip)
        raise yaml.YAMLError(f"unexpected {kind.__name__}")  # PyYAML words this one

    def mapping(self, path: Path, skip: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        get = self.get
        event = get()
        while type(event) is not yaml.MappingEndEvent:
            key_line = self.first + event.start_mark.line
            key = self.key(event, key_line, skip or self.deferred is not None)
            if key is None:  # not a name (deferred), or skipped
                self.node(get(), (), True)
            elif key in result:
                if not (skip or self.deferred is not None):
                    self.out.problems.append(_duplicate(key, key_line, path, self.out))
                self.node(get(), (), True)
            else:
                result[key] = self.node(get(), (*path, key), skip)
                if not skip:
                    self.out.lines[(*path, key)] = key_line
            event = get()
        return result

    def key(self, event: Any, key_line: int, skip: bool) -> str | None:
        """The name a key event gives, or None (skipped, or not a name: then deferred)."""
        refused = _refusal(event, key_line)
        if refused is not None:
            raise refused
        if not isinstance(event, yaml.ScalarEvent):
            self.node(event, (), True)
            if not skip:
                self.deferred = YamlProblem(
                    key_line, "a mapping key must be a plain name, not a collection"
                )
            return None
        if skip:
            return None
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return str(event.value)
        node = _scalar_node(event, tag)
        try:
            return _key_value(self.loader, node, key_line)
        except YamlProblem as problem:
            self.deferred = problem
            return None


def _scalar_node(event: Any, tag: str) -> ScalarNode:
    """The node PyYAML's composer would make of a scalar event (libyaml says '' for plain)."""
    return ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style or None)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and non-standard tags while composing."""

    first_line = 1

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        refused = _refusal(event, self.first_line + event.start_mark.line)
        if refused is not None:
            raise refused
        return super().compose_node(parent, index)


def _load_python(source: _Source) -> Located:
    """PyYAML's own parser and composer, then the values built from the node tree."""
    first_line = source.first_line
    loader = _StrictLoader(source.text)
    loader.first_line = first_line
    try:
        node = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        hint = _colon_hint(source, exc) if mark is not None else None
        if hint is not None:
            raise YamlProblem(line, hint) from None
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise YamlProblem(line, f"invalid YAML: {what}{context}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(first_line, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(first_line, "front-matter is nested too deeply") from None
    finally:
        loader.dispose()
    located = Located(value=None)
    if node is None:
        located.lines[()] = first_line
        return located
    located.value = _construct(loader, node, (), located, source)
    return located


# key: value, where the value (not the key) holds the ': ' YAML stopped at
_KEY_VALUE = re.compile(r"^[ \t]*(?:-[ \t]+)*(?P<key>[^\s'\"#\[\]{}&*!|>%@`-][^:#]*?):[ \t]+")


def _colon_hint(source: _Source, exc: yaml.MarkedYAMLError) -> str | None:
    """``title: Outage: DB down`` is not a mapping inside a mapping: say to quote the value."""
    mark = exc.problem_mark
    if mark is None or exc.problem != "mapping values are not allowed here":
        return None
    line_text = source.line(mark.line)
    found = _KEY_VALUE.match(line_text)
    if found is None or mark.column < found.end() or line_text[found.end() :][:1] in "'\"[{&*!|>":
        return None
    value = line_text[found.end() :].rstrip()
    return f"this value contains ': '; quote it: {found['key'].rstrip()}: {_double_quoted(value)}"


def _construct(
    loader: yaml.SafeLoader, node: Node, path: Path, out: Located, source: _Source
) -> Any:
    line = source.first_line + node.start_mark.line
    out.lines[path] = line
    if isinstance(node, ScalarNode):
        out.scalars[path] = ScalarSource(raw=node.value, plain=node.style is None)
        if node.style is None and source.may_cut:
            source.comment_cut(path, node.value, node.end_mark, out)
        return _scalar_value(loader, node)
    if isinstance(node, SequenceNode):
        return [
            _construct(loader, item, (*path, i), out, source) for i, item in enumerate(node.value)
        ]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = source.first_line + key_node.start_mark.line
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem(key_line, "a mapping key must be a plain name, not a collection")
            key = _key_value(loader, key_node, key_line)
            if key in result:
                out.problems.append(_duplicate(key, key_line, path, out))
                continue
            result[key] = _construct(loader, value_node, (*path, key), out, source)
            out.lines[(*path, key)] = key_line
        return result
    raise YamlProblem(line, f"unsupported YAML node {type(node).__name__}")


def _describe(value: Any) -> str:
    """How a coerced value reads to a person: 'boolean false', 'the integer 493'."""
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


describe = _describe
