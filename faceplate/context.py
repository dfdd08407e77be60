"""The explicit per-process run context: colour manager, model pack, swapper, logger, progress.

faceplate keeps no global state; whoever runs a shot (the CLI, a host plugin, a
farm task) makes one context and passes it down. Models load lazily on first use
and stay loaded for the life of the context.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Callable, Mapping

from faceplate.face.models import DlibFacePack
from faceplate.face.swapper import ReferenceSwapper
from faceplate.ocio import ColourManager, resolve_config


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


@dataclass
class RunContext:
    """Everything a stage needs besides the spec."""

    colour: ColourManager
    models: DlibFacePack = field(default_factory=DlibFacePack)
    swapper: ReferenceSwapper = field(default_factory=ReferenceSwapper)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("faceplate"))
    progress: ProgressCallback = _ignore_progress

    @classmethod
    def create(cls, spec_ocio: str | None = None, *, environ: Mapping[str, str] | None = None,
               progress: ProgressCallback | None = None) -> "RunContext":
        """A context whose OCIO config follows spec > $OCIO > pinned."""
        config, choice = resolve_config(spec_ocio, os.environ if environ is None else environ)
        return cls(colour=ColourManager(config, choice), progress=progress or _ignore_progress)
