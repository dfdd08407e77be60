"""Stage 1, analyse: faces on every plate frame, and the prepared source faces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faceplate.pipeline.analyse.stage import AnalyseSettings, analyse

__all__ = ["AnalyseSettings", "analyse"]


def __getattr__(name: str) -> Any:
    """The stage's names, imported on first use (the source cache is imported without it)."""
    if name in __all__:
        from faceplate.pipeline.analyse import stage
        return getattr(stage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
