"""Versioned JSON files that stages hand each other: written atomically, read with a schema
check."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from faceplate.errors import StageError
from faceplate.written import atomic_write, write_bytes, write_error

#: How deep the compact writer opens lists and dicts before it writes a value whole: a stage
#: file's frames (or swaps, then their faces) are written one at a time, never as one text.
_STREAM_DEPTH = 4
_SPACE = re.compile(r"\s*")
_SCHEMA = re.compile(r'\s*\{\s*"schema"\s*:\s*("(?:[^"\\]|\\.)*")')
T = TypeVar("T")


def _plain(value: object) -> object:
    """A NumPy array or number as the list or number JSON writes (the compact writer's
    ``default``: an array is made a list only while it is written)."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _chunks(value: object, depth: int = 0) -> Iterator[str]:
    """The compact JSON text of ``value`` in pieces: lists, dicts and iterators (a generator of
    frames) are opened down to :data:`_STREAM_DEPTH`, each value below written whole."""
    if depth < _STREAM_DEPTH and isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + json.dumps(str(key)) + ":"
            yield from _chunks(item, depth + 1)
        yield "}"
    elif depth < _STREAM_DEPTH and isinstance(value, list | tuple | Iterator):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _chunks(item, depth + 1)
        yield "]"
    else:
        yield json.dumps(value, separators=(",", ":"), allow_nan=False, default=_plain)


def _lines(value: dict[str, Any]) -> Iterator[str]:
    """``value`` a top-level key a line, a list's (or an iterator's) items a line each (each
    written whole by the C encoder: an indented file is encoded in Python, many times
    slower)."""
    def one(item: object) -> str:
        return json.dumps(item, allow_nan=False, default=_plain)
    yield "{"
    for i, (key, item) in enumerate(value.items()):
        yield ("," if i else "") + "\n " + json.dumps(str(key)) + ": "
        if isinstance(item, list) and item:
            yield "[\n  " + ",\n  ".join(one(x) for x in item) + "\n ]"
        elif isinstance(item, Iterator):  # written as it is made: never all held
            n = 0
            for n, x in enumerate(item, 1):
                yield ("[\n  " if n == 1 else ",\n  ") + one(x)
            yield "\n ]" if n else "[]"
        else:
            yield one(item)
    yield "\n}"


def write_json(path: Path, schema: str, body: dict[str, Any], *, record: bool = False,
               compact: bool = False, lines: bool = False) -> None:
    """Write ``{"schema": schema, **body}`` to ``path`` atomically; ``record`` lists it in its
    folder's manifest of files faceplate may remove (:mod:`faceplate.written`). ``compact``:
    no indentation, NumPy arrays written as lists, the text written a piece at a time (a
    list's items, a generator's, one after the other), for files holding a mesh per frame:
    a long shot's whole text is never held in memory. ``lines``: a top-level key a line, a
    list's items a line each (a file read by people, with a record per frame).

    Raises:
        OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
    """
    data = {"schema": schema, **body}
    if lines or compact:
        _write_chunks(path, _lines(data) if lines else _chunks(data), record)
    else:
        text = json.dumps(data, indent=1, allow_nan=False)
        write_bytes(path, (text + "\n").encode("utf-8"), record=record)


def _write_chunks(path: Path, chunks: Iterable[str], record: bool) -> None:
    """Write the text ``chunks`` make to ``path`` atomically, a piece at a time."""
    with atomic_write(path, record=record) as tmp:
        try:
            with tmp.open("w", encoding="utf-8") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.write("\n")
        except OSError as exc:
            raise write_error(exc, path) from None


