"""Versioned JSON files that stages hand each other: written atomically, read with a schema
check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from faceplate.errors import StageError
from faceplate.written import write_bytes


def write_json(path: Path, schema: str, body: dict[str, Any], *, record: bool = False) -> None:
    """Write ``{"schema": schema, **body}`` to ``path`` atomically; ``record`` lists it in its
    folder's manifest of files faceplate may remove (:mod:`faceplate.written`).

    Raises:
        OutputError: it could not be written (:class:`DiskFullError`: for lack of space).
    """
    text = json.dumps({"schema": schema, **body}, indent=1, allow_nan=False) + "\n"
    write_bytes(path, text.encode("utf-8"), record=record)


def read_json(path: Path, schema: str) -> dict[str, Any] | None:
    """The body of a stage file, or None if it does not exist.

    Raises:
        StageError: the file is corrupt or of another schema.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StageError(f"corrupt stage file: {exc}", path=path) from None
    if not isinstance(data, dict) or data.get("schema") != schema:
        found = data.get("schema") if isinstance(data, dict) else None
        raise StageError(f"expected schema {schema}, found {found!r}", path=path)
    return data
