"""Structured logs: one JSON object per line on stderr, with personal data kept out.

HireLens handles interview recordings, transcripts and candidate identities, and logs end up in systems
with wider access and longer retention than the job store. So redaction happens in a handler filter,
after every logger (ours and third-party ones) has produced its record: denylisted extra fields are
dropped, and API keys and e-mail addresses are masked wherever they appear in text (message, exception,
the remaining string fields).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# Extra fields that may carry personal data or secrets: never logged, whatever their value.
DENYLIST = frozenset(
    {"candidate_ref", "transcript", "text", "answer", "question", "api_key", "filename", "path", "email"}
)
REDACTED = "[redacted]"
API_KEY = re.compile(r"\bhl_[A-Za-z0-9_\-]{8,}")
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact_text(text: str) -> str:
    """Mask API keys (``hl_`` + token) and e-mail addresses inside free text."""
    return EMAIL.sub("[email]", API_KEY.sub("[api_key]", text))


def scrub(value: Any) -> Any:
    """A copy of ``value`` with denylisted keys dropped from nested dicts and text redacted, at any depth."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if str(k).lower() not in DENYLIST}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    return value


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller attached with ``extra=``."""
    return {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRS}


class RedactingFilter(logging.Filter):
    """Drops denylisted extra fields and masks secrets and addresses; never drops the record itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        for key, value in extra_fields(record).items():
            if key.lower() in DENYLIST:
                delattr(record, key)
            else:
                setattr(record, key, scrub(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
            record.exc_info = None  # the formatter must use the redacted text, not re-render the traceback
        return True


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", ...extra}``; ts is ISO-8601 UTC with milliseconds."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class _PlainFormatter(logging.Formatter):
    """Human-readable lines for a terminal, extra fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        return f"{line} {extra}" if extra else line


def configure_logging(level: str | int = "INFO", json: bool = True, stream: TextIO | None = None) -> None:
    """Route every logger through one redacting handler on ``stream`` (stderr), JSON unless ``json=False``.

    Replaces the root logger's handlers, so calling it twice does not double every line.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json else _PlainFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
