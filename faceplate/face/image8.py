"""8-bit views of working-space pixels, for models that take 8-bit RGB."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceplate.types import RGBImage


def to_uint8(rgb: RGBImage) -> NDArray[np.uint8]:
    """Display-referred float RGB (0..1) as 8-bit RGB; NaN and Inf become 0 and 255."""
    scaled = np.asarray(rgb) * 255.0  # one new array, rounded and clipped in place
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)  # Inf: 0 or 255
    scaled[np.isnan(scaled)] = 0
    return np.ascontiguousarray(scaled.astype(np.uint8))


def finite_to_uint8(rgb: NDArray[np.float32]) -> NDArray[np.uint8]:
    """:func:`to_uint8` of finite float32 pixels (the same bytes) in one pass: x * 255 in
    float32 (+ x * 0, exact), rounded half to even and clipped to 0..255 as OpenCV
    saturates."""
    return np.asarray(cv2.addWeighted(rgb, 255.0, rgb, 0.0, 0.0, dtype=cv2.CV_8U))
