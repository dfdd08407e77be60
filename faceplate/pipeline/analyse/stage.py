"""Stage 1, analyse: faces (box, score, 68 landmarks, optional descriptor) on every plate frame.

The result is cached per shot in ``<cache>/analysis.json`` (schema
``faceplate.analysis/1``) and re-used while the plate files and settings are unchanged.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from faceplate.errors import PlateError, PlateMissingError
from faceplate.face.image8 import to_uint8
from faceplate.face.pose import estimate_pose
from faceplate.face.swapper import face_skin_statistics
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.stage_files.analysis import (
    FaceObservation,
    FrameAnalysis,
    FrameStatus,
    ShotAnalysis,
    read_analysis,
    write_analysis,
)
from faceplate.pipeline.stage_files.paths import analysis_path, to_shot
from faceplate.plateio.frame import Box, read_frame
from faceplate.spec import ShotSpec
from faceplate.types import WORKING_SPACE


@dataclass(frozen=True)
class AnalyseSettings:
    """Detection settings; part of the cache key."""

    detect_size: int = 1024
    upsample: int = 0
    threshold: float = -0.5
    descriptors: bool = True


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


def analyse_frame(spec: ShotSpec, frame_number: int, settings: AnalyseSettings,
                  ctx: RunContext, pre: Preflight) -> FrameAnalysis:
    """Detect and landmark every face on one frame."""
    try:
        frame = read_frame(spec.plate.path.frame(frame_number), frame_number, pre.frame_limits)
    except PlateError as exc:
        status: FrameStatus = "missing" if isinstance(exc, PlateMissingError) else "unreadable"
        return FrameAnalysis(frame_number, status, reason=str(exc))
    data = frame.data_box
    rgb = frame.rgb_region(data)
    nonfinite = frame.nonfinite_count()
    if nonfinite:
        rgb = np.nan_to_num(rgb, nan=0.0, posinf=0.0, neginf=0.0)
    colourspace = pre.plate_space()
    faces_of = pre.shot_models().faces
    scale = min(1.0, settings.detect_size / max(rgb.shape[:2]))
    proxy = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale,
                                                interpolation=cv2.INTER_AREA)
    proxy8 = to_uint8(ctx.colour.convert(proxy, colourspace, WORKING_SPACE))
    faces = []
    for det in faces_of.detect(proxy8, upsample=settings.upsample, threshold=settings.threshold):
        x0, y0, x1, y1 = (v / scale for v in det.box)
        pad_x, pad_y = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
        region = Box(int(x0 - pad_x) + data.x0, int(y0 - pad_y) + data.y0,
                     int(np.ceil(x1 + pad_x)) + data.x0, int(np.ceil(y1 + pad_y)) + data.y0
                     ).intersect(data)
        if region.empty:
            continue
        crop_rgb = frame.rgb_region(region)
        crop8 = to_uint8(ctx.colour.convert(np.nan_to_num(crop_rgb), colourspace, WORKING_SPACE))
        box_in_crop = (x0 + data.x0 - region.x0, y0 + data.y0 - region.y0,
                       x1 + data.x0 - region.x0, y1 + data.y0 - region.y0)
        points = faces_of.landmarks(crop8, box_in_crop)
        descriptor = (ctx.face_pack.descriptor(crop8, points).tolist() if settings.descriptors
                      else None)
        skin = face_skin_statistics(crop8.astype(np.float32) / 255.0, points)
        points = points + (region.x0, region.y0)
        pose = estimate_pose(points, frame.display_size)
        faces.append(FaceObservation(
            bbox=[x0 + data.x0, y0 + data.y0, x1 + data.x0, y1 + data.y0], score=det.score,
            landmarks=points.round(3).tolist(), descriptor=descriptor,
            pose=[round(pose.yaw, 2), round(pose.pitch, 2), round(pose.roll, 2)],
            skin=[round(v, 4) for v in skin.as_list()] if skin else None))
    return FrameAnalysis(frame_number, "ok", faces=faces, nonfinite_pixels=nonfinite)


def analyse(spec: ShotSpec, ctx: RunContext, pre: Preflight,
            settings: AnalyseSettings = AnalyseSettings(), *, reuse: bool = True) -> ShotAnalysis:
    """Analyse every frame of the shot, or re-use the cached analysis if still valid.

    Raises:
        RunStopped: ``ctx.stop`` was set (a signal): raised after the frame in flight; no
            analysis is stored.
    """
    key = cache_key(spec, settings, ctx, pre)
    if reuse:
        stored = read_analysis(spec, key)
        if stored is not None:
            ctx.log.info("analysis: re-using %s", analysis_path(spec))
            return stored
    frames = {}
    total = len(spec.plate.frames)
    for i, f in enumerate(spec.plate.frames):
        start = time.perf_counter()
        frames[f] = analyse_frame(spec, f, settings, ctx, pre)
        frames[f].seconds = round(time.perf_counter() - start, 3)
        ctx.progress(Progress("analyse", i + 1, total, f))
        if i + 1 < total:
            ctx.stop.check(f"analysing frame {f}; no frame rendered")
    analysis = ShotAnalysis(key=key, frames=frames)
    write_analysis(spec, analysis)
    return analysis
