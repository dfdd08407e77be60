"""One track over time: runs split at cuts, gaps bridged, outliers rejected, each flow-linked
piece's meshes fused with the plate's measured head motion (:mod:`.fuse`: only noise is
filtered) then carried vertex by vertex by the skin's own measured motion (:mod:`.skin`),
colour smoothed with a zero-lag filter, jitter measured in the head's frame, and the yaw limit
applied."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import replace

import numpy as np

from faceplate.face.mesh import EYE_CORNERS
from faceplate.pipeline.motion import Similarity
from faceplate.pipeline.solve.fuse import chain, fuse_piece, savgol
from faceplate.pipeline.solve.link import Track
from faceplate.pipeline.solve.rest import rest_shape
from faceplate.pipeline.solve.skin import follow_skin
from faceplate.pipeline.stage_files.analysis import FaceObservation, ShotAnalysis
from faceplate.pipeline.stage_files.tracks import SolvedFace, SolvedSwap
from faceplate.spec import SolveSpec, SwapSpec

#: A frame whose landmarks stray further than this (× face size) from the track's
#: smooth path is an outlier and is replaced by interpolation.
_OUTLIER = 0.12
#: The outer eye corners of the mesh: the face size over time.
_OUTER = (EYE_CORNERS[0][0], EYE_CORNERS[1][0])


def _sizes(points: np.ndarray) -> np.ndarray:
    """Per frame, the distance between the outer eye corners (in the image) of (n, 478, 3)."""
    return np.linalg.norm(points[:, _OUTER[1], :2] - points[:, _OUTER[0], :2], axis=1)


def smooth_landmarks(points: np.ndarray, window: int) -> np.ndarray:
    """Savitzky–Golay (quadratic, zero lag) smoothing of (frames, ...) values over time."""
    return savgol(points, window)


def _segments(frames: list[int], max_gap: int, analysed: set[int],
              cuts: set[int]) -> list[list[int]]:
    """Runs of frames whose gaps are at most ``max_gap`` frames, all of them analysed, none
    crossing a cut (a frame in ``cuts`` starts a run)."""
    runs: list[list[int]] = []
    for f in frames:
        gap = range(runs[-1][-1] + 1, f) if runs else range(0)
        if (runs and len(gap) <= max_gap and all(g in analysed for g in gap)
                and not any(c in cuts for c in range(runs[-1][-1] + 1, f + 1))):
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
    error = np.linalg.norm((points - path)[..., :2], axis=2).mean(axis=1)
    error = error / np.maximum(_sizes(points), 1e-6)
    return error > _OUTLIER


def _pieces(span: np.ndarray, track: Track, observed: dict[int, FaceObservation]
            ) -> list[list[int]]:
    """Positions in ``span`` of the flow-linked pieces: runs of observed frames, each after
    the first followed by optical flow from the track's face on the frame before."""
    pieces: list[list[int]] = []
    for i, f in enumerate(int(v) for v in span):
        face = observed.get(f)
        if face is None:
            continue
        linked = (pieces and pieces[-1][-1] == i - 1 and face.motion is not None
                  and face.tracked_from == track.faces.get(f - 1))
        if linked:
            pieces[-1].append(i)
        else:
            pieces.append([i])
    return pieces


def _vertex_moves(faces: list[FaceObservation]) -> np.ndarray | None:
    """(frames, points, 2) each mesh vertex's own measured motion from the frame before (NaN
    where its check failed); None unless every face has them."""
    moves = [f.vertices for f in faces]
    if not moves or any(m is None for m in moves):
        return None
    return np.stack(moves).astype(np.float64, copy=False)  # type: ignore[arg-type]


def _solve_segment(track: Track, frames: list[int], analysis: ShotAnalysis,
                   settings: SolveSpec) -> tuple[dict[int, SolvedFace], list[list[int]]]:
    span = np.arange(frames[0], frames[-1] + 1)
    known = np.isin(span, frames)
    observed = {f: analysis.frames[f].faces[track.faces[f]] for f in frames}  # meshes read now
    first = np.asarray(observed[frames[0]].landmarks, np.float64)
    landmarks = np.zeros((len(span), *first.shape))
    landmarks[known] = [observed[f].landmarks for f in frames]
    outlier = np.zeros(len(span), dtype=bool)
    outlier[known] = _outliers(landmarks[known], settings.smoothing)
    valid = known & ~outlier
    if valid.sum() < 2:
        valid = known
    pieces = _pieces(span, track, observed)
    flow = any(len(p) > 1 for p in pieces)
    solved, heads = landmarks.copy(), landmarks.copy()
    placed = valid.copy()
    if settings.smoothing and flow:
        for piece in pieces:
            motions = [Similarity(*observed[int(span[i])].motion)  # type: ignore[misc]
                       for i in piece[1:]]
            if len(piece) > 1 and valid[piece].any():
                solved[piece] = fuse_piece(landmarks[piece], motions, valid[piece],
                                           settings.smoothing)
                moves = _vertex_moves([observed[int(span[i])] for i in piece[1:]])
                if moves is not None:
                    solved[piece] = follow_skin(solved[piece], moves, settings.smoothing)
                placed[piece] = True
                heads[piece] = [h.inverse().apply(m)
                                for h, m in zip(chain(motions), solved[piece])]
    if not placed.all() and placed.sum() >= 2:
        solved = _interpolate(span, placed, solved)
        heads[~placed] = solved[~placed]
    if settings.smoothing and not flow:  # no measured motion (a pack that cannot follow)
        solved = heads = smooth_landmarks(solved, settings.smoothing)
    skin = _series(span, valid, [observed.get(int(f)) for f in span], "skin")
    pose = _series(span, valid, [observed.get(int(f)) for f in span], "pose")
    if settings.smoothing and skin is not None:
        skin = smooth_landmarks(skin, 2 * settings.smoothing + 1)
    jitter = np.zeros(len(span))
    for piece in pieces if flow else [list(range(len(span)))]:
        jitter[piece] = landmark_jitter(heads[piece])
    out = {}
    for i, f in enumerate(span):
        face = observed.get(int(f))
        good = face is not None and valid[i]
        out[int(f)] = SolvedFace(
            int(f), track.id, [round(v, 3) for v in face.bbox] if good and face
            else _bbox(solved[i]), face.score if face else 0.0,
            solved[i].round(2),
            pose[i].round(2).tolist() if pose is not None else None,
            skin[i].round(4).tolist() if skin is not None else None,
            face.origin if good and face else "interpolated",
            round(float(jitter[i]), 4),
            descriptor=[round(v, 5) for v in face.descriptor]
            if good and face and face.descriptor is not None else None,
            unsure=f"track {track.id}: {face.unsure}" if face is not None and face.unsure
            else None)
    segments = [[int(span[p[0]]), int(span[p[-1]])] for p in pieces]
    return out, segments


