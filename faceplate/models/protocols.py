"""The roles a pipeline calls. Images are working-space float32 RGB in 0..1, (H, W, 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
from numpy.typing import NDArray

from faceplate.models.align import Affine, Points5
from faceplate.types import Matte, RGBImage

#: A (512,) float32 identity embedding as the recognizer returns it (not normalised).
Embedding = NDArray[np.float32]


@dataclass(frozen=True)
class Detection:
    """A face found in a frame: box (x0, y0, x1, y1), score, five points, all in frame pixels."""

    box: tuple[float, float, float, float]
    score: float
    points: Points5


@dataclass(frozen=True)
class AlignedFace:
    """A model-sized crop of a frame and the affine (frame → crop) that made it."""

    crop: RGBImage
    matrix: Affine


class Detector(Protocol):
    def detect(self, frame: RGBImage, threshold: float = 0.5) -> list[Detection]: ...


class Landmarker(Protocol):
    def landmarks(self, frame: RGBImage, boxes: Sequence[tuple[float, float, float, float]]
                  ) -> list[NDArray[np.float64]]: ...


class Converter(Protocol):
    def convert(self, embedding: Embedding) -> Embedding: ...


class Recognizer(Protocol):
    def embed(self, frame: RGBImage, points: Sequence[Points5]) -> list[Embedding]: ...


class Swapper(Protocol):
    template: str
    size: int

    def swap(self, frame: RGBImage, points: Sequence[Points5], source: Embedding
             ) -> list[AlignedFace]: ...


class Enhancer(Protocol):
    template: str
    size: int

    def enhance(self, frame: RGBImage, points: Sequence[Points5], blend: float = 0.8
                ) -> list[AlignedFace]: ...


class Masker(Protocol):
    def mask(self, crops: Sequence[RGBImage]) -> list[Matte]: ...
