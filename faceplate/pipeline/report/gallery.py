"""The review page's images, in a folder of their own (``<qc>/review/``): a proxy of plate and
result for every frame (the flipbook), and face crops at 1:1 (plate, result, matte,
difference) for the frames a reviewer looks at closely: flagged, decided, and a few samples.
Every file is listed in the folder's ``written.json``; one whose sources are unchanged is kept,
and only listed files are ever deleted."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from faceplate.ocio.display import PROXY_LUT_SIZE, proxy_display_processor
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.report.images import (
    CROP_MARGIN,
    DIFFERENCE_GAIN,
    DisplayImage,
    bgr,
    crop_box,
    difference,
    face_crop,
    proxy,
    read_display,
    write_image,
)
from faceplate.pipeline.report.written import WrittenFiles, content_key, file_stamp
from faceplate.pipeline.stage_files.display_tables import ShotTables
from faceplate.pipeline.stage_files.paths import to_shot
from faceplate.pipeline.stage_files.proxies import (
    KINDS,
    PROXY_QUALITY,
    PROXY_WIDTH,
    proxy_look,
    proxy_path,
)
from faceplate.pipeline.stage_files.records import FAILED_STATUSES
from faceplate.plateio.frame import Box
from faceplate.plateio.limits import FrameLimits
from faceplate.spec import ShotSpec
from faceplate.written import write_bytes

FOLDER = "review"
SAMPLES = 6
#: Frames whose face crops are made at once, each in a thread (the EXR reads, display
#: transform and PNG encoding release the GIL for most of their time).
CROP_WORKERS = 2
CROP_KINDS = ("plate", "result", "matte", "diff")


@dataclass
class FrameImages:
    """One frame's review images, as paths relative to the QC folder. ``run``: the frames of
    a flagged run whose crops are this frame's (first) or whose crops this frame shows
    (``crops_of``: that run's first frame)."""

    proxies: dict[str, str] = field(default_factory=dict)
    crops: dict[str, str] = field(default_factory=dict)
    crop_box: Box | None = None
    run: list[int] = field(default_factory=list)
    crops_of: int | None = None


@dataclass
class Gallery:
    """Every frame's review images and what they weigh."""

    frames: dict[int, FrameImages]
    display: str
    view: str
    proxy_bytes: int = 0
    proxy_count: int = 0
    crop_bytes: int = 0
    crop_count: int = 0
    sheet_rows: int = 0
    sheet_of: int = 0
    removed: list[str] = field(default_factory=list)


def _union(faces: list[dict[str, Any]]) -> list[float]:
    boxes = np.array([f["bbox"] for f in faces], dtype=float)
    return [boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()]


def face_region(frame: int, records: dict[int, dict[str, Any]]) -> list[float] | None:
    """The faces' box on ``frame``, else on the nearest frame that has faces (None: no face
    anywhere in the shot)."""
    with_faces = [f for f, r in records.items() if r.get("faces")]
    if not with_faces:
        return None
    nearest = min(with_faces, key=lambda f: (abs(f - frame), f))
    return _union(records[nearest]["faces"])


def _display_size(path: Path) -> tuple[int, int] | None:
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        oiio.geterror()  # taken: else OpenImageIO prints it when the process exits
        return None
    try:
        spec = inp.spec()
        return spec.full_width, spec.full_height
    finally:
        inp.close()


def plate_aspect(spec: ShotSpec) -> float:
    """The display window's width over its height, in square pixels, of the first plate frame
    that opens (16:9 if none does)."""
    for f in spec.plate.frames:
        inp = oiio.ImageInput.open(str(spec.plate.path.frame(f)))
        if inp is None:
            oiio.geterror()  # taken, as above
            continue
        try:
            header = inp.spec()
            aspect = header.get_float_attribute("PixelAspectRatio") or 1.0
            return header.full_width * aspect / max(header.full_height, 1)
        finally:
            inp.close()
    return 16 / 9


def flagged_runs(records: list[dict[str, Any]]) -> list[list[int]]:
    """The written, flagged frames without reviewer decisions, in runs: consecutive frames
    with the same flags."""
    runs: list[list[int]] = []
    previous: dict[str, Any] | None = None
    for r in records:
        if not (r.get("output") and r["flags"] and not r.get("decisions")):
            previous = None
            continue
        if (previous is not None and r["frame"] == previous["frame"] + 1
                and sorted(r["flags"]) == sorted(previous["flags"])):
            runs[-1].append(r["frame"])
        else:
            runs.append([r["frame"]])
        previous = r
    return runs


def close_look_frames(records: list[dict[str, Any]]) -> list[int]:
    """Frames that get face crops: every decided frame that was written, the first frame of
    each run of consecutive flagged frames with the same flags (:func:`flagged_runs`; a shot
    with no face is one run, not one crop a frame), and ``SAMPLES`` evenly spaced unflagged
    others."""
    written = [r for r in records if r.get("output")]
    chosen = [r["frame"] for r in written if r.get("decisions")]
    chosen += [run[0] for run in flagged_runs(records)]
    rest = [r["frame"] for r in written if not r["flags"] and not r.get("decisions")]
    step = max(1, len(rest) // SAMPLES)
    return sorted(chosen + rest[::step][:SAMPLES])


class _Sources:
    """A frame's images, read once and only if some file needs them (headers held to the
    shot's frame limits before decoding, as rendering reads them), possibly ahead in a
    reader's thread (:meth:`prefetch`). A frame passed through with nothing under its matte
    (``unchanged``) wrote the plate's pixels as its result, so the plate's decode (and its
    proxy) stands for the result's: one decode and one display transform instead of two."""

    def __init__(self, paths: dict[str, str | None], frame: int, limits: FrameLimits,
                 unchanged: bool = False) -> None:
        self.paths, self.frame, self.limits = paths, frame, limits
        self.unchanged = unchanged and paths.get("plate") is not None
        self._read: dict[str, DisplayImage | None] = {}
        self._parts: dict[tuple[str, Box], DisplayImage | None] = {}
        self._proxies: dict[str, np.ndarray | None] = {}
        self._pending: Future[None] | None = None

    def source_of(self, kind: str) -> str:
        """Whose pixels show ``kind``."""
        return "plate" if kind == "result" and self.unchanged else kind

    def prefetch(self, reader: ThreadPoolExecutor, kinds: list[str], box: Box | None = None,
                 parts: tuple[str, ...] = ()) -> None:
        """Start reading ``kinds`` whole, and ``box`` of ``parts``, in ``reader`` (the EXR
        decode releases the GIL)."""
        def read() -> None:
            for kind in kinds:
                self._load(self.source_of(kind))
            for kind in parts:
                if box is not None:
                    self._part(self.source_of(kind), box)
        self._pending = reader.submit(read)

    def _load(self, kind: str) -> DisplayImage | None:
        if kind not in self._read:
            self._read[kind] = read_display(self.paths.get(kind), self.frame, self.limits,
                                            grey=kind == "matte")
        return self._read[kind]

    def get(self, kind: str, box: Box | None = None) -> DisplayImage | None:
        """``kind``'s image: the whole display window, or with ``box`` at least that part of
        it (the part alone decoded unless the whole is)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()
        kind = self.source_of(kind)
        if box is None or kind in self._read:
            return self._load(kind)
        return self._part(kind, box)

    def _part(self, kind: str, box: Box) -> DisplayImage | None:
        if (kind, box) not in self._parts:
            self._parts[(kind, box)] = read_display(self.paths.get(kind), self.frame,
                                                    self.limits, grey=kind == "matte",
                                                    box=box)
        return self._parts[(kind, box)]

    def proxy(self, kind: str, processor: ocio.CPUProcessor) -> np.ndarray | None:
        """The flipbook proxy of ``kind`` (None: no image)."""
        kind = self.source_of(kind)
        if kind not in self._proxies:
            source = self.get(kind)
            self._proxies[kind] = None if source is None else proxy(source, processor)
        return self._proxies[kind]

    def release(self) -> None:
        """Drop the decoded images and the proxies made of them (waiting for a read in
        flight): the report holds one frame's images at a time, however long the shot."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        self._read.clear()
        self._parts.clear()
        self._proxies.clear()


def unchanged(record: dict[str, Any]) -> bool:
    """Whether a frame's output holds the plate's pixels: passed through, nothing under its
    matte."""
    return record.get("status") == "passthrough" and record.get("matte_area") == 0.0


def make_gallery(spec: ShotSpec, records: list[dict[str, Any]], ctx: RunContext,
                 pre: Preflight) -> Gallery:
    """Write (or keep) the proxies and crops of the shot's frames; delete listed files no
    longer needed."""
    folder = spec.output.qc / FOLDER
    files = WrittenFiles(folder)
    # proxies and crops through the display transform baked into a LUT (within a few code
    # values of the exact one; an eighth of its cost), made only if an image is made here:
    # the table render baked is read from the shot's cache
    processor = cache(lambda: proxy_display_processor(ctx.colour, pre.plate_space(),
                                                      pre.display, pre.view,
                                                      tables=ShotTables(spec)))
    look = {pre.display, pre.view, ctx.colour.choice.uri}
    rendered_look = (proxy_look(ctx.colour.choice.uri, pre.plate_colourspace, pre.display,
                                pre.view) if pre.plate_colourspace is not None else None)
    by_frame = {r["frame"]: r for r in records}
    crops_for = set(close_look_frames(records))
    runs = {f: run for run in flagged_runs(records) for f in run if len(run) > 1}
    gallery = Gallery({}, pre.display, pre.view)
    frames = list(spec.plate.frames)
    plans: dict[int, _Plan] = {}  # index -> a frame's plan made ahead (next, or crops due)

    def plan_of(i: int, keep: bool = True) -> _Plan:
        plan = plans.get(i) or _plan(spec, frames[i], by_frame.get(frames[i]) or {}, look,
                                     rendered_look, pre)
        if keep:
            plans[i] = plan
        return plan

    to_crop: dict[int, Box] = {}  # frame index -> the box of crops to make (not current)
    for i, f in enumerate(frames):
        if f not in crops_for:
            continue
        plan = plan_of(i, keep=False)
        target = _crop_target(f, by_frame, plan.paths, plan.stamps, look)
        if target is not None and not all(files.current(_crop_name(f, k), target[1])
                                          for k in CROP_KINDS):
            to_crop[i] = target[0]
    fetched: set[int] = set()
    cropping: list[Future[None]] = []  # frames whose crops are being made, oldest first
    # the next frame's stale proxies are decoded in a thread while this frame's are made;
    # a frame's plan is made when it (or a read ahead) needs it, and dropped once it is done;
    # crops are made in threads of their own (:data:`CROP_WORKERS` frames at a time)
    with ThreadPoolExecutor(1, thread_name_prefix="faceplate-review-read") as reader, \
            ThreadPoolExecutor(CROP_WORKERS, thread_name_prefix="faceplate-review-crop") as cropper:
        for i in range(len(frames)):
            plan = plan_of(i)
            if i + 1 < len(frames):
                after = plan_of(i + 1)
                stale = [k for k, key in after.keys.items()
                         if after.stamps[k] is not None and k not in after.rendered
                         and not files.current(_proxy_name(after.frame, k), key)]
                if stale:
                    after.sources.prefetch(reader, stale)
            # the boxes of the next frame due for new crops are read while this one's are
            # encoded
            coming = next((j for j in to_crop if j > i), None)
            if coming is not None and coming not in fetched:
                fetched.add(coming)
                plan_of(coming).sources.prefetch(reader, [], to_crop[coming],
                                                 ("plate", "result", "matte"))
            del plans[i]
            f, images = plan.frame, FrameImages()
            for kind, key in plan.keys.items():
                name = _proxy_name(f, kind)
                write = (_copier(plan.rendered[kind]) if kind in plan.rendered
                         else _writer(plan.sources, kind, processor))
                if plan.stamps[kind] is not None and files.ensure(name, key, write):
                    images.proxies[kind] = f"{FOLDER}/{name}"
            if f in crops_for:
                if len(cropping) == CROP_WORKERS:  # no more frames' images held than that
                    cropping.pop(0).result()
                cropping.append(cropper.submit(_crops, f, by_frame, plan, processor, look,
                                               files, images))
            else:
                plan.sources.release()
            if f in runs:
                images.run = runs[f]
            gallery.frames[f] = images
        for crops in cropping:
            crops.result()
    for f, run in runs.items():  # the rest of a run shows its first frame's crops
        if f != run[0] and gallery.frames[run[0]].crops:
            gallery.frames[f].crops_of = run[0]
    gallery.proxy_bytes, gallery.proxy_count = files.bytes("proxy/"), files.count("proxy/")
    gallery.crop_bytes, gallery.crop_count = files.bytes("crop/"), files.count("crop/")
    gallery.removed = files.finish()
    return gallery


@dataclass
class _Plan:
    """A frame's review sources (not read yet), the proxies render made of it that are
    current (``rendered``: kind → file) and its proxies' keys."""

    frame: int
    paths: dict[str, str | None]
    stamps: dict[str, list[int] | None]
    sources: _Sources
    keys: dict[str, str]
    rendered: dict[str, Path] = field(default_factory=dict)


def _proxy_name(frame: int, kind: str) -> str:
    return f"proxy/{frame}.{kind}.jpg"


def rendered_proxies(spec: ShotSpec, record: dict[str, Any],
                     look: str | None) -> dict[str, Path]:
    """The flipbook proxies render wrote for ``record``'s frame that stand as it recorded
    them and were shown through ``look`` (kind → file): a result render left out is the
    plate's (render found nothing changed)."""
    made = record.get("proxies") or {}
    if look is None or made.get("look") != look:
        return {}
    found = {}
    for kind in KINDS:
        path = proxy_path(spec, record["frame"], kind)
        if made.get(kind) is not None and file_stamp(path) == made[kind]:
            found[kind] = path
    if "plate" in found and "result" not in made:
        found["result"] = found["plate"]
    return found


def _plan(spec: ShotSpec, f: int, record: dict[str, Any], look: set[str],
          rendered_look: str | None, pre: Preflight) -> _Plan:
    # a frame rendering refused or could not write gets no images: its plate is not
    # decoded again (a deep or oversized file, a decompression bomb)
    failed = record.get("status") in FAILED_STATUSES
    paths = {"plate": None if failed else str(spec.plate.path.frame(f)),
             "result": record.get("output"), "matte": record.get("matte")}
    stamps = {k: file_stamp(Path(p)) if p else None for k, p in paths.items()}
    named = {k: to_shot(spec, p) if p else None for k, p in paths.items()}
    keys = {kind: content_key(kind=kind, path=named[kind], stamp=stamps[kind],
                              look=sorted(look), width=PROXY_WIDTH, quality=PROXY_QUALITY,
                              lut=PROXY_LUT_SIZE) for kind in KINDS}
    rendered = rendered_proxies(spec, record, rendered_look) if not failed else {}
    for kind, path in rendered.items():
        keys[kind] = content_key(kind=kind, rendered=to_shot(spec, path),
                                 stamp=file_stamp(path))
    return _Plan(f, paths, stamps, _Sources(paths, f, pre.frame_limits, unchanged(record)),
                 keys, rendered)


def _copier(source: Path) -> Callable[[Path], bool]:
    """Write a copy of render's proxy ``source`` (False: it went since it was looked at). A
    copy, not a hard link: its bytes cost about a third of a millisecond a proxy, and a linked
    temporary would carry render's mtime, which the stale-temporary rule reads
    (:mod:`faceplate.written`)."""
    def write(path: Path) -> bool:
        try:
            data = source.read_bytes()
        except FileNotFoundError:
            return False
        write_bytes(path, data, record=True)
        return True
    return write


def _writer(sources: _Sources, kind: str,
            processor: Callable[[], ocio.CPUProcessor]) -> Callable[[Path], bool]:
    def write(path: Path) -> bool:
        image = sources.proxy(kind, processor())
        if image is None:
            return False
        write_image(path, image)
        return True
    return write


def _crop_name(frame: int, kind: str) -> str:
    return f"crop/{frame}.{kind}.png"


def _crop_target(frame: int, records: dict[int, dict[str, Any]], paths: dict[str, str | None],
                 stamps: dict[str, list[int] | None], look: set[str]) -> tuple[Box, str] | None:
    """A frame's crop box and the key of its crops (None: no crops, nothing written)."""
    region = face_region(frame, records)
    size = _display_size(Path(paths["plate"] or ""))
    if size is None or stamps["result"] is None:
        return None
    box = (crop_box(region, size) if region is not None
           else Box(size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4))
    key = content_key(box=[box.x0, box.y0, box.x1, box.y1], stamps=stamps, look=sorted(look),
                      margin=CROP_MARGIN, gain=DIFFERENCE_GAIN, lut=PROXY_LUT_SIZE)
    return box, key


def _crops(frame: int, records: dict[int, dict[str, Any]], plan: _Plan,
           processor: Callable[[], ocio.CPUProcessor], look: set[str], files: WrittenFiles,
           images: FrameImages) -> None:
    """Make (or keep) ``frame``'s crops and name them in ``images``; then drop the images
    read for them."""
    try:
        _make_crops(frame, records, plan.paths, plan.stamps, plan.sources, processor, look,
                    files, images)
    finally:
        plan.sources.release()


def _make_crops(frame: int, records: dict[int, dict[str, Any]], paths: dict[str, str | None],
                stamps: dict[str, list[int] | None], sources: _Sources,
                processor: Callable[[], ocio.CPUProcessor], look: set[str],
                files: WrittenFiles, images: FrameImages) -> None:
    target = _crop_target(frame, records, paths, stamps, look)
    if target is None:
        return
    box, key = target
    made: dict[str, np.ndarray] = {}

    def shown(kind: str) -> np.ndarray | None:
        kind = sources.source_of(kind)
        if kind not in made:
            image = sources.get(kind, box)
            if image is None:
                return None
            made[kind] = face_crop(image, box, processor() if kind != "matte" else None)
        return made[kind]

    def writer(kind: str) -> Callable[[Path], bool]:
        def write(path: Path) -> bool:
            if kind == "diff":
                plate, result = shown("plate"), shown("result")
                if plate is None or result is None:
                    return False
                write_image(path, difference(plate, result))
                return True
            crop = shown(kind)
            if crop is None:
                return False
            write_image(path, bgr(crop))
            return True
        return write

    for kind in CROP_KINDS:
        name = _crop_name(frame, kind)
        if files.ensure(name, key, writer(kind)):
            images.crops[kind] = f"{FOLDER}/{name}"
    images.crop_box = box
