"""An ONNX face detector (and landmarker) behind the calls the pipeline makes of the offline
dlib pack, so analysis, sources and QC choose their detector per shot.

Scores are reported on dlib's scale, where the pipeline's thresholds live (0 is a usual
detection, below 0 a weak one that may extend a track but never start it): an ONNX score
``s`` in 0..1 becomes ``(s − 0.5)·4``, so 0.5 maps to 0 and 0.375 to the weak limit −0.5.
"""

from __future__ import annotations

import numpy as np

from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.protocols import Detector, Landmarker
from faceplate.types import BoxCoords, Detection, Image8, Landmarks

_SCALE = 4.0


class OnnxFaceFinder:
    """A :class:`~faceplate.models.protocols.FaceFinder`: ``detector`` (an ONNX detector) with
    ``landmarker`` (an ONNX 68-point landmarker); either None falls back to the dlib pack's."""

    def __init__(self, pack: DlibFacePack, detector: Detector | None,
                 landmarker: Landmarker | None = None) -> None:
        self.pack = pack
        self.detector = detector
        self.landmarker = landmarker

    @property
    def id(self) -> str:
        found = self.detector.id if self.detector is not None else self.pack.detector_id
        marks = self.landmarker.id if self.landmarker is not None else self.pack.landmarker_id
        return f"{found}+{marks}"

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]:
        """Faces, best first; ``upsample`` (a dlib notion) is ignored: the detector letterboxes."""
        if self.detector is None:
            return self.pack.detect(image, upsample=upsample, threshold=threshold)
        floor = min(max(0.5 + threshold / _SCALE, 0.02), 0.98)
        found = self.detector.detect(np.asarray(image, np.float32) / 255.0, floor)
        mapped = [Detection(d.box, (d.score - 0.5) * _SCALE, d.points) for d in found]
        return sorted(mapped, key=lambda d: -d.score)

    def landmarks(self, image: Image8, box: BoxCoords) -> Landmarks:
        if self.landmarker is None:
            return self.pack.landmarks(image, box)
        frame = np.asarray(image, np.float32) / 255.0
        return np.asarray(self.landmarker.landmarks(frame, [box])[0], np.float64)
