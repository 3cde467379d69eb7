"""One-pass decoding of real recordings: the shared fixtures and clips encoded at test time in every supported
container, video codec and audio codec."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from server.config import Settings
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.media.frame_sampler import SampledFrame
from server.media.probe import MediaInfo, probe
from tests.media_factory import AudioSpec, VideoSpec, real_frames, real_speech, write_recording

CLIP_S = 1.6
CLIP_FPS = 15
SPEECH_OFFSET = 16000  # the reading's first second is near-silent; clips start one second in

H264, HEVC, VP8, VP9, AV1 = (
    VideoSpec(encoder, fps=CLIP_FPS)
    for encoder in ("libx264", "libx265", "libvpx", "libvpx-vp9", "libsvtav1")
)
HEVC_10BIT = VideoSpec("libx265", fps=CLIP_FPS, pix_fmt="yuv420p10le")  # what phones record
VORBIS = AudioSpec("vorbis", 44100, "stereo", {"strict": "experimental"})

# (file name, video to encode, its decoded codec name, audio to encode, its decoded codec name)
MATRIX = [
    ("h264_aac.mp4", H264, "h264", AudioSpec("aac", 44100, "stereo"), "aac"),
    ("hevc_aac.mp4", HEVC, "hevc", AudioSpec("aac", 48000), "aac"),
    ("av1_opus.mp4", AV1, "av1", AudioSpec("libopus", 48000), "opus"),
    ("h264_pcm.mov", H264, "h264", AudioSpec("pcm_s16le", 16000), "pcm_s16le"),
    ("hevc10_aac.mov", HEVC_10BIT, "hevc", AudioSpec("aac", 44100, "stereo"), "aac"),
    ("vp8_opus.webm", VP8, "vp8", AudioSpec("libopus", 48000, "stereo"), "opus"),
    ("vp8_vorbis.webm", VP8, "vp8", VORBIS, "vorbis"),
    ("vp9_opus.webm", VP9, "vp9", AudioSpec("libopus", 48000), "opus"),
    ("av1_opus.webm", AV1, "av1", AudioSpec("libopus", 48000), "opus"),
    ("h264_mp3.mkv", H264, "h264", AudioSpec("libmp3lame", 22050), "mp3"),
    ("vp9_pcm.mkv", VP9, "vp9", AudioSpec("pcm_s16le", 16000), "pcm_s16le"),
    ("hevc_flac.mkv", HEVC, "hevc", AudioSpec("flac", 16000), "flac"),
    ("av1_aac.mkv", AV1, "av1", AudioSpec("aac", 32000), "aac"),
    ("audio_aac.m4a", None, None, AudioSpec("aac", 44100), "aac"),
    ("audio_opus.ogg", None, None, AudioSpec("libopus", 48000), "opus"),
    ("audio_opus.webm", None, None, AudioSpec("libopus", 48000, "stereo"), "opus"),
    ("audio_mp3.mp3", None, None, AudioSpec("libmp3lame", 44100), "mp3"),
    ("audio_pcm.wav", None, None, AudioSpec("pcm_s16le", 8000), "pcm_s16le"),
    ("video_h264.mp4", H264, "h264", None, None),
    ("video_vp9.webm", VP9, "vp9", None, None),
]


class Decoded:
    """What one decode produced, with the audio read back before the spool closed."""

    def __init__(self, path: Path, settings: Settings | None = None, analysis_width: int = 480) -> None:
        self.frames: list[SampledFrame] = []
        with AudioSpool() as spool:
            self.info: MediaInfo = decode(
                path, settings or Settings(), self.frames.append, spool, analysis_width
            )
            self.audio = spool.read()
            self.levels = spool.levels

    @property
    def times(self) -> list[float]:
        return [frame.t for frame in self.frames]


@pytest.fixture(scope="session")
def source_frames(fixtures_dir: Path) -> list[np.ndarray]:
    return real_frames(fixtures_dir, 160, 96)


@pytest.fixture(scope="session")
def source_speech(fixtures_dir: Path) -> np.ndarray:
    return real_speech(fixtures_dir)[SPEECH_OFFSET:]


@pytest.fixture(scope="session")
def clips(
    tmp_path_factory: pytest.TempPathFactory, source_frames: list[np.ndarray], source_speech: np.ndarray
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("codec_matrix")
    return {
        name: write_recording(folder / name, CLIP_S, video, audio, source_frames, source_speech)
        for name, video, _, audio, _ in MATRIX
    }


def _wav_samples(path: Path) -> np.ndarray:
    """The fixture's 16-bit PCM read without FFmpeg, as an independent reference."""
    with wave.open(str(path)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16000, 1, 2)
        return np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(np.float32) / 32768


