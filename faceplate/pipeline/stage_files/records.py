"""Per-frame QC records (``<qc>/frames/<frame>.json``, schema ``faceplate.qcframe/1``) and the
QC report they are merged into (``<qc>/qc.json``, schema ``faceplate.qc/1``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.pipeline.stage_files.paths import (
    FRAME_SCHEMA,
    QC_SCHEMA,
    frame_record_path,
    qc_json_path,
)
from faceplate.spec import ShotSpec

RenderStatus = Literal["swapped", "passthrough", "missing", "unreadable", "unwritten"]


def add_flag(flags: list[str], reasons: dict[str, str], name: str, reason: str) -> None:
    """Flag ``name`` once, with the latest ``reason`` (a record's or a loaded record's lists)."""
    if name not in flags:
        flags.append(name)
    reasons[name] = reason


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
    def from_dict(cls, body: dict[str, Any]) -> FrameRecord:
        """A record as stored in ``<qc>/frames/<frame>.json``."""
        known = {k: v for k, v in body.items() if k in cls.__dataclass_fields__}
        known["faces"] = [FaceRecord(**f) for f in known.get("faces", [])]
        return cls(**known)

    def flag(self, name: str, reason: str) -> None:
        add_flag(self.flags, self.reasons, name, reason)


def read_record(spec: ShotSpec, frame: int) -> dict[str, Any] | None:
    """The stored record of ``frame`` as plain data, schema included (None: not rendered)."""
    return read_json(frame_record_path(spec, frame), FRAME_SCHEMA)


def write_record(spec: ShotSpec, record: FrameRecord) -> None:
    write_json(frame_record_path(spec, record.frame), FRAME_SCHEMA, asdict(record))


def read_qc(path: Path) -> dict[str, Any] | None:
    """A ``qc.json`` (of this shot or another version) as plain data (None: absent)."""
    return read_json(path, QC_SCHEMA)


def write_qc(spec: ShotSpec, body: dict[str, Any]) -> None:
    write_json(qc_json_path(spec), QC_SCHEMA, body, record=True)
