"""The spec's ``models:`` section: which detector, landmarker, swapper, recognizer, enhancer and
maskers a shot uses, and how their sessions run. An id left out (None) means the built-in one
(the offline dlib pack, the reference warp). Ids are checked against the model manifest by the
pre-flight (:mod:`faceplate.pipeline.shot_models`) before anything is written, not here.

:class:`ModelsSpec` is a pydantic dataclass: the one definition of the section's keys, types and
defaults, which validates the YAML and gives the JSON Schema its ``models`` part."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, StringConstraints, field_validator
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from faceplate.spec.validation import says

Region = Literal["skin", "left-eyebrow", "right-eyebrow", "left-eye", "right-eye", "nose",
                 "mouth", "upper-lip", "lower-lip", "glasses"]
Provider = Literal["tensorrt", "cuda", "cpu"]
_REGIONS: tuple[str, ...] = get_args(Region)
_PROVIDERS: tuple[Provider, ...] = get_args(Provider)
#: Face-parser regions kept by default: the inner face (not hair, ears, neck or glasses).
DEFAULT_REGIONS: tuple[Region, ...] = ("skin", "left-eyebrow", "right-eyebrow", "left-eye",
                                       "right-eye", "nose", "mouth", "upper-lip", "lower-lip")
#: A model id of the manifest (see ``faceplate models list``).
ModelId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1),
                    says("expected a model id (see `faceplate models list`)")]
#: A whole number from 1.
Count = Annotated[int, Field(ge=1, strict=True), says("expected a whole number >= 1")]


def _names(value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value or not all(
            isinstance(v, str) for v in value):
        raise PydanticCustomError("names", "expected a non-empty list of names")
    unknown = [v for v in value if v.lower() not in allowed]
    if unknown:
        raise PydanticCustomError("names", "unknown {unknown}; known: {known}",
                                  {"unknown": str(unknown), "known": ", ".join(sorted(allowed))})
    return tuple(v.lower() for v in value)


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
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
            manifest replacing the packaged one (relative to the spec's folder in a spec).
    """

    detector: ModelId | None = Field(default=None,
                                     description="face detector id (default: dlib pack)")
    landmarker: ModelId | None = Field(default=None, description="68-landmark model id")
    swapper: ModelId | None = Field(default=None,
                                    description="swapper id (default: the reference warp)")
    recognizer: ModelId = Field(default="arcface_w600k_r50",
                                description="ArcFace model for a learned swapper's source")
    enhancer: ModelId | None = Field(default=None, description="face enhancer id")
    enhancer_blend: Annotated[float, Field(ge=0, le=1, strict=True),
                              says("expected a number in [0, 1]")] = Field(
        default=0.8, description="how much of the enhancer is mixed in")
    occlusion: ModelId | None = Field(default=None, description="occluder id (XSeg)")
    regions: ModelId | None = Field(default=None, description="face parser id (BiSeNet)")
    region_classes: tuple[Region, ...] = Field(default=DEFAULT_REGIONS,
                                               description="face-parser regions kept")
    providers: tuple[Provider, ...] = Field(default=_PROVIDERS,
                                            description="onnxruntime execution providers, in "
                                                        "order")
    backend: Annotated[Literal["onnxruntime", "torch"],
                       says("expected 'onnxruntime' or 'torch'")] = Field(
        default="onnxruntime", description="how ONNX models run")
    gpu_mem_limit: Count | None = Field(default=None,
                                        description="GPU memory a session may use (bytes)")
    threads: Count | None = Field(default=None, description="intra-op CPU threads")
    model_dirs: tuple[Path, ...] = Field(default=(), description="folders searched for model files")
    manifest: Path | None = Field(default=None, description="a studio model manifest")

    @field_validator("recognizer", mode="before")
    @classmethod
    def _default_recognizer(cls, value: Any) -> Any:
        return "arcface_w600k_r50" if value is None else value

    @field_validator("region_classes", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> tuple[str, ...]:
        return _names(value, _REGIONS)

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: Any) -> tuple[str, ...]:
        return _names(value, _PROVIDERS)

    @field_validator("model_dirs", mode="before")
    @classmethod
    def _folders(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)) or not all(isinstance(d, (str, Path))
                                                           for d in value):
            raise PydanticCustomError("folders", "expected a list of folders")
        return value

    @field_validator("manifest", mode="before")
    @classmethod
    def _manifest(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, (str, Path)):
            raise PydanticCustomError("file", "expected a file path")
        return value

    def resolved(self, base: Path) -> ModelsSpec:
        """The section with its folders and manifest relative to ``base`` made absolute."""
        import dataclasses
        return dataclasses.replace(
            self, model_dirs=tuple(base / d for d in self.model_dirs),
            manifest=base / self.manifest if self.manifest is not None else None)
