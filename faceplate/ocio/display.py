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


#: Review images (proxies, crops) go through the display transform baked into a 3D LUT this size
#: (tetrahedral) over a log2 shaper from 2**lo to 2**hi (scene-linear, as working and plate
#: spaces mostly are): an eighth of the ACES output transform's cost, one bake per report.
PROXY_LUT_SIZE = 65
_SHAPER_STOPS = (-12.0, 6.0)
_SHAPER_OFFSET = 2.0 ** -14
#: The most (8-bit code values) the baked transform may miss the exact one by on greys and
#: natural colours (channels within two stops of each other) before it is not used.
PROXY_LUT_TOLERANCE = 3


def _check_colours() -> np.ndarray:
    """Greys over the shaper's range and natural colours: each channel within a stop of the
    pixel's level, so within two of each other (a fixed, seeded set)."""
    rng = np.random.default_rng(0)
    level = rng.uniform(_SHAPER_STOPS[0], _SHAPER_STOPS[1] - 2, (4096, 1))
    spread = rng.uniform(-1.0, 1.0, (4096, 3)) * (rng.random((4096, 1)) < 0.75)
    colours = np.exp2(level + spread).astype(np.float32)
    greys = np.repeat(np.exp2(np.linspace(*_SHAPER_STOPS, 256))[:, None], 3, axis=1)
    return np.ascontiguousarray(np.vstack([colours, greys]).astype(np.float32)[:, None, :])


def _codes(rgb: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(rgb, 0.0, 1.0) * 255.0)


def proxy_display_processor(colour: ColourManager, src: str, display: str,
                            view: str) -> ocio.CPUProcessor:
    """The :func:`display_processor` for proxies: baked into a 3D LUT
    (:data:`PROXY_LUT_SIZE`) when that stays within :data:`PROXY_LUT_TOLERANCE` code values
    of the exact transform on greys and natural colours, else the exact one. Made once per
    colour manager (a run): render's proxies and the report's images share it."""
    return colour.made_once(("proxy display", colour.canonical(src), display, view),
                            lambda: _baked_display_processor(colour, src, display, view))


def _baked_display_processor(colour: ColourManager, src: str, display: str,
                             view: str) -> ocio.CPUProcessor:
    exact = display_processor(colour, src, display, view)
    config = colour.config
    shaper = ocio.AllocationTransform(allocation=ocio.ALLOCATION_LG2,
                                      vars=[*_SHAPER_STOPS, _SHAPER_OFFSET])
    axis = np.linspace(0.0, 1.0, PROXY_LUT_SIZE, dtype=np.float32)
    red, green, blue = np.meshgrid(axis, axis, axis, indexing="ij")  # blue fastest, as OCIO
    grid = np.ascontiguousarray(np.stack([red, green, blue], axis=-1).reshape(-1, 1, 3))
    config.getProcessor(shaper, ocio.TRANSFORM_DIR_INVERSE).getDefaultCPUProcessor(
    ).applyRGB(grid)
    exact.applyRGB(grid)
    lut = ocio.Lut3DTransform(gridSize=PROXY_LUT_SIZE)
    lut.setData(grid.reshape(-1))
    lut.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    baked = config.getProcessor(ocio.GroupTransform([shaper, lut])).getDefaultCPUProcessor()
    check = _check_colours()
    wanted, got = check.copy(), check.copy()
    exact.applyRGB(wanted)
    baked.applyRGB(got)
    if np.abs(_codes(wanted) - _codes(got)).max() > PROXY_LUT_TOLERANCE:
        return exact
    return baked
