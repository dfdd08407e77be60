"""Stage 1, analyse: faces (box, score, the 478-point mesh, pose, skin colour, optional
descriptor) on every plate frame, the cuts, and the faces lost.

Each face of the frame before is followed by the plate's optical flow (its head motion,
:mod:`faceplate.pipeline.analyse.flow`), and the mesh model refines its shape on the crop that
motion gives. The detector runs only to start faces (the first frame, after a cut, when a face
could not be followed or its flow check failed) and every ``detect_every`` frames to find
faces that came in, with or without faces followed. A frame on which no face is followed and
the detector does not run is read only in a few bands of rows, enough to tell a cut; when the
detector then finds a face, it looks back over those frames for where the face came in, and
they are analysed again from there.

The result is cached per shot in ``<cache>/analysis.json`` (schema
``faceplate.analysis/4``) and re-used while the plate files and settings are unchanged; a file
of another schema is rebuilt.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from functools import partial
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio

from faceplate.errors import PlateError, PlateMissingError, StageError
from faceplate.face.colour_match import LabStats
from faceplate.face.image8 import finite_to_uint8, to_uint8
from faceplate.face.mesh import bounding_box, head_pose
from faceplate.face.swapper import face_skin_statistics, prepare_skin_statistics
from faceplate.models.dlib_process import DescriptorProcess
from faceplate.models.protocols import FaceFinder
from faceplate.pipeline.analyse.flow import (
    Convert8,
    FaceMotion,
    PlateView,
    ProxyGeometry,
    Uncovered,
    band_thumb,
    band_view,
    cut_between,
    face_motion,
    flow_box,
    flow_reach,
    lazy_plate_view,
)
from faceplate.pipeline.analyse.identities import Identities, InOrder
from faceplate.pipeline.analyse.plate_proxy import (
    PartProxy,
    finite,
    proxy_of,
    proxy_scale,
    rgb_of,
    whole_rows,
)
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.motion import Similarity
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.stage_files.analysis import (
    AnalysisWriter,
    FaceObservation,
    FrameAnalysis,
    FrameStatus,
    LostFace,
    ShotAnalysis,
    stored_analysis,
)
from faceplate.pipeline.stage_files.paths import analysis_path, to_shot
from faceplate.plateio.frame import (
    Box,
    PlateFrame,
    band_starts,
    read_rgb_bands,
    read_rgb_frame,
    read_rgb_rows,
)
from faceplate.spec import ShotSpec
from faceplate.types import WORKING_SPACE, Image8, Mesh

#: Boxes overlapping more than this are one face (a detection and a followed face).
_SAME_FACE = 0.3
#: The longest side, in pixels, of a face's crop as the models see it.
_CROP_SIDE = 640
#: Bands of rows, each one zip EXR block high, that tell a cut on a frame read only in part.
_BANDS = 8
_BAND_ROWS = 16


@dataclass(frozen=True)
class AnalyseSettings:
    """Detection settings; part of the cache key."""

    detect_size: int = 1024
    upsample: int = 0
    threshold: float = -0.5
    descriptors: bool = True
    #: The detector runs at least every this many frames while faces are followed.
    detect_every: int = 8


def _fingerprint(spec: ShotSpec) -> list[list[int | None]]:
    out: list[list[int | None]] = []
    for f in spec.plate.frames:
        path = spec.plate.path.frame(f)
        try:
            st = path.stat()
            out.append([f, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([f, None, None])
    return out


def cache_key(spec: ShotSpec, settings: AnalyseSettings, ctx: RunContext,
              pre: Preflight) -> dict[str, Any]:
    """What the cached analysis depends on: plate files (named relative to the spec's folder,
    with their sizes and mtimes), colour, models and settings."""
    return {"plate": to_shot(spec, str(spec.plate.path)), "files": _fingerprint(spec),
            "colourspace": pre.plate_colourspace, "ocio": ctx.colour.choice.uri,
            "models": pre.shot_models().faces.id, "settings": asdict(settings)}


@dataclass(frozen=True)
class _Crop:
    """A region of the frame as the models see it: 8-bit working-space RGB, no larger than
    :data:`_CROP_SIDE` on its longer side (models read faces at 192 px, the descriptor at 150:
    converting more pixels through OCIO buys nothing). ``scale``: crop pixels per frame pixel;
    a frame position p is ``(p - origin + 0.5) * scale - 0.5`` here."""

    image: Image8
    region: Box
    scale: float

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        out = np.asarray(points, np.float64).copy()
        out[:, :2] = (out[:, :2] - (self.region.x0, self.region.y0) + 0.5) * self.scale - 0.5
        out[:, 2:] *= self.scale
        return out

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        out = np.asarray(points, np.float64).copy()
        out[:, :2] = (out[:, :2] + 0.5) / self.scale - 0.5 + (self.region.x0, self.region.y0)
        out[:, 2:] /= self.scale
        return out


#: A region of a frame converted ahead (8-bit working-space RGB, the frame's own size).
Converted = tuple[Box, Image8]


def _crop(frame: PlateFrame, region: Box, colourspace: str, ctx: RunContext,
          clean: bool, ready: tuple[Converted, ...] = ()) -> _Crop:
    """``region`` of the frame (inside its data window), made smaller when larger than
    :data:`_CROP_SIDE`, as 8-bit working-space RGB (cut from a region of ``ready`` that holds
    it when it is not made smaller: the same pixels)."""
    if region.intersect(frame.data_box) != region:
        raise Uncovered(f"rows {region.y0}-{region.y1} not read")
    scale = min(1.0, _CROP_SIDE / max(region.width, region.height))
    for box, image in ready if scale == 1.0 else ():
        if box.intersect(region) == region:
            rows = slice(region.y0 - box.y0, region.y1 - box.y0)
            cols = slice(region.x0 - box.x0, region.x1 - box.x0)
            return _Crop(np.ascontiguousarray(image[rows, cols]), region, 1.0)
    rgb = finite(rgb_of(frame, region), clean)
    if scale < 1.0:
        size = (max(1, round(region.width * scale)), max(1, round(region.height * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        scale = size[0] / region.width
    return _Crop(_converter(colourspace, ctx)(rgb), region, scale)


def _converter(colourspace: str, ctx: RunContext) -> Convert8:
    """The conversion of the plate's float RGB to 8-bit working-space RGB, what models see
    (OCIO's fast processor: within 1e-5 of the exact one, below an 8-bit step)."""
    def convert(rgb: np.ndarray) -> np.ndarray:
        out = ctx.colour.convert(rgb, colourspace, WORKING_SPACE, exact=False)  # a copy
        if not np.isfinite(out.sum()):  # NaN, Inf (or a sum too large): the general rule
            return to_uint8(out)
        return finite_to_uint8(out)
    return convert


def detector_image(proxy: np.ndarray, side: int | None, to_working: Convert8) -> Image8:
    """What the detector reads of the proxy (the plate's colourspace): the proxy made as small
    as the detector reads it (its short side ``side``; None: the whole proxy), in the plate's
    colourspace first, then converted (only the pixels the detector reads)."""
    height, width = proxy.shape[:2]
    if side is not None and min(height, width) > side:
        factor = side / min(height, width)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        proxy = cv2.resize(proxy, size, interpolation=cv2.INTER_AREA)
    return to_working(proxy)


def _around(box: tuple[float, float, float, float], pad: float, data: Box) -> Box:
    """``box`` (display pixels) grown by ``pad`` of its size on each side, inside ``data``."""
    x0, y0, x1, y1 = box
    px, py = pad * (x1 - x0), pad * (y1 - y0)
    return Box(int(np.floor(x0 - px)), int(np.floor(y0 - py)), int(np.ceil(x1 + px)),
               int(np.ceil(y1 + py))).intersect(data)


def _skin(image: Image8, mesh: Mesh) -> LabStats | None:
    """:func:`face_skin_statistics` of the face whose mesh (pixels of ``image``) is ``mesh``,
    measured on the mesh's box only (the same values: its skin lies inside; the mesh is moved
    by whole pixels, exactly)."""
    h, w = image.shape[:2]
    points = np.array(mesh, np.float64)
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    left, top = min(w, max(0, int(np.floor(x0)) - 2)), min(h, max(0, int(np.floor(y0)) - 2))
    right, bottom = min(w, max(left, int(np.ceil(x1)) + 3)), min(h, max(top, int(np.ceil(y1)) + 3))
    points[:, 0] -= left
    points[:, 1] -= top
    return face_skin_statistics(image[top:bottom, left:right].astype(np.float32) / 255.0, points)


def _observe(mesh: Mesh, crop: _Crop, score: float, descriptor: list[float] | None,
             ctx: RunContext, **extra: object) -> FaceObservation:
    """What analysis records of a face whose mesh (crop pixels) was found on ``crop``."""
    skin = _skin(crop.image, mesh)
    pose = head_pose(mesh)
    points = crop.to_frame(mesh)
    return FaceObservation(
        bbox=[round(v, 3) for v in bounding_box(points)], score=round(score, 4),
        landmarks=points.round(2), descriptor=descriptor,
        pose=[round(pose.yaw, 2), round(pose.pitch, 2), round(pose.roll, 2)],
        skin=[round(v, 4) for v in skin.as_list()] if skin else None, **extra)  # type: ignore[arg-type]


def _overlap(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def _lost_reason(face: FaceObservation, data: Box, finder: FaceFinder) -> str:
    x0, y0, x1, y1 = face.bbox
    inside = Box(int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))).intersect(data)
    area = max((x1 - x0) * (y1 - y0), 1.0)
    if inside.empty or inside.width * inside.height < 0.5 * area:
        return "not detected: the face left the frame"
    if not finder.tracks:
        return ("not detected, and the landmarker cannot follow a face the detector loses "
                f"({finder.id})")
    return ("not detected, and the face mesh no longer fits the face followed from the frame "
            "before (turned away, covered, blurred or out of frame)")


