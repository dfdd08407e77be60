"""The four stage nodes of a shot. Each reads the files the stage before wrote, so any of
them may run alone, in any process (a farm task)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from faceplate.frames import select_frames
from faceplate.nodes.base import Node
from faceplate.nodes.pool import Workers, resolve_workers
from faceplate.pipeline.stage_files.paths import analysis_path, tracks_path

if TYPE_CHECKING:  # each stage's modules are imported when it runs: a process pays for its own
    from faceplate.face.swapper import SourceFace
    from faceplate.pipeline.context import RunContext
    from faceplate.pipeline.preflight import Preflight
    from faceplate.pipeline.render import RenderResult
    from faceplate.pipeline.report import Report
    from faceplate.pipeline.stage_files.analysis import ShotAnalysis
    from faceplate.pipeline.stage_files.tracks import SolvedSwap
    from faceplate.spec import ShotSpec
    from faceplate.types import Descriptor


class Shot(Protocol):
    """What a stage node needs of its shot (:class:`faceplate.nodes.ShotNode` is one)."""

    spec: ShotSpec
    ctx: RunContext

    def preflight(self, *, models: bool = True, load: bool = True) -> Preflight: ...

    def check(self) -> None: ...

    def sources(self) -> dict[str, SourceFace]: ...

    def store_sources(self, *, identified: bool = True) -> None: ...

    def references(self) -> dict[int, Descriptor]: ...

    def analyse(self, *, reuse: bool = True) -> ShotAnalysis: ...


@dataclass
class AnalyseNode(Node["ShotAnalysis"]):
    """Faces on every frame of the plate (``analysis.json``, reused while current); records the
    prepared sources beside it (``sources.json``) for the stages and farm tasks that follow
    (when it found no face, only that they were checked)."""

    shot: Shot
    reuse: bool = True
    name = "analyse"

    def validate(self) -> None:
        self.shot.check()

    def _execute(self) -> ShotAnalysis:
        from faceplate.pipeline.analyse import analyse
        return analyse(self.shot.spec, self.shot.ctx, self.shot.preflight(), reuse=self.reuse)

    def outputs(self, result: ShotAnalysis) -> Sequence[tuple[Path, int | None]]:
        return [(analysis_path(self.shot.spec), None)]

    def record(self, result: ShotAnalysis) -> ShotAnalysis:
        from faceplate.pipeline.stage_files.analysis import face_counts
        # a shot with no face never needs its sources: only that they were checked is kept
        self.shot.store_sources(identified=any(face_counts(result).values()))
        return super().record(result)

    def summary(self, result: ShotAnalysis) -> str:
        from faceplate.pipeline.stage_files.analysis import face_counts
        return f"{len(result.frames)} frames, {sum(face_counts(result).values())} faces"


@dataclass
class SolveNode(Node["list[SolvedSwap]"]):
    """Tracks over the whole shot, smoothed (``tracks.json``), from ``analysis`` (default: the
    shot's, analysed or re-used from its cache)."""

    shot: Shot
    analysis: ShotAnalysis | None = None
    name = "solve"

    def validate(self) -> None:
        self.shot.preflight(load=False)  # it runs no model (a reference's loads when used)
        self.shot.check()

    def _execute(self) -> list[SolvedSwap]:
        from faceplate.pipeline.solve import solve
        analysis = self.analysis if self.analysis is not None else self.shot.analyse()
        return solve(self.shot.spec, analysis, self.shot.ctx, self.shot.references())

    def outputs(self, result: list[SolvedSwap]) -> Sequence[tuple[Path, int | None]]:
        return [(tracks_path(self.shot.spec), None)]

    def summary(self, result: list[SolvedSwap]) -> str:
        return f"{len(result)} swap(s) on {sum(len(s.faces) for s in result)} faces"


@dataclass
class RenderNode(Node["RenderResult"]):
    """Swapped frames, mattes and per-frame QC records for ``frames`` (default: all).

    Frames already complete and current are kept unless ``force``. ``workers``: render in
    this many processes (``"auto"``: one per two cores,
    :func:`faceplate.nodes.pool.auto_workers`); 1, the default, renders in this process."""

    shot: Shot
    frames: Iterable[int] | None = None
    force: bool = False
    workers: Workers = 1
    name = "render"

    def validate(self) -> None:
        self._selected = select_frames(self.frames, self.shot.spec.plate.frames)
        self._workers = resolve_workers(self.workers, len(self._selected))
        self.shot.check()

    def inputs(self) -> Sequence[tuple[Path, str]]:
        return [(tracks_path(self.shot.spec), "shot not solved yet: run `faceplate solve` first")]

    def _execute(self) -> RenderResult:
        from faceplate.pipeline.render import render
        from faceplate.pipeline.stage_files.tracks import SolveByFrame
        spec = self.shot.spec
        if self._workers > 1:
            from faceplate.nodes.pool import render_in_processes
            return render_in_processes(spec, self._selected, self.shot.ctx, force=self.force,
                                       workers=self._workers)
        with SolveByFrame(spec, self._selected) as solved:
            # the sources' identity is measured only when a frame to render has a face to swap
            sources = self.shot.sources() if solved.has_faces(self._selected) else {}
            return render(spec, self._selected, solved, sources, self.shot.ctx,
                          self.shot.preflight(), force=self.force)

    def outputs(self, result: RenderResult) -> Sequence[tuple[Path, int | None]]:
        return [(Path(path), o.frame) for o in result.outcomes
                for path in (o.output, o.matte) if path is not None]

    def summary(self, result: RenderResult) -> str:
        return (f"{len(result.outcomes) - len(result.reused)} frames rendered, "
                f"{len(result.reused)} already complete, {len(result.failed)} not written")


@dataclass
class ReportNode(Node["Report"]):
    """``qc.json`` and ``index.html`` from every frame record written so far."""

    shot: Shot
    name = "report"

    def _execute(self) -> Report:
        from faceplate.pipeline.report import report
        return report(self.shot.spec, self.shot.ctx, self.shot.preflight(models=False))

    def outputs(self, result: Report) -> Sequence[tuple[Path, int | None]]:
        written = [result.qc_json, result.index_html]
        return [(path, None) for path in [*written, result.timeline] if path is not None]

    def summary(self, result: Report) -> str:
        return (f"{result.summary['flagged']} of {result.summary['frames']} frames flagged "
                f"({result.qc_json})")
