"""The strict located YAML loader: libyaml's and PyYAML's readings agree value for value and line
for line, refuse the same things at the same lines, and explain the two quoting mistakes."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import yaml

from pmarchive.ingest import yamlsafe
from pmarchive.ingest.yamlsafe import (
    ENGINES,
    InvalidNumber,
    InvalidScalar,
    Located,
    YamlProblem,
    check_shape,
    load_located,
)

FIRST = 2  # the file line of the front-matter's first line (line 1 is the '---' fence)


def load(text: str, engine: str) -> Located:
    return load_located(text, first_line=FIRST, engine=engine)  # type: ignore[arg-type]


def problem(text: str, engine: str) -> tuple[int, str]:
    with pytest.raises(YamlProblem) as caught:
        load(text, engine)
    return caught.value.line, caught.value.message


def summary(doc: Located) -> tuple[Any, ...]:
    """Everything a loader returns, in plain values, so two loaders' results compare."""
    return (
        doc.value,
        doc.lines,
        {path: (s.raw, s.plain) for path, s in doc.scalars.items()},
        [(p.line, p.field, p.message) for p in doc.problems],
        {path: (p.line, p.field, p.message) for path, p in doc.comment_cuts.items()},
    )


def test_libyaml_is_the_loader_here() -> None:
    # the speed of `pmarchive check` depends on it; without libyaml only "python" is offered
    assert yaml.__with_libyaml__
    assert ENGINES == ("libyaml", "python")


# --- values and lines --------------------------------------------------------------------------

DOCUMENTS: list[tuple[str, str, Any, dict[tuple[str | int, ...], int]]] = [
    (
        "scalars of every kind",
        "id: INC-1\nsev: 2\nratio: 0.5\nok: true\nnone: ~\nday: 2026-05-29\n"
        "at: 2026-05-29T10:00:00Z\nquoted: '2'\n",
        {
            "id": "INC-1",
            "sev": 2,
            "ratio": 0.5,
            "ok": True,
            "none": None,
            "day": dt.date(2026, 5, 29),
            "at": dt.datetime(2026, 5, 29, 10, 0, tzinfo=dt.timezone.utc),
            "quoted": "2",
        },
        {(): 2, ("id",): 2, ("sev",): 3, ("ratio",): 4, ("ok",): 5, ("none",): 6, ("day",): 7},
    ),
    (
        "block list of mappings",
        "items:\n  - id: AI-1\n    due: 2026-06-01\n  -\n    id: AI-2\n",
        {"items": [{"id": "AI-1", "due": dt.date(2026, 6, 1)}, {"id": "AI-2"}]},
        {("items",): 2, ("items", 0): 3, ("items", 0, "id"): 3, ("items", 0, "due"): 4},
    ),
    (
        "flow collections keep each item's line",
        "teams: [a,\n  b]\nmap: {x: 1,\n  y: [2]}\n",
        {"teams": ["a", "b"], "map": {"x": 1, "y": [2]}},
        {("teams", 0): 2, ("teams", 1): 3, ("map", "x"): 4, ("map", "y"): 5, ("map", "y", 0): 5},
    ),
    (
        "block scalars and a folded plain value",
        "body: |\n  one\n  two\nfolded: >\n  a\n  b\nplain: a\n  b\n",
        {"body": "one\ntwo\n", "folded": "a b\n", "plain": "a b"},
        {("body",): 2, ("folded",): 5, ("plain",): 8},
    ),
    (
        "empty values and an empty list item",
        "a:\nb: []\nc:\n  -\n  - x\n",
        {"a": None, "b": [], "c": [None, "x"]},
        {("a",): 2, ("b",): 3, ("c",): 4, ("c", 0): 5, ("c", 1): 6},
    ),
    ("empty document", "", None, {(): 2}),
    ("comments only", "# nothing here\n", None, {(): 2}),
    ("a bare scalar", "hello\n", "hello", {(): 2}),
    ("non-specific tag", "n: ! 12\n", {"n": 12}, {("n",): 2}),
    ("standard tags are plain data", "n: !!str 12\nm: !!int '7'\n", {"n": "12", "m": 7}, {}),
    ("accents count as one column", "t: Café\n", {"t": "Café"}, {("t",): 2}),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "value", "lines"),
    [d[1:] for d in DOCUMENTS],
    ids=[d[0] for d in DOCUMENTS],
)
def test_values_and_lines(
    engine: str, text: str, value: Any, lines: dict[tuple[str | int, ...], int]
) -> None:
    doc = load(text, engine)
    assert doc.value == value
    assert {path: doc.lines[path] for path in lines} == lines
    assert summary(doc) == summary(load(text, "python"))


