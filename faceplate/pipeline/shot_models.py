"""The models a shot runs, resolved once from its spec's ``models:`` section: the face finder
(the MediaPipe pack by default; dlib's HOG and 68-point predictor, or ONNX detectors and
landmarkers, when named), the swapper (the reference warp, or a learned one), the registry
holding their ONNX sessions, and the ids ``qc.json`` and every frame list.

An id left out of the section means the default (the MediaPipe pack's detectors and mesh, the
reference warp). Before anything is written, :func:`resolve_models` checks every model the shot
uses: known, of the right role, allowed by the studio's licence policy (non-commercial licences
are refused unless ``faceplate.yaml`` allows them by name, each refusal one line), its file's
sha256 against the manifest and the studio's lock, and its contract (it loads, with the inputs
and outputs its code reads).
"""

from __future__ import annotations

from dataclasses import dataclass

from faceplate.errors import SpecError
from faceplate.face.swapper import ReferenceSwapper
from faceplate.models.adapters import detector_for, landmarker_for
from faceplate.models.contracts import check_file
from faceplate.models.dlib_pack import DETECTOR_ID, LANDMARKER_ID, RECOGNIZER_ID, DlibFacePack
from faceplate.models.face_finder import (
    Detects,
    FaceFinder,
    Ibug68Mesher,
    Meshes,
    NamedDetection,
    OnnxDetection,
    OnnxMarks68,
)
from faceplate.models.files import require
from faceplate.models.learned_swapper import LearnedSwapper
from faceplate.models.lock import ModelLock, load_lock
from faceplate.models.manifest import ModelEntry, load_manifest
from faceplate.models.mediapipe.pack import DETECTOR_IDS, MESH_IDS, MediaPipeFacePack
from faceplate.models.policy import load_policy
from faceplate.models.protocols import FaceFinder as FaceFinderRole
from faceplate.models.protocols import FaceSwapper
from faceplate.models.runtime import ModelRegistry, RuntimeOptions
from faceplate.spec import ModelsSpec

#: The role each ``models:`` key must name in the manifest.
_ROLES = {"detector": "detector", "landmarker": "landmarker", "swapper": "swapper",
          "recognizer": "recognizer", "enhancer": "enhancer", "occlusion": "masker",
          "regions": "masker"}
#: Ids that name a model faceplate runs itself (not through onnxruntime).
BUILT_IN = (*DETECTOR_IDS, *MESH_IDS, *DlibFacePack.ids, ReferenceSwapper.id)


def _onnx(model_id: str | None) -> str | None:
    """``model_id`` when it names an ONNX model, None when it names a built-in one."""
    return None if model_id is None or model_id in BUILT_IN else model_id


def onnx_detector(models: ModelsSpec) -> str | None:
    return _onnx(models.detector)


def onnx_landmarker(models: ModelsSpec) -> str | None:
    return _onnx(models.landmarker)


def learned_swapper(models: ModelsSpec) -> str | None:
    """The learned swapper's id (None: the reference warp)."""
    return _onnx(models.swapper)


def needs_registry(models: ModelsSpec) -> bool:
    """Whether any ONNX model runs for this shot."""
    return any(m is not None for m in (onnx_detector(models), onnx_landmarker(models),
                                       learned_swapper(models)))


def finder_ids(models: ModelsSpec) -> list[str]:
    """The models that find faces: the detector(s), the landmarker (the mesh and iris models,
    or a 68-point one), and the identity descriptor."""
    detector = (list(DETECTOR_IDS) if models.detector in (None, *DETECTOR_IDS)
                else [str(models.detector)])
    landmarker = (list(MESH_IDS) if models.landmarker in (None, *MESH_IDS)
                  else [str(models.landmarker)])
    return [*detector, *landmarker, RECOGNIZER_ID]


def model_ids(models: ModelsSpec) -> list[str]:
    """Every model a shot with this section uses, for ``qc.json`` and the frames' provenance:
    the finder's, then the swapper and (for a learned one) its helpers."""
    learned = learned_swapper(models)
    if learned is None:
        return [*finder_ids(models), ReferenceSwapper.id]
    helpers = (models.recognizer, models.enhancer, models.occlusion, models.regions)
    return [*finder_ids(models), learned, *(i for i in helpers if i)]


def registry_for(models: ModelsSpec, lock: ModelLock | None = None) -> ModelRegistry:
    """The model registry a shot's ``models:`` section describes (studio policy and lock)."""
    options = RuntimeOptions(providers=models.providers, gpu_mem_limit=models.gpu_mem_limit,
                             intra_op_threads=models.threads, backend=models.backend)
    return ModelRegistry(load_manifest(models.manifest), list(models.model_dirs), load_policy(),
                         options, lock if lock is not None else load_lock())


