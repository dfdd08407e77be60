"""8-bit views of working-space pixels, for models that take 8-bit RGB."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from faceplate.types import RGBImage


def to_uint8(rgb: RGBImage) -> NDArray[np.uint8]:
    """Display-referred float RGB (0..1) as 8-bit RGB; NaN and Inf become 0 and 255."""
    clean = np.nan_to_num(rgb, nan=0.0, posinf=1.0, neginf=0.0)
    return np.ascontiguousarray(np.clip(np.rint(clean * 255.0), 0, 255).astype(np.uint8))
