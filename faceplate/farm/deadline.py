"""Deadline: one job per stage for the CommandLine plugin, as the job-info and plugin-info
files ``deadlinecommand -SubmitJob`` takes, batched under the shot and chained by
``JobDependencies`` as :data:`faceplate.farm.plan.CHAIN` says (a stage that waits only for the
end of another sets ``ResumeOnFailedDependencies``). Render is one job over the shot's frames
(``1001-1100`` or stepped, ``1001-1100x2``) with the plan's chunk size; each task gets its range
through the plugin's ``<STARTFRAME>``/``<ENDFRAME>`` tokens. ``submit.sh`` submits the whole
chain from a dry run's folder; ``faceplate submit`` does the same steps from Python (so it also
runs where there is no bash)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from faceplate.errors import FarmError
from faceplate.farm.plan import (
    CHAIN,
    SCHEMA,
    STAGES,
    TASK_WORKERS,
    JobPlan,
    is_chunked,
    range_text,
)
from faceplate.spec.farm_section import DeadlineOptions

SUBMIT_SCRIPT = "submit.sh"
#: Job-info key of each ``farm.deadline`` option.
_KEYS = {"pool": "Pool", "group": "Group", "priority": "Priority"}


def _options(plan: JobPlan) -> DeadlineOptions:
    return plan.options if isinstance(plan.options, DeadlineOptions) else DeadlineOptions()


def _render_frames(plan: JobPlan) -> tuple[str, int, int]:
    first, last, step = plan.stepped_range("Deadline")
    return range_text(first, last, step), len(plan.chunks[0]), step


def job_info(plan: JobPlan, stage: str, depends_on: list[str] | None = None) -> dict[str, str]:
    """The job-info keys of one stage's job; ``depends_on`` are the ids of the jobs it waits
    for (known only at submission)."""
    if is_chunked(stage):
        frames, chunk, _ = _render_frames(plan)
    else:
        frames, chunk = str(plan.chunks[0][0]), 1
    info = {"Plugin": "CommandLine", "Name": f"{plan.shot} faceplate {stage}",
            "BatchName": f"{plan.shot} faceplate", "Frames": frames, "ChunkSize": str(chunk),
            "Comment": "AI-assisted face replacement",
            "ExtraInfoKeyValue0": f"faceplate.farmjob={SCHEMA}",
            "ExtraInfoKeyValue1": f"faceplate.stage={stage}",
            "ExtraInfoKeyValue2": f"faceplate.spec={plan.spec}"}
    options = _options(plan)
    info.update({key: str(getattr(options, name)) for name, key in _KEYS.items()
                 if getattr(options, name) is not None})
    if is_chunked(stage) and plan.max_parallel:
        info["MachineLimit"] = str(plan.max_parallel)
    if any(w.until == "end" for w in CHAIN[stage]):
        info["ResumeOnFailedDependencies"] = "True"
    if depends_on:
        info["JobDependencies"] = ",".join(depends_on)
    return info


def plugin_info(plan: JobPlan, stage: str) -> dict[str, str]:
    """The CommandLine plugin-info keys of one stage's job."""
    if is_chunked(stage):
        _, _, step = _render_frames(plan)
        frames = "<STARTFRAME>-<ENDFRAME>" + (f"x{step}" if step > 1 else "")
        args = [*plan.command(stage)[1:3], "--frames", frames, *TASK_WORKERS]
    else:
        args = plan.command(stage)[1:]
    return {"Executable": str(plan.faceplate), "Arguments": " ".join(_quote(a) for a in args),
            "ShellExecute": "False", "SingleFramesOnly": "False",
            "StartupDirectory": str(plan.spec.parent)}


def _quote(arg: str) -> str:
    """An argument for Deadline's command line, which splits on spaces and honours double
    quotes (not shell single quotes)."""
    if '"' in arg:
        raise FarmError(f"a double quote cannot pass through Deadline's arguments: {arg}")
    return f'"{arg}"' if any(c.isspace() for c in arg) or not arg else arg


def _text(keys: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in keys.items())


def file_names(plan: JobPlan, stage: str) -> tuple[str, str]:
    """The job-info and plugin-info file names of one stage."""
    return f"{plan.shot}_{stage}_job_info.job", f"{plan.shot}_{stage}_plugin_info.job"