@dataclass(frozen=True)
class Previous:
    """What following needs of the frame before: its faces, its plate as flow sees it, and
    how many frames ago the detector last ran."""

    faces: list[FaceObservation]
    view: PlateView | None = None
    since_detection: int = 0


def _follow(before: FaceObservation, motion: FaceMotion | None, frame: PlateFrame, data: Box,
            colourspace: str, ctx: RunContext, clean: bool, finder: FaceFinder,
            ready: tuple[Converted, ...] = ()) -> tuple[Mesh, _Crop] | None:
    """The mesh of a face of the frame before on this frame: its previous mesh moved by the
    plate's measured motion (unmoved when none was measured), then refined by the mesh model on
    the crop it gives; None when the model cannot follow or sees no face there."""
    if not finder.tracks:
        return None
    predicted = np.asarray(before.landmarks, np.float64)
    if motion is not None and motion.motion is not None:
        predicted = motion.motion.apply(predicted)
    region = _around(bounding_box(predicted), 0.5, data)
    if region.empty:
        return None
    near = _crop(frame, region, colourspace, ctx, clean, ready)
    followed = finder.track(near.image, near.to_crop(predicted))
    return None if followed is None else (followed, near)


@dataclass(frozen=True)
class BandRead:
    """A plate frame read only in :data:`_BANDS` bands of rows (float RGB in the plate's
    colourspace, finite values, stacked), for a frame on which nothing is followed and the
    detector does not run; ``nonfinite`` counts the NaN and Inf values of those rows only."""

    data: Box
    rows: np.ndarray
    nonfinite: int


