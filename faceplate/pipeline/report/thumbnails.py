"""Review thumbnails: plate, result and matte of a frame, downscaled first, then shown
through the OCIO display and view."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from faceplate.errors import OutputError
from faceplate.face.image8 import to_uint8
from faceplate.ocio.display import to_display
from faceplate.written import write_bytes

THUMB_HEIGHT = 160


def thumbnail(path: str | Path | None, processor: ocio.CPUProcessor | None,
              height: int = THUMB_HEIGHT) -> np.ndarray | None:
    """An 8-bit BGR thumbnail of an image's display window (RGB, or its one channel shown
    as grey), downscaled before ``processor`` (None: shown as data). None if unreadable."""
    if not path:
        return None
    buf = oiio.ImageBuf(str(path))
    if buf.has_error:
        return None
    display = oiio.ImageBufAlgo.crop(buf, buf.roi_full)
    pixels = display.get_pixels(oiio.FLOAT)
    if pixels is None or display.has_error:
        return None
    pixels = np.nan_to_num(np.asarray(pixels, dtype=np.float32))
    rgb = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    scale = height / rgb.shape[0]
    small = cv2.resize(np.ascontiguousarray(rgb), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA)
    shown = to_display(small, processor) if processor is not None else np.clip(small, 0, 1)
    return cv2.cvtColor(to_uint8(shown), cv2.COLOR_RGB2BGR)


def write_frame_thumbnails(folder: Path, frame: int, plate: Path, output: str | None,
                           matte: str | None, processor: ocio.CPUProcessor) -> dict[str, str]:
    """Write ``<frame>_plate.png``, ``_result.png``, ``_matte.png`` into ``folder``; return
    the names written, keyed by kind."""
    written = {}
    for kind, path, proc in (("plate", plate, processor), ("result", output, processor),
                             ("matte", matte, None)):
        image = thumbnail(path, proc)
        if image is not None:
            name = f"{frame}_{kind}.png"
            write_png(folder / name, image)
            written[kind] = name
    return written


def write_png(path: Path, image: np.ndarray) -> None:
    """Write an 8-bit BGR image as PNG atomically, listed in its folder's manifest (so the next
    report may remove it, and nothing else there).

    Raises:
        OutputError: it could not be encoded or written.
    """
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OutputError("cannot encode PNG", path=path)
    write_bytes(path, data.tobytes(), record=True)


def contact_sheet(folder: Path, rows: list[tuple[int, dict[str, str], bool]], path: Path) -> None:
    """Stack written thumbnails (plate | result | matte per frame) into one PNG."""
    lines = []
    for frame, names, flagged in rows:
        read = [cv2.imread(str(folder / names[k])) for k in ("plate", "result", "matte")
                if k in names]
        cells: list[np.ndarray] = [c for c in read if c is not None]
        if not cells:
            continue
        height = max(c.shape[0] for c in cells)
        line = np.hstack([cv2.copyMakeBorder(c, 2, 2 + height - c.shape[0], 2, 2,
                                             cv2.BORDER_CONSTANT, value=(20, 20, 20))
                          for c in cells])
        colour = (60, 60, 230) if flagged else (230, 230, 230)
        cv2.putText(line, str(frame), (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2)
        lines.append(line)
    if lines:
        width = max(line.shape[1] for line in lines)
        lines = [cv2.copyMakeBorder(line, 0, 0, 0, width - line.shape[1], cv2.BORDER_CONSTANT,
                                    value=(20, 20, 20)) for line in lines]
        write_png(path, np.vstack(lines))
