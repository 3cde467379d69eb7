"""What operators and callers see when the server's surroundings fail: a full upload disk, a database that
cannot be opened at start, a caller that hangs up mid-upload. ``hirelens serve`` runs as a real subprocess;
the full disk is a real, tiny tmpfs mounted by the test."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from hirelens.v1 import interview_pb2, interview_pb2_grpc

from server.jobs.database import open_database
from tests.server_process import REPO_ROOT, ServerProcess, free_port


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` at ``where``, unmounted afterwards; skips where mounting is refused."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def serve_once(folder: Path, **server: object) -> subprocess.CompletedProcess:
    """``hirelens serve`` with these settings, expected to exit by itself (it is killed after 120 s)."""
    config = ServerProcess(folder, server=dict(server)).config
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--config", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_read_only_sqlite_database_at_start_exits_2_naming_it(tmp_path: Path) -> None:
    """It used to exit 70 ("internal error") with SQLAlchemy's whole message."""
    with tmpfs(tmp_path / "ro", "4m") as mount:
        url = f"sqlite:///{mount / 'jobs.db'}"
        open_database(url).close()  # a real job database...
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)  # ...on a read-only disk
        done = serve_once(tmp_path / "serve", database_url=url)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"cannot open the job database {url}: unable to open database file" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_postgresql_at_start_exits_2_without_the_password(tmp_path: Path) -> None:
    port = free_port()  # nothing listens on it
    url = f"postgresql+psycopg://hirelens:s3cret-pw@127.0.0.1:{port}/hirelens"
    done = serve_once(tmp_path, database_url=url)
    assert done.returncode == 2, done.stderr[-2000:]
    shown = f"postgresql+psycopg://hirelens:***@127.0.0.1:{port}/hirelens"
    assert f"cannot open the job database {shown}:" in done.stderr and "refused" in done.stderr, done.stderr
    assert "s3cret-pw" not in done.stderr and "Traceback" not in done.stderr


def _upload(size: int, hold: threading.Event | None = None) -> Iterator[interview_pb2.UploadInterviewRequest]:
    metadata = interview_pb2.InterviewMetadata(
        candidate_ref="cand-1", scenario_id="general_behavioral", filename="a.webm", size_bytes=size
    )
    yield interview_pb2.UploadInterviewRequest(metadata=metadata)
    chunk = b"\0" * 65536
    for _ in range(size // len(chunk)):
        yield interview_pb2.UploadInterviewRequest(chunk=chunk)
        if hold is not None:
            hold.wait(60)  # the caller stalls after its first chunk, then hangs up


def test_a_full_upload_disk_is_resource_exhausted_naming_the_disk(tmp_path: Path) -> None:
    """ENOSPC while spooling is the server's passing trouble (RESOURCE_EXHAUSTED, DISK_FULL: retry later),
    not INTERNAL; the partial file is removed, so the disk is not left full."""
    with tmpfs(tmp_path / "small", "256k") as mount:
        server = ServerProcess(
            tmp_path / "serve",
            server={"data_dir": str(mount), "database_url": f"sqlite:///{tmp_path / 'jobs.db'}"},
        ).start()
        try:
            with grpc.insecure_channel(server.address) as channel:
                stub = interview_pb2_grpc.InterviewServiceStub(channel)
                with pytest.raises(grpc.RpcError) as refused:
                    stub.UploadInterview(
                        _upload(1024 * 1024), metadata=[("x-api-key", server.keys["acme"])], timeout=60
                    )
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.value.details()
            assert "upload disk is full" in refused.value.details()
            assert list((mount / "uploads").iterdir()) == []
            assert "Traceback" not in server.log_text()
        finally:
            server.stop()


def test_a_cancelled_upload_is_logged_at_info_without_a_traceback(tmp_path: Path) -> None:
    """A caller hanging up mid-upload is everyday; it used to be logged as an unexpected error, with a
    traceback, at ERROR."""
    server = ServerProcess(tmp_path).start()
    hold = threading.Event()
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = interview_pb2_grpc.InterviewServiceStub(channel)
            call = stub.UploadInterview.future(
                _upload(4 * 65536, hold), metadata=[("x-api-key", server.keys["acme"])], timeout=60
            )
            uploads = server.folder / "data" / "uploads"
            end = time.monotonic() + 30
            while not (uploads.is_dir() and any(uploads.iterdir())) and time.monotonic() < end:
                time.sleep(0.05)  # the server is spooling the first chunk
            call.cancel()
            hold.set()
        end = time.monotonic() + 30
        while "ended early" not in server.log_text() and time.monotonic() < end:
            time.sleep(0.1)
        log = server.log_text()
        entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        cancelled = [e for e in entries if "UploadInterview ended early" in e["message"]]
        assert [e["level"] for e in cancelled] == ["INFO"], log[-3000:]
        assert not any("exception" in e for e in entries), log[-3000:]
        assert "Traceback" not in log and "unexpected error" not in log, log[-3000:]
        assert not list(uploads.iterdir())  # the partial recording is gone
    finally:
        hold.set()
        server.stop()


def _fill(folder: Path) -> None:
    """Take every free byte of the file system holding ``folder``."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_database_disk_is_resource_exhausted_and_keeps_no_recording(tmp_path: Path) -> None:
    """SQLite's "database or disk is full" used to be INTERNAL with a traceback in the log."""
    with tmpfs(tmp_path / "dbdisk", "1m") as mount:
        server = ServerProcess(
            tmp_path / "serve", server={"database_url": f"sqlite:///{mount / 'jobs.db'}"}
        ).start()
        try:
            _fill(mount)
            with grpc.insecure_channel(server.address) as channel:
                stub = interview_pb2_grpc.InterviewServiceStub(channel)
                with pytest.raises(grpc.RpcError) as refused:
                    stub.UploadInterview(
                        _upload(65536), metadata=[("x-api-key", server.keys["acme"])], timeout=60
                    )
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.value.details()
            assert "job database disk is full" in refused.value.details()
            assert list((server.folder / "data" / "uploads").iterdir()) == []
            assert "Traceback" not in server.log_text()
        finally:
            server.stop()
