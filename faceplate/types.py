"""The vocabulary every layer shares: array aliases, a face detection, and the working space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Float32 pixels, shape (height, width, 3).
RGBImage = NDArray[np.float32]
#: 8-bit RGB pixels (what the face models read), shape (height, width, 3).
Image8 = NDArray[np.uint8]
#: Float32 single-channel matte in 0..1, shape (height, width).
Matte = NDArray[np.float32]
#: Landmarks in display-window pixels, shape (68, 2), float64.
Landmarks = NDArray[np.float64]
#: Five points (left eye, right eye, nose, left mouth, right mouth) in pixels, shape (5, 2).
Points5 = NDArray[np.float64]
#: A face descriptor (identity embedding), shape (n,), float64.
Descriptor = NDArray[np.float64]
#: Pixels in the file's own dtype (float16, float32, uint8, uint16...), shape
#: (height, width, channels).
NativePixels = NDArray[Any]
#: A box (x0, y0, x1, y1) in pixels.
BoxCoords = tuple[float, float, float, float]

#: The colourspace the face models read their 8-bit input in, and stills default to when they do
#: not say (display-referred sRGB, a name of the OCIO studio and CG configs).
WORKING_SPACE = "sRGB Encoded Rec.709 (sRGB)"


@dataclass(frozen=True)
class Detection:
    """A face found in an image: box (x0, y0, x1, y1) and score in the pixels of the image
    searched, and its five points when the detector gives them."""

    box: BoxCoords
    score: float
    points: Points5 | None = None
