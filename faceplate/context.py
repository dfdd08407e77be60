"""The explicit per-process run context: colour manager, model pack, swapper, logger, progress.

faceplate keeps no global state; whoever runs a shot (the CLI, a host plugin, a
farm task) makes one context and passes it down. Models load lazily on first use
and stay loaded for the life of the context.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Protocol

from faceplate.face.models import DlibFacePack
from faceplate.face.swapper import ReferenceSwapper
from faceplate.ocio import ColourManager, resolve_config

if TYPE_CHECKING:
    from faceplate.face.colour_match import LabStats
    from faceplate.face.swapper import SourceFace, SwapResult
    from faceplate.models.face_finder import FaceFinder
    from faceplate.models.runtime import ModelRegistry
    from faceplate.pipeline.models_spec import ModelsSpec
    from faceplate.types import Landmarks, RGBImage


@dataclass(frozen=True)
class Progress:
    """One progress report: ``stage`` has done ``done`` of ``total`` units (frames)."""

    stage: str
    done: int
    total: int
    frame: int | None = None


ProgressCallback = Callable[[Progress], None]


def _ignore_progress(_: Progress) -> None:
    return None


class FaceSwapper(Protocol):
    """What rendering calls to replace one face in a region (the reference warp or a learned
    model): working-space region and its 68 landmarks in, swapped pixels and matte out."""

    @property
    def id(self) -> str: ...

    def adjusted(self, values: dict[str, float]) -> "FaceSwapper": ...

    def swap(self, target: "RGBImage", points: "Landmarks", source: "SourceFace",
             target_skin: "LabStats | None" = None) -> "SwapResult": ...


@dataclass
class RunContext:
    """Everything a stage needs besides the spec.

    ``models`` is the offline dlib pack (detection, landmarks, identity for QC); ``registry``
    holds the ONNX sessions of the shot's ``models:`` section (None: no learned model)."""

    colour: ColourManager
    models: DlibFacePack = field(default_factory=DlibFacePack)
    swapper: FaceSwapper = field(default_factory=ReferenceSwapper)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("faceplate"))
    progress: ProgressCallback = _ignore_progress
    registry: "ModelRegistry | None" = None
    finder: "FaceFinder | None" = None

    @property
    def faces(self) -> "FaceFinder":
        """What finds faces and their 68 landmarks: the shot's ONNX models, else the dlib pack."""
        return self.finder if self.finder is not None else self.models  # type: ignore[return-value]

    @classmethod
    def create(cls, spec_ocio: str | None = None, *, environ: Mapping[str, str] | None = None,
               progress: ProgressCallback | None = None,
               models: "ModelsSpec | None" = None) -> "RunContext":
        """A context whose OCIO config follows spec > $OCIO > pinned, with the swapper the
        spec's ``models:`` section names (its models load on first use)."""
        config, choice = resolve_config(spec_ocio, os.environ if environ is None else environ)
        ctx = cls(colour=ColourManager(config, choice), progress=progress or _ignore_progress)
        if models is not None and models.needs_registry:
            from faceplate.models.learned_swapper import registry_for
            ctx.registry = registry_for(models)
        return ctx

    def providers(self) -> dict[str, str]:
        """Model id → execution provider actually used so far (the dlib pack runs on the CPU)."""
        used = {m.id: "CPU (dlib)" for m in self.models.models}
        if self.registry is not None:
            used.update(self.registry.providers_used())
        return used
