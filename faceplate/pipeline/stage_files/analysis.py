"""``analysis.json`` (schema ``faceplate.analysis/4``): the faces analysis found on every frame,
each with its dense mesh, and the faces it lost. In memory each mesh and each face's vertex
motions are arrays; the file writes them as lists of numbers (a vertex whose motion was not
measured as null), without indentation, the total of the frames' seconds first."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np

from faceplate.pipeline.stage_files.jsonfile import read_json, read_json_value, write_json
from faceplate.pipeline.stage_files.paths import ANALYSIS_SCHEMA, analysis_path
from faceplate.spec import ShotSpec
from faceplate.types import Mesh

FrameStatus = Literal["ok", "missing", "unreadable"]


@dataclass
class FaceObservation:
    """One face on one frame, in display-window pixels: the box of its mesh, the detection
    score (pipeline scale), the mesh (478 x, y, z), identity descriptor, pose (yaw, pitch,
    roll) and skin colour. A negative ``score`` marks a weak detection: it may extend a track
    through a hard frame but never starts one; a followed face carries the score of the
    detection it descends from (raised when the detector finds it again).

    ``origin`` is ``detected``, or ``tracked``: the mesh was fitted on the crop that face
    ``tracked_from`` (its index) of the frame before gives once moved by the plate's optical
    flow. ``motion`` is that face's head motion from the frame before, measured by optical
    flow (:class:`~faceplate.pipeline.motion.Similarity` as ``[a, b, tx, ty]``, display
    pixels), None where none was measured; ``vertices``: each mesh vertex's own motion from
    the frame before ((points, 2) ``dx, dy`` display pixels, NaN where its flow check failed),
    None where none was measured; ``unsure`` says why the flow check failed on a face that was still
    followed."""

    bbox: list[float]
    score: float
    landmarks: Mesh
    descriptor: list[float] | None = None
    pose: list[float] | None = None
    skin: list[float] | None = None
    origin: str = "detected"
    tracked_from: int | None = None
    motion: list[float] | None = None
    unsure: str | None = None
    vertices: np.ndarray | None = None


@dataclass
class LostFace:
    """A face of the frame before (index ``previous``, its box ``bbox``) that is neither
    detected nor tracked on this frame, and why."""

    previous: int
    bbox: list[float]
    reason: str


@dataclass
class FrameAnalysis:
    """What analysis found on one frame; ``cut``: the picture changed at once from the frame
    before (nothing is followed or filtered across it); ``detector``: the face detector ran
    (analysis runs it to start and recover faces and on a sparse cadence)."""

    frame: int
    status: FrameStatus
    faces: list[FaceObservation] = field(default_factory=list)
    lost: list[LostFace] = field(default_factory=list)
    nonfinite_pixels: int = 0
    reason: str | None = None
    seconds: float = 0.0
    cut: bool = False
    detector: bool = True


@dataclass
class ShotAnalysis:
    """Every frame's analysis, keyed by frame number, and the key it was made under."""

    key: dict[str, Any]
    frames: dict[int, FrameAnalysis]


def vertex_array(rows: list[list[float] | None]) -> np.ndarray:
    """Vertex motions as stored (``[dx, dy]``, or None where not measured) as a (points, 2)
    array, NaN where not measured."""
    return np.array([(np.nan, np.nan) if r is None else r for r in rows], np.float64
                    ).reshape(-1, 2)


def vertex_rows(moves: np.ndarray) -> list[list[float] | None]:
    """A (points, 2) array of vertex motions as the file stores them (None where NaN)."""
    return [None if np.isnan(row).any() else row.tolist() for row in moves]


def mesh_arrays(obj: dict[str, Any]) -> dict[str, Any]:
    """A face's mesh and vertex motions as arrays as soon as they are read (a long shot's
    meshes as lists would take tens of times the memory)."""
    if "landmarks" in obj:
        obj["landmarks"] = np.asarray(obj["landmarks"], np.float64)
        if obj.get("vertices") is not None:
            obj["vertices"] = vertex_array(obj["vertices"])
    return obj


def _no_faces(obj: dict[str, Any]) -> dict[str, Any] | None:
    """A face dropped as soon as it is read (for a reader that needs only the frames' figures)."""
    return None if "landmarks" in obj else obj


def _from_json(body: dict[str, Any]) -> ShotAnalysis:
    frames = {}
    for raw in body.pop("frames"):
        faces = [FaceObservation(**f) for f in raw.pop("faces")]
        lost = [LostFace(**f) for f in raw.pop("lost")]
        frames[int(raw["frame"])] = FrameAnalysis(faces=faces, lost=lost, **raw)
    return ShotAnalysis(key=body["key"], frames=frames)


def read_analysis_body(spec: ShotSpec) -> dict[str, Any] | None:
    """The stored analysis as plain data, each mesh an array (None: not analysed yet)."""
    return read_json(analysis_path(spec), ANALYSIS_SCHEMA, mesh_arrays)


def read_analysis(spec: ShotSpec, key: dict[str, Any]) -> ShotAnalysis | None:
    """The stored analysis when it was made under ``key`` (None: absent or stale)."""
    body = read_analysis_body(spec)
    return _from_json(body) if body is not None and body.get("key") == key else None


def analysis_seconds(spec: ShotSpec) -> float | None:
    """The seconds the stored analysis took (its frames' total), read from the head of the
    file (a file written before the total was stored is read whole, its faces dropped as they
    are read); None: not analysed yet."""
    seconds = read_json_value(analysis_path(spec), ANALYSIS_SCHEMA, "seconds")
    if isinstance(seconds, int | float):
        return float(seconds)
    body = read_json(analysis_path(spec), ANALYSIS_SCHEMA, _no_faces)
    return (round(sum(f.get("seconds", 0.0) for f in body["frames"]), 3)
            if body is not None else None)


def write_analysis(spec: ShotSpec, analysis: ShotAnalysis) -> None:
    """Write ``analysis.json``, a frame at a time (:func:`write_json`'s compact writer)."""
    seconds = round(sum(a.seconds for a in analysis.frames.values()), 3)
    write_json(analysis_path(spec), ANALYSIS_SCHEMA,
               {"seconds": seconds, "key": analysis.key,
                "frames": (_frame_json(a) for a in analysis.frames.values())},
               record=True, compact=True)


def _shallow(item: Any) -> dict[str, Any]:
    """A dataclass's fields by name, values shared (``asdict`` would copy every mesh)."""
    return {f.name: getattr(item, f.name) for f in fields(item)}


def _face_json(face: FaceObservation) -> dict[str, Any]:
    out = _shallow(face)
    if face.vertices is not None:
        out["vertices"] = vertex_rows(face.vertices)
    return out


def _frame_json(frame: FrameAnalysis) -> dict[str, Any]:
    return {**_shallow(frame), "faces": [_face_json(f) for f in frame.faces],
            "lost": [_shallow(lost) for lost in frame.lost]}
