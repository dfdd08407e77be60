"""The 68-point (iBUG 300-W) landmark scheme: named regions and simple measures."""

from __future__ import annotations

import numpy as np

from faceplate.types import Landmarks

JAW = slice(0, 17)
BROWS = slice(17, 27)
NOSE = slice(27, 36)
LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
OUTER_LIPS = slice(48, 60)
INNER_LIPS = slice(60, 68)

#: Pairs of inner-lip points facing each other across the mouth opening.
_INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))


def face_size(points: Landmarks) -> float:
    """A scale for the face: distance between the outer eye corners (points 36 and 45)."""
    return float(np.linalg.norm(points[45] - points[36]))


def mouth_opening(points: Landmarks) -> float:
    """Inner-lip gap relative to face size: about 0 closed, above ~0.08 visibly open."""
    gaps = [np.linalg.norm(points[a] - points[b]) for a, b in _INNER_LIP_PAIRS]
    return float(np.mean(gaps)) / max(face_size(points), 1e-6)


def bounding_box(points: Landmarks) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of the points."""
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def with_forehead(points: Landmarks, lift: float = 0.3) -> Landmarks:
    """The 68 points plus 10 forehead points: each brow point pushed away from the nose
    tip by ``lift`` of its distance, so mesh and matte reach past the brows and the
    matte's soft edge falls on skin, not on the brows."""
    brows = points[BROWS]
    return np.concatenate([points, brows + lift * (brows - points[30])])
