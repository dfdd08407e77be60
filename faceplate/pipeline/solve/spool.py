"""Solved faces kept on disk while the solve runs (:class:`~faceplate.pipeline.stage_files.spool.
PickleSpool`): a long track's meshes are never all held, and ``tracks.json`` is written from
the faces read back, the same bytes as from faces in memory."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from faceplate.pipeline.stage_files.spool import PickleSpool
from faceplate.pipeline.stage_files.tracks import SolvedFace


class SpooledFaces(MutableMapping[int, SolvedFace]):
    """Frame → solved face, each face in ``spool`` (read back when looked up); only where each
    starts is held, in a dict's order."""

    def __init__(self, spool: PickleSpool) -> None:
        self.spool = spool
        self._at: dict[int, int] = {}

    def __getitem__(self, frame: int) -> SolvedFace:
        face: SolvedFace = self.spool.get(self._at[frame])
        return face

    def __setitem__(self, frame: int, face: SolvedFace) -> None:
        self._at[frame] = self.spool.put(face)

    def __delitem__(self, frame: int) -> None:
        del self._at[frame]

    def __contains__(self, frame: object) -> bool:
        return frame in self._at

    def __iter__(self) -> Iterator[int]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)
