"""JSON log lines, and personal data kept out of them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from server.observability.logs import DENYLIST, configure_logging, redact_text

KEY = "hl_3f9aQ2xLmN8pR4tV"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """configure_logging on a buffer; the root logger's handlers and level are put back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_utc_time_and_extras(captured):
    logging.getLogger("hirelens.jobs").info(
        "job %s finished", "j-1", extra={"job_id": "j-1", "tenant": "acme", "duration_ms": 812.5}
    )
    logging.getLogger("hirelens.api").warning("slow call", extra={"method": "ModelInfer", "code": "OK"})
    first, second = lines(captured)
    assert first["level"] == "INFO" and first["logger"] == "hirelens.jobs"
    assert first["message"] == "job j-1 finished"
    assert (first["job_id"], first["tenant"], first["duration_ms"]) == ("j-1", "acme", 812.5)
    ts = datetime.fromisoformat(first["ts"])
    assert ts.utcoffset() == timedelta(0)
    assert (second["level"], second["method"], second["code"]) == ("WARNING", "ModelInfer", "OK")


def test_denylisted_fields_never_reach_the_log(captured):
    personal = {
        "candidate_ref": "cand-8812",
        "transcript": "My name is Jane Roe and I live at 12 Elm Street",
        "text": "I led the migration",
        "answer": "I managed a team of five",
        "question": "Tell me about yourself",
        "api_key": KEY,
        "path": "/uploads/acme/jane_roe_interview.mp4",
        "email": "jane.roe@example.com",
    }
    # ``filename`` is a LogRecord attribute (the source file), which logging refuses as an extra; it can
    # still arrive nested, like every other denylisted key
    assert set(personal) | {"filename"} == DENYLIST
    upload = {"filename": "jane_roe_interview.mp4", "bytes": 1024, "owner": {"email": "jane.roe@example.com"}}
    logging.getLogger("hirelens.pipeline").info(
        "answer analysed", extra={"job_id": "j-2", "upload": upload, **personal}
    )
    (entry,) = lines(captured)
    assert entry["job_id"] == "j-2" and entry["message"] == "answer analysed"
    assert not set(entry) & DENYLIST
    assert entry["upload"] == {"bytes": 1024, "owner": {}}
    raw = captured.getvalue()
    for secret in (
        "cand-8812",
        "Jane Roe",
        "Elm Street",
        "migration",
        "jane_roe",
        KEY,
        "jane.roe@example.com",
    ):
        assert secret not in raw


def test_keys_and_addresses_in_messages_args_and_fields_are_masked(captured):
    log = logging.getLogger("hirelens.auth")
    log.warning("rejected key %s from %s", KEY, "hr.admin@acme-corp.co.uk", extra={"tenant": f"acme {KEY}"})
    (entry,) = lines(captured)
    assert entry["message"] == "rejected key [api_key] from [email]"
    assert entry["tenant"] == "acme [api_key]"
    assert KEY not in captured.getvalue() and "acme-corp" not in captured.getvalue()


def test_exception_text_is_redacted(captured):
    try:
        raise ValueError(f"cannot open upload for jane.roe@example.com with {KEY}")
    except ValueError:
        logging.getLogger("hirelens.jobs").exception("job failed", extra={"job_id": "j-3"})
    (entry,) = lines(captured)
    assert "ValueError: cannot open upload for [email] with [api_key]" in entry["exception"]
    assert "jane.roe" not in captured.getvalue() and KEY not in captured.getvalue()


def test_redact_text_leaves_ordinary_words_alone():
    assert redact_text("model_repo has 7 models; shl_x and hl_short stay") == (
        "model_repo has 7 models; shl_x and hl_short stay"
    )
    assert redact_text("write to ops@hirelens.example") == "write to [email]"


def test_configuring_twice_does_not_duplicate_lines(captured):
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    configure_logging("INFO", stream=stream)
    logging.getLogger("hirelens").info("once")
    logging.getLogger("hirelens").debug("below the level")
    assert [e["message"] for e in lines(stream)] == ["once"]


def test_plain_format_for_terminals(captured):
    stream = io.StringIO()
    configure_logging("INFO", json=False, stream=stream)
    logging.getLogger("hirelens").info("ready", extra={"port": 8001, "email": "a.b@example.com"})
    line = stream.getvalue().strip()
    assert line.endswith("INFO hirelens: ready port=8001") and "example.com" not in line
