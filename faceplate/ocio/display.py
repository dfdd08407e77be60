"""Review images through the config's display and view (never for the working space)."""

from __future__ import annotations

import numpy as np
import PyOpenColorIO as ocio

from faceplate.ocio.colour import ColourManager
from faceplate.types import RGBImage


def display_processor(colour: ColourManager, src: str, display: str | None = None,
                      view: str | None = None) -> ocio.CPUProcessor:
    """A CPU processor from ``src`` to a display/view (the config's defaults if not given)."""
    config = colour.config
    display = display or config.getDefaultDisplay()
    view = view or config.getDefaultView(display)
    transform = ocio.DisplayViewTransform(src=colour.canonical(src), display=display, view=view)
    return config.getProcessor(transform).getDefaultCPUProcessor()


def to_display(rgb: RGBImage, processor: ocio.CPUProcessor) -> RGBImage:
    """A display-referred copy of ``rgb``, clipped to 0..1. Downscale before calling:
    ACES output transforms cost most of a second on a full HD frame."""
    out = np.ascontiguousarray(np.nan_to_num(rgb[..., :3]), dtype=np.float32).copy()
    processor.applyRGB(out)
    return np.clip(out, 0.0, 1.0)
