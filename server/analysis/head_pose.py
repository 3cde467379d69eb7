"""Head yaw and roll from dlib's five landmarks (two corners per eye and the base of the nose).

Five points cannot give pitch reliably (the nose-to-eye distance is not monotonic in pitch near frontal), so
only yaw and roll are estimated. Yaw uses a mean face: the base of the nose sits about 18 mm in front of the
eye plane and the eye centres are about 64 mm apart, so the nose's sideways offset over the eye distance is
0.28 * tan(yaw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from server.analysis.base import Face

NOSE_DEPTH_OVER_EYE_DISTANCE = 18.0 / 64.0


@dataclass(frozen=True, slots=True)
class HeadPose:
    yaw_deg: float
    roll_deg: float


def head_pose(face: Face) -> HeadPose | None:
    points = np.asarray(face.landmarks, dtype=np.float64)
    if points.shape != (5, 2) or not np.isfinite(points).all():
        return None
    eye_a, eye_b = points[0:2].mean(axis=0), points[2:4].mean(axis=0)
    left, right = (eye_a, eye_b) if eye_a[0] <= eye_b[0] else (eye_b, eye_a)
    axis = right - left
    distance = float(np.hypot(*axis))
    if distance < 1.0:
        return None
    unit = axis / distance
    offset = float(np.dot(points[4] - (left + right) / 2.0, unit)) / distance
    yaw = math.degrees(math.atan(offset / NOSE_DEPTH_OVER_EYE_DISTANCE))
    roll = math.degrees(math.atan2(axis[1], axis[0]))
    return HeadPose(yaw_deg=yaw, roll_deg=roll)
