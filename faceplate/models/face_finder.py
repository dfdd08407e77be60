"""An ONNX face detector (and landmarker) behind the calls the pipeline makes of the offline
dlib pack, so analysis, sources and QC choose their detector per shot.

Scores are reported on dlib's scale, where the pipeline's thresholds live (0 is a usual
detection, below 0 a weak one that may extend a track but never start it): an ONNX score
``s`` in 0..1 becomes ``(s − 0.5)·4``, so 0.5 maps to 0 and 0.375 to the weak limit −0.5.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from faceplate.face.models import Detection, DlibFacePack, Image8
from faceplate.types import Landmarks

_SCALE = 4.0


class FaceFinder(Protocol):
    """Detection and 68 landmarks on 8-bit RGB working-space images."""

    @property
    def id(self) -> str: ...

    def detect(self, image: Image8, *, upsample: int = 0, threshold: float = 0.0) -> list[Detection]: ...

    def landmarks(self, image: Image8, box: tuple[float, float, float, float]) -> Landmarks: ...


class OnnxFaceFinder:
    """``detector`` (an ONNX detector adapter) with ``landmarker`` (an ONNX 68-point adapter);
    either None falls back to the dlib pack's."""

    def __init__(self, pack: DlibFacePack, detector: object | None,
                 landmarker: object | None = None) -> None:
        self.pack = pack
        self.detector = detector
        self.landmarker = landmarker

    @property
    def id(self) -> str:
        found = self.detector.entry.id if self.detector is not None else "dlib-hog-frontal"  # type: ignore[attr-defined]
        marks = self.landmarker.entry.id if self.landmarker is not None else "dlib-68-landmarks"  # type: ignore[attr-defined]
        return f"{found}+{marks}"

    def detect(self, image: Image8, *, upsample: int = 0, threshold: float = 0.0) -> list[Detection]:
        """Faces, best first; ``upsample`` (a dlib notion) is ignored: the detector letterboxes."""
        if self.detector is None:
            return self.pack.detect(image, upsample=upsample, threshold=threshold)
        floor = min(max(0.5 + threshold / _SCALE, 0.02), 0.98)
        found = self.detector.detect(np.asarray(image, np.float32) / 255.0, floor)  # type: ignore[attr-defined]
        mapped = [Detection(tuple(float(v) for v in d.box), (d.score - 0.5) * _SCALE)  # type: ignore[arg-type]
                  for d in found]
        return sorted(mapped, key=lambda d: -d.score)

    def landmarks(self, image: Image8, box: tuple[float, float, float, float]) -> Landmarks:
        if self.landmarker is None:
            return self.pack.landmarks(image, box)
        frame = np.asarray(image, np.float32) / 255.0
        return np.asarray(self.landmarker.landmarks(frame, [box])[0], np.float64)  # type: ignore[attr-defined]
