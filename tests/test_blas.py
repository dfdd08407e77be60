"""The BLAS threads of a faceplate process (faceplate.blas): NumPy's and OpenCV's OpenBLAS run in
the caller's thread, here and in the processes started after, where `faceplate analyse` and
`faceplate run` set it up; a value the environment gives is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

#: The threads of the process after faceplate.blas's setting and NumPy and OpenCV loaded
#: (each OpenBLAS starts its own at load), and the setting a process started after it sees.
_BLAS = """
import os, subprocess, sys
from faceplate.blas import one_blas_thread
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


def test_only_the_analyse_and_run_commands_keep_blas_in_one_thread() -> None:
    code = ("import os, sys\n"
            "from faceplate.cli.main import main\n"
            "try:\n"
            "    main([sys.argv[1], '/nonexistent/spec.yaml'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    said = {command: subprocess.run([sys.executable, "-c", code, command], capture_output=True,
                                    text=True, env=env).stdout.split()[-1]
            for command in ("analyse", "run", "render")}
    assert said == {"analyse": "1", "run": "1", "render": "None"}