def landmark_jitter(landmarks: np.ndarray) -> np.ndarray:
    """Per frame, how far the landmarks sit off the straight line between their neighbours
    (mean over points of |L[t] - (L[t-1] + L[t+1]) / 2|), relative to the face size.
    Smooth motion scores near 0; a shake or a pop scores high. Ends of a run score 0."""
    jitter = np.zeros(len(landmarks))
    if len(landmarks) >= 3:
        middle = (landmarks[1:-1] - 0.5 * (landmarks[:-2] + landmarks[2:]))[..., :2]
        size = _sizes(landmarks[1:-1])
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
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    return [float(x0), float(y0), float(x1), float(y1)]


def _apply_yaw_limit(faces: MutableMapping[int, SolvedFace], settings: SolveSpec) -> dict[int, str]:
    """Remove (``pass``) or re-align (``hold``) frames turned beyond the limit; return them."""
    beyond = {f for f, face in faces.items()
              if face.pose is not None and abs(face.pose[0]) > settings.max_yaw}
    if not beyond:
        return {}
    within = sorted(set(faces) - beyond)
    skipped = {}
    for f in sorted(beyond):
        pose = faces[f].pose
        assert pose is not None  # only posed faces are beyond the limit
        yaw = pose[0]
        reason = f"yaw {yaw:.1f}° beyond the limit of {settings.max_yaw:g}°"
        if settings.beyond_yaw == "hold" and within:
            nearest = min(within, key=lambda w: (abs(w - f), w))
            held = faces[nearest]
            faces[f] = SolvedFace(f, held.track, held.bbox, held.score, held.landmarks,
                                  faces[f].pose, held.skin, origin="held", rest=held.rest)
            skipped[f] = f"{reason}: held frame {nearest}'s alignment"
        else:
            del faces[f]
            skipped[f] = f"{reason}: passed through"
    return skipped


def lost_frames(track: Track, faces: Mapping[int, SolvedFace], frames: list[int]) -> dict[int, str]:
    """Every frame from where analysis lost the track's face until it is seen again (or the
    shot ends) that the solve did not bridge, with the reason it was lost."""
    out: dict[int, str] = {}
    seen = sorted(track.faces)
    for at, reason in sorted(track.lost.items()):
        back = next((f for f in seen if f > at), None)
        for f in frames:
            if f >= at and (back is None or f < back) and f not in faces:
                out[f] = f"track {track.id}: face lost at frame {at}, {reason}"
    return out


def solve_track(index: int, swap: SwapSpec, track: Track, analysis: ShotAnalysis,
                settings: SolveSpec, faces: MutableMapping[int, SolvedFace] | None = None
                ) -> SolvedSwap:
    """The solved faces of one swap on one track, and the frames its face was lost on;
    ``faces``: where they are kept (default: a dict; the solve's are kept on disk,
    :class:`~faceplate.pipeline.solve.spool.SpooledFaces`), each segment's as it is solved."""
    faces = {} if faces is None else faces
    analysed = {f for f, a in analysis.outlines().items() if a.status == "ok"}
    cuts = {f for f, a in analysis.outlines().items() if a.cut}
    segments: list[list[int]] = []
    for run in _segments(sorted(track.faces), settings.max_gap, analysed, cuts):
        solved, pieces = _solve_segment(track, run, analysis, settings)
        faces.update(solved)
        segments.extend(pieces)
    rest = rest_shape(f.landmarks for f in faces.values() if f.origin != "interpolated")
    if rest is not None:
        shape = rest.round(4)
        for f in list(faces):
            faces[f] = replace(faces[f], rest=shape)
    skipped = _apply_yaw_limit(faces, settings)
    lost = {f: r for f, r in lost_frames(track, faces, sorted(analysed)).items()
            if f not in skipped}
    return SolvedSwap(index, swap.source, track.id, faces, skipped, lost, segments)