@pytest.mark.parametrize("engine", ENGINES)
def test_plain_and_quoted_sources(engine: str) -> None:
    doc = load("a: 0755\nb: '0755'\nc: \"x\"\nd: |\n  y\n", engine)
    assert {k[0]: (s.raw, s.plain) for k, s in doc.scalars.items()} == {
        "a": ("0755", True),
        "b": ("0755", False),
        "c": ("x", False),
        "d": ("y\n", False),
    }


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "kind", "raw"),
    [
        ("n: 0x1F\n", InvalidNumber, "0x1F"),
        ("n: .nan\n", InvalidNumber, ".nan"),
        ("n: 1:20\n", InvalidNumber, "1:20"),
        ("n: " + "9" * 5000 + "\n", InvalidNumber, "9" * 5000),
        ("d: 2026-13-45\n", InvalidScalar, "2026-13-45"),
    ],
    ids=["hexadecimal", "nan", "base-60", "too many digits", "impossible date"],
)
def test_refused_scalars_are_values_not_errors(
    engine: str, text: str, kind: type, raw: str
) -> None:
    (value,) = load(text, engine).value.values()
    assert isinstance(value, kind)
    assert value.raw == raw


def test_both_loaders_agree_with_pyyaml_on_the_example_shapes() -> None:
    text = (
        "id: INC-2026-05-29-001\ntitle: Checkout errors\nsev: 2\ncause_class: [cache-stampede]\n"
        "action_items:\n  - {id: AI-1, title: Coalesce, status: open, due: 2026-06-30}\n"
    )
    expected = yaml.safe_load(text)
    assert [load(text, engine).value for engine in ENGINES] == [expected] * len(ENGINES)


# --- refusals, each at its own line -----------------------------------------------------------

