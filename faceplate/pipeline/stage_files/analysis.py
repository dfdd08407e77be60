"""``analysis.json`` (schema ``faceplate.analysis/5``): the faces analysis found on every frame,
each with its dense mesh, and the faces it lost. In memory each mesh and each face's vertex
motions are arrays; the file writes them as lists of numbers (a vertex whose motion was not
measured as null), without indentation, the total of the frames' seconds first, then a frame a
line: analysis writes each frame as it is made and holds none (:class:`AnalysisWriter`), a
reader reads a frame at a time, never the whole text. A ``faceplate.analysis/4`` file (the same
body on one line) is read whole and upgraded as it is read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from faceplate.errors import StageError
from faceplate.pipeline.stage_files.jsonfile import (
    line_spool,
    read_json,
    read_json_lines,
    read_json_value,
)
from faceplate.pipeline.stage_files.paths import ANALYSIS_SCHEMA, analysis_path
from faceplate.pipeline.stage_files.spool import PickleSpool
from faceplate.spec import ShotSpec
from faceplate.types import Mesh

FrameStatus = Literal["ok", "missing", "unreadable"]

#: The schema before :data:`ANALYSIS_SCHEMA` (the same body, on one line), upgraded as it is
#: read (:func:`upgrade_from_4`).
ANALYSIS_SCHEMA_4 = "faceplate.analysis/4"


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
    frames: Mapping[int, FrameAnalysis]

    def outlines(self) -> Mapping[int, FrameAnalysis]:
        """Every frame for a reader that needs no mesh: a stored analysis's read once and held
        without its faces' meshes (:meth:`StoredFrames.outlines`), one in memory as it is."""
        return self.frames.outlines() if isinstance(self.frames, StoredFrames) else self.frames


#: An outline's face mesh (:meth:`StoredFrames.outlines`): none.
_NO_MESH = np.empty((0, 3))
_NO_MESH.setflags(write=False)


class StoredFrames(Mapping[int, FrameAnalysis]):
    """The frames of an analysis stored in ``analysis.json`` (just written by
    :class:`AnalysisWriter`, or re-used): their numbers and face counts are held. The first time
    one frame is looked into, the file is read once, a frame at a time: each frame's outline
    (the frame without its faces' meshes, :meth:`outlines`) is held, the whole frame kept on
    disk (:class:`~faceplate.pipeline.stage_files.spool.PickleSpool`, beside the file); a frame
    looked into is read back from there each time and not kept: however long the shot, no
    stage holds its meshes."""

    def __init__(self, spec: ShotSpec, counts: dict[int, int]) -> None:
        self.spec = spec
        self.counts = counts
        self._outlines: dict[int, FrameAnalysis] | None = None
        self._at: dict[int, int] = {}
        self._spool: PickleSpool | None = None

    def outlines(self) -> dict[int, FrameAnalysis]:
        """Every frame, its faces' meshes left out (an empty mesh, no vertex motions), read from
        the file the first time (then held: a few numbers a face).

        Raises:
            StageError: the file is gone, corrupt or cut short.
        """
        if self._outlines is None:
            self._outlines = self._read()
        return self._outlines

    def _read(self) -> dict[int, FrameAnalysis]:
        path = analysis_path(self.spec)
        spool = self._spool = PickleSpool(path.parent)

        def keep(raw: dict[str, Any]) -> tuple[int, FrameAnalysis]:
            frame = _frame(raw)
            self._at[frame.frame] = spool.put(frame)
            return frame.frame, replace(frame, faces=[
                replace(face, landmarks=_NO_MESH, vertices=None) for face in frame.faces])

        read = read_json_lines(path, ANALYSIS_SCHEMA, "frames", keep, mesh_arrays)
        if read is None:
            raise StageError("the analysis just written is gone", path=path)
        return dict(read[1])

    def __getitem__(self, frame: int) -> FrameAnalysis:
        """The whole frame, meshes and all, read back from disk (not kept).

        Raises:
            KeyError: the file held no such frame.
            StageError: the file is gone, corrupt or cut short.
        """
        self.outlines()
        assert self._spool is not None  # made with the outlines
        stored: FrameAnalysis = self._spool.get(self._at[frame])
        return stored

    def __contains__(self, frame: object) -> bool:
        return frame in self.counts

    def __iter__(self) -> Iterator[int]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)


def face_counts(analysis: ShotAnalysis) -> dict[int, int]:
    """How many faces analysis found on each frame (the file is not read for them when the
    analysis was just written)."""
    if isinstance(analysis.frames, StoredFrames):
        return dict(analysis.frames.counts)
    return {f: len(a.faces) for f, a in analysis.frames.items()}


def vertex_array(rows: list[list[float] | None]) -> np.ndarray:
    """Vertex motions as stored (``[dx, dy]``, or None where not measured) as a (points, 2)
    array, NaN where not measured."""
    return np.array([(np.nan, np.nan) if r is None else r for r in rows], np.float64
                    ).reshape(-1, 2)


def vertex_rows(moves: np.ndarray) -> list[list[float] | None]:
    """A (points, 2) array of vertex motions as the file stores them (None where NaN)."""
    unmeasured = np.isnan(moves).any(axis=1).tolist()
    return [None if nan else row for nan, row in zip(unmeasured, moves.tolist())]


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


def _frame(raw: dict[str, Any]) -> FrameAnalysis:
    faces = [FaceObservation(**f) for f in raw.pop("faces")]
    lost = [LostFace(**f) for f in raw.pop("lost")]
    return FrameAnalysis(faces=faces, lost=lost, **raw)


