"""Versioned JSON files that stages hand each other: written atomically, read with a schema
check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from faceplate.errors import StageError
from faceplate.written import write_bytes


def _plain(value: object) -> object:
    """A NumPy array or number as the list or number JSON writes (the compact writer's
    ``default``: an array is made a list only while it is written)."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_json(path: Path, schema: str, body: dict[str, Any], *, record: bool = False,
               compact: bool = False) -> None:
    """Write ``{"schema": schema, **body}`` to ``path`` atomically; ``record`` lists it in its
    folder's manifest of files faceplate may remove (:mod:`faceplate.written`). ``compact``:
    no indentation, NumPy arrays written as lists (for files holding a mesh per frame: the
    indented text of a long shot takes many times its size in memory while it is made).

    Raises:
        OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
    """
    data = {"schema": schema, **body}
    text = (json.dumps(data, separators=(",", ":"), allow_nan=False, default=_plain) if compact
            else json.dumps(data, indent=1, allow_nan=False))
    write_bytes(path, (text + "\n").encode("utf-8"), record=record)


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
