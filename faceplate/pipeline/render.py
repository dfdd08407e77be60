"""Stage 3, render: swap the solved faces on any set of frames and write frames, mattes
and one QC record per frame (``<qc>/frames/<frame>.json``).

Render reads only the spec, the plate and ``tracks.json``; chunks may run in any
order, in any process. Pixels outside the matte keep the plate's exact values.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Literal

import numpy as np

from faceplate.context import Progress, RunContext
from faceplate.errors import PlateError
from faceplate.face.colour_match import LabStats
from faceplate.face.image8 import to_uint8
from faceplate.face.models import identity_distance
from faceplate.face.swapper import SourceFace
from faceplate.pipeline.analyse import plate_colourspace
from faceplate.pipeline.jsonfile import write_json
from faceplate.pipeline.provenance import description, shot_provenance
from faceplate.pipeline.solve import SolvedFace, SolvedSwap
from faceplate.pipeline.spec import ShotSpec
from faceplate.plateio.frame import Box, PlateFrame, read_frame
from faceplate.plateio.write import write_image, write_matte
from faceplate.types import Matte

FRAME_SCHEMA = "faceplate.qcframe/1"
RenderStatus = Literal["swapped", "passthrough", "missing", "unreadable"]
_REGION_MARGIN = 0.45


@dataclass
class FaceRecord:
    """One replaced face on one frame, as QC reports it (display-window pixels)."""

    swap: int
    source: str
    track: int
    bbox: list[float]
    landmarks: list[list[float]]
    score: float
    identity_distance_to_source: float
    mouth_open: bool
    pose: list[float] | None = None
    origin: str = "detected"


@dataclass
class FrameRecord:
    """What rendering did to one frame, and what a supervisor should look at."""

    frame: int
    status: RenderStatus
    output: str | None = None
    matte: str | None = None
    faces: list[FaceRecord] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    nonfinite_pixels: int = 0
    seconds: float = 0.0

    def flag(self, name: str, reason: str) -> None:
        if name not in self.flags:
            self.flags.append(name)
        self.reasons[name] = reason


@dataclass
class RenderResult:
    """Frames written and frames that could not be, with their records."""

    records: list[FrameRecord]

    @property
    def failed(self) -> list[int]:
        return [r.frame for r in self.records if r.status in ("missing", "unreadable")]


def face_region(landmarks: np.ndarray, data: Box) -> Box:
    """The region a face's swap works in: its landmarks' box plus margin, inside the data."""
    x0, y0 = landmarks.min(axis=0)
    x1, y1 = landmarks.max(axis=0)
    pad = _REGION_MARGIN * max(x1 - x0, y1 - y0)
    return Box(int(np.floor(x0 - pad)), int(np.floor(y0 - pad)),
               int(np.ceil(x1 + pad)), int(np.ceil(y1 + pad))).intersect(data)


def _swap_face(frame: PlateFrame, face: SolvedFace, source: SourceFace, colourspace: str,
               matte: Matte, ctx: RunContext) -> tuple[Box, bool] | None:
    points = np.asarray(face.landmarks)
    box = face_region(points, frame.data_box)
    if box.empty:
        return None
    working = ctx.models.working_colorspace
    plate_rgb = frame.rgb_region(box)
    finite = np.isfinite(plate_rgb)
    clean = np.where(finite, plate_rgb, 0.0).astype(np.float32)
    target = ctx.colour.convert(clean, colourspace, working)
    skin = LabStats.from_list(face.skin) if face.skin else None
    result = ctx.swapper.swap(target, points - (box.x0, box.y0), source, skin)
    swapped = ctx.colour.convert(result.rgb, working, colourspace)
    weight = result.matte[..., None]
    composite = clean + weight * (swapped - clean)
    frame.set_rgb_region(box, composite, result.matte > 0)
    d = frame.data_box
    region = matte[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0]
    np.maximum(region, result.matte, out=region)
    return box, result.mouth_open


def _identity(frame: PlateFrame, box: Box, face: SolvedFace, source: SourceFace,
              colourspace: str, ctx: RunContext) -> float:
    out8 = to_uint8(ctx.colour.convert(np.nan_to_num(frame.rgb_region(box)), colourspace,
                                       ctx.models.working_colorspace))
    points = np.asarray(face.landmarks) - (box.x0, box.y0)
    return identity_distance(ctx.models.descriptor(out8, points), source.descriptor)


def render_frame(spec: ShotSpec, frame_number: int, solved: list[SolvedSwap],
                 sources: dict[str, SourceFace], provenance: dict[str, str | int],
                 ctx: RunContext) -> FrameRecord:
    """Swap, write and record one frame. A missing or unreadable plate frame is recorded,
    not raised, so the rest of the shot carries on."""
    start = time.perf_counter()
    plate_path = spec.plate.path.frame(frame_number)
    try:
        frame = read_frame(plate_path, frame_number)
    except PlateError as exc:
        status: RenderStatus = "missing" if "missing" in exc.message else "unreadable"
        record = FrameRecord(frame_number, status)
        record.flag(f"{status}_frame", str(exc))
        return record
    record = FrameRecord(frame_number, "passthrough")
    colourspace = plate_colourspace(spec, frame, ctx)
    nonfinite = frame.rgb_region(frame.data_box)
    record.nonfinite_pixels = int(nonfinite.size - np.count_nonzero(np.isfinite(nonfinite)))
    if record.nonfinite_pixels:
        record.flag("non_finite_pixels",
                    f"{record.nonfinite_pixels} NaN/Inf values in the plate's RGB")
    matte = np.zeros((frame.spec.height, frame.spec.width), dtype=np.float32)
    done: list[tuple[SolvedSwap, SolvedFace, Box, bool]] = []
    skipped = []
    for swap in solved:
        if frame_number in swap.skipped:
            skipped.append(f"swap {swap.swap} track {swap.track}: {swap.skipped[frame_number]}")
        face = swap.faces.get(frame_number)
        if face is None:
            continue
        placed = _swap_face(frame, face, sources[swap.source], colourspace, matte, ctx)
        if placed is not None:
            done.append((swap, face, *placed))
    for swap, face, box, mouth_open in done:
        distance = _identity(frame, box, face, sources[swap.source], colourspace, ctx)
        record.faces.append(FaceRecord(swap.swap, swap.source, face.track, face.bbox,
                                       face.landmarks, face.score, round(distance, 4), mouth_open,
                                       face.pose, face.origin))
        limit = spec.qc.max_identity_distance
        if distance > limit:
            record.flag("identity_far_from_source",
                        f"swap {swap.swap} ({swap.source}): distance {distance:.3f} > {limit}")
        if face.origin == "interpolated":
            record.flag("interpolated_alignment",
                        f"track {face.track}: no usable detection, alignment interpolated")
    if skipped:
        record.flag("pose_beyond_limit", "; ".join(skipped))
    if done:
        record.status = "swapped"
    elif not skipped:
        record.flag("no_face", "no target face on this frame: passed through unchanged")
    attributes = dict(provenance)
    attributes["faceplate/facesReplaced"] = len(done)
    attributes["faceplate/frame"] = frame_number
    attributes["ImageDescription"] = description(
        frame.spec.get_string_attribute("ImageDescription") or None, spec)
    out_path = spec.output.path.frame(frame_number)
    write_image(out_path, frame.spec, frame.pixels, attributes, frame=frame_number)
    record.output = str(out_path)
    if spec.output.matte is not None:
        matte_path = spec.output.matte.frame(frame_number)
        write_matte(matte_path, frame.spec, matte, attributes, frame=frame_number)
        record.matte = str(matte_path)
    record.seconds = round(time.perf_counter() - start, 3)
    return record


def frame_record_path(spec: ShotSpec, frame: int):
    return spec.output.qc / "frames" / f"{frame}.json"


def render(spec: ShotSpec, frames: Iterable[int], solved: list[SolvedSwap],
           sources: dict[str, SourceFace], ctx: RunContext) -> RenderResult:
    """Render ``frames`` and write one QC record per frame."""
    frames = list(frames)
    provenance = shot_provenance(spec, ctx)
    records = []
    for i, f in enumerate(frames):
        record = render_frame(spec, f, solved, sources, provenance, ctx)
        write_json(frame_record_path(spec, f), FRAME_SCHEMA, asdict(record))
        records.append(record)
        ctx.progress(Progress("render", i + 1, len(frames), f))
    return RenderResult(records)
