"""Open a recording and check it before any frame is decoded: container, streams, codecs, frame size, length.

Everything a hostile or broken upload could make expensive (a huge declared frame, hours of declared length,
a demuxer nobody needs) is refused here with a ``MediaError`` that names the problem, so the decoder only
ever sees files it can afford.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import av.container
from av.stream import Disposition

from server.config import Settings
from server.errors import MediaError

# FFmpeg demuxer names accepted: MP4/MOV/M4A, Matroska/WebM, WAV, MP3, Ogg. Others are refused so the
# decoder never runs one of FFmpeg's many rarely used demuxers on uploaded bytes.
CONTAINERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "wav", "mp3", "ogg"})
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1"})
AUDIO_CODECS = frozenset({"aac", "opus", "mp3", "vorbis", "flac"})  # and every pcm_* variant

_SNIFF_BYTES = 4096
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """The video stream. ``probe`` reports the stored frame size; ``decode`` the displayed one (after the
    stream's rotation, e.g. a phone held upright)."""

    codec: str
    width: int
    height: int
    fps: float


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """The audio stream as stored (before resampling to 16 kHz mono)."""

    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a recording holds. ``duration_s`` is 0.0 when the header declares no length (live WebM).

    ``skipped_packets`` counts packets the decoder rejected as corrupt; ``probe`` always reports 0.
    """

    container: str
    duration_s: float
    video: VideoInfo | None
    audio: AudioInfo | None
    skipped_packets: int = 0


def probe(path: Path, settings: Settings) -> MediaInfo:
    """Validate ``path`` against ``settings`` and describe it; raises ``MediaError`` naming the problem."""
    container, info = open_media(path, settings)
    container.close()
    return info


def open_media(path: Path, settings: Settings) -> tuple[av.container.InputContainer, MediaInfo]:
    """Open and validate ``path``; the caller owns (and must close) the returned container."""
    head = _read_head(path)
    try:
        # max_pixels makes FFmpeg's decoders refuse oversized frames, also while it reads the stream headers.
        container = av.open(str(path), options={"max_pixels": str(settings.max_frame_pixels)})
    except av.error.FFmpegError as error:
        raise MediaError(f"{path.name}: {_describe_unreadable(head)} ({error.strerror})") from error
    try:
        info = _describe(path, container, settings)
    except BaseException:
        container.close()
        raise
    return container, info


def video_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    """The first real video stream; cover art attached to audio files does not count."""
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            return stream
    return None


def audio_stream(container: av.container.InputContainer) -> av.AudioStream | None:
    return container.streams.audio[0] if container.streams.audio else None


def _read_head(path: Path) -> bytes:
    """The file's first bytes, after checking it is a readable, non-empty regular file (not a pipe or device,
    which could block FFmpeg forever)."""
    if not path.exists():
        raise MediaError(f"{path.name}: file not found")
    if not path.is_file():
        raise MediaError(f"{path.name}: not a regular file")
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError as error:
        raise MediaError(f"{path.name}: file cannot be read ({error.strerror})") from error
    if not head:
        raise MediaError(f"{path.name}: file is empty (0 bytes)")
    return head


def _describe_unreadable(head: bytes) -> str:
    """Say what a file FFmpeg could not open looks like, from its first bytes."""
    if head[4:8] in _MP4_BOXES:
        return "MP4/MOV file is truncated or damaged: its index (moov box) cannot be read"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "Matroska/WebM file is truncated or damaged"
    if head.startswith(b"RIFF"):
        return "WAV file is truncated or damaged"
    if head.startswith(b"OggS"):
        return "Ogg file is truncated or damaged"
    if _looks_like_text(head):
        return "file is text, not audio or video"
    return "not a recognised audio or video format"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # only a character cut at the end of the sniffed block is forgiven
            return False
        text = head[: error.start].decode("utf-8")
    return bool(text) and all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def _describe(path: Path, container: av.container.InputContainer, settings: Settings) -> MediaInfo:
    name = path.name
    if container.format.name not in CONTAINERS:
        raise MediaError(f"{name}: unsupported container format {container.format.long_name!r}")
    video, audio = video_stream(container), audio_stream(container)
    if video is None and audio is None:
        raise MediaError(f"{name}: the file holds no audio or video stream")
    duration_s = _declared_duration(container)
    if duration_s > settings.max_duration_s:
        raise MediaError(
            f"{name}: declared duration {duration_s / 3600:.1f} h exceeds the limit of "
            f"{settings.max_duration_s / 3600:.1f} h"
        )
    return MediaInfo(
        container=container.format.name,
        duration_s=duration_s,
        video=_video_info(name, video, settings) if video is not None else None,
        audio=_audio_info(name, audio) if audio is not None else None,
    )


def _declared_duration(container: av.container.InputContainer) -> float:
    """The longest length the container or any stream header declares, in seconds (0.0 if none)."""
    candidates = [container.duration / 1_000_000] if container.duration else []
    for stream in container.streams:
        if stream.duration and stream.time_base:
            candidates.append(float(stream.duration * stream.time_base))
    return max(candidates, default=0.0)


def _video_info(name: str, stream: av.VideoStream, settings: Settings) -> VideoInfo:
    codec = stream.codec_context.codec.canonical_name
    if codec not in VIDEO_CODECS:
        raise MediaError(
            f"{name}: unsupported video codec {codec!r} (supported: {', '.join(sorted(VIDEO_CODECS))})"
        )
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > settings.max_frame_pixels:
        raise MediaError(
            f"{name}: frame size {width}x{height} exceeds the limit of {settings.max_frame_pixels} pixels"
        )
    rate = stream.average_rate or stream.guessed_rate
    return VideoInfo(codec=codec, width=width, height=height, fps=float(rate) if rate else 0.0)


def _audio_info(name: str, stream: av.AudioStream) -> AudioInfo:
    codec = stream.codec_context.codec.canonical_name
    if codec not in AUDIO_CODECS and not codec.startswith("pcm_"):
        raise MediaError(
            f"{name}: unsupported audio codec {codec!r} (supported: {', '.join(sorted(AUDIO_CODECS))}, PCM)"
        )
    return AudioInfo(
        codec=codec, sample_rate=stream.codec_context.sample_rate, channels=stream.codec_context.channels
    )
