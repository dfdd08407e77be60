"""Provenance: what every output frame says of itself (AI-assisted, which sources, models and
version), and the file digests that name sources in it and in cache keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

from faceplate import __version__
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.shot_models import ShotModels
from faceplate.spec import ShotSpec

#: IPTC digital source type for a real plate with an element made by trained algorithms.
DIGITAL_SOURCE_TYPE = ("http://cv.iptc.org/newscodes/digitalsourcetype/"
                       "compositeWithTrainedAlgorithmicMedia")


def file_digest(path: Path) -> str:
    """Short sha256 of a file, for provenance and cache keys."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def shot_provenance(spec: ShotSpec, ctx: RunContext,
                    models: ShotModels) -> dict[str, str | int]:
    """Attributes shared by every output frame of the shot (``faceplate/...`` namespace)."""
    sources = "; ".join(
        f"{name}: " + ", ".join(f"{p.name} (sha256 {file_digest(p)})" for p in src.images)
        for name, src in spec.sources.items())
    versions = ", ".join(f"{k} {v}" for k, v in ctx.face_pack.versions().items())
    finders = ", ".join(i for i in models.ids if i != models.swapper.id)
    versions += "".join(f", {k} sha256 {d[:16]}" for k, d in sorted(models.digests().items()))
    return {
        "faceplate/aiAssisted": 1,
        "faceplate/operation": "face_replacement",
        "faceplate/digitalSourceType": DIGITAL_SOURCE_TYPE,
        "faceplate/version": __version__,
        "faceplate/shot": spec.shot,
        "faceplate/sources": sources,
        "faceplate/models": f"{finders}; swapper {models.swapper.id} ({versions})",
        "faceplate/ocioConfig": ctx.colour.choice.uri,
    }


def description(existing: str | None, spec: ShotSpec) -> str:
    """The AI-assistance notice, then the plate's own ImageDescription. The notice comes first
    because a DPX header keeps only the first 31 characters ("AI-assisted face replacement
    by"): a plate's description must not push it out."""
    notice = (f"AI-assisted face replacement by faceplate {__version__} "
              f"(sources: {', '.join(spec.sources)})")
    return f"{notice}\n{existing}" if existing else notice
