"""ShotNode: one shot, its context, and its stage nodes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

from faceplate.context import ProgressCallback, RunContext
from faceplate.errors import IncompleteShotError
from faceplate.nodes.stages import AnalyseNode, RenderNode, ReportNode, SolveNode
from faceplate.pipeline.analyse import ShotAnalysis
from faceplate.pipeline.render import RenderResult
from faceplate.pipeline.report import Report
from faceplate.pipeline.shot import ShotResult, ShotRunner
from faceplate.pipeline.solve import SolvedSwap
from faceplate.pipeline.spec import ShotSpec, load_spec, spec_from_dict
from faceplate.plateio.sequence import format_frames

PathLike = str | os.PathLike[str]


class ShotNode:
    """A shot ready to run: ``analyse()`` → ``solve()`` → ``render(frames)`` → ``report()``,
    or ``run()`` for all four. Each returns a result object and prints nothing.

    Errors are :class:`faceplate.FaceplateError` subclasses carrying frame and path.
    """

    def __init__(self, spec: ShotSpec, ctx: RunContext | None = None, *,
                 progress: ProgressCallback | None = None,
                 data: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.ctx = ctx or RunContext.create(spec.ocio, progress=progress, models=spec.models)
        self.data = dict(data) if data is not None else None
        self._runner = ShotRunner(spec, self.ctx)

    @classmethod
    def from_file(cls, path: PathLike, *, progress: ProgressCallback | None = None) -> "ShotNode":
        """A shot from a spec file (see docs/spec.md)."""
        return cls(load_spec(path), progress=progress)

    @classmethod
    def from_kwargs(cls, *, shot: str, plate: PathLike, frames: str, sources: Mapping[str, Any],
                    output: PathLike, qc: PathLike, matte: PathLike | None = None,
                    plate_colorspace: str | None = None, swaps: Sequence[Mapping[str, Any]] | None = None,
                    base: PathLike | None = None, progress: ProgressCallback | None = None,
                    **sections: Any) -> "ShotNode":
        """A shot from keyword arguments, validated exactly like a spec file.

        ``sources`` maps a name to an image path, a list of them, or a source mapping;
        ``swaps`` defaults to every source on the ``largest`` face when there is one source.
        Further spec sections (``ocio``, ``solve``, ``qc`` thresholds under ``qc_settings``,
        ``models``...) pass through ``sections``. Relative paths resolve against ``base``
        (default: the current folder).
        """
        data = _spec_data(shot, plate, frames, sources, output, qc, matte, plate_colorspace,
                          swaps, sections)
        folder = Path(base) if base is not None else Path.cwd()
        return cls(spec_from_dict(data, base=folder.absolute()), progress=progress, data=data)

    def save(self, path: PathLike) -> Path:
        """Write the spec this node was built from to ``path`` (e.g. to submit it to a farm);
        returns the absolute path. Only for nodes built with :meth:`from_kwargs`."""
        import yaml
        if self.data is None:
            assert self.spec.spec_path is not None
            return self.spec.spec_path
        target = Path(path).absolute()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(_absolute(self.data, self.spec), sort_keys=False),
                          encoding="utf-8")
        return target

    def check(self) -> None:
        """Validate colourspaces and sources; writes nothing."""
        self._runner.check()

    def analyse(self, *, reuse: bool = True) -> ShotAnalysis:
        return AnalyseNode(self._runner, reuse).process()

    def solve(self) -> list[SolvedSwap]:
        return SolveNode(self._runner).process()

    def render(self, frames: Iterable[int] | None = None, *, force: bool = False) -> RenderResult:
        return RenderNode(self._runner, frames, force).process()

    def report(self) -> Report:
        return ReportNode(self._runner).process()

    def run(self, frames: Iterable[int] | None = None,
            only: Literal["flagged", "overridden"] | None = None, *,
            force: bool = False) -> ShotResult:
        """Every stage; ``only`` is ``flagged`` or ``overridden`` to re-render just those.

        Raises:
            IncompleteShotError: after the report, if some frames could not be written.
        """
        selected = self._runner.frames(frames)
        if only is not None:
            chosen = set(self._runner.only(only))
            selected = [f for f in selected if f in chosen]
        self.analyse()
        self.solve()
        rendered = self.render(selected, force=force)
        result = ShotResult(rendered, self.report())
        if rendered.failed:
            raise IncompleteShotError(
                f"{len(rendered.failed)} frame(s) not written: {format_frames(rendered.failed)}; "
                f"see {result.report.qc_json}", frames=rendered.failed)
        return result


def _spec_data(shot: str, plate: PathLike, frames: str, sources: Mapping[str, Any],
               output: PathLike, qc: PathLike, matte: PathLike | None,
               plate_colorspace: str | None, swaps: Sequence[Mapping[str, Any]] | None,
               sections: Mapping[str, Any]) -> dict[str, Any]:
    plate_data: dict[str, Any] = {"path": str(plate), "frames": frames}
    if plate_colorspace is not None:
        plate_data["colorspace"] = plate_colorspace
    source_data = {}
    for name, value in sources.items():
        if isinstance(value, Mapping):
            source_data[name] = dict(value)
        elif isinstance(value, (str, os.PathLike)):
            source_data[name] = {"images": [str(value)]}
        else:
            source_data[name] = {"images": [str(v) for v in value]}
    if swaps is None:
        swaps = [{"source": name, "target": "largest"} for name in list(sources)[:1]]
    output_data: dict[str, Any] = {"path": str(output), "qc": str(qc)}
    if matte is not None:
        output_data["matte"] = str(matte)
    extra = dict(sections)
    if "qc_settings" in extra:
        extra["qc"] = extra.pop("qc_settings")
    return {"version": 1, "shot": shot, "plate": plate_data, "sources": source_data,
            "swaps": [dict(s) for s in swaps], "output": output_data, **extra}


def _absolute(data: dict[str, Any], spec: ShotSpec) -> dict[str, Any]:
    """``data`` with every path made absolute (the saved spec may live anywhere)."""
    out = dict(data)
    out["plate"] = {**data["plate"], "path": str(spec.plate.path)}
    out["sources"] = {name: {**data["sources"][name], "images": [str(p) for p in src.images]}
                      for name, src in spec.sources.items()}
    output = {**data["output"], "path": str(spec.output.path), "qc": str(spec.output.qc)}
    if spec.output.matte is not None:
        output["matte"] = str(spec.output.matte)
    if spec.output.cache != spec.output.qc / "cache":
        output["cache"] = str(spec.output.cache)
    out["output"] = output
    out["swaps"] = [{**raw, "target": {"reference": str(swap.target.reference)}}
                    if swap.target.kind == "reference" else dict(raw)
                    for raw, swap in zip(data["swaps"], spec.swaps)]
    return out