def _named(models: ModelsSpec, manifest: dict[str, ModelEntry]) -> list[tuple[str, ModelEntry]]:
    """The ``models:`` keys that name a model, with its entry (checked: known, right role)."""
    learned = learned_swapper(models) is not None
    named = []
    for key, role in _ROLES.items():
        model_id = getattr(models, key)
        if model_id is None or (key in ("swapper", "recognizer") and not learned):
            continue  # the reference warp as swapper too: it is no learned one
        if model_id not in manifest:
            raise SpecError(f"unknown model {model_id!r}; see `faceplate models list`",
                            key=f"models.{key}")
        entry = manifest[model_id]
        if entry.role != role:
            raise SpecError(f"model {model_id!r} is a {entry.role}, not a {role}",
                            key=f"models.{key}")
        if key not in ("detector", "landmarker") and entry.format != "onnx":
            raise SpecError(f"model {model_id!r} is not an ONNX model", key=f"models.{key}")
        named.append((key, entry))
    return named


def _converter(models: ModelsSpec, manifest: dict[str, ModelEntry]) -> ModelEntry | None:
    swapper = learned_swapper(models)
    converter = manifest[swapper].extra.get("converter") if swapper else None
    if not converter:
        return None
    found = manifest.get(str(converter))
    if found is None or found.role != "converter":
        raise SpecError(f"model {swapper!r} names converter {converter!r}, which the "
                        "manifest does not list as a converter", key="models.swapper")
    return found


def check_models(models: ModelsSpec, registry: ModelRegistry,
                 pack: MediaPipeFacePack | None = None, *, load: bool = True) -> None:
    """Every model the shot uses exists in the manifest with the right role, is allowed by the
    licence policy (every refusal named, one line each), is found, matches its sha256 pins
    (manifest and studio lock) and its contract, and loads. Raises before any output.

    A model file ``pack`` runs is loaded (and its contract checked) by the pack itself, once:
    the check is the load the shot then uses. ``load`` False checks all but the contracts and
    loads nothing (for a stage that runs no model: each model is checked when it loads)."""
    manifest = registry.manifest
    _named(models, manifest)
    converter = _converter(models, manifest)
    used = [manifest[i] for i in model_ids(models) if i in manifest]
    registry.policy.check_all([*used, *([converter] if converter else [])])
    for entry in used:
        if not load:
            if entry.format != "onnx":
                require(entry, registry.dirs, registry.lock)
            continue
        if entry.format != "onnx":
            status = require(entry, registry.dirs, registry.lock)
            if status.path is not None and not (pack is not None and pack.preload(status.path)):
                check_file(entry, status.path)
        else:
            registry.session(entry.id)
    if converter is not None and load:
        registry.session(converter.id)


def _detects(models: ModelsSpec, registry: ModelRegistry, pack: MediaPipeFacePack) -> Detects:
    if models.detector in (None, *DETECTOR_IDS):
        return pack
    if models.detector == DETECTOR_ID:
        return NamedDetection(DETECTOR_ID, DlibFacePack())
    return OnnxDetection(detector_for(registry, str(models.detector)))


def _meshes(models: ModelsSpec, registry: ModelRegistry, pack: MediaPipeFacePack) -> Meshes:
    if models.landmarker in (None, *MESH_IDS):
        return pack
    if models.landmarker == LANDMARKER_ID:
        return Ibug68Mesher(LANDMARKER_ID, DlibFacePack())
    onnx = OnnxMarks68(landmarker_for(registry, str(models.landmarker)))
    return Ibug68Mesher(onnx.id, onnx)


def face_finder(models: ModelsSpec, registry: ModelRegistry,
                pack: MediaPipeFacePack) -> FaceFinderRole:
    """The finder the section names: the MediaPipe pack itself by default, else its detector
    and landmarker (either may be the pack's)."""
    detects, meshes = _detects(models, registry, pack), _meshes(models, registry, pack)
    if detects is pack and meshes is pack:
        return pack
    return FaceFinder(detects, meshes)


@dataclass(frozen=True)
class ShotModels:
    """What finds faces, what swaps them, the registry of their sessions (its policy, lock and
    ONNX sessions), and the ids ``qc.json`` lists."""

    faces: FaceFinderRole
    swapper: FaceSwapper
    registry: ModelRegistry
    ids: tuple[str, ...]

    def providers(self) -> dict[str, str]:
        """Model id → execution provider actually used so far (LiteRT and dlib run on the
        CPU)."""
        used = {i: "CPU (LiteRT)" if i in (*DETECTOR_IDS, *MESH_IDS) else "CPU (dlib)"
                for i in self.ids if i in BUILT_IN and i != ReferenceSwapper.id}
        used.update(self.registry.providers_used())
        return used

    def digests(self) -> dict[str, str]:
        """Model id → sha256 of each ONNX file loaded so far (provenance)."""
        return self.registry.digests()


def resolve_models(models: ModelsSpec, pack: MediaPipeFacePack, *,
                   load: bool = True) -> ShotModels:
    """The shot's models, checked and ready (the built-in ones load on first use); ``load``
    False leaves their contracts to be checked as they load (see :func:`check_models`).

    Raises:
        SpecError: an unknown id or an id of the wrong role.
        ModelError: a model is refused by the licence policy, missing, altered, not of its
            contract or unloadable.
    """
    ids = tuple(model_ids(models))
    registry = registry_for(models)
    check_models(models, registry, pack, load=load)
    swapper: FaceSwapper = (LearnedSwapper(models, registry) if learned_swapper(models)
                            else ReferenceSwapper())
    return ShotModels(face_finder(models, registry, pack), swapper, registry, ids)
