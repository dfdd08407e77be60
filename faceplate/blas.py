"""How many threads a faceplate process's BLAS libraries start: set once, by a command's entry
point before NumPy loads, never by the library a host imports.

NumPy and OpenCV each load an OpenBLAS that starts a thread per core, and those threads spin
for a while after each call, waiting for the next. faceplate's matrices are small (meshes,
colour statistics), so the threads only spin: in ``faceplate analyse`` on 2 cores they took
0.2-0.3 s of CPU at start-up, beside the start-up's own work (docs/performance.md).
"""

from __future__ import annotations

import os
import sys

#: OpenBLAS's thread count, read when the library loads (OpenBLAS's docs).
BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def one_blas_thread() -> bool:
    """Have the OpenBLAS libraries loaded after this (NumPy's, OpenCV's), here and in the
    processes this one starts, run in the caller's thread; whether it applies here (False
    when NumPy is already imported). A value the environment already gives is kept."""
    os.environ.setdefault(BLAS_THREADS, "1")
    return "numpy" not in sys.modules
