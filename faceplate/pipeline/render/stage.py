"""Stage 3, render: swap the solved faces on any set of frames and write frames, mattes
and one QC record per frame (``<qc>/frames/<frame>.json``).

Render reads only the spec, the plate and ``tracks.json``; chunks may run in any
order, in any process. Pixels outside the matte keep the plate's exact values.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from faceplate.errors import (
    DiskFullError,
    OutputError,
    PlateError,
    PlateMissingError,
)
from faceplate.face.mesh import to_ibug68
from faceplate.face.swapper import SourceFace
from faceplate.frames import format_frames
from faceplate.models.dlib_pack import identity_distance
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.provenance import description, shot_provenance
from faceplate.pipeline.render.plate_match import PlateMatch
from faceplate.pipeline.render.resume import (
    is_current,
    output_stamps,
    remove_stale_temporaries,
    render_key,
    stored_record,
)
from faceplate.pipeline.render.swap import PlacedFace, has_face_evidence, output_identity, swap_face
from faceplate.pipeline.stage_files.records import (
    FAILED_STATUSES,
    FaceRecord,
    FrameRecord,
    RenderStatus,
    write_record,
)
from faceplate.pipeline.stage_files.tracks import REVIEWER_PREFIX, SolvedFace, SolvedSwap
from faceplate.plateio.frame import PlateFrame, read_frame
from faceplate.plateio.output import write_frame
from faceplate.plateio.write import AttributeValue, write_matte
from faceplate.spec import QCSpec, ShotSpec
from faceplate.types import Matte


@dataclass
class RenderResult:
    """Frames written and frames that could not be, with their records.

    ``reused`` lists the frames whose outputs were already complete and current (not rendered
    again; their records are the stored ones)."""

    records: list[FrameRecord]
    reused: list[int] = field(default_factory=list)

    @property
    def failed(self) -> list[int]:
        return [r.frame for r in self.records if r.status in FAILED_STATUSES]


def _check(record: FrameRecord, flag: str, value: float, threshold: float, above: bool,
           what: str) -> None:
    """Flag ``record`` when ``value`` is above (or below) ``threshold``, naming both."""
    if (value > threshold) if above else (value < threshold):
        side = ">" if above else "<"
        record.flag(flag, f"{what}: {value:.3f} {side} {threshold:g}")


def _match_fields(match: PlateMatch) -> dict[str, float | None]:
    """A face's plate-match measures under their record names."""
    values = match.rounded()
    return {"highlight": values["highlight"], "detail_ratio": values["detail"],
            "grain_ratio": values["grain"], "eye_difference": values["eye"],
            "mouth_difference": values["mouth"], "hard_edge": values["edge"]}


def _check_plate_match(record: FrameRecord, match: PlateMatch, qc: QCSpec, who: str) -> None:
    """Flag the measures of how a face sits in its plate that pass their ``qc`` thresholds."""
    if match.highlight is not None:
        _check(record, "highlight_mismatch", abs(match.highlight), qc.max_highlight, True,
               f"{who}: |99th-percentile L* - the plate's|")
    if match.detail is not None:
        _check(record, "detail_mismatch", match.detail, qc.max_detail_ratio, True,
               f"{who}: detail ratio (crisper than the plate)")
        _check(record, "detail_mismatch", match.detail, qc.min_detail_ratio, False,
               f"{who}: detail ratio (softer than the plate)")
    if match.grain is not None:
        _check(record, "grain_mismatch", abs(match.grain - 1.0), qc.max_grain_difference, True,
               f"{who}: |grain ratio - 1|")
    if match.eye is not None:
        _check(record, "eye_mismatch", abs(match.eye), qc.max_eye_difference, True,
               f"{who}: |eye opening - the plate's|")
    if match.mouth is not None:
        _check(record, "mouth_mismatch", abs(match.mouth), qc.max_mouth_difference, True,
               f"{who}: |mouth opening - the plate's|")
    if match.edge is not None:
        _check(record, "hard_edge", match.edge, qc.max_hard_edge, True,
               f"{who}: L* gradient over the plate's on the matte's soft edge")


