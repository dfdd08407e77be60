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
#: 68 iBUG (dlib) landmarks (x, y) in pixels, shape (68, 2), float64: what 68-point
#: landmarkers give and dlib's descriptor reads; the pipeline carries a :data:`Mesh`.
Landmarks = NDArray[np.float64]
#: The dense face mesh, the pipeline's one landmark representation: (478, 3) float64, x and y
#: in pixels, z on x's scale (smaller nearer the camera); MediaPipe's 468 points, then the
#: image-left iris (centre, four edge points) and the other (:mod:`faceplate.face.mesh`).
Mesh = NDArray[np.float64]
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
    searched, and the detector's keypoints when it gives them (five for the ONNX detectors;
    BlazeFace's six: the eyes, image-left first, nose tip, mouth centre, the ear tragions)."""

    box: BoxCoords
    score: float
    points: NDArray[np.float64] | None = None

    def moved(self, scale: float, dx: float, dy: float) -> Detection:
        """The detection on an image where each pixel position p is ``p * scale + (dx, dy)``."""
        x0, y0, x1, y1 = self.box
        box = (x0 * scale + dx, y0 * scale + dy, x1 * scale + dx, y1 * scale + dy)
        points = None if self.points is None else self.points * scale + (dx, dy)
        return Detection(box, self.score, points)
