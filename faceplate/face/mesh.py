"""Geometry of the 468-point face mesh (MediaPipe's layout, 478 with the two irises).

Pure geometry: no model code. Points are (x, y[, z]) in image pixels, x right, y down, z on
x's scale and smaller nearer the camera. As in :mod:`faceplate.face.landmarks`, "left" means
the image's left: the person's right eye for an unmirrored face.

The index sets are facts of the model's output order (MediaPipe's graph configs name them);
the canonical layout, the mirror pairing and the triangulation are faceplate's own, derived
from the model's output on public-domain portraits by ``tools/derive_face_mesh_layout.py``
and shipped in ``data/face_mesh_layout.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.face.pose import Pose
from faceplate.types import Landmarks

Points = NDArray[np.float64]
LAYOUT_FILE = Path(__file__).parent / "data" / "face_mesh_layout.npz"

#: Lid contours in the iris model's order: the lower lid from the outer to the inner corner
#: (corners included), then the upper lid from outer to inner (corners excluded).
LEFT_LOWER_LID = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_UPPER_LID = (246, 161, 160, 159, 158, 157, 173)
RIGHT_LOWER_LID = (263, 249, 390, 373, 374, 380, 381, 382, 362)
RIGHT_UPPER_LID = (466, 388, 387, 386, 385, 384, 398)
#: Each eye's 16 lid points (image-left eye first), as :data:`LEFT_LOWER_LID` + upper.
LIDS = (LEFT_LOWER_LID + LEFT_UPPER_LID, RIGHT_LOWER_LID + RIGHT_UPPER_LID)
#: Eye corners (outer, inner) of the image-left and image-right eye.
EYE_CORNERS = ((33, 133), (263, 362))
#: Brows, upper and lower edge, from outer to inner.
LEFT_BROW_UPPER = (70, 63, 105, 66, 107)
LEFT_BROW_LOWER = (46, 53, 52, 65, 55)
RIGHT_BROW_UPPER = (300, 293, 334, 296, 336)
RIGHT_BROW_LOWER = (276, 283, 282, 295, 285)
#: Lip contours as closed polygons, from the image-left corner along the upper lip, back along
#: the lower lip.
LIPS_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409,
              291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
LIPS_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415,
              308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
MOUTH_CORNERS = (61, 291)
#: The face outline as a closed polygon, clockwise on screen from the top of the forehead.
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21,
             54, 103, 67, 109)
#: The nose tip: the point nearest the camera in the canonical layout, and the mesh point
#: nearest dlib's nose tip (MediaPipe's annotations name point 1, just below it).
NOSE_TIP = 4
#: The iris points of the 478-point layout: centre first, then four edge points.
LEFT_IRIS = (468, 469, 470, 471, 472)
RIGHT_IRIS = (473, 474, 475, 476, 477)
#: The mesh point standing for each of the 68 iBUG (dlib) landmarks: for each, the point
#: nearest to dlib's on the demo portraits and their mirror images, chosen mirror-symmetrically
#: (tools/derive_face_mesh_layout.py). The jaw (0..16) follows the mesh's fixed points, not
#: the silhouette dlib traces, so it drifts from dlib's on turned faces.
IBUG68 = (34, 234, 147, 215, 172, 136, 149, 148, 152, 377, 378, 365, 397, 435, 376, 454, 264,
          156, 63, 105, 66, 55, 285, 296, 334, 293, 383,
          168, 197, 5, 4, 240, 97, 2, 326, 460,
          33, 160, 158, 155, 153, 144, 382, 385, 387, 263, 373, 380,
          76, 80, 72, 13, 302, 310, 306, 321, 314, 17, 84, 91,
          78, 38, 12, 268, 308, 317, 14, 87)
#: Facing upper/lower lid points of each eye (upper, lower), outer to inner.
_LID_PAIRS = tuple(tuple(zip(upper, lower[1:-1], strict=True)) for upper, lower in
                   ((LEFT_UPPER_LID, LEFT_LOWER_LID), (RIGHT_UPPER_LID, RIGHT_LOWER_LID)))
#: Facing upper/lower inner-lip points, image-left to image-right.
_LIP_PAIRS = tuple(zip(LIPS_INNER[1:10], LIPS_INNER[19:10:-1], strict=True))


@dataclass(frozen=True)
class MeshLayout:
    """faceplate's canonical frontal layout (468, 3) (x right, y down, z away from the camera,
    outer eye corners 1 apart, centred), the mirror index of each point, and the triangles
    (T, 3) of the face surface (counter-clockwise in the frontal layout, openings left out)."""

    canonical: Points
    mirror: NDArray[np.int32]
    triangles: NDArray[np.int32]


@lru_cache(maxsize=1)
def layout() -> MeshLayout:
    """The shipped layout (read once; the arrays are read-only)."""
    with np.load(LAYOUT_FILE) as data:
        arrays = {k: data[k] for k in ("canonical", "mirror", "triangles")}
    for value in arrays.values():
        value.setflags(write=False)
    return MeshLayout(**arrays)


def to_ibug68(points: Points) -> Landmarks:
    """The 68 iBUG landmarks (x, y) from mesh points (468 or 478)."""
    return np.asarray(points, np.float64)[list(IBUG68), :2].copy()


def mouth_interior(points: Points) -> Points:
    """The mouth opening as a closed polygon (20, 2): the inner-lip contour."""
    return np.asarray(points, np.float64)[list(LIPS_INNER), :2].copy()


def eye_corner_width(points: Points) -> float:
    """Distance between the outer eye corners (the face's scale, as in ``landmarks.face_size``)."""
    return float(np.linalg.norm(points[EYE_CORNERS[1][0], :2] - points[EYE_CORNERS[0][0], :2]))


def face_size(points: Points) -> float:
    """The face's scale: distance between the outer eye corners, in 3D when the points have
    depth (so it does not shrink as the head turns), else in the image."""
    pts = np.asarray(points, np.float64)
    a, b = pts[EYE_CORNERS[0][0]], pts[EYE_CORNERS[1][0]]
    return float(np.linalg.norm(b - a))


def bounding_box(points: Points) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of the points in the image."""
    pts = np.asarray(points, np.float64)[:, :2]
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def eye_centres(points: Points) -> NDArray[np.float64]:
    """Each eye's centre (image-left first), (2, 2): the mean of its 16 lid-contour points
    (steadier than the iris, which follows the gaze)."""
    pts = np.asarray(points, np.float64)
    return np.stack([pts[list(lids), :2].mean(axis=0) for lids in LIDS])


def five_points(points: Points) -> NDArray[np.float64]:
    """The five alignment points of the learned models' templates (left eye, right eye, nose
    tip, left and right mouth corner, as seen): eye centres from the lid contours, the nose
    tip, the mouth corners."""
    pts = np.asarray(points, np.float64)
    return np.vstack([eye_centres(pts), pts[[NOSE_TIP, *MOUTH_CORNERS], :2]])


def _gap(points: Points, pairs: tuple[tuple[int, int], ...], across: NDArray[np.float64]
         ) -> float:
    """Mean distance along ``across`` from each pair's first point to its second."""
    return float(np.mean([(points[b, :2] - points[a, :2]) @ across for a, b in pairs]))


