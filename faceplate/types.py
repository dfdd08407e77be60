"""Array aliases used across faceplate."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Float32 pixels, shape (height, width, 3).
RGBImage = NDArray[np.float32]
#: Float32 single-channel matte in 0..1, shape (height, width).
Matte = NDArray[np.float32]
#: Landmarks in display-window pixels, shape (68, 2), float64.
Landmarks = NDArray[np.float64]
#: A face descriptor (identity embedding), shape (n,), float64.
Descriptor = NDArray[np.float64]
#: Pixels in the file's own dtype (float16, float32, uint8, uint16...), shape (height, width, channels).
NativePixels = NDArray[np.generic]
