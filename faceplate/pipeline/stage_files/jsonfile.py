"""Versioned JSON files that stages hand each other: written atomically, read with a schema
check."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from faceplate.errors import StageError


def write_json(path: Path, schema: str, body: dict[str, Any]) -> None:
    """Write ``{"schema": schema, **body}`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps({"schema": schema, **body}, indent=1, allow_nan=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


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
