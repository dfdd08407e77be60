"""Whose eyes the swapped face shows: the source's, rebuilt at the plate's lid and iris
positions by the warp, or the plate's own (issue 16).

A source photo holds one eye opening. Warped onto a plate whose lids are lower, it is
squashed (the source's open eye shows through lowered lids); onto a plate whose eyes are
much wider, it is stretched (an iris drawn out tall, lids with no sclera between them: the
photo holds none of the eye its lids hid). In both cases the plate's own eye is kept in the
opening, a ring past its lid line (its lid margins and lashes) included, and moved to where
the swap puts the eye; the skin around it, lids' folds, brows and under-eye, stay the
source's. The choice is made for the face as a whole, so one face never shows one eye of
each (their irises differ).
"""

from __future__ import annotations

import cv2
import numpy as np

from faceplate.face.matte import eye_mask
from faceplate.face.mesh import LIDS, eye_openings, face_size
from faceplate.types import Matte, Mesh, RGBImage

#: How far past the lid line (× face size) the plate's own eye is kept: its lid margins and
#: lashes with it, so no lid of the source's is drawn over the plate's opening.
EYE_RING = 0.03
#: The plate's least open eye this much less open (relative) than the source's eye starts
#: the plate's eyes being kept, and fully keeps them at the second value.
LOWERED_LIDS = (0.0, 0.15)
#: The plate's eyes (mean of both) this many times as open as the source's start the plate's
#: eyes being kept, and fully keep them at the second value: stretched further, the
#: source's eye shows a drawn-out iris.
WIDER_EYES = (1.45, 1.65)


def _smoothstep(value: float, edges: tuple[float, float]) -> float:
    t = float(np.clip((value - edges[0]) / (edges[1] - edges[0]), 0.0, 1.0))
    return t * t * (3 - 2 * t)


def plate_eye_weight(target: Mesh, source: Mesh) -> float:
    """How surely the face with mesh ``target`` keeps the plate's own eyes rather than the
    source's (mesh ``source``): 1 where its lids are lowered against the source's
    (:data:`LOWERED_LIDS`, the less open eye) or its eyes far wider (:data:`WIDER_EYES`,
    both eyes' mean), 0 where the two openings are alike, smooth in between."""
    plate = np.array(eye_openings(target))
    own = np.maximum(np.array(eye_openings(source)), 1e-3)
    ratio = plate / own
    return max(_smoothstep(float(1.0 - ratio.min()), LOWERED_LIDS),
               _smoothstep(float(ratio.mean()), WIDER_EYES))


def plate_eyes(target: RGBImage, points: Mesh, geometry: Mesh, weight: float
               ) -> tuple[Matte, RGBImage]:
    """The plate's own eyes moved to where the swap puts them: a mask (``weight`` inside the
    eye openings of ``geometry`` and a ring of :data:`EYE_RING` past their lid line, hard
    edged; the caller softens it) and ``target`` moved eye by eye by the mean step of that
    eye's lids from ``points`` to ``geometry`` (the swap moves each eye as a whole)."""
    shape = target.shape[:2]
    mask = np.zeros(shape, np.float32)
    moved = np.array(target, np.float32, copy=True)
    if weight <= 0:
        return mask, moved
    ring = max(1, round(EYE_RING * face_size(points)))
    for eye in (0, 1):
        step = (geometry[list(LIDS[eye]), :2] - points[list(LIDS[eye]), :2]).mean(axis=0)
        opening = cv2.dilate(eye_mask(geometry, shape, eye), np.ones((2 * ring + 1,) * 2))
        shifted = cv2.warpAffine(np.ascontiguousarray(target, np.float32),
                                 np.array([[1, 0, step[0]], [0, 1, step[1]]], np.float64),
                                 (shape[1], shape[0]), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        moved = np.where(opening[..., None] > 0, shifted, moved)
        mask = np.maximum(mask, weight * opening)
    return mask, moved
