"""Head pose (yaw, pitch, roll in degrees) from 68 landmarks and a generic 3D face."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceplate.types import Landmarks

#: A generic head in millimetres-like units: nose tip, chin, outer eye corners, mouth corners.
_MODEL_POINTS = np.array([
    (0.0, 0.0, 0.0),
    (0.0, -330.0, -65.0),
    (-225.0, 170.0, -135.0),
    (225.0, 170.0, -135.0),
    (-150.0, -150.0, -125.0),
    (150.0, -150.0, -125.0),
])
#: The 68-point indices matching ``_MODEL_POINTS``.
_LANDMARK_INDEX = [30, 8, 36, 45, 48, 54]


@dataclass(frozen=True)
class Pose:
    """Yaw (turning left/right), pitch (nodding) and roll (tilting), in degrees; 0, 0, 0 faces
    the camera upright."""

    yaw: float
    pitch: float
    roll: float


def estimate_pose(points: Landmarks, image_size: tuple[int, int]) -> Pose:
    """Pose from landmarks in an image of ``image_size`` (width, height), with a pinhole
    camera whose focal length is the image width."""
    width, height = image_size
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    image_points = points[_LANDMARK_INDEX].astype(np.float64)
    # The model's y axis points up; the image's points down.
    model = _MODEL_POINTS * np.array([1.0, -1.0, -1.0])
    ok, rvec, _ = cv2.solvePnP(model, image_points, camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return Pose(float("nan"), float("nan"), float("nan"))
    rotation, _ = cv2.Rodrigues(rvec)
    angles, *_ = cv2.RQDecomp3x3(rotation)
    pitch, yaw, roll = angles  # each in [-180, 180] (an arccosine given the sine's sign)
    return Pose(yaw=float(yaw), pitch=float(pitch), roll=float(roll))
