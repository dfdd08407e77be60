"""Stage 2, solve: link faces into tracks over the whole shot, map tracks to swaps,
bridge gaps, reject outliers, and smooth landmarks and colour with zero-lag filters.

Output: ``<cache>/tracks.json`` (schema ``faceplate.tracks/2``). Rendering reads only
this file, so any chunk rendered in any process gets the same alignment.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from faceplate.context import RunContext
from faceplate.errors import SpecError, StageError
from faceplate.face.models import identity_distance
from faceplate.pipeline.analyse import FaceObservation, ShotAnalysis
from faceplate.pipeline.jsonfile import read_json, write_json
from faceplate.pipeline.overrides import Override, load_overrides, overrides_path
from faceplate.pipeline.spec import ShotSpec, SolveSpec, SwapSpec
from faceplate.types import Descriptor

SCHEMA = "faceplate.tracks/2"
_MIN_IOU = 0.3
_MAX_LINK_GAP = 3
#: Faces whose descriptors are farther apart than this are never linked frame to frame.
_DIFFERENT_PERSON = 0.6
#: Tracks apart in time whose mean descriptors are closer than this are one person.
_SAME_PERSON = 0.5
#: A frame whose landmarks stray further than this (× face size) from the track's
#: smooth path is an outlier and is replaced by interpolation.
_OUTLIER = 0.12


@dataclass
class Track:
    """A face followed over frames: frame → index of the face in that frame's analysis."""

    id: int
    faces: dict[int, int] = field(default_factory=dict)


