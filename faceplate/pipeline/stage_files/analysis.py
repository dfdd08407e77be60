"""``analysis.json`` (schema ``faceplate.analysis/1``): the faces analysis found on every frame."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.pipeline.stage_files.paths import ANALYSIS_SCHEMA, analysis_path
from faceplate.spec import ShotSpec

FrameStatus = Literal["ok", "missing", "unreadable"]


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
    """Every frame's analysis, keyed by frame number, and the key it was made under."""

    key: dict[str, Any]
    frames: dict[int, FrameAnalysis]


def _from_json(body: dict[str, Any]) -> ShotAnalysis:
    frames = {}
    for raw in body["frames"]:
        faces = [FaceObservation(**f) for f in raw.pop("faces")]
        frames[int(raw["frame"])] = FrameAnalysis(faces=faces, **raw)
    return ShotAnalysis(key=body["key"], frames=frames)


def read_analysis_body(spec: ShotSpec) -> dict[str, Any] | None:
    """The stored analysis as plain data (None: not analysed yet)."""
    return read_json(analysis_path(spec), ANALYSIS_SCHEMA)


def read_analysis(spec: ShotSpec, key: dict[str, Any]) -> ShotAnalysis | None:
    """The stored analysis when it was made under ``key`` (None: absent or stale)."""
    body = read_analysis_body(spec)
    return _from_json(body) if body is not None and body.get("key") == key else None


def write_analysis(spec: ShotSpec, analysis: ShotAnalysis) -> None:
    write_json(analysis_path(spec), ANALYSIS_SCHEMA,
               {"key": analysis.key, "frames": [asdict(a) for a in analysis.frames.values()]},
               record=True)