def _down(points: Points) -> NDArray[np.float64]:
    """The face's downward direction in the image: from between the outer eye corners to
    between the mouth corners (any roll)."""
    eyes = (points[EYE_CORNERS[0][0], :2] + points[EYE_CORNERS[1][0], :2]) / 2
    mouth = (points[MOUTH_CORNERS[0], :2] + points[MOUTH_CORNERS[1], :2]) / 2
    return np.asarray(mouth - eyes, np.float64)


def _normal(start: NDArray[np.float64], end: NDArray[np.float64], down: NDArray[np.float64]
            ) -> NDArray[np.float64]:
    """Unit vector at right angles to start -> end, on the side ``down`` points to."""
    d = (end - start) / max(float(np.linalg.norm(end - start)), 1e-9)
    n = np.array([-d[1], d[0]])
    return n if float(n @ down) >= 0 else -n


def eye_openings(points: Points) -> tuple[float, float]:
    """Each eye's opening (image-left first): the mean gap between facing upper and lower lid
    points, at right angles to the eye-corner line, over the eye's corner-to-corner width.
    About 0.15..0.3 for open eyes, near 0 closed; negative when the lids cross."""
    out = []
    down = _down(points)
    for (outer, inner), pairs in zip(EYE_CORNERS, _LID_PAIRS, strict=True):
        a, b = points[outer, :2], points[inner, :2]
        across = _normal(a, b, down)
        width = max(float(np.linalg.norm(b - a)), 1e-9)
        out.append(_gap(points, pairs, across) / width)
    return out[0], out[1]


