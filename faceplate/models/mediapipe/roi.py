"""Rotated square regions of an image, the crops a model sees of them, and the way back.

Coordinates are image pixels, x right and y down. A region's ``angle`` (radians) is the
direction of its x axis in the image: ``(cos angle, sin angle)``; positive turns clockwise on
screen. A crop of ``size`` pixels maps the region's square onto ``size x size`` pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Affine = NDArray[np.float64]


@dataclass(frozen=True)
class Region:
    """A rotated square: centre (x, y), side length, and angle of its x axis, in image pixels."""

    cx: float
    cy: float
    side: float
    angle: float

    def _linear(self, size: int, mirror: bool) -> NDArray[np.float64]:
        """Image offsets from the centre -> model crop offsets from the crop's centre."""
        scale = size / self.side
        cos, sin = math.cos(self.angle) * scale, math.sin(self.angle) * scale
        sx = -1.0 if mirror else 1.0
        return np.array([[sx * cos, sx * sin], [-sin, cos]])

    def crop_matrix(self, size: int, mirror: bool = False) -> Affine:
        """2x3 affine from image pixels to crop pixel indices (``mirror`` flips the crop's x).

        Image pixels have their centres at integers (OpenCV's and dlib's convention); a model's
        crop coordinates run 0..size over the crop's edges (centres at half-integers)."""
        linear = self._linear(size, mirror)
        offset = size / 2 - 0.5 - linear @ (self.cx, self.cy)
        return np.hstack([linear, offset[:, None]])

    def crop(self, image: NDArray[np.uint8], size: int, mirror: bool = False) -> NDArray[np.uint8]:
        """The region resampled to ``size x size`` (edges replicated outside the image)."""
        crop = cv2.warpAffine(image, self.crop_matrix(size, mirror), (size, size),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return np.asarray(crop, np.uint8)

    def to_image(self, points: NDArray[np.floating], size: int, mirror: bool = False
                 ) -> NDArray[np.float64]:
        """Model crop coordinates (x, y[, z], 0..size) back to image pixels; z scales like x."""
        pts = np.asarray(points, np.float64)
        inverse = np.linalg.inv(self._linear(size, mirror))
        out = pts.copy()
        out[:, :2] = (pts[:, :2] - size / 2) @ inverse.T + (self.cx, self.cy)
        if pts.shape[1] > 2:
            out[:, 2:] = pts[:, 2:] * (self.side / size)
        return out

    def scaled(self, factor: float) -> Region:
        return Region(self.cx, self.cy, self.side * factor, self.angle)


def line_angle(start: NDArray[np.floating], end: NDArray[np.floating]) -> float:
    """Angle (radians, image frame) of the line from ``start`` to ``end``."""
    return math.atan2(float(end[1] - start[1]), float(end[0] - start[0]))


def enclosing_region(points: NDArray[np.floating], angle: float, scale: float) -> Region:
    """The square at ``angle`` around ``points``: their extent measured along the rotated axes,
    centred on it, its longer side multiplied by ``scale``."""
    pts = np.asarray(points, np.float64)[:, :2]
    cos, sin = math.cos(angle), math.sin(angle)
    local = pts @ np.array([[cos, -sin], [sin, cos]])  # coordinates along the region's axes
    lo, hi = local.min(axis=0), local.max(axis=0)
    mid = (lo + hi) / 2
    centre = mid[0] * np.array([cos, sin]) + mid[1] * np.array([-sin, cos])
    return Region(float(centre[0]), float(centre[1]), float(max(hi - lo)) * scale, angle)
