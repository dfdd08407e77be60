"""ShotNode: one shot, its context, and its stages as methods returning result objects."""

from __future__ import annotations

import os
from typing import Iterable

from faceplate.context import ProgressCallback, RunContext
from faceplate.pipeline.render import RenderResult
from faceplate.pipeline.report import Report
from faceplate.pipeline.shot import ShotResult, ShotRunner
from faceplate.pipeline.spec import ShotSpec, load_spec


class ShotNode:
    """A shot ready to run. Errors are :class:`faceplate.FaceplateError` subclasses."""

    def __init__(self, spec: ShotSpec, ctx: RunContext | None = None, *,
                 progress: ProgressCallback | None = None) -> None:
        self.spec = spec
        self.ctx = ctx or RunContext.create(spec.ocio, progress=progress)
        self._runner = ShotRunner(spec, self.ctx)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *,
                  progress: ProgressCallback | None = None) -> "ShotNode":
        return cls(load_spec(path), progress=progress)

    def check(self) -> None:
        """Validate colourspaces and sources; writes nothing."""
        self._runner.check()

    def analyse(self, *, reuse: bool = True):
        self._runner.check()
        return self._runner.analyse(reuse=reuse)

    def solve(self):
        self._runner.check()
        return self._runner.solve()

    def render(self, frames: Iterable[int] | None = None) -> RenderResult:
        self._runner.check()
        return self._runner.render(frames)

    def report(self) -> Report:
        return self._runner.report()

    def run(self, frames: Iterable[int] | None = None, only: str | None = None) -> ShotResult:
        """Run every stage; ``only`` is ``flagged`` or ``overridden`` to re-render just those."""
        return self._runner.run(frames, only)  # type: ignore[arg-type]
