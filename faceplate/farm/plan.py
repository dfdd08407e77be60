"""A shot's farm job as data: the stage tasks, render chunks and their dependencies."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from faceplate.plateio.sequence import format_frames

SCHEMA = "faceplate.farmjob/1"


@dataclass(frozen=True)
class JobPlan:
    """One shot: ``chunks`` are the render frame lists, in order (array index = position);
    ``max_parallel`` caps how many render tasks run at once (None: as many as the farm gives)."""

    shot: str
    spec: Path
    chunks: tuple[tuple[int, ...], ...]
    faceplate: Path
    max_parallel: int | None = None

    def command(self, stage: str, chunk: int | None = None) -> list[str]:
        """The command line of one task; ``chunk`` selects a render chunk."""
        cmd = [str(self.faceplate), stage, str(self.spec)]
        if chunk is not None:
            cmd += ["--frames", format_frames(list(self.chunks[chunk]))]
        return cmd


def default_faceplate() -> Path:
    """The ``faceplate`` console script beside the running interpreter."""
    return Path(sys.executable).parent / "faceplate"


def plan_shot(shot: str, spec: Path, frames: list[int], chunk: int,
              faceplate: Path | None = None, max_parallel: int | None = None) -> JobPlan:
    """Split ``frames`` into chunks of ``chunk`` frames."""
    from faceplate.errors import SpecError
    if chunk < 1:
        raise SpecError("chunk size must be at least 1", key="--chunk")
    if max_parallel is not None and max_parallel < 1:
        raise SpecError("at least 1 task must be allowed to run", key="--max-parallel")
    ordered = sorted(frames)
    chunks = tuple(tuple(ordered[i:i + chunk]) for i in range(0, len(ordered), chunk))
    return JobPlan(shot, Path(spec).absolute(), chunks, faceplate or default_faceplate(),
                   max_parallel)