def submitted_name(job_file: str) -> str:
    """The job-info file actually submitted: the written one plus its ``JobDependencies``."""
    return job_file.removesuffix(".job") + ".submit.job"


def submit_script(plan: JobPlan) -> str:
    """``submit.sh``: submits every stage's job with ``deadlinecommand -SubmitJob``, each
    after the jobs it waits for, and prints one ``<stage>=<job id>`` line per stage."""
    lines = ["#!/bin/bash",
             f"# {SCHEMA} shot={plan.shot}: submits the whole chain to Deadline.",
             "set -euo pipefail",
             'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
             "submit() {  # JOB_INFO PLUGIN_INFO [DEPENDENCIES]",
             '  local info="$here/$1" out id',
             '  if [ -n "${3:-}" ]; then',
             '    info="$here/${1%.job}.submit.job"',
             '    { cat "$here/$1"; printf \'JobDependencies=%s\\n\' "$3"; } > "$info"',
             "  fi",
             '  out=$(deadlinecommand -SubmitJob "$info" "$here/$2")',
             "  id=$(printf '%s\\n' \"$out\" | tr -d '\\r' | sed -n 's/^JobID=//p' | head -n 1)",
             '  if [ -z "$id" ]; then echo "deadlinecommand gave no JobID: $out" >&2; exit 1; fi',
             "  printf '%s\\n' \"$id\"",
             "}"]
    for stage in STAGES:
        job, plugin = file_names(plan, stage)
        deps = ",".join(f"${w.stage}" for w in CHAIN[stage])
        args = [shlex.quote(job), shlex.quote(plugin)] + ([f'"{deps}"'] if deps else [])
        lines += [f"{stage}=$(submit {' '.join(args)})", f'echo "{stage}=${stage}"']
    return "\n".join(lines) + "\n"


def write_files(plan: JobPlan, outdir: Path) -> dict[str, tuple[Path, Path]]:
    """Write ``<shot>_<stage>_job_info.job`` and ``..._plugin_info.job`` per stage and
    ``submit.sh`` (the dependencies are added at submission, when the job ids are known)."""
    outdir.mkdir(parents=True, exist_ok=True)
    files = {}
    for stage in STAGES:
        job, plugin = (outdir / name for name in file_names(plan, stage))
        job.write_text(_text(job_info(plan, stage)), encoding="utf-8")
        plugin.write_text(_text(plugin_info(plan, stage)), encoding="utf-8")
        files[stage] = (job, plugin)
    runner = outdir / SUBMIT_SCRIPT
    runner.write_text(submit_script(plan), encoding="utf-8")
    runner.chmod(0o755)
    return files


def _job_id(output: str, path: Path) -> str:
    for line in output.splitlines():
        if line.strip().startswith("JobID="):
            return line.split("=", 1)[1].strip()
    raise FarmError(f"deadlinecommand gave no JobID: {output.strip()[-200:]}", path=path)


def submit(plan: JobPlan, outdir: Path, *, dry_run: bool = False) -> list[str]:
    """Write the job files and (unless ``dry_run``) submit them stage by stage with
    ``deadlinecommand``, as ``submit.sh`` does; returns the job ids in stage order.

    Raises:
        FarmError: deadlinecommand is missing or refused a job.
    """
    files = write_files(plan, outdir)
    if dry_run:
        return []
    command = shutil.which("deadlinecommand")
    if command is None:
        raise FarmError("deadlinecommand is not on PATH: is the Deadline client installed?")
    ids: dict[str, str] = {}
    for stage in STAGES:
        job, plugin = files[stage]
        depends = [ids[w.stage] for w in CHAIN[stage]]
        if depends:
            job = job.with_name(submitted_name(job.name))
            job.write_text(_text(job_info(plan, stage, depends)), encoding="utf-8")
        done = subprocess.run([command, "-SubmitJob", str(job), str(plugin)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()[-200:]
            raise FarmError(f"deadlinecommand failed: {said}", path=job)
        ids[stage] = _job_id(done.stdout, job)
    return [ids[s] for s in STAGES]