@dataclass(frozen=True)
class PlateRead:
    """A plate frame read for analysis (RGB only, as float), its count of NaN and Inf values,
    and its proxy (at most ``detect_size`` on its longer side, the plate's colourspace, finite
    values) that flow and the detector are made from."""

    frame: PlateFrame
    nonfinite: int
    #: An array where read whole; where read in part, made where flow reads it.
    proxy: np.ndarray | PartProxy
    #: Made ahead by :func:`prepare_plate` (None, empty: made when the frame is analysed).
    seen: Image8 | None = None
    view: PlateView | None = None
    ready: tuple[Converted, ...] = ()
    #: A frame read only in part (:func:`read_rows`): its whole data window (``frame`` holds
    #: some of its rows; ``proxy`` says which proxy rows they make) and its bands of rows (the
    #: cut is told by them); None where it was read whole.
    whole: Box | None = None
    bands: BandRead | None = None
    #: Where read in part: the frame read again, whole.
    again: Callable[[], PlateRead | BandRead | FrameAnalysis] | None = None

    @property
    def data(self) -> Box:
        """The frame's data window."""
        return self.whole if self.whole is not None else self.frame.data_box


def read_plate(spec: ShotSpec, frame_number: int, settings: AnalyseSettings,
               pre: Preflight, *, in_full: bool = True) -> PlateRead | BandRead | FrameAnalysis:
    """Read frame ``frame_number`` for analysis and make its proxy (no model, no colour: safe
    in a reader thread while the frame before is analysed), or read only its bands of rows
    (not ``in_full``); a frame that cannot be read is its analysis, missing or unreadable."""
    try:
        if not in_full:
            rows, header = read_rgb_bands(spec.plate.path.frame(frame_number), frame_number,
                                          _BANDS, _BAND_ROWS, pre.frame_limits)
            bad = int(rows.size - np.count_nonzero(np.isfinite(rows)))
            x0, y0 = header.x - header.full_x, header.y - header.full_y
            return BandRead(Box(x0, y0, x0 + header.width, y0 + header.height),
                            finite(rows, bad == 0), bad)
        # RGB only, half kept half: widened where analysis looks at it
        frame = read_rgb_frame(spec.plate.path.frame(frame_number), frame_number,
                               pre.frame_limits, half=True)
    except PlateError as exc:
        status: FrameStatus = "missing" if isinstance(exc, PlateMissingError) else "unreadable"
        return FrameAnalysis(frame_number, status, reason=str(exc))
    nonfinite = frame.nonfinite_count()
    scale = proxy_scale(frame.data_box, settings.detect_size)
    return PlateRead(frame, nonfinite, proxy_of(frame, scale, nonfinite == 0))


#: A followed frame is read in part only where that leaves out more than this share of its
#: rows (else whole: the cut is then told by the whole picture).
_PART_MOST = 0.9


