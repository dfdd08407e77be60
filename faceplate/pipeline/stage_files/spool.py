"""Objects kept on disk while a stage runs, so a long shot's meshes are never all held: each
pickled to an unnamed temporary file in a stage file's folder as it is put (pickle gives back
every value as it was, bit for bit), read back by where it starts. The file is closed when the
spool is gone."""

from __future__ import annotations

import pickle
import tempfile
import weakref
from pathlib import Path
from typing import IO, Any

from faceplate.written import write_error


class PickleSpool:
    """An unnamed temporary file in ``folder`` of pickled objects.

    Raises:
        OutputError: the file could not be made (:class:`DiskFullError`: for lack of space).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # open past any block: what is spooled is read back after the caller returns
            self._file: IO[bytes] = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        except OSError as exc:
            raise write_error(exc, folder) from None
        weakref.finalize(self, self._file.close)

    def put(self, item: object) -> int:
        """Append ``item``; where it starts.

        Raises:
            OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
        """
        try:
            self._file.seek(0, 2)
            at = self._file.tell()
            pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise write_error(exc, self.folder) from None
        return at

    def get(self, at: int) -> Any:
        """The item put at ``at``."""
        self._file.seek(at)
        return pickle.load(self._file)
