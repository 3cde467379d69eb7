"""Per-frame measurements during the single decode pass: faces (through the runtime), light, motion.

Face requests are sent asynchronously so the dynamic batcher can group frames; at most ``max_in_flight``
frames wait for their faces, which bounds memory whatever the recording's length.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, wait

import numpy as np

from server.analysis.base import Face, FrameObservation, largest_face
from server.media.frame_sampler import SampledFrame
from server.media.frame_stats import grey, luma_stats, motion
from server.runtime import Outputs, Runtime

FACE_MODEL = "face_dlib"


def _faces(outputs: Outputs) -> tuple[Face, ...]:
    count = int(outputs["FACE_COUNT"].reshape(-1)[0])
    boxes = outputs["BOXES"].reshape(-1, 5)
    landmarks = outputs["LANDMARKS"].reshape(-1, 5, 2)
    return tuple(
        Face(
            box=tuple(float(v) for v in boxes[i, :4]),  # type: ignore[arg-type]
            score=float(boxes[i, 4]),
            landmarks=tuple((float(x), float(y)) for x, y in landmarks[i]),
        )
        for i in range(count)
    )


class FrameObserver:
    """Turns sampled frames into FrameObservations, in time order."""

    def __init__(self, runtime: Runtime, detect_faces: bool = True, max_in_flight: int = 16) -> None:
        self._runtime = runtime
        self._detect_faces = detect_faces
        self._max_in_flight = max_in_flight
        self._pending: deque[tuple[float, np.ndarray, float, Future[Outputs] | None]] = deque()
        self._previous: np.ndarray | None = None
        self.observations: list[FrameObservation] = []

    def __call__(self, frame: SampledFrame) -> None:
        luma = grey(frame.rgb)
        change = motion(self._previous, luma)
        self._previous = luma
        future = None
        if self._detect_faces:
            future = self._runtime.infer_async(FACE_MODEL, {"IMAGE": frame.rgb[np.newaxis]})
        self._pending.append((frame.t, luma, change, future))
        while len(self._pending) > self._max_in_flight:
            self._resolve_oldest()

    def finish(self) -> list[FrameObservation]:
        while self._pending:
            self._resolve_oldest()
        return self.observations

    def abandon(self) -> None:
        """Wait out the face requests still queued or running, ignoring their results: after a failed or
        cancelled decode, nothing of this recording keeps the face model busy once the analysis has ended."""
        futures = [future for *_, future in self._pending if future is not None]
        self._pending.clear()
        wait(futures)

    def _resolve_oldest(self) -> None:
        t, luma, change, future = self._pending.popleft()
        faces = _faces(future.result()) if future is not None else ()
        face_mean = face_std = None
        if faces:
            face_mean, face_std = luma_stats(luma, largest_face(faces).box) or (None, None)
        self.observations.append(
            FrameObservation(
                t=t,
                width=luma.shape[1],
                height=luma.shape[0],
                faces=faces,
                luma_mean=float(luma.mean()),
                face_luma_mean=face_mean,
                face_luma_std=face_std,
                motion=change,
            )
        )
