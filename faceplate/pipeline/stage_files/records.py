"""Per-frame QC records (``<qc>/frames/<frame>.json``, schema ``faceplate.qcframe/1``) and the
QC report they are merged into (``<qc>/qc.json``, schema ``faceplate.qc/1``).

In the files, the outputs a record names are relative to the spec's folder where they live
under it (:func:`faceplate.pipeline.stage_files.paths.to_shot`); read back, they are absolute
again, so the code between reading and writing sees absolute paths only."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np

from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.pipeline.stage_files.paths import (
    FRAME_SCHEMA,
    QC_SCHEMA,
    frame_record_path,
    from_shot,
    qc_json_path,
    shot_folder,
    to_shot,
)
from faceplate.spec import ShotSpec

RenderStatus = Literal["swapped", "passthrough", "missing", "unreadable", "unwritten"]
#: The statuses of a frame that was not written.
FAILED_STATUSES = ("missing", "unreadable", "unwritten")


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
    identity_distance_to_source: float | None  # None: not measured on this frame (cadence)
    mouth_open: bool
    pose: list[float] | None = None
    origin: str = "detected"
    identity_distance_to_original: float | None = None
    jitter: float = 0.0
    matte_area: float = 0.0
    seam: float | None = None
    highlight: float | None = None
    detail_ratio: float | None = None
    grain_ratio: float | None = None
    eye_difference: float | None = None
    mouth_difference: float | None = None
    hard_edge: float | None = None


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
    #: the flipbook proxies render wrote beside the record: ``look`` (what they were shown
    #: through) and each kind's [size, mtime_ns] (:mod:`faceplate.pipeline.stage_files.proxies`)
    proxies: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> FrameRecord:
        """A record as stored in ``<qc>/frames/<frame>.json``."""
        known = {k: v for k, v in body.items() if k in cls.__dataclass_fields__}
        known["faces"] = [FaceRecord(**f) for f in known.get("faces", [])]
        return cls(**known)

    def flag(self, name: str, reason: str) -> None:
        add_flag(self.flags, self.reasons, name, reason)


def _paths(record: dict[str, Any], convert: Callable[[str], str]) -> dict[str, Any]:
    """``record`` with the output paths it names passed through ``convert``."""
    out = dict(record)
    for key in ("output", "matte"):
        if out.get(key) is not None:
            out[key] = convert(out[key])
    if isinstance(out.get("outputs"), dict):
        out["outputs"] = {convert(p): stamp for p, stamp in out["outputs"].items()}
    return out


def _points_array(obj: dict[str, Any]) -> dict[str, Any]:
    """A face's points as an array as soon as they are read (68 points as lists of Python
    floats take about eight times their array)."""
    if "landmarks" in obj and "swap" in obj:
        obj["landmarks"] = np.asarray(obj["landmarks"], np.float64)
    return obj


def read_record(spec: ShotSpec, frame: int, *, arrays: bool = False) -> dict[str, Any] | None:
    """The stored record of ``frame`` as plain data, schema included, its paths absolute
    (None: not rendered); ``arrays``: each face's ``landmarks`` an array (for a reader that
    holds every frame's record and writes them back only through :func:`write_qc`)."""
    body = read_json(frame_record_path(spec, frame), FRAME_SCHEMA,
                     _points_array if arrays else None)
    return _paths(body, lambda p: str(from_shot(spec, p))) if body is not None else None


def _fields(item: FrameRecord | FaceRecord) -> dict[str, Any]:
    """A record's fields by name, values shared (``asdict`` copies every number of every
    landmark, at the cost of writing them)."""
    return {f.name: getattr(item, f.name) for f in fields(item)}


def record_body(record: FrameRecord) -> dict[str, Any]:
    """What ``dataclasses.asdict(record)`` gives, its lists and dicts those of ``record`` (to
    be written, not changed)."""
    return {**_fields(record), "faces": [_fields(face) for face in record.faces]}


def write_record(spec: ShotSpec, record: FrameRecord) -> None:
    write_json(frame_record_path(spec, record.frame), FRAME_SCHEMA,
               _paths(record_body(record), lambda p: to_shot(spec, p)))


def read_qc(path: Path, spec: ShotSpec | None = None) -> dict[str, Any] | None:
    """A ``qc.json`` (of this shot or another version) as plain data, the paths its frames name
    absolute: resolved against ``spec``'s folder, else the shot folder the file records
    (``shot_folder``, relative to the file's own folder). None: absent."""
    body = read_json(path, QC_SCHEMA)
    if body is None:
        return None
    if spec is not None and shot_folder(spec) is not None:
        base: Path | None = shot_folder(spec)
    else:
        recorded = body.get("shot_folder")
        base = path.parent / recorded if isinstance(recorded, str) else None

    def absolute(text: str) -> str:
        return text if base is None or Path(text).is_absolute() else str(base / text)
    body["frames"] = [_paths(r, absolute) for r in body.get("frames", [])]
    return body


def write_qc(spec: ShotSpec, body: dict[str, Any]) -> None:
    """Write ``qc.json``: the frames' paths and the spec relative to the spec's folder, and
    that folder relative to the file's (``shot_folder``), so the file reads alone. ``frames``
    may be an iterator: each record is written as it comes, a line each."""
    qc_json = qc_json_path(spec)
    base = shot_folder(spec)
    out = dict(body)
    out["frames"] = (_paths(r, lambda p: to_shot(spec, p)) for r in body.get("frames", []))
    if out.get("spec") is not None:
        out["spec"] = to_shot(spec, out["spec"])
    out["shot_folder"] = _relative(base, qc_json.parent) if base is not None else None
    write_json(qc_json, QC_SCHEMA, out, record=True, lines=True)


def _relative(target: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(target, start)).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        return str(target)
