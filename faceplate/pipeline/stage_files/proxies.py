"""Flipbook proxies of a frame's plate and result (``<qc>/frames/<frame>.plate.jpg`` and
``.result.jpg``, beside the frame's record): 8-bit JPEGs at most :data:`PROXY_WIDTH` wide,
downscaled first, then shown through the review display and view.

Render makes them while the frame's pixels are in memory (:class:`FlipbookProxies`: the plate
downscaled as it is read, before the swap changes it; the result written with the frame) and
names them in the frame's record with the look they were made for (:func:`proxy_look`) and
their stamps; the report copies them into its review folder, or makes its own from the frames
where they are missing or made for another look."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import PyOpenColorIO as ocio

from faceplate.errors import OutputError
from faceplate.face.image8 import to_uint8
from faceplate.ocio.colour import ColourManager
from faceplate.ocio.display import PROXY_LUT_SIZE, proxy_display_processor, to_display
from faceplate.pipeline.stage_files.display_tables import ShotTables
from faceplate.pipeline.stage_files.paths import frame_record_path
from faceplate.pipeline.stage_files.records import FrameRecord
from faceplate.plateio.frame import Box, PlateFrame, widened
from faceplate.spec import ShotSpec
from faceplate.types import Matte, RGBImage
from faceplate.written import write_bytes

#: Proxies for the flipbook: this wide at most (the plate's width if smaller), JPEG quality.
PROXY_WIDTH = 640
PROXY_QUALITY = 85
KINDS = ("plate", "result")


def proxy_path(spec: ShotSpec, frame: int, kind: str) -> Path:
    """``<qc>/frames/<frame>.<kind>.jpg``: render's proxy of ``kind`` (plate or result)."""
    return frame_record_path(spec, frame).with_name(f"{frame}.{kind}.jpg")


def proxy_look(config_uri: str, colourspace: str, display: str, view: str) -> str:
    """A digest of what a proxy's pixels depend on besides the frame: the OCIO config, the
    plate's colourspace, the display and view, the size, quality and baked transform."""
    text = json.dumps([config_uri, colourspace, display, view, PROXY_WIDTH, PROXY_QUALITY,
                       PROXY_LUT_SIZE])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def window_rgb(frame: PlateFrame, box: Box) -> RGBImage:
    """Float RGB of ``box`` (display-window pixels), non-finite values as 0; zeros where the
    data window has none."""
    if frame.data_box == box and frame.pixels.dtype == np.float32 and frame.rgb == (0, 1, 2):
        # RGB read as float over exactly the box: cleaned in place, no copy
        return np.nan_to_num(frame.pixels, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    out = np.zeros((box.height, box.width, 3), dtype=np.float32)
    inside = box.intersect(frame.data_box)
    if not inside.empty:
        out[inside.y0 - box.y0:inside.y1 - box.y0,
            inside.x0 - box.x0:inside.x1 - box.x0] = frame.rgb_region(inside)
    return np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


def proxy_size(width: int, height: int, pixel_aspect: float,
               most: int = PROXY_WIDTH) -> tuple[int, int]:
    """A proxy's width and height (square pixels) for a display window of ``width`` ×
    ``height`` pixels of ``pixel_aspect``."""
    out_w = min(most, round(width * pixel_aspect))
    return out_w, max(1, round(out_w * height / (width * pixel_aspect)))


def downscale(rgb: RGBImage, size: tuple[int, int]) -> RGBImage:
    """``rgb`` averaged down to ``size`` (width, height): OpenCV's area filter."""
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA)


def shown(small: RGBImage, processor: ocio.CPUProcessor | None) -> np.ndarray:
    """A downscaled image through the display transform (None: as data), 8-bit RGB (clipped
    to 0..1 by :func:`to_uint8`)."""
    return to_uint8(small if processor is None else to_display(small, processor))


