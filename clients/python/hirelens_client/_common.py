"""What the blocking and the asyncio clients share: inputs, request building, retry timing, channel setup.

Everything here is free of I/O policy so both clients behave identically; only the waiting (``time.sleep``
vs ``asyncio.sleep``) and the reading of the file differ.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import grpc
from hirelens.v1 import interview_pb2

from hirelens_client.errors import JobCancelled, JobFailed
from hirelens_client.results import Job, JobState, ScoreResult

__version__ = "0.1.0"

DEFAULT_ADDRESS = "localhost:8001"
API_KEY_ENV = "HIRELENS_API_KEY"
API_KEY_HEADER = "x-api-key"
CHUNK_SIZE = 1 << 20
"""1 MiB per upload message: well under gRPC's 4 MiB message limit, large enough that per-message overhead
is negligible, small enough that progress moves smoothly."""
UPLOAD_MIN_RATE = 1_000_000
"""Bytes per second an upload is assumed to reach at worst; its deadline grows with the file at this rate."""
MAX_BACKOFF_S = 30.0
MAX_RECEIVE_BYTES = 64 << 20  # a result with every evidence of a long interview stays far below this
MODALITIES = ("face", "voice")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True, slots=True)
class Question:
    """A question of the interview, optionally with when it was asked in the recording.

    Give ``id`` for a scenario question, ``text`` for the question as the interviewer worded it (the server
    matches it to the scenario), or both. ``start_s`` lets the server cut answers at the right moment instead
    of at the longest silences; an answer runs to the next question's start or to ``end_s``.
    """

    id: str = ""
    text: str = ""
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    """The biometric modalities the candidate consented to; without consent a modality is never analysed.
    Nothing is granted by default: consent is the candidate's, recorded by the caller."""

    face: bool = False
    voice: bool = False

    @classmethod
    def of(cls, given: Consent | Iterable[str] | str) -> Consent:
        """From a ``Consent``, modality names (``("face", "voice")``, ``()`` for none) or ``"face,voice"``."""
        if isinstance(given, Consent):
            return given
        items = given.split(",") if isinstance(given, str) else list(given)
        names = {item.strip().lower() for item in items if item.strip()} - {"none"}
        unknown = names - set(MODALITIES)
        if unknown:
            raise ValueError(f"consent takes {', '.join(MODALITIES)}, not {', '.join(sorted(unknown))}")
        return cls(face="face" in names, voice="voice" in names)


@dataclass(frozen=True, slots=True)
class TextAnswer:
    """One answer of a text interview: ``question`` is a scenario question id or the question as asked."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """Bytes of the recording handed to the connection so far. ``attempt`` counts from 0 and grows when a
    retry starts the upload again from the first byte."""

    sent_bytes: int
    total_bytes: int
    attempt: int = 0

    @property
    def fraction(self) -> float:
        return 1.0 if self.total_bytes == 0 else self.sent_bytes / self.total_bytes


UploadCallback = Callable[[UploadProgress], None]
JobCallback = Callable[[Job], None]


def resolve_api_key(api_key: str | None) -> str | None:
    return api_key if api_key is not None else (os.environ.get(API_KEY_ENV) or None)


def call_metadata(api_key: str | None) -> tuple[tuple[str, str], ...]:
    return () if not api_key else ((API_KEY_HEADER, api_key),)


# A watch on a queued job may carry no message for many minutes; keepalive pings during calls keep load
# balancers and NATs from dropping the idle connection, and find a dead one (the server allows one a 30 s).
KEEPALIVE_MS = 60_000


def channel_options() -> list[tuple[str, object]]:
    return [
        ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
        ("grpc.primary_user_agent", f"hirelens-client/{__version__}"),
        ("grpc.keepalive_time_ms", KEEPALIVE_MS),
        ("grpc.keepalive_timeout_ms", 20_000),
    ]


def channel_credentials(
    tls: bool, root_certificates: bytes | None, client_cert: bytes | None, client_key: bytes | None
) -> grpc.ChannelCredentials | None:
    """TLS credentials when TLS is asked for (or implied by any certificate), else None for plaintext."""
    if (client_cert is None) != (client_key is None):
        raise ValueError("mutual TLS needs both client_cert and client_key")
    if not (tls or root_certificates or client_cert):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=root_certificates, private_key=client_key, certificate_chain=client_cert
    )


def backoff_delay(attempt: int, base_s: float) -> float:
    """Exponential backoff with jitter: between half and all of ``base * 2**attempt`` (capped), so clients
    that lost the server together do not all come back in the same instant."""
    ceiling = min(MAX_BACKOFF_S, base_s * (2**attempt))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def is_retryable(error: grpc.RpcError) -> bool:
    """Only UNAVAILABLE (the request did not reach a server that could act on it). RESOURCE_EXHAUSTED is
    surfaced: a full queue is the server asking the caller to slow down, not a fault to hammer."""
    code = getattr(error, "code", None)
    return callable(code) and code() == grpc.StatusCode.UNAVAILABLE


def upload_timeout(size_bytes: int, timeout_s: float) -> float:
    return max(timeout_s, size_bytes / UPLOAD_MIN_RATE)


def question_timing(item: str | Question) -> interview_pb2.QuestionTiming:
    """A plain string that looks like an identifier (``led_a_team``) is a scenario question id; any other
    string is the question's wording. Use ``Question`` to say which explicitly."""
    if isinstance(item, str):
        item = Question(id=item) if _IDENTIFIER.match(item) else Question(text=item)
    timing = interview_pb2.QuestionTiming(question_id=item.id, text=item.text)
    if item.start_s is not None:
        timing.start_s = item.start_s
    if item.end_s is not None:
        timing.end_s = item.end_s
    return timing


