"""A learned swap for the pipeline: an ONNX swapper (with its recognizer, optional enhancer
and maskers) behind the same ``swap`` call as the reference warp.

Everything here works on a region of the frame in the working space (display-referred RGB
0..1, the space the public models were trained in). The result carries the swapped pixels and
the matte; the pipeline converts them to the plate's colourspace and blends there, so the
paste-back ``plate·(1−m) + swap·m`` happens in the plate's linear light.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from faceplate.errors import ModelError
from faceplate.face.colour_match import LabStats
from faceplate.face.matte import MatteSettings
from faceplate.face.mesh import five_points, mouth_opening
from faceplate.face.swapper import SourceFace, SwapResult
from faceplate.models.adapters import (
    converter_for,
    enhancer_for,
    occluder_for,
    recognizer_for,
    region_masker_for,
    swapper_for,
)
from faceplate.models.align import unwarp, warp_face
from faceplate.models.masks import box_matte, combine
from faceplate.models.protocols import Embedding
from faceplate.models.runtime import ModelRegistry
from faceplate.types import Matte, Mesh, RGBImage


class LearnedModels(Protocol):
    """The model ids and options a learned swap runs (a spec's ``models:`` section is one)."""

    @property
    def swapper(self) -> str | None: ...
    @property
    def recognizer(self) -> str: ...
    @property
    def enhancer(self) -> str | None: ...
    @property
    def enhancer_blend(self) -> float: ...
    @property
    def occlusion(self) -> str | None: ...
    @property
    def regions(self) -> str | None: ...
    @property
    def region_classes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class LearnedSwapSettings:
    """Box-matte feather (FaceFusion's mask blur, fraction of the crop) and enhancer blend."""

    box_blur: float = 0.3
    enhancer_blend: float = 0.8


class LearnedSwapper:
    """Swap through the shot's learned models. Embeddings of each source are computed once."""

    def __init__(self, models: LearnedModels, registry: ModelRegistry,
                 settings: LearnedSwapSettings | None = None) -> None:
        if models.swapper is None:
            raise ModelError("a learned swap needs a swapper model id")
        self.models = models
        self.registry = registry
        self.settings = settings or LearnedSwapSettings(enhancer_blend=models.enhancer_blend)
        self.matte_settings = MatteSettings()
        self.swapper = swapper_for(registry, models.swapper)
        self.swapper_entry = registry.entry(models.swapper)
        self.recognizer = recognizer_for(registry, models.recognizer)
        self.enhancer = enhancer_for(registry, models.enhancer) if models.enhancer else None
        self.occlusion = occluder_for(registry, models.occlusion) if models.occlusion else None
        self.regions = (region_masker_for(registry, models.regions).select(models.region_classes)
                        if models.regions else None)
        self._embeddings: dict[str, Embedding] = {}

    @property
    def id(self) -> str:
        used = [self.models.swapper, self.models.recognizer, self.models.enhancer,
                self.models.occlusion, self.models.regions]
        return "+".join(m for m in used if m)

    def adjusted(self, values: dict[str, float]) -> LearnedSwapper:
        """A swapper with a reviewer's ``feather`` (box-matte blur) or ``enhancer_blend``."""
        changed = {k: v for k, v in (("box_blur", values.get("feather")),
                                     ("enhancer_blend", values.get("enhancer_blend")))
                   if v is not None}
        if not changed:
            return self
        twin = object.__new__(LearnedSwapper)
        twin.__dict__.update(self.__dict__)
        twin.settings = replace(self.settings, **changed)
        return twin

    def embedding(self, source: SourceFace) -> Embedding:
        """The swapper's source vector for ``source`` (recognizer, then the model's converter)."""
        if source.name not in self._embeddings:
            (raw,) = self.recognizer.embed(source.texture, [five_points(source.landmarks)])
            converter = self.swapper_entry.extra.get("converter")
            if converter:
                raw = converter_for(self.registry, str(converter)).convert(raw)
            self._embeddings[source.name] = raw
        return self._embeddings[source.name]

    def _crop_matte(self, target_crop: RGBImage) -> Matte:
        size = target_crop.shape[0]
        mattes = [box_matte(size, self.settings.box_blur)]
        for masker in (self.occlusion, self.regions):
            if masker is not None:
                mattes.append(masker.mask([target_crop])[0])
        return combine(*mattes)

    def swap(self, target: RGBImage, points: Mesh, source: SourceFace,
             target_skin: LabStats | None = None, rest: Mesh | None = None,
             seed: int | None = None) -> SwapResult:
        """Replace the face with mesh ``points`` (region pixels) in ``target``, aligned by the
        mesh's five template points (:func:`faceplate.face.mesh.five_points`); the model
        makes its own geometry and lays no grain (``rest`` and ``seed`` are not used)."""
        five = five_points(points)
        swapped = self.swapper.swap(target, [five], self.embedding(source))[0]
        target_crop, _ = warp_face(target, five, self.swapper.template, self.swapper.size)
        rgb, matte = unwarp(swapped.crop, self._crop_matte(target_crop), swapped.matrix,
                            target.shape[:2])
        if self.enhancer is not None:
            pasted = target + matte[..., None] * (rgb - target)
            enhanced = self.enhancer.enhance(pasted, [five], self.settings.enhancer_blend)[0]
            rgb, _ = unwarp(enhanced.crop, np.ones(enhanced.crop.shape[:2], np.float32),
                            enhanced.matrix, target.shape[:2])
        if not np.isfinite(rgb).all():
            raise ModelError(f"model {self.models.swapper} returned NaN/Inf pixels")
        mouth_open = mouth_opening(points) > self.matte_settings.mouth_open_threshold
        return SwapResult(rgb=rgb.astype(np.float32), matte=matte.astype(np.float32),
                          mouth_open=bool(mouth_open))
