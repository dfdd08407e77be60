"""The spec's ``models:`` section: which detector, landmarker, swapper, recognizer, enhancer and
maskers a shot uses, and how their sessions run. An id left out (None) means the built-in one
(the offline dlib pack, the reference warp). Ids are checked against the model manifest by the
pre-flight (:mod:`faceplate.pipeline.shot_models`) before anything is written, not here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceplate.errors import SpecError
from faceplate.frames import shown

#: Face-parser regions kept by default: the inner face (not hair, ears, neck or glasses).
DEFAULT_REGIONS = ("skin", "left-eyebrow", "right-eyebrow", "left-eye", "right-eye", "nose",
                   "mouth", "upper-lip", "lower-lip")
_KEYS = {"detector", "landmarker", "swapper", "recognizer", "enhancer", "enhancer_blend",
         "occlusion", "regions", "region_classes", "providers", "backend", "gpu_mem_limit",
         "threads", "model_dirs", "manifest"}
_PROVIDERS = {"tensorrt", "cuda", "cpu"}


@dataclass(frozen=True)
class ModelsSpec:
    """Models of one shot (ids of the model manifest) and their runtime options.

    Attributes:
        detector, landmarker: face detection and 68 landmarks for analysis, sources and QC
            (None: the offline dlib pack's; e.g. ``scrfd_2.5g`` with ``2dfan4``).
        swapper: a manifest swapper id (None: the reference warp).
        recognizer: the ArcFace model that makes the source embedding for a learned swapper.
        enhancer: optional face enhancer, mixed in by ``enhancer_blend`` (0..1).
        occlusion: optional XSeg occluder; ``regions``: optional BiSeNet face parser keeping
            ``region_classes``. Mattes combine (box, occlusion, regions) by minimum.
        providers: onnxruntime execution providers in order of preference (falls back to CPU).
        backend: ``onnxruntime`` or ``torch`` (the same ONNX files through onnx2torch).
        gpu_mem_limit: bytes a session may use on the GPU; threads: intra-op threads.
        model_dirs: folders searched before ``FACEPLATE_MODEL_PATH``; manifest: a studio
            manifest replacing the packaged one.
    """

    detector: str | None = None
    landmarker: str | None = None
    swapper: str | None = None
    recognizer: str = "arcface_w600k_r50"
    enhancer: str | None = None
    enhancer_blend: float = 0.8
    occlusion: str | None = None
    regions: str | None = None
    region_classes: tuple[str, ...] = DEFAULT_REGIONS
    providers: tuple[str, ...] = ("tensorrt", "cuda", "cpu")
    backend: str = "onnxruntime"
    gpu_mem_limit: int | None = None
    threads: int | None = None
    model_dirs: tuple[Path, ...] = ()
    manifest: Path | None = None


def _id(models: dict[str, Any], name: str) -> str | None:
    value = models.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SpecError("expected a model id (see `faceplate models list`)", key=f"models.{name}")
    return value.strip()


def _positive_int(models: dict[str, Any], name: str) -> int | None:
    value = models.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError("expected a whole number >= 1", key=f"models.{name}")
    return value


def _names(models: dict[str, Any], name: str, allowed: set[str] | tuple[str, ...],
           default: tuple[str, ...]) -> tuple[str, ...]:
    value = models.get(name, list(default))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise SpecError("expected a non-empty list of names", key=f"models.{name}")
    unknown = [v for v in value if v.lower() not in allowed]
    if unknown:
        raise SpecError(f"unknown {unknown}; known: {', '.join(sorted(allowed))}",
                        key=f"models.{name}")
    return tuple(v.lower() for v in value)


def parse_models(value: Any, base: Path) -> ModelsSpec:
    """Validate the ``models:`` mapping; relative folders resolve against ``base``."""
    if value is None:
        return ModelsSpec()
    if not isinstance(value, dict):
        raise SpecError("expected a mapping", key="models")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise SpecError(f"unknown key {shown(unknown[0])}; known: {', '.join(sorted(_KEYS))}",
                        key=f"models.{unknown[0]}")
    defaults = ModelsSpec()
    blend = value.get("enhancer_blend", defaults.enhancer_blend)
    if not isinstance(blend, (int, float)) or isinstance(blend, bool) or not 0 <= blend <= 1:
        raise SpecError("expected a number in [0, 1]", key="models.enhancer_blend")
    backend = value.get("backend", defaults.backend)
    if backend not in ("onnxruntime", "torch"):
        raise SpecError("expected 'onnxruntime' or 'torch'", key="models.backend")
    dirs = value.get("model_dirs", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        raise SpecError("expected a list of folders", key="models.model_dirs")
    manifest = value.get("manifest")
    return ModelsSpec(
        detector=_id(value, "detector"), landmarker=_id(value, "landmarker"),
        swapper=_id(value, "swapper"),
        recognizer=_id(value, "recognizer") or defaults.recognizer,
        enhancer=_id(value, "enhancer"), enhancer_blend=float(blend),
        occlusion=_id(value, "occlusion"), regions=_id(value, "regions"),
        region_classes=_names(value, "region_classes", DEFAULT_REGIONS + ("glasses",),
                              DEFAULT_REGIONS),
        providers=_names(value, "providers", _PROVIDERS, defaults.providers),
        backend=backend, gpu_mem_limit=_positive_int(value, "gpu_mem_limit"),
        threads=_positive_int(value, "threads"),
        model_dirs=tuple(base / d for d in dirs),
        manifest=base / str(manifest) if manifest is not None else None)
