"""The explicit per-process run context: colour manager, the default face pack, logger, progress.

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
from faceplate.models.dlib_process import DescriptorProcess
from faceplate.models.mediapipe import MediaPipeFacePack
from faceplate.ocio import ColourManager, resolve_config
from faceplate.pipeline.progress import ProgressCallback, ignore_progress
from faceplate.pipeline.stop import StopFlag
from faceplate.types import Descriptor, Image8, Mesh


def default_face_pack() -> MediaPipeFacePack:
    """MediaPipe's detectors, mesh and iris models, with dlib's ResNet descriptor for identity
    (each loads on first use)."""
    return MediaPipeFacePack(DlibFacePack())


@dataclass(frozen=True)
class RunContext:
    """Everything a stage needs besides the spec and the pre-flight.

    ``face_pack`` is the default pack, MediaPipe's models with dlib's ResNet descriptor: it
    finds faces when the spec names no other detector or landmarker, and measures identity
    for the solve and QC whichever models find and swap the faces. ``stop`` is looked at
    between frames (:mod:`faceplate.pipeline.stop`). ``descriptors``: dlib's identity
    descriptor in a helper process the caller started and closes (the command line's):
    analysis measures identities there while it goes on (None: in its own thread). A helper
    process is spawned, which re-imports the main module: a host's interpreter or a script
    without a ``__main__`` guard cannot start one safely."""

    colour: ColourManager
    face_pack: MediaPipeFacePack = field(default_factory=default_face_pack)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("faceplate"))
    progress: ProgressCallback = ignore_progress
    stop: StopFlag = field(default_factory=StopFlag)
    descriptors: DescriptorProcess | None = None

    @property
    def dlib_helper(self) -> DescriptorProcess | None:
        """:attr:`descriptors`, where the face pack's recognizer is dlib's (the one it runs)."""
        return (self.descriptors if isinstance(self.face_pack.recognizer, DlibFacePack)
                else None)

    def descriptor(self, image: Image8, points: Mesh) -> Descriptor:
        """The identity descriptor (the face pack's) of the face with mesh ``points`` in
        ``image``: measured in :attr:`descriptors` where the run has that helper and the
        pack's recognizer is dlib's (this thread waits, leaving Python's GIL to the others),
        else here; the same values."""
        helper, pack = self.dlib_helper, self.face_pack
        if helper is not None:
            return helper.later(image, pack.descriptor_marks(points)).result()
        return pack.descriptor(image, points)

    @classmethod
    def create(cls, spec_ocio: str | None = None, *, environ: Mapping[str, str] | None = None,
               progress: ProgressCallback | None = None,
               stop: StopFlag | None = None,
               descriptors: DescriptorProcess | None = None) -> RunContext:
        """A context whose OCIO config follows spec > $OCIO > pinned; ``stop`` is the flag a
        signal handler sets to stop the run after the frame in flight."""
        config, choice = resolve_config(spec_ocio, os.environ if environ is None else environ)
        return cls(colour=ColourManager(config, choice), progress=progress or ignore_progress,
                   stop=stop or StopFlag(), descriptors=descriptors)
