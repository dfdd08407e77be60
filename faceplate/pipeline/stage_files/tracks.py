"""``tracks.json`` (schema ``faceplate.tracks/5``): the solved faces of every swap, each with
its dense mesh, the flow-linked segments it was solved in, and the frames its face was lost
on. A file of another schema is refused by name by a stage that only reads it, and made again
by the solve. Rendering reads only this file, so any
chunk rendered in any process gets the same alignment."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from faceplate.errors import StageError
from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.pipeline.stage_files.paths import TRACKS_SCHEMA, tracks_path
from faceplate.spec import ShotSpec

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
    landmarks: list[list[float]]
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
    #: deforms as the plate's face does. None: measured against each frame's own mesh.
    rest: list[list[float]] | None = None


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
    faces: dict[int, SolvedFace]
    skipped: dict[int, str] = field(default_factory=dict)
    lost: dict[int, str] = field(default_factory=dict)
    segments: list[list[int]] = field(default_factory=list)


def _frames_json(reasons: dict[int, str]) -> list[dict[str, Any]]:
    return [{"frame": f, "reason": r} for f, r in sorted(reasons.items())]


def _swap_json(s: SolvedSwap) -> dict[str, Any]:
    return {"swap": s.swap, "source": s.source, "track": s.track,
            "faces": [asdict(f) for f in s.faces.values()],
            "skipped": _frames_json(s.skipped), "lost": _frames_json(s.lost),
            "segments": s.segments}


def write_tracks(spec: ShotSpec, solved: list[SolvedSwap], **extra: Any) -> None:
    """Write ``tracks.json``: the solved swaps, with ``extra`` keys (key, settings, timing)."""
    write_json(tracks_path(spec), TRACKS_SCHEMA,
               {**extra, "swaps": [_swap_json(s) for s in solved]}, record=True, compact=True)


def read_tracks_body(spec: ShotSpec) -> dict[str, Any] | None:
    """The stored solve as plain data (None: not solved yet)."""
    return read_json(tracks_path(spec), TRACKS_SCHEMA)


def load_solve(spec: ShotSpec) -> list[SolvedSwap]:
    """Read ``tracks.json`` for rendering.

    Raises:
        StageError: the shot has not been solved yet.
    """
    body = read_tracks_body(spec)
    if body is None:
        raise StageError("shot not solved yet: run `faceplate solve` first", path=tracks_path(spec))
    return [SolvedSwap(s["swap"], s["source"], s["track"],
                       {f["frame"]: SolvedFace(**f) for f in s["faces"]},
                       {k["frame"]: k["reason"] for k in s.get("skipped", [])},
                       {k["frame"]: k["reason"] for k in s.get("lost", [])},
                       s.get("segments", []))
            for s in body["swaps"]]
