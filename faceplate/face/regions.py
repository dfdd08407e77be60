"""Regions of the face mesh the swap works with, derived once from the canonical layout
(:func:`faceplate.face.mesh.layout`: frontal, x right, y down, outer eye corners 1 apart,
centred):

- the **skin** the colour is measured on: forehead, cheeks, nose, chin and jaw, away from
  eyes, brows, lips and the face's outline (where hair and background begin);
- the **warp triangles**: the mesh's own triangulation (holes at the mouth and the eyes) with
  each eye opening closed by a fan around its iris centre, so the source's eyes are carried
  and follow the plate's gaze, while the mouth opening stays a hole: the plate's mouth
  interior is kept;
- the **identity weights**: how far each mesh point moves toward the source's proportions (1
  in the inner face, 0 on the outline and the inner lips, smooth in between).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.face.mesh import (
    FACE_OVAL,
    LEFT_BROW_LOWER,
    LEFT_BROW_UPPER,
    LEFT_IRIS,
    LIPS_INNER,
    LIPS_OUTER,
    RIGHT_BROW_LOWER,
    RIGHT_BROW_UPPER,
    RIGHT_IRIS,
    eye_loop,
    layout,
)
from faceplate.face.warp import Triangles

#: How far from eyes, brows and lips (canonical units) the skin the colour is measured on
#: begins: past the lids' and brows' shadows and the lips' edge.
SKIN_MARGIN = 0.07
#: Distance from the outline (canonical units) over which the identity weight rises 0 -> 1.
_IDENTITY_RAMP = 0.15
#: How high up the forehead the matte reaches, in the layout (brows at about -0.6, the top of
#: the mesh at -1): past the brows onto the forehead, short of the hairline.
MATTE_TOP = -0.9


def _features() -> list[NDArray[np.float64]]:
    """Eyes (lid loops), brows (upper and lower edge as a loop) and lips (outer contour) as
    polygons of the canonical layout."""
    canonical = layout().canonical[:, :2]
    loops = [eye_loop(0), eye_loop(1), LIPS_OUTER,
             LEFT_BROW_UPPER + LEFT_BROW_LOWER[::-1], RIGHT_BROW_UPPER + RIGHT_BROW_LOWER[::-1]]
    return [canonical[list(loop)] for loop in loops]


def _distance(polygon: NDArray[np.float64], point: NDArray[np.float64]) -> float:
    """Signed distance of ``point`` from ``polygon`` (positive inside)."""
    contour = polygon.astype(np.float32).reshape(-1, 1, 2)
    return float(cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), True))


@lru_cache(maxsize=1)
def matte_points() -> NDArray[np.intp]:
    """The mesh points the matte's outline encloses: all but the top of the forehead (above
    :data:`MATTE_TOP`), where the hairline begins."""
    return np.flatnonzero(layout().canonical[:, 1] >= MATTE_TOP)


@lru_cache(maxsize=1)
def skin_triangles() -> Triangles:
    """The mesh triangles of the face's skin: inside the matte's reach
    (:data:`MATTE_TOP`), off the outline (no corner on :data:`FACE_OVAL`), and at least
    :data:`SKIN_MARGIN` from eyes, brows and lips (their centres; their corners half as far;
    in the layout)."""
    canonical = layout().canonical
    triangles = layout().triangles
    outline = np.zeros(468, bool)
    outline[list(FACE_OVAL)] = True
    features = _features()
    keep = []
    for tri in triangles:
        corners = canonical[tri, :2]
        centre = corners.mean(axis=0)
        keep.append(centre[1] >= MATTE_TOP and not outline[tri].any()
                    and all(_distance(f, centre) < -SKIN_MARGIN for f in features)
                    and all(_distance(f, c) < -SKIN_MARGIN / 2 for f in features for c in corners))
    out = triangles[np.array(keep, bool)]
    out.setflags(write=False)
    return out


#: Where hair may fall over the face, in the layout: above this (the brows' top edge at about
#: -0.6) on the forehead, and on the outline's upper half (the temples).
HAIR_FOREHEAD = -0.62
HAIR_TEMPLE = -0.2


@lru_cache(maxsize=1)
def hair_zone_triangles() -> Triangles:
    """The mesh triangles hair may cover: the forehead above the brows (centre above
    :data:`HAIR_FOREHEAD`) and the temples (a corner on the outline, centre above
    :data:`HAIR_TEMPLE`); none around the eyes (:data:`SKIN_MARGIN` off the eyes' and brows'
    loops)."""
    canonical = layout().canonical
    outline = np.zeros(468, bool)
    outline[list(FACE_OVAL)] = True
    eyes_brows = _features()[:2] + _features()[3:]
    keep = []
    for tri in layout().triangles:
        centre = canonical[tri, :2].mean(axis=0)
        clear = all(_distance(f, centre) < -SKIN_MARGIN / 2 for f in eyes_brows)
        keep.append(clear and (centre[1] < HAIR_FOREHEAD
                               or (bool(outline[tri].any()) and centre[1] < HAIR_TEMPLE)))
    out = layout().triangles[np.array(keep, bool)]
    out.setflags(write=False)
    return out


@lru_cache(maxsize=1)
def warp_triangles() -> Triangles:
    """The mesh's triangles and a fan closing each eye around its iris centre (478 points)."""
    fans = []
    for eye, centre in ((0, LEFT_IRIS[0]), (1, RIGHT_IRIS[0])):
        loop = eye_loop(eye)
        fans += [(centre, loop[i], loop[(i + 1) % len(loop)]) for i in range(len(loop))]
    out = np.vstack([layout().triangles, np.array(fans, np.int32)]).astype(np.int32)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=1)
