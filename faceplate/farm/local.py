"""The local farm: the same stage tasks, run on this machine with render chunks in a
process pool. Job ids are ``local:<shot>``; the job file is ``<shot>.farmjob.json``."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from faceplate.farm.plan import CHAIN, SCHEMA, STAGES, JobPlan, is_chunked
from faceplate.frames import format_frames
from faceplate.memory import keep_freed_memory
from faceplate.nodes import ShotNode
from faceplate.nodes.pool import library_threads, use_threads
from faceplate.pipeline.runner import incomplete, run_stages
from faceplate.threads import cores_here


@dataclass(frozen=True)
class ChunkResult:
    """What one render task did."""

    rendered: list[int]
    reused: list[int]
    failed: list[int]

    @classmethod
    def of(cls, frames: list[int], reused: list[int], failed: list[int]) -> ChunkResult:
        """The task's ``frames`` sorted into rendered (neither reused nor failed), reused and
        failed."""
        done, bad = set(reused), set(failed)
        return cls([f for f in frames if f not in done and f not in bad], sorted(done),
                   sorted(bad))


def job_file(plan: JobPlan) -> dict[str, object]:
    """The job as data: stages, the command of each task, and what each waits for (the stage,
    and whether it must have succeeded or only ended)."""
    tasks: list[dict[str, object]] = []
    for name in STAGES:
        after = [{"stage": w.stage, "until": w.until} for w in CHAIN[name]]
        if is_chunked(name):
            tasks += [{"stage": name, "chunk": i, "frames": format_frames(list(c)),
                       "command": plan.command(name, i), "after": after}
                      for i, c in enumerate(plan.chunks)]
        else:
            tasks.append({"stage": name, "command": plan.command(name), "after": after})
    return {"schema": SCHEMA, "shot": plan.shot, "spec": str(plan.spec),
            "max_parallel": plan.max_parallel, "tasks": tasks}


def share_cores(workers: int) -> None:
    """Worker-process initializer: give each of ``workers`` processes its share of the cores
    for the libraries that start a thread per core (:func:`faceplate.nodes.pool.library_threads`),
    so a full pool does not run cores × cores threads; and its allocator keeps the memory a
    frame frees (:func:`faceplate.memory.keep_freed_memory`)."""
    keep_freed_memory()
    use_threads(library_threads(workers, cores_here()))


def render_chunk(spec: str, frames: list[int]) -> ChunkResult:
    """One render task in a worker process: its own context, frames already done kept."""
    result = ShotNode.from_file(spec).render(frames)
    return ChunkResult.of(frames, result.reused, result.failed)


def pool_size(plan: JobPlan, workers: int | None = None) -> int:
    """The render processes of the local farm: ``workers``, else ``plan.max_parallel``, else
    the cores this process may use; never more than the plan has chunks."""
    return min(workers or plan.max_parallel or cores_here(), len(plan.chunks))


def run_plan(plan: JobPlan, workers: int | None = None) -> list[ChunkResult]:
    """Run the job here: analyse and solve, the render chunks on :func:`pool_size` processes,
    then the report.

    Raises:
        IncompleteShotError: after the report, when some frames could not be written.
    """
    node = ShotNode.from_file(plan.spec)
    size = pool_size(plan, workers)

    def render_chunks(_: object) -> list[ChunkResult]:
        spawn = multiprocessing.get_context("spawn")  # no fork of a process holding OIIO threads
        with ProcessPoolExecutor(max_workers=size, mp_context=spawn, initializer=share_cores,
                                 initargs=(size,)) as pool:
            return list(pool.map(render_chunk, [str(plan.spec)] * len(plan.chunks),
                                 [list(c) for c in plan.chunks]))

    done = run_stages({"analyse": lambda _: node.analyse(),
                       "solve": lambda results: node.solve(results["analyse"]),
                       "render": render_chunks,
                       "report": lambda _: node.report()})
    results: list[ChunkResult] = done["render"]
    failed = sorted(f for r in results for f in r.failed)
    if failed:
        raise incomplete(failed, done["report"].qc_json)
    return results


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write ``<shot>.farmjob.json`` into ``outdir`` and (unless ``dry_run``) run it here."""
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{plan.shot}.farmjob.json"
    path.write_text(json.dumps(job_file(plan), indent=1) + "\n", encoding="utf-8")
    if dry_run:
        return []
    run_plan(plan)
    return [f"local:{plan.shot}"]
