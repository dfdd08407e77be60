"""Finding model files on the search path (and in the distributions that ship them) and
checking their sha256 against the manifest's pin and the studio's lock."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from faceplate.errors import ModelHashError, ModelNotFoundError
from faceplate.models.lock import ModelLock
from faceplate.models.manifest import ModelEntry

#: Where the model files faceplate ships live (the MediaPipe pack, see its NOTICE).
SHIPPED = Path(__file__).parent / "mediapipe" / "data"


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
    """Where a model's file is and whether its hash matches: ``found`` (matches its pins),
    ``missing``, ``hash mismatch``, ``no pinned hash`` or ``built in``; ``expected`` is the pin
    it failed (``pinned_by``: ``manifest`` or ``lock``)."""

    entry: ModelEntry
    path: Path | None
    state: str
    sha256: str | None = None
    expected: str | None = None
    pinned_by: str | None = None


def distribution_folder(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (face_recognition_models'
    ``__init__`` needs ``pkg_resources``, which new setuptools no longer ships)."""
    import importlib.util
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _distribution_file(entry: ModelEntry) -> Path | None:
    """The file inside the distribution that ships it (faceplate's own, or the dlib pack's)."""
    if entry.file is None:
        return None
    source = entry.extra.get("distribution")
    if source == "faceplate":
        path: Path | None = SHIPPED / entry.file
    elif source == "face_recognition_models":
        folder = distribution_folder("face_recognition_models")
        path = folder / "models" / entry.file if folder is not None else None
    else:
        return None
    return path if path is not None and path.is_file() else None


def locate(entry: ModelEntry, dirs: list[Path]) -> Path | None:
    """The first folder on ``dirs`` holding the entry's file, else the distribution shipping it."""
    if entry.file is None:
        return None
    for d in dirs:
        if (d / entry.file).is_file():
            return d / entry.file
    return _distribution_file(entry)


def check(entry: ModelEntry, dirs: list[Path], lock: ModelLock | None = None) -> FileStatus:
    """Locate and hash one model file against the manifest's pin and the studio's ``lock``
    (no exception: the state says what is wrong)."""
    if entry.file is None:
        return FileStatus(entry, None, "built in")
    path = locate(entry, dirs)
    if path is None:
        return FileStatus(entry, None, "missing")
    digest = sha256_of(path)
    pins = [(p.lower(), by) for p, by in ((entry.sha256, "manifest"),
                                          (lock.sha256(entry.id) if lock else None, "lock"))
            if p is not None]
    if not pins:
        return FileStatus(entry, path, "no pinned hash", digest)
    for expected, by in pins:
        if digest != expected:
            return FileStatus(entry, path, "hash mismatch", digest, expected, by)
    return FileStatus(entry, path, "found", digest)


def mismatch_message(status: FileStatus) -> str:
    """One line naming the model, the file, the expected and the found sha256."""
    source = "the studio lock" if status.pinned_by == "lock" else "the manifest"
    return (f"model {status.entry.id}: {status.path}: expected sha256 {status.expected} "
            f"(pinned in {source}), found {status.sha256}; refusing to load")


def require(entry: ModelEntry, dirs: list[Path], lock: ModelLock | None = None) -> FileStatus:
    """Like :func:`check` but raise on a missing file or a hash mismatch."""
    status = check(entry, dirs, lock)
    if status.state == "missing":
        raise ModelNotFoundError(
            f"model {entry.id}: {entry.file} is on no model folder "
            f"({', '.join(map(str, dirs)) or 'FACEPLATE_MODEL_PATH empty'})")
    if status.state == "hash mismatch":
        raise ModelHashError(mismatch_message(status), path=status.path)
    return status
