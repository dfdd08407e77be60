"""Hair in front of the face: a per-shot skin model tells the plate's skin from what covers it
(a fringe, strands over the temples), so the matte leaves the plate's hair in front.

The skin model is the Lab statistics of the plate's skin (:class:`LabStats`, measured on the
mesh's skin triangles and smoothed along the shot by the solve). Only the top of the face is
judged (the forehead above the brows and the temples, :func:`faceplate.face.regions.
hair_zone_triangles`): brows, eyes and lips are features to replace, not hair. A pixel there
is hair when its colour (Lab a*, b*, grain smoothed out) lies far outside the skin's spread,
or it is much darker than the skin (dark hair of a skin-like hue), and it reaches over the
face's outline: hair in front of a face falls over it from beyond (a fringe over the hairline,
strands over the temples), while a patch found inside the forehead alone (a mole, a wrinkle's
shadow) is the face's own, and replaced with it.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceplate.face.colour_match import LabStats, to_lab
from faceplate.face.mesh import FACE_OVAL, face_size
from faceplate.face.regions import hair_zone_triangles
from faceplate.face.warp import nonzero_box
from faceplate.types import Matte, Mesh, RGBImage

#: How many standard deviations (of the skin's a*, b*; at least :data:`_MIN_CHROMA_STD`) from
#: the skin's mean a colour begins to count as hair, and where it fully does.
CHROMA_SIGMAS = (3.0, 4.5)
#: How many L* standard deviations (at least :data:`_MIN_LIGHTNESS_STD`) below the skin's mean
#: a pixel begins to count as (dark) hair, and where it fully does.
DARK_SIGMAS = (2.0, 3.0)
_MIN_CHROMA_STD = 3.0
_MIN_LIGHTNESS_STD = 6.0
#: Smoothing (× face size) of the colours before judging (grain out) and of the hair mask.
_SMOOTH = 0.005


def _ramp(value: np.ndarray, edges: tuple[float, float]) -> np.ndarray:
    t = np.clip((value - edges[0]) / (edges[1] - edges[0]), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), np.float32)


def hair_zone(points: Mesh, shape: tuple[int, int]) -> Matte:
    """Where hair may cover the face: the forehead above the brows and the temples."""
    mask = np.zeros(shape, np.float32)
    pts = np.asarray(points, np.float64)[:, :2]
    for tri in hair_zone_triangles():
        cv2.fillConvexPoly(mask, np.round(pts[tri] * 16).astype(np.int32), 1.0,
                           lineType=cv2.LINE_8, shift=4)
    pad = max(1, round(0.04 * face_size(points)))
    return np.asarray(cv2.dilate(mask, np.ones((2 * pad + 1,) * 2, np.uint8)), np.float32)


def reaching_in(hair: Matte, points: Mesh, corner: tuple[int, int]) -> Matte:
    """``hair`` (a box of the image whose top-left pixel is ``corner``, x and y) kept only
    where its nonzero pixels are connected (8-way) to nonzero pixels beyond the face's outline
    (:data:`FACE_OVAL`, the mesh ``points`` in image pixels): what lies inside the face
    alone is set to 0."""
    face = np.zeros(hair.shape, np.uint8)
    outline = np.asarray(points, np.float64)[list(FACE_OVAL), :2] - corner
    cv2.fillPoly(face, [np.round(outline * 16).astype(np.int32)], 1, lineType=cv2.LINE_8,
                 shift=4)
    found = (hair > 0).astype(np.uint8)
    _, labels = cv2.connectedComponents(found, connectivity=8)
    beyond = np.unique(labels[(found > 0) & (face == 0)])
    return np.where(np.isin(labels, beyond), hair, np.float32(0.0))


def hair_mask(plate: RGBImage, points: Mesh, skin: LabStats) -> Matte:
    """0..1: how surely each pixel of ``plate`` is hair in front of the face (0 off the hair
    zone; below 1/1024 is 0, as the matte's own feather snaps, so a face without hair keeps a
    matte of exactly 1)."""
    full = hair_zone(points, plate.shape[:2])
    if not full.any():
        return full
    sigma = max(_SMOOTH * face_size(points), 0.5)
    # judged on the zone's box and as far around it as the two blurs reach: the same values
    judged = nonzero_box(full, 2 * int(np.ceil(4 * sigma)) + 2)
    assert judged is not None  # the zone is not empty
    rows, cols = judged
    zone, plate = full[rows, cols], plate[rows, cols]
    lab = cv2.GaussianBlur(to_lab(plate), (0, 0), sigma)
    mean, std = np.array(skin.mean, np.float32), np.array(skin.std, np.float32)
    chroma_std = np.maximum(std[1:], np.float32(_MIN_CHROMA_STD))
    chroma = np.sqrt((((lab[..., 1:] - mean[1:]) / chroma_std) ** 2).sum(axis=2))
    dark = (mean[0] - lab[..., 0]) / np.float32(max(std[0], _MIN_LIGHTNESS_STD))
    hair = np.maximum(_ramp(chroma, CHROMA_SIGMAS), _ramp(dark, DARK_SIGMAS)) * zone
    hair = reaching_in(hair, points, (cols.start, rows.start))
    out = np.zeros_like(full)
    out[rows, cols] = cv2.GaussianBlur(hair, (0, 0), sigma)
    out[out < 1.0 / 1024.0] = 0.0
    return out
