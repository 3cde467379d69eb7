"""The one check of caller text against ``text_limits``, before any model sees it.

Text costs model time in proportion to its length (a 1 MB question took 115 s of CPU), so the API, the upload
questions and ``hirelens score --answers`` refuse oversized text here, each error naming the item and the
setting that bounds it.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.config import TextLimits
from server.errors import InputError


class TextLimitError(InputError):
    """Caller text past a limit; ``field`` names the item at fault (``answers[3].question``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_text_limits(
    items: Sequence[tuple[str, str]],
    limits: TextLimits,
    field: str,
    names: tuple[str, str] = ("question", "answer"),
) -> None:
    """Refuse ``items`` (question, answer) past a limit; ``field`` names the list (``answers``), ``names`` its
    items' two fields. A question-only list passes empty answers."""
    if len(items) > limits.max_questions:
        raise TextLimitError(
            f"{field} has {len(items)} items; the limit is {limits.max_questions} "
            "(text_limits.max_questions)",
            field,
        )
    total = 0
    for i, (question, answer) in enumerate(items):
        for name, text, limit, setting in (
            (names[0], question, limits.max_question_chars, "max_question_chars"),
            (names[1], answer, limits.max_answer_chars, "max_answer_chars"),
        ):
            if len(text) > limit:
                raise TextLimitError(
                    f"{field}[{i}].{name} has {len(text)} characters; the limit is {limit} "
                    f"(text_limits.{setting})",
                    f"{field}[{i}].{name}",
                )
            total += len(text.encode("utf-8", errors="replace"))
    if total > limits.max_request_bytes:
        raise TextLimitError(
            f"{field} hold {total} bytes of text (UTF-8); the limit is {limits.max_request_bytes} "
            "(text_limits.max_request_bytes)",
            field,
        )
