"""Colour matching of a warped face to the plate face in CIE Lab (a perceptual space)."""

from __future__ import annotations

import cv2
import numpy as np

from faceplate.types import Matte, RGBImage

#: Limits on how much the contrast of each Lab channel may be scaled.
_STD_RATIO_RANGE = (0.5, 2.0)


def _weighted_stats(lab: np.ndarray, weights: Matte) -> tuple[np.ndarray, np.ndarray]:
    w = weights.reshape(-1)
    values = lab.reshape(-1, 3)
    total = max(float(w.sum()), 1e-6)
    mean = (values * w[:, None]).sum(axis=0) / total
    var = (((values - mean) ** 2) * w[:, None]).sum(axis=0) / total
    return mean, np.sqrt(var)


def match_colour(face: RGBImage, reference: RGBImage, weights: Matte) -> RGBImage:
    """``face`` with the per-channel Lab mean and spread of ``reference`` under ``weights``.

    Both images are display-referred RGB in 0..1 (the working space); values are
    clipped to that range for the statistics only.
    """
    if float(weights.sum()) < 16:
        return face
    face_lab = cv2.cvtColor(np.clip(face, 0, 1).astype(np.float32), cv2.COLOR_RGB2Lab)
    ref_lab = cv2.cvtColor(np.clip(reference, 0, 1).astype(np.float32), cv2.COLOR_RGB2Lab)
    face_mean, face_std = _weighted_stats(face_lab, weights)
    ref_mean, ref_std = _weighted_stats(ref_lab, weights)
    ratio = np.clip(ref_std / np.maximum(face_std, 1e-6), *_STD_RATIO_RANGE)
    matched = (face_lab - face_mean) * ratio + ref_mean
    matched[..., 0] = np.clip(matched[..., 0], 0, 100)
    return cv2.cvtColor(matched.astype(np.float32), cv2.COLOR_Lab2RGB)
