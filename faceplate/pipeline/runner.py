"""The one orchestrator: the stages of a shot, in order, declared once as data.

Each stage reads what the one before it wrote (see :mod:`faceplate.pipeline.stage_files`), so a
farm may run them as separate tasks; :data:`STAGES` is the order the node API, the local farm
and every farm backend follow. Importing this module is light (no image or model library).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from faceplate.errors import IncompleteShotError, StageError
from faceplate.frames import format_frames
from faceplate.pipeline.stage_files.paths import qc_json_path
from faceplate.pipeline.stage_files.records import read_qc
from faceplate.spec import ShotSpec
from faceplate.spec.overrides import load_overrides, overridden_frames, overrides_path

Only = Literal["flagged", "overridden"]


@dataclass(frozen=True)
class Stage:
    """One stage: what it reads and writes, whether it splits into chunks of frames that run in
    any order and any process, and whether it runs the shot's models."""

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    chunked: bool = False
    runs_models: bool = True


STAGES = (
    Stage("analyse", reads=("plate", "source images"), writes=("analysis.json", "sources.json")),
    Stage("solve", reads=("analysis.json", "overrides.yaml"), writes=("tracks.json",)),
    Stage("render", reads=("plate", "sources.json", "tracks.json"),
          writes=("frames", "mattes", "frames/<frame>.json", "frames/<frame>.<kind>.jpg"),
          chunked=True),
    Stage("report", reads=("frames/<frame>.json", "frames/<frame>.<kind>.jpg", "overrides.yaml",
                           "plate", "frames", "mattes"),
          writes=("qc.json", "index.html", "review/", "contact_sheet.png", "review.otio"),
          runs_models=False),
)
STAGE_NAMES = tuple(s.name for s in STAGES)

#: A stage's work: given the results of the stages before it (by name), its own result.
Step = Callable[[Mapping[str, Any]], Any]


def stage(name: str) -> Stage:
    """The stage called ``name``."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(name)


def run_stages(steps: Mapping[str, Step]) -> dict[str, Any]:
    """Run one step per stage in the order of :data:`STAGES`; each step is given the results
    of the steps before it. Returns every result by stage name."""
    results: dict[str, Any] = {}
    for s in STAGES:
        results[s.name] = steps[s.name](results)
    return results


def incomplete(failed: list[int], qc_json: Path | None = None,
               result: object | None = None) -> IncompleteShotError:
    """The error a run or task ends with when ``failed`` frames could not be written (carrying
    the run's ``result``, where there is one)."""
    where = f"; see {qc_json}" if qc_json is not None else ""
    return IncompleteShotError(f"{len(failed)} frame(s) not written: {format_frames(failed)}"
                               f"{where}", frames=failed, result=result)


def only_frames(spec: ShotSpec, which: Only) -> list[int]:
    """The frames flagged in the current qc.json, or covered by reviewer overrides.

    Raises:
        StageError: ``flagged`` before the shot has a QC report.
    """
    if which == "overridden":
        return overridden_frames(load_overrides(overrides_path(spec.spec_path),
                                                spec.plate.frames))
    body = read_qc(qc_json_path(spec))
    if body is None:
        raise StageError("no QC report yet: run the shot before --only flagged",
                         path=qc_json_path(spec))
    return [r["frame"] for r in body["frames"] if r["flags"]]
