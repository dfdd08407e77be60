"""Multi-band (Laplacian pyramid) blending: low frequencies blend over a wide zone,
fine detail over a narrow one, so seams and lighting steps disappear."""

from __future__ import annotations

import math

import cv2
import numpy as np

from faceplate.types import Matte, RGBImage


def _levels_for(shape: tuple[int, int], wanted: int) -> int:
    smallest = min(shape)
    return max(0, min(wanted, int(math.log2(max(smallest, 1) / 8))))


def multiband_blend(foreground: RGBImage, background: RGBImage, mask: Matte,
                    levels: int = 5) -> RGBImage:
    """Blend ``foreground`` over ``background`` by ``mask`` (1: foreground) band by band."""
    levels = _levels_for(mask.shape, levels)
    fg, bg, m = (np.ascontiguousarray(a, dtype=np.float32) for a in (foreground, background, mask))
    if levels == 0:
        return bg + m[..., None] * (fg - bg)
    gauss_fg, gauss_bg, gauss_m = [fg], [bg], [m]
    for _ in range(levels):
        gauss_fg.append(cv2.pyrDown(gauss_fg[-1]))
        gauss_bg.append(cv2.pyrDown(gauss_bg[-1]))
        gauss_m.append(cv2.pyrDown(gauss_m[-1]))
    blended = gauss_bg[-1] + gauss_m[-1][..., None] * (gauss_fg[-1] - gauss_bg[-1])
    for level in range(levels - 1, -1, -1):
        size = (gauss_fg[level].shape[1], gauss_fg[level].shape[0])
        # each band's arrays reused in place: the same sums, in the same order
        band_fg = np.subtract(gauss_fg[level], cv2.pyrUp(gauss_fg[level + 1], dstsize=size))
        band_bg = np.subtract(gauss_bg[level], cv2.pyrUp(gauss_bg[level + 1], dstsize=size))
        step = np.subtract(band_fg, band_bg, out=band_fg)
        np.multiply(gauss_m[level][..., None], step, out=step)
        blended = np.add(cv2.pyrUp(blended, dstsize=size), band_bg, out=band_bg)
        blended += step
    return blended