def _after_space(text: str, pos: int) -> int:
    """The index of the first character at or after ``pos`` that is not white space."""
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def read_json_value(path: Path, schema: str, name: str, head: int = 1 << 16) -> Any:
    """The value of the top-level key ``name`` of a stage file when it is among the keys in
    the file's first ``head`` bytes (the compact writer puts small keys first), read without
    reading the rest of the file; None: absent from the head, or the file absent or of
    another schema (the caller reads the whole file when it must)."""
    try:
        with path.open("rb") as f:
            text = f.read(head).decode("utf-8", errors="ignore")
    except OSError:
        return None
    decoder = json.JSONDecoder()
    pos = _after_space(text, 0)
    if not text.startswith("{", pos):
        return None
    pos += 1
    try:
        while True:
            key, pos = decoder.raw_decode(text, _after_space(text, pos))
            pos = _after_space(text, pos)
            if not text.startswith(":", pos):
                return None
            value, pos = decoder.raw_decode(text, _after_space(text, pos + 1))
            if key == "schema" and value != schema:
                return None
            pos = _after_space(text, pos)
            if key == name:  # ended inside the head (a number the head cuts would read short)
                return value if text.startswith((",", "}"), pos) else None
            if not text.startswith(",", pos):
                return None
            pos += 1
    except ValueError:  # a value runs past the head
        return None


def read_json(path: Path, schema: str,
              object_hook: Callable[[dict[str, Any]], Any] | None = None
              ) -> dict[str, Any] | None:
    """The body of a stage file, or None if it does not exist; ``object_hook`` is given each
    JSON object as it is read (to turn a mesh into an array before the next one is read).

    Raises:
        StageError: the file is corrupt or of another schema.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_hook=object_hook)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StageError(f"corrupt stage file: {exc}", path=path) from None
    if not isinstance(data, dict) or data.get("schema") != schema:
        found = data.get("schema") if isinstance(data, dict) else None
        raise StageError(f"expected schema {schema}, found {found!r}", path=path)
    return data


def compact_line(value: object) -> str:
    """``value`` as compact JSON on one line (NumPy arrays as lists; a string's line breaks are
    escaped, so the text never holds one)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=_plain)


def _opening(head: dict[str, Any], name: str) -> str:
    """``head``'s text up to its list ``name`` opened (items follow a line each)."""
    return compact_line(head)[:-1] + ("," if head else "") + json.dumps(name) + ":[\n"


def write_grouped_lines(path: Path, schema: str, head: dict[str, Any], name: str, inner: str,
                        groups: Iterable[tuple[dict[str, Any], Iterable[object]]], *,
                        record: bool) -> None:
    """Write ``{"schema": schema, **head, name: [group, ...]}`` atomically, each group's own
    keys on a line with its list ``inner`` opened, that list's items a line each (``,`` before
    each but the first), then ``]}``: read a item at a time by :func:`read_grouped_lines`.

    Raises:
        OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
    """
    with atomic_write(path, record=record) as tmp:
        try:
            with tmp.open("w", encoding="utf-8") as out:
                out.write(_opening({"schema": schema, **head}, name))
                for g, (group, items) in enumerate(groups):
                    out.write(("," if g else "") + _opening(group, inner))
                    for i, item in enumerate(items):
                        out.write(("," if i else "") + compact_line(item) + "\n")
                    out.write("]}\n")
                out.write("]}\n")
        except OSError as exc:
            raise write_error(exc, path) from None


def open_list(line: str, name: str, path: Path) -> dict[str, Any]:
    """The keys of an object whose list ``name`` the ``line`` opens (that list left out): a
    line-written file's head, or a group's line of :func:`write_grouped_lines`.

    Raises:
        StageError: the line opens no such list.
    """
    head = json.loads(line.removeprefix(",") + "]}")
    if not isinstance(head, dict) or head.pop(name, None) != []:
        raise StageError(f"corrupt stage file: no list {name!r} where one opens", path=path)
    return head


def check_head(line: str, schema: str, name: str, path: Path) -> dict[str, Any]:
    """The keys of a line-written file's head (its first line), its schema checked.

    Raises:
        StageError: the file is of another schema, or its head is corrupt.
    """
    found = _SCHEMA.match(line)
    if found is None or json.loads(found.group(1)) != schema:
        named = json.loads(found.group(1)) if found is not None else None
        raise StageError(f"expected schema {schema}, found {named!r}", path=path)
    return open_list(line, name, path)


