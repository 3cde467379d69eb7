"""One pass over a recording: demux audio and video together, keep sampled frames, spool all audio.

Decode cost is paid once, by one reader, with FFmpeg's frame and slice threads. Only the frames the sampler
keeps are scaled and converted to RGB (converting every frame costs more than decoding at 720p), by one
reused scaler (creating one per frame costs 5 ms at 720p, the scaling itself under 1 ms); the others are
dropped as decoded YUV. When sampling is sparse, the decoder also skips non-reference frames (B-frames nothing
else depends on): they would almost all be dropped anyway, a kept frame moves by at most a frame or two, and
H.264 with B-frames decodes about a third faster. Audio is resampled to 16 kHz mono float32 and written to the
spool as it arrives, so memory stays flat whatever the length.

Corrupt data: a packet the decoder rejects is skipped and counted (``MediaInfo.skipped_packets``); its audio
becomes silence, its video frame is missing. FFmpeg's demuxers resync past damaged container data by
themselves. A ``MediaError`` follows only when a stream that has packets yields nothing at all, when what was
read ends well short of the length an indexed container declares (a truncated upload), or when reading the
file fails outright (an I/O error).

Progress and cancellation: ``on_progress`` gets the decoded share of the declared length every few packets;
an exception it raises (a cancellation) stops the pass, and the container is closed on the way out.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import av
import av.container
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from server.config import Settings
from server.errors import MediaError
from server.media.audio_spool import AudioSpool
from server.media.frame_sampler import FrameSampler, SampledFrame
from server.media.probe import MediaInfo, VideoInfo, audio_stream, open_media, video_stream

logger = logging.getLogger(__name__)

# Non-reference frames are skipped when the stream has at least this many frames per sampled frame.
_SKIP_NONREF_FACTOR = 4
# Audio timestamps may drift this far from the samples already spooled before silence is inserted (a gap)
# or samples are dropped (an overlap); smaller jitter is left alone.
_AUDIO_SLACK_S = 0.02
_GAP_CHUNK_SAMPLES = 16000 * 60
# A recording that ends this much short of its declared length (the larger of the two) is truncated.
_TRUNCATION_S = 0.5
_TRUNCATION_SHARE = 0.01
# Containers whose header states the length apart from the data present. FFmpeg derives a WAV's or Ogg's
# length from what is in the file and estimates an MP3's from its bit rate: truncation cannot show there.
_EXACT_LENGTH = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"})
# on_progress runs every this many packets: a few hundred times a second of decoding, a negligible cost.
_PROGRESS_PACKETS = 16
# The audio-only pass's share of decoding progress when audio is read first.
_AUDIO_PASS_SHARE = 0.05


def decode(
    path: Path,
    settings: Settings,
    on_frame: Callable[[SampledFrame], None],
    audio: AudioSpool,
    analysis_width: int = 480,
    on_progress: Callable[[float], None] | None = None,
    on_audio: Callable[[], None] | None = None,
) -> MediaInfo:
    """Decode ``path`` once: ``on_frame`` gets each sampled frame in time order, ``audio`` gets all audio.

    Frames are sampled at ``settings.frame_rate`` per second, turned upright, and scaled down (never up) to
    ``analysis_width``. Returns what was actually decoded: its real duration, the displayed frame size and
    the measured frame rate. Raises ``MediaError`` for input that cannot be used. ``on_progress`` gets the
    share decoded so far (0-1, by packet time against the declared length; 0 while that is unknown) every
    few packets; whatever it raises stops decoding.

    ``on_audio()`` is called once, as soon as the spool holds all audio. With it, a file with both streams is
    read twice: audio alone first (demuxing and decoding audio costs a few percent of the video), then the
    video, so speech work can run on the spool while the video is still being decoded.
    """
    container, info = open_media(path, settings)
    with container:
        decoding = _Decoding(path.name, container, info, settings, on_frame, audio, analysis_width)
        if on_audio is None or decoding.audio is None or decoding.video is None:
            decoding.on_progress = on_progress
            result = decoding.run()
            if on_audio is not None:
                on_audio()
            return result
        if on_progress is not None:
            decoding.on_progress = lambda share: on_progress(_AUDIO_PASS_SHARE * share)
        decoding.read([decoding.audio])
    on_audio()
    container, _ = open_media(path, settings)
    with container:
        video_pass = _Decoding(path.name, container, info, settings, on_frame, audio, analysis_width)
        video_pass.take_audio(decoding)
        if on_progress is not None:
            video_pass.on_progress = lambda share: on_progress(
                _AUDIO_PASS_SHARE + (1 - _AUDIO_PASS_SHARE) * share
            )
        video_pass.read([video_pass.video])
        return video_pass.result()


class _Decoding:
    """The state of one decode pass."""

    def __init__(
        self,
        name: str,
        container: av.container.InputContainer,
        info: MediaInfo,
        settings: Settings,
        on_frame: Callable[[SampledFrame], None],
        audio: AudioSpool,
        analysis_width: int,
    ) -> None:
        self.name, self.container, self.info, self.settings = name, container, info, settings
        self.on_frame, self.spool, self.analysis_width = on_frame, audio, analysis_width
        self.video = video_stream(container) if info.video else None
        self.audio = audio_stream(container) if info.audio else None
        if self.video is not None and info.video is not None:
            self.video.thread_type = "AUTO"
            if info.video.fps >= _SKIP_NONREF_FACTOR * settings.frame_rate:
                self.video.codec_context.skip_frame = "NONREF"
        self.origin_s = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        self.sampler = FrameSampler(settings.frame_rate)
        self.scaler = VideoReformatter()
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=audio.sample_rate)
        self.spool_start = round(audio.duration_s * audio.sample_rate)
        self.video_packets = self.audio_packets = self.video_frames = self.skipped = 0
        self.first_video_s: float | None = None  # earliest and latest video packet times
        self.last_video_s = 0.0
        self.display_size: tuple[int, int] | None = None
        self.last_error = ""
        self.on_progress: Callable[[float], None] | None = None

    def run(self) -> MediaInfo:
        self.read([stream for stream in (self.video, self.audio) if stream is not None])
        return self.result()

    def read(self, streams: list[av.stream.Stream]) -> None:
        """Demux and decode ``streams`` to the end of the file."""
        try:
            for count, packet in enumerate(self.container.demux(streams)):
                if self.on_progress is not None and count % _PROGRESS_PACKETS == 0:
                    self.on_progress(self._share(packet))
                self._packet(packet)
        except av.error.FFmpegError as error:
            raise MediaError(f"{self.name}: reading the file failed ({error.strerror or error})") from error
        self._spool_resampled(self.resampler.resample(None))

    def take_audio(self, audio_pass: _Decoding) -> None:
        """Count the audio another pass over the same file decoded, as if this pass had."""
        self.spool_start = audio_pass.spool_start
        self.audio_packets = audio_pass.audio_packets
        self.skipped = audio_pass.skipped
        self.last_error = audio_pass.last_error

    def _share(self, packet: av.Packet) -> float:
        """How far into the declared length this packet lies (0-1); 0 when either is unknown."""
        if not self.info.duration_s or packet.pts is None or packet.time_base is None:
            return 0.0
        t = float(packet.pts * packet.time_base) - self.origin_s
        return min(1.0, max(0.0, t / self.info.duration_s))

    def _packet(self, packet: av.Packet) -> None:
        if packet.size:  # the demuxer's closing empty packets only flush the decoders
            if packet.stream is self.video:
                self._video_packet(packet)
            else:
                self.audio_packets += 1
        try:
            frames = packet.decode()
        except av.error.FFmpegError as error:
            self.skipped += 1
            self.last_error = error.strerror or str(error)
            logger.debug("%s: skipped a corrupt %s packet: %s", self.name, packet.stream.type, error)
            return
        self._frames(packet.stream, frames)

    def _video_packet(self, packet: av.Packet) -> None:
        """Video timing comes from packets, so frames the decoder skips or rejects still count."""
        self.video_packets += 1
        if packet.pts is None or packet.time_base is None:
            return
        t = float(packet.pts * packet.time_base) - self.origin_s
        self._check_length(t)
        self.first_video_s = t if self.first_video_s is None else min(self.first_video_s, t)
        self.last_video_s = max(self.last_video_s, t)

    def _frames(self, stream: av.stream.Stream, frames: list[av.frame.Frame]) -> None:
        for frame in frames:
            if stream is self.video:
                self._video_frame(frame)
            else:
                self._audio_frame(frame)

    def _video_frame(self, frame: av.VideoFrame) -> None:
        self.video_frames += 1
        t = frame.time - self.origin_s if frame.time is not None else self.last_video_s
        if not self.sampler.wants(t):
            return
        quarter_turns = round((frame.rotation or 0) / 90) % 4
        turned = quarter_turns % 2 == 1
        width, height = _analysis_size(frame.width, frame.height, turned, self.analysis_width)
        scaled = self.scaler.reformat(frame, width, height, "rgb24", interpolation=Interpolation.AREA)
        rgb = scaled.to_ndarray()
        if quarter_turns:
            rgb = np.ascontiguousarray(np.rot90(rgb, quarter_turns))
        if self.display_size is None:
            self.display_size = (frame.height, frame.width) if turned else (frame.width, frame.height)
        self.on_frame(SampledFrame(t=t, rgb=rgb))

    def _audio_frame(self, frame: av.AudioFrame) -> None:
        try:
            resampled = self.resampler.resample(frame)
        except ValueError:  # the stream changed sample rate or layout mid-way: drain, then start afresh
            self._spool_resampled(self.resampler.resample(None))
            self.resampler = av.AudioResampler(format="flt", layout="mono", rate=self.spool.sample_rate)
            resampled = self.resampler.resample(frame)
        self._spool_resampled(resampled)

    def _spool_resampled(self, frames: list[av.AudioFrame]) -> None:
        """Append resampled audio where its timestamps put it: gaps become silence, overlaps are cut."""
        rate = self.spool.sample_rate
        for frame in frames:
            samples = frame.to_ndarray()[0]
            written = self._spooled_samples()
            if frame.time is not None:
                start = round((frame.time - self.origin_s) * rate)
                self._check_length(start / rate)
                if start - written > _AUDIO_SLACK_S * rate:
                    self._spool_silence(start - written)
                elif written - start > _AUDIO_SLACK_S * rate:
                    samples = samples[written - start :]
            self.spool.append(samples)
        self._check_length(self._spooled_samples() / rate)

    def _spooled_samples(self) -> int:
        return round(self.spool.duration_s * self.spool.sample_rate) - self.spool_start

    def _spool_silence(self, count: int) -> None:
        while count > 0:
            chunk = min(count, _GAP_CHUNK_SAMPLES)
            self.spool.append(np.zeros(chunk, dtype=np.float32))
            count -= chunk

    def _check_length(self, t: float) -> None:
        if t > self.settings.max_duration_s:
            raise MediaError(
                f"{self.name}: recording runs past the limit of {self.settings.max_duration_s / 3600:.1f} h"
            )

    def result(self) -> MediaInfo:
        video, audio = self.info.video, self.info.audio
        if video is not None:
            if self.video_frames == 0 and self.video_packets:
                raise MediaError(f"{self.name}: the video stream could not be decoded{self._errors()}")
            video = self._decoded_video(video) if self.video_frames else None
        audio_s = self._spooled_samples() / self.spool.sample_rate
        if audio is not None:
            if audio_s == 0 and self.audio_packets:
                raise MediaError(f"{self.name}: the audio stream could not be decoded{self._errors()}")
            audio = audio if audio_s > 0 else None
        if video is None and audio is None:
            raise MediaError(f"{self.name}: the file holds no decodable audio or video{self._errors()}")
        video_end = self.last_video_s + 1.0 / video.fps if video is not None and video.fps else 0.0
        duration_s = max(video_end, audio_s)
        declared = self.info.duration_s if self.info.container in _EXACT_LENGTH else 0.0
        if declared and duration_s < declared - max(_TRUNCATION_S, _TRUNCATION_SHARE * declared):
            raise MediaError(
                f"{self.name}: recording is truncated: it ends at {duration_s:.1f} s "
                f"but its header declares {declared:.1f} s"
            )
        return MediaInfo(self.info.container, duration_s, video, audio, self.skipped)

    def _errors(self) -> str:
        return f" ({self.skipped} packets rejected: {self.last_error})" if self.skipped else ""

    def _decoded_video(self, declared: VideoInfo) -> VideoInfo:
        """The displayed size and the frame rate measured over the whole stream."""
        span = self.last_video_s - (self.first_video_s or 0.0)
        fps = (self.video_packets - 1) / span if self.video_packets > 1 and span > 0 else declared.fps
        width, height = self.display_size or (declared.width, declared.height)
        return dataclasses.replace(declared, width=width, height=height, fps=fps)


def _analysis_size(width: int, height: int, turned: bool, analysis_width: int) -> tuple[int, int]:
    """The stored-orientation size whose displayed width is at most ``analysis_width``, aspect kept."""
    shown_width, shown_height = (height, width) if turned else (width, height)
    if shown_width <= analysis_width:
        return width, height
    scaled_height = max(1, round(shown_height * analysis_width / shown_width))
    return (scaled_height, analysis_width) if turned else (analysis_width, scaled_height)
