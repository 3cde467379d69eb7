"""YAML files (scenarios, policies) read as plain data that remembers where each value was written.

The text is composed into PyYAML's node tree with ``SafeLoader`` (no constructor runs, so no tag can execute
code), then turned into dicts, lists, strings and None by hand. Scalars stay strings: the schema decides what
is a number or a yes/no, so ``version: 1.0``, ``label: 85`` or an example answer that reads ``No`` keep what
the author wrote instead of becoming a float or ``False``. Every problem names the file, the line and the
field, because the people who write these files are not programmers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from server.errors import InputError

MAX_PROBLEMS = 20
MAX_VALUES = 100_000
"""Aliases can expand a small file into a huge tree; no real scenario comes near this many values."""

STANDARD = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(STANDARD + t for t in ("str", "int", "float", "bool", "timestamp"))
NULL_TAG = STANDARD + "null"
LABEL_KEYS = ("id", "signal", "kpi", "level")
"""A list item is named by the first of these it has (``competencies[teamwork]``), else by its position."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake: the 1-based line, the field path (may be empty) and what is wrong; expected what."""

    line: int
    path: str
    message: str

    def format(self, source: str) -> str:
        return (
            f"{source}:{self.line}: {self.path}: {self.message}"
            if self.path
            else f"{source}:{self.line}: {self.message}"
        )


class FileProblems(InputError):
    """A data file has mistakes; ``lines`` holds one ``file:line: field: problem`` line per mistake."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        ordered = sorted(dict.fromkeys(problems), key=lambda p: p.line)
        self.source = source
        self.lines = [p.format(source) for p in ordered[:MAX_PROBLEMS]]
        more = len(ordered) - MAX_PROBLEMS
        text = "\n".join(self.lines)
        if more > 0:
            text += f"\n... and {more} more problem{'s' if more > 1 else ''} in {source}"
        super().__init__(text)


def read_text(path: Path, error: type[FileProblems]) -> str:
    """The file as text; a missing file or one that is not UTF-8 is the author's mistake, not a crash."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(source, [Problem(1, "", "no such file; expected the path of a .yaml file")]) from None
    except IsADirectoryError:
        raise error(source, [Problem(1, "", "this is a folder; expected the path of a .yaml file")]) from None
    except OSError as exc:
        raise error(
            source, [Problem(1, "", f"cannot be read ({exc.strerror}); expected a readable file")]
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = "the file is not UTF-8 text; expected the file saved as UTF-8 (in most editors: Save as)"
        raise error(source, [Problem(line, "", message)]) from None


# --- composing ----------------------------------------------------------------------------------------------

_SYNTAX = (
    (
        "expected <block end>",
        "this line is indented differently from the lines above it; expected it to line up exactly with "
        "the other fields of its section (spaces only, the same number as the field above it)",
    ),
    (
        "mapping values are not allowed here",
        "a ':' where no field can start: the line is indented too far, or it is text containing ': '; "
        "expected 'field: value' lined up with the fields around it, or the text in quotes",
    ),
    (
        "could not find expected ':'",
        "a line without 'field: value'; expected a ':' and a space after the field name",
    ),
    (
        "that cannot start any token",
        "a character that cannot start a value here (a tab, or @ or ` at the start); "
        "expected spaces for indentation, and quotes around text that starts with a special character",
    ),
    (
        "found unexpected end of stream",
        "a quote opened here is never closed; expected a matching closing quote",
    ),
    (
        "expected ',' or ']'",
        "a list in [ ] opened here is not closed, or its items are not separated by ','; "
        "expected items separated by ', ' and a closing ']' (text containing ':' or ',' needs quotes)",
    ),
    (
        "expected ',' or '}'",
        "a section in { } opened here is not closed, or its fields are not separated by ','; "
        "expected 'field: value' pairs separated by ', ' and a closing '}' "
        "(text containing ':' or ',' needs quotes)",
    ),
    (
        "found undefined alias",
        "'*name' refers to an anchor '&name' that is not defined above it; "
        "expected '&name' on the value to repeat, earlier in the file",
    ),
    (
        "but found another document",
        "a second document starts here ('---'); expected one document per file",
    ),
    (
        "unknown escape character",
        "an unknown escape (a backslash) inside double quotes; "
        "expected single quotes around text with backslashes",
    ),
    (
        "did not find expected key",
        "this line is indented differently from the lines above it; expected it to line up exactly with "
        "the other fields of its section",
    ),
    (
        "did not find expected '-' indicator",
        "this line breaks a list; expected each list item to start with '- ' at the same indentation",
    ),
)


def _open_quote(text: str, last_line: int) -> tuple[int, int] | None:
    """(line, column) of the first double quote left open on a line up to ``last_line``: an unclosed quote
    swallows the lines after it, so the parser fails somewhere later and names the wrong place."""
    for number, line in enumerate(text.splitlines()[:last_line], 1):
        quotes = [i for i, ch in enumerate(line) if ch == '"' and (i == 0 or line[i - 1] != "\\")]
        if len(quotes) % 2:
            return number, quotes[-1] + 1
    return None


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        return Problem(
            line,
            "",
            f"a control character (code {exc.character:#x}) that YAML does not allow; "
            "expected plain text (retype the line)",
        )
    assert isinstance(exc, yaml.MarkedYAMLError)
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if ("quoted" in context or "flow" in context) and exc.context_mark is not None:
        mark = exc.context_mark  # where the quote or bracket was opened, not where the parser gave up
    quote = _open_quote(text, mark.line + 1) if mark is not None else None
    if quote is not None:
        return Problem(
            quote[0],
            "",
            f"column {quote[1]}: a quote opened here is never closed; "
            "expected a matching closing quote on the same line",
        )
    wording = next((words for key, words in _SYNTAX if key in problem), None)
    if wording is None:
        wording = f"YAML syntax error: {problem}{f' ({context})' if context else ''}"
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(line, "", f"column {column}: {wording}")


def compose(text: str, source: str, error: type[FileProblems]) -> Node:
    """The node tree of a one-document YAML text; syntax errors name their line and column."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise error(source, [_syntax_problem(exc, text)]) from None
    if root is None:
        raise error(source, [Problem(1, "", "the file is empty; expected fields such as 'id: ...'")])
    return root


# --- paths and lookups --------------------------------------------------------------------------------------


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def scalar(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def pairs(node: Node | None) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping node; nothing for anything else."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                yield key_node.value, key_node, value_node


def child(node: Node | None, key: str) -> Node | None:
    return next((value for name, _, value in pairs(node) if name == key), None)


def items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def item_label(node: Node, index: int) -> str:
    """How a list item is named in a path: its id (or signal, kpi, level) when it has one, else its
    position counted from 1, as an author counts."""
    for key in LABEL_KEYS:
        value = scalar(child(node, key))
        if value:
            return value
    return str(index + 1)


def join_path(segments: Sequence[str]) -> str:
    """``["competencies", "[teamwork]", "signals"]`` -> ``competencies[teamwork].signals``."""
    out = ""
    for segment in segments:
        out += segment if segment.startswith("[") or not out else f".{segment}"
    return out


@dataclass(slots=True)
class Spot:
    """Where a validation error's location lands in the file."""

    node: Node  # the deepest node reached
    key_node: Node | None  # the key of that node when it is a mapping value
    segments: list[str]  # the display path of everything reached and named
    missing: list[str]  # location parts past the deepest node (a missing or unknown field)


def locate(root: Node, loc: Sequence[str | int]) -> Spot:
    """Follow a pydantic error location through the node tree. Parts that name nothing in the file are a
    discriminated union's tag (skipped: ``norm.piecewise.points`` is ``norm.points`` in the file) or the
    field that is missing."""
    spot = Spot(root, None, [], [])
    for i, part in enumerate(loc):
        node = spot.node
        if part == "[key]":
            spot.node = spot.key_node or node
            continue
        if isinstance(node, MappingNode) and isinstance(part, str):
            found = next(((k, v) for name, k, v in pairs(node) if name == part), None)
            if found is not None:
                spot.key_node, spot.node = found
                spot.segments.append(part)
                continue
            if part == scalar(child(node, "kind")) and i < len(loc) - 1:
                continue
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            spot.key_node, spot.node = None, node.value[part]
            spot.segments.append(f"[{item_label(spot.node, part)}]")
            continue
        spot.missing = [str(p) for p in loc[i:]]
        break
    return spot


# --- constructing data --------------------------------------------------------------------------------------


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(STANDARD) :] if tag.startswith(STANDARD) else tag


