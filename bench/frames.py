"""Frames for measuring: EXR/PNG sequences read through OpenImageIO and turned into 8-bit
display-referred RGB through the OCIO config's display and view (the config's defaults
unless named), optionally cropped first so the costly output transform runs on the face
region only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

PINNED_OCIO = "ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5"
Box = tuple[int, int, int, int]


def frame_path(pattern: str | Path, number: int) -> Path:
    """``####`` pattern to one frame's path."""
    return Path(str(pattern).replace("####", f"{number:04d}"))


def read_rgb(path: Path) -> np.ndarray:
    """Float32 pixels of the display window's RGB (or first) channels, shape (h, w, c); zeros
    where the file's data window has none (a matte faceplate wrote covers its box only)."""
    buf = oiio.ImageBuf(str(path))
    spec = buf.spec()
    if buf.has_error:
        raise OSError(f"cannot read {path}: {buf.geterror()}")
    window = oiio.ROI(spec.full_x, spec.full_x + spec.full_width, spec.full_y,
                      spec.full_y + spec.full_height, 0, 1, 0, min(spec.nchannels, 3))
    pixels = buf.get_pixels(oiio.FLOAT, window)
    if pixels is None or buf.has_error:
        raise OSError(f"cannot read {path}: {buf.geterror()}")
    pixels = np.asarray(pixels, np.float32)
    return pixels if pixels.ndim == 3 else pixels[..., None]


def read_matte(path: Path) -> np.ndarray:
    """A single-channel matte, float32 (h, w)."""
    return read_rgb(path)[..., 0]


@dataclass
class Display:
    """Scene-linear ``colorspace`` pixels to 8-bit display RGB through ``display``/``view``."""

    colorspace: str = "ACEScg"
    config: str = PINNED_OCIO
    display: str | None = None
    view: str | None = None

    def __post_init__(self) -> None:
        cfg = ocio.Config.CreateFromFile(self.config)
        display = self.display or cfg.getDefaultDisplay()
        view = self.view or cfg.getDefaultView(display)
        self.display, self.view = display, view
        transform = ocio.DisplayViewTransform(src=self.colorspace, display=display, view=view)
        self._cpu = cfg.getProcessor(transform).getDefaultCPUProcessor()

    def to8(self, rgb: np.ndarray) -> np.ndarray:
        """Display-referred uint8 RGB of linear pixels."""
        out = np.ascontiguousarray(np.nan_to_num(rgb[..., :3]), dtype=np.float32).copy()
        self._cpu.applyRGB(out)
        return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    def frame8(self, path: Path, box: Box | None = None) -> np.ndarray:
        """One frame read, cropped to ``box`` (x0, y0, x1, y1) if given, displayed as uint8."""
        rgb = read_rgb(path)
        if box is not None:
            x0, y0, x1, y1 = box
            rgb = rgb[y0:y1, x0:x1]
        return self.to8(rgb)
