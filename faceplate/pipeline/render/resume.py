"""Resumable rendering: a frame whose outputs are complete and current is not rendered again.

Each frame's QC record holds a *render key*: a digest of everything that decides the frame's
pixels and record (the plate file, named relative to the spec's folder, with its size and mtime,
the solved faces on that frame, the sources, models and settings) and the size and mtime of each
output it wrote, so a shot folder moved with its timestamps (mv, cp -a, rsync -a) keeps them.
Outputs are written atomically and the record last, so a record whose key matches and whose
outputs still stand as recorded means the frame is done; anything else (a killed task, a changed
override, an edited spec, a deleted or replaced output) renders it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from faceplate.errors import StageError
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.stage_files.paths import frame_record_path, to_shot
from faceplate.pipeline.stage_files.records import read_record
from faceplate.pipeline.stage_files.tracks import SolvedSwap
from faceplate.spec import ShotSpec
from faceplate.written import Manifest


def _plate_stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _key_text(value: object) -> object:
    """What the key holds of a value JSON cannot write: a NumPy array or number whole (its
    ``str`` elides the middle of a big array), anything else (a path) as its text."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return str(value)


def render_key(spec: ShotSpec, frame: int, solved: list[SolvedSwap],
               provenance: Mapping[str, Any], pre: Preflight) -> str:
    """The digest of what frame ``frame`` of ``spec`` would be rendered from."""
    faces = [{"swap": s.swap, "track": s.track, "skipped": s.skipped.get(frame),
              "face": asdict(s.faces[frame]) if frame in s.faces else None} for s in solved]
    body = {
        "plate": [to_shot(spec, spec.plate.path.frame(frame)),
                  _plate_stamp(spec.plate.path.frame(frame)), pre.plate_colourspace],
        "provenance": dict(provenance),
        "faces": faces,
        "output": [spec.output.matte is not None, pre.compression, spec.output.matte_channel,
                   spec.output.pixel_type],
        "qc": asdict(spec.qc),
    }
    text = json.dumps(body, sort_keys=True, default=_key_text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def output_stamps(paths: list[str | None]) -> dict[str, list[int]]:
    """Size and mtime of each written output, to tell later whether it still stands."""
    return {p: stamp for p in paths if p is not None
            for stamp in [_plate_stamp(Path(p))] if stamp is not None}


def is_current(record: Mapping[str, Any] | None, key: str) -> bool:
    """Whether a stored frame record was made from ``key`` and its outputs stand as written."""
    if record is None or record.get("render_key") != key:
        return False
    if record.get("status") not in ("swapped", "passthrough"):
        return False
    stamps = record.get("outputs") or {}
    expected = [record.get("output"), record.get("matte")]
    if any(p is not None and p not in stamps for p in expected):
        return False
    return all(_plate_stamp(Path(p)) == list(s) for p, s in stamps.items())


def stored_record(spec: ShotSpec, frame: int) -> dict[str, Any] | None:
    """The stored record of ``frame`` (None: not rendered, or a damaged record, which is
    rendered again rather than trusted)."""
    try:
        return read_record(spec, frame)
    except StageError:
        return None


def remove_stale_temporaries(spec: ShotSpec, frame: int) -> None:
    """Remove the temporaries killed writers left in the folders of the shot's frames, mattes
    and records (only those their manifests list, whose writers are gone)."""
    folders = {p.frame(frame).parent for p in (spec.output.path, spec.output.matte)
               if p is not None}
    for folder in folders | {frame_record_path(spec, frame).parent}:
        Manifest(folder).remove_stale_temporaries()
