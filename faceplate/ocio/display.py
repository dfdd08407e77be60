"""Review images through the config's display and view (never for the working space)."""

from __future__ import annotations

import numpy as np
import PyOpenColorIO as ocio

from faceplate.errors import ColourError
from faceplate.ocio.colour import ColourManager
from faceplate.types import RGBImage


def resolve_display_view(colour: ColourManager, display: str | None, view: str | None, *,
                         keys: tuple[str, str] = ("display", "view")) -> tuple[str, str]:
    """The display and view to show review images through: the ones given, else the config's
    defaults (the default view of the chosen display).

    Raises:
        ColourError: naming ``keys`` and listing what the config offers.
    """
    config = colour.config
    displays = list(config.getDisplays())
    if display is not None and display not in displays:
        raise ColourError(f"{keys[0]}: unknown display {display!r}; "
                          f"displays: {', '.join(displays)}")
    chosen = display or config.getDefaultDisplay()
    views = list(config.getViews(chosen))
    if view is not None and view not in views:
        raise ColourError(f"{keys[1]}: unknown view {view!r} for {chosen!r}; "
                          f"views: {', '.join(views)}")
    return chosen, view or config.getDefaultView(chosen)


def display_processor(colour: ColourManager, src: str, display: str,
                      view: str) -> ocio.CPUProcessor:
    """A CPU processor from ``src`` to a display and view (see :func:`resolve_display_view`)."""
    transform = ocio.DisplayViewTransform(src=colour.canonical(src), display=display, view=view)
    return colour.config.getProcessor(transform).getDefaultCPUProcessor()


def to_display(rgb: RGBImage, processor: ocio.CPUProcessor) -> RGBImage:
    """A display-referred copy of ``rgb``, clipped to 0..1. Downscale before calling:
    ACES output transforms cost most of a second on a full HD frame."""
    out = np.ascontiguousarray(np.nan_to_num(rgb[..., :3]), dtype=np.float32).copy()
    processor.applyRGB(out)
    return np.clip(out, 0.0, 1.0)
