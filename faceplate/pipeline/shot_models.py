"""The models a shot runs, resolved once from its spec's ``models:`` section: the face finder
(the offline dlib pack, or the ONNX detector and landmarker it names), the swapper (the
reference warp, or a learned one) and the registry holding their ONNX sessions.

An id left out of the section, or naming a built-in model (the dlib pack's, the reference
warp's), means the built-in one. Every ONNX model is checked (manifest, role, licence, hash,
load) by :func:`resolve_models` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from faceplate.errors import SpecError
from faceplate.face.swapper import ReferenceSwapper
from faceplate.models.adapters import detector_for, landmarker_for
from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.face_finder import OnnxFaceFinder
from faceplate.models.learned_swapper import LearnedSwapper
from faceplate.models.manifest import load_manifest
from faceplate.models.policy import load_policy
from faceplate.models.protocols import FaceFinder, FaceSwapper
from faceplate.models.runtime import ModelRegistry, RuntimeOptions
from faceplate.spec import ModelsSpec

#: The role each ``models:`` key must name in the manifest.
_ROLES = {"detector": "detector", "landmarker": "landmarker", "swapper": "swapper",
          "recognizer": "recognizer", "enhancer": "enhancer", "occlusion": "masker",
          "regions": "masker"}


def _onnx(model_id: str | None, built_in: tuple[str, ...]) -> str | None:
    """``model_id`` when it names an ONNX model, None when it names a built-in one."""
    return None if model_id is None or model_id in built_in else model_id


def onnx_detector(models: ModelsSpec) -> str | None:
    return _onnx(models.detector, DlibFacePack.ids())


def onnx_landmarker(models: ModelsSpec) -> str | None:
    return _onnx(models.landmarker, DlibFacePack.ids())


def learned_swapper(models: ModelsSpec) -> str | None:
    """The learned swapper's id (None: the reference warp)."""
    return _onnx(models.swapper, (ReferenceSwapper.id,))


def needs_registry(models: ModelsSpec) -> bool:
    """Whether any ONNX model runs for this shot."""
    return any(m is not None for m in (onnx_detector(models), onnx_landmarker(models),
                                       learned_swapper(models)))


def model_ids(models: ModelsSpec) -> list[str]:
    """Every model a shot with this section uses, for ``qc.json``: the dlib pack's, then the
    ONNX finder's, then the swapper and (for a learned one) its helpers."""
    finder = [i for i in (onnx_detector(models), onnx_landmarker(models)) if i is not None]
    learned = learned_swapper(models)
    if learned is None:
        return [*DlibFacePack.ids(), *finder, ReferenceSwapper.id]
    helpers = (models.recognizer, models.enhancer, models.occlusion, models.regions)
    return [*DlibFacePack.ids(), *finder, learned, *(i for i in helpers if i)]


def registry_for(models: ModelsSpec) -> ModelRegistry:
    """The model registry a shot's ``models:`` section describes (studio policy applied)."""
    options = RuntimeOptions(providers=models.providers, gpu_mem_limit=models.gpu_mem_limit,
                             intra_op_threads=models.threads, backend=models.backend)
    return ModelRegistry(load_manifest(models.manifest), list(models.model_dirs), load_policy(),
                         options)


def check_models(models: ModelsSpec, registry: ModelRegistry) -> None:
    """Every ONNX model the shot names exists in the manifest with the right role, is allowed
    by the licence policy, is found and matches its hash, and loads. Raises before any output."""
    learned = learned_swapper(models) is not None
    for key, role in _ROLES.items():
        model_id = getattr(models, key)
        if key in ("detector", "landmarker"):
            model_id = _onnx(model_id, DlibFacePack.ids())
        if model_id is None:
            continue
        if key in ("swapper", "recognizer") and not learned:
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
    swapper = learned_swapper(models)
    converter = registry.manifest[swapper].extra.get("converter") if swapper else None
    if converter:
        found = registry.manifest.get(str(converter))
        if found is None or found.role != "converter":
            raise SpecError(f"model {swapper!r} names converter {converter!r}, which the "
                            "manifest does not list as a converter", key="models.swapper")
        registry.session(found.id)


def face_finder(models: ModelsSpec, registry: ModelRegistry, pack: DlibFacePack) -> FaceFinder:
    """The ONNX detector (and landmarker) the shot names behind the dlib pack's calls, or the
    pack itself when it names neither."""
    detector, landmarker = onnx_detector(models), onnx_landmarker(models)
    if detector is None and landmarker is None:
        return pack
    return OnnxFaceFinder(pack, detector_for(registry, detector) if detector else None,
                          landmarker_for(registry, landmarker) if landmarker else None)


@dataclass(frozen=True)
class ShotModels:
    """What finds faces, what swaps them, the registry of their ONNX sessions (None: no ONNX
    model runs), and the ids ``qc.json`` lists."""

    faces: FaceFinder
    swapper: FaceSwapper
    registry: ModelRegistry | None
    ids: tuple[str, ...]

    def providers(self, pack: DlibFacePack) -> dict[str, str]:
        """Model id → execution provider actually used so far (the dlib pack runs on the CPU)."""
        used = {m.id: "CPU (dlib)" for m in pack.model_infos}
        if self.registry is not None:
            used.update(self.registry.providers_used())
        return used

    def digests(self) -> dict[str, str]:
        """Model id → sha256 of each ONNX file loaded so far (provenance)."""
        return self.registry.digests() if self.registry is not None else {}


def resolve_models(models: ModelsSpec, pack: DlibFacePack) -> ShotModels:
    """The shot's models, checked and ready (the dlib pack's load on first use).

    Raises:
        SpecError: an unknown id or an id of the wrong role.
        ModelError: a model is refused by the licence policy, missing, altered or unloadable.
    """
    ids = tuple(model_ids(models))
    if not needs_registry(models):
        return ShotModels(pack, ReferenceSwapper(), None, ids)
    registry = registry_for(models)
    check_models(models, registry)
    swapper: FaceSwapper = (LearnedSwapper(models, registry) if learned_swapper(models)
                            else ReferenceSwapper())
    return ShotModels(face_finder(models, registry, pack), swapper, registry, ids)
