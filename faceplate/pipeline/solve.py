"""Stage 2, solve: link faces into tracks over the whole shot, pick each swap's track,
and smooth its landmarks with a zero-lag filter.

Output: ``<cache>/tracks.json`` (schema ``faceplate.tracks/1``). Rendering reads only
this file, so any chunk rendered in any process gets the same landmarks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.signal import savgol_filter

from faceplate.context import RunContext
from faceplate.errors import StageError
from faceplate.face.models import identity_distance
from faceplate.pipeline.analyse import FaceObservation, ShotAnalysis
from faceplate.pipeline.jsonfile import read_json, write_json
from faceplate.pipeline.spec import ShotSpec, SwapSpec
from faceplate.types import Descriptor

SCHEMA = "faceplate.tracks/1"
_MIN_IOU = 0.3
_MAX_GAP = 3
#: Tracks apart in time whose mean descriptors are closer than this are one person.
_SAME_PERSON = 0.5


@dataclass
class Track:
    """A face followed over frames: frame → index of the face in that frame's analysis."""

    id: int
    faces: dict[int, int] = field(default_factory=dict)


@dataclass
class SolvedFace:
    """Where a swap's target face is on one frame, after smoothing."""

    frame: int
    track: int
    bbox: list[float]
    score: float
    landmarks: list[list[float]]


@dataclass
class SolvedSwap:
    """One swap resolved over the shot: its source, its track, and the face per frame."""

    swap: int
    source: str
    track: int | None
    faces: dict[int, SolvedFace]


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def link_tracks(analysis: ShotAnalysis) -> list[Track]:
    """Greedy frame-to-frame association by box overlap, bridging gaps of up to 3 frames."""
    tracks: list[Track] = []
    last_box: dict[int, tuple[int, list[float]]] = {}
    for frame in sorted(analysis.frames):
        faces = analysis.frames[frame].faces
        pairs = sorted(((_iou(box, face.bbox), tid, i)
                        for tid, (seen, box) in last_box.items() if frame - seen <= _MAX_GAP + 1
                        for i, face in enumerate(faces)), reverse=True)
        used_tracks, used_faces = set(), set()
        for overlap, tid, i in pairs:
            if overlap < _MIN_IOU or tid in used_tracks or i in used_faces:
                continue
            tracks[tid].faces[frame] = i
            last_box[tid] = (frame, faces[i].bbox)
            used_tracks.add(tid)
            used_faces.add(i)
        for i, face in enumerate(faces):
            if i not in used_faces:
                tracks.append(Track(len(tracks), {frame: i}))
                last_box[len(tracks) - 1] = (frame, face.bbox)
    return tracks


def _mean_descriptor(track: Track, analysis: ShotAnalysis) -> Descriptor | None:
    found = [d for f, i in track.faces.items()
             if (d := _face(analysis, f, i).descriptor) is not None]
    return np.mean(np.asarray(found), axis=0) if found else None


def merge_by_identity(tracks: list[Track], analysis: ShotAnalysis) -> list[Track]:
    """Join tracks that never share a frame and show the same person, so a face that
    leaves the frame or is lost for a while comes back on the same track."""
    merged: list[Track] = []
    identities: list[Descriptor | None] = []
    for track in sorted(tracks, key=lambda t: min(t.faces)):
        identity = _mean_descriptor(track, analysis)
        home = None
        if identity is not None:
            for i, other in enumerate(merged):
                if identities[i] is None or max(other.faces) >= min(track.faces):
                    continue
                if identity_distance(identities[i], identity) < _SAME_PERSON:
                    home = i
                    break
        if home is None:
            merged.append(Track(len(merged), dict(track.faces)))
            identities.append(identity)
        else:
            merged[home].faces.update(track.faces)
            identities[home] = _mean_descriptor(merged[home], analysis)
    return merged


def _face(analysis: ShotAnalysis, frame: int, index: int) -> FaceObservation:
    return analysis.frames[frame].faces[index]


def _area(face: FaceObservation) -> float:
    x0, y0, x1, y1 = face.bbox
    return (x1 - x0) * (y1 - y0)


