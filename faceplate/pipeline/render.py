"""Stage 3, render: swap the solved faces on any set of frames and write frames, mattes
and one QC record per frame (``<qc>/frames/<frame>.json``).

Render reads only the spec, the plate and ``tracks.json``; chunks may run in any
order, in any process. Pixels outside the matte keep the plate's exact values.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Literal

import cv2
import numpy as np

from faceplate.context import Progress, RunContext
from faceplate.errors import PlateError
from faceplate.face.colour_match import LabStats, to_lab
from faceplate.face.landmarks import face_size
from faceplate.face.image8 import to_uint8
from faceplate.face.models import identity_distance
from faceplate.face.swapper import SourceFace
from faceplate.pipeline.analyse import plate_colourspace
from faceplate.pipeline.jsonfile import read_json, write_json
from faceplate.pipeline.provenance import description, shot_provenance
from faceplate.pipeline.resume import (is_current, output_stamps, remove_stale_temporaries,
                                       render_key)
from faceplate.pipeline.solve import SolvedFace, SolvedSwap
from faceplate.pipeline.spec import ShotSpec
from faceplate.plateio.frame import Box, PlateFrame, read_frame
from faceplate.plateio.output import write_frame
from faceplate.plateio.write import write_matte
from faceplate.types import Matte, RGBImage

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
    identity_distance_to_original: float | None = None
    jitter: float = 0.0
    matte_area: float = 0.0
    seam: float | None = None


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
    matte_area: float = 0.0
    overrides: list[str] = field(default_factory=list)
    seconds: float = 0.0
    render_key: str | None = None
    outputs: dict[str, list[int]] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> "FrameRecord":
        """A record as stored in ``<qc>/frames/<frame>.json``."""
        known = {k: v for k, v in body.items() if k in cls.__dataclass_fields__}
        known["faces"] = [FaceRecord(**f) for f in known.get("faces", [])]
        return cls(**known)

    def flag(self, name: str, reason: str) -> None:
        if name not in self.flags:
            self.flags.append(name)
        self.reasons[name] = reason


@dataclass
class RenderResult:
    """Frames written and frames that could not be, with their records.

    ``reused`` lists the frames whose outputs were already complete and current (not rendered
    again; their records are the stored ones)."""

    records: list[FrameRecord]
    reused: list[int] = field(default_factory=list)

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


@dataclass(frozen=True)
class PlacedFace:
    """A face swapped on a frame, with what QC measures of the swap itself."""

    box: Box
    mouth_open: bool
    matte_area: float
    seam: float | None
    original: np.ndarray


def seam_difference(result: RGBImage, plate: RGBImage, matte: Matte, band: int) -> float | None:
    """Mean CIE76 ΔE between result and plate over a band ``band`` pixels wide just inside
    the matte's edge (where the matte is at least 0.95): the colour step a seam shows."""
    edge = cv2.dilate((matte < 0.95).astype(np.uint8), np.ones((2 * band + 1,) * 2, np.uint8))
    inside = (matte >= 0.95) & edge.astype(bool)
    if inside.sum() < 16:
        return None
    delta = to_lab(result)[inside] - to_lab(plate)[inside]
    return float(np.linalg.norm(delta.mean(axis=0)))


def _swap_face(frame: PlateFrame, face: SolvedFace, source: SourceFace, colourspace: str,
               matte: Matte, ctx: RunContext) -> PlacedFace | None:
    points = np.asarray(face.landmarks)
    box = face_region(points, frame.data_box)
    if box.empty:
        return None
    working = ctx.models.working_colorspace
    plate_rgb = frame.rgb_region(box)
    finite = np.isfinite(plate_rgb)
    clean = np.where(finite, plate_rgb, 0.0).astype(np.float32)
    target = ctx.colour.convert(clean, colourspace, working)
    local = points - (box.x0, box.y0)
    measured = face.origin == "detected" and face.descriptor is not None  # by analysis, this frame
    original = (np.asarray(face.descriptor) if measured
                else ctx.models.descriptor(to_uint8(target), local))
    skin = LabStats.from_list(face.skin) if face.skin else None
    result = ctx.swapper.adjusted(face.params).swap(target, local, source, skin)
    swapped = ctx.colour.convert(result.rgb, working, colourspace)
    weight = result.matte[..., None]
    composite = clean + weight * (swapped - clean)
    frame.set_rgb_region(box, composite, result.matte > 0)
    d = frame.data_box
    region = matte[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0]
    np.maximum(region, result.matte, out=region)
    band = max(2, int(round(0.05 * face_size(local))))
    shown = target + weight * (result.rgb - target)
    return PlacedFace(box, result.mouth_open, float(result.matte.sum()),
                      seam_difference(shown, target, result.matte, band), original)


