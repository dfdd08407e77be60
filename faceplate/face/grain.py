"""The plate's grain: measured per channel in the flat skin around the face, and laid back
on the replaced face at the same level and clump size.

Level is Immerkær's noise estimate (blind to smooth structure); clump size is read from how
much the level drops when the image is averaged 2×2 (white noise halves, clumped grain
less), matched against grain made here of known clump sizes. Pure functions over
working-space float32 arrays (0..1).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from faceplate.face.warp import nonzero_box
from faceplate.types import RGBImage

#: Immerkær's kernel: its response is blind to constant, linear and quadratic structure.
_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
_IMMERKAER = float(np.sqrt(np.pi / 2.0) / 6.0)
#: Clump sizes (Gaussian sigma, pixels) the grain is made with and told apart by.
CLUMP_SIZES = (0.0, 0.3, 0.45, 0.6, 0.75, 0.9, 1.1, 1.3, 1.6, 2.0)
#: Share of the skin's pixels (the lowest gradient) that count as flat.
FLAT_SHARE = 0.5
_MIN_FLAT = 64
#: How far (pixels) the flat measure reaches: the smoothing's kernel (4 sigma) and Sobel's.
_FLAT_REACH = 8 + 1


@dataclass(frozen=True)
class Grain:
    """A plate's grain: per-channel level (Immerkær sigma, working-space units) and clump
    size (Gaussian sigma of the clumps, pixels)."""

    level: tuple[float, float, float]
    size: float


def noise_level(channel: np.ndarray, where: np.ndarray) -> float:
    """Immerkær's noise sigma of one channel over the pixels ``where`` (exact for white
    Gaussian noise on locally smooth content)."""
    response = cv2.filter2D(np.ascontiguousarray(channel, np.float32), cv2.CV_32F, _KERNEL,
                            borderType=cv2.BORDER_REFLECT)
    return _IMMERKAER * float(np.abs(response)[where].mean())


def flat_pixels(image: RGBImage, region: np.ndarray, share: float = FLAT_SHARE) -> np.ndarray:
    """The ``share`` of ``region``'s pixels (one pixel in from its edge) with the lowest local
    gradient of the grey levels smoothed at sigma 2."""
    inner = cv2.erode((region > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    if inner.sum() < _MIN_FLAT:
        return inner
    # measured on the region's box and as far around it as the smoothing reaches: the same
    reach = nonzero_box(inner, _FLAT_REACH)
    assert reach is not None  # it has at least _MIN_FLAT pixels
    rows, cols = reach
    grey = np.asarray(image[rows, cols], np.float32).mean(axis=2)
    smooth = cv2.GaussianBlur(grey, (0, 0), 2.0)
    magnitude = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    box = inner[rows, cols]
    flat = np.zeros_like(inner)
    flat[rows, cols] = box & (magnitude <= np.quantile(magnitude[box], share))
    return flat


def _halved(channel: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = (channel.shape[0] // 2) * 2, (channel.shape[1] // 2) * 2
    small = cv2.resize(channel[:h, :w], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(where[:h, :w].astype(np.uint8), (w // 2, h // 2),
                      interpolation=cv2.INTER_NEAREST).astype(bool)
    return small, mask


def _drop(channel: np.ndarray, where: np.ndarray) -> float:
    """Level after 2×2 averaging over the level before (0.5 for white noise)."""
    small, mask = _halved(channel, where)
    return noise_level(small, mask) / max(noise_level(channel, where), 1e-12)


def clump_field(rng: np.random.Generator, shape: tuple[int, int], size: float) -> np.ndarray:
    """White Gaussian noise clumped by a Gaussian of ``size`` pixels (unnormalised)."""
    white = rng.standard_normal(shape, dtype=np.float32)
    return white if size <= 0 else cv2.GaussianBlur(white, (0, 0), size)


@lru_cache(maxsize=1)
def _calibration() -> tuple[np.ndarray, np.ndarray]:
    """Per clump size: the 2×2 level drop and the Immerkær level of unit-variance grain."""
    rng = np.random.default_rng(0)
    everywhere = np.ones((192, 192), bool)
    drops, levels = [], []
    for size in CLUMP_SIZES:
        field = clump_field(rng, (192, 192), size)
        field /= field.std()
        drops.append(_drop(field, everywhere))
        levels.append(noise_level(field, everywhere))
    return np.array(drops), np.array(levels)


def clump_size(drop: float) -> float:
    """The clump size whose 2×2 level drop is ``drop`` (interpolated between
    :data:`CLUMP_SIZES`)."""
    drops, _ = _calibration()
    return float(np.interp(drop, drops, np.array(CLUMP_SIZES)))


def measure_grain(image: RGBImage, region: np.ndarray,
                  flat: np.ndarray | None = None) -> Grain | None:
    """The grain of ``image`` in the flat pixels of ``region`` (``flat``: those pixels, when
    :func:`flat_pixels` already found them); None if too few are flat."""
    where = flat_pixels(image, region) if flat is None else flat
    if where.sum() < _MIN_FLAT:
        return None
    levels = [noise_level(image[..., c], where) for c in range(3)]
    grey = np.asarray(image, np.float32)[..., 1]
    size = clump_size(_drop(grey, where))
    return Grain((levels[0], levels[1], levels[2]), size)


def frame_seed(image: np.ndarray) -> int:
    """A seed from an image's bytes: the same frame regrains alike on every render, each
    frame differently."""
    return zlib.crc32(np.ascontiguousarray(image).data)  # its buffer, read in place


class Regrainer:
    """Lays ``grain`` on images of one frame: clumped fields drawn once from ``seed`` over
    ``box`` of an image of ``shape`` (None: all of it; nothing is laid beyond it), scaled per
    image so its level over the pixels ``where`` (flat skin) measures as ``grain``'s, the
    grain an image already carries counted."""

    def __init__(self, grain: Grain, where: np.ndarray, seed: int, shape: tuple[int, int],
                 box: tuple[slice, slice] | None = None) -> None:
        self.grain = grain
        rows, cols = box if box is not None else (slice(None), slice(None))
        self._at = (slice(*rows.indices(shape[0])[:2]), slice(*cols.indices(shape[1])[:2]))
        size = (self._at[0].stop - self._at[0].start, self._at[1].stop - self._at[1].start)
        _, unit_levels = _calibration()
        unit = float(np.interp(grain.size, np.array(CLUMP_SIZES), unit_levels))
        rng = np.random.default_rng(seed)
        fields = []
        for _ in range(3):
            field = clump_field(rng, size, grain.size)
            np.divide(field, max(float(field.std()), 1e-9), out=field)
            np.divide(field, max(unit, 1e-9), out=field)
            fields.append(field)
        self.fields = fields  # each measures 1 by :func:`noise_level`, over ``self._at``
        self._take(where)

    def _take(self, where: np.ndarray) -> None:
        """Take ``where`` as the flat pixels: their box and a pixel around it (the noise
        kernel's reach: a level measured there is the level measured on the whole), and their
        flat indices in that box (row by row, as a boolean mask picks them)."""
        self.where = where
        self._box: tuple[slice, slice] | None = None
        if where.sum() >= _MIN_FLAT:
            self._box = nonzero_box(where, 1)
            self._flat = np.flatnonzero(where[self._box])

    def crop(self, rows: slice, cols: slice) -> Regrainer:
        """The same grain over ``[rows, cols]`` of the frame's region only (fields and flat
        pixels cut to it; on an image of that crop, what ``self`` does on the whole there,
        when the flat pixels lie at least a pixel inside the crop)."""
        height, width = self.where.shape
        (r0, r1), (c0, c1) = rows.indices(height)[:2], cols.indices(width)[:2]
        at_rows, at_cols = self._at
        # the fields' part inside the crop, in the crop's pixels and in the fields' own
        y0, x0 = max(at_rows.start, r0), max(at_cols.start, c0)
        y1, x1 = max(min(at_rows.stop, r1), y0), max(min(at_cols.stop, c1), x0)
        cropped = object.__new__(Regrainer)
        cropped.grain = self.grain
        cropped._at = (slice(y0 - r0, y1 - r0), slice(x0 - c0, x1 - c0))
        cropped.fields = [f[y0 - at_rows.start:y1 - at_rows.start,
                            x0 - at_cols.start:x1 - at_cols.start] for f in self.fields]
        cropped._take(self.where[r0:r1, c0:c1])
        return cropped

    def __call__(self, image: RGBImage) -> RGBImage:
        out = np.array(image, np.float32, copy=True)
        if self._box is None:
            return out
        at = out[self._at]
        for c in range(3):
            # :func:`noise_level` over the flat pixels, measured on their box
            response = cv2.filter2D(np.ascontiguousarray(out[self._box + (c,)]), cv2.CV_32F,
                                    _KERNEL, borderType=cv2.BORDER_REFLECT)
            values = np.abs(np.take(response, self._flat))
            have = _IMMERKAER * float(values.mean())
            add = float(np.sqrt(max(self.grain.level[c] ** 2 - have ** 2, 0.0)))
            if add > 0:
                at[..., c] += self.fields[c] * add
        return out
