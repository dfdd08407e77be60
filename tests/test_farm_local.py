"""The local farm (a process pool) and resumable, idempotent render tasks."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import OpenImageIO as oiio
import pytest
from conftest import BIN, Shot, make_shot, run_cli


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stamps(shot: Shot, frames: list[int]) -> dict[int, int]:
    return {f: shot.output(f).stat().st_mtime_ns for f in frames}


@pytest.mark.slow
def test_two_local_workers_give_the_same_bytes_as_one_process(tmp_path: Path, colour) -> None:
    one = make_shot(tmp_path / "one", colour, "1001-1006")
    pool = make_shot(tmp_path / "pool", colour, "1001-1006")
    done = run_cli("run", str(one.spec_path))
    assert done.returncode == 0, done.stderr
    job = run_cli("submit", str(pool.spec_path), "--chunk", "2", "--max-parallel", "2")
    assert job.returncode == 0, job.stderr
    assert "submitted: local:tst010" in job.stdout
    plan = json.loads((pool.folder / "farm" / "tst010.farmjob.json").read_text())
    assert plan["schema"] == "faceplate.farmjob/1"
    assert [t["frames"] for t in plan["tasks"] if t["stage"] == "render"] == \
        ["1001-1002", "1003-1004", "1005-1006"]
    for f in one.frames:
        assert _digest(pool.output(f)) == _digest(one.output(f)), f
        assert _digest(pool.matte(f)) == _digest(one.matte(f)), f
    qc = json.loads(pool.qc_json.read_text())
    assert [r["frame"] for r in qc["frames"]] == one.frames


def _open_gate(gate: Path, proc: subprocess.Popen[bytes]) -> int:
    """Open the FIFO ``gate`` for writing: that returns once the renderer opens it to read, the
    event that says it reached the gated frame. Fails if the run ends first."""
    opened: list[int] = []
    reached = threading.Event()

    def open_writer() -> None:
        opened.append(os.open(gate, os.O_WRONLY))
        reached.set()
    threading.Thread(target=open_writer, daemon=True).start()
    while not reached.wait(timeout=1):
        if proc.poll() is not None:  # ended without reading the gate: free the opener, fail
            os.close(os.open(gate, os.O_RDONLY | os.O_NONBLOCK))
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"the run ended ({proc.returncode}) before frame 1004: {stderr}")
    return opened[0]


@pytest.mark.slow
def test_a_killed_local_run_resumes_without_redoing_finished_frames(tmp_path: Path, colour) -> None:
    """The render is killed while it reads frame 1004: after the solve, that plate frame is
    replaced by a FIFO that blocks the reader. Render reads one frame ahead and writes one
    behind, so 1001 is complete by then and 1002-1003 may be: whichever are, are not redone.
    No timing decides what the test expects."""
    shot = make_shot(tmp_path / "shot", colour, "1001-1008")
    assert run_cli("solve", str(shot.spec_path)).returncode == 0
    plate = shot.plate(1004)
    kept = plate.with_name("kept.exr")
    plate.rename(kept)
    os.mkfifo(plate)
    cmd = [str(BIN / "faceplate"), "render", str(shot.spec_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        writer = _open_gate(plate, proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(writer)
    finally:
        if proc.stderr is not None:
            proc.stderr.close()
    plate.unlink()
    kept.rename(plate)
    records = shot.folder / "out" / "qc" / "frames"
    finished = sorted(int(p.stem) for p in records.glob("[!.]*.json"))
    assert finished in ([1001], [1001, 1002], [1001, 1002, 1003])
    assert [f for f in shot.frames if shot.output(f).exists()] == finished
    for f in finished:  # complete and readable
        inp = oiio.ImageInput.open(str(shot.output(f)))
        assert inp is not None and inp.read_image() is not None, f
        inp.close()
    before = _stamps(shot, finished)
    again = run_cli("submit", str(shot.spec_path), "--chunk", "1", "--max-parallel", "1")
    assert again.returncode == 0, again.stderr
    assert all(shot.output(f).is_file() and shot.matte(f).is_file() for f in shot.frames)
    assert _stamps(shot, finished) == before, "finished frames were rendered again"
    assert not list((shot.folder / "out").glob(".*tmp*")), "a stale temporary was left"
    qc = json.loads(shot.qc_json.read_text())
    assert [r["frame"] for r in qc["frames"]] == shot.frames


@pytest.mark.slow
def test_a_rerun_renders_only_frames_whose_inputs_changed(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1004")
    first = run_cli("run", str(shot.spec_path))
    assert first.returncode == 0, first.stderr
    stamps = _stamps(shot, shot.frames)
    same = run_cli("run", str(shot.spec_path))
    assert same.returncode == 0, same.stderr
    assert "frames rendered: 0; already complete: 4" in same.stdout
    assert _stamps(shot, shot.frames) == stamps
    marked = run_cli("review", "mark", str(shot.spec_path), "1003", "--set", "feather=0.2")
    assert marked.returncode == 0, marked.stderr
    changed = run_cli("run", str(shot.spec_path))
    assert changed.returncode == 0, changed.stderr
    assert "frames rendered: 1; already complete: 3" in changed.stdout
    after = _stamps(shot, shot.frames)
    assert [f for f in shot.frames if after[f] != stamps[f]] == [1003]
    shot.output(1001).unlink()
    forced = run_cli("render", str(shot.spec_path), "--frames", "1001-1002")
    assert forced.returncode == 0, forced.stderr
    assert "rendered 1 frames; already complete: 1" in forced.stdout


def test_a_failed_frame_fails_its_task_after_the_rest_of_the_chunk(tmp_path: Path, colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    assert run_cli("solve", str(shot.spec_path)).returncode == 0
    shot.plate(1002).write_bytes(b"not an exr")
    done = run_cli("render", str(shot.spec_path), "--frames", "1001-1003")
    assert done.returncode == 3
    assert "1002" in done.stderr.strip().splitlines()[-1]
    assert shot.output(1001).is_file() and shot.output(1003).is_file()
    assert not shot.output(1002).exists()


def test_worker_processes_share_the_cores() -> None:
    """Each of N pool workers runs cores/N library threads (at least 2), not a thread per core
    each, and keeps the memory its frames free (faceplate.memory, counted here)."""
    import subprocess
    import sys
    code = ("import os, cv2, OpenImageIO as oiio\n"
            "import faceplate.farm.local as local\n"
            "kept = []\n"
            "local.keep_freed_memory = lambda: kept.append(1)\n"
            "local.share_cores(2)\n"
            "n = max(2, len(os.sched_getaffinity(0)) // 2)\n"
            "print(oiio.get_int_attribute('threads'), oiio.get_int_attribute('exr_threads'), "
            "cv2.getNumThreads(), os.environ['OMP_NUM_THREADS'], n, len(kept))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    threads, exr, cv, omp, expected, kept = out.stdout.split()
    assert threads == exr == cv == omp == expected
    assert kept == "1"


def test_local_submit_with_a_failed_frame_exits_3_after_the_report(tmp_path: Path,
                                                                   colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1003")
    shot.plate(1002).write_bytes(b"not an exr")
    done = run_cli("submit", str(shot.spec_path), "--chunk", "3", "--max-parallel", "1")
    assert done.returncode == 3, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"ERROR: 1 frame(s) not written: 1002; see {shot.qc_json}")
    assert "submitted:" not in done.stdout
    qc = json.loads(shot.qc_json.read_text())
    assert qc["summary"]["failed_frames"] == "1002" and qc["summary"]["unreadable"] == 1
    assert shot.output(1001).is_file() and shot.output(1003).is_file()


def test_report_exits_3_naming_frames_not_written_and_0_when_all_are(tmp_path: Path,
                                                                     colour) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002")
    assert run_cli("solve", str(shot.spec_path)).returncode == 0
    assert run_cli("render", str(shot.spec_path), "--frames", "1001").returncode == 0
    partial = run_cli("report", str(shot.spec_path))
    assert partial.returncode == 3
    assert partial.stderr.strip() == (f"ERROR: 1 frame(s) not written: 1002; see "
                                      f"{shot.qc_json}")
    assert json.loads(shot.qc_json.read_text())["summary"]["not_rendered"] == "1002"
    assert run_cli("render", str(shot.spec_path)).returncode == 0
    complete = run_cli("report", str(shot.spec_path))
    assert complete.returncode == 0, complete.stderr
    assert complete.stderr == ""
