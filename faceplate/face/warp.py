"""Piecewise-affine warping of a face over a fixed triangulation of its mesh."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.types import RGBImage

Triangles = NDArray[np.int32]

_SUBPIXEL_BITS = 4


def piecewise_affine(source: RGBImage, source_points: NDArray[np.float64],
                     target_points: NDArray[np.float64],
                     triangles: Triangles,
                     shape: tuple[int, int]) -> tuple[RGBImage, NDArray[np.bool_]]:
    """Warp ``source`` so its landmarks land on ``target_points``.

    Each triangle maps by its own affine transform; pixels are sampled bilinearly. Where
    triangles overlap (a turned face), the later one in ``triangles`` wins: pass them far
    to near.

    Returns:
        The warped image of ``shape`` (height, width) and the mask of pixels the mesh covers.
    """
    height, width = shape
    owner = np.full((height, width), -1, dtype=np.int32)
    affines = np.zeros((len(triangles), 2, 3), dtype=np.float64)
    scale = 1 << _SUBPIXEL_BITS
    for i, tri in enumerate(triangles):
        dst = target_points[tri].astype(np.float32)
        (ax, ay), (bx, by) = dst[1] - dst[0], dst[2] - dst[0]
        area = abs(ax * by - ay * bx)
        if area < 1e-3:
            continue
        affines[i] = cv2.getAffineTransform(dst, source_points[tri].astype(np.float32))
        cv2.fillConvexPoly(owner, np.round(dst * scale).astype(np.int32), int(i),
                           lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    covered = owner >= 0
    ys, xs = np.nonzero(covered)
    a = affines[owner[ys, xs]]
    map_x = np.full((height, width), -1.0, dtype=np.float32)
    map_y = np.full((height, width), -1.0, dtype=np.float32)
    map_x[ys, xs] = a[:, 0, 0] * xs + a[:, 0, 1] * ys + a[:, 0, 2]
    map_y[ys, xs] = a[:, 1, 0] * xs + a[:, 1, 1] * ys + a[:, 1, 2]
    warped = cv2.remap(np.ascontiguousarray(source, dtype=np.float32), map_x, map_y,
                       interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped, covered
