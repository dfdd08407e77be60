"""The shot's frame records as the report reads them: each record file read once, in frame
order, finished (the matte-jump check, which needs the frame before, and the reviewer's
decisions), spooled whole to an unnamed temporary file for ``qc.json``, and kept in memory
only slim (without its faces' points, render key and output stamps, which only ``qc.json``
shows). However long the shot, one whole record is in memory at a time."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from faceplate.pipeline.stage_files.paths import qc_json_path
from faceplate.pipeline.stage_files.records import read_record
from faceplate.spec import ShotSpec
from faceplate.written import write_error

#: What a slim record leaves out of a record, and of each of its faces.
_RECORD_ONLY = ("render_key", "outputs")
_FACE_ONLY = ("landmarks",)


def slim(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without what only ``qc.json`` shows (its faces' points, render key, output
    stamps): what the review page, plots and timeline read."""
    out = {k: v for k, v in record.items() if k not in _RECORD_ONLY}
    out["faces"] = [{k: v for k, v in face.items() if k not in _FACE_ONLY}
                    for face in record.get("faces", [])]
    return out


@dataclass
class ShotRecords:
    """The finished records: slim in memory (``slim``, in frame order), whole in ``spool``
    (read back one at a time by :meth:`whole`); the frames without a record (``missing``)."""

    slim: list[dict[str, Any]]
    missing: list[int]
    spool: IO[str]

    def whole(self) -> Iterator[dict[str, Any]]:
        """The finished records whole, in frame order, read back one at a time."""
        self.spool.seek(0)
        for line in self.spool:
            yield json.loads(line)


@contextmanager
def shot_records(spec: ShotSpec,
                 finish: Callable[[dict[str, Any] | None, dict[str, Any]], None]
                 ) -> Iterator[ShotRecords]:
    """The shot's records, each read and given to ``finish`` (the slim record of the frame
    before, or None, and this one) before it is spooled and slimmed; the spool is gone when
    the context ends.

    Raises:
        OutputError: the spool could not be written (:class:`DiskFullError`: for lack of
            space).
    """
    folder = qc_json_path(spec).parent
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=_folder(folder)) as spool:
        records: list[dict[str, Any]] = []
        missing: list[int] = []
        previous: dict[str, Any] | None = None
        for f in spec.plate.frames:
            body = read_record(spec, f)
            if body is None:
                missing.append(f)
                continue
            body.pop("schema")
            finish(previous, body)
            try:
                spool.write(json.dumps(body, separators=(",", ":"), allow_nan=False) + "\n")
            except OSError as exc:
                raise write_error(exc, folder) from None
            previous = slim(body)
            records.append(previous)
        yield ShotRecords(records, missing, spool)


def _folder(folder: Path) -> Path | None:
    """``folder`` for the spool where it exists (the QC folder, on the shot's disk), else the
    system's temporary folder (nothing rendered yet: nothing is created for it)."""
    return folder if folder.is_dir() else None