@dataclass
class SolvedFace:
    """Where a swap's target face is on one frame, after the solve.

    ``origin`` says where the alignment came from: ``detected``, ``interpolated`` (a gap
    or a rejected outlier) or ``held`` (a frame beyond the yaw limit given the nearest
    valid frame's alignment). ``descriptor`` is the identity descriptor of the plate's face
    as analysis measured it, on detected frames (render's QC reuses it).
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


@dataclass
class SolvedSwap:
    """One swap on one track over the shot: its source, the face per frame, and the
    frames of the track it leaves alone with the reason."""

    swap: int
    source: str
    track: int | None
    faces: dict[int, SolvedFace]
    skipped: dict[int, str] = field(default_factory=dict)


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _different_people(a: FaceObservation, b: FaceObservation) -> bool:
    if a.descriptor is None or b.descriptor is None:
        return False
    return identity_distance(np.asarray(a.descriptor), np.asarray(b.descriptor)) > _DIFFERENT_PERSON


def link_tracks(analysis: ShotAnalysis) -> list[Track]:
    """Greedy frame-to-frame association by box overlap (never across identities),
    bridging gaps of up to three frames."""
    tracks: list[Track] = []
    last: dict[int, tuple[int, FaceObservation]] = {}
    for frame in sorted(analysis.frames):
        faces = analysis.frames[frame].faces
        pairs = sorted(((_iou(seen.bbox, face.bbox), tid, i)
                        for tid, (when, seen) in last.items() if frame - when <= _MAX_LINK_GAP + 1
                        for i, face in enumerate(faces)), reverse=True)
        used_tracks, used_faces = set(), set()
        for overlap, tid, i in pairs:
            if overlap < _MIN_IOU or tid in used_tracks or i in used_faces:
                continue
            if _different_people(last[tid][1], faces[i]):
                continue
            tracks[tid].faces[frame] = i
            last[tid] = (frame, faces[i])
            used_tracks.add(tid)
            used_faces.add(i)
        for i, face in enumerate(faces):
            if i not in used_faces and face.score >= 0:
                tracks.append(Track(len(tracks), {frame: i}))
                last[len(tracks) - 1] = (frame, face)
    return tracks


def _face(analysis: ShotAnalysis, frame: int, index: int) -> FaceObservation:
    return analysis.frames[frame].faces[index]


def _mean_descriptor(track: Track, analysis: ShotAnalysis) -> Descriptor | None:
    found = [d for f, i in track.faces.items()
             if (d := _face(analysis, f, i).descriptor) is not None]
    return np.mean(np.asarray(found), axis=0) if found else None


def merge_by_identity(tracks: list[Track], analysis: ShotAnalysis) -> list[Track]:
    """Join tracks that never share a frame and show the same person, so a face that
    leaves the frame or is lost for a while comes back on the same track. Track ids
    are renumbered by first appearance."""
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


def _area(face: FaceObservation) -> float:
    x0, y0, x1, y1 = face.bbox
    return (x1 - x0) * (y1 - y0)


def _track_size(track: Track, analysis: ShotAnalysis) -> float:
    """Total face area over the shot: a long, large track beats a brief one."""
    return sum(_area(_face(analysis, f, i)) for f, i in track.faces.items())


def _track_distance(track: Track, analysis: ShotAnalysis, reference: Descriptor) -> float:
    identity = _mean_descriptor(track, analysis)
    return identity_distance(identity, reference) if identity is not None else float("inf")


def pick_tracks(index: int, swap: SwapSpec, tracks: list[Track], taken: set[int],
                analysis: ShotAnalysis, references: dict[int, Descriptor]) -> list[Track]:
    """The tracks a swap replaces: the largest free one, the one most like its reference,
    the numbered one, or every free one.

    Raises:
        SpecError: ``{track: N}`` names a track the solve did not find.
    """
    free = [t for t in tracks if t.id not in taken]
    kind = swap.target.kind
    if kind == "track":
        found = [t for t in tracks if t.id == swap.target.track]
        if not found:
            raise SpecError(f"no track {swap.target.track} in this shot "
                            f"(tracks: 0-{len(tracks) - 1})" if tracks else "no face tracks in this shot",
                            key=f"swaps[{index}].target.track")
        return found
    if not free:
        return []
    if kind == "all":
        return free
    if kind == "reference":
        return [min(free, key=lambda t: _track_distance(t, analysis, references[index]))]
    return [max(free, key=lambda t: _track_size(t, analysis))]


def smooth_landmarks(points: np.ndarray, window: int) -> np.ndarray:
    """Savitzky–Golay (quadratic, zero lag) smoothing of (frames, ...) values over time."""
    n = len(points)
    window = min(window | 1, n if n % 2 else n - 1)
    if window < 5:
        return points
    from scipy.signal import savgol_filter  # imported here: render and report never smooth
    return savgol_filter(points, window_length=window, polyorder=2, axis=0, mode="interp")


def _segments(frames: list[int], max_gap: int, analysed: set[int]) -> list[list[int]]:
    """Runs of frames whose gaps are at most ``max_gap`` frames, all of them analysed."""
    runs: list[list[int]] = []
    for f in frames:
        gap = range(runs[-1][-1] + 1, f) if runs else range(0)
        if runs and len(gap) <= max_gap and all(g in analysed for g in gap):
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


def _interpolate(frames: np.ndarray, known: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation over time of (n, ...) ``values`` where ``known`` is False."""
    flat = values.reshape(len(values), -1).copy()
    for c in range(flat.shape[1]):
        flat[~known, c] = np.interp(frames[~known], frames[known], flat[known, c])
    return flat.reshape(values.shape)


def _outliers(points: np.ndarray, window: int) -> np.ndarray:
    """Frames whose landmarks stray from the smooth path by more than ``_OUTLIER`` × face size."""
    if len(points) < 5:
        return np.zeros(len(points), dtype=bool)
    path = smooth_landmarks(points, max(window, 5))
    size = np.linalg.norm(points[:, 45] - points[:, 36], axis=1)
    error = np.linalg.norm(points - path, axis=2).mean(axis=1) / np.maximum(size, 1e-6)
    return error > _OUTLIER


