"""Review images through the config's display and view (never for the working space)."""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

import numpy as np
import PyOpenColorIO as ocio

from faceplate.errors import ColourError
from faceplate.ocio.colour import ColourManager, apply_rgb
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
    out = np.ascontiguousarray(np.nan_to_num(rgb[..., :3]), dtype=np.float32)  # a copy: ours
    return np.clip(apply_rgb(processor, out), 0.0, 1.0)


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


class TableStore(Protocol):
    """Where baked display tables are kept between processes, by the key of what they depend
    on (a shot's cache: :class:`faceplate.pipeline.stage_files.display_tables.ShotTables`)."""

    def load(self, key: str) -> np.ndarray | None: ...

    def save(self, key: str, table: np.ndarray) -> None: ...


def table_key(colour: ColourManager, src: str, display: str, view: str) -> str:
    """A digest of what a baked table depends on: the config, the source colourspace
    (canonical), the display and view, the table's size and shaper, and OpenColorIO's version
    (which computes it)."""
    text = json.dumps([colour.choice.uri, colour.canonical(src), display, view, PROXY_LUT_SIZE,
                       _SHAPER_STOPS, _SHAPER_OFFSET, ocio.__version__])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def proxy_display_processor(colour: ColourManager, src: str, display: str, view: str, *,
                            tables: TableStore | None = None) -> ocio.CPUProcessor:
    """The :func:`display_processor` for proxies: baked into a 3D LUT
    (:data:`PROXY_LUT_SIZE`) when that stays within :data:`PROXY_LUT_TOLERANCE` code values
    of the exact transform on greys and natural colours, else the exact one. Made once per
    colour manager (a run): render's proxies and the report's images share it. ``tables``:
    where the baked table is kept between processes (read from there when kept, else baked
    and kept there)."""
    def make() -> ocio.CPUProcessor:
        key = table_key(colour, src, display, view)
        table = tables.load(key) if tables is not None else None
        if table is None or table.dtype != np.float32 or table.shape != _TABLE_SHAPE \
                or not np.isfinite(table).all():
            table = bake_table(colour, src, display, view)
            if table is None:
                return display_processor(colour, src, display, view)
            if tables is not None:
                tables.save(key, table)
        return _table_processor(colour, table)
    return colour.made_once(("proxy display", colour.canonical(src), display, view), make)


_TABLE_SHAPE = (PROXY_LUT_SIZE ** 3, 1, 3)


def _shaper() -> ocio.AllocationTransform:
    return ocio.AllocationTransform(allocation=ocio.ALLOCATION_LG2,
                                    vars=[*_SHAPER_STOPS, _SHAPER_OFFSET])


def _table_processor(colour: ColourManager, table: np.ndarray) -> ocio.CPUProcessor:
    """The shaper, then ``table`` as a tetrahedral 3D LUT."""
    lut = ocio.Lut3DTransform(gridSize=PROXY_LUT_SIZE)
    lut.setData(table.ravel())
    lut.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    return colour.config.getProcessor(ocio.GroupTransform([_shaper(), lut])
                                      ).getDefaultCPUProcessor()


def bake_table(colour: ColourManager, src: str, display: str,
               view: str) -> np.ndarray | None:
    """The display transform sampled on the :data:`PROXY_LUT_SIZE` grid over the log2 shaper
    (float32, (size³, 1, 3), blue fastest); None when the table misses the exact transform by
    more than :data:`PROXY_LUT_TOLERANCE` code values on greys and natural colours."""
    exact = display_processor(colour, src, display, view)
    axis = np.linspace(0.0, 1.0, PROXY_LUT_SIZE, dtype=np.float32)
    red, green, blue = np.meshgrid(axis, axis, axis, indexing="ij")  # blue fastest, as OCIO
    grid = np.ascontiguousarray(np.stack([red, green, blue], axis=-1).reshape(_TABLE_SHAPE))
    colour.config.getProcessor(_shaper(), ocio.TRANSFORM_DIR_INVERSE).getDefaultCPUProcessor(
    ).applyRGB(grid)
    exact.applyRGB(grid)
    baked = _table_processor(colour, grid)
    check = _check_colours()
    wanted, got = check.copy(), check.copy()
    exact.applyRGB(wanted)
    baked.applyRGB(got)
    if np.abs(_codes(wanted) - _codes(got)).max() > PROXY_LUT_TOLERANCE:
        return None
    return grid
