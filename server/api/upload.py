"""The client-streamed upload: metadata first, then chunks written straight to disk.

Memory stays flat whatever the file size (one chunk at a time); a broken or oversized stream leaves no file.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import grpc
from hirelens.v1 import interview_pb2

from server.api.status import ApiError

MAX_FILENAME_SUFFIX = 16
# The file system ran out of room (or of the user's quota): the server's trouble, not the caller's, and
# one that passes; RESOURCE_EXHAUSTED tells a client to retry later, INTERNAL would not.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReceivedUpload:
    path: Path
    size_bytes: int


def first_message(
    requests: Iterator[interview_pb2.UploadInterviewRequest],
) -> interview_pb2.InterviewMetadata:
    """The metadata, which must come first: without it the server would not know what it is storing."""
    first = next(requests, None)
    if first is None or first.WhichOneof("part") != "metadata":
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            "the first UploadInterview message must carry 'metadata', the recording's chunks follow it",
            field="metadata",
        )
    return first.metadata


def suffix(filename: str) -> str:
    """The extension of the caller's file name (the decoder probes content, but ``.webm`` helps some
    demuxers); nothing else of the name is kept, it may be personal."""
    ext = Path(filename).suffix.lower()
    return ext if ext[1:].isalnum() and len(ext) <= MAX_FILENAME_SUFFIX else ""


def receive_chunks(
    requests: Iterator[interview_pb2.UploadInterviewRequest],
    folder: Path,
    ext: str,
    max_bytes: int,
    expected_bytes: int = 0,
    on_bytes: Callable[[int], None] | None = None,
    context: grpc.ServicerContext | None = None,
) -> ReceivedUpload:
    """Write the remaining messages' chunks to a new file in ``folder``; refuse a second metadata message, an
    empty recording, more than ``max_bytes``, a size that differs from the one announced, or a stream the
    call's ``context`` says was cut short. A full disk is RESOURCE_EXHAUSTED (``DISK_FULL``)."""
    try:
        return _receive(requests, folder, ext, max_bytes, expected_bytes, on_bytes, context)
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            raise
        log.error("upload refused: the upload disk is full (%s): %s", folder, exc.strerror)
        raise ApiError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "the server's upload disk is full: no room to store the recording; no job was made, retry later",
            reason="DISK_FULL",
        ) from None


def _receive(
    requests: Iterator[interview_pb2.UploadInterviewRequest],
    folder: Path,
    ext: str,
    max_bytes: int,
    expected_bytes: int,
    on_bytes: Callable[[int], None] | None,
    context: grpc.ServicerContext | None,
) -> ReceivedUpload:
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=ext, dir=folder)
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for message in requests:
                if message.WhichOneof("part") != "chunk":
                    raise ApiError(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        "only the first UploadInterview message may carry metadata; later ones carry chunks",
                        field="chunk",
                    )
                size += len(message.chunk)
                if size > max_bytes:
                    raise ApiError(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        f"recording exceeds the server's limit of {max_bytes} bytes",
                        field="chunk",
                        reason="UPLOAD_TOO_LARGE",
                    )
                out.write(message.chunk)
                if on_bytes is not None:
                    on_bytes(len(message.chunk))
            durable(out, folder)
        if context is not None:
            check_finished_by_client(context)
        if size == 0:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT, "the upload holds no recording bytes", field="chunk"
            )
        if expected_bytes and size != expected_bytes:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"received {size} bytes, metadata.size_bytes announced {expected_bytes}: upload incomplete",
                field="metadata.size_bytes",
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ReceivedUpload(path, size)


def durable(out: BinaryIO, folder: Path) -> None:
    """Flush the upload to the disk (file and its folder entry) before a job row may point at it: after a
    power cut the database must not hold a job whose recording is missing or short. A file swept meanwhile
    as an orphan (the client sent nothing for ``orphan_grace_s``) fails the upload instead."""
    out.flush()
    os.fsync(out.fileno())
    if os.fstat(out.fileno()).st_nlink == 0:
        raise ApiError(
            grpc.StatusCode.ABORTED,
            "the upload stalled longer than the server keeps an unfinished file (orphan_grace_s); retry",
        )
    entry = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(entry)
    finally:
        os.close(entry)


def check_finished_by_client(context: grpc.ServicerContext) -> None:
    """The request stream also ends, without an error, when the call is cancelled or its deadline passes
    just as grpcio hands over the last message (a race in its server): such an upload is incomplete, and
    a job made from it would score a truncated file under the caller's idempotency key."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        raise ApiError(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            "the deadline passed before the upload finished; no job was made",
        )
    if not context.is_active():
        raise ApiError(
            grpc.StatusCode.CANCELLED, "the upload was cancelled before it finished; no job was made"
        )
