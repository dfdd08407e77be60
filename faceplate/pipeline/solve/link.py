"""Faces into tracks: frame-to-frame linking (a face the analysis followed by its mesh joins the
track of the face it was followed from; others by box overlap, never across identities),
joining tracks of one person across absences, the frames where analysis lost each track's
face, and picking the tracks each swap replaces."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faceplate.errors import SpecError
from faceplate.models.dlib_pack import identity_distance
from faceplate.pipeline.stage_files.analysis import FaceObservation, ShotAnalysis
from faceplate.spec import SwapSpec
from faceplate.types import Descriptor

_MIN_IOU = 0.3
_MAX_LINK_GAP = 3
#: Faces whose descriptors are farther apart than this are never linked frame to frame.
_DIFFERENT_PERSON = 0.6
#: Tracks apart in time whose mean descriptors are closer than this are one person.
_SAME_PERSON = 0.5
#: Beyond this yaw (degrees) a descriptor says little about identity: it never splits a link.
_DESCRIPTOR_YAW = 45.0


@dataclass
class Track:
    """A face followed over frames: frame → index of the face in that frame's analysis, and
    the frames where analysis lost it (frame → reason)."""

    id: int
    faces: dict[int, int] = field(default_factory=dict)
    lost: dict[int, str] = field(default_factory=dict)


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _turned(face: FaceObservation) -> bool:
    return face.pose is not None and abs(face.pose[0]) > _DESCRIPTOR_YAW


def _different_people(a: FaceObservation, b: FaceObservation) -> bool:
    if a.descriptor is None or b.descriptor is None or _turned(a) or _turned(b):
        return False
    return identity_distance(np.asarray(a.descriptor), np.asarray(b.descriptor)) > _DIFFERENT_PERSON


def _remember(identity: dict[int, FaceObservation], track: int, face: FaceObservation) -> None:
    if face.descriptor is not None:
        identity[track] = face


def link_tracks(analysis: ShotAnalysis) -> list[Track]:
    """Frame-to-frame association: a followed face joins the track of the face it was followed
    from; the others greedily by box overlap (never across identities, never across a cut),
    bridging gaps of up to three frames. A face analysis lost is recorded on its track.
    Analysis measures identity on its keyframes only: a track's identity is its latest face
    that has a descriptor."""
    tracks: list[Track] = []
    last: dict[int, tuple[int, FaceObservation]] = {}
    identity: dict[int, FaceObservation] = {}  # track -> its latest face with a descriptor
    outlines = analysis.outlines()  # no mesh is needed
    for frame in sorted(outlines):
        faces = outlines[frame].faces
        holder = {tracks[tid].faces[when]: tid for tid, (when, _) in last.items()
                  if when == frame - 1}
        for lost in outlines[frame].lost:
            if lost.previous in holder:
                tracks[holder[lost.previous]].lost[frame] = lost.reason
        if outlines[frame].cut:  # nothing is linked across a cut
            last.clear()
            holder.clear()
        used_tracks, used_faces = set(), set()
        for i, face in enumerate(faces):
            tid = holder.get(face.tracked_from) if face.tracked_from is not None else None
            if tid is not None and tid not in used_tracks:
                tracks[tid].faces[frame] = i
                last[tid] = (frame, face)
                _remember(identity, tid, face)
                used_tracks.add(tid)
                used_faces.add(i)
        pairs = sorted(((_iou(seen.bbox, face.bbox), tid, i)
                        for tid, (when, seen) in last.items() if frame - when <= _MAX_LINK_GAP + 1
                        for i, face in enumerate(faces)), reverse=True)
        for overlap, tid, i in pairs:
            if overlap < _MIN_IOU or tid in used_tracks or i in used_faces:
                continue
            if _different_people(identity.get(tid, last[tid][1]), faces[i]):
                continue
            tracks[tid].faces[frame] = i
            last[tid] = (frame, faces[i])
            _remember(identity, tid, faces[i])
            used_tracks.add(tid)
            used_faces.add(i)
        for i, face in enumerate(faces):
            if i not in used_faces and face.score >= 0:
                tracks.append(Track(len(tracks), {frame: i}))
                last[len(tracks) - 1] = (frame, face)
                _remember(identity, len(tracks) - 1, face)
    return tracks


def face_at(analysis: ShotAnalysis, frame: int, index: int) -> FaceObservation:
    """A face's outline: its figures, its mesh left out when the analysis is stored."""
    return analysis.outlines()[frame].faces[index]


def _mean_descriptor(track: Track, analysis: ShotAnalysis) -> Descriptor | None:
    found = [d for f, i in track.faces.items()
             if (d := face_at(analysis, f, i).descriptor) is not None]
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
                known = identities[i]
                if known is None or max(other.faces) >= min(track.faces):
                    continue
                if identity_distance(known, identity) < _SAME_PERSON:
                    home = i
                    break
        if home is None:
            merged.append(Track(len(merged), dict(track.faces), dict(track.lost)))
            identities.append(identity)
        else:
            merged[home].faces.update(track.faces)
            merged[home].lost.update(track.lost)
            identities[home] = _mean_descriptor(merged[home], analysis)
    return merged


def _area(face: FaceObservation) -> float:
    x0, y0, x1, y1 = face.bbox
    return (x1 - x0) * (y1 - y0)


def _track_size(track: Track, analysis: ShotAnalysis) -> float:
    """Total face area over the shot: a long, large track beats a brief one."""
    return sum(_area(face_at(analysis, f, i)) for f, i in track.faces.items())


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
                            f"(tracks: 0-{len(tracks) - 1})" if tracks
                            else "no face tracks in this shot", key=f"swaps[{index}].target.track")
        return found
    if not free:
        return []
    if kind == "all":
        return free
    if kind == "reference":
        return [min(free, key=lambda t: _track_distance(t, analysis, references[index]))]
    return [max(free, key=lambda t: _track_size(t, analysis))]
