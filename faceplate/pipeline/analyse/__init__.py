"""Stage 1, analyse: faces on every plate frame, and the prepared source faces."""

from faceplate.pipeline.analyse.stage import AnalyseSettings, analyse

__all__ = ["AnalyseSettings", "analyse"]
