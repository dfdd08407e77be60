"""MediaPipe's face mesh model: 468 points (x, y, z) on a rotated crop around a face.

Facts from MediaPipe's face landmark graphs (face_landmark_cpu.pbtxt,
face_detection_front_detection_to_roi.pbtxt, face_landmark_landmarks_to_roi.pbtxt), checked
here on real faces:

- input: a 192x192 crop of a rotated square around the face, RGB scaled to 0..1, edges
  replicated; output ``conv2d_21`` holds 468 x (x, y, z) in crop pixels (z on x's scale, smaller
  is nearer the camera) and ``conv2d_31`` a face-presence logit (sigmoid; MediaPipe keeps a
  face above 0.5);
- the crop from a detection: the detection box's centre, its longer side times 1.5, turned so
  the detector's two eye keypoints (0 -> 1) lie level;
- the crop from the previous frame's mesh: turned so the outer eye corners (points 33 -> 263)
  lie level, the points' extent times 1.5. MediaPipe measures that extent on the image axes;
  here it is measured along the crop's own axes, so the crop does not grow with head roll.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from faceplate.models.mediapipe.detector import FaceDetection
from faceplate.models.mediapipe.roi import Region, enclosing_region, line_angle
from faceplate.models.mediapipe.runner import Contract, TfliteModel
from faceplate.types import BoxCoords

Image8 = NDArray[np.uint8]
FILE = "face_landmark.tflite"
SIZE = 192
CONTRACT = Contract((1, SIZE, SIZE, 3), {"conv2d_21": (1, 1, 1, 1404), "conv2d_31": (1, 1, 1, 1)})
#: How much larger than the face the crop is (MediaPipe's RectTransformation scale).
CROP_SCALE = 1.5
#: Outer eye corners of the mesh: the image-left one (person's right eye) and the other.
EYE_OUTER = (33, 263)


@dataclass(frozen=True)
class MeshFit:
    """One face's mesh: (468, 3) points in image pixels (z on the same scale, smaller is nearer),
    the face-presence score 0..1, and the region the model saw."""

    points: NDArray[np.float64]
    presence: float
    region: Region


def region_from_box(box: BoxCoords, angle: float = 0.0) -> Region:
    """The mesh crop around a face's box (x0, y0, x1, y1): centred on it, its longer side
    times :data:`CROP_SCALE`, its x axis at ``angle`` (upright by default)."""
    x0, y0, x1, y1 = box
    return Region((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * CROP_SCALE, angle)


def region_from_detection(detection: FaceDetection) -> Region:
    """The mesh crop for a detected face (MediaPipe's detection-to-ROI rule): around its box,
    turned so its two eye keypoints lie level."""
    return region_from_box(detection.box,
                           line_angle(detection.keypoints[0], detection.keypoints[1]))


def region_from_mesh(points: NDArray[np.floating]) -> Region:
    """The next frame's mesh crop from this frame's mesh (tracking without detection)."""
    angle = line_angle(points[EYE_OUTER[0]], points[EYE_OUTER[1]])
    return enclosing_region(points, angle, CROP_SCALE)


class FaceMeshModel:
    """The 468-point face mesh model, one LiteRT interpreter per instance."""

    def __init__(self, folder: Path, threads: int | None = 1) -> None:
        self.model = TfliteModel(folder / FILE, CONTRACT, threads)

    def fit(self, image: Image8, region: Region) -> MeshFit:
        """The mesh of the face in ``region`` of an 8-bit RGB image, in the image's pixels."""
        crop = region.crop(image, SIZE)
        out = self.model.run((crop.astype(np.float32) / 255.0)[None])
        raw = out["conv2d_21"].reshape(468, 3).astype(np.float64)
        presence = 1.0 / (1.0 + math.exp(-float(out["conv2d_31"].ravel()[0])))
        return MeshFit(region.to_image(raw, SIZE), presence, region)