def mouth_opening(points: Points) -> float:
    """Inner-lip gap (mean over facing points, at right angles to the mouth-corner line) over
    the outer-eye-corner width: about 0 closed, above ~0.08 visibly open."""
    a, b = points[MOUTH_CORNERS[0], :2], points[MOUTH_CORNERS[1], :2]
    across = _normal(a, b, _down(points))
    return _gap(points, _LIP_PAIRS, across) / max(eye_corner_width(points), 1e-9)


@dataclass(frozen=True)
class Iris:
    """An iris circle in image pixels."""

    centre: tuple[float, float]
    radius: float


def irises(points: Points) -> tuple[Iris, Iris]:
    """Both irises (image-left eye first) of a 478-point layout: the centre point, and the
    mean distance of the four edge points from it."""
    out = []
    for index in (LEFT_IRIS, RIGHT_IRIS):
        centre = points[index[0], :2]
        radius = float(np.linalg.norm(points[list(index[1:]), :2] - centre, axis=1).mean())
        out.append(Iris((float(centre[0]), float(centre[1])), radius))
    return out[0], out[1]


def inside(polygon: Points, point: tuple[float, float]) -> bool:
    """Whether ``point`` lies inside the closed ``polygon`` (N, 2)."""
    contour = np.asarray(polygon, np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), False) > 0


def eye_loop(eye: int) -> tuple[int, ...]:
    """The lid contour of eye ``eye`` (0: image-left) as a closed loop: lower lid outer to
    inner, then the upper lid back."""
    return LIDS[eye][:9] + LIDS[eye][9:][::-1]


def eye_polygon(points: Points, eye: int) -> Points:
    """The eye opening of eye ``eye`` (0: image-left) as a closed polygon (16, 2)."""
    return np.asarray(points, np.float64)[list(eye_loop(eye)), :2].copy()


#: Mesh points that move with the skull, not with expression: above the upper lip, without
#: lids and brows (they move with the eyes and brows).
def _rigid_points(canonical: Points) -> NDArray[np.intp]:
    moving = set(LIDS[0]) | set(LIDS[1]) | set(LEFT_BROW_UPPER + LEFT_BROW_LOWER
                                               + RIGHT_BROW_UPPER + RIGHT_BROW_LOWER)
    limit = canonical[LIPS_OUTER[5], 1]  # top of the upper lip
    return np.array([i for i in range(468) if canonical[i, 1] < limit and i not in moving])


def similarity_3d(source: Points, target: Points, index: NDArray[np.intp] | None = None
                  ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Scale, rotation (3, 3) and shift best carrying ``source``'s (x, y, z) points onto
    ``target``'s (least squares over ``index``, default all; rotation without reflection)."""
    src, dst = np.asarray(source, np.float64)[:, :3], np.asarray(target, np.float64)[:, :3]
    if index is not None:
        src, dst = src[index], dst[index]
    ms, md = src.mean(0), dst.mean(0)
    u, sig, vt = np.linalg.svd((dst - md).T @ (src - ms))
    flip = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ flip @ vt
    scale = float(np.trace(np.diag(sig) @ flip) / max(((src - ms) ** 2).sum(), 1e-12))
    return scale, rotation, md - scale * rotation @ ms


@lru_cache(maxsize=1)
def rigid_points() -> NDArray[np.intp]:
    """The mesh points that move with the skull, not with expression (see
    :func:`_rigid_points`)."""
    return _rigid_points(layout().canonical)


def rigid_fit(points: Points) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Scale, rotation (3, 3) and shift that carry the canonical layout onto ``points``' 468
    (x, y, z) on the face's rigid part (least squares; rotation without reflection)."""
    return similarity_3d(layout().canonical, points, rigid_points())


def head_pose(points: Points) -> Pose:
    """Yaw, pitch and roll (degrees) of the head from the mesh's 3D points, by a rigid fit to
    the canonical layout (weak perspective: the mesh's z is orthographic depth).

    Angles are those of :func:`faceplate.face.pose.estimate_pose` (OpenCV's RQ decomposition of
    the rotation from the face's frame to the camera's, x right, y down, z into the scene):
    roll is positive when the face turns clockwise on screen; yaw is positive when the face
    turns towards the image's left (the person's right); pitch is positive when the face
    tilts down (chin towards the chest).
    """
    _, rotation, _ = rigid_fit(points)
    angles, *_ = cv2.RQDecomp3x3(rotation)
    pitch, yaw, roll = (float(a) for a in angles)
    return Pose(yaw=yaw, pitch=pitch, roll=roll)
