"""Face mattes from the dense mesh: the face's outline (the hull of the mesh, forehead to
chin), eroded and feathered, with the mouth opening (the inner-lip contour) cut out with a
tight edge when the target's mouth is open; and the skin the colour is measured on."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceplate.face.mesh import LIPS_INNER, eye_polygon, face_size
from faceplate.face.regions import matte_points, skin_triangles
from faceplate.face.warp import nonzero_box
from faceplate.types import Matte, Mesh

_SUBPIXEL_BITS = 4
_SCALE = 1 << _SUBPIXEL_BITS


@dataclass(frozen=True)
class MatteSettings:
    """Sizes relative to the face size (outer eye corner distance)."""

    erode: float = 0.02
    feather: float = 0.07
    blend_softness: float = 0.03
    mouth_open_threshold: float = 0.06


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points, np.float64)[:, :2] * _SCALE).astype(np.int32)


def _hull_mask(points: np.ndarray, shape: tuple[int, int]) -> Matte:
    mask = np.zeros(shape, dtype=np.float32)
    hull = cv2.convexHull(np.ascontiguousarray(points, np.float32)[:, :2].copy()).reshape(-1, 2)
    cv2.fillConvexPoly(mask, _fixed(hull), 1.0, lineType=cv2.LINE_AA, shift=_SUBPIXEL_BITS)
    return mask


def _polygon_mask(points: np.ndarray, shape: tuple[int, int]) -> Matte:
    mask = np.zeros(shape, dtype=np.float32)
    cv2.fillPoly(mask, [_fixed(points)], 1.0, lineType=cv2.LINE_AA, shift=_SUBPIXEL_BITS)
    return mask


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def mouth_mask(points: Mesh, shape: tuple[int, int]) -> Matte:
    """The mouth opening: the inner-lip contour, filled (antialiased)."""
    return _polygon_mask(np.asarray(points)[list(LIPS_INNER)], shape)


def eye_mask(points: Mesh, shape: tuple[int, int], eye: int) -> Matte:
    """The opening of eye ``eye`` (0: image-left): its lid contour, filled (antialiased)."""
    return _polygon_mask(eye_polygon(points, eye), shape)


def core_mask(points: Mesh, shape: tuple[int, int], settings: MatteSettings) -> Matte:
    """The hard face region: the hull of the mesh's points from the forehead
    (:func:`faceplate.face.regions.matte_points`) to the chin, eroded."""
    hull = _hull_mask(np.asarray(points)[matte_points()], shape)
    radius = max(1, round(settings.erode * face_size(points)))
    return cv2.erode(hull, _disc(radius), borderType=cv2.BORDER_CONSTANT, borderValue=0)


def face_mattes(points: Mesh, shape: tuple[int, int], settings: MatteSettings,
                mouth_open: bool, covered: np.ndarray | None = None) -> tuple[Matte, Matte]:
    """The output matte and the blend mask of a face: the core (where ``covered``, when
    given) feathered by ``feather`` and ``blend_softness``, times the mouth opening's cut when
    the mouth is open, which is soft only by ``blend_softness``: the lips stay swapped, the
    plate's mouth interior stays the plate's."""
    core = core_mask(points, shape, settings)
    if covered is not None:
        core = core * covered
    matte = soften(core, points, settings.feather)
    blend = soften(core, points, settings.blend_softness)
    if mouth_open:
        keep = 1.0 - soften(mouth_mask(points, shape), points, settings.blend_softness)
        matte, blend = matte * keep, blend * keep
    return matte, blend


def soften(core: Matte, points: Mesh, relative_sigma: float) -> Matte:
    """Feather a hard mask by a Gaussian of ``relative_sigma`` × face size. Values within
    1/1024 of 0 or 1 snap to it, so the matte is exactly 0 off the face and 1 on it.
    Blurred on the box of ``core``'s non-zero pixels and as far around it as the Gaussian
    reaches (zeros beyond the edges either way): the same values as on the whole."""
    sigma = relative_sigma * face_size(points)
    core = np.asarray(core, np.float32)
    out = np.zeros(core.shape, np.float32)
    box = nonzero_box(core, int(np.ceil(4 * sigma)) + 2 if sigma > 0 else 0)
    if box is None:
        return out
    part = core[box]
    soft = part if sigma <= 0 else cv2.GaussianBlur(part, (0, 0), sigmaX=sigma, sigmaY=sigma,
                                                    borderType=cv2.BORDER_CONSTANT)
    soft = soft.copy()
    soft[soft < 1.0 / 1024.0] = 0.0
    soft[soft > 1.0 - 1.0 / 1024.0] = 1.0
    out[box] = np.clip(soft, 0.0, 1.0)
    return out



def skin_mask(points: Mesh, shape: tuple[int, int]) -> Matte:
    """The mesh's skin triangles (forehead, cheeks, nose; no eyes, brows or lips) that face
    the camera, filled: where the face's colour is measured."""
    pts = np.asarray(points, np.float64)
    mask = np.zeros(shape, dtype=np.float32)
    triangles = skin_triangles()
    corners = pts[triangles, :2]
    (ax, ay), (bx, by) = (corners[:, 1] - corners[:, 0]).T, (corners[:, 2] - corners[:, 0]).T
    facing = (ax * by - ay * bx) > 0  # counter-clockwise in the layout: facing the camera
    fixed = np.round(corners[facing] * _SCALE).astype(np.int32)  # _fixed, all at once
    for tri in fixed:
        cv2.fillConvexPoly(mask, tri, 1.0, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    return mask
