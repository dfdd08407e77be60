"""``tracks.json`` (schema ``faceplate.tracks/7``): the solved faces of every swap, each with
its dense mesh, the track's rest shape (once per swap), the flow-linked segments it was solved
in, and the frames its face was lost on. In memory each mesh is an array. The file is one JSON
body written a line per face (each swap's own keys on a line before its faces), so a reader
reads a face at a time, never the whole text, and a render chunk keeps only its own frames'.
A file of the schemas before is upgraded as it is read (``faceplate.tracks/6``: the same body
on one line; ``faceplate.tracks/5``: the rest shape repeated on every face); one of an older
schema is refused by name by a stage that only reads it, and made again by the solve.
Rendering reads only this file, so any chunk rendered in any process gets the same
alignment."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field, fields
from typing import Any, BinaryIO, Protocol

import numpy as np

from faceplate.errors import StageError
from faceplate.pipeline.stage_files.jsonfile import (
    check_head,
    open_list,
    read_grouped_lines,
    read_json,
    read_json_value,
    write_grouped_lines,
)
from faceplate.pipeline.stage_files.paths import TRACKS_SCHEMA, tracks_path
from faceplate.spec import ShotSpec

#: The schemas before :data:`TRACKS_SCHEMA`, upgraded as they are read (:func:`upgrade_from_6`,
#: :func:`upgrade_from_5`).
TRACKS_SCHEMA_6 = "faceplate.tracks/6"
TRACKS_SCHEMA_5 = "faceplate.tracks/5"

#: How a solved face's ``override`` and a skip's reason start when a reviewer's decision made
#: them (render tells them from the solve's own skips by it).
REVIEWER_PREFIX = "reviewer: "


@dataclass
class SolvedFace:
    """Where a swap's target face is on one frame, after the solve.

    ``landmarks`` is the mesh (478 x, y, z, display-window pixels). ``origin`` says where the
    alignment came from: ``detected``, ``tracked`` (the detector missed the face, its mesh
    was followed from the frame before), ``interpolated`` (a gap or a rejected outlier) or
    ``held`` (a frame beyond the yaw limit given the nearest valid frame's alignment).
    ``descriptor`` is the identity descriptor of the plate's face as analysis measured it, on
    detected and tracked frames (render's QC reuses it). ``unsure`` says why the tracking is
    unsure on this frame (the optical flow failed its check: the face was placed by its mesh
    alone and a new segment starts here); render flags it.
    """

    frame: int
    track: int
    bbox: list[float]
    score: float
    landmarks: np.ndarray
    pose: list[float] | None = None
    skin: list[float] | None = None
    origin: str = "detected"
    jitter: float = 0.0
    params: dict[str, float] = field(default_factory=dict)
    override: str | None = None
    descriptor: list[float] | None = None
    unsure: str | None = None
    #: The track's rest shape (its mean mesh in the canonical layout's frame, 478 x, y, z):
    #: what the swapper measures the source's proportions against, so that the replaced face
    #: deforms as the plate's face does. None: measured against each frame's own mesh. The
    #: file holds it once per swap; in memory every face of a track shares one array.
    rest: np.ndarray | None = None


@dataclass
class SolvedSwap:
    """One swap on one track over the shot: its source, the face per frame, the frames of
    the track it leaves alone (beyond the yaw limit, overridden) and the frames its face was
    lost on, each with the reason, and the segments (first, last frame) it was solved in: runs
    linked by the plate's optical flow, nothing filtered across their ends (a cut, a failed
    flow check, a gap)."""

    swap: int
    source: str
    track: int | None
    faces: MutableMapping[int, SolvedFace]
    skipped: dict[int, str] = field(default_factory=dict)
    lost: dict[int, str] = field(default_factory=dict)
    segments: list[list[int]] = field(default_factory=list)
    #: The first and last frames the face is solved on over the shot, when ``faces`` holds
    #: only some of them (a chunk's, :func:`load_solve`); None: ``faces`` holds them all.
    bounds: tuple[int, int] | None = None

    def span(self) -> tuple[int, int]:
        """The first and last frames the swap's face is solved on, over the whole shot."""
        return self.bounds if self.bounds is not None else (min(self.faces), max(self.faces))


def _frames_json(reasons: dict[int, str]) -> list[dict[str, Any]]:
    return [{"frame": f, "reason": r} for f, r in sorted(reasons.items())]


def _face_json(face: SolvedFace) -> dict[str, Any]:
    """A solved face as the file holds it: its fields by name (values shared, not copied),
    the rest shape left to its swap."""
    return {f.name: getattr(face, f.name) for f in fields(face) if f.name != "rest"}


def _rest(s: SolvedSwap) -> np.ndarray | None:
    return next((f.rest for f in s.faces.values() if f.rest is not None), None)


def _swap_head(s: SolvedSwap) -> dict[str, Any]:
    return {"swap": s.swap, "source": s.source, "track": s.track, "rest": _rest(s),
            "skipped": _frames_json(s.skipped), "lost": _frames_json(s.lost),
            "segments": s.segments}


def write_tracks(spec: ShotSpec, solved: list[SolvedSwap], **extra: Any) -> None:
    """Write ``tracks.json``: the solved swaps, with ``extra`` keys (key, settings, timing;
    ``seconds`` first, for :func:`solve_seconds`), a face a line."""
    head = {k: extra.pop(k) for k in ("seconds",) if k in extra}
    write_grouped_lines(tracks_path(spec), TRACKS_SCHEMA, {**head, **extra}, "swaps", "faces",
                        ((_swap_head(s), (_face_json(f) for f in s.faces.values()))
                         for s in solved), record=True)


def upgrade_from_6(body: dict[str, Any]) -> dict[str, Any]:
    """A ``faceplate.tracks/6`` body as ``faceplate.tracks/7`` says it (the same keys: only the
    file's layout changed)."""
    return {**body, "schema": TRACKS_SCHEMA}


def upgrade_from_5(body: dict[str, Any]) -> dict[str, Any]:
    """A ``faceplate.tracks/5`` body as ``faceplate.tracks/7`` says it: each swap's rest shape
    (there repeated on every face) once on the swap, its faces without it."""
    for swap in body.get("swaps", []):
        rest = None
        for face in swap.get("faces", []):
            found = face.pop("rest", None)
            rest = found if rest is None else rest
        swap["rest"] = rest
    return {**body, "schema": TRACKS_SCHEMA}


def _face_arrays(obj: dict[str, Any]) -> dict[str, Any]:
    """A face's mesh (and a tracks/5 face's rest shape) as arrays as soon as they are read."""
    if "landmarks" in obj:
        obj["landmarks"] = np.asarray(obj["landmarks"], np.float64)
        if obj.get("rest") is not None:
            obj["rest"] = np.asarray(obj["rest"], np.float64)
    return obj


def _read_tracks(spec: ShotSpec, hook: Callable[[dict[str, Any]], Any]
                 ) -> dict[str, Any] | None:
    path = tracks_path(spec)
    for schema, upgrade in ((TRACKS_SCHEMA_6, upgrade_from_6), (TRACKS_SCHEMA_5, upgrade_from_5)):
        if read_json_value(path, schema, "schema") == schema:
            old = read_json(path, schema, hook)
            return upgrade(old) if old is not None else None
    return read_grouped_lines(path, TRACKS_SCHEMA, "swaps", "faces", hook)


def read_tracks_body(spec: ShotSpec) -> dict[str, Any] | None:
    """The stored solve as plain data, each mesh an array, a file of a schema before upgraded
    (None: not solved yet)."""
    return _read_tracks(spec, _face_arrays)


def solve_seconds(spec: ShotSpec) -> float | None:
    """The seconds the stored solve took, read from the head of ``tracks.json`` (None: not
    solved yet, or not stored there)."""
    path = tracks_path(spec)
    for schema in (TRACKS_SCHEMA, TRACKS_SCHEMA_6, TRACKS_SCHEMA_5):
        seconds = read_json_value(path, schema, "seconds")
        if isinstance(seconds, int | float):
            return float(seconds)
    return None


def _swap(s: dict[str, Any]) -> SolvedSwap:
    rest = np.asarray(s["rest"], np.float64) if s.get("rest") is not None else None
    frames = [f["frame"] for f in s["faces"]]
    faces = {f["frame"]: SolvedFace(**f, rest=rest) for f in s["faces"] if "landmarks" in f}
    return SolvedSwap(s["swap"], s["source"], s["track"], faces,
                      {k["frame"]: k["reason"] for k in s.get("skipped", [])},
                      {k["frame"]: k["reason"] for k in s.get("lost", [])},
                      s.get("segments", []),
                      (min(frames), max(frames)) if len(faces) < len(frames) else None)


def load_solve(spec: ShotSpec, frames: Iterable[int] | None = None) -> list[SolvedSwap]:
    """Read ``tracks.json`` for rendering ``frames`` (default: every frame): the faces of other
    frames are dropped as they are read (each swap's :meth:`SolvedSwap.span` is still the
    whole shot's), so a chunk holds only its own meshes.

    Raises:
        StageError: the shot has not been solved yet.
    """
    wanted = None if frames is None else {int(f) for f in frames}

    def chunk_only(obj: dict[str, Any]) -> dict[str, Any]:
        obj = _face_arrays(obj)
        if wanted is not None and "landmarks" in obj and obj.get("frame") not in wanted:
            return {"frame": obj["frame"]}  # counted for the span, not kept
        return obj

    body = _read_tracks(spec, chunk_only)
    if body is None:
        raise StageError("shot not solved yet: run `faceplate solve` first", path=tracks_path(spec))
    return [_swap(s) for s in body["swaps"]]


class SolveSource(Protocol):
    """The solved swaps a render asks for a frame at a time."""

    def on(self, frame: int) -> list[SolvedSwap]:
        """Each swap with (at least) its face on ``frame``, its span, skips and losses."""
        ...

    def has_faces(self, frames: Iterable[int]) -> bool:
        """Whether any of ``frames`` has a solved face to swap (no face is read)."""
        ...


@dataclass
class SolveInMemory:
    """Solved swaps already in memory (a host's, a test's): every frame asks for them all."""

    swaps: list[SolvedSwap]

    def on(self, frame: int) -> list[SolvedSwap]:
        return self.swaps

    def has_faces(self, frames: Iterable[int]) -> bool:
        return any(f in s.faces for s in self.swaps for f in frames)


#: A face line's frame, read without decoding its mesh (``_face_json`` writes it first).
_FACE_FRAME = re.compile(rb'^,?\{"frame":(-?\d+)[,}]')


@dataclass
class _SwapIndex:
    """A swap's own keys (its faces left out) and where each wanted face's line starts."""

    head: SolvedSwap
    rest: np.ndarray | None
    lines: dict[int, int]


class SolveByFrame:
    """``tracks.json`` (``faceplate.tracks/7``) read a frame at a time: one pass notes each
    swap's own keys, its span and where each wanted frame's face line starts (a few numbers a
    frame); :meth:`on` reads that frame's faces from their lines. However long the shot, only
    the frame asked for has its meshes in memory. A file of a schema before (one line) is read
    whole (:func:`load_solve`).

    Raises:
        StageError: the shot has not been solved yet, or the file is corrupt.
    """

    def __init__(self, spec: ShotSpec, frames: Iterable[int] | None = None) -> None:
        self.path = tracks_path(spec)
        self._whole: list[SolvedSwap] | None = None
        self._swaps: list[_SwapIndex] = []
        self._file: BinaryIO | None = None
        if any(read_json_value(self.path, s, "schema") == s
               for s in (TRACKS_SCHEMA_6, TRACKS_SCHEMA_5)):
            self._whole = load_solve(spec, frames)
            return
        wanted = None if frames is None else {int(f) for f in frames}
        try:
            # kept open: a solve that replaces the file meanwhile leaves this one readable
            self._file = self.path.open("rb")
            self._index(self._file, wanted)
        except FileNotFoundError:
            raise StageError("shot not solved yet: run `faceplate solve` first",
                             path=self.path) from None
        except (OSError, ValueError) as exc:
            self.close()
            raise StageError(f"corrupt stage file: {exc}", path=self.path) from None
        except StageError:
            self.close()
            raise

    def __enter__(self) -> SolveByFrame:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (a frame asked for after reads nothing)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _index(self, f: BinaryIO, wanted: set[int] | None) -> None:
        head_line = f.readline()
        check_head(head_line.decode("utf-8"), TRACKS_SCHEMA, "swaps", self.path)
        offset = len(head_line)
        index: _SwapIndex | None = None
        first = last = 0
        for line in f:
            at, offset = offset, offset + len(line)
            if index is None and line.startswith(b"]}"):
                return
            if index is None:
                body = open_list(line.decode("utf-8"), "faces", self.path)
                rest = (np.asarray(body["rest"], np.float64)
                        if body.get("rest") is not None else None)
                body["rest"], body["faces"] = None, []
                index = _SwapIndex(_swap(body), rest, {})
                first, last = 0, -1
            elif line.startswith(b"]}"):
                if last >= first:
                    index.head.bounds = (first, last)
                self._swaps.append(index)
                index = None
            else:
                found = _FACE_FRAME.match(line)
                frame = (int(found.group(1)) if found is not None
                         else json.loads(line.removeprefix(b","))["frame"])
                first, last = ((frame, frame) if last < first
                               else (min(first, frame), max(last, frame)))
                if wanted is None or frame in wanted:
                    index.lines[frame] = at
        raise StageError("corrupt stage file: cut short", path=self.path)

    def has_faces(self, frames: Iterable[int]) -> bool:
        """Whether any of ``frames`` (among those asked for) has a face line."""
        if self._whole is not None:
            return SolveInMemory(self._whole).has_faces(frames)
        return any(f in index.lines for index in self._swaps for f in frames)

    def on(self, frame: int) -> list[SolvedSwap]:
        """Each swap with its face on ``frame`` (if it has one there and ``frame`` was among
        those asked for), read from the file now.

        Raises:
            StageError: the file was closed, or its line cannot be read.
        """
        if self._whole is not None:
            return self._whole
        f = self._file
        if f is None:
            raise StageError("the solve was closed before it was read", path=self.path)
        swaps = []
        try:
            for index in self._swaps:
                head, faces = index.head, {}
                at = index.lines.get(frame)
                if at is not None:
                    f.seek(at)
                    face = json.loads(f.readline().removeprefix(b","), object_hook=_face_arrays)
                    faces[frame] = SolvedFace(**face, rest=index.rest)
                swaps.append(SolvedSwap(head.swap, head.source, head.track, faces, head.skipped,
                                        head.lost, head.segments, head.bounds))
        except (OSError, ValueError) as exc:
            raise StageError(f"corrupt stage file: {exc}", path=self.path) from None
        return swaps