def _part_rows(data: Box, scale: Fraction, wanted: tuple[float, float]) -> tuple[int, int] | None:
    """The data-window rows (y0, y1 from its top) a frame read in part is read in: ``wanted``
    (display rows) grown to whole proxy rows and to hold every band of rows it crosses whole;
    None where that is most of the frame or the proxy is made only whole."""
    step = whole_rows(data, scale)
    if step is None:
        return None
    bands = band_starts(data.height, _BANDS, _BAND_ROWS)
    y0 = max(0, int(np.floor(wanted[0])) - data.y0)
    y1 = min(data.height, int(np.ceil(wanted[1])) - data.y0)
    while True:
        top, bottom = y0 // step * step, min(data.height, -(-y1 // step) * step)
        for b in bands:  # a band the rows cross is read whole with them
            if b < top < b + _BAND_ROWS:
                top = b
            if b < bottom < b + _BAND_ROWS:
                bottom = b + _BAND_ROWS
        if (top, bottom) == (y0, y1):
            break
        y0, y1 = top, min(data.height, bottom)
    return (y0, y1) if y1 - y0 <= _PART_MOST * data.height else None


#: A followed face's rows are read allowing for the head to move, each frame, twice its
#: last measured move plus this many display pixels (and this many again, once).
_MOVE_SLACK = 2.0


def rows_wanted(faces: list[FaceObservation], geometry: ProxyGeometry,
                gap: int) -> tuple[float, float]:
    """The display rows (y0, y1) following ``faces`` (of a frame ``gap`` frames before) will
    read of a frame: each face's crop and the flow's reach around its outline, on this frame
    and the next, with room for its head to move."""
    top, bottom = np.inf, -np.inf
    reach = flow_reach(geometry)
    for face in faces:
        mesh = np.asarray(face.landmarks, np.float64)
        move = 0.0
        if face.motion is not None:
            move = float(np.abs(Similarity(*face.motion).apply(mesh[:, :2])[:, 1]
                                - mesh[:, 1]).max())
        room = gap * (2.0 * move + _MOVE_SLACK) + _MOVE_SLACK
        y0, y1 = float(mesh[:468, 1].min()), float(mesh[:468, 1].max())
        _, y0b, _, y1b = bounding_box(mesh)
        pad = 0.5 * (y1b - y0b)  # the crop's, as _follow makes it
        top = min(top, y0 - reach - room, y0b - pad - room - 1.0)
        bottom = max(bottom, y1 + reach + room, y1b + pad + room + 1.0)
    return top, bottom


def read_rows(spec: ShotSpec, frame_number: int, settings: AnalyseSettings, pre: Preflight,
              wanted: tuple[float, float]) -> PlateRead | FrameAnalysis:
    """Frame ``frame_number`` read only in the rows ``wanted`` (display rows, as
    :func:`_part_rows` grows them) and its bands of rows outside them, for a frame whose
    faces are followed (safe in a reader thread, as :func:`read_plate`); read whole where
    that reads most of it."""
    plan: list[tuple[int, int] | None] = []

    def spans(header: oiio.ImageSpec) -> list[tuple[int, int]]:
        x0, y0 = header.x - header.full_x, header.y - header.full_y
        data = Box(x0, y0, x0 + header.width, y0 + header.height)
        rows = _part_rows(data, proxy_scale(data, settings.detect_size), wanted)
        plan.append(rows)
        if rows is None:
            return [(0, data.height)]
        outside = [(b, min(data.height, b + _BAND_ROWS))
                   for b in band_starts(data.height, _BANDS, _BAND_ROWS)
                   if not rows[0] <= b < rows[1]]
        return [rows, *outside]

    try:
        frames, header = read_rgb_rows(spec.plate.path.frame(frame_number), frame_number,
                                       spans, pre.frame_limits)
    except PlateError as exc:
        status: FrameStatus = "missing" if isinstance(exc, PlateMissingError) else "unreadable"
        return FrameAnalysis(frame_number, status, reason=str(exc))
    main, rows = frames[0], plan[0]
    nonfinite = sum(f.nonfinite_count() for f in frames)
    if rows is None:  # read whole
        scale = proxy_scale(main.data_box, settings.detect_size)
        return PlateRead(main, nonfinite, proxy_of(main, scale, nonfinite == 0))
    x0, y0 = header.x - header.full_x, header.y - header.full_y
    whole = Box(x0, y0, x0 + header.width, y0 + header.height)
    scale = proxy_scale(whole, settings.detect_size)
    proxy = PartProxy(main, whole, scale, (int(rows[0] * scale), int(rows[1] * scale)))
    by_start = {f.data_box.y0 - whole.y0: f for f in frames}
    band_rows = np.concatenate([rgb_of(by_start.get(b, main),
                                       Box(whole.x0, whole.y0 + b, whole.x1,
                                           whole.y0 + min(whole.height, b + _BAND_ROWS)))
                                for b in band_starts(whole.height, _BANDS, _BAND_ROWS)])
    bad = int(band_rows.size - np.count_nonzero(np.isfinite(band_rows)))
    bands = BandRead(whole, finite(band_rows, bad == 0), bad)
    return PlateRead(main, nonfinite, proxy, whole=whole, bands=bands,
                     again=partial(read_plate, spec, frame_number, settings, pre))


