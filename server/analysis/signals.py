"""Signals and the evidence behind them: the common currency of every analyzer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a signal came from: a time span in the recording and/or a transcript excerpt."""

    start_s: float | None = None
    end_s: float | None = None
    excerpt: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.start_s is not None:
            out["start_s"] = round(self.start_s, 2)
        if self.end_s is not None:
            out["end_s"] = round(self.end_s, 2)
        if self.excerpt is not None:
            out["excerpt"] = self.excerpt
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Signal:
    """One measured value (number, bool, string or small list/dict) with its evidence."""

    value: Any
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        value = round(self.value, 4) if isinstance(self.value, float) else self.value
        return {"value": value, "evidence": [e.to_dict() for e in self.evidence]}


Signals = dict[str, Signal]
"""Signals keyed by dotted name, e.g. ``speech.words_per_minute`` or ``text.star.result``."""
