"""Caller-supplied question lists and text answers, validated with errors that name the item and field."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

from server.config import TextLimits
from server.errors import InputError
from server.pipeline.text_limits import check_text_limits


class Question(BaseModel):
    """One interview question; ``start_s``/``end_s`` give its answer's span when the caller knows it."""

    id: str | None = None
    question: str = Field(min_length=1)
    start_s: float | None = Field(default=None, ge=0)
    end_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _span_is_ordered(self) -> Question:
        if (self.start_s is None) != (self.end_s is None):
            raise ValueError("give both start_s and end_s, or neither")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self


class TextAnswer(BaseModel):
    """One answer given as text (a chat interview or an existing transcript)."""

    question: str | None = None
    answer: str


def _read_json(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} file {path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} file {path} is not valid UTF-8 JSON: {exc}") from None


def _describe(exc: ValidationError, path: Path) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"item {where}: {error['msg']}")
    return f"{path}: " + "; ".join(problems)


def parse_questions(data: object, source: Path) -> list[Question]:
    raw = data if isinstance(data, list) else None
    if raw is None:
        raise InputError(f"{source}: expected a JSON list of questions")
    items = [{"question": item} if isinstance(item, str) else item for item in raw]
    try:
        questions = TypeAdapter(list[Question]).validate_python(items)
    except ValidationError as exc:
        raise InputError(_describe(exc, source)) from None
    timed = [q.start_s is not None for q in questions]
    if any(timed) and not all(timed):
        raise InputError(f"{source}: either every question has start_s/end_s or none has")
    if all(timed):
        for before, after in itertools.pairwise(questions):
            if after.start_s < before.end_s:  # type: ignore[operator]
                raise InputError(f"{source}: answer spans overlap or are out of order at '{after.question}'")
    return questions


def load_questions(path: Path, limits: TextLimits) -> list[Question]:
    questions = parse_questions(_read_json(path, "questions"), path)
    check_text_limits([(q.question, "") for q in questions], limits, path.name, ("question", ""))
    return questions


def load_text_answers(path: Path, limits: TextLimits | None) -> list[TextAnswer]:
    """The answers in ``path``, refused past ``limits`` (None: a server checks them, with its own)."""
    data = _read_json(path, "answers")
    if not isinstance(data, list) or not data:
        raise InputError(f'{path}: expected a non-empty JSON list of {{"question": ..., "answer": ...}}')
    try:
        answers = TypeAdapter(list[TextAnswer]).validate_python(data)
    except ValidationError as exc:
        raise InputError(_describe(exc, path)) from None
    if not any(a.answer.strip() for a in answers):
        raise InputError(f"{path}: every answer is empty")
    if limits is not None:
        check_text_limits([(a.question or "", a.answer) for a in answers], limits, path.name)
    return answers