def _vertices(motion: FaceMotion | None) -> np.ndarray | None:
    """Each mesh vertex's own measured motion as analysis stores it, to 0.001 px ((points, 2),
    NaN where its check failed: the values the file gives back)."""
    if motion is None or motion.vertices is None:
        return None
    moves = np.asarray(motion.vertices, np.float64)
    measured = ~np.isnan(moves).any(axis=1)
    rows = np.full(moves.shape, np.nan)  # Python's rounding, the file's (NumPy's may differ)
    rows[measured] = np.array([[round(x, 3), round(y, 3)] for x, y in moves[measured].tolist()],
                              np.float64).reshape(-1, 2)
    return rows


def _views(plate: PlateRead, side: int | None,
           to_working: Convert8) -> tuple[Image8 | None, PlateView]:
    """The detector's picture of a frame read whole and its view for flow (the grey converted
    on demand); a frame read in part has no detector picture, and its view only the rows
    read and its bands."""
    proxy, data = plate.proxy, plate.data
    geometry = ProxyGeometry(data.x0, data.y0, proxy.shape[1] / data.width)
    bands = band_thumb((plate.bands or _bands_of(plate)).rows,
                       len(band_starts(data.height, _BANDS, _BAND_ROWS)), to_working)
    if isinstance(proxy, PartProxy):  # read in part: no detector picture, some rows
        seen, rows_made = None, proxy.made
    else:
        seen, rows_made = detector_image(proxy, side, to_working), None
    view = lazy_plate_view(proxy, geometry, to_working, seen, bands, rows_made)
    again = plate.again
    if again is not None:
        made: list[np.ndarray | None] = []  # read again once, whichever frame asks

        def whole_thumb() -> np.ndarray | None:
            if not made:
                whole = again()
                made.append(_views(whole, side, to_working)[1].thumb
                            if isinstance(whole, PlateRead) else None)
            return made[0]
        view.whole_thumb = whole_thumb
    return seen, view


#: Frames read and prepared ahead of the one analysed, each in a reader thread of its own.
#: Two were measured on 2 cores: no faster (both cores are busy with one), and a frame more
#: in memory.
_READ_AHEAD = 1

#: What the reader converts ahead around a face of the frame before last, beyond what the
#: frame after it needs (the head's move over two frames): proxy pixels for flow, and a share
#: of the face's size for its crop.
_AHEAD_FLOW = 16.0
_AHEAD_CROP = 0.6


def prepare_plate(plate: PlateRead | BandRead | FrameAnalysis, side: int | None,
                  to_working: Convert8, faces: list[np.ndarray]
                  ) -> PlateRead | BandRead | FrameAnalysis:
    """``plate`` with its detector picture and flow view made, and what following ``faces``
    (meshes of the frame before last, display pixels) will convert of it converted ahead:
    the grey flow reads and the crops around them (per pixel the same values as converted when
    needed; no model: safe in the reader thread)."""
    if not isinstance(plate, PlateRead):
        return plate
    seen, view = _views(plate, side, to_working)
    data, clean = plate.data, plate.nonfinite == 0
    ready = []
    for mesh in faces:
        x0, y0, x1, y1 = flow_box(view.geometry, mesh, _AHEAD_FLOW)
        if view.rows is not None:  # read in part: what of it was read
            y0, y1 = max(y0, view.rows[0]), min(y1, view.rows[1])
        if y0 < y1:
            view.grey((x0, y0, x1, y1))
        face = bounding_box(np.asarray(mesh))
        box = _around(face, _AHEAD_CROP, data)
        if (not box.empty and box.intersect(plate.frame.data_box) == box
                and max(face[2] - face[0], face[3] - face[1]) * 2 <= _CROP_SIDE):
            # the crop it is followed on will be read at the frame's own size
            ready.append((box, to_working(finite(rgb_of(plate.frame, box), clean))))
    return replace(plate, seen=seen, view=view, ready=tuple(ready))


def _bands_of(plate: PlateRead) -> BandRead:
    """The :class:`BandRead` of a frame read whole (the same rows and count)."""
    frame = plate.frame
    data = frame.data_box
    rows = np.concatenate([rgb_of(frame, Box(data.x0, data.y0 + s, data.x1,
                                             min(data.y1, data.y0 + s + _BAND_ROWS)))
                           for s in band_starts(data.height, _BANDS, _BAND_ROWS)])
    bad = int(rows.size - np.count_nonzero(np.isfinite(rows)))
    return BandRead(data, finite(rows, bad == 0), bad)


def _quiet(previous: Previous, finder: FaceFinder, settings: AnalyseSettings) -> bool:
    """Whether nothing is followed onto this frame and the detector is not due on it (unless
    the frame is a cut): it needs no more of the plate than its bands of rows."""
    return (finder.tracks and not previous.faces and previous.view is not None
            and previous.since_detection + 1 < settings.detect_every)


