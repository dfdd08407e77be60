"""The roles models play, as the types the rest of faceplate uses.

ONNX roles (what an adapter of each model family does) take working-space float32 RGB in 0..1,
(H, W, 3). The two pipeline roles, :class:`FaceFinder` and :class:`FaceSwapper`, are what analysis,
sources, QC and rendering call: the MediaPipe pack and the reference warp play them by default;
the models a shot's spec names (dlib's, ONNX) when it names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from faceplate.face.colour_match import LabStats
from faceplate.face.swapper import SourceFace, SwapResult
from faceplate.models.align import Affine
from faceplate.types import BoxCoords, Detection, Image8, Matte, Mesh, Points5, RGBImage

#: A (512,) float32 identity embedding as the recognizer returns it (not normalised).
Embedding = NDArray[np.float32]


@dataclass(frozen=True)
class AlignedFace:
    """A model-sized crop of a frame and the affine (frame → crop) that made it."""

    crop: RGBImage
    matrix: Affine


class Detector(Protocol):
    """Faces with their five points; scores 0..1."""

    @property
    def id(self) -> str: ...

    def detect(self, frame: RGBImage, threshold: float = 0.5) -> list[Detection]: ...


class Landmarker(Protocol):
    """68 landmarks (x, y) per box."""

    @property
    def id(self) -> str: ...

    def landmarks(self, frame: RGBImage, boxes: Sequence[BoxCoords]
                  ) -> list[NDArray[np.float64]]: ...


class Converter(Protocol):
    """An embedding into the identity space a swapper was trained on."""

    def convert(self, embedding: Embedding) -> Embedding: ...


class Recognizer(Protocol):
    """An identity embedding per face (five points each)."""

    def embed(self, frame: RGBImage, points: Sequence[Points5]) -> list[Embedding]: ...


class Swapper(Protocol):
    """The source identity on each face, as crops of the model's template and size."""

    template: str
    size: int

    def swap(self, frame: RGBImage, points: Sequence[Points5], source: Embedding
             ) -> list[AlignedFace]: ...


class Enhancer(Protocol):
    """Each face restored, as crops of the model's template and size."""

    template: str
    size: int

    def enhance(self, frame: RGBImage, points: Sequence[Points5], blend: float = 0.8
                ) -> list[AlignedFace]: ...


class Masker(Protocol):
    """A matte (1: keep the swap) per crop."""

    def mask(self, crops: Sequence[RGBImage]) -> list[Matte]: ...


class RegionMasker(Masker, Protocol):
    """A face parser: a matte of the chosen regions."""

    def select(self, regions: Sequence[str]) -> RegionMasker: ...


class FaceFinder(Protocol):
    """Detection and the dense mesh on 8-bit RGB working-space images, for analysis, sources
    and QC; scores on the pipeline's scale (:mod:`faceplate.models.scores`)."""

    @property
    def id(self) -> str: ...

    @property
    def tracks(self) -> bool:
        """Whether ``track`` can follow a face the detector misses."""
        ...

    @property
    def detector_side(self) -> int | None:
        """The short side, in pixels, of the picture the detector reads (it shrinks a larger
        one to it); None: it reads the picture it is given."""
        ...

    def detect(self, image: Image8, *, upsample: int = 0,
               threshold: float = 0.0) -> list[Detection]: ...

    def landmarks(self, image: Image8, face: Detection) -> Mesh | None:
        """The 478-point mesh of a found face (None: no face there after all)."""
        ...

    def track(self, image: Image8, previous: Mesh) -> Mesh | None:
        """The face whose previous frame's mesh is ``previous``, without detection (None:
        lost, or a finder that cannot tell)."""
        ...


class FaceSwapper(Protocol):
    """What rendering calls to replace one face in a region (the reference warp or a learned
    model): working-space region and its mesh in, swapped pixels and matte out."""

    @property
    def id(self) -> str: ...

    def adjusted(self, values: dict[str, float]) -> FaceSwapper: ...

    def swap(self, target: RGBImage, points: Mesh, source: SourceFace,
             target_skin: LabStats | None = None, rest: Mesh | None = None,
             seed: int | None = None) -> SwapResult: ...