class _Builder:
    """Nodes -> plain data, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: Node, segments: list[str]) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            if self.count == MAX_VALUES + 1:
                self._add(
                    node,
                    segments,
                    f"more than {MAX_VALUES} values (aliases repeated too often); "
                    "expected a file of a normal size",
                )
            return None
        if id(node) in self.active:
            self._add(
                node, segments, "an alias that contains itself; expected '*name' outside the value it names"
            )
            return None
        self.active.add(id(node))
        try:
            return self._build(node, segments)
        finally:
            self.active.discard(id(node))

    def _add(self, node: Node, segments: list[str], message: str) -> None:
        self.problems.append(Problem(line_of(node), join_path(segments), message))

    def _bad_tag(self, node: Node, segments: list[str]) -> None:
        self._add(
            node,
            segments,
            f"the tag '{_short_tag(node.tag)}' is not allowed: these files are data and never run code; "
            "expected a plain value (remove the tag)",
        )

    def _build(self, node: Node, segments: list[str]) -> Any:
        if isinstance(node, ScalarNode):
            if node.tag == NULL_TAG:
                return None
            if node.tag not in SCALAR_TAGS:
                self._bad_tag(node, segments)
                return None
            return node.value
        if isinstance(node, SequenceNode):
            if node.tag != STANDARD + "seq":
                self._bad_tag(node, segments)
                return None
            return [self.build(n, [*segments, f"[{item_label(n, i)}]"]) for i, n in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        if node.tag != STANDARD + "map":
            self._bad_tag(node, segments)
            return None
        return self._mapping(node, segments)

    def _mapping(self, node: MappingNode, segments: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == STANDARD + "merge":
                self._add(
                    key_node,
                    segments,
                    "'<<' merge keys are not supported; "
                    "expected the fields written out (an alias '*name' may repeat a whole value)",
                )
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in SCALAR_TAGS | {NULL_TAG}:
                self._add(key_node, segments, "a field name that is not a plain word; expected 'name: value'")
                continue
            key = key_node.value
            if key in first_line:
                self._add(
                    key_node,
                    [*segments, key],
                    f"field '{key}' is given twice (first on line {first_line[key]}); "
                    "expected each field once",
                )
                continue
            first_line[key] = line_of(key_node)
            out[key] = self.build(value_node, [*segments, key])
        return out


def to_data(root: Node, source: str, error: type[FileProblems]) -> Any:
    """Plain data from the node tree; any disallowed tag, repeated field or merge key is an error."""
    builder = _Builder()
    data = builder.build(root, [])
    if builder.problems:
        raise error(source, builder.problems)
    return data