def _band_frame(frame_number: int, plate: BandRead, previous: Previous,
                to_working: Convert8) -> tuple[FrameAnalysis, PlateView] | None:
    """The analysis of a quiet frame read in bands: no face, the cut told by its bands (None
    at a cut: the detector runs there, on the frame read whole)."""
    starts = len(band_starts(plate.data.height, _BANDS, _BAND_ROWS))
    view = band_view(band_thumb(plate.rows, starts, to_working),
                     ProxyGeometry(plate.data.x0, plate.data.y0, 1.0))
    if previous.view is not None and cut_between(previous.view, view):
        return None
    return FrameAnalysis(frame_number, "ok", nonfinite_pixels=plate.nonfinite,
                         detector=False), view


def analyse_frame(spec: ShotSpec, frame_number: int, settings: AnalyseSettings,
                  ctx: RunContext, pre: Preflight, previous: Previous | None = None,
                  plate: PlateRead | BandRead | FrameAnalysis | None = None,
                  identities: Identities | None = None
                  ) -> tuple[FrameAnalysis, PlateView | None]:
    """Follow each face of ``previous`` (the frame before) by the plate's optical flow and
    refine its mesh on the crop that motion gives; run the detector to start faces (first
    frame, after a cut, after a face could not be followed, every ``detect_every`` frames);
    record the faces that cannot be followed as lost, with the reason. Also returns the frame's
    plate as flow sees it (for the next frame). ``plate``: the frame as :func:`read_plate`
    gave it (None: read here). ``identities`` measures the faces' descriptors (None: at once,
    unless the settings turn them off)."""
    previous = previous or Previous([])
    identities = identities or Identities(ctx.face_pack, measured=settings.descriptors)
    colourspace = pre.plate_space()
    finder = pre.shot_models().faces
    to_working = _converter(colourspace, ctx)
    quiet = _quiet(previous, finder, settings)
    if plate is None:
        plate = read_plate(spec, frame_number, settings, pre, in_full=not quiet)
    if quiet and not isinstance(plate, FrameAnalysis):
        # a quiet frame is analysed from its bands however it was read (the same analysis
        # whichever frames the reader guessed quiet)
        banded = _band_frame(frame_number, plate if isinstance(plate, BandRead)
                             else plate.bands or _bands_of(plate), previous, to_working)
        if banded is not None:
            return banded
    if isinstance(plate, BandRead):
        plate = read_plate(spec, frame_number, settings, pre)  # a cut, or more is needed
    if isinstance(plate, PlateRead) and plate.whole is not None:
        try:
            return _analyse_read(frame_number, plate, settings, ctx, pre, previous, identities,
                                 part=True)
        except Uncovered:  # a cut, a face found, lost or moved past what was read
            plate = read_plate(spec, frame_number, settings, pre)
    if isinstance(plate, FrameAnalysis):
        return plate, None
    assert isinstance(plate, PlateRead)  # read in full
    return _analyse_read(frame_number, plate, settings, ctx, pre, previous, identities)


