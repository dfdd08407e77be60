"""Stage 3, render: swapped frames, mattes and one QC record per frame, for any chunk."""

from faceplate.pipeline.render.stage import RenderResult, render

__all__ = ["RenderResult", "render"]
