"""Per-frame measurements during the single decode pass: faces (through the runtime), light, motion.

Face requests are sent asynchronously so the dynamic batcher can group frames; at most ``max_in_flight``
frames wait for their faces, which bounds memory whatever the recording's length.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future

import cv2
import numpy as np

from server.analysis.base import Face, FrameObservation
from server.media.frame_sampler import SampledFrame
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


def _face_region(grey: np.ndarray, face: Face) -> np.ndarray:
    h, w = grey.shape
    x0, y0, x1, y1 = (round(v) for v in face.box)
    return grey[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]


class FrameObserver:
    """Turns sampled frames into FrameObservations, in time order."""

    def __init__(self, runtime: Runtime, detect_faces: bool = True, max_in_flight: int = 16) -> None:
        self._runtime = runtime
        self._detect_faces = detect_faces
        self._max_in_flight = max_in_flight
        self._pending: deque[tuple[float, np.ndarray, float, Future[Outputs] | None]] = deque()
        self._previous_small: np.ndarray | None = None
        self.observations: list[FrameObservation] = []

    def __call__(self, frame: SampledFrame) -> None:
        grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
        small = cv2.resize(grey, (160, max(1, round(160 * grey.shape[0] / grey.shape[1]))), cv2.INTER_AREA)
        motion = 0.0
        if self._previous_small is not None and self._previous_small.shape == small.shape:
            motion = float(cv2.absdiff(small, self._previous_small).mean())
        self._previous_small = small
        future = None
        if self._detect_faces:
            future = self._runtime.infer_async(FACE_MODEL, {"IMAGE": frame.rgb[np.newaxis]})
        self._pending.append((frame.t, grey, motion, future))
        while len(self._pending) > self._max_in_flight:
            self._resolve_oldest()

    def finish(self) -> list[FrameObservation]:
        while self._pending:
            self._resolve_oldest()
        return self.observations

    def _resolve_oldest(self) -> None:
        t, grey, motion, future = self._pending.popleft()
        faces = _faces(future.result()) if future is not None else ()
        face_mean = face_std = None
        if faces:
            largest = max(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
            region = _face_region(grey, largest)
            if region.size:
                face_mean, face_std = float(region.mean()), float(region.std())
        self.observations.append(
            FrameObservation(
                t=t,
                width=grey.shape[1],
                height=grey.shape[0],
                faces=faces,
                luma_mean=float(grey.mean()),
                face_luma_mean=face_mean,
                face_luma_std=face_std,
                motion=motion,
            )
        )
