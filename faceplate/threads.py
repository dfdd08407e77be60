"""How many threads a faceplate process's libraries start: set once, by a command's entry point
before they load, never by the library a host imports.

- **BLAS.** NumPy and OpenCV each load an OpenBLAS that starts a thread per core, and those
  threads spin for a while after each call, waiting for the next. faceplate's matrices are
  small (meshes, colour statistics), so the threads only spin: in ``faceplate analyse`` on 2
  cores they took 0.2-0.3 s of CPU at start-up, beside the start-up's own work.
- **OpenCV's pool.** Analysis keeps its own two threads busy (the plate reader, the analysing
  thread); OpenCV's pool of a thread per core beside them only competes for the same cores.

Measured in docs/performance.md.
"""

from __future__ import annotations

import os
import sys

#: OpenBLAS's thread count, read when the library loads (OpenBLAS's docs).
BLAS_THREADS = "OPENBLAS_NUM_THREADS"
#: OpenCV's thread count for its parallel loops, read when its pool is first used.
OPENCV_THREADS = "OPENCV_FOR_THREADS_NUM"


def cores_here() -> int:
    """The cores this process may run on: its CPU affinity (a farm slot's or a cgroup's
    cpuset), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def one_blas_thread() -> bool:
    """Have the OpenBLAS libraries loaded after this (NumPy's, OpenCV's), here and in the
    processes this one starts, run in the caller's thread; whether it applies here (False
    when NumPy is already imported). A value the environment already gives is kept."""
    os.environ.setdefault(BLAS_THREADS, "1")
    return "numpy" not in sys.modules


def analysis_opencv_threads(cores: int) -> int:
    """OpenCV's threads for a process that analyses a shot on ``cores`` cores: those its own
    plate reader leaves (one fewer), at least one (the caller's only)."""
    return max(1, cores - 1)


def opencv_threads(count: int) -> None:
    """Have OpenCV run its parallel loops on ``count`` threads, here and in the processes this
    one starts (a render worker sets its own): OpenCV reads the setting when its pool is first
    used, so before any OpenCV call. A value the environment already gives is kept."""
    os.environ.setdefault(OPENCV_THREADS, str(count))
