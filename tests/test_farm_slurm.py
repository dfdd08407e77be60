"""Slurm submission: the sbatch scripts (dry run) and real runs on the local test cluster,
submitted through the dry run's ``submit.sh``: the chain holds, the throttle is in the
submitted array, and a failing stage stops exactly what docs/farm.md says it stops."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import BIN, make_shot, read_pixels, run_cli

from faceplate.farm.plan import STAGES, plan_shot
from faceplate.farm.slurm import job_ids, script

FARM = Path(__file__).resolve().parents[1].parent / "shared" / "farm"


_pixels = read_pixels


def test_render_script_is_bash_with_array_from_zero(tmp_path: Path) -> None:
    plan = plan_shot("sh010", tmp_path / "shot.yaml", list(range(1001, 1006)), 2,
                     faceplate=Path("/bin/echo"))
    text = script(plan, "render")
    assert "#SBATCH --array=0-2\n" in text and "faceplate.farmjob/1" in text
    path = tmp_path / "render.sbatch"
    path.write_text(text)
    subprocess.run(["bash", "-n", str(path)], check=True)
    seen = [subprocess.run(["bash", str(path)], capture_output=True, text=True, check=True,
                           env={**os.environ, "SLURM_ARRAY_TASK_ID": str(i)}).stdout.split()
            for i in range(3)]
    assert [s[-3:] for s in seen] == [[r, "--workers", "1"]
                                      for r in ("1001-1002", "1003-1004", "1005")]
    assert all(s[0] == "render" for s in seen)


def test_dry_run_writes_one_script_per_stage_and_submit_sh(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1004")
    done = run_cli("submit", str(shot.spec_path), "--farm", "slurm", "--chunk", "3",
                   "--dry-run", str(tmp_path / "job"))
    assert done.returncode == 0, done.stderr
    assert f"submit with: bash {tmp_path / 'job' / 'submit.sh'}" in done.stdout
    for stage in STAGES:
        path = tmp_path / "job" / f"tst010_{stage}.sbatch"
        subprocess.run(["bash", "-n", str(path)], check=True)
        assert str(BIN / "faceplate") in path.read_text()
    subprocess.run(["bash", "-n", str(tmp_path / "job" / "submit.sh")], check=True)
    assert "--array=0-1" in (tmp_path / "job" / "tst010_render.sbatch").read_text()


def _controller_up() -> bool:
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def slurm():
    """A running single-node Slurm cluster (started here if needed, and then stopped here
    only), or a skip saying why."""
    if os.geteuid() != 0:
        pytest.skip("the test Slurm cluster needs root")
    up = FARM / "slurm-up.sh"
    if not up.is_file():
        pytest.skip(f"no Slurm cluster script at {up}")
    started = not _controller_up()
    done = subprocess.run(["bash", str(up)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or "slurm ready" not in done.stdout:
        pytest.skip(f"slurm-up.sh failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    yield
    if started:  # another session's cluster is left running
        subprocess.run(["bash", str(FARM / "slurm-down.sh")], capture_output=True, timeout=120)


def _show(job: str) -> str:
    return subprocess.run(["scontrol", "show", "job", job], capture_output=True,
                          text=True).stdout


def _fields(job: str, name: str) -> set[str]:
    return {w.split("=", 1)[1] for w in _show(job).split() if w.startswith(f"{name}=")}


def _state(job: str) -> str:
    return ",".join(sorted(_fields(job, "JobState")))


def _wait(job: str, limit: float = 600) -> str:
    """The final state of ``job`` (an array job's states joined)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        state = _state(job)
        busy = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING"}
        if state and not busy & set(state.split(",")):
            return state
        time.sleep(1)
    return f"still {_state(job)}"


def _submit_dry_run(shot, job_dir: Path, *args: str) -> dict[str, str]:
    """Write the job with ``--dry-run``, then submit it with its own ``submit.sh``."""
    done = run_cli("submit", str(shot.spec_path), "--farm", "slurm", "--chunk", "2",
                   "--dry-run", str(job_dir), *args)
    assert done.returncode == 0, done.stderr
    submitted = subprocess.run(["bash", str(job_dir / "submit.sh")], capture_output=True,
                               text=True, cwd="/")
    assert submitted.returncode == 0, submitted.stderr
    ids = job_ids(submitted.stdout)
    assert list(ids) == list(STAGES)
    return ids


@pytest.mark.slow
def test_real_slurm_chain_from_submit_sh_matches_a_local_run(tmp_path: Path, colour,
                                                             slurm) -> None:
    farm = make_shot(tmp_path / "farm", colour, "1001-1004")
    local = make_shot(tmp_path / "local", colour, "1001-1004")
    ids = _submit_dry_run(farm, tmp_path / "job", "--max-parallel", "1", "-o",
                          "partition=debug", "-o", "time=30")
    # The chain and the throttle as Slurm holds them, read back before anything ran.
    assert _fields(ids["render"], "ArrayTaskThrottle") == {"1"}
    assert _fields(ids["render"], "ArrayTaskId") == {"0-1%1"}
    assert _fields(ids["solve"], "Dependency") <= {f"afterok:{ids['analyse']}(unfulfilled)",
                                                   "(null)"}
    report_dependency = _fields(ids["report"], "Dependency")
    assert report_dependency == {f"afterok:{ids['solve']}(unfulfilled),"
                                 f"afterany:{ids['render']}_*(unfulfilled)"}, report_dependency
    assert _fields(ids["analyse"], "Partition") == {"debug"}
    assert _fields(ids["analyse"], "TimeLimit") == {"00:30:00"}
    states = {stage: _wait(job) for stage, job in ids.items()}
    assert set(states.values()) == {"COMPLETED"}, states
    assert run_cli("run", str(local.spec_path)).returncode == 0
    for frame in farm.frames:
        np.testing.assert_array_equal(_pixels(farm.output(frame)), _pixels(local.output(frame)))
        np.testing.assert_array_equal(_pixels(farm.matte(frame)), _pixels(local.matte(frame)))
    assert farm.qc_json.is_file()


@pytest.mark.slow
def test_real_slurm_failed_render_task_still_gets_its_report(tmp_path: Path, colour,
                                                             slurm) -> None:
    import json
    shot = make_shot(tmp_path / "shot", colour, "1001-1004")
    shot.plate(1003).write_bytes(b"not an exr")  # chunk 1 (1003-1004) fails its task
    ids = _submit_dry_run(shot, tmp_path / "job")
    states = {stage: _wait(job) for stage, job in ids.items()}
    assert states["analyse"] == states["solve"] == "COMPLETED", states
    assert states["render"] == "COMPLETED,FAILED", states  # one task of two failed (exit 3)
    assert states["report"] == "FAILED", states  # it ran, and exits 3 naming the frame
    assert _fields(ids["report"], "ExitCode") == {"3:0"}
    qc = json.loads(shot.qc_json.read_text())
    assert qc["summary"]["failed_frames"] == "1003"
    assert {r["frame"]: r["status"] for r in qc["frames"]}[1003] == "unreadable"
    log = next((tmp_path / "job" / "logs").glob("report_*.log")).read_text()
    assert "ERROR: 1 frame(s) not written: 1003" in log
    assert shot.output(1004).is_file() and not shot.output(1003).exists()


@pytest.mark.slow
def test_real_slurm_failed_analyse_stops_everything_after_it(tmp_path: Path, colour,
                                                             slurm) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    done = run_cli("submit", str(shot.spec_path), "--farm", "slurm", "--dry-run",
                   str(tmp_path / "job"))
    assert done.returncode == 0, done.stderr
    (shot.folder / "refs" / "actor_a.jpg").unlink()  # analyse fails: source file not found
    submitted = subprocess.run(["bash", str(tmp_path / "job" / "submit.sh")],
                               capture_output=True, text=True, check=True)
    ids = job_ids(submitted.stdout)
    states = {stage: _wait(job) for stage, job in ids.items()}
    assert states == {"analyse": "FAILED", "solve": "CANCELLED", "render": "CANCELLED",
                      "report": "CANCELLED"}, states
    assert _fields(ids["analyse"], "ExitCode") == {"2:0"}
    assert not (shot.folder / "out").exists()