def _analyse_read(frame_number: int, plate: PlateRead, settings: AnalyseSettings,
                  ctx: RunContext, pre: Preflight, previous: Previous, identities: Identities,
                  *, part: bool = False) -> tuple[FrameAnalysis, PlateView]:
    """:func:`analyse_frame` of a frame read (whole, or ``part``: only the rows its faces
    need, followed, the cut told by its bands).

    Raises:
        Uncovered: ``part``, and more of the frame is needed: the detector due (a cut, a face
            not followed, unsure, new), a face's pixels or its flow's (on this frame or the
            next) not read.
    """
    colourspace = pre.plate_space()
    finder = pre.shot_models().faces
    to_working = _converter(colourspace, ctx)
    frame, nonfinite = plate.frame, plate.nonfinite
    data = plate.data
    clean = nonfinite == 0
    seen, view = ((plate.seen, plate.view) if plate.view is not None
                  else _views(plate, finder.detector_side, to_working))
    cut = previous.view is not None and cut_between(previous.view, view)
    faces: list[FaceObservation] = []
    followed: list[tuple[FaceObservation, Mesh, _Crop]] = []  # described if the detector runs
    unfollowed: dict[int, str] = {}
    for index, before in enumerate(previous.faces):
        if cut:
            unfollowed[index] = ("a cut: the picture changed at once from the frame before, "
                                 "so the face was not followed across it")
            continue
        motion = (face_motion(previous.view, view, np.asarray(before.landmarks))
                  if previous.view is not None and finder.tracks else None)
        found = _follow(before, motion, frame, data, colourspace, ctx, clean, finder,
                        plate.ready)
        if found is None:
            unfollowed[index] = _lost_reason(before, data, finder)
            continue
        moved = motion.motion if motion is not None else None
        tracked = _observe(found[0], found[1], before.score, None, ctx, origin="tracked",
                           tracked_from=index, motion=moved.as_list() if moved else None,
                           unsure=motion.reason if motion is not None else None,
                           vertices=_vertices(motion))
        if any(_overlap(tracked.bbox, f.bbox) > _SAME_FACE for f in faces):
            unfollowed[index] = "followed onto another face of this frame"
            continue
        faces.append(tracked)
        followed.append((tracked, *found))
    unsure = any(f.unsure for f in faces)
    detect = (not finder.tracks or cut or (not faces and previous.view is None)
              or bool(unfollowed) or unsure
              or previous.since_detection + 1 >= settings.detect_every)
    if part and (detect or not all(view.covers(flow_box(view.geometry, np.asarray(f.landmarks)))
                                   for f in faces)):
        raise Uncovered("the detector is due, or the next frame's flow reads rows not read")
    if detect:  # a keyframe: every face's identity is measured (the solve links by it)
        for kept, kept_mesh, near in followed:
            identities.measure(kept, near.image, kept_mesh)
        assert seen is not None  # read whole
        to_display = data.width / seen.shape[1]
        for det in finder.detect(seen, upsample=settings.upsample, threshold=settings.threshold):
            found_det = det.moved(to_display, data.x0, data.y0)  # display-window pixels
            region = _around(found_det.box, 0.6, data)
            same = [f for f in faces if _overlap(list(found_det.box), f.bbox) > _SAME_FACE]
            if same:  # a followed face, confirmed: it carries this detection's score on
                same[0].score = max(same[0].score, round(det.score, 4))
                continue
            if region.empty:
                continue
            crop = _crop(frame, region, colourspace, ctx, clean, plate.ready)
            shift = (0.5 - np.array([region.x0, region.y0])) * crop.scale - 0.5
            mesh = finder.landmarks(crop.image, found_det.moved(crop.scale, *shift))
            if mesh is None:
                continue
            face = _observe(mesh, crop, det.score, None, ctx)
            if any(_overlap(face.bbox, f.bbox) > _SAME_FACE for f in faces):
                continue
            identities.measure(face, crop.image, mesh)
            faces.append(face)
    lost = [LostFace(index, previous.faces[index].bbox, reason)
            for index, reason in sorted(unfollowed.items())
            if not any(_overlap(previous.faces[index].bbox, f.bbox) > _SAME_FACE
                       and f.tracked_from is None for f in faces) or cut]
    return FrameAnalysis(frame_number, "ok", faces=faces, lost=lost, nonfinite_pixels=nonfinite,
                         cut=cut, detector=detect), view


def _entered_at(spec: ShotSpec, quiet: list[int], settings: AnalyseSettings, ctx: RunContext,
                pre: Preflight) -> int | None:
    """The earliest of the ``quiet`` frames (consecutive, faceless, the detector not run on
    them) from which the detector finds a face on each up to the last, looking back from the
    last (None: not on the last)."""
    earliest = None
    for number in reversed(quiet):
        found, _ = analyse_frame(spec, number, settings, ctx, pre, Previous([]),
                                 identities=Identities(ctx.face_pack, measured=False))
        if not found.faces:
            break
        earliest = number
    return earliest


def _due_on_last(previous: Previous, last: bool, settings: AnalyseSettings) -> Previous:
    """``previous``, with the detector due on the shot's last frame when no face is followed
    onto it: a face that came in after the detector last ran is found there and looked for
    back to where it came in, so no face is left unfound at the end of a shot."""
    if not last or previous.faces:
        return previous
    return replace(previous, since_detection=max(previous.since_detection,
                                                 settings.detect_every - 1))


def _analyse_again(spec: ShotSpec, numbers: list[int], before: PlateView | None,
                   settings: AnalyseSettings, ctx: RunContext, pre: Preflight,
                   identities: Identities) -> tuple[list[FrameAnalysis], Previous]:
    """``numbers`` analysed again, each read whole, the detector run on the first (a face came
    in there): their analyses and what following needs of the last. ``before``: the view of
    the frame before the first."""
    previous = Previous([], before, settings.detect_every - 1)
    again: list[FrameAnalysis] = []
    for number in numbers:
        start = time.perf_counter()
        result, view = analyse_frame(spec, number, settings, ctx, pre, previous,
                                     read_plate(spec, number, settings, pre), identities)
        result.seconds = round(time.perf_counter() - start, 3)
        again.append(result)
        previous = Previous(result.faces, view,
                            0 if result.detector else previous.since_detection + 1)
    return again, previous


def _descriptor_process(settings: AnalyseSettings, ctx: RunContext) -> DescriptorProcess | None:
    """The run's helper process for dlib's descriptor (``ctx.descriptors``), where descriptors
    are measured and the pack's recognizer is dlib's."""
    return ctx.dlib_helper if settings.descriptors else None


