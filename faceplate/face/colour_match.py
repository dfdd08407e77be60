"""Colour matching of a warped face to the plate face in CIE Lab (a perceptual space).

The target's statistics can come from the frame itself or, for temporal stability,
from the whole-shot solve, which smooths them along the face's track.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from faceplate.face.warp import nonzero_box
from faceplate.types import Matte, RGBImage

#: Limits on how much the contrast of each Lab channel may be scaled.
_STD_RATIO_RANGE = (0.85, 1.2)
_MIN_WEIGHT = 16.0


@dataclass(frozen=True)
class LabStats:
    """Weighted mean and standard deviation of L, a, b over a face's skin."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def as_list(self) -> list[float]:
        return [*self.mean, *self.std]

    @classmethod
    def from_list(cls, values: list[float]) -> LabStats:
        return cls(_triple(values[:3]), _triple(values[3:6]))


def _triple(values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    a, b, c = (float(v) for v in values)
    return a, b, c


def to_lab(rgb: RGBImage) -> np.ndarray:
    """Display-referred RGB (0..1, clipped) as float32 CIE Lab."""
    return cv2.cvtColor(np.clip(rgb, 0, 1).astype(np.float32), cv2.COLOR_RGB2Lab)


def lab_statistics(rgb: RGBImage, weights: Matte) -> LabStats | None:
    """Lab statistics of ``rgb`` under ``weights``, or None if the weights cover too little."""
    total = float(weights.sum(dtype=np.float64))
    if total < _MIN_WEIGHT:
        return None
    box = nonzero_box(weights)  # only the weighted pixels' box is converted
    assert box is not None  # the weights sum to more than nothing
    # weighted sums as products in float64: exact to float64's precision (float32 sums of
    # 10^5 pixels drift by ~1e-4 Lab) and a third of the time
    w = weights[box].reshape(-1).astype(np.float64)
    values = to_lab(rgb[box]).reshape(-1, 3).astype(np.float64)
    mean = w @ values / total
    std = np.sqrt(w @ (values - mean) ** 2 / total)
    return LabStats(_triple(mean), _triple(std))


def transfer_colour(face: RGBImage, face_stats: LabStats, target: LabStats) -> RGBImage:
    """``face`` shifted and scaled in Lab so its statistics become ``target``'s."""
    face_mean, face_std = np.array(face_stats.mean), np.array(face_stats.std)
    ratio = np.clip(np.array(target.std) / np.maximum(face_std, 1e-6), *_STD_RATIO_RANGE)
    shift = np.array(target.mean) - face_mean * ratio  # in float32 from here: pixels
    matched = to_lab(face) * ratio.astype(np.float32) + shift.astype(np.float32)
    np.clip(matched[..., 0], 0, 100, out=matched[..., 0])
    return cv2.cvtColor(matched, cv2.COLOR_Lab2RGB)


def match_colour(face: RGBImage, reference: RGBImage, weights: Matte) -> RGBImage:
    """``face`` with the Lab mean and spread of ``reference``, both measured under ``weights``."""
    face_stats, ref_stats = lab_statistics(face, weights), lab_statistics(reference, weights)
    if face_stats is None or ref_stats is None:
        return face
    return transfer_colour(face, face_stats, ref_stats)
