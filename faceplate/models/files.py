"""Finding model files on the search path and checking their sha256."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from faceplate.errors import ModelHashError, ModelNotFoundError
from faceplate.models.manifest import ModelEntry


def search_path(model_dirs: list[Path] | None = None,
                env: Mapping[str, str] | None = None) -> list[Path]:
    """``--model-dir`` folders first, then ``FACEPLATE_MODEL_PATH`` (os.pathsep separated)."""
    environ = os.environ if env is None else env
    dirs = list(model_dirs or [])
    dirs += [Path(p) for p in environ.get("FACEPLATE_MODEL_PATH", "").split(os.pathsep) if p]
    return dirs


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileStatus:
    """Where a model's file is and whether its hash matches: ``found``, ``missing``,
    ``hash mismatch`` or ``no pinned hash``."""

    entry: ModelEntry
    path: Path | None
    state: str
    sha256: str | None = None


def distribution_folder(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (face_recognition_models'
    ``__init__`` needs ``pkg_resources``, which new setuptools no longer ships)."""
    import importlib.util
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _distribution_file(entry: ModelEntry) -> Path | None:
    """The file inside the pip distribution that ships it (the offline dlib pack)."""
    if entry.extra.get("distribution") != "face_recognition_models" or entry.file is None:
        return None
    folder = distribution_folder("face_recognition_models")
    path = folder / "models" / entry.file if folder is not None else None
    return path if path is not None and path.is_file() else None


def locate(entry: ModelEntry, dirs: list[Path]) -> Path | None:
    """The first folder on ``dirs`` holding the entry's file, else the distribution shipping it."""
    if entry.file is None:
        return None
    for d in dirs:
        if (d / entry.file).is_file():
            return d / entry.file
    return _distribution_file(entry)


def check(entry: ModelEntry, dirs: list[Path]) -> FileStatus:
    """Locate and hash one model file (no exception: the state says what is wrong)."""
    if entry.file is None:
        return FileStatus(entry, None, "built in")
    path = locate(entry, dirs)
    if path is None:
        return FileStatus(entry, None, "missing")
    digest = sha256_of(path)
    if entry.sha256 is None:
        return FileStatus(entry, path, "no pinned hash", digest)
    state = "found" if digest == entry.sha256.lower() else "hash mismatch"
    return FileStatus(entry, path, state, digest)


def require(entry: ModelEntry, dirs: list[Path]) -> FileStatus:
    """Like :func:`check` but raise on a missing file or a hash mismatch."""
    status = check(entry, dirs)
    if status.state == "missing":
        raise ModelNotFoundError(
            f"model {entry.id}: {entry.file} is on no model folder "
            f"({', '.join(map(str, dirs)) or 'FACEPLATE_MODEL_PATH empty'})")
    if status.state == "hash mismatch":
        raise ModelHashError(f"model {entry.id}: sha256 {status.sha256} is not the pinned "
                             f"{entry.sha256}; refusing to load", path=status.path)
    return status
