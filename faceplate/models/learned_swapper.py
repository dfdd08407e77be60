"""A learned swap for the pipeline: an ONNX swapper (with its recognizer, optional enhancer
and maskers) behind the same ``swap`` call as the reference warp.

Everything here works on a region of the frame in the working space (display-referred RGB
0..1, the space the public models were trained in). The result carries the swapped pixels and
the matte; the pipeline converts them to the plate's colourspace and blends there, so the
paste-back ``plate·(1−m) + swap·m`` happens in the plate's linear light.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from faceplate.errors import ModelError, SpecError
from faceplate.face.landmarks import mouth_opening
from faceplate.face.matte import MatteSettings
from faceplate.models.align import five_from_68, unwarp, warp_face
from faceplate.models.masks import box_matte, combine
from faceplate.models.runtime import ModelRegistry, RuntimeOptions
from faceplate.types import Landmarks, Matte, RGBImage

if TYPE_CHECKING:
    from faceplate.face.models import DlibFacePack
    from faceplate.models.face_finder import OnnxFaceFinder
    from faceplate.face.colour_match import LabStats
    from faceplate.face.swapper import SourceFace, SwapResult
    from faceplate.pipeline.models_spec import ModelsSpec

#: The role each ``models:`` key must name in the manifest.
_ROLES = {"detector": "detector", "landmarker": "landmarker", "swapper": "swapper", "recognizer": "recognizer", "enhancer": "enhancer",
          "occlusion": "masker", "regions": "masker"}


def registry_for(models: "ModelsSpec") -> ModelRegistry:
    """The model registry a shot's ``models:`` section describes (studio policy applied)."""
    from faceplate.models.manifest import load_manifest
    from faceplate.models.policy import load_policy
    options = RuntimeOptions(providers=models.providers, gpu_mem_limit=models.gpu_mem_limit,
                             intra_op_threads=models.threads, backend=models.backend)
    return ModelRegistry(load_manifest(models.manifest), list(models.model_dirs), load_policy(),
                         options)


def check_models(models: "ModelsSpec", registry: ModelRegistry) -> None:
    """Every model the shot names exists in the manifest with the right role, is allowed by
    the licence policy, is found and matches its hash, and loads. Raises before any output."""
    from faceplate.pipeline.models_spec import DLIB_DETECTOR, DLIB_LANDMARKER
    for key, role in _ROLES.items():
        model_id = getattr(models, key)
        if model_id is None or model_id in (DLIB_DETECTOR, DLIB_LANDMARKER):
            continue
        if key in ("swapper", "recognizer") and not models.learned:
            continue
        if model_id not in registry.manifest:
            raise SpecError(f"unknown model {model_id!r}; see `faceplate models list`",
                            key=f"models.{key}")
        entry = registry.manifest[model_id]
        if entry.role != role:
            raise SpecError(f"model {model_id!r} is a {entry.role}, not a {role}",
                            key=f"models.{key}")
        if entry.format != "onnx":
            raise SpecError(f"model {model_id!r} is not an ONNX model", key=f"models.{key}")
        registry.session(model_id)
    converter = registry.manifest[models.swapper].extra.get("converter") if models.learned else None
    if converter:
        entry = registry.manifest.get(str(converter))
        if entry is None or entry.role != "converter":
            raise SpecError(f"model {models.swapper!r} names converter {converter!r}, which the "
                            "manifest does not list as a converter", key="models.swapper")
        registry.session(entry.id)


def face_finder(models: "ModelsSpec", registry: ModelRegistry, pack: "DlibFacePack") -> "OnnxFaceFinder":
    """The ONNX detector (and landmarker) the shot names, behind the dlib pack's calls."""
    from faceplate.models.adapters import adapter_for
    from faceplate.models.face_finder import OnnxFaceFinder
    from faceplate.pipeline.models_spec import DLIB_DETECTOR, DLIB_LANDMARKER
    detector = (adapter_for(registry, models.detector) if models.detector != DLIB_DETECTOR
                else None)
    landmarker = (adapter_for(registry, models.landmarker)
                  if models.landmarker != DLIB_LANDMARKER else None)
    return OnnxFaceFinder(pack, detector, landmarker)


