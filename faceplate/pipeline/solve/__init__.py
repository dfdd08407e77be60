"""Stage 2, solve: tracks over the whole shot, mapped to swaps and smoothed."""

from faceplate.pipeline.solve.stage import solve

__all__ = ["solve"]