def _solve_segment(track: Track, frames: list[int], analysis: ShotAnalysis,
                   settings: SolveSpec) -> dict[int, SolvedFace]:
    span = np.arange(frames[0], frames[-1] + 1)
    known = np.isin(span, frames)
    observed = {f: _face(analysis, f, track.faces[f]) for f in frames}
    landmarks = np.zeros((len(span), 68, 2))
    landmarks[known] = [observed[f].landmarks for f in frames]
    outlier = np.zeros(len(span), dtype=bool)
    outlier[known] = _outliers(landmarks[known], settings.smoothing)
    valid = known & ~outlier
    if valid.sum() < 2:
        valid = known
    if valid.sum() >= 2:
        landmarks = _interpolate(span, valid, landmarks)
    skin = _series(span, valid, [observed.get(f) for f in span], "skin")
    pose = _series(span, valid, [observed.get(f) for f in span], "pose")
    if settings.smoothing:
        landmarks = smooth_landmarks(landmarks, settings.smoothing)
        if skin is not None:
            skin = smooth_landmarks(skin, 2 * settings.smoothing + 1)
    jitter = landmark_jitter(landmarks)
    solved = {}
    for i, f in enumerate(span):
        face = observed.get(int(f))
        origin = "detected" if valid[i] else "interpolated"
        bbox = face.bbox if face is not None and valid[i] else _bbox(landmarks[i])
        descriptor = face.descriptor if face is not None and valid[i] else None
        solved[int(f)] = SolvedFace(
            int(f), track.id, [round(v, 3) for v in bbox], face.score if face else 0.0,
            landmarks[i].round(3).tolist(),
            pose[i].round(2).tolist() if pose is not None else None,
            skin[i].round(4).tolist() if skin is not None else None, origin,
            round(float(jitter[i]), 4),
            descriptor=[round(v, 5) for v in descriptor] if descriptor is not None else None)
    return solved


def landmark_jitter(landmarks: np.ndarray) -> np.ndarray:
    """Per frame, how far the landmarks sit off the straight line between their neighbours
    (mean over points of |L[t] - (L[t-1] + L[t+1]) / 2|), relative to the face size.
    Smooth motion scores near 0; a shake or a pop scores high. Ends of a run score 0."""
    jitter = np.zeros(len(landmarks))
    if len(landmarks) >= 3:
        middle = landmarks[1:-1] - 0.5 * (landmarks[:-2] + landmarks[2:])
        size = np.linalg.norm(landmarks[1:-1, 45] - landmarks[1:-1, 36], axis=1)
        jitter[1:-1] = np.linalg.norm(middle, axis=2).mean(axis=1) / np.maximum(size, 1e-6)
    return jitter


def _series(span: np.ndarray, valid: np.ndarray, faces: list[FaceObservation | None],
            name: str) -> np.ndarray | None:
    """A per-face measure (``skin`` or ``pose``) over the span, interpolated where invalid."""
    have = np.array([v and f is not None and getattr(f, name) is not None
                     for v, f in zip(valid, faces)], dtype=bool)
    if have.sum() < 1:
        return None
    width = len(next(getattr(f, name) for f, h in zip(faces, have) if h))
    values = np.zeros((len(span), width))
    values[have] = [getattr(f, name) for f, h in zip(faces, have) if h]
    if have.sum() == 1:
        values[~have] = values[have][0]
        return values
    return _interpolate(span, have, values)


def _bbox(points: np.ndarray) -> list[float]:
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return [float(x0), float(y0), float(x1), float(y1)]


