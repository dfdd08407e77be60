"""The plate as analysis reads it: a frame's RGB as float (half widened where looked at), its
non-finite values made 0, and its proxy (at most ``detect_size`` on its longer side, OpenCV's
area filter): made whole for a frame read whole, and where flow reads it for a frame read in
part (:class:`PartProxy`)."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np

from faceplate.pipeline.stage_files.proxies import downscaled
from faceplate.plateio.frame import Box, PlateFrame, widened


def rgb_of(frame: PlateFrame, box: Box) -> np.ndarray:
    """Float32 RGB of ``box`` (inside the data window) for reading only: a view of the frame's
    pixels where they are float32 R, G, B as they lie (a frame :func:`read_rgb_frame` read),
    half R, G, B widened, else :meth:`PlateFrame.rgb_region`'s copy. Every use here makes a
    new array of it."""
    pixels = frame.pixels
    if pixels.dtype not in (np.float32, np.float16) or frame.rgb != (0, 1, 2) \
            or pixels.shape[2] != 3:
        return frame.rgb_region(box)
    d = frame.data_box
    return widened(pixels[box.y0 - d.y0:box.y1 - d.y0, box.x0 - d.x0:box.x1 - d.x0])


def finite(rgb: np.ndarray, clean: bool) -> np.ndarray:
    """``rgb`` with NaN and Inf made 0 (unless the frame is known to hold none)."""
    return rgb if clean else np.nan_to_num(rgb, nan=0.0, posinf=0.0, neginf=0.0)


def proxy_scale(data: Box, side: int) -> Fraction:
    """The analysis proxy's scale of a data window: at most ``side`` on its longer side."""
    return min(Fraction(1), Fraction(side, max(data.width, data.height)))


def whole_rows(data: Box, scale: Fraction) -> int | None:
    """The plate rows a proxy at ``scale`` makes whole proxy rows from at a time (None: its
    size on either axis is not whole: made only from the whole frame)."""
    if (data.width * scale).denominator != 1 or (data.height * scale).denominator != 1:
        return None
    return scale.denominator


def proxy_of(frame: PlateFrame, scale: Fraction, clean: bool) -> np.ndarray:
    """The analysis proxy of the rows ``frame`` holds, at ``scale`` on both axes (OpenCV's
    area filter), finite values. Where the scale gives whole sizes it is made in bands (each
    band's half floats widened in turn: the same values, and the same rows as the whole
    frame's proxy where ``frame`` starts and ends on :func:`whole_rows`)."""
    data = frame.data_box
    if scale == 1:
        return finite(rgb_of(frame, data), clean)  # float32 as read: no copy when finite
    if whole_rows(data, scale) is None:  # not whole pixels: made at once (OpenCV rounds)
        return cv2.resize(finite(rgb_of(frame, data), clean), None, fx=float(scale),
                          fy=float(scale), interpolation=cv2.INTER_AREA)
    return downscaled(frame, data, (int(data.width * scale), int(data.height * scale)))


class PartProxy:
    """The proxy (:func:`proxy_of`) of a frame read in part, made where it is read: the proxy
    pixels ``[r0:r1, c0:c1]`` are made when asked for from the plate pixels under them, the
    values the whole proxy holds there (the area filter gives a region whose edges fall on
    whole plate pixels alone what it gives it in the whole picture), and 0 outside the proxy
    rows ``made`` from the rows read. Flow reads the proxy only around the faces, so most of a
    frame's proxy is never made."""

    def __init__(self, frame: PlateFrame, whole: Box, scale: Fraction,
                 made: tuple[int, int]) -> None:
        self.shape = (int(whole.height * scale), int(whole.width * scale), 3)
        self._frame, self._whole, self._scale = frame, whole, scale
        #: The proxy rows (y0, y1) made from the rows read; 0 outside them.
        self.made = made

    def __getitem__(self, index: tuple[slice, slice]) -> np.ndarray:
        rows, cols = index
        r0, r1, _ = rows.indices(self.shape[0])
        c0, c1, _ = cols.indices(self.shape[1])
        out = np.zeros((max(0, r1 - r0), max(0, c1 - c0), 3), np.float32)
        top, bottom = max(r0, self.made[0]), min(r1, self.made[1])
        if top >= bottom or c0 >= c1:
            return out
        # grown to whole plate pixels: proxy edges on multiples of the scale's numerator (the
        # proxy's sides are such multiples: a plate read in part has whole proxy rows)
        step = self._scale.numerator
        a, b = top // step * step, -(-bottom // step) * step
        c, d = c0 // step * step, -(-c1 // step) * step
        per = 1 / self._scale  # plate pixels a proxy pixel (whole at the edges above)
        x0, y0 = self._whole.x0, self._whole.y0
        box = Box(x0 + int(c * per), y0 + int(a * per), x0 + int(d * per), y0 + int(b * per))
        region = downscaled(self._frame, box, (d - c, b - a))  # at scale 1, a cleaned copy
        out[top - r0:bottom - r0] = region[top - a:bottom - a, c0 - c:c1 - c]
        return out