def identity_weights() -> NDArray[np.float64]:
    """Per mesh point (478), how far it moves toward the source's proportions: the distance
    from the face outline in the canonical layout over :data:`_IDENTITY_RAMP`, smoothstepped;
    0 on the inner lips (the plate's expression); irises follow their eyes (handled by the
    swapper)."""
    canonical = layout().canonical
    oval = canonical[list(FACE_OVAL), :2].astype(np.float32).reshape(-1, 1, 2)
    distance = np.array([cv2.pointPolygonTest(oval, (float(x), float(y)), True)
                         for x, y in canonical[:, :2]])
    t = np.clip(distance / _IDENTITY_RAMP, 0.0, 1.0)
    weights = np.zeros(478)
    weights[:468] = t * t * (3 - 2 * t)
    weights[list(LIPS_INNER)] = 0.0
    weights.setflags(write=False)
    return weights


def _signed_areas(triangles: Triangles, points: NDArray[np.float64]) -> NDArray[np.float64]:
    corners = np.asarray(points, np.float64)[triangles, :2]
    a, b = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    return np.asarray(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], np.float64)


@lru_cache(maxsize=1)
def _frontal_winding() -> NDArray[np.float64]:
    """Each warp triangle's winding (+1 or -1) on the frontal layout (irises at the lids'
    centres)."""
    canonical = np.zeros((478, 3))
    canonical[:468] = layout().canonical
    for centre, eye in ((LEFT_IRIS[0], 0), (RIGHT_IRIS[0], 1)):
        canonical[centre] = canonical[list(eye_loop(eye))].mean(axis=0)
    return np.sign(_signed_areas(warp_triangles(), canonical))


def facing(triangles: Triangles, points: NDArray[np.float64]) -> Triangles:
    """The warp triangles that face the camera on the face with mesh ``points`` (their winding
    in the image is the frontal layout's): a turned face's far side, folded over, is hidden.
    ``triangles`` must be :func:`warp_triangles`."""
    return triangles[_signed_areas(triangles, points) * _frontal_winding() > 0]
