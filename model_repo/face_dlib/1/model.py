"""Faces in video frames: dlib's HOG frontal detector, then dlib's 5-point landmarks on each face.

Feeds the ``face.*`` signals (presence, framing, head movement, extra faces). The 5-point predictor is used,
not the 68-point one: the 68-point model was trained on iBUG 300-W, whose terms forbid commercial use.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import dlib
import numpy as np

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.backend_utils import RequestError, parameters, respond

MAX_FACES = 4
POINTS = 5


def _packaged_predictor() -> Path:
    with warnings.catch_warnings():  # face_recognition_models imports the deprecated pkg_resources
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import face_recognition_models

    return Path(face_recognition_models.pose_predictor_five_point_model_location())


class TritonPythonModel:
    """IMAGE [B, H, W, 3] RGB uint8 -> FACE_COUNT [B, 1], BOXES [B, 4, 5], LANDMARKS [B, 4, 5, 2]."""

    def initialize(self, args: dict[str, str]) -> None:
        params = parameters(json.loads(args["model_config"]))
        path = Path(params["weights_path"]) if params.get("weights_path") else _packaged_predictor()
        try:
            self.predictor = dlib.shape_predictor(str(path))
        except RuntimeError as exc:
            raise pb_utils.TritonModelException(
                f"face_dlib: weights_path '{path}' cannot be loaded as a dlib shape predictor: {exc}"
            ) from exc
        probe = self.predictor(np.zeros((64, 64, 3), np.uint8), dlib.rectangle(8, 8, 56, 56))
        if probe.num_parts != POINTS:
            raise pb_utils.TritonModelException(
                f"face_dlib: weights_path '{path}' predicts {probe.num_parts} points, not 5"
            )
        self.detector = dlib.get_frontal_face_detector()
        self.upsample = int(params["upsample"])
        self.adjust_threshold = float(params["adjust_threshold"])

    def execute(self, requests: list) -> list:
        return respond(pb_utils, requests, self._faces)

    def _faces(self, request: pb_utils.InferenceRequest) -> list[pb_utils.Tensor]:
        tensor = pb_utils.get_input_tensor_by_name(request, "IMAGE")
        images = None if tensor is None else tensor.as_numpy()
        if images is None or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            shape = "none" if images is None else f"{images.dtype} {list(images.shape)}"
            raise RequestError(f"IMAGE must be uint8 [B, H, W, 3] RGB, got {shape}")
        counts = np.zeros((len(images), 1), np.int32)
        boxes = np.full((len(images), MAX_FACES, 5), np.nan, np.float32)
        landmarks = np.full((len(images), MAX_FACES, POINTS, 2), np.nan, np.float32)
        for i, image in enumerate(images):
            counts[i, 0] = self._detect(np.ascontiguousarray(image), boxes[i], landmarks[i])
        return [
            pb_utils.Tensor("FACE_COUNT", counts),
            pb_utils.Tensor("BOXES", boxes),
            pb_utils.Tensor("LANDMARKS", landmarks),
        ]

    def _detect(self, image: np.ndarray, boxes: np.ndarray, landmarks: np.ndarray) -> int:
        """Fill ``boxes`` and ``landmarks`` with the largest faces of one image; return how many."""
        rects, scores, _ = self.detector.run(image, self.upsample, self.adjust_threshold)
        largest_first = sorted(zip(rects, scores, strict=True), key=lambda face: face[0].area(), reverse=True)
        faces = largest_first[:MAX_FACES]
        height, width = image.shape[:2]
        for j, (rect, score) in enumerate(faces):
            shape = self.predictor(image, rect)
            landmarks[j] = [(p.x, p.y) for p in shape.parts()]
            # dlib's right/bottom are inclusive pixel indices; boxes are edges, clipped to the frame.
            boxes[j] = (
                max(rect.left(), 0),
                max(rect.top(), 0),
                min(rect.right() + 1, width),
                min(rect.bottom() + 1, height),
                score,
            )
        return len(faces)
