"""Slurm submission: the sbatch scripts (dry run) and a real run on the local test cluster."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import BIN, make_shot, read_pixels, run_cli

from faceplate.farm.plan import STAGES, plan_shot
from faceplate.farm.slurm import script

FARM = Path(__file__).resolve().parents[1].parent / "shared" / "farm"


_pixels = read_pixels


def test_render_script_is_bash_with_array_from_zero(tmp_path: Path) -> None:
    plan = plan_shot("sh010", tmp_path / "shot.yaml", list(range(1001, 1006)), 2,
                     faceplate=Path("/bin/echo"))
    text = script(plan, "render", tmp_path / "logs")
    assert "#SBATCH --array=0-2\n" in text and "faceplate.farmjob/1" in text
    path = tmp_path / "render.sbatch"
    path.write_text(text)
    subprocess.run(["bash", "-n", str(path)], check=True)
    seen = [subprocess.run(["bash", str(path)], capture_output=True, text=True, check=True,
                           env={**os.environ, "SLURM_ARRAY_TASK_ID": str(i)}).stdout.split()
            for i in range(3)]
    assert [s[-1] for s in seen] == ["1001-1002", "1003-1004", "1005"]
    assert all(s[0] == "render" for s in seen)


def test_dry_run_writes_one_script_per_stage(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1004")
    done = run_cli("submit", str(shot.spec_path), "--farm", "slurm", "--chunk", "3",
                   "--dry-run", str(tmp_path / "job"))
    assert done.returncode == 0, done.stderr
    for stage in STAGES:
        path = tmp_path / "job" / f"tst010_{stage}.sbatch"
        subprocess.run(["bash", "-n", str(path)], check=True)
        assert str(BIN / "faceplate") in path.read_text()
    assert "--array=0-1" in (tmp_path / "job" / "tst010_render.sbatch").read_text()


@pytest.fixture(scope="session")
def slurm():
    """A running single-node Slurm cluster (started here if needed), or a skip saying why."""
    if os.geteuid() != 0:
        pytest.skip("the test Slurm cluster needs root")
    up = FARM / "slurm-up.sh"
    if not up.is_file():
        pytest.skip(f"no Slurm cluster script at {up}")
    done = subprocess.run(["bash", str(up)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or "slurm ready" not in done.stdout:
        pytest.skip(f"slurm-up.sh failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    yield
    subprocess.run(["bash", str(FARM / "slurm-down.sh")], capture_output=True, timeout=120)


def _state(job: str) -> str:
    text = subprocess.run(["scontrol", "show", "job", job], capture_output=True,
                          text=True).stdout
    states = {w.split("=", 1)[1] for w in text.split() if w.startswith("JobState=")}
    return ",".join(sorted(states))


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


@pytest.mark.slow
def test_real_slurm_run_matches_local_run(tmp_path: Path, colour, slurm) -> None:
    farm = make_shot(tmp_path / "farm", colour, "1001-1004")
    local = make_shot(tmp_path / "local", colour, "1001-1004")
    done = run_cli("submit", str(farm.spec_path), "--farm", "slurm", "--chunk", "2")
    assert done.returncode == 0, done.stderr
    jobs = [line.split()[-1] for line in done.stdout.splitlines()
            if line.startswith("submitted:")]
    assert len(jobs) == 4
    states = {job: _wait(job) for job in jobs}
    assert set(states.values()) == {"COMPLETED"}, states
    assert run_cli("run", str(local.spec_path)).returncode == 0
    for frame in farm.frames:
        np.testing.assert_array_equal(_pixels(farm.output(frame)), _pixels(local.output(frame)))
        np.testing.assert_array_equal(_pixels(farm.matte(frame)), _pixels(local.matte(frame)))
    assert farm.qc_json.is_file()
