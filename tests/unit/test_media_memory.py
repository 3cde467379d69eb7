"""Memory stays flat whatever the recording's length: a 12-minute stream decodes in a fresh process whose peak
memory hardly moves, because audio goes to the disk spool and sampled frames are handed on, not kept."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.media_factory import AudioSpec, VideoSpec, real_frames, real_speech, write_recording

REPO_ROOT = Path(__file__).resolve().parents[2]
LONG_S = 12 * 60

# Runs in a child process so its peak RSS (ru_maxrss) measures this decode alone. A short decode first loads
# every library and codec, so what grows afterwards is what the long recording costs.
PROBE_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    from pathlib import Path

    from server.config import Settings
    from server.media.audio_spool import AudioSpool
    from server.media.decoder import decode

    long_path, warm_path = Path(sys.argv[1]), Path(sys.argv[2])
    frames = []
    with AudioSpool() as spool:
        decode(warm_path, Settings(), lambda frame: None, spool)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    with AudioSpool() as spool:
        info = decode(long_path, Settings(), lambda frame: frames.append(frame.t), spool)
        audio_s = spool.duration_s
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "duration_s": info.duration_s, "audio_s": audio_s, "frames": len(frames),
        "rss_growth_mb": (after_kb - before_kb) / 1024, "python_peak_mb": traced_peak / 2**20,
    }))
    """
)


def test_long_recording_decodes_in_bounded_memory(fixtures_dir: Path, tmp_path: Path) -> None:
    long_path = write_recording(
        tmp_path / "long.mkv",
        LONG_S,
        VideoSpec("libx264", 64, 36, fps=5),
        AudioSpec("pcm_s16le"),
        real_frames(fixtures_dir, 64, 36),
        real_speech(fixtures_dir),
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE_SCRIPT, str(long_path), str(fixtures_dir / "video" / "single_face.mp4")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    measured = json.loads(done.stdout)
    assert measured["duration_s"] == LONG_S
    assert measured["audio_s"] == LONG_S
    # Sampled frame times (floats) are all this test keeps: 1440 of them.
    assert measured["frames"] == LONG_S * 2
    # Holding the audio alone would take 46 MB (12 min x 16 kHz x float32); the frames 10 MB more.
    assert measured["python_peak_mb"] < 4
    assert measured["rss_growth_mb"] < 16
