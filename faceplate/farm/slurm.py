"""Slurm: sbatch scripts per stage, render as an array indexed from 0 (never frame numbers)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from faceplate.errors import FarmError
from faceplate.farm.plan import SCHEMA, STAGES, JobPlan, is_chunked
from faceplate.frames import format_frames


def _header(plan: JobPlan, stage: str, logs: Path) -> list[str]:
    return ["#!/bin/bash",
            f"# {SCHEMA} shot={plan.shot} stage={stage}",
            f"#SBATCH --job-name=fp_{plan.shot}_{stage}",
            f"#SBATCH --output={logs}/{stage}_%A_%a.log",
            "set -euo pipefail"]


def script(plan: JobPlan, stage: str, logs: Path) -> str:
    """The sbatch script of one stage; ``render`` maps SLURM_ARRAY_TASK_ID to a frame range."""
    lines = _header(plan, stage, logs)
    if not is_chunked(stage):
        lines.append(shlex.join(plan.command(stage)))
    else:
        limit = f"%{plan.max_parallel}" if plan.max_parallel else ""
        lines.insert(3, f"#SBATCH --array=0-{len(plan.chunks) - 1}{limit}")
        ranges = " ".join(shlex.quote(format_frames(list(c))) for c in plan.chunks)
        lines += [f"RANGES=({ranges})",
                  'FRAMES="${RANGES[$SLURM_ARRAY_TASK_ID]}"',
                  shlex.join(plan.command(stage)[:3]) + ' --frames "$FRAMES"']
    return "\n".join(lines) + "\n"


def write_scripts(plan: JobPlan, outdir: Path) -> dict[str, Path]:
    """Write one script per stage into ``outdir``; returns them by stage."""
    outdir.mkdir(parents=True, exist_ok=True)
    logs = (outdir / "logs").absolute()
    logs.mkdir(exist_ok=True)
    paths = {}
    for stage in STAGES:
        path = outdir / f"{plan.shot}_{stage}.sbatch"
        path.write_text(script(plan, stage, logs), encoding="utf-8")
        paths[stage] = path
    return paths


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write the scripts and (unless ``dry_run``) submit them chained ``afterok``; returns
    the job ids (empty on a dry run)."""
    paths = write_scripts(plan, outdir)
    if dry_run:
        return []
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise FarmError("sbatch is not on PATH: is Slurm installed?")
    ids: list[str] = []
    for stage in STAGES:
        cmd = [sbatch, "--parsable"]
        if ids:
            cmd += [f"--dependency=afterok:{ids[-1]}", "--kill-on-invalid-dep=yes"]
        done = subprocess.run(cmd + [str(paths[stage])], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise FarmError(f"sbatch failed: {done.stderr.strip()}", path=paths[stage])
        ids.append(done.stdout.strip().split(";")[0])
    return ids
