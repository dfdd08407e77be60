"""Where each stage file of a shot lives."""

from __future__ import annotations

from pathlib import Path

from faceplate.spec import ShotSpec

ANALYSIS_SCHEMA = "faceplate.analysis/2"
SOURCES_SCHEMA = "faceplate.sources/2"
TRACKS_SCHEMA = "faceplate.tracks/3"
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


def tracks_path(spec: ShotSpec) -> Path:
    """``<cache>/tracks.json``: the solved tracks (solve)."""
    return spec.output.cache / "tracks.json"


def frame_record_path(spec: ShotSpec, frame: int) -> Path:
    """``<qc>/frames/<frame>.json``: what rendering did to one frame (render)."""
    return spec.output.qc / "frames" / f"{frame}.json"


def qc_json_path(spec: ShotSpec) -> Path:
    """``<qc>/qc.json``: the shot's QC report (report)."""
    return spec.output.qc / "qc.json"