def _rms_dbfs(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2))))


@pytest.mark.parametrize(
    "name", ["sense_and_sensibility_01_austen_64kb-0870.wav", "BAC009S0764W0121.wav"], ids=["en", "zh"]
)
def test_speech_wav_decodes_sample_exact(fixtures_dir: Path, name: str) -> None:
    path = next(fixtures_dir.glob(f"speech_*/{name}"))
    reference = _wav_samples(path)
    decoded = Decoded(path)
    assert decoded.info.video is None and decoded.frames == []
    assert decoded.info.audio is not None and decoded.info.audio.sample_rate == 16000
    assert decoded.audio.dtype == np.float32
    np.testing.assert_allclose(decoded.audio, reference, atol=1e-6)
    assert decoded.info.duration_s == pytest.approx(reference.size / 16000)
    assert decoded.levels.rms_dbfs == pytest.approx(_rms_dbfs(reference), abs=0.01)


def test_single_face_mp4(fixtures_dir: Path) -> None:
    path = fixtures_dir / "video" / "single_face.mp4"
    decoded = Decoded(path)
    assert decoded.info.duration_s == pytest.approx(probe(path, Settings()).duration_s, abs=0.05)
    assert decoded.info.video is not None and decoded.info.audio is not None
    assert (decoded.info.video.codec, decoded.info.video.width, decoded.info.video.height) == (
        "h264",
        640,
        360,
    )
    assert decoded.info.video.fps == pytest.approx(30.0, abs=0.1)
    assert decoded.info.audio.codec == "mp3"
    # 2 frames per second over 2.42 s: grid points 0, 0.5, 1.0, 1.5, 2.0, each within two frames.
    np.testing.assert_allclose(decoded.times, [0.0, 0.5, 1.0, 1.5, 2.0], atol=2 / 30 + 1e-6)
    assert all(frame.rgb.shape == (270, 480, 3) and frame.rgb.dtype == np.uint8 for frame in decoded.frames)
    assert decoded.audio.size == pytest.approx(decoded.info.duration_s * 16000, abs=160)
    assert decoded.levels.rms_dbfs == pytest.approx(-57.5, abs=1.5)  # the README's "near-silent audio"


def test_no_face_mp4(fixtures_dir: Path) -> None:
    decoded = Decoded(fixtures_dir / "video" / "no_face.mp4")
    assert decoded.info.duration_s == pytest.approx(3.95, abs=0.05)
    assert decoded.info.video is not None and decoded.info.video.fps == pytest.approx(24.0, abs=0.1)
    assert len(decoded.frames) == 8
    assert decoded.audio.size == pytest.approx(decoded.info.duration_s * 16000, abs=160)
    assert decoded.levels.rms_dbfs == pytest.approx(_rms_dbfs(decoded.audio), abs=0.01)
    assert -25 < decoded.levels.rms_dbfs < -17


def test_hevc_mov_audio_is_placed_on_the_video_timeline(fixtures_dir: Path) -> None:
    """face_noface.mov's audio track starts 2.43 s in: the spool must hold silence there, not shift speech."""
    decoded = Decoded(fixtures_dir / "video" / "face_noface.mov")
    assert decoded.info.video is not None and decoded.info.video.codec == "hevc"
    assert decoded.info.duration_s == pytest.approx(6.42, abs=0.05)
    assert len(decoded.frames) == 13
    assert decoded.times == sorted(decoded.times)
    assert decoded.audio.size == pytest.approx(6.42 * 16000, abs=800)
    assert np.abs(decoded.audio[: int(2.4 * 16000)]).max() == 0.0
    assert _rms_dbfs(decoded.audio[int(2.5 * 16000) :]) > -30