@dataclass(frozen=True)
class LearnedSwapSettings:
    """Box-matte feather (FaceFusion's mask blur, fraction of the crop) and enhancer blend."""

    box_blur: float = 0.3
    enhancer_blend: float = 0.8


class LearnedSwapper:
    """Swap through the shot's learned models. Embeddings of each source are computed once."""

    def __init__(self, models: "ModelsSpec", registry: ModelRegistry,
                 settings: LearnedSwapSettings | None = None) -> None:
        from faceplate.models.adapters import adapter_for
        self.models = models
        self.registry = registry
        self.settings = settings or LearnedSwapSettings(enhancer_blend=models.enhancer_blend)
        self.matte_settings = MatteSettings()
        self.swapper = adapter_for(registry, models.swapper)
        self.recognizer = adapter_for(registry, models.recognizer)
        self.enhancer = adapter_for(registry, models.enhancer) if models.enhancer else None
        self.occlusion = adapter_for(registry, models.occlusion) if models.occlusion else None
        self.regions = adapter_for(registry, models.regions) if models.regions else None
        if self.regions is not None:
            self.regions.select(models.region_classes)  # type: ignore[attr-defined]
        self._embeddings: dict[str, np.ndarray] = {}

    @property
    def id(self) -> str:
        used = [self.models.swapper, self.models.recognizer, self.models.enhancer,
                self.models.occlusion, self.models.regions]
        return "+".join(m for m in used if m)

    def adjusted(self, values: dict[str, float]) -> "LearnedSwapper":
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

    def embedding(self, source: "SourceFace") -> np.ndarray:
        """The swapper's source vector for ``source`` (recognizer, then the model's converter)."""
        if source.name not in self._embeddings:
            raw = self.recognizer.embed(source.texture, [five_from_68(source.landmarks)])[0]  # type: ignore[attr-defined]
            converter = self.swapper.entry.extra.get("converter")
            if converter:
                from faceplate.models.adapters import adapter_for
                raw = adapter_for(self.registry, str(converter)).convert(raw)  # type: ignore[attr-defined]
            self._embeddings[source.name] = raw
        return self._embeddings[source.name]

    def _crop_matte(self, target_crop: RGBImage) -> Matte:
        size = target_crop.shape[0]
        mattes = [box_matte(size, self.settings.box_blur)]
        for masker in (self.occlusion, self.regions):
            if masker is not None:
                mattes.append(masker.mask([target_crop])[0])  # type: ignore[attr-defined]
        return combine(*mattes)

    def swap(self, target: RGBImage, points: Landmarks, source: "SourceFace",
             target_skin: "LabStats | None" = None) -> "SwapResult":
        """Replace the face with 68 landmarks ``points`` (region pixels) in ``target``."""
        from faceplate.face.swapper import SwapResult
        five = five_from_68(points)
        swapped = self.swapper.swap(target, [five], self.embedding(source))[0]  # type: ignore[attr-defined]
        target_crop, _ = warp_face(target, five, self.swapper.template, self.swapper.size)
        rgb, matte = unwarp(swapped.crop, self._crop_matte(target_crop), swapped.matrix,
                            target.shape[:2])
        if self.enhancer is not None:
            pasted = target + matte[..., None] * (rgb - target)
            enhanced = self.enhancer.enhance(pasted, [five], self.settings.enhancer_blend)[0]  # type: ignore[attr-defined]
            rgb, _ = unwarp(enhanced.crop, np.ones(enhanced.crop.shape[:2], np.float32),
                            enhanced.matrix, target.shape[:2])
        if not np.isfinite(rgb).all():
            raise ModelError(f"model {self.models.swapper} returned NaN/Inf pixels")
        mouth_open = mouth_opening(points) > self.matte_settings.mouth_open_threshold
        return SwapResult(rgb=rgb.astype(np.float32), matte=matte.astype(np.float32),
                          mouth_open=bool(mouth_open))
