"""The review folder's own list of the files it wrote (``<qc>/review/written.json``, schema
``faceplate.review-files/1``): each file with the key of what it was made from and its size
and mtime as written. A report re-uses a file whose key and stamp still match, and deletes
only files on its list that the new report no longer needs, and of those only the ones the
folder's manifest of written files lists (:mod:`faceplate.written`): nothing faceplate did not
write is touched. Keys name files relative to the shot folder, so a moved shot keeps its
images."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceplate.pipeline.stage_files.jsonfile import read_json, write_json
from faceplate.written import remove_written

SCHEMA = "faceplate.review-files/1"
LIST_NAME = "written.json"


def content_key(**parts: Any) -> str:
    """A digest of what a file is made from."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def file_stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class WrittenFiles:
    """The files of one folder a report writes, by name relative to the folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        body = read_json(folder / LIST_NAME, SCHEMA) if folder.is_dir() else None
        self._before: dict[str, dict[str, Any]] = dict((body or {}).get("files", {}))
        self._now: dict[str, dict[str, Any]] = {}

    def current(self, name: str, key: str) -> bool:
        """Whether ``name`` was written from ``key`` and still stands as written."""
        entry = self._before.get(name)
        return (entry is not None and entry.get("key") == key
                and file_stamp(self.folder / name) == entry.get("stamp"))

    def ensure(self, name: str, key: str, write: Callable[[Path], bool]) -> bool:
        """Keep ``name`` if current, else call ``write(path)``; list it if it exists after.
        ``write`` returns False when it had nothing to write. Returns whether the file is
        there."""
        path = self.folder / name
        if not self.current(name, key) and not write(path):
            return False
        stamp = file_stamp(path)
        if stamp is None:
            return False
        self._now[name] = {"key": key, "stamp": stamp}
        return True

    def keep(self, name: str) -> bool:
        """Whether ``name`` is on the new list (written or kept this time)."""
        return name in self._now

    def bytes(self, prefix: str = "") -> int:
        """Total size of the listed files whose names start with ``prefix``."""
        return sum(e["stamp"][0] for n, e in self._now.items() if n.startswith(prefix))

    def count(self, prefix: str = "") -> int:
        return sum(1 for n in self._now if n.startswith(prefix))

    def finish(self) -> list[str]:
        """Delete the files listed before that are no longer needed, save the new list;
        return the names deleted."""
        stale = set(self._before) - set(self._now)
        root = self.folder.resolve()
        by_folder: dict[Path, set[str]] = {}
        for name in stale:
            path = (self.folder / name).resolve()
            if root in path.parents:  # a list edited by hand never reaches outside
                by_folder.setdefault(path.parent, set()).add(path.name)
        gone = []
        for folder, names in by_folder.items():
            removed = remove_written(folder, keep=_not_in(names))
            gone += [(folder / n).relative_to(root).as_posix() for n in removed]
        if self._now != self._before or not (self.folder / LIST_NAME).is_file():
            # by name: the same list whatever order the files were made in (in threads)
            write_json(self.folder / LIST_NAME, SCHEMA, {"files": dict(sorted(self._now.items()))},
                       record=True)
        return sorted(gone)


def _not_in(names: set[str]) -> Callable[[str], bool]:
    """Keep (for :func:`remove_written`) every name but ``names``."""
    return lambda name: name not in names