def read_grouped_lines(path: Path, schema: str, name: str, inner: str,
                       object_hook: Callable[[dict[str, Any]], Any] | None = None
                       ) -> dict[str, Any] | None:
    """A file written by :func:`write_grouped_lines` as the one JSON body it is, read a line at
    a time (each item through ``object_hook`` before the next is read: the whole text is never
    held); None if it does not exist.

    Raises:
        StageError: the file is corrupt, cut short or of another schema.
    """
    try:
        with path.open(encoding="utf-8") as f:
            body = check_head(f.readline(), schema, name, path)
            groups: list[dict[str, Any]] = []
            group: dict[str, Any] | None = None
            for line in f:
                if group is None and line.startswith("]}"):
                    return {**body, name: groups}
                if group is None:
                    group = open_list(line, inner, path)
                    group[inner] = []
                elif line.startswith("]}"):
                    groups.append(group)
                    group = None
                else:
                    group[inner].append(json.loads(line.removeprefix(","),
                                                   object_hook=object_hook))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StageError(f"corrupt stage file: {exc}", path=path) from None
    raise StageError("corrupt stage file: cut short", path=path)


class LineSpool:
    """The items of a stage file's list, each kept as one line of compact JSON in ``spool`` (an
    unnamed temporary file, :func:`line_spool`) as they are made (nothing held in memory), then
    written after the file's head once the head is known (:meth:`write`): the file is
    ``{"schema": ..., **head, name: [`` then an item a line (``,`` before each but the first)
    and ``]}``, read an item at a time by :func:`read_json_lines`."""

    def __init__(self, path: Path, spool: IO[str]) -> None:
        self.path = path
        self.count = 0
        self._spool = spool

    def add(self, item: object) -> None:
        """Spool ``item`` (written whole, compact, on its own line)."""
        try:
            self._spool.write(("," if self.count else "") + compact_line(item) + "\n")
        except OSError as exc:
            raise write_error(exc, self.path) from None
        self.count += 1

    def write(self, schema: str, head: dict[str, Any], name: str, *, record: bool) -> None:
        """Write the file atomically: ``head``'s keys after the schema, then the spooled items
        as the list ``name``."""
        with atomic_write(self.path, record=record) as tmp:
            try:
                with tmp.open("w", encoding="utf-8") as out:
                    out.write(_opening({"schema": schema, **head}, name))
                    self._spool.seek(0)
                    shutil.copyfileobj(self._spool, out)
                    out.write("]}\n")
            except OSError as exc:
                raise write_error(exc, self.path) from None


@contextmanager
def line_spool(path: Path) -> Iterator[LineSpool]:
    """A :class:`LineSpool` for ``path``, its temporary file in ``path``'s folder (unnamed:
    gone when closed, whatever happens)."""
    with ExitStack() as stack:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            spool = stack.enter_context(
                tempfile.TemporaryFile("w+", encoding="utf-8", dir=path.parent))
        except OSError as exc:
            raise write_error(exc, path) from None
        yield LineSpool(path, spool)


def read_json_lines(path: Path, schema: str, name: str, each: Callable[[Any], T],
                    object_hook: Callable[[dict[str, Any]], Any] | None = None
                    ) -> tuple[dict[str, Any], list[T]] | None:
    """A stage file written by :class:`LineSpool`: its head, and its list ``name``'s items, each
    read from its own line (through ``object_hook``) and given to ``each`` before the next is
    read (the file's whole text is never held); None if it does not exist.

    Raises:
        StageError: the file is corrupt, cut short or of another schema.
    """
    items: list[T] = []
    try:
        with path.open(encoding="utf-8") as f:
            head = check_head(f.readline(), schema, name, path)
            for line in f:
                if line.startswith("]}"):
                    return head, items
                items.append(each(json.loads(line.removeprefix(","), object_hook=object_hook)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StageError(f"corrupt stage file: {exc}", path=path) from None
    raise StageError("corrupt stage file: cut short", path=path)
