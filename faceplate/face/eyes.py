"""Whose eyes the swapped face shows: the source's, rebuilt at the plate's lid and iris
positions by the warp, or the plate's own (issue 16).

A source photo holds one eye opening. Warped onto a plate whose lids are lower, it is
squashed (the source's open eye shows through lowered lids); onto a plate whose eyes are
much wider, it is stretched (an iris drawn out tall, lids with no sclera between them: the
photo holds none of the eye its lids hid). In both cases the plate's own eye is kept in the
opening, a ring past its lid line (its lid margins and lashes; for far wider eyes only the
lower lid's margin) included, and moved to where the swap puts the eye, after the source's
face has taken the plate's sharpness and grain (the plate's eye has them already); the skin
around it, lids' folds, brows and under-eye, stay the source's. The choice is made for the
face as a whole, so one face never shows one eye of each (their irises differ).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceplate.face.matte import eye_mask
from faceplate.face.mesh import LIDS, eye_openings, face_size
from faceplate.face.warp import nonzero_box
from faceplate.types import Matte, Mesh, RGBImage

#: How far past the lid line (× face size) the plate's own eye is kept where its lids are
#: lowered: the lowered lids (the expression) and their margins and lashes come with it.
EYE_RING = 0.045
#: How far past the lid line (× face size) it is kept where its eyes are far wider: only
#: what the opening shows (sclera, iris: the source photo has none of it), the lids and
#: their folds stay the source's (they carry much of the identity).
WIDE_EYE_RING = 0.0
#: How far (× face size) below the lower lid line it is also kept where its eyes are far
#: wider: the plate's lower lid margin, which its lid contour runs just inside of (without it,
#: the source's lid skin covers the margin and the eye reads 0.005 less open on the soft plate).
WIDE_LOWER_LID = 0.02
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


@dataclass(frozen=True)
class PlateEyes:
    """How surely a face keeps the plate's own eyes (0..1, both eyes alike) because its lids
    are lowered against the source's, and because its eyes are far wider."""

    lowered: float
    wider: float


def plate_eye_weight(target: Mesh, source: Mesh) -> PlateEyes:
    """Whether the face with mesh ``target`` keeps the plate's own eyes rather than the
    source's (mesh ``source``): ``lowered`` 1 where its less open eye is
    :data:`LOWERED_LIDS` less open than the source's, ``wider`` 1 where its eyes (both
    eyes' mean) are :data:`WIDER_EYES` times as open; 0 where the openings are alike,
    smooth in between."""
    plate = np.array(eye_openings(target))
    own = np.maximum(np.array(eye_openings(source)), 1e-3)
    ratio = plate / own
    return PlateEyes(_smoothstep(float(1.0 - ratio.min()), LOWERED_LIDS),
                     _smoothstep(float(ratio.mean()), WIDER_EYES))


def _lower_lid_moved(points: Mesh, eye: int, distance: float) -> Mesh:
    """``points`` with eye ``eye``'s lower lid (its corners kept) moved ``distance`` pixels
    away from the upper lid, at right angles to the eye-corner line."""
    lids = list(LIDS[eye])
    out = np.array(points, np.float64, copy=True)
    corner, other = out[lids[0], :2], out[lids[8], :2]
    along = (other - corner) / max(float(np.linalg.norm(other - corner)), 1e-9)
    across = np.array([-along[1], along[0]])
    if float(across @ (out[lids[1:8], :2].mean(axis=0) - out[lids[9:], :2].mean(axis=0))) < 0:
        across = -across
    out[lids[1:8], :2] += distance * across
    return out


def plate_eyes(target: RGBImage, points: Mesh, geometry: Mesh, weight: PlateEyes
               ) -> tuple[Matte, RGBImage]:
    """The plate's own eyes moved to where the swap puts them: a mask (inside the eye
    openings of ``geometry`` and a ring past their lid line: ``weight.lowered`` out to
    :data:`EYE_RING`, ``weight.wider`` out to :data:`WIDE_EYE_RING` and
    :data:`WIDE_LOWER_LID` below the lower lid, at least 1 px; hard edged, the caller softens
    it) and ``target`` moved eye by eye by the mean step of that
    eye's lids from ``points`` to ``geometry`` (the swap moves each eye as a whole)."""
    shape = target.shape[:2]
    mask = np.zeros(shape, np.float32)
    moved = np.array(target, np.float32, copy=True)
    if max(weight.lowered, weight.wider) <= 0:
        return mask, moved
    rings = [(weight.lowered, max(1, round(EYE_RING * face_size(points)))),
             (weight.wider, max(1, round(WIDE_EYE_RING * face_size(points))))]
    source = np.ascontiguousarray(target, np.float32)
    for eye in (0, 1):
        step = (geometry[list(LIDS[eye]), :2] - points[list(LIDS[eye]), :2]).mean(axis=0)
        inside = eye_mask(geometry, shape, eye)
        below = eye_mask(_lower_lid_moved(geometry, eye, WIDE_LOWER_LID * face_size(points)),
                         shape, eye)
        # worked on the openings' box and as far around it as a ring reaches: the same values
        box = nonzero_box(np.maximum(inside, below), max(ring for _, ring in rings))
        if box is None:
            continue
        kept = np.max([amount * cv2.dilate(opening[box], np.ones((2 * ring + 1,) * 2))
                       for (amount, ring), opening in zip(rings, (inside, below), strict=True)],
                      axis=0)
        # shifted whole: OpenCV's warp of a box differs from the whole's by a float ulp here and
        # there (where its vector and scalar loops meet)
        shifted = cv2.warpAffine(source, np.array([[1, 0, step[0]], [0, 1, step[1]]], np.float64),
                                 (shape[1], shape[0]), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)[box]
        moved[box] = np.where(kept[..., None] > 0, shifted, moved[box])
        mask[box] = np.maximum(mask[box], kept)
    return mask, moved
