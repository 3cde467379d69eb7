"""Cheap per-frame measures on the small analysis-size frame: luma of a face box, motion between samples.

They fill ``FrameObservation.luma_mean``, ``face_luma_mean``/``face_luma_std`` and ``motion``; OpenCV keeps
each under a millisecond at 480 px wide.
"""

from __future__ import annotations

import cv2
import numpy as np


def grey(rgb: np.ndarray) -> np.ndarray:
    """Luma (BT.601 weights, 0-255) of an H x W x 3 RGB frame."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def luma_stats(
    grey_frame: np.ndarray, box: tuple[float, float, float, float] | None = None
) -> tuple[float, float] | None:
    """Mean and standard deviation of luma over ``box`` (x0, y0, x1, y1; the whole frame when None).

    Returns None when the box lies outside the frame, so an absent face region never reads as black.
    """
    region = grey_frame
    if box is not None:
        height, width = grey_frame.shape[:2]
        x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
        x1, y1 = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
        if x1 <= x0 or y1 <= y0:
            return None
        region = grey_frame[y0:y1, x0:x1]
    mean, std = cv2.meanStdDev(region)
    return float(mean[0, 0]), float(std[0, 0])


def motion(previous: np.ndarray | None, current: np.ndarray) -> float:
    """Mean absolute grey-level change (0-255) from the previous sampled frame; 0.0 for the first frame
    or after the frame size changed."""
    if previous is None or previous.shape != current.shape:
        return 0.0
    return float(cv2.absdiff(previous, current).mean())
