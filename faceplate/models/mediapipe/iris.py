"""MediaPipe's iris model: 71 eye-contour points and 5 iris points per eye, on 64x64 crops.

Facts from MediaPipe's iris graphs (iris_landmark_cpu.pbtxt,
iris_landmark_left_and_right_from_face_landmarks_cpu.pbtxt), checked here on real faces:

- each eye's crop: a square centred between the eye's two mesh corners, turned so they lie
  level, of side 2.3 x the corners' distance (MediaPipe: 2.3 x their larger axis extent);
  RGB 0..1, edges replicated;
- the model knows one eye only: the eye on the image's left (mesh corners 33 -> 133, the
  person's right eye) is fed as is; the other eye (mesh corners 362 -> 263) is fed mirrored,
  so in both crops the outer corner is on the left, and its outputs are mirrored back;
- ``output_eyes_contours_and_brows``: 71 x (x, y, z) in crop pixels. The first 16 are the lid
  contour: 0..8 the lower lid from the outer to the inner corner (0 and 8 are the corners),
  9..15 the upper lid from outer to inner (corners excluded). The other 55 are rings around the
  eye and the brow's lower edge;
- ``output_iris``: 5 x (x, y, z): the iris centre, then four points on the iris edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from faceplate.models.mediapipe.roi import Region, line_angle
from faceplate.models.mediapipe.runner import Contract, TfliteModel

Image8 = NDArray[np.uint8]
FILE = "iris_landmark.tflite"
SIZE = 64
CONTRACT = Contract((1, SIZE, SIZE, 3), {"output_eyes_contours_and_brows": (1, 213),
                                          "output_iris": (1, 15)})
CROP_SCALE = 2.3
#: Mesh corners (outer, inner) of each eye: the image-left eye, then the image-right eye.
EYE_CORNERS = ((33, 133), (263, 362))
#: Indices of the lid contour within the 71 eye-contour points: the lower lid, outer corner
#: to inner, then the upper lid between them (the order of :data:`faceplate.face.mesh.LIDS`).
LOWER_LID = tuple(range(9))
UPPER_LID = tuple(range(9, 16))
LIDS = LOWER_LID + UPPER_LID


@dataclass(frozen=True)
class EyeFit:
    """One eye: 71 contour points and 5 iris points (x, y, z) in image pixels."""

    contour: NDArray[np.float64]
    iris: NDArray[np.float64]
    region: Region
    mirrored: bool


def eye_region(mesh: NDArray[np.floating], eye: int) -> tuple[Region, bool]:
    """The crop of eye ``eye`` (0: image-left, 1: image-right) and whether it is mirrored."""
    outer, inner = mesh[EYE_CORNERS[eye][0], :2], mesh[EYE_CORNERS[eye][1], :2]
    left, right = (outer, inner) if eye == 0 else (inner, outer)
    centre = (left + right) / 2
    side = float(np.linalg.norm(right - left)) * CROP_SCALE
    return Region(float(centre[0]), float(centre[1]), side, line_angle(left, right)), eye == 1


class IrisModel:
    """The iris model, one LiteRT interpreter per instance."""

    def __init__(self, folder: Path, threads: int | None = 1) -> None:
        self.model = TfliteModel(folder / FILE, CONTRACT, threads)

    def fit(self, image: Image8, mesh: NDArray[np.floating]) -> tuple[EyeFit, EyeFit]:
        """Both eyes (image-left first) of the face with 468-point ``mesh`` in ``image``."""
        fits = []
        for eye in (0, 1):
            region, mirrored = eye_region(mesh, eye)
            crop = region.crop(image, SIZE, mirror=mirrored)
            out = self.model.run((crop.astype(np.float32) / 255.0)[None])
            contour = out["output_eyes_contours_and_brows"].reshape(71, 3).astype(np.float64)
            iris = out["output_iris"].reshape(5, 3).astype(np.float64)
            fits.append(EyeFit(region.to_image(contour, SIZE, mirrored),
                               region.to_image(iris, SIZE, mirrored), region, mirrored))
        return fits[0], fits[1]
