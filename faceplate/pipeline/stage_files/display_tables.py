"""The review images' baked display tables kept in a shot's cache (``<cache>/display/<key>.npy``,
NumPy's array format, float32, written atomically and listed as faceplate's), so the processes
of a shot after the first (render chunks, the report) read the table instead of baking it
again (:func:`faceplate.ocio.display.proxy_display_processor`; the key names everything the
table depends on)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from faceplate.errors import OutputError
from faceplate.pipeline.stage_files.paths import display_tables_folder
from faceplate.spec import ShotSpec
from faceplate.written import write_bytes


class ShotTables:
    """The baked display tables of ``spec``'s shot."""

    def __init__(self, spec: ShotSpec) -> None:
        self.folder = display_tables_folder(spec)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.npy"

    def load(self, key: str) -> np.ndarray | None:
        """The table kept under ``key`` (None: none kept, or not readable as one)."""
        try:
            return np.asarray(np.load(self.path(key), allow_pickle=False))
        except (OSError, ValueError, EOFError):
            return None

    def save(self, key: str, table: np.ndarray) -> None:
        """Keep ``table`` under ``key``; one that cannot be written is baked again next time."""
        data = io.BytesIO()
        np.save(data, np.ascontiguousarray(table, np.float32), allow_pickle=False)
        try:
            write_bytes(self.path(key), data.getvalue(), record=True)
        except (OutputError, OSError):
            return
