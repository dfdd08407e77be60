"""Build the adapter for a manifest entry by its family, typed by the role it plays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from faceplate.errors import ModelError
from faceplate.models.base import OnnxAdapter
from faceplate.models.converters import EmbeddingConverter
from faceplate.models.detectors import AnchorDetector, YoloFaceDetector, YuNetDetector
from faceplate.models.enhancers import OnnxEnhancer
from faceplate.models.landmarkers import Fan68Landmarker
from faceplate.models.masks import BiSeNetMasker, XSegMasker
from faceplate.models.protocols import (
    Converter,
    Detector,
    Enhancer,
    Landmarker,
    Masker,
    Recognizer,
    RegionMasker,
    Swapper,
)
from faceplate.models.runtime import ModelRegistry
from faceplate.models.swappers import ArcFaceRecognizer, OnnxSwapper

Role = TypeVar("Role")
Factory = Callable[[ModelRegistry, str], Role]

# One table per role: the type checker holds each adapter class to its role's Protocol.
_DETECTORS: Mapping[str, Factory[Detector]] = {
    "scrfd": AnchorDetector, "retinaface": AnchorDetector, "yoloface": YoloFaceDetector,
    "yunet": YuNetDetector}
_LANDMARKERS: Mapping[str, Factory[Landmarker]] = {"2dfan4": Fan68Landmarker}
_RECOGNIZERS: Mapping[str, Factory[Recognizer]] = {"arcface": ArcFaceRecognizer}
_CONVERTERS: Mapping[str, Factory[Converter]] = {"crossface": EmbeddingConverter}
_SWAPPERS: Mapping[str, Factory[Swapper]] = {
    "inswapper": OnnxSwapper, "hyperswap": OnnxSwapper, "simswap": OnnxSwapper,
    "ghost": OnnxSwapper}
_ENHANCERS: Mapping[str, Factory[Enhancer]] = {
    "gfpgan": OnnxEnhancer, "codeformer": OnnxEnhancer, "gpen": OnnxEnhancer}
_OCCLUDERS: Mapping[str, Factory[Masker]] = {"xseg": XSegMasker, "bisenet": BiSeNetMasker}
_PARSERS: Mapping[str, Factory[RegionMasker]] = {"bisenet": BiSeNetMasker}

_TABLES: tuple[Mapping[str, Factory[object]], ...] = (
    _DETECTORS, _LANDMARKERS, _RECOGNIZERS, _CONVERTERS, _SWAPPERS, _ENHANCERS, _OCCLUDERS,
    _PARSERS)


def _make(table: Mapping[str, Factory[Role]], registry: ModelRegistry, model_id: str,
          role: str) -> Role:
    family = registry.entry(model_id).family
    if family not in table:
        if any(family in other for other in _TABLES):
            raise ModelError(f"model {model_id}: a {family} model is not a {role}")
        raise ModelError(f"model {model_id}: family '{family}' has no ONNX adapter yet")
    return table[family](registry, model_id)


def adapter_for(registry: ModelRegistry, model_id: str) -> OnnxAdapter:
    """The adapter for ``model_id``, whatever its role (its session loads on first call)."""
    family = registry.entry(model_id).family
    for table in _TABLES:
        if family in table:
            adapter = table[family](registry, model_id)
            assert isinstance(adapter, OnnxAdapter)
            return adapter
    raise ModelError(f"model {model_id}: family '{family}' has no ONNX adapter yet")


def detector_for(registry: ModelRegistry, model_id: str) -> Detector:
    return _make(_DETECTORS, registry, model_id, "detector")


def landmarker_for(registry: ModelRegistry, model_id: str) -> Landmarker:
    return _make(_LANDMARKERS, registry, model_id, "landmarker")


def recognizer_for(registry: ModelRegistry, model_id: str) -> Recognizer:
    return _make(_RECOGNIZERS, registry, model_id, "recognizer")


def converter_for(registry: ModelRegistry, model_id: str) -> Converter:
    return _make(_CONVERTERS, registry, model_id, "converter")


def swapper_for(registry: ModelRegistry, model_id: str) -> Swapper:
    return _make(_SWAPPERS, registry, model_id, "swapper")


def enhancer_for(registry: ModelRegistry, model_id: str) -> Enhancer:
    return _make(_ENHANCERS, registry, model_id, "enhancer")


def occluder_for(registry: ModelRegistry, model_id: str) -> Masker:
    return _make(_OCCLUDERS, registry, model_id, "occluder")


def region_masker_for(registry: ModelRegistry, model_id: str) -> RegionMasker:
    return _make(_PARSERS, registry, model_id, "face parser")
