"""Pydantic validation errors in plain English for people who write scenario and policy files.

Each error becomes one ``Problem``: the line of the offending value in the file, the field path, what is wrong
("'abc' is not a number") and what was expected, worked out from the schema itself (its types, ranges,
patterns and field descriptions) so the wording stays true when the schema changes.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from yaml.nodes import Node

from server.scoring.yaml_data import FileProblems, Problem, Spot, child, join_path, line_of, locate, scalar

ModelT = TypeVar("ModelT", bound=BaseModel)
ValueErrorHandler = Callable[[re.Match[str], Spot, Node], list[Problem]]
"""Turns one model-validator message (matched by a regex) into located problems."""

PATTERNS = {
    r"^[a-z][a-z0-9_]*$": "an id in lower_snake_case (small letters, digits and _, starting with a letter)",
    r"^\d+\.\d+\.\d+$": "a version of three numbers, like 1.0.0",
    r"^[a-z]+(\.[a-z_]+)+$": "a signal name such as text.star.result (see docs/signals.md)",
}
CLOSE = 0.7
"""How alike two names must be (difflib ratio) to suggest one for the other: 'weigth' -> 'weight' (0.83),
'forbid_emotion' -> 'forbid_emotion_inference' (0.74), but not 'extra' -> 'text' (0.67)."""
CONSTRAINTS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")


@dataclass(slots=True)
class Slot:
    """What the schema says about one location: its type, constraints, description and owning model."""

    annotation: Any = None
    constraints: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    owner: type[BaseModel] | None = None


def _collect(metadata: Sequence[Any], into: dict[str, Any]) -> None:
    for item in metadata:
        if isinstance(item, FieldInfo):
            _collect(item.metadata, into)
            continue
        for name in CONSTRAINTS:
            value = getattr(item, name, None)
            if value is not None:
                into[name] = value


def _unwrap(tp: Any, constraints: dict[str, Any]) -> Any:
    """Strip ``Annotated`` (keeping its constraints) and ``| None``."""
    while True:
        if get_origin(tp) is Annotated:
            tp, *metadata = get_args(tp)
            _collect(metadata, constraints)
        elif get_origin(tp) in (Union, types.UnionType):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_members(tp: Any) -> list[Any]:
    members = []
    for m in get_args(tp):
        constraints: dict[str, Any] = {}
        members.append(_unwrap(m, constraints))
    return [m for m in members if m is not type(None)]


def _kind_of(model: Any) -> str | None:
    kind = model.model_fields.get("kind") if _is_model(model) else None
    args = get_args(kind.annotation) if kind is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def resolve(model: type[BaseModel], loc: Sequence[str | int]) -> Slot:
    """The schema's view of an error location (a union's tag in the location picks that member)."""
    slot = Slot(annotation=model)
    for index, part in enumerate(loc):
        constraints: dict[str, Any] = {}
        tp = _unwrap(slot.annotation, constraints)
        if get_origin(tp) in (Union, types.UnionType):
            chosen = next((m for m in _union_members(tp) if _kind_of(m) == part), None)
            if chosen is not None:
                slot = Slot(chosen, {}, slot.description, slot.owner)
                continue
        if _is_model(tp):
            info = tp.model_fields.get(str(part))
            if info is None:
                return Slot(None, {}, None, tp)
            constraints = {}
            _collect(info.metadata, constraints)
            slot = Slot(info.annotation, constraints, info.description, tp)
        elif get_origin(tp) is list:
            slot = Slot(get_args(tp)[0], {}, None, slot.owner)
        elif get_origin(tp) is tuple and isinstance(part, int) and part < len(get_args(tp)):
            slot = Slot(get_args(tp)[part], {}, None, slot.owner)
        elif get_origin(tp) is dict:
            key_type, value_type = get_args(tp)
            is_key = part == "[key]" or (index + 1 < len(loc) and loc[index + 1] == "[key]")
            slot = Slot(key_type if is_key else value_type, {}, None, slot.owner)
            if is_key:
                return slot
        else:
            return Slot(None, {}, None, slot.owner)
    return slot


# --- describing what is expected ----------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:g}"


def _one_of(values: Sequence[Any]) -> str:
    names = [str(v) for v in values]
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)


def _number(c: dict[str, Any]) -> str:
    low = f"greater than {_num(c['gt'])}" if "gt" in c else None
    high = f"less than {_num(c['lt'])}" if "lt" in c else f"at most {_num(c['le'])}" if "le" in c else None
    if "ge" in c and "le" in c:
        return f"a number from {_num(c['ge'])} to {_num(c['le'])}"
    if "ge" in c:
        low = f"at least {_num(c['ge'])}"
    bounds = " and ".join(b for b in (low, high) if b)
    return f"a number {bounds}" if bounds else "a number"


def _count(c: dict[str, Any]) -> str:
    low, high = c.get("min_length"), c.get("max_length")
    if low is not None and low == high:
        return f"exactly {low}"
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low:
        return f"at least {low}"
    return f"at most {high}" if high is not None else ""


def _section(model: type[BaseModel]) -> str:
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    optional = [n for n, f in model.model_fields.items() if not f.is_required()]
    text = "a section with the fields " + ", ".join(required)
    return text + (f" (optional: {', '.join(optional)})" if optional else "")


def describe(tp: Any, constraints: dict[str, Any] | None = None) -> str:
    """The schema type in words: 'a number from 0 to 10', 'one of weak, solid, strong', ..."""
    c = dict(constraints or {})
    tp = _unwrap(tp, c)
    origin = get_origin(tp)
    if origin is Literal:
        return _one_of(get_args(tp))
    if tp is bool:
        return "true or false"
    if tp in (int, float):
        return _number(c)
    if tp is str:
        if "pattern" in c:
            return PATTERNS.get(c["pattern"], f"text matching the pattern {c['pattern']}")
        return "non-empty text" if c.get("min_length") else "text"
    if origin is list:
        count = _count(c)
        items = f" of {count} item{'' if count.endswith(' 1') else 's'}" if count else ""
        return f"a list{items}, each {describe(get_args(tp)[0])}"
    if origin is tuple:
        return "a pair [" + ", ".join(describe(a) for a in get_args(tp)) + "]"
    if origin is dict:
        key_type, value_type = get_args(tp)
        return f"'name: value' lines, each name {describe(key_type)} and each value {describe(value_type)}"
    if _is_model(tp):
        return _section(tp)
    if origin in (Union, types.UnionType):
        kinds = [k for k in map(_kind_of, _union_members(tp)) if k]
        if kinds:
            return f"a section with 'kind:' {_one_of(kinds)}"
    return str(tp)


def expected(slot: Slot) -> str:
    """The type in words, with the field's description unless the pattern's wording already says it."""
    text = describe(slot.annotation, slot.constraints)
    if slot.description and slot.constraints.get("pattern") not in PATTERNS:
        return f"{text} ({slot.description})"
    return text


# --- what is wrong ------------------------------------------------------------------------------------------


def show(value: Any, quote_numbers: bool = False) -> str:
    """A value as an author would recognise it: text in quotes, numbers bare (unless asked)."""
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a section"
    if isinstance(value, list):
        return "a list"
    try:
        float(value)
    except (TypeError, ValueError):
        return f"'{value}'"
    return f"'{value}'" if quote_numbers else str(value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _wrong(error: ErrorDetails) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if value is None and kind not in ("missing", "extra_forbidden"):
        return "the value is empty"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number"):
        return f"{show(value)} is not a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{show(value)} is not true or false"
    if kind == "string_type":
        return f"{show(value)} is not text"
    if kind == "string_too_short":
        return "the text is empty"
    if kind == "string_pattern_mismatch":
        return f"{show(value, quote_numbers=True)} is not in the right form"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{show(value)} is out of range"
    if kind == "literal_error":
        return f"{show(value, quote_numbers=True)} is not allowed"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{show(value)} is not a section of 'field: value' lines"
    if kind in ("list_type", "tuple_type"):
        return f"{show(value)} is not a list"
    if kind in ("too_short", "too_long"):
        return f"the list has {_plural(ctx.get('actual_length', len(value)), 'item')}"
    return str(error["msg"])


# --- one error -> problems ----------------------------------------------------------------------------------


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=CLOSE)
    return f" (did you mean '{close[0]}'?)" if close else ""


def explain(
    model: type[BaseModel],
    error: ErrorDetails,
    root: Node,
    handlers: Sequence[tuple[re.Pattern[str], ValueErrorHandler]] = (),
) -> list[Problem]:
    """One pydantic error as located, plain-English problems (a model validator may report several)."""
    loc = error["loc"]
    spot = locate(root, loc)
    path = join_path(spot.segments)
    kind = error["type"]
    if kind == "value_error":
        return _value_error(error, spot, root, handlers)
    if kind == "missing":
        name = spot.missing[-1] if spot.missing else str(loc[-1])
        message = f"missing field '{name}'; expected {expected(resolve(model, loc))}"
        return [Problem(line_of(spot.node), join_path([*spot.segments, name]), message)]
    if kind == "extra_forbidden":
        owner = resolve(model, loc).owner
        fields = list(owner.model_fields) if owner else []
        name = str(loc[-1])
        message = f"unknown field '{name}'{_did_you_mean(name, fields)}; expected one of: {', '.join(fields)}"
        return [Problem(line_of(spot.key_node or spot.node), path, message)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = describe(resolve(model, loc).annotation).removeprefix("a section with 'kind:' ")
        kind_node = child(spot.node, "kind")
        value = scalar(kind_node)
        wrong = (
            "missing field 'kind'"
            if kind_node is None
            else f"unknown kind '{value}'"
            if value is not None
            else "kind is not a single word"
        )
        line = line_of(kind_node if kind_node is not None else spot.node)
        return [Problem(line, join_path([*spot.segments, "kind"]), f"{wrong}; expected kind: {kinds}")]
    line = line_of(spot.node)
    return [Problem(line, path, f"{_wrong(error)}; expected {expected(resolve(model, loc))}")]


def _value_error(
    error: ErrorDetails,
    spot: Spot,
    root: Node,
    handlers: Sequence[tuple[re.Pattern[str], ValueErrorHandler]],
) -> list[Problem]:
    cause = (error.get("ctx") or {}).get("error")
    text = str(cause) if cause is not None else str(error["msg"]).removeprefix("Value error, ")
    problems = []
    for part in text.split("; "):
        for pattern, handler in handlers:
            match = pattern.fullmatch(part)
            if match:
                problems += handler(match, spot, root)
                break
        else:
            problems.append(Problem(line_of(spot.node), join_path(spot.segments), part))
    return problems


def validate(
    model: type[ModelT],
    data: Any,
    root: Node,
    source: str,
    error: type[FileProblems],
    handlers: Sequence[tuple[re.Pattern[str], ValueErrorHandler]] = (),
) -> ModelT:
    """``model.model_validate(data)``, with every error turned into a located, plain-English line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = _without_echoes(exc.errors())
        problems = [p for e in errors for p in explain(model, e, root, handlers)]
        raise error(source, problems) from None


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """A misspelt field is reported once: 'unknown field weigth (did you mean weight?)' already says what
    'missing field weight' would."""
    misspelt = {
        (e["loc"][:-1], close)
        for e in errors
        if e["type"] == "extra_forbidden"
        for close in difflib.get_close_matches(
            str(e["loc"][-1]), [str(m["loc"][-1]) for m in errors if m["type"] == "missing"], cutoff=CLOSE
        )
    }
    return [
        e for e in errors if not (e["type"] == "missing" and (e["loc"][:-1], str(e["loc"][-1])) in misspelt)
    ]
