"""Solved faces kept on disk while the solve runs: a long track's meshes are never all held.

Each face is pickled to an unnamed temporary file as it is stored (pickle keeps every value
as it was, bit for bit, so ``tracks.json`` is written the same as from faces in memory); the
mapping holds only where each frame's face starts, in the order frames were stored, as a dict
does. The file is closed when the last mapping using it is gone."""

from __future__ import annotations

import pickle
import tempfile
import weakref
from collections.abc import Iterator, MutableMapping
from typing import IO

from faceplate.pipeline.stage_files.tracks import SolvedFace


class FaceFile:
    """An unnamed temporary file of pickled faces (closed when this object is gone)."""

    def __init__(self) -> None:
        # open past any block: the solve's faces are read back after it returns
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        weakref.finalize(self, self._file.close)

    def put(self, face: SolvedFace) -> int:
        """Append ``face``; where it starts."""
        self._file.seek(0, 2)
        at = self._file.tell()
        pickle.dump(face, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        return at

    def get(self, at: int) -> SolvedFace:
        """The face stored at ``at``."""
        self._file.seek(at)
        face: SolvedFace = pickle.load(self._file)
        return face


class SpooledFaces(MutableMapping[int, SolvedFace]):
    """Frame → solved face, each face in ``file`` (read back when looked up), a dict's order."""

    def __init__(self, file: FaceFile) -> None:
        self.file = file
        self._at: dict[int, int] = {}

    def __getitem__(self, frame: int) -> SolvedFace:
        return self.file.get(self._at[frame])

    def __setitem__(self, frame: int, face: SolvedFace) -> None:
        self._at[frame] = self.file.put(face)

    def __delitem__(self, frame: int) -> None:
        del self._at[frame]

    def __contains__(self, frame: object) -> bool:
        return frame in self._at

    def __iter__(self) -> Iterator[int]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)