REFUSED: list[tuple[str, str, int, str]] = [
    (
        "anchor",
        "a: 1\nb: &s hello\n",
        3,
        "YAML anchor '&s' is not allowed in front-matter; write values out in full",
    ),
    (
        "anchor on a list",
        "a: &l\n  - 1\n",
        2,
        "YAML anchor '&l' is not allowed in front-matter; write values out in full",
    ),
    (
        "alias",
        "a: 1\nb:\n  - *s\n",
        4,
        "YAML alias '*s' is not allowed in front-matter; write the value out in full",
    ),
    (
        "language tag",
        "a: 1\nb: !!python/object:os.system x\n",
        3,
        "YAML tag '!!python/object:os.system' is not allowed; front-matter holds plain data only",
    ),
    (
        "local tag on a key",
        "!x a: 1\n",
        2,
        "YAML tag '!x' is not allowed; front-matter holds plain data only",
    ),
    (
        "binary is not plain data",
        "a: !!binary aGk=\n",
        2,
        "YAML tag '!!binary' is not allowed; front-matter holds plain data only",
    ),
    (
        "a date as a key",
        "a: 1\n2026-01-01: x\n",
        3,
        "key '2026-01-01' is read by YAML as the date 2026-01-01, not a name; "
        "quote it: '2026-01-01'",
    ),
    (
        "a boolean as a key",
        "on: x\n",
        2,
        "key 'on' is read by YAML as boolean true, not a name; quote it: 'on'",
    ),
    (
        "a list as a key",
        "a: 1\n? [x]\n: y\n",
        3,
        "a mapping key must be a plain name, not a collection",
    ),
    (
        "a merge key",
        "<<: {a: 1}\n",
        2,
        "key '<<' is not a plain name (YAML reads it as !!merge); quote it: '<<'",
    ),
    (
        "unclosed flow sequence",
        "teams: [checkout, pricing\nsev: 2\n",
        3,
        "invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence)",
    ),
    (
        "a YAML error after a bad key still wins, as PyYAML composes first",
        "2026-01-01: x\nb: [1\n",
        4,
        "invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
    ),
    (
        "a second document",
        "a: 1\n...\nb: 2\n",
        4,
        "invalid YAML: expected '<document start>', but found '<block mapping start>'",
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "line", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused_at_its_line(engine: str, text: str, line: int, message: str) -> None:
    assert problem(text, engine) == (line, message)


@pytest.mark.parametrize("engine", ENGINES)
def test_duplicate_keys(engine: str) -> None:
    doc = load("title: A\nitems:\n  - x: 1\n    x: 2\ntitle:\n  nested: [1, 2]\n", engine)
    assert doc.value == {"title": "A", "items": [{"x": 1}]}
    assert [(p.line, p.field, p.message) for p in doc.problems] == [
        (
            5,
            "x",
            "duplicate key 'x' (first on line 4); YAML would silently keep only the last one",
        ),
        (
            6,
            "title",
            "duplicate key 'title' (first on line 2); YAML would silently keep only the last one",
        ),
    ]
    # the value YAML would have kept is not read at all, so nothing points into it
    assert ("title", "nested") not in doc.lines


@pytest.mark.parametrize("engine", ENGINES)
def test_an_anchor_inside_a_duplicate_value_is_still_refused(engine: str) -> None:
    assert problem("title: A\ntitle:\n  nested: &a 1\n", engine) == (
        4,
        "YAML anchor '&a' is not allowed in front-matter; write values out in full",
    )


# --- hint: a plain value cut at ' #' ------------------------------------------------------------

CUT = "the text after ' #' was read as a YAML comment; quote the value: "

COMMENT_CUTS: list[tuple[str, str, Any, dict[tuple[str | int, ...], tuple[int, str, str]]]] = [
    (
        "title cut at an issue number",
        "id: INC-1\ntitle: Outage #42 in checkout\n",
        {"id": "INC-1", "title": "Outage"},
        {("title",): (3, "title", CUT + 'title: "Outage #42 in checkout"')},
    ),
    (
        "quotes and backslashes in the text are escaped",
        'summary: The "cache" \\ layer  # of pricing\n',
        {"summary": 'The "cache" \\ layer'},
        {("summary",): (2, "summary", CUT + 'summary: "The \\"cache\\" \\\\ layer  # of pricing"')},
    ),
    (
        "a value that starts with '#' is read as empty",
        "title: #1 incident of the year\n",
        {"title": None},
        {("title",): (2, "title", CUT + 'title: "#1 incident of the year"')},
    ),
    (
        "an entry's field names its place",
        "action_items:\n  - id: AI-1\n    title: Fix #3 first\n",
        {"action_items": [{"id": "AI-1", "title": "Fix"}]},
        {
            ("action_items", 0, "title"): (
                4,
                "action_items[0].title",
                CUT + 'title: "Fix #3 first"',
            )
        },
    ),
    (
        "a list item",
        "lessons:\n  - retry budgets   # per client\n",
        {"lessons": ["retry budgets"]},
        {("lessons", 0): (3, "lessons[0]", CUT + '- "retry budgets   # per client"')},
    ),
    (
        "a folded plain value, cut on its last line",
        "summary: first line\n  second #2\n",
        {"summary": "first line second"},
        {("summary",): (3, "summary", CUT + 'summary: "first line second #2"')},
    ),
    ("quoted text keeps its '#'", "title: 'Outage #42'  # ok\n", {"title": "Outage #42"}, {}),
    (
        "'#' inside a word is text",
        "title: C# service, issue#4\n",
        {"title": "C# service, issue#4"},
        {},
    ),
    ("a comment after a list", "teams: [a, b]  # owners\n", {"teams": ["a", "b"]}, {}),
    ("a comment on its own line", "# note\ntitle: A\n", {"title": "A"}, {}),
    ("a comment after a block", "teams:  # owners\n  - a\n", {"teams": ["a"]}, {}),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "value", "cuts"), [c[1:] for c in COMMENT_CUTS], ids=[c[0] for c in COMMENT_CUTS]
)
def test_plain_values_cut_at_a_comment(
    engine: str,
    text: str,
    value: Any,
    cuts: dict[tuple[str | int, ...], tuple[int, str, str]],
) -> None:
    doc = load(text, engine)
    assert doc.value == value
    assert {path: (p.line, p.field, p.message) for path, p in doc.comment_cuts.items()} == cuts


@pytest.mark.parametrize("engine", ENGINES)
def test_no_comment_cut_is_recorded_for_a_skipped_duplicate(engine: str) -> None:
    doc = load("title: A\ntitle: B #2\n", engine)
    assert doc.comment_cuts == {}
    assert len(doc.problems) == 1


# --- hint: ': ' inside a plain value ------------------------------------------------------------

COLONS: list[tuple[str, str, int, str]] = [
    (
        "title",
        "id: INC-1\ntitle: Outage: DB down\n",
        3,
        "this value contains ': '; quote it: title: \"Outage: DB down\"",
    ),
    (
        "in a list entry",
        'action_items:\n  - id: AI-1\n    title: Step 2: drain "eu"\n',
        4,
        'this value contains \': \'; quote it: title: "Step 2: drain \\"eu\\""',
    ),
    (
        "on a list item's first line",
        "action_items:\n  - title: Follow-up: alerts\n",
        3,
        "this value contains ': '; quote it: title: \"Follow-up: alerts\"",
    ),
    (
        "a mis-indented key is not a value with ': '",
        "title: Outage\n  db: down\n",
        3,
        "invalid YAML: mapping values are not allowed here",
    ),
    (
        "after a quoted value, quoting again is no help",
        'title: "Outage": down\n',
        2,
        "invalid YAML: mapping values are not allowed here",
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "line", "message"), [c[1:] for c in COLONS], ids=[c[0] for c in COLONS]
)
def test_colon_inside_a_value(engine: str, text: str, line: int, message: str) -> None:
    assert problem(text, engine) == (line, message)


# --- the caps run before libyaml ---------------------------------------------------------------


class _NoParser:
    """Stands in for libyaml: a test fails if any text reaches it."""

    def __init__(self, text: str) -> None:
        raise AssertionError(f"libyaml was given {len(text)} characters")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("id: x\ntitle: " + "[" * 40_000, 3, "front-matter is nested more than 32 levels deep"),
        (
            "x: " + "{a: " * 40 + "1" + "}" * 40,
            2,
            "front-matter is nested more than 32 levels deep",
        ),
        ("x:\n" + "".join(" " * (2 * n) + "- a:\n" for n in range(40)), 35, "nested more than"),
        ("title: " + "x" * 70_000, 2, "front-matter is 70007 bytes; the limit is 65536"),
    ],
    ids=["40,000 brackets", "nested flow mappings", "deep block indentation", "oversized"],
)
def test_caps_run_before_libyaml_sees_the_text(
    monkeypatch: pytest.MonkeyPatch, text: str, line: int, message: str
) -> None:
    monkeypatch.setattr(yaml, "CSafeLoader", _NoParser)
    with pytest.raises(YamlProblem) as caught:
        load_located(text, first_line=FIRST, engine="libyaml")
    assert caught.value.line == line
    assert message in caught.value.message


