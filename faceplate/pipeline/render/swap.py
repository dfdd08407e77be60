"""One face on one frame: the region it is swapped in, the swap composited under its matte in
the plate's colourspace, and what QC measures of it (seam, identity on the output, how it sits
in the plate)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from faceplate.face.colour_match import LabStats, to_lab
from faceplate.face.grain import clump_size, frame_seed
from faceplate.face.image8 import to_uint8
from faceplate.face.mesh import bounding_box, face_size
from faceplate.face.regions import hair_zone_triangles
from faceplate.face.swapper import ReferenceSwapper, SourceFace, prepare_skin_statistics
from faceplate.face.warp import nonzero_box
from faceplate.models.protocols import FaceFinder, FaceSwapper
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.render.plate_match import PlateMatch, measure_plate_match
from faceplate.pipeline.stage_files.tracks import SolvedFace
from faceplate.plateio.frame import Box, PlateFrame
from faceplate.types import WORKING_SPACE, Descriptor, Matte, Mesh, RGBImage

_REGION_MARGIN = 0.45
#: The swap's own margin (× the mesh box's longer side): room for the matte's feather and the
#: multi-band blend's coarse levels around the face, and no more (its cost grows with the
#: region's area).
SWAP_MARGIN = 0.25


def face_region(landmarks: np.ndarray, data: Box, margin: float = _REGION_MARGIN) -> Box:
    """The region a face is looked at in (the detector's check, the identity descriptor): its
    mesh's box plus ``margin`` × its longer side each way, inside the data."""
    x0, y0, x1, y1 = bounding_box(landmarks)
    pad = margin * max(x1 - x0, y1 - y0)
    return Box(int(np.floor(x0 - pad)), int(np.floor(y0 - pad)),
               int(np.ceil(x1 + pad)), int(np.ceil(y1 + pad))).intersect(data)


def _in_region(face: SolvedFace, box: Box) -> np.ndarray:
    """The face's mesh in the region's pixels (x and y from the region's corner; depth kept)."""
    local = np.array(face.landmarks, dtype=np.float64)
    local[:, :2] -= (box.x0, box.y0)
    return local


@dataclass(frozen=True)
class PlacedFace:
    """A face swapped on a frame, with what QC measures of the swap itself (:meth:`measure`:
    apart from the swap, so it may run while the next frame is swapped)."""

    box: Box
    mouth_open: bool
    matte_area: float
    original: Descriptor | None  # the plate's face as analysis measured it (None: not measured)
    plate: RGBImage  # the region of the plate in the working space, to measure it here
    result: RGBImage  # the swap over the region, in the working space
    matte: Matte  # the matte that places it (region pixels)
    points: Mesh  # the face's mesh in region pixels

    def original_identity(self, face: SolvedFace, ctx: RunContext) -> Descriptor:
        """The descriptor of the plate's face: analysis's, else measured on the plate here."""
        if self.original is not None:
            return self.original
        return ctx.descriptor(to_uint8(self.plate), _in_region(face, self.box))

    def measure(self, finder: FaceFinder) -> tuple[float | None, PlateMatch]:
        """The seam (ΔE just inside the matte's edge; None: too few pixels there) and how the
        face sits in its plate, on the region as the output shows it."""
        shown = self.plate + self.matte[..., None] * (self.result - self.plate)
        seam = seam_difference(shown, self.plate, self.matte, seam_band(face_size(self.points)))
        return seam, measure_plate_match(shown, self.plate, self.matte, self.points, finder)


def _outside(matte: Matte) -> np.ndarray:
    """Where the matte is below 0.95, outside the face: holes (an open mouth) left out."""
    below = (matte < 0.95).astype(np.uint8)
    _, labels = cv2.connectedComponents(below, connectivity=4)  # 0: the matte's >= 0.95
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, border[border > 0])


def seam_band(size: float) -> int:
    """The seam band's width for a face of ``size``: 5% of it, at least 2 pixels."""
    return max(2, round(0.05 * size))


def seam_difference(result: RGBImage, plate: RGBImage, matte: Matte, band: int) -> float | None:
    """Mean CIE76 ΔE between result and plate over a band ``band`` pixels wide just inside
    the matte's outer edge (where the matte is at least 0.95; the edge of an open mouth's cut
    is not a seam): the colour step a seam shows. Measured on the matte's box grown by the
    band and a pixel (its edge all outside, so the outside found there is the whole
    image's): the same pixels, in the same order, at the cost of the face's box."""
    box = nonzero_box(matte > 0, band + 1)
    if box is None:
        return None
    result, plate, matte = result[box], plate[box], matte[box]
    outside = _outside(matte).astype(np.uint8)
    edge = cv2.dilate(outside, np.ones((2 * band + 1,) * 2, np.uint8))
    inside = np.logical_and(matte >= 0.95, edge)
    if inside.sum() < 16:
        return None
    delta = (to_lab(result[inside][:, None]) - to_lab(plate[inside][:, None]))[:, 0]
    return float(np.linalg.norm(delta.mean(axis=0)))


