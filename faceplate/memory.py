"""How a faceplate process's memory is set up for frames: set once, by a process's entry point
(the command line, a render worker), never by the library a host imports.

A stage allocates and frees a few buffers of tens of megabytes per frame (a 1080p frame is
12 MB of half floats, 25 MB as float32), of sizes that change from frame to frame (a frame read
in part). glibc's malloc gives each such block a mapping of its own, or gives its heap's free
top back to the system, so the next frame's buffers are faulted in again page by page: on the
development machine (a virtual machine, where a page fault costs most) about a tenth of
analysis's CPU (docs/performance.md). And NumPy asks the kernel for huge pages for each large
array: where the kernel grants them on request (transparent huge pages in ``madvise`` mode, a
common default), each first touch of 2 MB zeroes it whole and may wait for the kernel to find
or compact one; in a virtual machine, for the host to back it. Measured there, analysis ran
7% faster with small pages, and render (whose buffers live longer) 3% slower, so only
``faceplate analyse`` and ``faceplate run`` (whose analysis gains and whose render was no
slower, five alternating pairs at stop 35) ask for them (docs/performance.md).
"""

from __future__ import annotations

import ctypes
import os
import sys

#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Blocks up to this size come from malloc's heaps, not a mapping of their own: glibc's
#: largest (32 MiB on 64-bit), above a float32 1080p RGB frame.
MMAP_THRESHOLD = 32 << 20
#: Free memory at the top of a heap is kept up to this size (a few frames' buffers), not
#: given back to the system after each frame.
TRIM_THRESHOLD = 256 << 20


def keep_freed_memory() -> bool:
    """Have this process's malloc keep the memory a frame frees for the next frame's buffers
    (:data:`MMAP_THRESHOLD`, :data:`TRIM_THRESHOLD`); whether it did (False where the C library
    is not glibc). Both are set together: glibc stops adapting its mapping threshold as soon as
    either is set, and the trim threshold alone would map every block of over 128 KiB."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl without mallopt)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


#: NumPy's switch for its huge-page advice, read when NumPy is imported (NumPy's docs).
NUMPY_HUGE_PAGES = "NUMPY_MADVISE_HUGEPAGE"


def no_numpy_huge_pages() -> bool:
    """Have NumPy, imported after this, leave the kernel's page size alone: this process and
    the processes it starts inherit the setting; whether it applies here (False when NumPy is
    already imported). A value the environment already gives is kept."""
    os.environ.setdefault(NUMPY_HUGE_PAGES, "0")
    return "numpy" not in sys.modules
