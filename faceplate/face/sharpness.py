"""The plate's sharpness: how soft the plate's face is (defocus, motion blur, a soft lens),
and the source's detail brought to it.

Sharpness is read as the mean |Laplacian| of the grey levels over the face. The source face
(already under the plate's light) is blurred by the Gaussian whose result, with the plate's
grain laid on it, measures as the plate's face does: a crisp still on a soft plate is
softened, a face softer than a crisp plate is sharpened (a little: an unsharp mask). Measured
per frame, so a focus pull is followed.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from faceplate.face.warp import nonzero_box
from faceplate.types import RGBImage

#: The largest blur (Gaussian sigma, pixels), the most sharpening (unsharp-mask amount) and
#: the bisection steps that bracket the one needed (to 5/2**5 = 0.16 px, then read off the
#: line between the bracket's measured ends: the sharpness is smooth at that scale).
MAX_BLUR = 5.0
MAX_SHARPEN = 1.0
SHARPEN_RADIUS = 1.0
BISECTIONS = 5
#: How far (pixels) a pixel's measure reaches: the widest blur's kernel (4 sigma; the
#: unsharp mask's is narrower) and the Laplacian's.
_REACH = int(np.ceil(4 * MAX_BLUR)) + 1


class Finish(Protocol):
    """What is done to a blurred face before its sharpness is measured (e.g. regraining),
    pixel for pixel the same on a crop of the image (:meth:`crop`) as on the whole."""

    def __call__(self, image: RGBImage) -> RGBImage: ...

    def crop(self, rows: slice, cols: slice) -> Finish: ...


class Unchanged:
    """The :class:`Finish` that does nothing."""

    def __call__(self, image: RGBImage) -> RGBImage:
        return image

    def crop(self, rows: slice, cols: slice) -> Unchanged:
        return self


def mean_abs_laplacian(grey: np.ndarray, where: np.ndarray) -> float:
    """Mean |Laplacian| (3×3, four neighbours) of ``grey`` over the pixels ``where``."""
    lap = cv2.Laplacian(np.ascontiguousarray(grey, np.float32), cv2.CV_32F, ksize=1)
    return float(np.abs(lap)[where].mean())


def _grey(image: RGBImage) -> np.ndarray:
    return np.asarray(image, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _gaussian(image: RGBImage, sigma: float) -> RGBImage:
    return np.asarray(cv2.GaussianBlur(np.ascontiguousarray(image, np.float32), (0, 0), sigma,
                                       borderType=cv2.BORDER_REFLECT), np.float32)


def blur(image: RGBImage, sigma: float) -> RGBImage:
    """``image`` under a Gaussian of ``sigma`` pixels (unchanged at 0); a negative ``sigma``
    sharpens instead: an unsharp mask of radius :data:`SHARPEN_RADIUS` and amount
    ``-sigma``."""
    if sigma == 0:
        return np.asarray(image, np.float32)
    if sigma < 0:
        image = np.asarray(image, np.float32)
        return image - sigma * (image - _gaussian(image, SHARPEN_RADIUS))
    return _gaussian(image, sigma)


def matching_blur(face: RGBImage, plate: RGBImage, where: np.ndarray,
                  finish: Finish | None = None) -> float:
    """The :func:`blur` (-:data:`MAX_SHARPEN` .. :data:`MAX_BLUR`) that makes
    ``finish(blur(face, sigma))`` (e.g. regrained; None: as blurred) as sharp as ``plate``
    over ``where``, by bisection on the measured sharpness (which falls as ``sigma`` grows),
    then read off the line between the bracket's ends (the range's end measured when the
    bracket reaches it; no further than the range): positive for a plate softer than the
    face, negative (sharpening) for one crisper than it.
    Measured on the crop of ``where``'s box and as far around it as a measure reaches: the
    same values as on the whole images, at the cost of the face's skin only."""
    if where.sum() < 16:
        return 0.0
    around = nonzero_box(where, _REACH)
    assert around is not None  # it has at least 16 pixels
    rows, cols = around
    face, plate, where = face[rows, cols], plate[rows, cols], where[rows, cols]
    finish = (finish or Unchanged()).crop(rows, cols)
    picked = np.flatnonzero(where)  # the pixels ``where`` picks, in its order: the same mean

    def mean_abs(grey: np.ndarray) -> float:
        lap = cv2.Laplacian(np.ascontiguousarray(grey, np.float32), cv2.CV_32F, ksize=1)
        return float(np.abs(np.take(lap, picked)).mean())

    wanted = mean_abs(_grey(plate))

    def sharpness(sigma: float) -> float:
        return mean_abs(_grey(finish(blur(face, sigma))))

    at_zero = sharpness(0.0)
    # the bracket and the sharpness at each end (None: the range's end, not measured yet)
    ends: list[tuple[float, float | None]] = ([(0.0, at_zero), (MAX_BLUR, None)]
                                              if at_zero > wanted else
                                              [(-MAX_SHARPEN, None), (0.0, at_zero)])
    for _ in range(BISECTIONS):
        middle = (ends[0][0] + ends[1][0]) / 2
        measured = sharpness(middle)
        ends[0 if measured > wanted else 1] = (middle, measured)
    (low, at_low), (high, at_high) = ends
    at_low = sharpness(low) if at_low is None else at_low  # the range's end: measured now
    at_high = sharpness(high) if at_high is None else at_high
    if at_low <= at_high:  # not falling here (flat): the bracket's middle
        return (low + high) / 2
    share = min(max((at_low - wanted) / (at_low - at_high), 0.0), 1.0)
    return low + (high - low) * share
