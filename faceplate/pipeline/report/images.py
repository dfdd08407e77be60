"""Review images, display-referred through the OCIO display and view: whole-frame proxies for
the flipbook (downscaled first, then shown through the view), and face crops at 1:1 cut from
the full-resolution frames around the solved face box (plate, result, matte, difference)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from faceplate.errors import OutputError, PlateError
from faceplate.face.image8 import to_uint8
from faceplate.ocio.display import to_display
from faceplate.pipeline.stage_files.proxies import (
    PROXY_QUALITY,
    PROXY_WIDTH,
    downscale,
    proxy_size,
    shown,
    window_rgb,
)
from faceplate.plateio.frame import Box, read_rgb_box, read_rgb_frame
from faceplate.plateio.limits import FrameLimits
from faceplate.types import RGBImage
from faceplate.written import write_bytes

#: The difference image shows ``|result − plate|`` on the display, times this gain.
DIFFERENCE_GAIN = 4.0
#: A face crop is a square this many times the face box's longer side.
CROP_MARGIN = 1.6


@dataclass(frozen=True)
class DisplayImage:
    """A frame's display window (or the part of it from ``origin``, display-window pixels)
    as float RGB, or a matte's as one grey channel (zeros outside the data window), and its
    pixel aspect ratio."""

    rgb: RGBImage
    pixel_aspect: float
    origin: tuple[int, int] = (0, 0)


def read_display(path: str | Path | None, frame: int, limits: FrameLimits | None = None, *,
                 grey: bool = False, box: Box | None = None) -> DisplayImage | None:
    """The display window of an image's RGB (its RGB part, as rendering reads it, its header
    held to ``limits`` before a pixel is decoded), or with ``grey`` of its first channel shown
    as grey (a matte faceplate wrote); with ``box``, only that part of it (only the scanlines
    it crosses decoded). None: absent, refused or unreadable."""
    if not path or not Path(path).is_file():
        return None
    if grey:
        return _read_grey(Path(path), box)
    try:  # RGB only, decoded to float
        plate = (read_rgb_frame(Path(path), frame, limits) if box is None
                 else read_rgb_box(Path(path), frame, box, limits))
    except PlateError:  # missing, refused by its header, unreadable: no review image
        return None
    width, height = plate.display_size
    shown = box if box is not None else Box(0, 0, width, height)
    aspect = plate.spec.get_float_attribute("PixelAspectRatio") or 1.0
    return DisplayImage(window_rgb(plate, shown), float(aspect), (shown.x0, shown.y0))


def _read_grey(path: Path, box: Box | None = None) -> DisplayImage | None:
    """The first channel over the display window (or ``box`` of it), one channel (zeros
    outside the data window: a matte is written small, its data window the matte's box)."""
    buf = oiio.ImageBuf(str(path))
    if buf.has_error:
        return None
    full = buf.roi_full
    x0, y0 = (box.x0, box.y0) if box is not None else (0, 0)
    x1, y1 = (box.x1, box.y1) if box is not None else (full.width, full.height)
    pixels = buf.get_pixels(oiio.FLOAT, oiio.ROI(full.xbegin + x0, full.xbegin + x1,
                                                 full.ybegin + y0, full.ybegin + y1, 0, 1, 0, 1))
    if pixels is None or buf.has_error:
        return None
    return DisplayImage(np.nan_to_num(np.asarray(pixels, dtype=np.float32)), 1.0, (x0, y0))


def proxy(image: DisplayImage, processor: ocio.CPUProcessor | None,
          width: int = PROXY_WIDTH) -> np.ndarray:
    """An 8-bit BGR proxy at most ``width`` wide (square pixels), downscaled before the
    display transform (None: shown as data), as render makes its own
    (:mod:`faceplate.pipeline.stage_files.proxies`)."""
    h, w = image.rgb.shape[:2]
    small = downscale(image.rgb, proxy_size(w, h, image.pixel_aspect, width))
    return cv2.cvtColor(shown(small, processor), cv2.COLOR_RGB2BGR)


def crop_box(faces_bbox: list[float], display: tuple[int, int],
             margin: float = CROP_MARGIN) -> Box:
    """A square ``margin`` times the longer side of ``faces_bbox`` (x0, y0, x1, y1), centred
    on it and moved inside the display window (cut to it if larger)."""
    width, height = display
    x0, y0, x1, y1 = faces_bbox
    side = max(8, round(max(x1 - x0, y1 - y0) * margin))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = round(min(max(cx - side / 2, 0), max(width - side, 0)))
    top = round(min(max(cy - side / 2, 0), max(height - side, 0)))
    return Box(left, top, min(left + side, width), min(top + side, height))


def face_crop(image: DisplayImage, box: Box, processor: ocio.CPUProcessor | None) -> RGBImage:
    """``box`` of the image at 1:1, display-referred float RGB (0..1); a grey image's one
    channel shown in all three."""
    ox, oy = image.origin
    region = np.ascontiguousarray(image.rgb[box.y0 - oy:box.y1 - oy, box.x0 - ox:box.x1 - ox])
    if region.shape[2] == 1:
        region = np.repeat(region, 3, axis=2)
    return to_display(region, processor) if processor is not None else np.clip(region, 0, 1)


def difference(plate: RGBImage, result: RGBImage, gain: float = DIFFERENCE_GAIN) -> np.ndarray:
    """``|result − plate|`` (largest channel) times ``gain`` as an 8-bit BGR heat map
    (black: no change; yellow-white: a change of 1/gain or more)."""
    change = np.abs(result - plate).max(axis=2) * gain
    grey = to_uint8(change[..., None])[..., 0]  # clipped to 0..255 there
    return cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO)


def bgr(rgb: RGBImage) -> np.ndarray:
    """Display-referred float RGB as 8-bit BGR for writing."""
    return cv2.cvtColor(to_uint8(rgb), cv2.COLOR_RGB2BGR)


def write_image(path: Path, image: np.ndarray, quality: int = PROXY_QUALITY) -> None:
    """Write an 8-bit BGR PNG or JPEG (by suffix) atomically, listed in its folder's manifest
    of files faceplate wrote (so a later report may remove it, and nothing else there).

    Raises:
        OutputError: it could not be encoded or written.
    """
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if path.suffix == ".jpg" else []
    ok, data = cv2.imencode(path.suffix, image, params)
    if not ok:
        raise OutputError("cannot encode the review image", path=path)
    write_bytes(path, data.tobytes(), record=True)
