"""ShotNode: one shot, its context, what its pre-flight resolved, and its stage nodes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceplate.errors import FaceplateError, OutputError, RunStopped
from faceplate.face.swapper import SourceFace
from faceplate.frames import select_frames
from faceplate.models.dlib_process import DescriptorProcess
from faceplate.nodes.pool import Workers
from faceplate.nodes.stages import AnalyseNode, RenderNode, ReportNode, SolveNode
from faceplate.pipeline.analyse.source_set import ShotSources
from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight, preflight
from faceplate.pipeline.progress import ProgressCallback
from faceplate.pipeline.runner import Only, incomplete, only_frames, run_stages
from faceplate.pipeline.shot_models import resolve_models
from faceplate.pipeline.stage_files.analysis import ShotAnalysis
from faceplate.pipeline.stage_files.tracks import SolvedSwap
from faceplate.pipeline.stop import StopFlag
from faceplate.spec import (
    ShotSpec,
    check_inputs,
    load_spec,
    parse_spec,
    save_spec,
    spec_data,
    with_absolute_paths,
)
from faceplate.types import Descriptor

if TYPE_CHECKING:  # a stage's modules are imported when it runs (faceplate.nodes.stages)
    from faceplate.pipeline.render import RenderResult
    from faceplate.pipeline.report import Report

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ShotResult:
    """What a run did: the render records and the refreshed report."""

    render: RenderResult
    report: Report


class ShotNode:
    """A shot ready to run: ``analyse()`` → ``solve()`` → ``render(frames)`` → ``report()``,
    or ``run()`` for all four. Each returns a result object and prints nothing.

    Errors are :class:`faceplate.FaceplateError` subclasses carrying frame and path.
    """

    def __init__(self, spec: ShotSpec, ctx: RunContext | None = None, *,
                 progress: ProgressCallback | None = None,
                 data: Mapping[str, Any] | None = None, stop: StopFlag | None = None,
                 descriptors: DescriptorProcess | None = None) -> None:
        self.spec = check_inputs(spec)
        self.ctx = ctx or RunContext.create(spec.ocio, progress=progress, stop=stop,
                                            descriptors=descriptors)
        self.data = dict(data) if data is not None else None
        self._preflight: Preflight | None = None
        self._sources: ShotSources | None = None

    @classmethod
    def from_file(cls, path: PathLike, *, progress: ProgressCallback | None = None,
                  stop: StopFlag | None = None,
                  descriptors: DescriptorProcess | None = None) -> ShotNode:
        """A shot from a spec file (see docs/spec.md); ``stop`` is a flag a signal handler sets
        to stop the run after the frame in flight (:mod:`faceplate.pipeline.stop`);
        ``descriptors``: a helper process that measures identities while analysis goes on
        (:class:`~faceplate.pipeline.context.RunContext`; docs/api.md)."""
        return cls(load_spec(path), progress=progress, stop=stop, descriptors=descriptors)

    @classmethod
    def from_kwargs(cls, *, base: PathLike | None = None,
                    progress: ProgressCallback | None = None, **kwargs: Any) -> ShotNode:
        """A shot from keyword arguments (those of :func:`faceplate.spec.spec_data`: ``shot``,
        ``plate``, ``frames``, ``sources``, ``output``, ``qc``, ``matte``,
        ``plate_colorspace``, ``swaps`` and further spec sections), validated exactly like a
        spec file. Relative paths resolve against ``base`` (default: the current folder).
        """
        data = spec_data(**kwargs)
        folder = Path(base) if base is not None else Path.cwd()
        return cls(parse_spec(data, base=folder.absolute()), progress=progress, data=data)

    def save(self, path: PathLike) -> Path:
        """Write the spec this node was built from to ``path`` (e.g. to submit it to a farm);
        returns the absolute path. A node built from a file returns that file."""
        if self.data is None:
            assert self.spec.spec_path is not None
            return self.spec.spec_path
        return save_spec(with_absolute_paths(self.data, self.spec), path)

    def preflight(self, *, models: bool = True, load: bool = True) -> Preflight:
        """What the shot resolves before anything is written (colourspaces, display and view,
        compression, and unless ``models`` is False its models, loaded unless ``load`` is
        False), resolved once per node."""
        if self._preflight is None:
            self._preflight = preflight(self.spec, self.ctx, models=models, load_models=load)
        elif models and self._preflight.models is None:
            self._preflight = replace(self._preflight, models=resolve_models(
                self.spec.models, self.ctx.face_pack, load=load))
        return self._preflight

    def check(self) -> None:
        """Everything that can fail on bad input, before a file is written: the pre-flight and
        the source faces (each image must hold one; their identity is measured when a stage
        needs them). Writes nothing."""
        self.preflight()
        self._shot_sources().check()

    def sources(self) -> dict[str, SourceFace]:
        """The source faces: from the stage cache where current, else prepared from their
        images."""
        return self._shot_sources().faces()

    def store_sources(self, *, identified: bool = True) -> None:
        """Cache the prepared source faces beside the analysis (once, unless they came from it);
        ``identified`` False: only that they were checked (a shot with no face)."""
        if identified:
            self._shot_sources().store()
        else:
            self._shot_sources().store_checked()

    def _shot_sources(self) -> ShotSources:
        if self._sources is None:
            pre = self.preflight()
            self._sources = ShotSources(self.spec, self.ctx, pre.shot_models().faces,
                                        pre.source_colourspaces)
        return self._sources

    def references(self) -> dict[int, Descriptor]:
        """The identity of each swap's ``{reference: image}`` target, by swap index."""
        faces = self.preflight().shot_models().faces
        return {i: find_face(s.target.reference, None, self.ctx, faces=faces,
                             key=f"swaps[{i}].target.reference").descriptor
                for i, s in enumerate(self.spec.swaps)
                if s.target.reference is not None}  # set only on a {reference: image} target

    def analyse(self, *, reuse: bool = True) -> ShotAnalysis:
        return AnalyseNode(self, reuse).process()

    def solve(self, analysis: ShotAnalysis | None = None) -> list[SolvedSwap]:
        return SolveNode(self, analysis).process()

    def render(self, frames: Iterable[int] | None = None, *, force: bool = False,
               workers: Workers = 1) -> RenderResult:
        """Render ``frames`` (default: all); ``workers``: in this many processes, or
        ``"auto"`` (one per two cores); 1 renders in this process."""
        return RenderNode(self, frames, force, workers).process()

    def report(self) -> Report:
        return ReportNode(self).process()

    def run(self, frames: Iterable[int] | None = None, only: Only | None = None, *,
            force: bool = False, workers: Workers = 1) -> ShotResult:
        """Every stage, in the runner's order; ``only`` is ``flagged`` or ``overridden`` to
        re-render just those; ``workers`` as for :meth:`render`.

        Raises:
            IncompleteShotError: after the report, if some frames could not be written (its
                ``result``: this run's, the report written).
            RunStopped, DiskFullError: the run stopped early (a signal, a full disk); the
                report of what was finished is written first.
        """
        selected: Sequence[int] = select_frames(frames, self.spec.plate.frames)
        if only is not None:
            chosen = set(only_frames(self.spec, only))
            selected = [f for f in selected if f in chosen]
        try:
            # each stage reads what the one before wrote, as a farm task would: no stage's
            # data (the analysis, the solved meshes) is held while the next runs
            done = run_stages({"analyse": lambda _: len(self.analyse().frames),
                               "solve": lambda _: len(self.solve()),
                               "render": lambda _: self.render(selected, force=force,
                                                              workers=workers),
                               "report": lambda _: self.report()})
        except (RunStopped, OutputError) as stopped:
            self._report_after_stop(stopped)
            raise
        result = ShotResult(done["render"], done["report"])
        if result.render.failed:
            raise incomplete(result.render.failed, result.report.qc_json, result)
        return result

    def _report_after_stop(self, stopped: FaceplateError) -> None:
        """Write the report of the frames finished before the run stopped, and name it in the
        error; a report that cannot be written (the disk is full) leaves the error as it is."""
        try:
            written = self.report()
        except (FaceplateError, OSError) as exc:
            self.ctx.log.info("no report after the run stopped: %s", exc)
            return
        stopped.message += f"; see {written.qc_json}"
