"""Face finders other than the default MediaPipe pack: any detector (BlazeFace, dlib's HOG, an
ONNX detector) with any landmarker (the MediaPipe mesh, or a 68-point landmarker, dlib's or
2DFAN4, whose points become the dense mesh by :func:`faceplate.face.mesh_fit.mesh_from_ibug68`).

Scores reach the pipeline on its scale (:mod:`faceplate.models.scores`). A 68-point landmarker
cannot tell a face from no face, so a finder that uses one does not track faces the detector
loses (``track`` returns None): they are recorded as lost.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from faceplate.face.mesh_fit import mesh_from_ibug68
from faceplate.models.protocols import Detector, Landmarker
from faceplate.models.scores import score_floor, to_pipeline_score
from faceplate.types import BoxCoords, Detection, Image8, Landmarks, Mesh


class Detector8(Protocol):
    """What finds faces on 8-bit RGB working-space images, scores on the pipeline's scale."""

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]: ...


class Detects(Detector8, Protocol):
    """A :class:`Detector8` with its model id and the short side of the picture it reads
    (None: the picture it is given)."""

    @property
    def id(self) -> str: ...

    @property
    def detector_side(self) -> int | None: ...


class Meshes(Protocol):
    """What gives a found face its 478-point mesh, and follows it to the next frame."""

    @property
    def id(self) -> str: ...

    @property
    def tracks(self) -> bool: ...

    def landmarks(self, image: Image8, face: Detection) -> Mesh | None: ...

    def track(self, image: Image8, previous: Mesh) -> Mesh | None: ...


class Marks68(Protocol):
    """A 68-point landmarker on 8-bit images (the dlib pack's ``landmarks``)."""

    def landmarks(self, image: Image8, box: BoxCoords) -> Landmarks: ...


class NamedDetection:
    """A detector under its manifest id (dlib's HOG: the dlib pack's ``detect``)."""

    #: dlib's HOG reads the picture it is given.
    detector_side = None

    def __init__(self, model_id: str, detector: Detector8) -> None:
        self.id = model_id
        self.detector = detector

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]:
        return self.detector.detect(image, upsample=upsample, threshold=threshold)


class OnnxDetection:
    """An ONNX detector behind the pipeline's ``detect``: 0..1 scores on the pipeline's scale;
    ``upsample`` (a dlib notion) is ignored: the detector letterboxes."""

    #: It letterboxes the picture it is given to its own input.
    detector_side = None

    def __init__(self, detector: Detector) -> None:
        self.detector = detector

    @property
    def id(self) -> str:
        return self.detector.id

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]:
        found = self.detector.detect(np.asarray(image, np.float32) / 255.0, score_floor(threshold))
        mapped = [Detection(d.box, to_pipeline_score(d.score), d.points) for d in found]
        return sorted(mapped, key=lambda d: -d.score)


class OnnxMarks68:
    """An ONNX 68-point landmarker (2DFAN4) on 8-bit images."""

    def __init__(self, landmarker: Landmarker) -> None:
        self.landmarker = landmarker

    @property
    def id(self) -> str:
        return self.landmarker.id

    def landmarks(self, image: Image8, box: BoxCoords) -> Landmarks:
        frame = np.asarray(image, np.float32) / 255.0
        return np.asarray(self.landmarker.landmarks(frame, [box])[0], np.float64)


class Ibug68Mesher:
    """A 68-point landmarker's points made the dense mesh (irises approximated)."""

    tracks = False

    def __init__(self, model_id: str, marks: Marks68) -> None:
        self.id = model_id
        self.marks = marks

    def landmarks(self, image: Image8, face: Detection) -> Mesh | None:
        return mesh_from_ibug68(self.marks.landmarks(image, face.box))

    def track(self, image: Image8, previous: Mesh) -> Mesh | None:
        """None: a 68-point landmarker cannot tell a face from no face."""
        return None


class FaceFinder:
    """A :class:`~faceplate.models.protocols.FaceFinder` made of a detector and a mesher."""

    def __init__(self, detector: Detects, mesher: Meshes) -> None:
        self.detector = detector
        self.mesher = mesher

    @property
    def id(self) -> str:
        return f"{self.detector.id}+{self.mesher.id}"

    @property
    def tracks(self) -> bool:
        return self.mesher.tracks

    @property
    def detector_side(self) -> int | None:
        return self.detector.detector_side

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]:
        return self.detector.detect(image, upsample=upsample, threshold=threshold)

    def landmarks(self, image: Image8, face: Detection) -> Mesh | None:
        return self.mesher.landmarks(image, face)

    def track(self, image: Image8, previous: Mesh) -> Mesh | None:
        return self.mesher.track(image, previous)