def upgrade_from_4(body: dict[str, Any]) -> dict[str, Any]:
    """A ``faceplate.analysis/4`` body as ``faceplate.analysis/5`` says it (the same keys and
    frames: only the file's layout changed)."""
    return {**body, "schema": ANALYSIS_SCHEMA}


def _read_analysis(spec: ShotSpec, key: dict[str, Any] | None) -> ShotAnalysis | None:
    """The stored analysis (None: absent, or made under another ``key`` when one is given):
    a frame read, its meshes made arrays, and turned into its record before the next; a
    ``faceplate.analysis/4`` file read whole."""
    path = analysis_path(spec)
    if read_json_value(path, ANALYSIS_SCHEMA_4, "schema") == ANALYSIS_SCHEMA_4:
        old = read_json(path, ANALYSIS_SCHEMA_4, mesh_arrays)
        if old is None:
            return None
        body = upgrade_from_4(old)
        if key is not None and body.get("key") != key:
            return None
        return ShotAnalysis(body["key"], {int(raw["frame"]): _frame(raw)
                                          for raw in body.pop("frames")})
    if key is not None and read_json_value(path, ANALYSIS_SCHEMA, "key") not in (key, None):
        return None  # stale: its frames are not read
    read = read_json_lines(path, ANALYSIS_SCHEMA, "frames", _frame, mesh_arrays)
    if read is None:
        return None
    head, frames = read
    if key is not None and head.get("key") != key:
        return None
    return ShotAnalysis(head["key"], {f.frame: f for f in frames})


def read_analysis(spec: ShotSpec, key: dict[str, Any]) -> ShotAnalysis | None:
    """The stored analysis when it was made under ``key`` (None: absent or stale).

    Raises:
        StageError: the file is corrupt or of another schema than this one or the one before.
    """
    return _read_analysis(spec, key)


def stored_analysis(spec: ShotSpec, key: dict[str, Any]) -> ShotAnalysis | None:
    """The stored analysis when it was made under ``key`` (None: absent or stale), its frames'
    face counts read (each face dropped as it is read) and their faces read back when first
    looked into (:class:`StoredFrames`): a stage that re-uses the analysis without looking
    into it holds none of its meshes. A ``faceplate.analysis/4`` file is read whole.

    Raises:
        StageError: the file is corrupt or of another schema than this one or the one before.
    """
    path = analysis_path(spec)
    if read_json_value(path, ANALYSIS_SCHEMA_4, "schema") == ANALYSIS_SCHEMA_4:
        return _read_analysis(spec, key)
    if read_json_value(path, ANALYSIS_SCHEMA, "key") not in (key, None):
        return None  # stale: its frames are not read
    read = read_json_lines(path, ANALYSIS_SCHEMA, "frames",
                           lambda raw: (int(raw["frame"]), len(raw["faces"])), _no_faces)
    if read is None:
        return None
    head, counts = read
    if head.get("key") != key:
        return None
    return ShotAnalysis(head["key"], StoredFrames(spec, dict(counts)))


def analysis_seconds(spec: ShotSpec) -> float | None:
    """The seconds the stored analysis took (its frames' total), read from the head of the
    file (a file written before the total was stored is read whole, its faces dropped as they
    are read); None: not analysed yet."""
    path = analysis_path(spec)
    for schema in (ANALYSIS_SCHEMA, ANALYSIS_SCHEMA_4):
        seconds = read_json_value(path, schema, "seconds")
        if isinstance(seconds, int | float):
            return float(seconds)
    body = read_json(path, ANALYSIS_SCHEMA_4, _no_faces)
    return (round(sum(f.get("seconds", 0.0) for f in body["frames"]), 3)
            if body is not None else None)


class AnalysisWriter:
    """``analysis.json`` written as analysis goes: each frame spooled to a temporary file as it
    is added (nothing of it held), the file written atomically by :meth:`finish`, its seconds
    (the frames' total) first. Use as a context manager: a writer left unfinished (a stop,
    an error) leaves the stored analysis as it was."""

    def __init__(self, spec: ShotSpec, key: dict[str, Any]) -> None:
        self.spec = spec
        self.key = key
        self._open = ExitStack()
        self._spool = self._open.enter_context(line_spool(analysis_path(spec)))
        self._counts: dict[int, int] = {}
        self._seconds = 0.0

    def add(self, frame: FrameAnalysis) -> None:
        """Spool ``frame`` (frames are added in order, each once)."""
        self._spool.add(_frame_json(frame))
        self._counts[frame.frame] = len(frame.faces)
        self._seconds += frame.seconds

    def finish(self) -> ShotAnalysis:
        """Write the file; the analysis as it stands there, its frames read back from it when
        first looked into (:class:`StoredFrames`)."""
        self._spool.write(ANALYSIS_SCHEMA, {"seconds": round(self._seconds, 3), "key": self.key},
                          "frames", record=True)
        return ShotAnalysis(self.key, StoredFrames(self.spec, self._counts))

    def __enter__(self) -> AnalysisWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._open.close()


def write_analysis(spec: ShotSpec, analysis: ShotAnalysis) -> None:
    """Write ``analysis.json`` from an analysis in memory, a frame at a time."""
    with AnalysisWriter(spec, analysis.key) as out:
        for frame in analysis.frames.values():
            out.add(frame)
        out.finish()


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
