"""Face mattes from landmarks: the hull of jaw and brows, eroded and feathered, with the
mouth opening cut out when the target's mouth is open."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceplate.face.landmarks import (
    INNER_LIPS,
    JAW,
    LEFT_EYE,
    OUTER_LIPS,
    RIGHT_EYE,
    face_size,
    with_forehead,
)
from faceplate.types import Landmarks, Matte

_SUBPIXEL_BITS = 4


@dataclass(frozen=True)
class MatteSettings:
    """Sizes relative to the face size (outer eye corner distance)."""

    erode: float = 0.06
    feather: float = 0.07
    blend_softness: float = 0.03
    mouth_open_threshold: float = 0.06


def _polygon_mask(points: np.ndarray, shape: tuple[int, int]) -> Matte:
    mask = np.zeros(shape, dtype=np.float32)
    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2)
    cv2.fillConvexPoly(mask, np.round(hull * (1 << _SUBPIXEL_BITS)).astype(np.int32), 1.0,
                       lineType=cv2.LINE_AA, shift=_SUBPIXEL_BITS)
    return mask


def _blur(mask: Matte, sigma: float) -> Matte:
    if sigma <= 0:
        return mask
    return cv2.GaussianBlur(mask, (0, 0), sigmaX=sigma, sigmaY=sigma,
                            borderType=cv2.BORDER_CONSTANT)


def core_mask(points: Landmarks, shape: tuple[int, int], settings: MatteSettings,
              mouth_open: bool) -> Matte:
    """The hard face region: hull of jaw and brows, eroded; mouth opening removed if open."""
    size = face_size(points)
    hull = _polygon_mask(np.concatenate([points[JAW], with_forehead(points)[68:]]), shape)
    radius = max(1, round(settings.erode * size))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    core = cv2.erode(hull, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if mouth_open:
        mouth = _polygon_mask(points[INNER_LIPS], shape)
        grow = max(1, round(0.02 * size))
        mouth = cv2.dilate(mouth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                            (2 * grow + 1, 2 * grow + 1)))
        core = core * (1.0 - mouth)
    return core


def soften(core: Matte, points: Landmarks, relative_sigma: float) -> Matte:
    """Feather a hard mask by a Gaussian of ``relative_sigma`` × face size. Values within
    1/1024 of 0 or 1 snap to it, so the matte is exactly 0 off the face and 1 on it."""
    soft = _blur(core, relative_sigma * face_size(points))
    soft[soft < 1.0 / 1024.0] = 0.0
    soft[soft > 1.0 - 1.0 / 1024.0] = 1.0
    return np.clip(soft, 0.0, 1.0)


def skin_weights(core: Matte, points: Landmarks) -> Matte:
    """``core`` without eyes, brows and lips: the skin, for colour statistics that
    should not depend on how much of the face is features."""
    shape = core.shape
    features = np.zeros(shape, dtype=np.float32)
    for region in (LEFT_EYE, RIGHT_EYE, OUTER_LIPS):
        features = np.maximum(features, _polygon_mask(points[region], shape))
    for brow in (slice(17, 22), slice(22, 27)):
        features = np.maximum(features, _polygon_mask(points[brow], shape))
    grow = max(1, round(0.08 * face_size(points)))
    features = cv2.dilate(features, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                              (2 * grow + 1, 2 * grow + 1)))
    return core * (1.0 - features)