def render_frame(spec: ShotSpec, frame_number: int, solved: list[SolvedSwap],
                 sources: dict[str, SourceFace], provenance: dict[str, str | int],
                 ctx: RunContext, pre: Preflight) -> FrameRecord:
    """Swap, write and record one frame. A missing or unreadable plate frame is recorded,
    not raised, so the rest of the shot carries on."""
    start = time.perf_counter()
    plate_path = spec.plate.path.frame(frame_number)
    try:
        frame = read_frame(plate_path, frame_number, pre.frame_limits)
    except PlateError as exc:
        status: RenderStatus = "missing" if isinstance(exc, PlateMissingError) else "unreadable"
        record = FrameRecord(frame_number, status)
        record.flag(f"{status}_frame", str(exc))
        return record
    record = FrameRecord(frame_number, "passthrough")
    colourspace = pre.plate_space()
    models = pre.shot_models()
    record.nonfinite_pixels = frame.nonfinite_count()
    if record.nonfinite_pixels:
        record.flag("non_finite_pixels",
                    f"{record.nonfinite_pixels} NaN/Inf values in the plate's RGB")
    matte = np.zeros((frame.spec.height, frame.spec.width), dtype=np.float32)
    done: list[tuple[SolvedSwap, SolvedFace, PlacedFace]] = []
    skipped, lost = [], []
    for swap in solved:
        if frame_number in swap.lost:
            lost.append(f"swap {swap.swap}: {swap.lost[frame_number]}: not swapped")
        reason = swap.skipped.get(frame_number)
        if reason is not None and reason.startswith(REVIEWER_PREFIX):
            record.overrides.append(f"swap {swap.swap} track {swap.track}: {reason}")
        elif reason is not None:
            skipped.append(f"swap {swap.swap} track {swap.track}: {reason}")
        face = swap.faces.get(frame_number)
        if face is None:
            continue
        if face.override:
            record.overrides.append(f"swap {swap.swap} track {swap.track}: {face.override}")
        if face.origin == "interpolated" and not has_face_evidence(frame, face, colourspace,
                                                                  models.faces, ctx):
            record.flag("no_face", f"track {face.track}: interpolated alignment rejected, no "
                                   "face-like detail on the plate there: passed through")
            continue
        placed = swap_face(frame, face, sources[swap.source], colourspace, matte,
                           models.swapper, ctx)
        if placed is not None:
            done.append((swap, face, placed))
    qc = spec.qc
    for swap, face, placed in done:
        output = output_identity(frame, placed.box, face, colourspace, ctx)
        to_source = identity_distance(output, sources[swap.source].descriptor)
        to_original = identity_distance(output, placed.original)
        record.faces.append(FaceRecord(
            swap.swap, swap.source, face.track, face.bbox,
            to_ibug68(np.asarray(face.landmarks)).round(2).tolist(), face.score,
            round(to_source, 4), placed.mouth_open, face.pose, face.origin,
            identity_distance_to_original=round(to_original, 4), jitter=face.jitter,
            matte_area=round(placed.matte_area, 1),
            seam=round(placed.seam, 3) if placed.seam is not None else None,
            **_match_fields(placed.match)))
        who = f"swap {swap.swap} ({swap.source}) track {face.track}"
        _check(record, "identity_far_from_source", to_source, qc.max_identity_distance, True,
               f"{who}: identity distance to source")
        _check(record, "identity_close_to_original", to_original, qc.min_distance_to_original,
               False, f"{who}: identity distance to the plate's face")
        _check(record, "jitter_spike", face.jitter, qc.max_jitter, True,
               f"{who}: landmark jitter (× face size)")
        if placed.seam is not None:
            _check(record, "seam_mismatch", placed.seam, qc.max_seam, True,
                   f"{who}: ΔE just inside the matte edge")
        _check_plate_match(record, placed.match, qc, who)
        if face.origin == "detected":
            _check(record, "low_score", face.score, qc.min_score, False,
                   f"{who}: detection score")
        if face.origin == "interpolated":
            record.flag("interpolated_alignment",
                        f"track {face.track}: no usable detection, alignment interpolated")
        if face.unsure:
            record.flag("tracking_unsure", face.unsure)
    record.matte_area = round(float(matte.sum()), 1)
    if skipped:
        record.flag("pose_beyond_limit", "; ".join(skipped))
    if lost:
        record.flag("face_lost", "; ".join(lost))
    if done:
        record.status = "swapped"
    elif not skipped and not lost and not record.overrides and "no_face" not in record.flags:
        record.flag("no_face", "no target face on this frame: passed through unchanged")
    attributes = dict(provenance)
    attributes["faceplate/facesReplaced"] = len(done)
    attributes["faceplate/frame"] = frame_number
    attributes["ImageDescription"] = description(
        frame.spec.get_string_attribute("ImageDescription") or None, spec)
    try:
        _write_outputs(spec, frame, record, matte, attributes, pre)
    except OutputError as exc:
        record.status, record.output, record.matte = "unwritten", None, None
        record.flag("unwritten_frame", str(exc))
        if isinstance(exc, DiskFullError):
            raise _Stop(record, exc) from None
    record.seconds = round(time.perf_counter() - start, 3)
    record.providers = models.providers()
    return record