def _track_size(track: Track, analysis: ShotAnalysis) -> float:
    """Total face area over the shot: a long, large track beats a brief one."""
    return sum(_area(_face(analysis, f, i)) for f, i in track.faces.items())


def _track_distance(track: Track, analysis: ShotAnalysis, reference: Descriptor) -> float:
    distances = [identity_distance(np.asarray(d), reference)
                 for f, i in track.faces.items()
                 if (d := _face(analysis, f, i).descriptor) is not None]
    return float(np.median(distances)) if distances else float("inf")


def pick_track(swap: SwapSpec, tracks: list[Track], taken: set[int], analysis: ShotAnalysis,
               references: dict[int, Descriptor], index: int) -> Track | None:
    """The track a swap replaces: the largest free one, or the one most like its reference."""
    free = [t for t in tracks if t.id not in taken]
    if not free:
        return None
    if swap.target.kind == "reference":
        return min(free, key=lambda t: _track_distance(t, analysis, references[index]))
    return max(free, key=lambda t: _track_size(t, analysis))


def _runs(frames: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for f in frames:
        if runs and f == runs[-1][-1] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


def smooth_landmarks(points: np.ndarray, window: int) -> np.ndarray:
    """Savitzky–Golay (quadratic, zero lag) smoothing of (frames, 68, 2) landmarks over time."""
    n = len(points)
    window = min(window, n if n % 2 else n - 1)
    if window < 5:
        return points
    return savgol_filter(points, window_length=window, polyorder=2, axis=0, mode="interp")


def solve_swap(index: int, swap: SwapSpec, track: Track | None, analysis: ShotAnalysis,
               window: int) -> SolvedSwap:
    faces: dict[int, SolvedFace] = {}
    if track is not None:
        for run in _runs(sorted(track.faces)):
            raw = np.array([_face(analysis, f, track.faces[f]).landmarks for f in run])
            smooth = smooth_landmarks(raw, window) if window else raw
            for f, pts in zip(run, smooth):
                face = _face(analysis, f, track.faces[f])
                faces[f] = SolvedFace(f, track.id, face.bbox, face.score, pts.round(3).tolist())
    return SolvedSwap(index, swap.source, track.id if track else None, faces)


def solve(spec: ShotSpec, analysis: ShotAnalysis, ctx: RunContext,
          references: dict[int, Descriptor] | None = None) -> list[SolvedSwap]:
    """Solve the whole shot and write ``tracks.json``."""
    references = references or {}
    tracks = merge_by_identity(link_tracks(analysis), analysis)
    taken: set[int] = set()
    solved = []
    for i, swap in enumerate(spec.swaps):
        track = pick_track(swap, tracks, taken, analysis, references, i)
        if track is not None:
            taken.add(track.id)
        solved.append(solve_swap(i, swap, track, analysis, spec.solve.smoothing))
    write_json(spec.output.cache / "tracks.json", SCHEMA,
               {"analysis_key": analysis.key, "smoothing": spec.solve.smoothing,
                "tracks": [{"id": t.id, "frames": sorted(t.faces)} for t in tracks],
                "swaps": [_swap_json(s) for s in solved]})
    ctx.log.info("solve: %d tracks, %d swaps", len(tracks), len(solved))
    return solved


def _swap_json(s: SolvedSwap) -> dict[str, Any]:
    return {"swap": s.swap, "source": s.source, "track": s.track,
            "faces": [asdict(f) for f in s.faces.values()]}


def load_solve(spec: ShotSpec) -> list[SolvedSwap]:
    """Read ``tracks.json`` for rendering.

    Raises:
        StageError: the shot has not been solved yet.
    """
    path = spec.output.cache / "tracks.json"
    body = read_json(path, SCHEMA)
    if body is None:
        raise StageError("shot not solved yet: run `faceplate solve` first", path=path)
    return [SolvedSwap(s["swap"], s["source"], s["track"],
                       {f["frame"]: SolvedFace(**f) for f in s["faces"]}) for s in body["swaps"]]
