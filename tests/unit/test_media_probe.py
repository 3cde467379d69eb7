"""Bad input: every broken, hostile or unsupported file ends in a MediaError that names the problem, fast."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from server.config import Settings
from server.errors import MediaError
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.media.frame_sampler import SampledFrame
from server.media.probe import MediaInfo, probe
from tests.media_factory import (
    AudioSpec,
    VideoSpec,
    real_frames,
    real_speech,
    truncated,
    with_matroska_duration,
    with_scrambled_packets,
    with_vp8_frame_size,
    without_tracks,
    write_recording,
)

FAST_S = 10.0  # "within seconds": generous, since each case takes milliseconds


def _decode(path: Path, settings: Settings | None = None) -> tuple[MediaInfo, list[SampledFrame], AudioSpool]:
    frames: list[SampledFrame] = []
    spool = AudioSpool()
    info = decode(path, settings or Settings(), frames.append, spool)
    return info, frames, spool


def _refused(path: Path, *fragments: str, settings: Settings | None = None) -> str:
    """Both probe and decode must refuse ``path`` quickly with a message holding every fragment."""
    for step in (lambda: probe(path, settings or Settings()), lambda: _decode(path, settings)):
        started = time.monotonic()
        with pytest.raises(MediaError) as caught:
            step()
        assert time.monotonic() - started < FAST_S
        message = str(caught.value)
        assert path.name in message
        for fragment in fragments:
            assert fragment in message
    return message


def _refused_by_decode(path: Path, *fragments: str) -> str:
    """Damage only reading the streams can show: probe accepts, decode refuses."""
    probe(path, Settings())
    started = time.monotonic()
    with pytest.raises(MediaError) as caught:
        _decode(path)
    assert time.monotonic() - started < FAST_S
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    return message


@pytest.fixture(scope="module")
def sources(fixtures_dir: Path) -> tuple[list[np.ndarray], np.ndarray]:
    return real_frames(fixtures_dir, 160, 96), real_speech(fixtures_dir)[16000:]


@pytest.fixture(scope="module")
def make(
    tmp_path_factory: pytest.TempPathFactory, sources: tuple[list[np.ndarray], np.ndarray]
) -> Callable[..., Path]:
    """Encode a 1.6 s clip of real frames and speech; keyword arguments go to ``write_recording``."""
    folder = tmp_path_factory.mktemp("bad_input")
    frames, speech = sources

    def build(
        name: str,
        video: VideoSpec | None,
        audio: AudioSpec | None,
        container_options: dict[str, str] | None = None,
    ) -> Path:
        return write_recording(folder / name, 1.6, video, audio, frames, speech, container_options)

    return build


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "interview.mp4", "file not found")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "upload.mp4"
    folder.mkdir()
    _refused(folder, "not a regular file")


def test_zero_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    _refused(path, "file is empty (0 bytes)")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(7).bytes(200_000))
    _refused(path, "not a recognised audio or video format")


def test_text_renamed_mp4(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "transcript.mp4"
    path.write_bytes(
        (fixtures_dir / "speech_en" / "sense_and_sensibility_01_austen_64kb-0870.txt").read_bytes()
    )
    _refused(path, "file is text, not audio or video")


def test_mp4_cut_before_its_index(tmp_path: Path, fixtures_dir: Path) -> None:
    """single_face.mp4 keeps its moov box at the end: an interrupted upload loses it."""
    path = truncated(fixtures_dir / "video" / "single_face.mp4", tmp_path / "cut.mp4", 0.5)
    _refused(path, "MP4/MOV file is truncated or damaged")


@pytest.mark.parametrize(
    ("name", "video", "audio", "options"),
    [
        ("faststart.mp4", VideoSpec("libx264"), AudioSpec("aac"), {"movflags": "faststart"}),
        ("recorder.webm", VideoSpec("libvpx"), AudioSpec("libopus", 48000), {}),
    ],
)
def test_cut_after_its_index(
    make: Callable[..., Path],
    tmp_path: Path,
    name: str,
    video: VideoSpec | None,
    audio: AudioSpec,
    options: dict[str, str],
) -> None:
    """With the index up front the file opens; reading then ends far short of the declared length."""
    whole = make(name, video, audio, container_options=options)
    message = _refused_by_decode(truncated(whole, tmp_path / name, 0.5), "recording is truncated", "1.6 s")
    assert name in message


@pytest.mark.parametrize(
    ("name", "audio", "keep_bytes", "problem"),
    [
        ("header.webm", AudioSpec("libopus", 48000), 300, "Matroska/WebM file is truncated or damaged"),
        ("header.wav", AudioSpec("pcm_s16le"), 40, "WAV file is truncated or damaged"),
        ("header.ogg", AudioSpec("libopus", 48000), 30, "Ogg file is truncated or damaged"),
    ],
)
def test_cut_inside_the_header(
    make: Callable[..., Path], tmp_path: Path, name: str, audio: AudioSpec, keep_bytes: int, problem: str
) -> None:
    whole = make(name, None, audio)
    cut = tmp_path / name
    cut.write_bytes(whole.read_bytes()[:keep_bytes])
    _refused(cut, problem)


def test_unreadable_file() -> None:
    """A regular file whose read fails: Linux refuses to read address 0 of /proc/self/mem, even for root."""
    _refused(Path("/proc/self/mem"), "file cannot be read (Input/output error)")


def test_container_without_streams(tmp_path: Path, fixtures_dir: Path) -> None:
    path = without_tracks(fixtures_dir / "video" / "single_face.mp4", tmp_path / "no_tracks.mp4")
    _refused(path, "no audio or video stream")


def test_absurd_frame_size_in_header(tmp_path: Path, fixtures_dir: Path) -> None:
    """A real H.264 stream whose sequence header declares 8192x4320, over the default 8K limit."""
    face = real_frames(fixtures_dir, 640, 360)[0]
    huge = cv2.resize(face, (8192, 4320), interpolation=cv2.INTER_NEAREST)
    path = write_recording(tmp_path / "huge.mp4", 1.0, VideoSpec("libx264", 8192, 4320, fps=1), None, [huge])
    _refused(path, "frame size 8192x4320 exceeds the limit of 33177600 pixels")


def test_frame_size_limit_follows_settings(fixtures_dir: Path) -> None:
    path = fixtures_dir / "video" / "single_face.mp4"
    _refused(path, "frame size 640x360", settings=Settings(max_frame_pixels=640 * 359))


def test_absurd_frame_size_hidden_in_the_bitstream(make: Callable[..., Path], tmp_path: Path) -> None:
    """The WebM header says 160x96 but the VP8 key frame says 16383x16383: the decoder refuses the frames
    (FFmpeg's max_pixels) instead of allocating a gigabyte."""
    clip = make("small.webm", VideoSpec("libvpx"), None)
    path = with_vp8_frame_size(clip, tmp_path / "bomb.webm", 16383, 16383)
    _refused_by_decode(path, "the video stream could not be decoded", "packets rejected")


def test_absurd_declared_duration(make: Callable[..., Path], tmp_path: Path) -> None:
    clip = make("short.webm", VideoSpec("libvpx"), AudioSpec("libopus", 48000))
    path = with_matroska_duration(clip, tmp_path / "endless.webm", 10 * 3600)
    _refused(path, "declared duration 10.0 h exceeds the limit of 4.0 h")


def test_length_limit_is_enforced_while_decoding(make: Callable[..., Path]) -> None:
    """A live WebM (as browsers record) declares no length; the limit then holds on the timestamps read."""
    clip = make("live.webm", VideoSpec("libvpx"), AudioSpec("libopus", 48000), {"live": "1"})
    assert probe(clip, Settings(max_duration_s=1.0)).duration_s == 0.0
    with pytest.raises(MediaError, match=r"live\.webm: recording runs past the limit"):
        _decode(clip, Settings(max_duration_s=1.0))


def test_unsupported_container(make: Callable[..., Path]) -> None:
    _refused(make("old.avi", VideoSpec("libx264"), None), "unsupported container format", "AVI")


def test_unsupported_codec(make: Callable[..., Path]) -> None:
    _refused(make("old.mp4", VideoSpec("mpeg4"), None), "unsupported video codec 'mpeg4'")


def test_corrupt_packets_are_skipped_and_counted(make: Callable[..., Path], tmp_path: Path) -> None:
    clip = make("clean.webm", VideoSpec("libvpx"), AudioSpec("libopus", 48000))
    path = with_scrambled_packets(clip, tmp_path / "scratched.webm", "video", [1, 4, 7, 10])
    info, frames, spool = _decode(path)
    assert info.skipped_packets == 4
    assert info.duration_s == pytest.approx(1.6, abs=0.05)
    assert len(frames) == 4
    assert spool.duration_s == pytest.approx(1.6, abs=0.05)
    spool.close()


def test_lost_audio_packets_become_silence_in_place(make: Callable[..., Path], tmp_path: Path) -> None:
    clip = make("clean_audio.mp4", VideoSpec("libx264"), AudioSpec("aac"))
    path = with_scrambled_packets(clip, tmp_path / "dropouts.mp4", "audio", range(3, 9))
    info, _, spool = _decode(path)
    assert info.skipped_packets == 6
    assert spool.duration_s == pytest.approx(1.6, abs=0.05)  # later audio stays on time
    spool.close()


def test_nothing_decodable_is_an_error(make: Callable[..., Path], tmp_path: Path) -> None:
    clip = make("video_only.webm", VideoSpec("libvpx"), None)
    path = with_scrambled_packets(clip, tmp_path / "ruined.webm", "video", range(24))
    _refused_by_decode(path, "the video stream could not be decoded", "packets rejected")


def test_silence_decodes_and_measures_as_silence(tmp_path: Path) -> None:
    """Silence is not a media error (the pipeline decides from VAD); its levels show it plainly."""
    path = write_recording(tmp_path / "silent.wav", 2.0, None, AudioSpec("pcm_s16le"))
    info, _, spool = _decode(path)
    assert info.audio is not None and info.duration_s == pytest.approx(2.0)
    assert spool.levels.samples == 32000
    assert spool.levels.rms_dbfs == spool.levels.peak_dbfs == -120.0
    spool.close()


def test_probe_describes_without_decoding(fixtures_dir: Path) -> None:
    info = probe(fixtures_dir / "video" / "face_noface.mov", Settings())
    assert info.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert info.duration_s == pytest.approx(6.42, abs=0.01)
    assert info.video is not None and (info.video.codec, info.video.width, info.video.height) == (
        "hevc",
        960,
        540,
    )
    assert info.audio is not None and (info.audio.codec, info.audio.sample_rate, info.audio.channels) == (
        "aac",
        44100,
        2,
    )