def _composite(frame: PlateFrame, box: Box, clean: RGBImage, swapped: RGBImage, matte: Matte,
               colourspace: str, ctx: RunContext) -> None:
    """Composite ``swapped`` (working space) over the plate's ``box`` (``clean``: its finite
    values) under ``matte``, in the plate's colourspace; converted and written over the
    matte's own box only (nothing changes where the matte is 0)."""
    inner_box = nonzero_box(matte > 0)
    if inner_box is None:
        return
    rows, cols = inner_box
    part, weight = clean[rows, cols], matte[rows, cols]
    converted = ctx.colour.convert(np.ascontiguousarray(swapped[rows, cols]), WORKING_SPACE,
                                   colourspace)
    inner = Box(box.x0 + cols.start, box.y0 + rows.start, box.x0 + cols.stop,
                box.y0 + rows.stop)
    frame.set_rgb_region(inner, part + weight[..., None] * (converted - part), weight > 0)


def swap_face(frame: PlateFrame, face: SolvedFace, source: SourceFace, colourspace: str,
              matte: Matte, swapper: FaceSwapper, ctx: RunContext) -> PlacedFace | None:
    """Swap ``face`` on ``frame`` (its pixels and ``matte`` updated in place); None when its
    region lies outside the data window."""
    points = np.asarray(face.landmarks)
    box = face_region(points, frame.data_box, SWAP_MARGIN)
    if box.empty:
        return None
    working = WORKING_SPACE
    clean = frame.rgb_region(box)  # a copy of its own: NaN and Inf made 0 in place
    clean[~np.isfinite(clean)] = 0.0
    # the grain's seed from the plate's own pixels, not the converted ones: the swap's input
    # may then come through OCIO's fast processor (its last bits could differ by machine)
    seed = frame_seed(clean)
    target = ctx.colour.convert(clean, colourspace, working, exact=False)
    local = _in_region(face, box)
    original = np.asarray(face.descriptor) if face.descriptor is not None else None
    skin = LabStats.from_list(face.skin) if face.skin else None
    rest = np.asarray(face.rest) if face.rest is not None else None
    result = swapper.adjusted(face.params).swap(target, local, source, skin, rest, seed)
    _composite(frame, box, clean, result.rgb, result.matte, colourspace, ctx)
    d = frame.data_box
    region = matte[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0]
    np.maximum(region, result.matte, out=region)
    return PlacedFace(box, result.mouth_open, float(result.matte.sum()), original, target,
                      result.rgb, result.matte, local)


def has_face_evidence(frame: PlateFrame, face: SolvedFace, colourspace: str, faces: FaceFinder,
                      ctx: RunContext) -> bool:
    """Whether the plate shows something face-like where an interpolated face would go:
    the detector, run on that region at a very low threshold, finds a face whose centre
    lies inside the interpolated face's box. Flash frames, cuts and occluders fail this."""
    points = np.asarray(face.landmarks)
    box = face_region(points, frame.data_box)
    if box.empty:
        return False
    region = to_uint8(ctx.colour.convert(np.nan_to_num(frame.rgb_region(box)), colourspace,
                                         WORKING_SPACE))
    x0, y0, x1, y1 = face.bbox
    for det in faces.detect(region, upsample=1, threshold=-1.0):
        cx = (det.box[0] + det.box[2]) / 2 + box.x0
        cy = (det.box[1] + det.box[3]) / 2 + box.y0
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return True
    return False


def output_identity(frame: PlateFrame, face: SolvedFace, colourspace: str,
                    ctx: RunContext) -> Descriptor:
    """The descriptor of the face as it stands on the output frame (read over
    :func:`face_region`, wider than the swap's own region)."""
    box = face_region(np.asarray(face.landmarks), frame.data_box)
    out8 = to_uint8(ctx.colour.convert(np.nan_to_num(frame.rgb_region(box)), colourspace,
                                       WORKING_SPACE))
    return ctx.descriptor(out8, _in_region(face, box))


def warm_up(swapper: FaceSwapper, sources: Iterable[SourceFace]) -> None:
    """Pay the swap's and its QC's one-off costs ahead of the first frame (in a thread of its
    own while the first plate frames are read): the skin statistics' (OpenCV's Lab tables, the
    skin triangles) and, for the reference swapper, the hair zone's triangles, the grain's
    calibration and each source's layers. What would fail here fails again where the swap
    meets it."""
    prepare_skin_statistics()
    if isinstance(swapper, ReferenceSwapper):
        hair_zone_triangles()
        clump_size(0.5)
        for source in sources:
            _ = source.layers
