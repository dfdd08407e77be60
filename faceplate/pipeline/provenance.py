"""Provenance written into every output frame: AI-assisted, which source, models and version."""

from __future__ import annotations

from faceplate import __version__
from faceplate.context import RunContext
from faceplate.pipeline.spec import ShotSpec
from faceplate.pipeline.sources import file_digest

#: IPTC digital source type for a real plate with an element made by trained algorithms.
DIGITAL_SOURCE_TYPE = ("http://cv.iptc.org/newscodes/digitalsourcetype/"
                       "compositeWithTrainedAlgorithmicMedia")


def shot_provenance(spec: ShotSpec, ctx: RunContext) -> dict[str, str | int]:
    """Attributes shared by every output frame of the shot (``faceplate/...`` namespace)."""
    sources = "; ".join(
        f"{name}: " + ", ".join(f"{p.name} (sha256 {file_digest(p)})" for p in src.images)
        for name, src in spec.sources.items())
    versions = ", ".join(f"{k} {v}" for k, v in ctx.models.versions().items())
    models = ", ".join(m.id for m in ctx.models.models)
    if ctx.registry is not None:
        versions += "".join(f", {k} sha256 {d[:16]}" for k, d in sorted(ctx.registry.digests().items()))
    return {
        "faceplate/aiAssisted": 1,
        "faceplate/operation": "face_replacement",
        "faceplate/digitalSourceType": DIGITAL_SOURCE_TYPE,
        "faceplate/version": __version__,
        "faceplate/shot": spec.shot,
        "faceplate/sources": sources,
        "faceplate/models": f"{models}; swapper {ctx.swapper.id} ({versions})",
        "faceplate/ocioConfig": ctx.colour.choice.uri,
    }


def description(existing: str | None, spec: ShotSpec) -> str:
    """The plate's ImageDescription with the AI-assistance notice appended."""
    notice = (f"AI-assisted face replacement by faceplate {__version__} "
              f"(sources: {', '.join(spec.sources)})")
    return f"{existing}\n{notice}" if existing else notice