def interview_metadata(
    path: Path,
    size: int,
    *,
    scenario: str,
    scenario_version: str,
    questions: Sequence[str | Question],
    language: str,
    candidate_ref: str,
    consent: Consent | Iterable[str] | str,
    idempotency_key: str,
) -> interview_pb2.InterviewMetadata:
    flags = Consent.of(consent)
    return interview_pb2.InterviewMetadata(
        candidate_ref=candidate_ref,
        scenario_id=scenario,
        scenario_version=scenario_version,
        language=language,
        questions=[question_timing(q) for q in questions],
        consent=interview_pb2.ConsentFlags(face=flags.face, voice=flags.voice),
        idempotency_key=idempotency_key,
        filename=path.name,
        size_bytes=size,
    )


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def recording(path: PathLike) -> tuple[Path, int]:
    """The file to upload and its size; a missing file fails here, not inside gRPC's sending thread."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no recording at {file}")
    return file, file.stat().st_size


def upload_requests(
    path: Path,
    metadata: interview_pb2.InterviewMetadata,
    on_progress: UploadCallback | None = None,
    attempt: int = 0,
    chunk_size: int = CHUNK_SIZE,
) -> Iterable[interview_pb2.UploadInterviewRequest]:
    """The metadata message, then the file one chunk at a time: read lazily, so memory stays at one chunk
    whatever the file's size, and each retry gets a fresh generator that starts again at byte 0."""
    yield interview_pb2.UploadInterviewRequest(metadata=metadata)
    total = metadata.size_bytes
    sent = 0
    with path.open("rb") as file:
        while chunk := file.read(chunk_size):
            yield interview_pb2.UploadInterviewRequest(chunk=chunk)
            sent += len(chunk)
            if on_progress is not None:
                on_progress(UploadProgress(sent, max(total, sent), attempt))


def text_answers(
    answers: Sequence[tuple[str, str]] | Sequence[TextAnswer],
) -> list[interview_pb2.TextAnswer]:
    out = []
    for item in answers:
        question, answer = (item.question, item.answer) if isinstance(item, TextAnswer) else item
        out.append(interview_pb2.TextAnswer(question=question, answer=answer))
    return out


def outcome(job: Job) -> ScoreResult | None:
    """The result of a finished job; raises for FAILED / CANCELLED; None when DONE without the result
    attached (the caller then fetches it)."""
    if job.state is JobState.FAILED:
        raise JobFailed(job)
    if job.state is JobState.CANCELLED:
        raise JobCancelled(job)
    return job.result