@pytest.mark.parametrize(
    ("name", "_v", "video_codec", "_a", "audio_codec"), MATRIX, ids=[row[0] for row in MATRIX]
)
def test_codec_matrix(
    clips: dict[str, Path],
    source_frames: list[np.ndarray],
    source_speech: np.ndarray,
    name: str,
    _v: VideoSpec | None,
    video_codec: str | None,
    _a: AudioSpec | None,
    audio_codec: str | None,
) -> None:
    decoded = Decoded(clips[name])
    assert decoded.info.duration_s == pytest.approx(CLIP_S, abs=0.05)
    if video_codec is None:
        assert decoded.info.video is None and decoded.frames == []
    else:
        assert decoded.info.video is not None
        assert (decoded.info.video.codec, decoded.info.video.width, decoded.info.video.height) == (
            video_codec,
            160,
            96,
        )
        assert decoded.info.video.fps == pytest.approx(CLIP_FPS, abs=0.05)
        np.testing.assert_allclose(decoded.times, [0.0, 0.5, 1.0, 1.5], atol=2 / CLIP_FPS + 1e-6)
        # Same picture, same channel order: the first sample is the source's first frame.
        difference = np.abs(decoded.frames[0].rgb.astype(np.int16) - source_frames[0].astype(np.int16))
        assert difference.mean() < 12
    if audio_codec is None:
        assert decoded.info.audio is None and decoded.audio.size == 0
    else:
        assert decoded.info.audio is not None and decoded.info.audio.codec == audio_codec
        assert decoded.audio.size / 16000 == pytest.approx(CLIP_S, abs=0.05)
        # The waveform survives the codec and lands at the right time (no lag, no drift).
        n = int(CLIP_S * 16000) - 800
        correlation = np.corrcoef(decoded.audio[:n], source_speech[:n])[0, 1]
        assert correlation > 0.95
        assert decoded.levels.rms_dbfs == pytest.approx(
            _rms_dbfs(source_speech[: int(CLIP_S * 16000)]), abs=1.0
        )


def test_frames_are_scaled_down_but_never_up(fixtures_dir: Path) -> None:
    path = fixtures_dir / "video" / "single_face.mp4"
    assert Decoded(path, analysis_width=320).frames[0].rgb.shape == (180, 320, 3)
    assert Decoded(path, analysis_width=1280).frames[0].rgb.shape == (360, 640, 3)


def test_sampling_rate_follows_settings(fixtures_dir: Path) -> None:
    decoded = Decoded(fixtures_dir / "video" / "single_face.mp4", Settings(frame_rate=5.0))
    assert len(decoded.frames) == 12  # grid points 0, 0.2, ... 2.2 within 2.42 s
    assert np.all(np.diff(decoded.times) > 0.1)


def test_rotated_phone_video_is_turned_upright(tmp_path: Path, source_frames: list[np.ndarray]) -> None:
    """A stream stored landscape with a 90° display matrix (a phone held upright) comes out as displayed."""
    path = write_recording(
        tmp_path / "portrait.mp4", 1.0, VideoSpec("libx264", rotation=90), None, source_frames
    )
    decoded = Decoded(path)
    assert decoded.info.video is not None
    assert (decoded.info.video.width, decoded.info.video.height) == (96, 160)
    upright = np.rot90(source_frames[0])  # what a player shows: the stored frame turned 90° counter-clockwise
    assert decoded.frames[0].rgb.shape == upright.shape
    assert np.abs(decoded.frames[0].rgb.astype(np.int16) - upright.astype(np.int16)).mean() < 12


def test_sample_rate_change_mid_stream(tmp_path: Path, source_speech: np.ndarray) -> None:
    """Two MP3 files of different sample rates joined byte-wise: the resampler restarts, no audio is lost."""
    first = write_recording(
        tmp_path / "a.mp3", 1.0, None, AudioSpec("libmp3lame", 44100), speech=source_speech
    )
    second = write_recording(
        tmp_path / "b.mp3", 1.0, None, AudioSpec("libmp3lame", 22050), speech=source_speech
    )
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    decoded = Decoded(joined)
    assert decoded.audio.size / 16000 == pytest.approx(2.0, abs=0.15)
    second_half = decoded.audio[-12000:]
    assert _rms_dbfs(second_half) > -35  # the 22.05 kHz part was decoded, not dropped
