"""Deadline: one job per stage for the CommandLine plugin, as the job-info and plugin-info
files ``deadlinecommand -SubmitJob`` takes, batched under the shot and chained by
``JobDependencies``. Render is one job over the shot's frames with the plan's chunk size; each
task gets its range through the plugin's ``<STARTFRAME>``/``<ENDFRAME>`` tokens."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from faceplate.errors import FarmError
from faceplate.farm.plan import SCHEMA, STAGES, JobPlan, is_chunked


def _frames(plan: JobPlan) -> tuple[str, int]:
    first, last = plan.contiguous_range("Deadline")
    return f"{first}-{last}", len(plan.chunks[0])


def job_info(plan: JobPlan, stage: str, depends_on: str | None = None) -> dict[str, str]:
    """The job-info keys of one stage's job."""
    frames, chunk = _frames(plan) if is_chunked(stage) else (str(plan.chunks[0][0]), 1)
    info = {"Plugin": "CommandLine", "Name": f"{plan.shot} faceplate {stage}",
            "BatchName": f"{plan.shot} faceplate", "Frames": frames, "ChunkSize": str(chunk),
            "Comment": "AI-assisted face replacement",
            "ExtraInfoKeyValue0": f"faceplate.farmjob={SCHEMA}",
            "ExtraInfoKeyValue1": f"faceplate.stage={stage}",
            "ExtraInfoKeyValue2": f"faceplate.spec={plan.spec}"}
    if is_chunked(stage) and plan.max_parallel:
        info["MachineLimit"] = str(plan.max_parallel)
    if depends_on:
        info["JobDependencies"] = depends_on
    return info


def plugin_info(plan: JobPlan, stage: str) -> dict[str, str]:
    """The CommandLine plugin-info keys of one stage's job."""
    if is_chunked(stage):
        args = plan.command(stage)[1:3] + ["--frames", "<STARTFRAME>-<ENDFRAME>"]
    else:
        args = plan.command(stage)[1:]
    return {"Executable": str(plan.faceplate), "Arguments": " ".join(_quote(a) for a in args),
            "Shell": "False",
            "StartupDirectory": str(plan.spec.parent)}


def _quote(arg: str) -> str:
    """An argument for Deadline's command line, which splits on spaces and honours double
    quotes (not shell single quotes)."""
    if '"' in arg:
        raise FarmError(f"a double quote cannot pass through Deadline's arguments: {arg}")
    return f'"{arg}"' if any(c.isspace() for c in arg) or not arg else arg


def _write(path: Path, keys: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in keys.items()), encoding="utf-8")
    return path


def write_files(plan: JobPlan, outdir: Path) -> dict[str, tuple[Path, Path]]:
    """Write ``<shot>_<stage>_job_info.job`` and ``..._plugin_info.job`` per stage (the
    dependencies are filled in at submission, when the job ids are known)."""
    outdir.mkdir(parents=True, exist_ok=True)
    return {stage: (_write(outdir / f"{plan.shot}_{stage}_job_info.job", job_info(plan, stage)),
                    _write(outdir / f"{plan.shot}_{stage}_plugin_info.job",
                           plugin_info(plan, stage)))
            for stage in STAGES}


def _job_id(output: str, path: Path) -> str:
    for line in output.splitlines():
        if line.startswith("JobID="):
            return line.split("=", 1)[1].strip()
    raise FarmError(f"deadlinecommand gave no JobID: {output.strip()[-200:]}", path=path)


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write the job files and (unless ``dry_run``) submit them stage by stage with
    ``deadlinecommand``, each job depending on the previous one; returns the job ids."""
    files = write_files(plan, outdir)
    if dry_run:
        return []
    command = shutil.which("deadlinecommand")
    if command is None:
        raise FarmError("deadlinecommand is not on PATH: is the Deadline client installed?")
    ids: dict[str, str] = {}
    previous = None
    for stage in STAGES:
        job, plugin = files[stage]
        if previous is not None:
            _write(job, job_info(plan, stage, ids[previous]))
        done = subprocess.run([command, "-SubmitJob", str(job), str(plugin)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()[-200:]
            raise FarmError(f"deadlinecommand failed: {said}", path=job)
        ids[stage] = _job_id(done.stdout, job)
        previous = stage
    return [ids[s] for s in STAGES]
