"""A shot's farm job as data: the stage tasks, render chunks and their dependencies.

Every backend takes its stages, their order and which one is chunked from here (:data:`STAGES`,
:func:`is_chunked`, after :data:`faceplate.pipeline.runner.STAGES`), and a farm that chunks only
a contiguous range asks :meth:`JobPlan.contiguous_range`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from faceplate.errors import FarmError, SpecError
from faceplate.frames import contiguous_range, format_frames
from faceplate.pipeline.runner import STAGE_NAMES, stage

SCHEMA = "faceplate.farmjob/1"
#: The stage tasks of a shot's job, in the order they run.
STAGES = STAGE_NAMES


def is_chunked(name: str) -> bool:
    """Whether stage ``name`` runs as one task per chunk of frames (render)."""
    return stage(name).chunked


@dataclass(frozen=True)
class JobPlan:
    """One shot: ``chunks`` are the render frame lists, in order (array index = position);
    ``max_parallel`` caps how many render tasks run at once (None: as many as the farm gives)."""

    shot: str
    spec: Path
    chunks: tuple[tuple[int, ...], ...]
    faceplate: Path
    max_parallel: int | None = None

    def command(self, name: str, chunk: int | None = None) -> list[str]:
        """The command line of one task of stage ``name``; ``chunk`` selects a render chunk."""
        cmd = [str(self.faceplate), name, str(self.spec)]
        if chunk is not None:
            cmd += ["--frames", format_frames(list(self.chunks[chunk]))]
        return cmd

    def contiguous_range(self, farm: str) -> tuple[int, int]:
        """``(first, last)`` of the plan's frames, for a farm that chunks a contiguous range.

        Raises:
            FarmError: the frames are stepped or have holes (naming ``farm``).
        """
        frames = [f for c in self.chunks for f in c]
        found = contiguous_range(frames)
        if found is None:
            raise FarmError(f"{farm} chunks a contiguous range; {format_frames(frames)} is not: "
                            "use --farm slurm or local for stepped or holed ranges")
        return found


def default_faceplate() -> Path:
    """The ``faceplate`` console script beside the running interpreter."""
    return Path(sys.executable).parent / "faceplate"


def plan_shot(shot: str, spec: Path, frames: list[int], chunk: int,
              faceplate: Path | None = None, max_parallel: int | None = None) -> JobPlan:
    """Split ``frames`` into chunks of ``chunk`` frames."""
    if chunk < 1:
        raise SpecError("chunk size must be at least 1", key="--chunk")
    if max_parallel is not None and max_parallel < 1:
        raise SpecError("at least 1 task must be allowed to run", key="--max-parallel")
    ordered = sorted(frames)
    chunks = tuple(tuple(ordered[i:i + chunk]) for i in range(0, len(ordered), chunk))
    return JobPlan(shot, Path(spec).absolute(), chunks, faceplate or default_faceplate(),
                   max_parallel)
