"""Test recordings built at test time with PyAV from the real fixtures, and damaged copies of them.

Pictures come from ``video/single_face.mp4`` (a real face) and sound from a LibriVox reading, so decoders see
real content; only the codec, container, size and length vary. Files are kept tiny so a test run stays fast.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SOURCE_VIDEO = Path("video") / "single_face.mp4"
SOURCE_SPEECH = Path("speech_en") / "sense_and_sensibility_01_austen_64kb-0870.wav"
SPEECH_RATE = 16000
_AUDIO_CHUNK = 1024

# Encoder options that keep encoding fast and quiet on tiny frames.
FAST_OPTIONS: dict[str, dict[str, str]] = {
    "libx264": {"preset": "ultrafast"},
    "libx265": {"preset": "ultrafast", "x265-params": "log-level=error"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
    "libsvtav1": {"preset": "12"},
}


@dataclass(frozen=True)
class VideoSpec:
    codec: str  # a PyAV encoder name
    width: int = 160
    height: int = 96
    fps: int = 15
    rotation: int = 0  # display-matrix rotation, degrees counter-clockwise
    pix_fmt: str = "yuv420p"
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AudioSpec:
    codec: str  # a PyAV encoder name
    rate: int = SPEECH_RATE
    layout: str = "mono"
    options: dict[str, str] = field(default_factory=dict)


def real_frames(fixtures_dir: Path, width: int, height: int) -> list[np.ndarray]:
    """Every frame of the real face clip as RGB at ``width`` x ``height``."""
    with av.open(str(fixtures_dir / SOURCE_VIDEO)) as container:
        return [
            frame.to_ndarray(width=width, height=height, format="rgb24")
            for frame in container.decode(video=0)
        ]


def real_speech(fixtures_dir: Path) -> np.ndarray:
    """The LibriVox reading as 16 kHz mono float32."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SPEECH_RATE)
    chunks = []
    with av.open(str(fixtures_dir / SOURCE_SPEECH)) as container:
        for frame in container.decode(audio=0):
            chunks.extend(out.to_ndarray()[0] for out in resampler.resample(frame))
    chunks.extend(out.to_ndarray()[0] for out in resampler.resample(None))
    return np.concatenate(chunks)


def write_recording(
    path: Path,
    duration_s: float,
    video: VideoSpec | None,
    audio: AudioSpec | None,
    frames: Sequence[np.ndarray] = (),
    speech: np.ndarray | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    """Encode ``duration_s`` of looped ``frames`` and/or ``speech`` (16 kHz float) into ``path``."""
    with av.open(str(path), "w", options=container_options or {}) as container:
        video_stream = _add_video(container, video) if video else None
        audio_stream = _add_audio(container, audio) if audio else None
        frame_count = round(duration_s * video.fps) if video else 0
        sample_count = round(duration_s * SPEECH_RATE) if audio else 0
        next_sample = 0
        # Interleaved as recorders write: audio up to each frame's time, then the frame; the rest at the end.
        for index in range(frame_count + 1):
            until = sample_count if index == frame_count else round(index / video.fps * SPEECH_RATE)
            while audio_stream is not None and next_sample < until:
                count = min(_AUDIO_CHUNK, sample_count - next_sample)
                _encode_audio(container, audio_stream, _looped(speech, next_sample, count), next_sample)
                next_sample += count
            if video_stream is not None and index < frame_count:
                picture = av.VideoFrame.from_ndarray(frames[index % len(frames)], format="rgb24")
                picture.pts = index
                container.mux(video_stream.encode(picture))
        for stream in (video_stream, audio_stream):
            if stream is not None:
                container.mux(stream.encode(None))
    return path


def _add_video(container: av.container.OutputContainer, spec: VideoSpec) -> av.VideoStream:
    stream = container.add_stream(
        spec.codec, rate=spec.fps, options={**FAST_OPTIONS.get(spec.codec, {}), **spec.options}
    )
    stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, spec.pix_fmt
    stream.time_base = Fraction(1, spec.fps)
    if spec.rotation:
        stream.set_display_rotation(spec.rotation)
    return stream


def _add_audio(container: av.container.OutputContainer, spec: AudioSpec) -> av.AudioStream:
    stream = container.add_stream(spec.codec, rate=spec.rate, options=spec.options)
    stream.layout = spec.layout
    return stream


def _encode_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray, start: int
) -> None:
    frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
    frame.sample_rate = SPEECH_RATE
    frame.pts = start
    frame.time_base = Fraction(1, SPEECH_RATE)
    container.mux(stream.encode(frame))


def _looped(speech: np.ndarray | None, start: int, count: int) -> np.ndarray:
    if speech is None:
        return np.zeros(count, dtype=np.float32)
    return np.take(speech, np.arange(start, start + count), mode="wrap").astype(np.float32)


# Damaged and hostile copies --------------------------------------------------------------------------------


def with_matroska_duration(source: Path, target: Path, seconds: float) -> Path:
    """Copy a Matroska/WebM file whose Segment Info declares ``seconds`` of length (8-byte float, in ms)."""
    data = bytearray(source.read_bytes())
    element = data.index(b"\x44\x89\x88")  # Duration, 8-byte payload
    data[element + 3 : element + 11] = struct.pack(">d", seconds * 1000.0)
    target.write_bytes(bytes(data))
    return target


def with_wav_data_size(source: Path, target: Path, size: int) -> Path:
    """Copy a WAV file whose data chunk declares ``size`` bytes (the length FFmpeg derives from it)."""
    data = bytearray(source.read_bytes())
    chunk = data.index(b"data")
    data[chunk + 4 : chunk + 8] = struct.pack("<I", size)
    target.write_bytes(bytes(data))
    return target


def without_tracks(source: Path, target: Path) -> Path:
    """Copy an MP4 whose track boxes are renamed to free space: a valid container with no streams."""
    target.write_bytes(source.read_bytes().replace(b"trak", b"free"))
    return target


def with_vp8_frame_size(source: Path, target: Path, width: int, height: int) -> Path:
    """Copy a VP8 WebM whose first key frame declares ``width`` x ``height`` (14 bits each) in its bitstream,
    while the container header keeps the small size: only the decoder sees the absurd frame."""
    data = bytearray(source.read_bytes())
    start_code = data.index(b"\x9d\x01\x2a")
    data[start_code + 3 : start_code + 7] = struct.pack("<HH", width, height)
    target.write_bytes(bytes(data))
    return target


def truncated(source: Path, target: Path, keep: float) -> Path:
    """Copy the first ``keep`` share of a file's bytes, as an interrupted upload would leave it."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def with_scrambled_packets(source: Path, target: Path, stream_type: str, indices: Sequence[int]) -> Path:
    """Copy a file with the payloads of the given packets (counted within one stream type) overwritten by
    noise, leaving the container's own structure intact."""
    data = bytearray(source.read_bytes())
    rng = np.random.default_rng(0)
    with av.open(str(source)) as container:
        packets = [
            packet for packet in container.demux() if packet.size and packet.stream.type == stream_type
        ]
        for index in indices:
            payload = bytes(packets[index])
            offset = data.index(payload, packets[index].pos)
            data[offset : offset + len(payload)] = rng.bytes(len(payload))
    target.write_bytes(bytes(data))
    return target
