"""Where each stage file of a shot lives, and how the files a stage file names are written in
it: relative to the spec's folder when they live under it (so a shot folder can be moved,
copied to another mount or opened on another machine and nothing finished is redone), else
absolute."""

from __future__ import annotations

import os
from pathlib import Path

from faceplate.spec import ShotSpec

ANALYSIS_SCHEMA = "faceplate.analysis/5"
SOURCES_SCHEMA = "faceplate.sources/2"
TRACKS_SCHEMA = "faceplate.tracks/7"
FRAME_SCHEMA = "faceplate.qcframe/1"
QC_SCHEMA = "faceplate.qc/1"


def analysis_path(spec: ShotSpec) -> Path:
    """``<cache>/analysis.json``: faces per frame (analyse)."""
    return spec.output.cache / "analysis.json"


def sources_path(spec: ShotSpec) -> Path:
    """``<cache>/sources.json``: the prepared source faces (analyse)."""
    return spec.output.cache / "sources.json"


def textures_folder(spec: ShotSpec) -> Path:
    """``<cache>/sources/``: the prepared source faces' textures."""
    return spec.output.cache / "sources"


def display_tables_folder(spec: ShotSpec) -> Path:
    """``<cache>/display/``: the review images' baked display tables (render, report)."""
    return spec.output.cache / "display"


def tracks_path(spec: ShotSpec) -> Path:
    """``<cache>/tracks.json``: the solved tracks (solve)."""
    return spec.output.cache / "tracks.json"


def frame_record_path(spec: ShotSpec, frame: int) -> Path:
    """``<qc>/frames/<frame>.json``: what rendering did to one frame (render)."""
    return spec.output.qc / "frames" / f"{frame}.json"


def qc_json_path(spec: ShotSpec) -> Path:
    """``<qc>/qc.json``: the shot's QC report (report)."""
    return spec.output.qc / "qc.json"


def shot_folder(spec: ShotSpec) -> Path | None:
    """The folder of the spec file (None for a spec built in code, whose paths stay absolute)."""
    return spec.spec_path.parent if spec.spec_path is not None else None


def to_shot(spec: ShotSpec, path: str | os.PathLike[str]) -> str:
    """``path`` as a stage file names it: relative to the spec's folder (``/`` separated) when
    under it, else absolute."""
    base, target = shot_folder(spec), Path(path)
    if base is not None and target.is_absolute() and target.is_relative_to(base):
        return target.relative_to(base).as_posix()
    return str(target)


def from_shot(spec: ShotSpec, text: str) -> Path:
    """The absolute path a stage file's ``text`` names (see :func:`to_shot`)."""
    path, base = Path(text), shot_folder(spec)
    return path if path.is_absolute() or base is None else base / path
