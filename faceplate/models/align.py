"""5-point alignment templates, the similarity warp onto them, and paste-back by its inverse."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.types import Matte, Points5, RGBImage

#: Five points (left eye, right eye, nose, left mouth, right mouth) in unit crop coordinates.
TEMPLATES: dict[str, NDArray[np.float64]] = {
    "arcface_112_v1": np.array([[0.35473214, 0.45658929], [0.64526786, 0.45658929],
                                [0.50000000, 0.61154464], [0.37913393, 0.77687500],
                                [0.62086607, 0.77687500]]),
    "arcface_112_v2": np.array([[0.34191607, 0.46157411], [0.65653393, 0.45983393],
                                [0.50022500, 0.64050536], [0.37097589, 0.82469196],
                                [0.63151696, 0.82325089]]),
    "arcface_128": np.array([[0.36167656, 0.40387734], [0.63696719, 0.40235469],
                             [0.50019687, 0.56044219], [0.38710391, 0.72160547],
                             [0.61507734, 0.72034453]]),
    "ffhq_512": np.array([[0.37691676, 0.46864664], [0.62285697, 0.46912813],
                          [0.50123859, 0.61331904], [0.39308822, 0.72541100],
                          [0.61150205, 0.72490465]]),
    "mtcnn_512": np.array([[0.36562865, 0.46733799], [0.63305391, 0.46585885],
                           [0.50019127, 0.61942959], [0.39032951, 0.77598822],
                           [0.61178945, 0.77476328]]),
}

#: A 2×3 affine matrix, float64.
Affine = NDArray[np.float64]

def estimate_affine(points: Points5, template: str, size: int) -> Affine:
    """Similarity transform (RANSAC) taking ``points`` onto ``template`` scaled to ``size``."""
    dst = TEMPLATES[template] * size
    matrix, _ = cv2.estimateAffinePartial2D(np.asarray(points, np.float64), dst,
                                            method=cv2.RANSAC, ransacReprojThreshold=100)
    return matrix.astype(np.float64)


def warp_face(image: RGBImage, points: Points5, template: str,
              size: int) -> tuple[RGBImage, Affine]:
    """The aligned ``size``² crop of ``image`` and the affine that made it."""
    matrix = estimate_affine(points, template, size)
    crop = cv2.warpAffine(np.asarray(image, np.float32), matrix, (size, size),
                          flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return crop, matrix


def unwarp(crop: RGBImage, crop_matte: Matte, matrix: Affine,
           shape: tuple[int, int]) -> tuple[RGBImage, Matte]:
    """``crop`` and its matte carried back to an image of ``shape`` (h, w) through the inverse
    of ``matrix``; the matte is 0 outside the crop."""
    h, w = shape
    inverse = cv2.invertAffineTransform(matrix)
    warped = cv2.warpAffine(np.asarray(crop, np.float32), inverse, (w, h),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    matte = cv2.warpAffine(np.asarray(crop_matte, np.float32), inverse, (w, h),
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return warped, np.clip(matte, 0.0, 1.0)


def paste_back(frame: RGBImage, crop: RGBImage, crop_matte: Matte, matrix: Affine) -> RGBImage:
    """Composite ``crop`` back into ``frame`` through the inverse of ``matrix``.

    ``frame`` and ``crop`` must be in the same space: the caller converts the model output to
    the plate's linear working space first, so the blend ``frame·(1−m) + crop·m`` is linear light.
    """
    warped, matte = unwarp(crop, crop_matte, matrix, frame.shape[:2])
    m = matte[..., None]
    return (frame * (1.0 - m) + warped * m).astype(np.float32)
