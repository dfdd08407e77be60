"""Reading a plate frame through OpenImageIO, keeping its header and native pixel type."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio

from faceplate.errors import FrameRefusedError, PlateError, PlateMissingError, one_line
from faceplate.plateio import openexr_pixels
from faceplate.plateio.exr_reader import open_input
from faceplate.plateio.limits import FrameLimits, check_header
from faceplate.types import NativePixels, RGBImage


@dataclass(frozen=True)
class Box:
    """A pixel rectangle ``[x0, x1) × [y0, y1)`` in display-window coordinates."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def intersect(self, other: Box) -> Box:
        return Box(max(self.x0, other.x0), max(self.y0, other.y0),
                   min(self.x1, other.x1), min(self.y1, other.y1))


#: Rows of a half frame whose NaN and Inf are counted at a time (at 1080p a band is 0.7 MB).
_COUNT_ROWS = 64


@dataclass
class PlateFrame:
    """One frame: its header (``spec``) and its data-window pixels in the file's own type.

    Coordinates used everywhere else in faceplate are display-window pixels: (0, 0)
    is the display window's top-left corner. ``data_box`` says where the pixel
    array lies in those coordinates (overscan gives negative origins).
    """

    path: Path
    frame: int
    spec: oiio.ImageSpec
    pixels: NativePixels
    rgb: tuple[int, int, int]
    part: int = 0  # the subimage (EXR part) holding RGB; other parts are copied on write

    @property
    def data_box(self) -> Box:
        s = self.spec
        x0, y0 = s.x - s.full_x, s.y - s.full_y
        return Box(x0, y0, x0 + s.width, y0 + s.height)

    @property
    def display_size(self) -> tuple[int, int]:
        return self.spec.full_width, self.spec.full_height

    @property
    def attributes(self) -> dict[str, object]:
        return {a.name: a.value for a in self.spec.extra_attribs}

    def rgb_region(self, box: Box) -> RGBImage:
        """Float32 RGB of ``box`` (which must lie inside the data window); integer
        pixels are normalised to 0..1."""
        d = self.data_box
        sl = np.s_[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0]
        rgb = self.pixels[sl][..., list(self.rgb)].astype(np.float32, copy=False)  # one copy
        if np.issubdtype(self.pixels.dtype, np.integer):
            rgb /= np.float32(np.iinfo(self.pixels.dtype).max)
        return rgb

    def nonfinite_count(self) -> int:
        """NaN and Inf values in the RGB channels of the whole data window, counted in the
        file's own pixel type (integer files have none)."""
        if np.issubdtype(self.pixels.dtype, np.integer):
            return 0
        # three channels are R, G, B in some order: counted as they lie, no copy
        rgb = self.pixels if self.pixels.shape[2] == 3 else self.pixels[..., list(self.rgb)]
        if rgb.dtype == np.float16:  # NaN and Inf: every exponent bit set (read off the bits)
            bits = rgb.view(np.uint16)
            # a band of rows at a time: its temporaries stay small, reused, not faulted in
            return sum(int(np.count_nonzero((bits[y:y + _COUNT_ROWS] & 0x7C00) == 0x7C00))
                       for y in range(0, bits.shape[0], _COUNT_ROWS))
        with np.errstate(over="ignore", invalid="ignore"):  # large finite values: counted
            if np.isfinite(rgb.sum()):  # a NaN or Inf makes the sum NaN or Inf: none here
                return 0
        return int(rgb.size - np.count_nonzero(np.isfinite(rgb)))

    def set_rgb_region(self, box: Box, rgb: RGBImage, where: np.ndarray) -> None:
        """Write float ``rgb`` into ``box`` at the pixels where ``where`` is true, in the
        file's own pixel type; every other pixel keeps its exact value."""
        d = self.data_box
        sl = np.s_[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0]
        region = self.pixels[sl]
        native = to_native(rgb, self.pixels.dtype)
        for out_c, c in enumerate(self.rgb):
            channel = region[..., c]
            channel[where] = native[..., out_c][where]


