"""What faceplate wrote, folder by folder, so it deletes only that; and writing a file safely
beside other processes.

Every folder faceplate writes into holds a manifest, ``.faceplate-written`` (JSON): the names of
the files faceplate wrote there and may remove later (thumbnails, cache textures, the report's
files) and the temporaries being written there now. Removing is only ever of names the manifest
lists (:func:`remove_written`); a file faceplate did not write is never deleted, whatever its
name. The manifest is read and changed under an exclusive ``flock`` of itself.

A file is written through :func:`atomic_write`: a temporary in the target folder with a name of
its own (``.<stem>.fptmp-<host>-<pid>-<random><suffix>``), created exclusively, locked while it is
written, listed in the manifest, then renamed onto the final name. A reader sees the old file or
the new one, never a part. Temporaries left by a killed writer are removed by the next write in
that folder when nobody holds their lock and their process is gone (or, from another host,
after :data:`STALE_AFTER_S`); a temporary another live process is writing is never touched.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from faceplate.errors import DiskFullError, OutputError

MANIFEST_NAME = ".faceplate-written"
MANIFEST_SCHEMA = "faceplate.written/1"
#: A temporary whose writer cannot be asked (another host) is stale after this many seconds.
STALE_AFTER_S = 6 * 3600.0
_MARK = ".fptmp-"
#: Characters a temporary's name adds to its final name at most: ``.`` + mark + host (4) + ``-``
#: + pid (up to 7 digits) + ``-`` + random (8).
TEMPORARY_EXTRA = 1 + len(_MARK) + 4 + 1 + 7 + 1 + 8
#: Below this much free space a failed write is taken for a full file system.
_FULL_BELOW = 1 << 20
#: Names a manifest never lists (they are not files of its folder, or are the manifest).
_NOT_NAMES = frozenset(("", ".", "..", MANIFEST_NAME))


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]


def temporary_name(final: Path) -> str:
    """A name of this process's own for a temporary of ``final`` (same folder, same suffix, so a
    writer that picks the format by extension writes the right one)."""
    return f".{final.stem}{_MARK}{_host()}-{os.getpid()}-{secrets.token_hex(4)}{final.suffix}"


def _writer(name: str) -> tuple[str, int] | None:
    """(host, pid) of a temporary's name, or None for a name that is not one."""
    if _MARK not in name:
        return None
    tail = name.rsplit(_MARK, 1)[1].partition(".")[0]
    host, pid, token = (tail.split("-") + ["", "", ""])[:3]
    return (host, int(pid)) if pid.isdigit() and len(host) == 4 and token else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _in_use(path: Path) -> bool:
    """Whether a process holds the lock of ``path`` (a temporary being written)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


class Manifest:
    """The manifest of one folder (see the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME

    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def _locked(self) -> Iterator[dict[str, list[str]]]:
        """The manifest's body under an exclusive lock; changes to it are written back."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(exc, self.folder) from None
        fd = _open_or_raise(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            body = _parse(os.pread(fd, os.fstat(fd).st_size, 0))  # a file: read whole
            before = {key: list(names) for key, names in body.items()}  # lists of str
            yield body
            if body != before:
                data = _text(body)
                os.lseek(fd, 0, os.SEEK_SET)
                _write_all(fd, data, self.path)
                os.ftruncate(fd, len(data))  # a shorter body leaves no old tail
        finally:
            os.close(fd)

    def names(self) -> set[str]:
        """The files faceplate wrote in the folder (and may remove)."""
        if not self.exists():
            return set()
        with self._locked() as body:
            return set(body["files"])

    def add(self, names: Iterable[str]) -> None:
        with self._locked() as body:
            body["files"] = sorted(set(body["files"]) | set(names))

    def _begin(self, temporary: str) -> None:
        """List ``temporary`` (before it is created) and remove stale ones."""
        with self._locked() as body:
            body["temporaries"] = [t for t in body["temporaries"]
                                   if not self._remove_if_stale(t)] + [temporary]

    def _end(self, temporary: str, final: str | None) -> None:
        with self._locked() as body:
            body["temporaries"] = [t for t in body["temporaries"] if t != temporary]
            if final is not None and final not in body["files"]:
                body["files"] = sorted(set(body["files"]) | {final})

    def _remove_if_stale(self, name: str, now: float | None = None) -> bool:
        """Remove the temporary ``name`` if its writer is gone; whether it is gone now."""
        path = self.folder / name
        writer = _writer(name)
        try:
            age = (time.time() if now is None else now) - path.stat().st_mtime
        except FileNotFoundError:
            return True  # renamed or removed by its writer
        if writer is None or _in_use(path):
            return False
        host, pid = writer
        here = host == _host()
        # this process's own unlocked temporary is another thread's, created and not yet
        # locked (or written again under its name): not stale while the process lives
        if (here and pid != os.getpid() and not _alive(pid)) or age > STALE_AFTER_S:
            path.unlink(missing_ok=True)
            return True
        return False

    def remove_stale_temporaries(self) -> list[str]:
        """Remove the listed temporaries whose writers are gone; returns their names."""
        if not self.exists():
            return []
        with self._locked() as body:
            gone = [t for t in body["temporaries"] if self._remove_if_stale(t)]
            body["temporaries"] = [t for t in body["temporaries"] if t not in gone]
        return gone

    def remove(self, keep: Callable[[str], bool] = lambda name: False) -> list[str]:
        """Remove every file the manifest lists, except those ``keep`` says to keep; files it
        does not list are never touched. Returns the names removed."""
        if not self.exists():
            return []
        with self._locked() as body:
            gone = [n for n in body["files"] if not keep(n)]
            for name in gone:
                with suppress(FileNotFoundError):
                    (self.folder / name).unlink()
            body["files"] = [n for n in body["files"] if n not in gone]
        return gone


def _parse(raw: bytes) -> dict[str, list[str]]:
    """A manifest's body; an empty or damaged one lists nothing (so nothing is removed)."""
    try:
        data: Any = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {key: _names(data.get(key)) for key in ("files", "temporaries")}


def _names(value: object) -> list[str]:
    """The names a manifest's list holds that may be files of its folder: strings, none a
    path or the folder itself, its parent or the manifest."""
    if not isinstance(value, list):
        return []
    # a list of such names (as faceplate writes) is checked whole in C, name by name if not
    if (not value or (set(map(type, value)) == {str} and _NOT_NAMES.isdisjoint(value)
                      and "/" not in "\0".join(value))):
        return value
    return [v for v in value if isinstance(v, str) and "/" not in v and v not in _NOT_NAMES]


def _text(body: dict[str, list[str]]) -> bytes:
    """The manifest's text, what ``json.dumps`` writes with ``indent=0`` (a name a line, for
    people), made by the C encoder a list at a time (``indent`` makes ``json`` encode in
    Python, several times slower)."""
    parts = [f"{{\n{json.dumps('schema')}: {json.dumps(MANIFEST_SCHEMA)}"]
    for key, names in body.items():
        listed = json.dumps(names, separators=(",\n", ": "))[1:-1]
        parts.append(f"{json.dumps(key)}: " + (f"[\n{listed}\n]" if names else "[]"))
    return (",\n".join(parts) + "\n}").encode()


def foreign_entries(folder: Path) -> list[str]:
    """What in ``folder`` faceplate did not write, when that decides whether the folder is
    faceplate's: nothing when it is absent, empty, or holds faceplate's manifest (a folder of
    faceplate's; files others add later are left alone). Otherwise its entries, except
    sub-folders that hold a manifest (those faceplate made there, e.g. by a first run that
    stopped before writing in the folder itself)."""
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        return []
    if any(e.name == MANIFEST_NAME for e in entries):
        return []
    return [e.name for e in entries
            if not (e.is_dir() and not e.is_symlink() and (e / MANIFEST_NAME).is_file())]


def remove_written(folder: Path, keep: Callable[[str], bool] = lambda name: False) -> list[str]:
    """Remove the files faceplate wrote in ``folder`` (its manifest's), except those ``keep``
    says to keep; any other file stays. Returns the names removed."""
    return Manifest(folder).remove(keep)


def _open_or_raise(path: Path, flags: int) -> int:
    try:
        return os.open(path, flags, 0o666)
    except OSError as exc:
        raise write_error(exc, path) from None


def _write_all(fd: int, data: bytes, path: Path) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise write_error(exc, path) from None


def write_error(exc: OSError, path: Path, frame: int | None = None) -> OutputError:
    """The faceplate error of a write that failed with ``exc``: :class:`DiskFullError` for a
    full file system or quota, else :class:`OutputError`; told by the error number."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError("no space left on the device", path=path, frame=frame)
    return OutputError(f"cannot write: {exc.strerror or exc}", path=path, frame=frame)


def nearly_full(folder: Path) -> bool:
    """Whether the file system holding ``folder`` has (nearly) no space left: how a write
    through a library that reports only text (OpenImageIO) is told to have failed for space."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _FULL_BELOW


@contextmanager
def atomic_write(final: Path, *, record: bool = False,
                 frame: int | None = None) -> Iterator[Path]:
    """Write ``final`` through a temporary of this process's own: yields the temporary's path
    (created empty, locked, listed in the folder's manifest) for the caller to fill; renames
    it onto ``final`` when the block ends, removes it when the block raises. ``record`` lists
    ``final`` in the manifest as a file faceplate may remove later.

    Raises:
        DiskFullError, OutputError: the folder or temporary cannot be made, or the rename fails.
    """
    folder = final.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, folder, frame) from None
    manifest = Manifest(folder)
    name = temporary_name(final)
    tmp = folder / name
    manifest._begin(name)
    done = False
    try:
        fd = _open_or_raise(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield tmp
            try:
                os.replace(tmp, final)
            except OSError as exc:
                raise write_error(exc, final, frame) from None
            done = True
        finally:
            if not done:
                tmp.unlink(missing_ok=True)
            os.close(fd)
    finally:
        if done:
            manifest._end(name, final.name if record else None)
        else:  # the error that stopped the write is the one to report
            with suppress(OutputError):
                manifest._end(name, None)


def write_bytes(final: Path, data: bytes, *, record: bool = False) -> None:
    """Write ``data`` to ``final`` atomically (see :func:`atomic_write`).

    Raises:
        DiskFullError, OutputError: naming ``final``.
    """
    with atomic_write(final, record=record) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise write_error(exc, final) from None
