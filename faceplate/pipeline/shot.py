"""Running a shot's stages in order, with every check done before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

from faceplate.context import RunContext
from faceplate.errors import SpecError, StageError
from faceplate.face.swapper import SourceFace
from faceplate.ocio import check_spec_colourspaces
from faceplate.ocio.display import check_display_view
from faceplate.pipeline.analyse import AnalyseSettings, ShotAnalysis, analyse
from faceplate.pipeline.jsonfile import read_json
from faceplate.pipeline.overrides import load_overrides, overridden_frames, overrides_path
from faceplate.pipeline.render import RenderResult, render
from faceplate.pipeline.report import SCHEMA as QC_SCHEMA
from faceplate.pipeline.report import Report, report
from faceplate.pipeline.solve import SolvedSwap, load_solve, solve
from faceplate.pipeline.source_cache import load_sources, store_sources
from faceplate.pipeline.sources import find_face
from faceplate.pipeline.spec import ShotSpec
from faceplate.plateio.sequence import format_frames
from faceplate.types import Descriptor


Only = Literal["flagged", "overridden"]


@dataclass(frozen=True)
class ShotResult:
    """What a run did: the render records and the refreshed report."""

    render: RenderResult
    report: Report


class ShotRunner:
    """The stages of one shot, sharing one context and the prepared sources."""

    def __init__(self, spec: ShotSpec, ctx: RunContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self._sources: dict[str, SourceFace] | None = None
        self._sources_stored = False
        self._models_ready = False

    def check(self) -> None:
        """Everything that can fail on bad input before a file is written: colourspaces
        and source images (each must hold a face)."""
        check_spec_colourspaces(self.spec, self.ctx.colour)
        check_display_view(self.ctx.colour, self.spec.qc.display, self.spec.qc.view)
        self._models()
        self.sources()

    def _models(self) -> None:
        """Check the shot's ONNX models (manifest, role, licence, hash, load) and put its face
        finder and learned swapper on the context, once."""
        models = self.spec.models
        if not models.needs_registry or self._models_ready:
            return
        from faceplate.models.learned_swapper import (LearnedSwapper, check_models, face_finder,
                                                      registry_for)
        if self.ctx.registry is None:
            self.ctx.registry = registry_for(models)
        check_models(models, self.ctx.registry)
        if models.onnx_finder:
            self.ctx.finder = face_finder(models, self.ctx.registry, self.ctx.models)
        if models.learned:
            self.ctx.swapper = LearnedSwapper(models, self.ctx.registry)
        self._models_ready = True

    def sources(self) -> dict[str, SourceFace]:
        """The source faces: from the stage cache where current, else found in their images."""
        if self._sources is None:
            self._sources, self._sources_stored = load_sources(self.spec, self.ctx)
        return self._sources

    def frames(self, requested: Iterable[int] | None) -> list[int]:
        """The requested frames (all by default), which must lie in the plate range."""
        if requested is None:
            return list(self.spec.plate.frames)
        frames = sorted(set(requested))
        outside = sorted(set(frames) - set(self.spec.plate.frames))
        if outside:
            raise SpecError(f"frames {format_frames(outside)} are outside the plate range "
                            f"{format_frames(list(self.spec.plate.frames))}", key="frames")
        return frames

    def analyse(self, *, reuse: bool = True) -> ShotAnalysis:
        """Analyse the plate; the prepared sources are cached beside the analysis for the
        stages and farm tasks that follow."""
        analysis = analyse(self.spec, self.ctx, AnalyseSettings(), reuse=reuse)
        sources = self.sources()
        if not self._sources_stored:
            store_sources(self.spec, self.ctx, sources)
            self._sources_stored = True
        return analysis

    def _references(self) -> dict[int, Descriptor]:
        return {i: find_face(s.target.reference, None, self.ctx,
                             key=f"swaps[{i}].target.reference").descriptor
                for i, s in enumerate(self.spec.swaps)
                if s.target.kind == "reference" and s.target.reference is not None}

    def solve(self, analysis: ShotAnalysis | None = None) -> list[SolvedSwap]:
        return solve(self.spec, analysis or self.analyse(), self.ctx, self._references())

    def render(self, frames: Iterable[int] | None = None, *, force: bool = False) -> RenderResult:
        return render(self.spec, self.frames(frames), load_solve(self.spec), self.sources(),
                      self.ctx, force=force)

    def report(self) -> Report:
        return report(self.spec, self.ctx)

    def only(self, which: Only) -> list[int]:
        """The frames flagged in the current qc.json, or covered by reviewer overrides."""
        if which == "overridden":
            return overridden_frames(load_overrides(overrides_path(self.spec.spec_path),
                                                    self.spec.plate.frames))
        body = read_json(self.spec.output.qc / "qc.json", QC_SCHEMA)
        if body is None:
            raise StageError("no QC report yet: run the shot before --only flagged",
                             path=self.spec.output.qc / "qc.json")
        return [r["frame"] for r in body["frames"] if r["flags"]]
