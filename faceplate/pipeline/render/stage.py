"""Stage 3, render: swap the solved faces on any set of frames and write frames, mattes
and one QC record per frame (``<qc>/frames/<frame>.json``).

Render reads only the spec, the plate and ``tracks.json``; chunks may run in any
order, in any process. Pixels outside the matte keep the plate's exact values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
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
from faceplate.pipeline.render.result import NOT_RENDERED, FrameOutcome, RenderResult
from faceplate.pipeline.render.resume import (
    is_current,
    output_stamps,
    remove_stale_temporaries,
    render_key,
    stored_record,
)
from faceplate.pipeline.render.swap import (
    PlacedFace,
    has_face_evidence,
    output_identity,
    swap_face,
    warm_up,
)
from faceplate.pipeline.stage_files.proxies import FlipbookProxies
from faceplate.pipeline.stage_files.records import (
    FaceRecord,
    FrameRecord,
    RenderStatus,
    write_record,
)
from faceplate.pipeline.stage_files.tracks import (
    REVIEWER_PREFIX,
    SolvedFace,
    SolvedSwap,
    SolveInMemory,
    SolveSource,
)
from faceplate.plateio.frame import PlateFrame, read_frame
from faceplate.plateio.output import write_frame
from faceplate.plateio.write import AttributeValue, write_matte
from faceplate.spec import QCSpec, ShotSpec
from faceplate.types import Matte


def _check(record: FrameRecord, flag: str, value: float, threshold: float, above: bool,
           what: str) -> None:
    """Flag ``record`` when ``value`` is above (or below) ``threshold``, naming both."""
    if (value > threshold) if above else (value < threshold):
        side = ">" if above else "<"
        record.flag(flag, f"{what}: {value:.3f} {side} {threshold:g}")


def _read_plate(spec: ShotSpec, frame_number: int, pre: Preflight) -> PlateFrame | FrameRecord:
    """The plate frame, or the record of a missing or unreadable one (so the shot carries on)."""
    try:
        return read_frame(spec.plate.path.frame(frame_number), frame_number, pre.frame_limits)
    except PlateError as exc:
        status: RenderStatus = "missing" if isinstance(exc, PlateMissingError) else "unreadable"
        record = FrameRecord(frame_number, status)
        record.flag(f"{status}_frame", str(exc))
        return record


@dataclass
class _Swapped:
    """A frame swapped in memory, not yet written: its record, pixels, matte and attributes,
    and the seconds spent on it so far."""

    record: FrameRecord
    frame: PlateFrame | None = None
    matte: Matte | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    qc: _QC | None = None  # its faces' QC, still to be done (before it is written)
    seconds: float = 0.0


#: The identity descriptor of a swapped face (dlib's ResNet, ~86 ms a face) is measured for QC
#: on its track's first and last frames, every this many frames from its first, and on any frame
#: where another QC check flags the face or a reviewer overrode it; not on every frame.
IDENTITY_EVERY = 8


def identity_due(frame: int, swap: SolvedSwap) -> bool:
    """Whether ``frame`` is a keyframe of ``swap``'s face for the identity check: the first or
    last frame the face is solved on, or every :data:`IDENTITY_EVERY`-th frame from the first
    (the same frames whichever chunks render the shot)."""
    first, last = swap.span()
    return frame in (first, last) or (frame - first) % IDENTITY_EVERY == 0


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
    plate = _read_plate(spec, frame_number, pre)
    swapped = _swap_frame(spec, plate, solved, sources, provenance, ctx, pre)
    swapped.seconds = time.perf_counter() - start
    return _write_swapped(spec, swapped, pre)


def _swap_frame(spec: ShotSpec, plate: PlateFrame | FrameRecord, solved: list[SolvedSwap],
                sources: dict[str, SourceFace], provenance: dict[str, str | int],
                ctx: RunContext, pre: Preflight, nonfinite: int | None = None) -> _Swapped:
    """Swap the solved faces on a read plate frame (in memory) and record what was done
    (``nonfinite``: its count of NaN and Inf values, when the reader counted them)."""
    if isinstance(plate, FrameRecord):
        return _Swapped(plate)
    frame, frame_number = plate, plate.frame
    record = FrameRecord(frame_number, "passthrough")
    colourspace = pre.plate_space()
    models = pre.shot_models()
    record.nonfinite_pixels = frame.nonfinite_count() if nonfinite is None else nonfinite
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
    attributes = dict(provenance)
    attributes["faceplate/facesReplaced"] = len(done)
    attributes["faceplate/frame"] = frame_number
    attributes["ImageDescription"] = description(
        frame.spec.get_string_attribute("ImageDescription") or None, spec)
    qc = _QC(spec.qc, done, skipped, lost, sources, colourspace, ctx)
    return _Swapped(record, frame, matte, attributes, qc)


@dataclass
class _QC:
    """What QC measures of a swapped frame's faces and records, done apart from the swap
    (:meth:`finish`, in the writer's thread while the next frame is swapped)."""

    qc: QCSpec
    done: list[tuple[SolvedSwap, SolvedFace, PlacedFace]]
    skipped: list[str]
    lost: list[str]
    sources: dict[str, SourceFace]
    colourspace: str
    ctx: RunContext

    def finish(self, record: FrameRecord, frame: PlateFrame, matte: Matte) -> None:
        """Measure each swapped face of ``frame`` and fill ``record``: its faces, flags and
        status."""
        qc, done, skipped, lost = self.qc, self.done, self.skipped, self.lost
        sources, colourspace, ctx = self.sources, self.colourspace, self.ctx
        frame_number = record.frame
        for swap, face, placed in done:
            who = f"swap {swap.swap} ({swap.source}) track {face.track}"
            seam, match = placed.measure(ctx.face_pack)
            others = FrameRecord(frame_number, "passthrough")  # this face's other checks
            _check(others, "jitter_spike", face.jitter, qc.max_jitter, True,
                   f"{who}: landmark jitter (× face size)")
            if seam is not None:
                _check(others, "seam_mismatch", seam, qc.max_seam, True,
                       f"{who}: ΔE just inside the matte edge")
            _check_plate_match(others, match, qc, who)
            if face.origin == "detected":
                _check(others, "low_score", face.score, qc.min_score, False,
                       f"{who}: detection score")
            if face.origin == "interpolated":
                others.flag("interpolated_alignment",
                            f"track {face.track}: no usable detection, alignment interpolated")
            if face.unsure:
                others.flag("tracking_unsure", face.unsure)
            to_source = to_original = None
            if identity_due(frame_number, swap) or others.flags or face.override:
                output = output_identity(frame, face, colourspace, ctx)
                to_source = round(identity_distance(output, sources[swap.source].descriptor), 4)
                to_original = round(identity_distance(output, placed.original_identity(face, ctx)),
                                    4)
                _check(record, "identity_far_from_source", to_source, qc.max_identity_distance,
                       True, f"{who}: identity distance to source")
                _check(record, "identity_close_to_original", to_original,
                       qc.min_distance_to_original, False,
                       f"{who}: identity distance to the plate's face")
            for name in others.flags:
                record.flag(name, others.reasons[name])
            record.faces.append(FaceRecord(
                swap.swap, swap.source, face.track, face.bbox,
                to_ibug68(np.asarray(face.landmarks)).round(2).tolist(), face.score,
                to_source, placed.mouth_open, face.pose, face.origin,
                identity_distance_to_original=to_original, jitter=face.jitter,
                matte_area=round(placed.matte_area, 1),
                seam=round(seam, 3) if seam is not None else None,
                **_match_fields(match)))
        record.matte_area = round(float(matte.sum()), 1)
        if skipped:
            record.flag("pose_beyond_limit", "; ".join(skipped))
        if lost:
            record.flag("face_lost", "; ".join(lost))
        if done:
            record.status = "swapped"
        elif not skipped and not lost and not record.overrides and "no_face" not in record.flags:
            record.flag("no_face", "no target face on this frame: passed through unchanged")


def _write_swapped(spec: ShotSpec, swapped: _Swapped, pre: Preflight,
                   measure: ThreadPoolExecutor | None = None) -> FrameRecord:
    """Write a swapped frame's outputs and finish its record (seconds, providers). Its QC is
    measured in ``measure``'s thread while the outputs are written (both only read the
    frame), or here first when there is none.

    Raises:
        _Stop: the disk is full (the record says so).
    """
    start = time.perf_counter()
    record = swapped.record
    frame, matte, qc = swapped.frame, swapped.matte, swapped.qc
    if frame is None or matte is None:
        return record  # missing or unreadable: recorded as such, nothing written
    measured: Future[None] | None = None
    if qc is not None and measure is not None:
        measured = measure.submit(qc.finish, record, frame, matte)
    elif qc is not None:
        qc.finish(record, frame, matte)
    try:
        _write_outputs(spec, frame, record, matte, swapped.attributes, pre,
                       unchanged=qc is not None and not qc.done)
    except OutputError as exc:
        if measured is not None:
            measured.result()  # its status is settled before the failure's overrides it
        record.status, record.output, record.matte = "unwritten", None, None
        record.flag("unwritten_frame", str(exc))
        if isinstance(exc, DiskFullError):
            raise _Stop(record, exc) from None
    if measured is not None:
        measured.result()
    record.seconds = round(swapped.seconds + time.perf_counter() - start, 3)
    record.providers = pre.shot_models().providers()
    return record


class _Stop(Exception):
    """A frame's failure that ends the shot (a full disk), carrying the frame's record."""

    def __init__(self, record: FrameRecord, error: DiskFullError) -> None:
        super().__init__(str(error))
        self.record = record
        self.error = error


def _write_outputs(spec: ShotSpec, frame: PlateFrame, record: FrameRecord, matte: Matte,
                   attributes: Mapping[str, AttributeValue], pre: Preflight, *,
                   unchanged: bool = False) -> None:
    """Write the frame and its matte, naming each in ``record`` once written (``unchanged``:
    no face was swapped, the frame is the plate's pixels).

    Raises:
        OutputError: one could not be written (:class:`DiskFullError`: for lack of space).
    """
    out_path = spec.output.path.frame(frame.frame)
    write_frame(out_path, frame, attributes, matte=matte,
                matte_channel=spec.output.matte_channel, compression=pre.compression,
                pixel_type=spec.output.pixel_type, unchanged=unchanged)
    record.output = str(out_path)
    if spec.output.matte is not None:
        matte_path = spec.output.matte.frame(frame.frame)
        write_matte(matte_path, frame.spec, matte, attributes, frame=frame.frame,
                    compression=pre.compression)
        record.matte = str(matte_path)


def render(spec: ShotSpec, frames: Iterable[int], solved: list[SolvedSwap] | SolveSource,
           sources: dict[str, SourceFace], ctx: RunContext, pre: Preflight, *,
           force: bool = False) -> RenderResult:
    """Render ``frames`` and write one QC record per frame.

    ``solved``: the solved swaps, or a source of them a frame at a time
    (:class:`faceplate.pipeline.stage_files.tracks.SolveByFrame`: a whole shot's meshes are
    then never held). The result holds each frame's outcome, its record stays in its file.

    A frame whose outputs are complete and current (see :mod:`faceplate.pipeline.resume`) is
    not rendered again unless ``force``; a frame that fails is recorded and the rest carry on.
    Frames stream: the next plate frame is read, and the frame before written (its QC
    measured meanwhile in a third thread), in threads while this one is swapped (OpenImageIO
    and the EXR codecs release the GIL); no more than three frames are held at once, and one
    frame's solved faces, however long the shot.

    Raises:
        DiskFullError: a frame could not be written for lack of space (it is recorded; the
            frames after it are not rendered).
        RunStopped: ``ctx.stop`` was set (a signal): raised after the frame in flight is
            written and recorded.
    """
    frames = [int(f) for f in frames]  # a host script may pass numpy integers
    provenance = shot_provenance(spec, ctx, pre.shot_models())
    solves = SolveInMemory(solved) if isinstance(solved, list) else solved
    records: list[FrameOutcome] = []
    reused: list[int] = []
    if frames:
        remove_stale_temporaries(spec, frames[0])
    # a frame's key is worked out ahead only where a stored record may be reused: a frame to
    # render has its faces read once, as it is swapped
    keys: dict[int, str] = {}
    current: dict[int, FrameOutcome] = {}
    for f in [] if force else frames:
        stored = stored_record(spec, f)
        if stored is not None:
            keys[f] = render_key(spec, f, solves.on(f), provenance, pre)
            if is_current(stored, keys[f]):
                current[f] = FrameOutcome.of(stored)
    todo = [f for f in frames if f not in current]
    # the swap's one-off costs, paid only when a frame to render has a face to swap
    warm = ((lambda: warm_up(pre.shot_models().swapper, sources.values()))
            if solves.has_faces(todo) else None)
    helper = ctx.dlib_helper
    if warm is not None and helper is not None:
        # the identity check's helper loads dlib's model while the first frames are read and
        # swapped: the first frame's QC (every face's first frame is measured) does not wait
        helper.start()
    proxies = FlipbookProxies(spec, ctx.colour, pre.plate_colourspace, pre.display, pre.view)
    with _Stream(spec, todo, pre, proxies, warm) as stream:
        for i, f in enumerate(frames):
            if i and ctx.stop.requested:
                stream.settle(records, ctx, frames)
                raise ctx.stop.stopped(f"frame {frames[i - 1]}{NOT_RENDERED}"
                                       f"{_left(frames, i - 1)}")
            if f in current:
                stream.settle(records, ctx, frames)
                records.append(current[f])
                reused.append(f)
                ctx.progress(Progress("render", i + 1, len(frames), f))
                continue
            plate, seconds, nonfinite = stream.plate(f)
            start = time.perf_counter()
            faces = solves.on(f)
            key = keys.get(f) or render_key(spec, f, faces, provenance, pre)
            swapped = _swap_frame(spec, plate, faces, sources, provenance, ctx, pre, nonfinite)
            swapped.seconds = seconds + time.perf_counter() - start
            written = stream.settle(records, ctx, frames)
            if written is not None and ctx.stop.requested:  # the frame in flight was that one
                raise ctx.stop.stopped(f"frame {frames[written]}{NOT_RENDERED}"
                                       f"{_left(frames, written)}")
            stream.write(swapped, key, i)
        stream.settle(records, ctx, frames)
    return RenderResult(records, reused, spec)


#: A plate frame read ahead: the frame (or its failure's record), the seconds the read took,
#: its count of NaN and Inf values (None for a failure).
_Read = tuple[PlateFrame | FrameRecord, float, int | None]


class _Stream:
    """Read-ahead of the plate frames to render (one frame ahead) and write-behind of the
    swapped ones (one frame behind, its QC measured in a thread of its own while it is
    written), each in a thread of its own; the swap's one-off costs (``warm``) paid in the
    writer's thread before its first write."""

    def __init__(self, spec: ShotSpec, todo: list[int], pre: Preflight,
                 proxies: FlipbookProxies | None = None,
                 warm: Callable[[], None] | None = None) -> None:
        self._spec, self._todo, self._pre = spec, todo, pre
        self._proxies, self._warm = proxies, warm
        self._next = {f: i + 1 for i, f in enumerate(todo)}
        self._reads: dict[int, Future[_Read]] = {}
        self._pending: tuple[Future[FrameRecord], str, int, int] | None = None
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="faceplate-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="faceplate-write")
        self._measure = ThreadPoolExecutor(1, thread_name_prefix="faceplate-qc")

    def __enter__(self) -> _Stream:
        if self._todo:
            self._read_ahead(self._todo[0])
        if self._warm is not None:  # in the writer's thread, idle until the first frame's write
            self._writer.submit(self._warm)
        return self

    def __exit__(self, *exc: object) -> None:
        for future in self._reads.values():
            future.cancel()
        self._writer.shutdown(wait=True)
        self._measure.shutdown(wait=True)
        self._reader.shutdown(wait=True, cancel_futures=True)

    def _read_ahead(self, frame: int) -> None:
        self._reads[frame] = self._reader.submit(self._timed_read, frame)

    def _timed_read(self, frame: int) -> _Read:
        start = time.perf_counter()
        plate = _read_plate(self._spec, frame, self._pre)
        nonfinite = plate.nonfinite_count() if isinstance(plate, PlateFrame) else None
        if self._proxies is not None and isinstance(plate, PlateFrame):
            self._proxies.plate(plate)  # before the swap changes its pixels
        return plate, time.perf_counter() - start, nonfinite

    def plate(self, frame: int) -> _Read:
        """The plate frame ``frame`` (or its failure's record), the seconds its read took and
        its count of NaN and Inf values (counted in the reader's thread, off the swap's); the
        read of the frame after it starts."""
        after = self._next[frame]
        if after < len(self._todo):
            self._read_ahead(self._todo[after])
        return self._reads.pop(frame).result()

    def write(self, swapped: _Swapped, key: str, index: int) -> None:
        """Start writing ``swapped`` (outputs, then its record stamped with ``key``)."""
        future = self._writer.submit(self._write_and_store, swapped, key)
        self._pending = (future, key, index, swapped.record.frame)

    def _write_and_store(self, swapped: _Swapped, key: str) -> FrameRecord:
        record = _write_swapped(self._spec, swapped, self._pre, self._measure)
        if self._proxies is not None:
            self._proxies.write(record, swapped.frame, swapped.matte)
        _store(self._spec, record, key)
        return record

    def settle(self, records: list[FrameOutcome], ctx: RunContext,
               frames: list[int]) -> int | None:
        """Wait for the frame being written, add its outcome to ``records`` and return its index
        in ``frames`` (None: no frame was being written).

        Raises:
            DiskFullError: it could not be written for lack of space.
        """
        if self._pending is None:
            return None
        future, key, index, frame = self._pending
        self._pending = None
        try:
            record = future.result()
        except _Stop as stop:
            _store(self._spec, stop.record, key)
            records.append(FrameOutcome.of(stop.record))
            raise DiskFullError(f"{stop.error.message}: the shot stopped"
                                f"{NOT_RENDERED}{_left(frames, index)}", path=stop.error.path,
                                frame=frame) from None
        records.append(FrameOutcome.of(record))
        ctx.progress(Progress("render", index + 1, len(frames), frame))
        return index


def _left(frames: list[int], done: int) -> str:
    """The frames after index ``done``, as a range."""
    return format_frames(frames[done + 1:]) or "none"


def _store(spec: ShotSpec, record: FrameRecord, key: str) -> None:
    """Stamp ``record`` with its render key and what it wrote, and store it (last, so a frame
    whose record stands is complete)."""
    record.render_key = key
    record.outputs = output_stamps([record.output, record.matte])
    write_record(spec, record)
