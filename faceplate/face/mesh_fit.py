"""The dense mesh from 68 iBUG points: how a 68-point landmarker (dlib's, 2DFAN4) feeds a
pipeline that always sees the 478-point mesh.

1. **Pose and scale**: the canonical layout's points that stand for the 68
   (:data:`faceplate.face.mesh.IBUG68`) are fitted to the 68 by a scaled orthographic
   projection (least-squares affine from 3D to the image, made a scaled rotation), on the
   inner face (brows, nose, eyes, mouth: the jaw points are the silhouette a turned face
   shows, not fixed surface points).
2. **Shape**: what the projected layout misses at the 68 (this face's proportions and
   expression) is interpolated over the whole mesh by a thin-plate spline on the canonical
   layout's frontal (x, y), so every mesh point moves with its neighbours among the 68; beyond
   the 68 (the forehead above the brows) the correction is carried by the spline's linear part.
3. **Depth**: z is the posed layout's (on x's scale, smaller nearer), centred on the face.
4. **Irises**: approximated: each eye's centre is the mean of its lid contour raised by 0.06 of
   the eye's width, radius 0.21 of the width (both the means of MediaPipe's iris model on the
   public-domain portraits), edge points toward the inner corner, up, the outer corner, down,
   as the iris model orders them. A 68-point landmarker does not see the gaze.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from faceplate.face.mesh import EYE_CORNERS, IBUG68, LEFT_IRIS, LIDS, RIGHT_IRIS, layout
from faceplate.types import Landmarks, Mesh

#: iBUG points that fix the pose (not the jaw's silhouette).
_POSE_POINTS = np.arange(17, 68)
#: Iris centre above the lid contour's mean, and iris radius, in eye widths (measured).
IRIS_RAISE = 0.06
IRIS_RADIUS = 0.21
#: Smoothing of the thin-plate spline (canonical units, outer eye corners 1 apart): just
#: enough to keep the solve well conditioned where two of the 68 nearly meet (the lips' middle
#: points when the mouth is closed); the mesh passes within a tenth of a pixel of the 68.
_SMOOTHING = 1e-6


@lru_cache(maxsize=1)
def _controls() -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """The canonical (x, y, z) of the 68 mapped points, and which of the 68 are distinct
    mesh points (the spline needs distinct control points)."""
    index = np.array(IBUG68)
    _, first = np.unique(index, return_index=True)
    return layout().canonical[index], np.sort(first)


def scaled_orthographic_fit(model: NDArray[np.float64], image: NDArray[np.float64]
                            ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Scale, rotation (3, 3) and image shift (2,) of the scaled orthographic projection best
    taking 3D ``model`` points onto 2D ``image`` points: an affine fit, its linear part made
    the nearest scaled pair of orthonormal rows, the third row their cross product."""
    design = np.hstack([model, np.ones((len(model), 1))])
    solution, *_ = np.linalg.lstsq(design, image, rcond=None)
    linear = solution[:3].T  # (2, 3)
    u, sig, vt = np.linalg.svd(linear, full_matrices=False)
    rows = u @ vt
    rotation = np.vstack([rows, np.cross(rows[0], rows[1])])
    scale = float(sig.mean())
    shift = image.mean(axis=0) - scale * rows @ model.mean(axis=0)
    return scale, rotation, shift


def _iris(mesh: NDArray[np.float64], eye: int) -> NDArray[np.float64]:
    """Five iris points (centre, then toward the inner corner, up, outer, down) of one eye."""
    outer, inner = mesh[EYE_CORNERS[eye][0]], mesh[EYE_CORNERS[eye][1]]
    width = float(np.linalg.norm(inner - outer))
    along = (inner[:2] - outer[:2]) / max(float(np.linalg.norm(inner[:2] - outer[:2])), 1e-9)
    up = np.array([along[1], -along[0]])
    if up[1] > 0:  # "up" is the image's up side of the eye line
        up = -up
    centre = mesh[list(LIDS[eye])].mean(axis=0)
    centre[:2] += IRIS_RAISE * width * up
    radius = IRIS_RADIUS * width
    edges = [centre[:2] + radius * d for d in (along, up, -along, -up)]
    return np.vstack([centre, *[np.r_[e, centre[2]] for e in edges]])


def mesh_from_ibug68(points: Landmarks) -> Mesh:
    """The 478-point mesh (x, y, z) of the face whose 68 iBUG landmarks are ``points``."""
    points = np.asarray(points, np.float64)[:, :2]
    canonical = layout().canonical
    controls, distinct = _controls()
    scale, rotation, shift = scaled_orthographic_fit(controls[_POSE_POINTS],
                                                     points[_POSE_POINTS])
    posed = scale * canonical @ rotation.T
    posed[:, :2] += shift
    posed[:, 2] -= posed[:, 2].mean()
    residual = points - posed[list(IBUG68), :2]
    from scipy.interpolate import RBFInterpolator  # 0.5 s to import: paid by dlib-68 runs only

    spline = RBFInterpolator(canonical[list(IBUG68)][distinct, :2], residual[distinct],
                             kernel="thin_plate_spline", smoothing=_SMOOTHING)
    mesh = np.zeros((478, 3))
    mesh[:468] = posed
    mesh[:468, :2] += spline(canonical[:, :2])
    mesh[list(LEFT_IRIS)] = _iris(mesh, 0)
    mesh[list(RIGHT_IRIS)] = _iris(mesh, 1)
    return mesh