def to_native(rgb: RGBImage, dtype: np.dtype) -> np.ndarray:
    """Float values (0..1 for integer types) in ``dtype``, rounded and clipped for integers."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(rgb * info.max), info.min, info.max).astype(dtype)
    return rgb.astype(dtype)


def _named_rgb(spec: oiio.ImageSpec) -> tuple[int, int, int] | None:
    names = list(spec.channelnames)
    for candidate in (("R", "G", "B"), ("r", "g", "b")):
        if all(n in names for n in candidate):
            r, g, b = (names.index(n) for n in candidate)
            return r, g, b
    return None


def _part_specs(inp: oiio.ImageInput) -> list[oiio.ImageSpec]:
    """The header of every subimage (EXR part); no pixels are read."""
    specs: list[oiio.ImageSpec] = []
    while inp.seek_subimage(len(specs), 0):
        specs.append(oiio.ImageSpec(inp.spec()))
    return specs


def _rgb_part(specs: list[oiio.ImageSpec], path: Path,
              frame: int) -> tuple[int, oiio.ImageSpec, tuple[int, int, int]]:
    """The first subimage with R, G, B channels (else the first with three channels)."""
    for part, spec in enumerate(specs):
        rgb = _named_rgb(spec)
        if rgb is not None:
            return part, spec, rgb
    if specs and specs[0].nchannels >= 3:
        return 0, specs[0], (0, 1, 2)
    names = ", ".join(specs[0].channelnames) if specs else ""
    raise PlateError(f"no RGB channels (channels: {names})", path=path, frame=frame)


def read_part(inp: oiio.ImageInput, part: int, spec: oiio.ImageSpec) -> NativePixels | None:
    """All channels of subimage ``part`` as (H, W, C): the file's own type when every
    channel shares one (half stays half), else float32."""
    uniform = not spec.channelformats or len(set(map(str, spec.channelformats))) == 1
    fmt = oiio.UNKNOWN if uniform else "float"
    pixels = inp.read_image(part, 0, 0, spec.nchannels, fmt)
    if pixels is None:
        return None
    out = np.asarray(pixels).reshape(spec.height, spec.width, spec.nchannels)
    # the reader's array is new and this call's alone: copied only if it cannot be written to
    return out if out.flags.writeable and out.flags.c_contiguous else out.copy()


def _open(path: Path, frame: int) -> oiio.ImageInput:
    """An open plate frame.

    Raises:
        PlateMissingError: no such file.
        PlateError: OpenImageIO cannot open it.
    """
    if not path.exists():
        raise PlateMissingError("plate frame missing", path=path, frame=frame)
    inp = open_input(str(path))
    if inp is None:
        raise PlateError(f"unreadable plate frame: {one_line(oiio.geterror())}", path=path,
                         frame=frame)
    return inp


def _floating(spec: oiio.ImageSpec) -> bool:
    formats = [str(f) for f in spec.channelformats] or [str(spec.format)]
    return all(f in ("half", "float", "double") for f in formats)


@contextmanager
def _rgb_part_of(path: Path, frame: int, limits: FrameLimits
                 ) -> Iterator[tuple[oiio.ImageInput, int, oiio.ImageSpec, tuple[int, int, int],
                                     bool]]:
    """``path`` open, its headers held to ``limits``, and the part that holds RGB: (input, part,
    its spec, the R, G, B channel indices, whether :func:`_by_openexr` decodes the file);
    closed on leaving."""
    inp = _open(path, frame)
    try:
        specs = _part_specs(inp)
        check_header(specs, limits, path, frame)
        part, spec, rgb = _rgb_part(specs, path, frame)
        yield inp, part, spec, rgb, openexr_pixels.decodes(spec, len(specs))
    finally:
        inp.close()


def _by_openexr(path: Path, spec: oiio.ImageSpec, decodes: bool) -> np.ndarray | None:
    """The whole part's pixels decoded by OpenEXR where it ``decodes`` the file (R, G, B and
    A in that order, the file's type: :mod:`faceplate.plateio.openexr_pixels`), else None (or
    where it cannot: OpenImageIO decodes it then)."""
    return openexr_pixels.pixels(path, spec) if decodes else None


def _decode(inp: oiio.ImageInput, path: Path, frame: int, read: Callable[[], Any]) -> Any:
    """The pixels ``read`` decodes from ``inp``; running out of memory refuses the frame, a
    failed read (None) is an unreadable plate frame."""
    try:
        pixels = read()
    except MemoryError:
        raise FrameRefusedError("not enough memory to decode it", path=path,
                                frame=frame) from None
    if pixels is None:
        raise PlateError(f"unreadable plate frame: {one_line(inp.geterror())}", path=path,
                         frame=frame)
    return pixels


def read_rgb_frame(path: Path, frame: int, limits: FrameLimits | None = None, *,
                   half: bool = False) -> PlateFrame:
    """Read only the R, G, B channels of the subimage (EXR part) of ``path`` that holds RGB, as
    float32 (H, W, 3), for analysis: the file's other channels are not returned and the
    conversion is OpenImageIO's. Values equal :meth:`PlateFrame.rgb_region` of the whole frame
    read by :func:`read_frame`; the frame is for looking at, never for writing back. ``half``:
    R, G, B stored as half stay half (half the memory; :func:`widened` gives the float32
    values of what is looked at).

    Raises:
        PlateMissingError: no such file.
        FrameRefusedError: a header outside ``limits`` (deep, too large, odd sample type).
        PlateError: the frame is unreadable.
    """
    limits = limits if limits is not None else FrameLimits.for_plate(None)
    with _rgb_part_of(path, frame, limits) as (inp, part, spec, rgb, decodes):
        if not _floating(spec):  # integer files: normalised as rgb_region does it
            whole = read_frame(path, frame, limits)
            return replace(whole, pixels=whole.rgb_region(whole.data_box), rgb=(0, 1, 2))
        first = min(rgb)
        contiguous = sorted(rgb) == list(range(first, first + 3))
        begin, end = (first, first + 3) if contiguous else (0, spec.nchannels)
        # half channels read as they lie and widened here: a third of OpenImageIO's cost
        kind = (oiio.HALF if all(str(spec.channelformat(c)) == "half" for c in range(begin, end))
                else oiio.FLOAT)
        pixels = _by_openexr(path, spec, decodes)
        if pixels is not None:  # R, G, B (and A): the R, G, B channels
            pixels, end = pixels[..., :3], 3
        else:
            pixels = _decode(inp, path, frame, lambda: inp.read_image(part, 0, begin, end, kind))
    pixels = np.asarray(pixels).reshape(spec.height, spec.width, end - begin)
    if not half:
        pixels = widened(pixels)
    return PlateFrame(path=path, frame=frame, spec=spec,
                      pixels=_in_order(pixels, [c - begin for c in rgb]), rgb=(0, 1, 2),
                      part=part)


def widened(pixels: np.ndarray) -> np.ndarray:
    """Float pixels of up to 4 channels as float32: half floats through OpenCV, exactly as
    NumPy casts them (NaN stays NaN) at a third of its cost; float32 as they are."""
    if pixels.dtype == np.float16:
        import cv2  # only where a half frame is widened (plateio is otherwise OpenCV-free)
        ones = (1.0, 1.0, 1.0, 1.0)
        return np.asarray(cv2.multiply(pixels, ones, dtype=cv2.CV_32F), np.float32)
    return np.asarray(pixels, np.float32)


def _in_order(pixels: np.ndarray, order: list[int]) -> np.ndarray:
    """Channels ``order`` of ``pixels`` (H, W, C), C-contiguous: ``pixels`` itself when they
    are its channels as they lie (a whole frame is not copied for nothing), else one copy."""
    if order == list(range(pixels.shape[2])) and pixels.flags.c_contiguous:
        return pixels
    out = np.empty(pixels.shape[:2] + (len(order),), pixels.dtype)
    for i, c in enumerate(order):
        out[..., i] = pixels[..., c]
    return out


def band_starts(height: int, count: int, rows: int) -> list[int]:
    """The first rows (from the data window's top) of ``count`` bands of ``rows`` rows spread
    evenly down a data window ``height`` rows high, each on a multiple of ``rows`` (a zip EXR
    stores 16 scanlines a block: such a band decodes one block); fewer where the window is
    short."""
    if height <= rows:
        return [0]
    last = (height - rows) // rows * rows
    return sorted({min(last, int((i + 0.5) * height / count) // rows * rows)
                   for i in range(count)})


def read_rgb_bands(path: Path, frame: int, count: int, rows: int,
                   limits: FrameLimits | None = None) -> tuple[np.ndarray, oiio.ImageSpec]:
    """Only the scanlines of the bands :func:`band_starts` gives for the data window (``count``
    bands of ``rows`` rows), R, G, B as float32, stacked ((bands * rows, W, 3)), and the RGB
    part's header: the values :func:`read_rgb_frame` gives on those rows, at the cost of
    decoding only the blocks that hold them.

    Raises:
        PlateMissingError: no such file.
        FrameRefusedError: a header outside ``limits``.
        PlateError: the frame is unreadable.
    """
    def spans(header: oiio.ImageSpec) -> list[tuple[int, int]]:
        return [(s, min(header.height, s + rows))
                for s in band_starts(header.height, count, rows)]

    frames, spec = read_rgb_rows(path, frame, spans, limits)
    return np.concatenate([widened(f.pixels) for f in frames], axis=0), spec


#: A file OpenEXR decodes (:func:`_by_openexr`) is decoded whole where more than this share of
#: its rows is asked for: its whole frame costs what OpenImageIO's decode of half its rows does.
_WHOLE_FROM_OPENEXR = 0.5


def read_rgb_rows(path: Path, frame: int,
                  spans: Callable[[oiio.ImageSpec], Sequence[tuple[int, int]]],
                  limits: FrameLimits | None = None) -> tuple[list[PlateFrame], oiio.ImageSpec]:
    """:func:`read_rgb_frame` (``half=True``) of only some spans of scanlines, decoding only
    the blocks that hold them: the rows ``spans`` gives for the RGB part's header (data-window
    rows ``[y0, y1)`` from its top), each a frame whose data window is those rows (full
    width), and that header. Integer files, and R, G, B not side by side, are read whole and
    cut.

    Raises:
        PlateMissingError: no such file.
        FrameRefusedError: a header outside ``limits``.
        PlateError: the frame is unreadable.
    """
    limits = limits if limits is not None else FrameLimits.for_plate(None)
    with _rgb_part_of(path, frame, limits) as (inp, part, spec, rgb, decodes):
        wanted = list(spans(spec))
        asked = sum(y1 - y0 for y0, y1 in wanted)
        decoded = _by_openexr(path, spec, decodes and asked > _WHOLE_FROM_OPENEXR * spec.height)
        if decoded is not None:  # R, G, B (and A): the R, G, B channels of the rows
            return [_rows_of(spec, np.ascontiguousarray(decoded[y0:y1, :, :3]), y0, path, frame,
                             part) for y0, y1 in wanted], spec
        first = min(rgb)
        if not _floating(spec) or sorted(rgb) != list(range(first, first + 3)):
            whole = read_rgb_frame(path, frame, limits, half=True)
            return [_rows_of(whole.spec, whole.pixels[y0:y1], y0, path, frame, part)
                    for y0, y1 in wanted], spec
        kind = (oiio.HALF if all(str(spec.channelformat(c)) == "half"
                                 for c in range(first, first + 3)) else oiio.FLOAT)
        order = [c - first for c in rgb]
        out = []
        for y0, y1 in wanted:
            pixels = _decode(inp, path, frame, partial(inp.read_scanlines, part, 0, spec.y + y0,
                                                       spec.y + y1, 0, first, first + 3, kind))
            rows = np.asarray(pixels).reshape(y1 - y0, spec.width, 3)
            out.append(_rows_of(spec, _in_order(rows, order), y0, path, frame, part))
    return out, spec


def _rows_of(spec: oiio.ImageSpec, pixels: np.ndarray, y0: int, path: Path, frame: int,
             part: int) -> PlateFrame:
    """A frame of ``pixels``, R, G, B rows of the data window ``spec`` from its row ``y0``."""
    rows = oiio.ImageSpec(spec)
    rows.y, rows.height = spec.y + y0, pixels.shape[0]
    return PlateFrame(path=path, frame=frame, spec=rows, pixels=pixels, rgb=(0, 1, 2),
                      part=part)


def read_rgb_box(path: Path, frame: int, box: Box,
                 limits: FrameLimits | None = None) -> PlateFrame:
    """:func:`read_rgb_frame` of the scanlines ``box`` (display-window pixels) crosses only,
    cut to its columns: the frame's data window is the box's part inside the file's (for a
    close look at a region without decoding the whole frame). Integer files, tiled files
    OpenImageIO will not read by scanline and a box outside the data window are read whole.

    Raises:
        PlateMissingError, FrameRefusedError, PlateError: as :func:`read_rgb_frame`.
    """
    limits = limits if limits is not None else FrameLimits.for_plate(None)
    with _rgb_part_of(path, frame, limits) as (inp, part, spec, rgb, _):
        x0, y0 = spec.x - spec.full_x, spec.y - spec.full_y
        inside = box.intersect(Box(x0, y0, x0 + spec.width, y0 + spec.height))
        first = min(rgb)
        contiguous = sorted(rgb) == list(range(first, first + 3))
        begin, end = (first, first + 3) if contiguous else (0, spec.nchannels)
        pixels = None
        if _floating(spec) and not inside.empty:
            try:
                pixels = inp.read_scanlines(part, 0, inside.y0 + spec.full_y,
                                            inside.y1 + spec.full_y, 0, begin, end, oiio.FLOAT)
            except MemoryError:
                raise FrameRefusedError("not enough memory to decode it", path=path,
                                        frame=frame) from None
    if pixels is None:
        return read_rgb_frame(path, frame, limits)
    rows = np.asarray(pixels, np.float32).reshape(inside.height, spec.width, end - begin)
    cut = rows[:, inside.x0 - x0:inside.x1 - x0][..., [c - begin for c in rgb]]
    region = oiio.ImageSpec(spec)
    region.x, region.y = inside.x0 + spec.full_x, inside.y0 + spec.full_y
    region.width, region.height = inside.width, inside.height
    return PlateFrame(path=path, frame=frame, spec=region, pixels=np.ascontiguousarray(cut),
                      rgb=(0, 1, 2), part=part)


def read_frame(path: Path, frame: int, limits: FrameLimits | None = None) -> PlateFrame:
    """Read every channel of the subimage (EXR part) of ``path`` that holds RGB.

    The headers are read first and held to ``limits`` (default: each frame's own display
    window and a share of the memory available now) before a pixel is decoded. Pixels come
    back in the file's own type when all channels share one (half stays half, so untouched
    pixels are written back bit for bit), else float32.

    Raises:
        PlateMissingError: no such file.
        FrameRefusedError: a header outside ``limits`` (deep, too large, odd sample type).
        PlateError: the frame is unreadable.
    """
    limits = limits if limits is not None else FrameLimits.for_plate(None)
    with _rgb_part_of(path, frame, limits) as (inp, part, spec, rgb, decodes):
        pixels = _by_openexr(path, spec, decodes)
        if pixels is None:
            pixels = _decode(inp, path, frame, lambda: read_part(inp, part, spec))
    return PlateFrame(path=path, frame=frame, spec=spec, pixels=pixels, rgb=rgb, part=part)


@dataclass(frozen=True)
class FrameHeader:
    """What a frame's header says, read without its pixels: the RGB part's attributes,
    display window size, sample type and channel names."""

    path: Path
    frame: int
    attributes: dict[str, object]
    display: tuple[int, int]
    sample_type: str
    channels: tuple[str, ...]


def read_header(path: Path, frame: int) -> FrameHeader:
    """The header of the subimage (EXR part) of ``path`` that holds RGB; no pixels are read.

    Raises:
        PlateError: the frame is missing or unreadable.
    """
    inp = _open(path, frame)
    try:
        _, spec, _ = _rgb_part(_part_specs(inp), path, frame)
    finally:
        inp.close()
    return FrameHeader(path, frame, {a.name: a.value for a in spec.extra_attribs},
                       (spec.full_width, spec.full_height), str(spec.format),
                       tuple(spec.channelnames))


def _open_image(path: Path) -> oiio.ImageInput:
    """A still open (its first part current).

    Raises:
        PlateError: OpenImageIO cannot open it.
    """
    inp = open_input(str(path))
    if inp is None:
        raise PlateError(f"unreadable image: {one_line(oiio.geterror())}", path=path)
    return inp


def read_image_attributes(path: Path) -> dict[str, object]:
    """The attributes of the part :func:`read_rgb_image` reads (the first, grey or RGB).

    Raises:
        PlateError: OpenImageIO cannot open it.
    """
    inp = _open_image(path)
    try:
        return {a.name: a.value for a in inp.spec().extra_attribs}
    finally:
        inp.close()


def read_rgb_image(path: Path, limits: FrameLimits | None = None) -> RGBImage:
    """A whole image's RGB as float32 (H, W, 3): for source and reference stills. The header
    is held to ``limits`` (default: a share of the memory available now) first.

    Raises:
        PlateError: unreadable (:class:`FrameRefusedError`: refused by its header).
    """
    limits = limits if limits is not None else FrameLimits.for_plate(None)
    inp = _open_image(path)
    try:
        spec = inp.spec()
        as_float = oiio.ImageSpec(spec)
        as_float.set_format(oiio.FLOAT)
        as_float.channelformats = ()
        check_header([as_float], limits, path, 0)
        try:
            pixels = inp.read_image(0, 0, 0, spec.nchannels, oiio.FLOAT)
        except MemoryError:
            raise FrameRefusedError("not enough memory to decode it", path=path) from None
        if pixels is None:
            raise PlateError(f"unreadable image: {one_line(inp.geterror())}", path=path)
    finally:
        inp.close()
    pixels = np.asarray(pixels).reshape(spec.height, spec.width, spec.nchannels)
    if pixels.shape[2] < 3:  # grey (and alpha): the grey three times
        pixels = pixels[..., [0, 0, 0]]
    return np.ascontiguousarray(pixels[..., :3], dtype=np.float32)