def has_face_evidence(frame: PlateFrame, face: SolvedFace, colourspace: str,
                      ctx: RunContext) -> bool:
    """Whether the plate shows something face-like where an interpolated face would go:
    the detector, run on that region at a very low threshold, finds a face whose centre
    lies inside the interpolated face's box. Flash frames, cuts and occluders fail this."""
    points = np.asarray(face.landmarks)
    box = face_region(points, frame.data_box)
    if box.empty:
        return False
    region = to_uint8(ctx.colour.convert(np.nan_to_num(frame.rgb_region(box)), colourspace,
                                         ctx.models.working_colorspace))
    x0, y0, x1, y1 = face.bbox
    for det in ctx.faces.detect(region, upsample=1, threshold=-1.0):
        cx = (det.box[0] + det.box[2]) / 2 + box.x0
        cy = (det.box[1] + det.box[3]) / 2 + box.y0
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return True
    return False


def _identity(frame: PlateFrame, box: Box, face: SolvedFace, colourspace: str,
              ctx: RunContext) -> np.ndarray:
    """The descriptor of the face as it stands on the output frame."""
    out8 = to_uint8(ctx.colour.convert(np.nan_to_num(frame.rgb_region(box)), colourspace,
                                       ctx.models.working_colorspace))
    points = np.asarray(face.landmarks) - (box.x0, box.y0)
    return ctx.models.descriptor(out8, points)


