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
    dst = np.asarray(target_points, np.float64)[triangles].astype(np.float32)
    src = np.asarray(source_points, np.float64)[triangles].astype(np.float32)
    (ax, ay), (bx, by) = (dst[:, 1] - dst[:, 0]).T, (dst[:, 2] - dst[:, 0]).T
    drawn = np.abs(ax * by - ay * bx) >= 1e-3
    affines = _affines(dst, src, drawn)
    fixed = np.round(dst * (1 << _SUBPIXEL_BITS)).astype(np.int32)
    for i in np.flatnonzero(drawn).tolist():
        cv2.fillConvexPoly(owner, fixed[i], i, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    covered = owner >= 0
    # sampled on the box of the covered pixels only (what lies outside it is the border)
    warped = np.empty((height, width, *np.shape(source)[2:]), np.float32)
    source = np.ascontiguousarray(source, dtype=np.float32)
    warped[:] = source[0, 0]  # what the remap gives outside the mesh: the replicated corner
    box = nonzero_box(covered)
    if box is None:
        return warped, covered
    inside = owner[box]
    outside = inside < 0
    # each pixel's triangle's coefficients (a last, zero one for the pixels no triangle owns);
    # the affines take image pixels
    coefficients = np.vstack([affines.reshape(-1, 6), np.zeros((1, 6))]).T.copy()
    picked = np.where(outside, len(affines), inside)
    x = np.arange(box[1].start, box[1].stop, dtype=np.float64)[None, :]
    y = np.arange(box[0].start, box[0].stop, dtype=np.float64)[:, None]
    maps = []
    for row in (0, 3):
        a, b, c = (np.take(coefficients[row + i], picked) for i in range(3))
        mapped = (a * x + b * y + c).astype(np.float32)
        mapped[outside] = -1.0
        maps.append(mapped)
    warped[box] = cv2.remap(source, maps[0], maps[1], interpolation=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return warped, covered


def _affines(dst: NDArray[np.float32], src: NDArray[np.float32],
             drawn: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per triangle, the affine map (2, 3) from its ``dst`` corners to its ``src`` ones (zeros
    for the triangles not ``drawn``)."""
    affines = np.zeros((len(dst), 2, 3), dtype=np.float64)
    if not drawn.any():
        return affines
    corners = np.concatenate([dst[drawn], np.ones((int(drawn.sum()), 3, 1), np.float32)],
                             axis=2).astype(np.float64)
    solved = np.linalg.solve(corners, src[drawn].astype(np.float64))  # (n, 3, 2)
    affines[drawn] = solved.transpose(0, 2, 1)
    return affines


def nonzero_box(mask: np.ndarray, reach: int = 0) -> tuple[slice, slice] | None:
    """The box of ``mask``'s non-zero pixels grown by ``reach`` on every side (inside the
    image), as slices; None when it has none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (slice(max(int(rows[0]) - reach, 0), int(rows[-1]) + 1 + reach),
            slice(max(int(cols[0]) - reach, 0), int(cols[-1]) + 1 + reach))
