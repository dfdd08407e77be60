"""Stage 1, analyse: faces (box, score, 68 landmarks, optional descriptor) on every plate frame.

The result is cached per shot in ``<cache>/analysis.json`` (schema
``faceplate.analysis/1``) and re-used while the plate files and settings are unchanged.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import cv2
import numpy as np

from faceplate.context import Progress, RunContext
from faceplate.errors import PlateError
from faceplate.face.image8 import to_uint8
from faceplate.face.pose import estimate_pose
from faceplate.face.swapper import face_skin_statistics
from faceplate.pipeline.jsonfile import read_json, write_json
from faceplate.pipeline.spec import ShotSpec
from faceplate.plateio.frame import Box, PlateFrame, read_frame

SCHEMA = "faceplate.analysis/1"
FrameStatus = Literal["ok", "missing", "unreadable"]


@dataclass(frozen=True)
class AnalyseSettings:
    """Detection settings; part of the cache key."""

    detect_size: int = 1024
    upsample: int = 0
    threshold: float = -0.5
    descriptors: bool = True


@dataclass
class FaceObservation:
    """One face on one frame, in display-window pixels. A negative ``score`` marks a weak
    detection: it may extend a track through a hard frame but never starts one."""

    bbox: list[float]
    score: float
    landmarks: list[list[float]]
    descriptor: list[float] | None = None
    pose: list[float] | None = None
    skin: list[float] | None = None


@dataclass
class FrameAnalysis:
    """What analysis found on one frame."""

    frame: int
    status: FrameStatus
    faces: list[FaceObservation] = field(default_factory=list)
    nonfinite_pixels: int = 0
    reason: str | None = None
    seconds: float = 0.0


@dataclass
class ShotAnalysis:
    """Every frame's analysis, keyed by frame number."""

    key: dict[str, Any]
    frames: dict[int, FrameAnalysis]


def plate_colourspace(spec: ShotSpec, frame: PlateFrame, ctx: RunContext) -> str:
    """The plate's colourspace: the spec's, else the header's, else the config's file rules."""
    if spec.plate.colorspace:
        return ctx.colour.canonical(spec.plate.colorspace, key="plate.colorspace")
    found = ctx.colour.colourspace_from_header(frame.attributes, str(frame.path))
    if not found:
        raise PlateError("plate colourspace unknown: set plate.colorspace in the spec",
                         path=frame.path, frame=frame.frame)
    return found


def _fingerprint(spec: ShotSpec) -> list[list[Any]]:
    out = []
    for f in spec.plate.frames:
        path = spec.plate.path.frame(f)
        try:
            st = path.stat()
            out.append([f, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([f, None, None])
    return out


def cache_key(spec: ShotSpec, settings: AnalyseSettings, ctx: RunContext) -> dict[str, Any]:
    """What the cached analysis depends on: plate files, colour, models and settings."""
    return {"plate": str(spec.plate.path), "files": _fingerprint(spec),
            "colorspace": spec.plate.colorspace, "ocio": ctx.colour.choice.uri,
            "models": ctx.faces.id, "settings": asdict(settings)}


def analyse_frame(spec: ShotSpec, frame_number: int, settings: AnalyseSettings,
                  ctx: RunContext) -> FrameAnalysis:
    """Detect and landmark every face on one frame."""
    try:
        frame = read_frame(spec.plate.path.frame(frame_number), frame_number)
    except PlateError as exc:
        status: FrameStatus = "missing" if "missing" in exc.message else "unreadable"
        return FrameAnalysis(frame_number, status, reason=str(exc))
    data = frame.data_box
    rgb = frame.rgb_region(data)
    nonfinite = frame.nonfinite_count()
    if nonfinite:
        rgb = np.nan_to_num(rgb, nan=0.0, posinf=0.0, neginf=0.0)
    colourspace = plate_colourspace(spec, frame, ctx)
    working = ctx.models.working_colorspace
    scale = min(1.0, settings.detect_size / max(rgb.shape[:2]))
    proxy = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale,
                                                interpolation=cv2.INTER_AREA)
    proxy8 = to_uint8(ctx.colour.convert(proxy, colourspace, working))
    faces = []
    for det in ctx.faces.detect(proxy8, upsample=settings.upsample, threshold=settings.threshold):
        x0, y0, x1, y1 = (v / scale for v in det.box)
        pad_x, pad_y = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
        region = Box(int(x0 - pad_x) + data.x0, int(y0 - pad_y) + data.y0,
                     int(np.ceil(x1 + pad_x)) + data.x0, int(np.ceil(y1 + pad_y)) + data.y0
                     ).intersect(data)
        if region.empty:
            continue
        crop_rgb = frame.rgb_region(region)
        crop8 = to_uint8(ctx.colour.convert(np.nan_to_num(crop_rgb), colourspace, working))
        box_in_crop = (x0 + data.x0 - region.x0, y0 + data.y0 - region.y0,
                       x1 + data.x0 - region.x0, y1 + data.y0 - region.y0)
        points = ctx.faces.landmarks(crop8, box_in_crop)
        descriptor = ctx.models.descriptor(crop8, points).tolist() if settings.descriptors else None
        skin = face_skin_statistics(crop8.astype(np.float32) / 255.0, points)
        points = points + (region.x0, region.y0)
        pose = estimate_pose(points, frame.display_size)
        faces.append(FaceObservation(
            bbox=[x0 + data.x0, y0 + data.y0, x1 + data.x0, y1 + data.y0], score=det.score,
            landmarks=points.round(3).tolist(), descriptor=descriptor,
            pose=[round(pose.yaw, 2), round(pose.pitch, 2), round(pose.roll, 2)],
            skin=[round(v, 4) for v in skin.as_list()] if skin else None))
    return FrameAnalysis(frame_number, "ok", faces=faces, nonfinite_pixels=nonfinite)


def _from_json(body: dict[str, Any]) -> ShotAnalysis:
    frames = {}
    for raw in body["frames"]:
        faces = [FaceObservation(**f) for f in raw.pop("faces")]
        frames[int(raw["frame"])] = FrameAnalysis(faces=faces, **raw)
    return ShotAnalysis(key=body["key"], frames=frames)


def analyse(spec: ShotSpec, ctx: RunContext, settings: AnalyseSettings = AnalyseSettings(),
            *, reuse: bool = True) -> ShotAnalysis:
    """Analyse every frame of the shot, or re-use the cached analysis if still valid."""
    path = spec.output.cache / "analysis.json"
    key = cache_key(spec, settings, ctx)
    if reuse:
        body = read_json(path, SCHEMA)
        if body is not None and body.get("key") == key:
            ctx.log.info("analysis: re-using %s", path)
            return _from_json(body)
    frames = {}
    total = len(spec.plate.frames)
    for i, f in enumerate(spec.plate.frames):
        start = time.perf_counter()
        frames[f] = analyse_frame(spec, f, settings, ctx)
        frames[f].seconds = round(time.perf_counter() - start, 3)
        ctx.progress(Progress("analyse", i + 1, total, f))
    write_json(path, SCHEMA, {"key": key, "frames": [asdict(a) for a in frames.values()]})
    return ShotAnalysis(key=key, frames=frames)