def _check(record: "FrameRecord", flag: str, value: float, threshold: float, above: bool,
           what: str) -> None:
    """Flag ``record`` when ``value`` is above (or below) ``threshold``, naming both."""
    if (value > threshold) if above else (value < threshold):
        side = ">" if above else "<"
        record.flag(flag, f"{what}: {value:.3f} {side} {threshold:g}")


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
    record.nonfinite_pixels = frame.nonfinite_count()
    if record.nonfinite_pixels:
        record.flag("non_finite_pixels",
                    f"{record.nonfinite_pixels} NaN/Inf values in the plate's RGB")
    matte = np.zeros((frame.spec.height, frame.spec.width), dtype=np.float32)
    done: list[tuple[SolvedSwap, SolvedFace, PlacedFace]] = []
    skipped = []
    for swap in solved:
        reason = swap.skipped.get(frame_number)
        if reason is not None and reason.startswith("override"):
            record.overrides.append(f"swap {swap.swap} track {swap.track}: {reason}")
        elif reason is not None:
            skipped.append(f"swap {swap.swap} track {swap.track}: {reason}")
        face = swap.faces.get(frame_number)
        if face is None:
            continue
        if face.override:
            record.overrides.append(f"swap {swap.swap} track {swap.track}: {face.override}")
        if face.origin == "interpolated" and not has_face_evidence(frame, face, colourspace, ctx):
            record.flag("no_face", f"track {face.track}: interpolated alignment rejected, no "
                                   "face-like detail on the plate there: passed through")
            continue
        placed = _swap_face(frame, face, sources[swap.source], colourspace, matte, ctx)
        if placed is not None:
            done.append((swap, face, placed))
    qc = spec.qc
    for swap, face, placed in done:
        output = _identity(frame, placed.box, face, colourspace, ctx)
        to_source = identity_distance(output, sources[swap.source].descriptor)
        to_original = identity_distance(output, placed.original)
        record.faces.append(FaceRecord(
            swap.swap, swap.source, face.track, face.bbox, face.landmarks, face.score,
            round(to_source, 4), placed.mouth_open, face.pose, face.origin,
            identity_distance_to_original=round(to_original, 4), jitter=face.jitter,
            matte_area=round(placed.matte_area, 1),
            seam=round(placed.seam, 3) if placed.seam is not None else None))
        who = f"swap {swap.swap} ({swap.source}) track {face.track}"
        _check(record, "identity_far_from_source", to_source, qc.max_identity_distance, True,
               f"{who}: identity distance to source")
        _check(record, "identity_close_to_original", to_original, qc.min_distance_to_original,
               False, f"{who}: identity distance to the plate's face")
        _check(record, "jitter_spike", face.jitter, qc.max_jitter, True,
               f"{who}: landmark jitter (× face size)")
        if placed.seam is not None:
            _check(record, "seam_mismatch", placed.seam, qc.max_seam, True,
                   f"{who}: ΔE just inside the matte edge")
        if face.origin == "detected":
            _check(record, "low_score", face.score, qc.min_score, False,
                   f"{who}: detection score")
        if face.origin == "interpolated":
            record.flag("interpolated_alignment",
                        f"track {face.track}: no usable detection, alignment interpolated")
    record.matte_area = round(float(matte.sum()), 1)
    if skipped:
        record.flag("pose_beyond_limit", "; ".join(skipped))
    if done:
        record.status = "swapped"
    elif not skipped and not record.overrides and "no_face" not in record.flags:
        record.flag("no_face", "no target face on this frame: passed through unchanged")
    attributes = dict(provenance)
    attributes["faceplate/facesReplaced"] = len(done)
    attributes["faceplate/frame"] = frame_number
    attributes["ImageDescription"] = description(
        frame.spec.get_string_attribute("ImageDescription") or None, spec)
    out_path = spec.output.path.frame(frame_number)
    write_frame(out_path, frame, attributes, matte=matte,
                matte_channel=spec.output.matte_channel, compression=spec.output.compression)
    record.output = str(out_path)
    if spec.output.matte is not None:
        matte_path = spec.output.matte.frame(frame_number)
        matte_attributes = dict(attributes)
        if spec.output.compression is not None:
            matte_attributes["compression"] = spec.output.compression
        write_matte(matte_path, frame.spec, matte, matte_attributes, frame=frame_number)
        record.matte = str(matte_path)
    record.seconds = round(time.perf_counter() - start, 3)
    record.providers = ctx.providers()
    return record


def frame_record_path(spec: ShotSpec, frame: int):
    return spec.output.qc / "frames" / f"{frame}.json"


def render(spec: ShotSpec, frames: Iterable[int], solved: list[SolvedSwap],
           sources: dict[str, SourceFace], ctx: RunContext, *, force: bool = False) -> RenderResult:
    """Render ``frames`` and write one QC record per frame.

    A frame whose outputs are complete and current (see :mod:`faceplate.pipeline.resume`) is
    not rendered again unless ``force``; a frame that fails is recorded and the rest carry on.
    """
    frames = [int(f) for f in frames]  # a host script may pass numpy integers
    provenance = shot_provenance(spec, ctx)
    records, reused = [], []
    for i, f in enumerate(frames):
        key = render_key(spec, f, solved, provenance)
        stored = None if force else read_json(frame_record_path(spec, f), FRAME_SCHEMA)
        if stored is not None and is_current(stored, key):
            records.append(FrameRecord.from_dict(stored))
            reused.append(f)
        else:
            for path in (spec.output.path, spec.output.matte):
                if path is not None:
                    remove_stale_temporaries(path.frame(f))
            record = render_frame(spec, f, solved, sources, provenance, ctx)
            record.render_key = key
            record.outputs = output_stamps([record.output, record.matte])
            write_json(frame_record_path(spec, f), FRAME_SCHEMA, asdict(record))
            records.append(record)
        ctx.progress(Progress("render", i + 1, len(frames), f))
    return RenderResult(records, reused)