def _apply_yaw_limit(faces: dict[int, SolvedFace], settings: SolveSpec) -> dict[int, str]:
    """Remove (``pass``) or re-align (``hold``) frames turned beyond the limit; return them."""
    beyond = {f for f, face in faces.items()
              if face.pose is not None and abs(face.pose[0]) > settings.max_yaw}
    if not beyond:
        return {}
    within = sorted(set(faces) - beyond)
    skipped = {}
    for f in sorted(beyond):
        yaw = faces[f].pose[0]  # type: ignore[index]
        reason = f"yaw {yaw:.1f}° beyond the limit of {settings.max_yaw:g}°"
        if settings.beyond_yaw == "hold" and within:
            nearest = min(within, key=lambda w: (abs(w - f), w))
            held = faces[nearest]
            faces[f] = SolvedFace(f, held.track, held.bbox, held.score, held.landmarks,
                                  faces[f].pose, held.skin, origin="held")
            skipped[f] = f"{reason}: held frame {nearest}'s alignment"
        else:
            del faces[f]
            skipped[f] = f"{reason}: passed through"
    return skipped


def solve_track(index: int, swap: SwapSpec, track: Track, analysis: ShotAnalysis,
                settings: SolveSpec) -> SolvedSwap:
    """The solved faces of one swap on one track."""
    faces: dict[int, SolvedFace] = {}
    analysed = {f for f, a in analysis.frames.items() if a.status == "ok"}
    for segment in _segments(sorted(track.faces), settings.max_gap, analysed):
        faces.update(_solve_segment(track, segment, analysis, settings))
    skipped = _apply_yaw_limit(faces, settings)
    return SolvedSwap(index, swap.source, track.id, faces, skipped)


def apply_overrides(solved: list[SolvedSwap], overrides: list[Override]) -> None:
    """Apply reviewer overrides in order: skip the swap, hold another frame's alignment,
    or set swap parameters, on every swap of the given frames."""
    for o in overrides:
        label = o.as_yaml()
        label.pop("frames")
        text = f"override {label}"
        for swap in solved:
            for f in o.frames:
                if o.action == "skip":
                    if swap.faces.pop(f, None) is not None or f in swap.skipped:
                        swap.skipped[f] = f"{text}: passed through"
                elif o.action == "hold" and o.hold in swap.faces:
                    held = swap.faces[o.hold]
                    swap.faces[f] = replace(held, frame=f, origin="held", override=text)
                    swap.skipped.pop(f, None)
                elif o.action == "set" and f in swap.faces:
                    face = swap.faces[f]
                    swap.faces[f] = replace(face, params={**face.params, **o.values}, override=text)


def solve(spec: ShotSpec, analysis: ShotAnalysis, ctx: RunContext,
          references: dict[int, Descriptor] | None = None) -> list[SolvedSwap]:
    """Solve the whole shot and write ``tracks.json``."""
    start = time.perf_counter()
    references = references or {}
    tracks = merge_by_identity(link_tracks(analysis), analysis)
    taken: set[int] = set()
    solved = []
    for i, swap in enumerate(spec.swaps):
        picked = pick_tracks(i, swap, tracks, taken, analysis, references)
        taken.update(t.id for t in picked)
        solved.extend(solve_track(i, swap, t, analysis, spec.solve) for t in picked)
        if not picked:
            solved.append(SolvedSwap(i, swap.source, None, {}))
    apply_overrides(solved, load_overrides(overrides_path(spec.spec_path), spec.plate.frames))
    write_json(spec.output.cache / "tracks.json", SCHEMA,
               {"analysis_key": analysis.key, "solve": asdict(spec.solve),
                "seconds": round(time.perf_counter() - start, 3),
                "tracks": [{"id": t.id, "frames": sorted(t.faces)} for t in tracks],
                "swaps": [_swap_json(s) for s in solved]})
    ctx.log.info("solve: %d tracks, %d swaps", len(tracks), len(solved))
    return solved


def _swap_json(s: SolvedSwap) -> dict[str, Any]:
    return {"swap": s.swap, "source": s.source, "track": s.track,
            "faces": [asdict(f) for f in s.faces.values()],
            "skipped": [{"frame": f, "reason": r} for f, r in sorted(s.skipped.items())]}


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
                       {f["frame"]: SolvedFace(**f) for f in s["faces"]},
                       {k["frame"]: k["reason"] for k in s.get("skipped", [])})
            for s in body["swaps"]]
