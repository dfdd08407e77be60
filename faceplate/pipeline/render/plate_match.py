"""How one swapped face sits in its plate, measured per frame from pixels for QC (issue 16):
light (99th-percentile L*), sharpness (detail ratio), grain, eye and mouth openness against
the plate's, and a hard texture edge inside the matte. The pixel measures are
:mod:`faceplate.face.image_metrics`'; the openness of each face is read from the mesh fitted
on that image (plate and result alike, from the solved mesh)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from faceplate.face import image_metrics as metrics
from faceplate.face.image8 import to_uint8
from faceplate.face.mesh import eye_openings, mouth_opening
from faceplate.face.warp import nonzero_box
from faceplate.models.protocols import FaceFinder
from faceplate.types import Matte, Mesh, RGBImage

#: Fewest face pixels (matte >= 0.9) a frame's measures are taken over.
_MIN_FACE = 100
#: How far (pixels) the pixel measures reach past the matte: the flat-pixel smoothing
#: (Gaussian of sigma 2, 8 pixels) and the 3×3 gradients, with room to spare; the matte's
#: outside stays connected around its box.
_REACH = 12


@dataclass(frozen=True)
class PlateMatch:
    """One face's measures on one frame (None: not measurable there).

    Attributes:
        highlight: 99th-percentile L* of the result's face minus the plate's.
        detail: mean |Laplacian| of the result's face over the plate's.
        grain: grain level of the result's face over the plate's (mean of R, G, B).
        eye: mean eye opening of the result minus the plate's (lid gap / eye width).
        mouth: mouth opening of the result minus the plate's (inner-lip gap / eye-corner
            width).
        edge: how far the result's L* gradient exceeds the plate's on the matte's soft edge
            (99th percentile, L* per pixel).
    """

    highlight: float | None = None
    detail: float | None = None
    grain: float | None = None
    eye: float | None = None
    mouth: float | None = None
    edge: float | None = None

    def rounded(self) -> dict[str, float | None]:
        """The measures rounded to 4 places, for the frame's record."""
        return {k: None if v is None else round(v, 4) for k, v in asdict(self).items()}


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _openness(mesh: Mesh) -> tuple[float, float]:
    left, right = eye_openings(mesh)
    return (left + right) / 2.0, mouth_opening(mesh)


def measure_plate_match(result: RGBImage, plate: RGBImage, matte: Matte, points: Mesh,
                        finder: FaceFinder) -> PlateMatch:
    """The measures of a face swapped into ``plate`` (both working-space regions), under
    ``matte``, with the solved mesh ``points`` (region pixels) to refit the mesh from."""
    out8, plate8 = to_uint8(result), to_uint8(plate)
    # the pixel measures on the matte's box and as far around it as they reach: the same
    box = _around(matte)
    out_box, plate_box, matte_box = out8[box], plate8[box], matte[box]
    face = metrics.face_mask(matte_box)
    out_lightness, plate_lightness = metrics.lightness(out_box), metrics.lightness(plate_box)
    edge = _finite(metrics.lightness_hard_edge(out_lightness, plate_lightness, matte_box))
    if face.sum() < _MIN_FACE:
        return PlateMatch(edge=edge)
    eye = mouth = None
    plate_mesh, out_mesh = finder.track(plate8, points), finder.track(out8, points)
    if plate_mesh is not None and out_mesh is not None:
        (plate_eye, plate_mouth), (out_eye, out_mouth) = _openness(plate_mesh), _openness(out_mesh)
        eye, mouth = out_eye - plate_eye, out_mouth - plate_mouth
    return PlateMatch(
        highlight=_finite(metrics.lightness_highlight(out_lightness, plate_lightness, face)),
        detail=_finite(metrics.detail_ratio(out_box, plate_box, face)),
        grain=_finite(float(np.mean(metrics.grain_ratio(out_box, plate_box, face)))),
        eye=eye, mouth=mouth, edge=edge)


def _around(matte: Matte) -> tuple[slice, slice]:
    """The box of the matte's non-zero pixels grown by :data:`_REACH` (the whole image if
    it has none)."""
    box = nonzero_box(matte > 0, _REACH)
    return (slice(None), slice(None)) if box is None else box
