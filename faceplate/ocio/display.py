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


def check_display_view(colour: ColourManager, display: str | None, view: str | None) -> None:
    """Check a display and view exist in the config.

    Raises:
        ColourError: naming the spec key and listing what the config offers.
    """
    from faceplate.errors import ColourError
    config = colour.config
    displays = list(config.getDisplays())
    if display is not None and display not in displays:
        raise ColourError(f"qc.display: unknown display {display!r}; displays: {', '.join(displays)}")
    chosen = display or config.getDefaultDisplay()
    views = list(config.getViews(chosen))
    if view is not None and view not in views:
        raise ColourError(f"qc.view: unknown view {view!r} for {chosen!r}; views: {', '.join(views)}")
