"""The identity descriptors analysis records of the faces it keeps: measured at once, or asked
of dlib's descriptor in a process of its own (:class:`DescriptorProcess`) while analysis goes
on, and written into each face before its frame is written. The values are the same either
way; the process takes them off the analysing thread (dlib holds Python's GIL while it runs)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from faceplate.models.dlib_process import DescriptorProcess, PendingDescriptor
from faceplate.models.mediapipe import MediaPipeFacePack
from faceplate.pipeline.stage_files.analysis import FaceObservation, FrameAnalysis
from faceplate.types import Image8, Mesh


class Identities:
    """Measures a face's identity descriptor (:meth:`measure`) for a frame's record, and
    fills in those owed before the frame is written (:meth:`settle`). ``pack`` gives the
    descriptor (and its 68 points); ``process``, where given, computes it; ``measured``
    False records none."""

    def __init__(self, pack: MediaPipeFacePack, *, measured: bool = True,
                 process: DescriptorProcess | None = None) -> None:
        self._pack, self._measured, self._process = pack, measured, process
        #: Faces (by id) whose descriptor has been asked for, each held with what gives it.
        self._owed: dict[int, tuple[FaceObservation, PendingDescriptor]] = {}

    def measure(self, face: FaceObservation, image: Image8, mesh: Mesh) -> None:
        """The descriptor of ``face``, whose mesh (pixels of ``image``) is ``mesh``: set now,
        or asked of the process and set by :meth:`settle`."""
        if not self._measured:
            face.descriptor = None
        elif self._process is None:
            face.descriptor = self._pack.descriptor(image, mesh).tolist()
        else:
            later = self._process.later(image, self._pack.descriptor_marks(mesh))
            self._owed[id(face)] = (face, later)

    def ready(self, frame: FrameAnalysis) -> bool:
        """Whether :meth:`settle` would not wait for ``frame``'s descriptors."""
        return all(self._owed[id(f)][1].ready() for f in frame.faces if id(f) in self._owed)

    def settle(self, frame: FrameAnalysis) -> FrameAnalysis:
        """``frame`` with each descriptor owed to its faces set (waiting for those not back).

        Raises:
            ModelError: the process could not give one.
        """
        for face in frame.faces:
            owed = self._owed.pop(id(face), None)
            if owed is not None:
                face.descriptor = owed[1].result().tolist()
        return frame


class InOrder:
    """Frames handed on to ``write`` in the order added, each once :class:`Identities` has its
    descriptors back (a frame waits for those of the frames before it)."""

    def __init__(self, identities: Identities, write: Callable[[FrameAnalysis], None]) -> None:
        self._identities, self._write = identities, write
        self._waiting: deque[FrameAnalysis] = deque()

    def add(self, frame: FrameAnalysis) -> None:
        """Hand ``frame`` on after those added before it, at once if its descriptors (and
        theirs) are back."""
        self._waiting.append(frame)
        while self._waiting and self._identities.ready(self._waiting[0]):
            self._write(self._identities.settle(self._waiting.popleft()))

    def flush(self) -> None:
        """Hand on every frame added, waiting for the descriptors still owed."""
        while self._waiting:
            self._write(self._identities.settle(self._waiting.popleft()))