def encode_jpeg(rgb8: np.ndarray, quality: int = PROXY_QUALITY) -> bytes:
    """8-bit RGB as JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb8, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OutputError("cannot encode a flipbook proxy")
    return data.tobytes()


def _aligned(lo: int, hi: int, size: int, out: int) -> tuple[int, int]:
    """The proxy pixels [a, b) covering display pixels [lo, hi) of ``size``, widened so both
    ends fall on whole display pixels (the area filter then gives them alone what it gives
    them in the whole image)."""
    scale = Fraction(size, out)
    step = scale.denominator  # proxy pixels whose edges fall on display pixels: multiples
    a = math.floor(lo / scale) // step * step
    b = math.ceil(math.ceil(hi / scale) / step) * step
    return a, min(out, b)


@dataclass
class _Plate:
    """A plate frame's proxy, made as the frame is read (before the swap changes its pixels):
    shown (8-bit RGB) and encoded (JPEG bytes)."""

    rgb8: np.ndarray
    jpeg: bytes


class FlipbookProxies:
    """Render's maker of a shot's flipbook proxies: :meth:`plate` as each plate frame is read
    (before the swap changes its pixels: downscaled, shown and encoded in the reader's thread,
    off the writer's), :meth:`write` after the frame's outputs are written (the plate's file,
    and the result's: the plate's proxy with the matte's area made again from the frame). The
    display transform is baked once per run (:func:`proxy_display_processor`); a frame's
    proxy is held only until its frame is written."""

    def __init__(self, spec: ShotSpec, colour: ColourManager, colourspace: str | None,
                 display: str, view: str) -> None:
        self._spec, self._colour, self._space = spec, colour, colourspace
        self._display, self._view = display, view
        self._look = (proxy_look(colour.choice.uri, colourspace, display, view)
                      if colourspace is not None else None)
        self._tables = ShotTables(spec)  # the baked display table, kept for later processes
        self._plates: dict[int, _Plate] = {}
        self._lock = threading.Lock()

    def _processor(self) -> ocio.CPUProcessor:
        assert self._space is not None  # no proxy is made without the plate's colourspace
        return proxy_display_processor(self._colour, self._space, self._display, self._view,
                                       tables=self._tables)

    def plate(self, frame: PlateFrame) -> None:
        """Make a plate frame's proxy just as it is read and keep it until its frame is
        written (none when it cannot be encoded: the report makes its own)."""
        if self._look is None:
            return
        width, height = frame.display_size
        small = downscaled(frame, Box(0, 0, width, height),
                            proxy_size(width, height, _aspect(frame)))
        rgb8 = shown(small, self._processor())
        try:
            made = _Plate(rgb8, encode_jpeg(rgb8))
        except OutputError:
            return
        with self._lock:
            self._plates[frame.frame] = made

    def write(self, record: FrameRecord, frame: PlateFrame | None, matte: Matte | None) -> None:
        """Write the proxies of a frame whose outputs were written (``record.output``) and
        name them in ``record``; a frame passed through unchanged (nothing under its matte)
        gets the plate's alone, which stands for its result."""
        with self._lock:
            plate = self._plates.pop(record.frame, None)
        if plate is None or frame is None or matte is None or record.output is None:
            return
        assert self._look is not None  # else no plate was kept
        stamps: dict[str, str | list[int]] = {"look": self._look}
        try:
            made = {"plate": plate.jpeg}
            changed = _changed_box(frame, matte)
            if changed is not None:
                made["result"] = encode_jpeg(self._result(plate, frame, changed))
            for kind, data in made.items():
                path = proxy_path(self._spec, record.frame, kind)
                write_bytes(path, data, record=True)
                stamp = path.stat()
                stamps[kind] = [stamp.st_size, stamp.st_mtime_ns]
        except (OutputError, OSError):  # recorded as none: the report makes its own
            return
        record.proxies = stamps

    def _result(self, plate: _Plate, frame: PlateFrame, changed: Box) -> np.ndarray:
        """The result's shown proxy: the plate's, with the proxy pixels over ``changed``
        (display pixels) made from the frame."""
        width, height = frame.display_size
        out_h, out_w = plate.rgb8.shape[:2]
        x0, x1 = _aligned(changed.x0, changed.x1, width, out_w)
        y0, y1 = _aligned(changed.y0, changed.y1, height, out_h)
        source = Box(x0 * width // out_w, y0 * height // out_h,
                     x1 * width // out_w, y1 * height // out_h)
        region = downscaled(frame, source, (x1 - x0, y1 - y0))
        result = plate.rgb8.copy()
        result[y0:y1, x0:x1] = shown(region, self._processor())
        return result


#: Proxy rows made at a time from the plate's rows (rounded to whole plate rows): each band's
#: half floats widened while they are in cache, not the whole frame first.
_BAND_ROWS = 40


def downscaled(frame: PlateFrame, box: Box, size: tuple[int, int]) -> RGBImage:
    """:func:`downscale` of :func:`window_rgb` over ``box``, without cleaning or padding a
    full-size copy where not needed: a box inside the data window is widened to float and
    downscaled in bands of proxy rows whose edges fall on whole plate rows (the area filter
    gives each band alone what it gives it in the whole image), and only a band whose
    downscale is not finite is made again from its cleaned pixels."""
    if box.intersect(frame.data_box) != box:
        return downscale(window_rgb(frame, box), size)
    d = frame.data_box
    native = frame.pixels[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0]
    if not (frame.rgb == (0, 1, 2) and native.shape[2] == 3 and native.dtype.kind == "f"):
        return _finite_downscale(frame.rgb_region(box), size)
    out_w, out_h = size
    step = Fraction(box.height, out_h).denominator  # proxy rows between whole plate rows
    rows = max(step, _BAND_ROWS // step * step)
    out = np.empty((out_h, out_w, 3), np.float32)
    for a in range(0, out_h, rows):
        b = min(out_h, a + rows)
        band = native[a * box.height // out_h:b * box.height // out_h]
        out[a:b] = _finite_downscale(widened(band), (out_w, b - a))
    return out


def _finite_downscale(rgb: RGBImage, size: tuple[int, int]) -> RGBImage:
    """:func:`downscale` of ``rgb``; made again from a cleaned copy (NaN and Inf as 0) where
    that is not finite (``rgb`` may be the frame's own float32 pixels, written later)."""
    small = downscale(rgb, size)
    if np.isfinite(small).all():
        return small
    return downscale(np.nan_to_num(rgb, nan=0.0, posinf=0.0, neginf=0.0), size)


def _aspect(frame: PlateFrame) -> float:
    return float(frame.spec.get_float_attribute("PixelAspectRatio", 1.0) or 1.0)


def _changed_box(frame: PlateFrame, matte: Matte) -> Box | None:
    """The display-window box of the pixels the swap changed (the matte above 0), None when
    it changed none."""
    rows = np.flatnonzero(matte.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(matte[rows[0]:rows[-1] + 1].any(axis=0))
    d = frame.data_box
    width, height = frame.display_size
    box = Box(d.x0 + int(cols[0]), d.y0 + int(rows[0]), d.x0 + int(cols[-1]) + 1,
              d.y0 + int(rows[-1]) + 1).intersect(Box(0, 0, width, height))
    return None if box.empty else box
