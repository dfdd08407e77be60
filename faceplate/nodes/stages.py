"""The four stage nodes of a shot. Each reads the files the stage before wrote, so any of
them may run alone, in any process (a farm task)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from faceplate.errors import OutputError
from faceplate.nodes.base import Node
from faceplate.pipeline.analyse import ShotAnalysis
from faceplate.pipeline.render import RenderResult
from faceplate.pipeline.report import Report
from faceplate.pipeline.shot import ShotRunner
from faceplate.pipeline.solve import SolvedSwap


@dataclass
class AnalyseNode(Node[ShotAnalysis]):
    """Faces on every frame of the plate (``analysis.json``, reused while current)."""

    runner: ShotRunner
    reuse: bool = True
    name = "analyse"

    def validate(self) -> None:
        self.runner.check()

    def execute(self) -> ShotAnalysis:
        return self.runner.analyse(reuse=self.reuse)

    def check(self, result: ShotAnalysis) -> None:
        _exists(self.runner.spec.output.cache / "analysis.json")


@dataclass
class SolveNode(Node[list[SolvedSwap]]):
    """Tracks over the whole shot, smoothed (``tracks.json``)."""

    runner: ShotRunner
    name = "solve"

    def validate(self) -> None:
        self.runner.check()

    def execute(self) -> list[SolvedSwap]:
        return self.runner.solve()

    def check(self, result: list[SolvedSwap]) -> None:
        _exists(self.runner.spec.output.cache / "tracks.json")


@dataclass
class RenderNode(Node[RenderResult]):
    """Swapped frames, mattes and per-frame QC records for ``frames`` (default: all).

    Frames already complete and current are kept unless ``force``."""

    runner: ShotRunner
    frames: Iterable[int] | None = None
    force: bool = False
    name = "render"

    def validate(self) -> None:
        self.frames = self.runner.frames(self.frames)
        self.runner.check()

    def execute(self) -> RenderResult:
        return self.runner.render(self.frames, force=self.force)

    def check(self, result: RenderResult) -> None:
        for record in result.records:
            for path in (record.output, record.matte):
                if path is not None:
                    _exists(Path(path), record.frame)


@dataclass
class ReportNode(Node[Report]):
    """``qc.json`` and ``index.html`` from every frame record written so far."""

    runner: ShotRunner
    name = "report"

    def execute(self) -> Report:
        return self.runner.report()

    def check(self, result: Report) -> None:
        _exists(result.qc_json)
        _exists(result.index_html)


def _exists(path: Path, frame: int | None = None) -> None:
    if not path.is_file():
        raise OutputError("expected output is missing after the stage ran", path=path, frame=frame)
