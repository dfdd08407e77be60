"""The explicit per-process run context: colour manager, the offline face pack, logger, progress.

faceplate keeps no global state; whoever runs a shot (the CLI, a host plugin, a farm task) makes
one context and passes it down. It does not change during a run: what a shot resolves (its
colourspaces, display, compression and models) is the pre-flight's
(:class:`faceplate.pipeline.preflight.Preflight`). The pack's models load on first use and stay
loaded for the life of the context.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from faceplate.models.dlib_pack import DlibFacePack
from faceplate.ocio import ColourManager, resolve_config
from faceplate.pipeline.progress import ProgressCallback, ignore_progress
from faceplate.pipeline.stop import StopFlag


@dataclass(frozen=True)
class RunContext:
    """Everything a stage needs besides the spec and the pre-flight.

    ``face_pack`` is the offline dlib pack: it measures identity for QC whichever models find
    and swap the faces, and finds them when the spec names no ONNX detector. ``stop`` is looked
    at between frames (:mod:`faceplate.pipeline.stop`)."""

    colour: ColourManager
    face_pack: DlibFacePack = field(default_factory=DlibFacePack)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("faceplate"))
    progress: ProgressCallback = ignore_progress
    stop: StopFlag = field(default_factory=StopFlag)

    @classmethod
    def create(cls, spec_ocio: str | None = None, *, environ: Mapping[str, str] | None = None,
               progress: ProgressCallback | None = None,
               stop: StopFlag | None = None) -> RunContext:
        """A context whose OCIO config follows spec > $OCIO > pinned; ``stop`` is the flag a
        signal handler sets to stop the run after the frame in flight."""
        config, choice = resolve_config(spec_ocio, os.environ if environ is None else environ)
        return cls(colour=ColourManager(config, choice), progress=progress or ignore_progress,
                   stop=stop or StopFlag())
