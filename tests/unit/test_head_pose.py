"""Yaw and roll from five landmarks, on landmarks projected from a mean 3-D face (synthetic, exact)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from server.analysis.base import Face
from server.analysis.head_pose import head_pose

# mean face in mm: outer/inner corners of each eye at z=0, base of the nose 18 mm in front and 47 mm below
MEAN_FACE = np.array([[-45, 0, 0], [-19, 0, 0], [45, 0, 0], [19, 0, 0], [0, 47, 18]], dtype=float)


def project(yaw_deg: float, roll_deg: float) -> Face:
    yaw, roll = math.radians(yaw_deg), math.radians(roll_deg)
    ry = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
    rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    points = (rz @ ry @ MEAN_FACE.T).T[:, :2] * 2.0 + 300.0  # orthographic, 2 px per mm
    return Face(box=(200, 200, 400, 400), score=1.0, landmarks=tuple(map(tuple, points)))


@pytest.mark.parametrize("yaw", [-40, -20, 0, 15, 35])
def test_yaw_is_recovered(yaw: float) -> None:
    pose = head_pose(project(yaw, 0))
    assert pose is not None
    assert pose.yaw_deg == pytest.approx(yaw, abs=6)


def test_roll_is_recovered() -> None:
    pose = head_pose(project(0, 12))
    assert pose is not None
    assert pose.roll_deg == pytest.approx(12, abs=1)


def test_missing_landmarks_give_no_pose() -> None:
    face = Face(box=(0, 0, 1, 1), score=1.0, landmarks=((math.nan, 0.0),) * 5)
    assert head_pose(face) is None
