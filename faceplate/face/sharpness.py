"""The plate's sharpness: how soft the plate's face is (defocus, motion blur, a soft lens),
and the source's detail brought to it.

Sharpness is read as the mean |Laplacian| of the grey levels over the face. The source face
(already under the plate's light) is blurred by the Gaussian whose result, with the plate's
grain laid on it, measures as the plate's face does: a crisp still on a soft plate is
softened, a face already softer than the plate is left as it is. Measured per frame, so a
focus pull is followed.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from faceplate.types import RGBImage

#: The largest blur (Gaussian sigma, pixels) and the bisection steps that find it (to
#: 5/2**6 = 0.08 px).
MAX_BLUR = 5.0
BISECTIONS = 6


def mean_abs_laplacian(grey: np.ndarray, where: np.ndarray) -> float:
    """Mean |Laplacian| (3×3, four neighbours) of ``grey`` over the pixels ``where``."""
    lap = cv2.Laplacian(np.ascontiguousarray(grey, np.float32), cv2.CV_32F, ksize=1)
    return float(np.abs(lap)[where].mean())


def _grey(image: RGBImage) -> np.ndarray:
    return np.asarray(image, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def blur(image: RGBImage, sigma: float) -> RGBImage:
    """``image`` under a Gaussian of ``sigma`` pixels (unchanged at 0)."""
    if sigma <= 0:
        return np.asarray(image, np.float32)
    return np.asarray(cv2.GaussianBlur(np.ascontiguousarray(image, np.float32), (0, 0), sigma,
                                       borderType=cv2.BORDER_REFLECT), np.float32)


def matching_blur(face: RGBImage, plate: RGBImage, where: np.ndarray,
                  finish: Callable[[RGBImage], RGBImage] = lambda image: image) -> float:
    """The Gaussian sigma (0 .. :data:`MAX_BLUR` pixels) that makes ``finish(blur(face))``
    (e.g. regrained) as sharp as ``plate`` over ``where``, by bisection on the measured
    sharpness (which falls as the blur grows); 0 when ``face`` is already no sharper."""
    if where.sum() < 16:
        return 0.0
    wanted = mean_abs_laplacian(_grey(plate), where)

    def sharpness(sigma: float) -> float:
        return mean_abs_laplacian(_grey(finish(blur(face, sigma))), where)

    if sharpness(0.0) <= wanted:
        return 0.0
    low, high = 0.0, MAX_BLUR
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if sharpness(middle) > wanted else (low, middle)
    return (low + high) / 2
