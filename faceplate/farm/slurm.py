"""Slurm: one sbatch script per stage (render as an array indexed from 0, never by frame
number) and ``submit.sh``, which submits the whole chain with ``sbatch --parsable`` and
``--dependency`` as :data:`faceplate.farm.plan.CHAIN` says. Submitting runs that same script,
so a dry run's job folder submits exactly what ``faceplate submit`` would."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

from faceplate.errors import FarmError
from faceplate.farm.plan import CHAIN, SCHEMA, STAGES, TASK_WORKERS, JobPlan, is_chunked
from faceplate.frames import format_frames
from faceplate.spec.farm_section import SlurmOptions

SUBMIT_SCRIPT = "submit.sh"
#: Slurm's dependency type for each way a stage waits.
_DEPENDENCY = {"success": "afterok", "end": "afterany"}
#: sbatch's option for each key of the ``farm.slurm`` options.
_SBATCH = {"partition": "--partition", "account": "--account", "time": "--time",
           "mem": "--mem", "cpus": "--cpus-per-task", "gres": "--gres"}


def _options(plan: JobPlan) -> SlurmOptions:
    return plan.options if isinstance(plan.options, SlurmOptions) else SlurmOptions()


def job_name(plan: JobPlan, stage: str) -> str:
    """``fp_<shot>_<stage>``, with anything but letters, digits, ``.``, ``-`` and ``_`` made
    ``_`` (an ``#SBATCH`` line cannot quote)."""
    return re.sub(r"[^\w.-]", "_", f"fp_{plan.shot}_{stage}")


def script_name(plan: JobPlan, stage: str) -> str:
    return f"{plan.shot}_{stage}.sbatch"


def script(plan: JobPlan, stage: str) -> str:
    """The sbatch script of one stage; ``render`` maps SLURM_ARRAY_TASK_ID to a frame range.
    The farm options become ``#SBATCH`` lines; the log file and the dependencies are given by
    ``submit.sh``."""
    options = _options(plan)
    lines = ["#!/bin/bash",
             f"# {SCHEMA} shot={plan.shot} stage={stage}",
             f"#SBATCH --job-name={job_name(plan, stage)}"]
    lines += [f"#SBATCH {flag}={getattr(options, key)}" for key, flag in _SBATCH.items()
              if getattr(options, key) is not None]
    if is_chunked(stage):
        limit = f"%{plan.max_parallel}" if plan.max_parallel else ""
        lines.append(f"#SBATCH --array=0-{len(plan.chunks) - 1}{limit}")
    lines.append("set -euo pipefail")
    if not is_chunked(stage):
        lines.append(shlex.join(plan.command(stage)))
    else:
        ranges = " ".join(shlex.quote(format_frames(list(c))) for c in plan.chunks)
        lines += [f"RANGES=({ranges})",
                  'FRAMES="${RANGES[$SLURM_ARRAY_TASK_ID]}"',
                  shlex.join(plan.command(stage)[:3]) + ' --frames "$FRAMES" '
                  + shlex.join(TASK_WORKERS)]
    return "\n".join(lines) + "\n"


def submit_script(plan: JobPlan) -> str:
    """``submit.sh``: submits every stage's script with its dependencies and prints one
    ``<stage>=<job id>`` line per stage. Paths are taken from the script's own folder."""
    lines = ["#!/bin/bash",
             f"# {SCHEMA} shot={plan.shot}: submits the whole chain to Slurm.",
             "# " + "; ".join(f"{s} after {', '.join(f'{w.stage} {w.until}' for w in CHAIN[s])}"
                              for s in STAGES if CHAIN[s]),
             "set -euo pipefail",
             'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
             'mkdir -p "$here/logs"']
    for stage in STAGES:
        log = f"{stage}_%A_%a.log" if is_chunked(stage) else f"{stage}_%j.log"
        args = ["sbatch", "--parsable", f'--output="$here/logs/{log}"']
        if CHAIN[stage]:
            waits = ",".join(f'{_DEPENDENCY[w.until]}:"${w.stage}"' for w in CHAIN[stage])
            args += [f"--dependency={waits}", "--kill-on-invalid-dep=yes"]
        args.append(f'"$here"/{shlex.quote(script_name(plan, stage))}')
        lines += [f"{stage}=$({' '.join(args)})",
                  f"{stage}=${{{stage}%%;*}}",  # --parsable prints id[;cluster]
                  f'echo "{stage}=${stage}"']
    return "\n".join(lines) + "\n"


def write_scripts(plan: JobPlan, outdir: Path) -> dict[str, Path]:
    """Write one script per stage and ``submit.sh`` into ``outdir``; returns the stage
    scripts by stage."""
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "logs").mkdir(exist_ok=True)
    paths = {}
    for stage in STAGES:
        path = outdir / script_name(plan, stage)
        path.write_text(script(plan, stage), encoding="utf-8")
        paths[stage] = path
    runner = outdir / SUBMIT_SCRIPT
    runner.write_text(submit_script(plan), encoding="utf-8")
    runner.chmod(0o755)
    return paths


def job_ids(output: str) -> dict[str, str]:
    """The ``<stage>=<id>`` lines ``submit.sh`` printed, by stage."""
    found = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    return {s: found[s].strip() for s in STAGES if s in found}


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write the scripts and (unless ``dry_run``) run ``submit.sh``; returns the job ids in
    stage order (empty on a dry run).

    Raises:
        FarmError: sbatch is missing or refused a stage.
    """
    write_scripts(plan, outdir)
    if dry_run:
        return []
    if shutil.which("sbatch") is None:
        raise FarmError("sbatch is not on PATH: is Slurm installed?")
    runner = outdir / SUBMIT_SCRIPT
    done = subprocess.run(["bash", str(runner)], capture_output=True, text=True, check=False)
    ids = job_ids(done.stdout)
    if done.returncode != 0 or len(ids) != len(STAGES):
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FarmError(f"sbatch failed after {len(ids)} of {len(STAGES)} stages: {said}",
                        path=runner)
    return [ids[s] for s in STAGES]