def test_without_libyaml_the_python_reader_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsafe, "ENGINES", ("python",))
    monkeypatch.setattr(yaml, "CSafeLoader", _NoParser)
    assert load_located("a: 1\n").value == {"a": 1}


def shape_outcome(check: Any, *args: Any) -> tuple[int, str] | None:
    try:
        check(args[0], 5, *args[1:], 3)
    except YamlProblem as exc:
        return exc.line, exc.message
    return None


SHAPE_PIECES = [
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "\\",
    "#",
    " #",
    "\t",
    "\n",
    "\n  ",
    "- ",
    ":",
    ",",
    "a",
]


@pytest.mark.parametrize("seed", range(20))
def test_the_fast_cap_agrees_with_the_character_walk(seed: int) -> None:
    """The cap jumps between brackets and quotes; ``_check_shape_by_char`` is its definition."""
    rng = random.Random(seed)
    for _ in range(300):
        text = "".join(rng.choice(SHAPE_PIECES) for _ in range(rng.randint(0, 80)))
        assert shape_outcome(check_shape, text, 10**6) == shape_outcome(
            yamlsafe._check_shape_by_char, text
        ), repr(text)


@pytest.mark.skipif("libyaml" not in ENGINES, reason="PyYAML without libyaml")
@pytest.mark.parametrize(
    ("text", "value", "pyyaml_says"),
    [
        (
            "title: a\tb\n",
            {"title": "a\tb"},
            "invalid YAML: found character '\\t' that cannot start any token "
            "(while scanning for the next token)",
        ),
        (
            "teams: [pl?tform]\n",
            {"teams": ["pl?tform"]},
            "invalid YAML: expected ',' or ']', but got '?' (while parsing a flow sequence)",
        ),
    ],
    ids=["tab inside a plain value", "question mark inside a flow item"],
)
def test_what_only_libyaml_reads(text: str, value: Any, pyyaml_says: str) -> None:
    """The one known difference: valid YAML that PyYAML's own scanner refuses; libyaml reads it."""
    assert load(text, "libyaml").value == value
    assert problem(text, "python") == (FIRST, pyyaml_says)