class _Stop(Exception):
    """A frame's failure that ends the shot (a full disk), carrying the frame's record."""

    def __init__(self, record: FrameRecord, error: DiskFullError) -> None:
        super().__init__(str(error))
        self.record = record
        self.error = error


def _write_outputs(spec: ShotSpec, frame: PlateFrame, record: FrameRecord, matte: Matte,
                   attributes: Mapping[str, AttributeValue], pre: Preflight) -> None:
    """Write the frame and its matte, naming each in ``record`` once written.

    Raises:
        OutputError: one could not be written (:class:`DiskFullError`: for lack of space).
    """
    out_path = spec.output.path.frame(frame.frame)
    write_frame(out_path, frame, attributes, matte=matte,
                matte_channel=spec.output.matte_channel, compression=pre.compression,
                pixel_type=spec.output.pixel_type)
    record.output = str(out_path)
    if spec.output.matte is not None:
        matte_path = spec.output.matte.frame(frame.frame)
        write_matte(matte_path, frame.spec, matte, attributes, frame=frame.frame,
                    compression=pre.compression)
        record.matte = str(matte_path)


def render(spec: ShotSpec, frames: Iterable[int], solved: list[SolvedSwap],
           sources: dict[str, SourceFace], ctx: RunContext, pre: Preflight, *,
           force: bool = False) -> RenderResult:
    """Render ``frames`` and write one QC record per frame.

    A frame whose outputs are complete and current (see :mod:`faceplate.pipeline.resume`) is
    not rendered again unless ``force``; a frame that fails is recorded and the rest carry on.

    Raises:
        DiskFullError: a frame could not be written for lack of space (it is recorded; the
            frames after it are not rendered).
        RunStopped: ``ctx.stop`` was set (a signal): raised after the frame in flight is
            written and recorded.
    """
    frames = [int(f) for f in frames]  # a host script may pass numpy integers
    provenance = shot_provenance(spec, ctx, pre.shot_models())
    records, reused = [], []
    if frames:
        remove_stale_temporaries(spec, frames[0])
    for i, f in enumerate(frames):
        key = render_key(spec, f, solved, provenance, pre)
        stored = None if force else stored_record(spec, f)
        if stored is not None and is_current(stored, key):
            records.append(FrameRecord.from_dict(stored))
            reused.append(f)
        else:
            try:
                record = render_frame(spec, f, solved, sources, provenance, ctx, pre)
            except _Stop as stop:
                _keep(spec, stop.record, key, records)
                raise DiskFullError(f"{stop.error.message}: the shot stopped; frames not "
                                    f"rendered: {_left(frames, i)}", path=stop.error.path,
                                    frame=f) from None
            _keep(spec, record, key, records)
        ctx.progress(Progress("render", i + 1, len(frames), f))
        if i + 1 < len(frames) and ctx.stop.requested:
            raise ctx.stop.stopped(f"frame {f}; frames not rendered: {_left(frames, i)}")
    return RenderResult(records, reused)


def _left(frames: list[int], done: int) -> str:
    """The frames after index ``done``, as a range."""
    return format_frames(frames[done + 1:]) or "none"


def _keep(spec: ShotSpec, record: FrameRecord, key: str, records: list[FrameRecord]) -> None:
    """Stamp ``record`` with its render key and what it wrote, store it (last, so a frame whose
    record stands is complete), and add it to ``records``."""
    record.render_key = key
    record.outputs = output_stamps([record.output, record.matte])
    write_record(spec, record)
    records.append(record)
