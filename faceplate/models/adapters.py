"""Build the adapter for a manifest entry by its family."""

from __future__ import annotations

from faceplate.errors import ModelError
from faceplate.models.base import OnnxAdapter
from faceplate.models.converters import EmbeddingConverter
from faceplate.models.detectors import AnchorDetector, YoloFaceDetector, YuNetDetector
from faceplate.models.enhancers import OnnxEnhancer
from faceplate.models.landmarkers import Fan68Landmarker
from faceplate.models.masks import BiSeNetMasker, XSegMasker
from faceplate.models.runtime import ModelRegistry
from faceplate.models.swappers import ArcFaceRecognizer, OnnxSwapper

_FAMILIES: dict[str, type[OnnxAdapter]] = {
    "scrfd": AnchorDetector, "retinaface": AnchorDetector, "yoloface": YoloFaceDetector,
    "yunet": YuNetDetector, "2dfan4": Fan68Landmarker, "arcface": ArcFaceRecognizer,
    "crossface": EmbeddingConverter,
    "inswapper": OnnxSwapper, "hyperswap": OnnxSwapper, "simswap": OnnxSwapper,
    "ghost": OnnxSwapper, "gfpgan": OnnxEnhancer, "codeformer": OnnxEnhancer,
    "gpen": OnnxEnhancer, "xseg": XSegMasker, "bisenet": BiSeNetMasker,
}


def adapter_for(registry: ModelRegistry, model_id: str) -> OnnxAdapter:
    """The adapter for ``model_id`` (its session loads on first call)."""
    family = registry.entry(model_id).family
    if family not in _FAMILIES:
        raise ModelError(f"model {model_id}: family '{family}' has no ONNX adapter yet")
    return _FAMILIES[family](registry, model_id)
