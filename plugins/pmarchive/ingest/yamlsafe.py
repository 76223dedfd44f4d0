"""Strict YAML loading that remembers where every value came from.

Front-matter is small and hand-written, so we refuse the parts of YAML that only cause harm there:
anchors and aliases (alias bombs, values changing at a distance), language tags such as
``!!python/object``, and duplicate keys (YAML silently keeps the last). Size and nesting are capped
*before* the parser runs, because libyaml crashes on deeply nested flow collections.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
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

    def line_of(self, path: Path, default: int = 1) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), default)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and non-standard tags while composing."""

    first_line = 1

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = self.first_line + event.start_mark.line
        if isinstance(event, yaml.AliasEvent):
            raise YamlProblem(
                line,
                f"YAML alias '*{event.anchor}' is not allowed in front-matter; "
                "write the value out in full",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlProblem(
                line,
                f"YAML anchor '&{anchor}' is not allowed in front-matter; write values out in full",
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _STANDARD_TAGS:
            shown = str(tag).replace("tag:yaml.org,2002:", "!!")
            raise YamlProblem(
                line, f"YAML tag '{shown}' is not allowed; front-matter holds plain data only"
            )
        return super().compose_node(parent, index)


def check_shape(text: str, first_line: int, max_bytes: int, max_depth: int) -> None:
    """Refuse oversized or absurdly nested text before any parser sees it.

    This is a cap, not a parser: it counts flow brackets outside quotes and comments, and block
    indentation, which is enough to stop the inputs that exhaust a YAML parser's stack.
    """
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise YamlProblem(first_line, f"front-matter is {size} bytes; the limit is {max_bytes}")
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


def load_located(
    text: str,
    *,
    first_line: int = 1,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Located:
    """Parse one YAML document; ``first_line`` is the file line of the text's first line."""
    check_shape(text, first_line, max_bytes, max_depth)
    loader = _StrictLoader(text)
    loader.first_line = first_line
    try:
        node = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark is not None else 0)
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
    located.value = _construct(loader, node, (), located, first_line)
    return located


def _construct(loader: yaml.SafeLoader, node: Node, path: Path, out: Located, first: int) -> Any:
    line = first + node.start_mark.line
    out.lines[path] = line
    if isinstance(node, ScalarNode):
        out.scalars[path] = ScalarSource(raw=node.value, plain=node.style is None)
        is_number = node.tag in (_INT, _FLOAT)
        try:
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
    if isinstance(node, SequenceNode):
        return [
            _construct(loader, item, (*path, i), out, first) for i, item in enumerate(node.value)
        ]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = first + key_node.start_mark.line
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem(key_line, "a mapping key must be a plain name, not a collection")
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                hint = f"; quote it: '{key_node.value}'" if key_node.style is None else ""
                raise YamlProblem(
                    key_line,
                    f"key {key_node.value!r} is read by YAML as {_describe(key)}, not a name{hint}",
                )
            if key in result:
                out.problems.append(
                    Problem(
                        key_line,
                        key,
                        f"duplicate key '{key}' (first on line {out.lines[(*path, key)]}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            result[key] = _construct(loader, value_node, (*path, key), out, first)
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
