"""Stage 3, render: swapped frames, mattes and one QC record per frame, for any chunk."""

from faceplate.pipeline.render.result import FrameOutcome, RenderResult
from faceplate.pipeline.render.stage import render

__all__ = ["FrameOutcome", "RenderResult", "render"]
