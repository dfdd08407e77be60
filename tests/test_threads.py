"""How many threads a faceplate process's libraries start (faceplate.threads): NumPy's and
OpenCV's OpenBLAS run in the caller's thread, and OpenCV's pool leaves analysis's plate reader a
core, here and in the processes started after, where `faceplate analyse` and `faceplate run`
set them up; a value the environment gives is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

#: The threads of the process after faceplate.threads' BLAS setting and NumPy and OpenCV loaded
#: (each OpenBLAS starts its own at load), and the setting a process started after it sees.
_BLAS = """
import os, subprocess, sys
from faceplate.threads import one_blas_thread
print(one_blas_thread())
import cv2, numpy
child = subprocess.run([sys.executable, "-c",
                        "import os; print(os.environ['OPENBLAS_NUM_THREADS'])"],
                       capture_output=True, text=True, check=True).stdout.strip()
print(len(os.listdir("/proc/self/task")), child)
"""


def _blas(**environ: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    return subprocess.run([sys.executable, "-c", _BLAS], capture_output=True, text=True,
                          check=True, env={**env, **environ}).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="threads counted in /proc; OpenBLAS starts none on one core")
def test_blas_runs_in_the_callers_thread_here_and_in_the_processes_started_after() -> None:
    # NumPy's and OpenCV's OpenBLAS each start threads of their own at load, untouched
    untouched = subprocess.run(
        [sys.executable, "-c", "import os, cv2, numpy; print(len(os.listdir('/proc/self/task')))"],
        capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"})
    assert int(untouched.stdout) >= 3
    assert _blas() == ["True", "1", "1"]
    # a value the environment gives is the user's, and kept
    said, threads, child = _blas(OPENBLAS_NUM_THREADS="2")
    assert (said, child) == ("True", "2") and int(threads) >= 2


#: OpenCV's threads after faceplate.threads' setting of ``argv[1]`` threads, here and in a
#: process started after it; ``used-first``: an OpenCV call made before the setting.
_OPENCV = """
import subprocess, sys
import cv2, numpy
if sys.argv[2] == "used-first":
    cv2.resize(numpy.zeros((64, 64), numpy.float32), (32, 32))
from faceplate.threads import opencv_threads
opencv_threads(int(sys.argv[1]))
child = subprocess.run([sys.executable, "-c", "import cv2; print(cv2.getNumThreads())"],
                       capture_output=True, text=True, check=True).stdout.strip()
print(cv2.getNumThreads(), child)
"""


def _opencv(count: int, mode: str = "fresh", **environ: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_FOR_THREADS_NUM"}
    return subprocess.run([sys.executable, "-c", _OPENCV, str(count), mode],
                          capture_output=True, text=True, check=True,
                          env={**env, **environ}).stdout.split()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenCV's own default is one thread")
def test_opencv_runs_the_threads_set_here_and_in_the_processes_started_after() -> None:
    assert _opencv(1) == ["1", "1"]
    assert _opencv(3) == ["3", "3"]
    # after an OpenCV call its pool is made: too late here, still set for the processes after
    here, child = _opencv(1, "used-first")
    assert here != "1" and child == "1"
    # a value the environment gives is the user's, and kept
    assert _opencv(1, OPENCV_FOR_THREADS_NUM="2") == ["2", "2"]


def test_analysis_leaves_its_plate_reader_a_core() -> None:
    from faceplate.threads import analysis_opencv_threads
    assert [analysis_opencv_threads(n) for n in (1, 2, 3, 16)] == [1, 1, 2, 15]


def test_without_cpu_affinity_the_machines_cores_are_counted(monkeypatch):
    from faceplate.threads import cores_here
    count = os.cpu_count()
    monkeypatch.delattr(os, "sched_getaffinity")  # as on macOS
    assert cores_here() == count
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "cannot be determined"
    assert cores_here() == 1


def test_only_the_analyse_and_run_commands_set_the_libraries_threads() -> None:
    """BLAS in one thread, OpenCV on the cores analysis's reader leaves (this process's
    affinity narrowed to one core: one), set before either loads; `faceplate render` leaves
    both to the libraries (its workers set their own)."""
    code = ("import os, sys\n"
            "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
            "from faceplate.cli.main import main\n"
            "try:\n"
            "    main([sys.argv[1], '/nonexistent/spec.yaml'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'), "
            "os.environ.get('OPENCV_FOR_THREADS_NUM'))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")}
    said = {command: subprocess.run([sys.executable, "-c", code, command], capture_output=True,
                                    text=True, env=env).stdout.split()[-2:]
            for command in ("analyse", "run", "render")}
    assert said == {"analyse": ["1", "1"], "run": ["1", "1"], "render": ["None", "None"]}