def analyse(spec: ShotSpec, ctx: RunContext, pre: Preflight,
            settings: AnalyseSettings = AnalyseSettings(), *, reuse: bool = True) -> ShotAnalysis:
    """Analyse every frame of the shot, or re-use the cached analysis if still valid.

    Raises:
        RunStopped: ``ctx.stop`` was set (a signal): raised after the frame in flight; no
            analysis is stored.
    """
    key = cache_key(spec, settings, ctx, pre)
    if reuse:
        try:
            stored = stored_analysis(spec, key)
        except StageError as exc:  # another schema or damaged: rebuilt, never misread
            ctx.log.info("analysis: rebuilding (%s)", exc)
            stored = None
        if stored is not None:
            ctx.log.info("analysis: re-using %s", analysis_path(spec))
            return stored
    numbers = list(spec.plate.frames)
    total = len(numbers)
    previous = Previous([])
    finder = pre.shot_models().faces
    to_working = _converter(pre.plate_space(), ctx)

    def read_ahead(number: int, previous: Previous, gap: int
                   ) -> PlateRead | BandRead | FrameAnalysis:
        """Frame ``number`` read (in the rows its faces likely need while they are followed,
        in bands when it is likely quiet) and prepared, ``previous`` being the analysis of the
        frame ``gap`` frames before it (the frames between are being analysed or read)."""
        due = ((previous.since_detection + gap) % settings.detect_every == 0
               or number == numbers[-1])
        plate: PlateRead | BandRead | FrameAnalysis
        if finder.tracks and previous.faces and previous.view is not None and not due:
            plate = read_rows(spec, number, settings, pre,
                              rows_wanted(previous.faces, previous.view.geometry, gap))
        else:
            quiet = finder.tracks and not previous.faces and previous.view is not None
            plate = read_plate(spec, number, settings, pre, in_full=not quiet or due)
        return prepare_plate(plate, finder.detector_side, to_working,
                             [np.asarray(f.landmarks) for f in previous.faces])

    # quiet frames (faceless, the detector not run) since the detector last ran, held until it
    # runs again (analysed again if it then finds a face that came in), with their views cut
    # to their bands, and the view of the frame before the first
    quiet: list[tuple[FrameAnalysis, PlateView]] = []
    before_quiet: PlateView | None = None
    # the next frame is read (OpenImageIO, OpenCV and OCIO release the GIL) and prepared
    # while one is analysed; in bands only while no face is followed and the detector is not
    # due (read again whole where more is needed: a face found on the frame before, a cut); each
    # frame is spooled to the file once it is final (a long shot's meshes are never held)
    with (ThreadPoolExecutor(max_workers=_READ_AHEAD, thread_name_prefix="analyse-read")
          as reader, AnalysisWriter(spec, key) as written):
        identities = Identities(ctx.face_pack, measured=settings.descriptors,
                                process=_descriptor_process(settings, ctx))
        out = InOrder(identities, written.add)  # each frame written once its identity is back
        ahead = deque(reader.submit(read_ahead, number, previous, k + 1)
                      for k, number in enumerate(numbers[:_READ_AHEAD]))
        prepare_skin_statistics()  # while the first frame is read, not on its first face
        for i, f in enumerate(numbers):
            start = time.perf_counter()
            plate = ahead.popleft().result()
            if i + _READ_AHEAD < total:
                ahead.append(reader.submit(read_ahead, numbers[i + _READ_AHEAD], previous,
                                           _READ_AHEAD + 1))
            result, view = analyse_frame(spec, f, settings, ctx, pre,
                                         _due_on_last(previous, i + 1 == total, settings), plate,
                                         identities)
            del plate
            result.seconds = round(time.perf_counter() - start, 3)
            entered = (_entered_at(spec, [q.frame for q, _ in quiet], settings, ctx, pre)
                       if quiet and result.faces and not previous.faces and not result.cut
                       else None)
            if entered is not None:  # the face came in while the detector was not looking
                kept = [q for q in quiet if q[0].frame < entered]
                again, previous = _analyse_again(
                    spec, [q.frame for q, _ in quiet if q.frame >= entered] + [f],
                    kept[-1][1] if kept else before_quiet, settings, ctx, pre, identities)
                for q, _ in kept:
                    out.add(q)
                for done in again:
                    out.add(done)
                quiet, before_quiet = [], None
            elif (result.status == "ok" and not result.faces and not result.detector
                  and view is not None):
                if not quiet:
                    before_quiet = previous.view
                quiet.append((result, band_view(view.bands, view.geometry)
                              if view.bands is not None else view))
                previous = Previous([], view, previous.since_detection + 1)
            else:
                for q, _ in quiet:
                    out.add(q)
                out.add(result)
                quiet, before_quiet = [], None
                previous = Previous(result.faces, view,
                                    0 if result.detector else previous.since_detection + 1)
            ctx.progress(Progress("analyse", i + 1, total, f))
            if i + 1 < total:
                ctx.stop.check(f"analysing frame {f}; no frame rendered")
        for q, _ in quiet:
            out.add(q)
        out.flush()
        return written.finish()
