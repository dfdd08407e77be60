"""A shot's farm job as data: the stage tasks, render chunks, their dependency chain and the
farm's resource options.

Every backend takes its stages, their order, which one is chunked and what each waits for from
here (:data:`STAGES`, :func:`is_chunked`, :data:`CHAIN`, after
:data:`faceplate.pipeline.runner.STAGES`); a farm that chunks a range by its first and last
frame asks :meth:`JobPlan.stepped_range`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from faceplate.errors import SpecError
from faceplate.frames import format_frames
from faceplate.pipeline.runner import STAGE_NAMES, stage

SCHEMA = "faceplate.farmjob/1"
#: The stage tasks of a shot's job, in the order they run.
STAGES = STAGE_NAMES


@dataclass(frozen=True)
class Wait:
    """One dependency of a stage: the stage it waits for, and whether that stage must have
    succeeded (``success``: Slurm's ``afterok``) or only ended, whatever its exit (``end``:
    ``afterany``)."""

    stage: str
    until: Literal["success", "end"]


#: What each stage waits for. Each stage needs the one before it to have succeeded, except the
#: report: it runs once render has ended, whatever its exit, so a partly failed shot still gets
#: its QC report naming the failed frames; it still needs the solve to have succeeded, so a
#: failed analyse or solve stops everything after it.
CHAIN: Mapping[str, tuple[Wait, ...]] = MappingProxyType({
    "analyse": (),
    "solve": (Wait("analyse", "success"),),
    "render": (Wait("solve", "success"),),
    "report": (Wait("solve", "success"), Wait("render", "end")),
})
assert tuple(CHAIN) == STAGES, "the chain names every stage, in order"


def is_chunked(name: str) -> bool:
    """Whether stage ``name`` runs as one task per chunk of frames (render)."""
    return stage(name).chunked


def stepped(frames: Sequence[int]) -> tuple[int, int, int] | None:
    """``(first, last, step)`` when ``frames`` (in order) are evenly spaced, else None."""
    if not frames:
        return None
    if len(frames) == 1:
        return frames[0], frames[0], 1
    step = frames[1] - frames[0]
    if step < 1 or list(frames) != list(range(frames[0], frames[-1] + 1, step)):
        return None
    return frames[0], frames[-1], step


def range_text(first: int, last: int, step: int) -> str:
    """``1001-1100`` or, stepped, ``1001-1100x2`` (the grammar Deadline, OpenCue and
    ``--frames`` share)."""
    return f"{first}-{last}" + (f"x{step}" if step > 1 else "")


#: What every render task adds to its command line: one process a task. The farm's parallelism
#: is its tasks, each booked its cores and memory; a task's process uses its cores' threads.
#: (``--workers auto`` would count the host's cores where a farm does not pin a task to its
#: own, and start as many processes as several tasks on one host could not share.)
TASK_WORKERS = ("--workers", "1")


@dataclass(frozen=True)
class JobPlan:
    """One shot: ``chunks`` are the render frame lists, in order (array index = position);
    ``max_parallel`` caps how many render tasks run at once (None: as many as the farm gives);
    ``options`` are the farm's resource options (:mod:`faceplate.farm.options`)."""

    shot: str
    spec: Path
    chunks: tuple[tuple[int, ...], ...]
    faceplate: Path
    max_parallel: int | None = None
    options: Any = None

    @property
    def frames(self) -> list[int]:
        """Every frame of the job, in order."""
        return [f for c in self.chunks for f in c]

    def command(self, name: str, chunk: int | None = None) -> list[str]:
        """The command line of one task of stage ``name``; ``chunk`` selects a render chunk."""
        cmd = [str(self.faceplate), name, str(self.spec)]
        if chunk is not None:
            cmd += ["--frames", format_frames(list(self.chunks[chunk])), *TASK_WORKERS]
        return cmd

    def stepped_range(self, farm: str) -> tuple[int, int, int]:
        """``(first, last, step)`` of the plan's frames, for a farm that gives each task its
        chunk as a first and a last frame (the step is then added to ``--frames``).

        Raises:
            SpecError: the frames have holes (exit 2: the farm cannot take this input).
        """
        found = stepped(self.frames)
        if found is None:
            raise SpecError(f"{farm} gives each task a first and a last frame, so the frames "
                            f"must be evenly spaced; {format_frames(self.frames)} has holes: "
                            "use --farm slurm, opencue or local", key="--farm")
        return found


def default_faceplate() -> Path:
    """The ``faceplate`` console script beside the running interpreter."""
    return Path(sys.executable).parent / "faceplate"


def plan_shot(shot: str, spec: Path, frames: list[int], chunk: int,
              faceplate: Path | None = None, max_parallel: int | None = None,
              options: Any = None) -> JobPlan:
    """Split ``frames`` into chunks of ``chunk`` frames.

    Raises:
        SpecError: a chunk size or task limit below 1.
    """
    if chunk < 1:
        raise SpecError("chunk size must be at least 1", key="--chunk")
    if max_parallel is not None and max_parallel < 1:
        raise SpecError("at least 1 task must be allowed to run", key="--max-parallel")
    ordered = sorted(frames)
    chunks = tuple(tuple(ordered[i:i + chunk]) for i in range(0, len(ordered), chunk))
    return JobPlan(shot, Path(spec).absolute(), chunks, faceplate or default_faceplate(),
                   max_parallel, options)
