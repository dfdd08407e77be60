"""How a faceplate process's memory is set up for frames (faceplate.memory): frames' buffers
freed and allocated again, of sizes that change from frame to frame as frames read in part do,
are not faulted in again page by page; NumPy asks for no huge pages (here and in the processes
started after); and the command line's entry sets both up."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

#: The module (``faceplate.cli.main`` the attribute is the command group).
cli_main = importlib.import_module("faceplate.cli.main")

#: A reader thread's frames, as analysis makes them: half rows of changing heights widened to
#: float32 and a share copied, each freed before the next; the minor page faults counted.
_FRAMES = """
import resource, sys, threading
import numpy as np
if sys.argv[1] == "set":
    from faceplate.memory import keep_freed_memory
    print(keep_freed_memory())
def frames():
    for i in range(12):
        half = np.ones(((700, 1000, 640, 980, 820, 1080)[i % 6], 1920, 3), np.float16)
        wide = half.astype(np.float32)
        part = wide[:500].copy()
        del half, wide, part
faults = []
def reader():
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    frames()
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
thread = threading.Thread(target=reader)
thread.start()
thread.join()
print(faults[0])
"""


def _faults(mode: str) -> tuple[list[str], int]:
    out = subprocess.run([sys.executable, "-c", _FRAMES, mode], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[:-1], int(out[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_freed_frames_are_reused_not_faulted_in_again() -> None:
    said, kept = _faults("set")
    assert said == ["True"]
    _, default = _faults("default")
    # 12 frames of 4-12 MB half and 8-25 MB float32: glibc's default maps or trims most of
    # them (over 7,000 faults here); kept, a frame's pages serve the next (under 3,500)
    assert kept < 0.6 * default, (kept, default)


#: glibc's malloc asked for blocks either side of 32 MiB, one freed, then 8 more of just under
#: 32 MiB (255.5 MiB) and ``argv[2]`` KiB more, all freed; glibc's own statistics (mallinfo2:
#: bytes of the heap, bytes mapped a block each) read after each step.
_BLOCKS = """
import ctypes, sys
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                              "usmblks", "fsmblks", "uordblks", "fordblks",
                                              "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "set":
    from faceplate.memory import keep_freed_memory
    keep_freed_memory()
def say():
    info = libc.mallinfo2()
    print(info.arena, info.hblkhd)
MiB, under = 1 << 20, (32 << 20) - (64 << 10)
say()
over = libc.malloc((32 << 20) + (64 << 10))
say()
block = libc.malloc(under)
say()
libc.free(block)
say()
blocks = [libc.malloc(under) for _ in range(8)] + [libc.malloc(int(sys.argv[2]) << 10)]
for block in reversed(blocks):
    libc.free(block)
say()
"""


def _blocks(mode: str, extra_kib: int = 0) -> list[tuple[int, int]]:
    out = subprocess.run([sys.executable, "-c", _BLOCKS, mode, str(extra_kib)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return [(int(a), int(m)) for a, m in (line.split() for line in out)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_blocks_up_to_32_mib_come_from_the_heap_and_up_to_256_mib_freed_is_kept() -> None:
    """The thresholds as glibc applies them (its statistics, not timings): a block 64 KiB over
    32 MiB is mapped, one 64 KiB under comes from the heap, grown by little more than it, and
    stays there freed; freed memory at the heap's top is kept up to 256 MiB (8 such blocks,
    255.5 MiB), given back over it (1 MiB more). glibc's default maps the smaller block too."""
    mib, under, over = 1 << 20, (32 << 20) - (64 << 10), (32 << 20) + (64 << 10)
    start, mapped, grown, freed, kept = _blocks("set")
    assert mapped[1] - start[1] >= over and mapped[0] == start[0]
    assert under <= grown[0] - mapped[0] < under + mib and grown[1] == mapped[1]
    assert freed == grown
    assert kept[0] - start[0] >= 8 * under  # the whole 255.5 MiB top kept
    first, *_, given_back = _blocks("set", 1024)
    assert given_back[0] - first[0] < mib
    default = _blocks("default")
    assert default[2][1] - default[1][1] >= under and default[2][0] == default[1][0]


def test_the_command_line_sets_it_before_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(cli_main, "keep_freed_memory", lambda: calls.append("set"))
    with pytest.raises(SystemExit) as exit_:
        cli_main.main(["--version"], prog_name="faceplate")
    assert exit_.value.code == 0
    assert calls == ["set"]


def test_a_host_calling_the_command_group_keeps_its_allocator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not standalone (a host or a script calling the group): the process is not faceplate's."""
    calls: list[str] = []
    monkeypatch.setattr(cli_main, "keep_freed_memory", lambda: calls.append("set"))
    cli_main.main(["--version"], prog_name="faceplate", standalone_mode=False)
    assert calls == []


#: NumPy's huge-page advice after faceplate.memory's setting, here and in a process started
#: after it; ``numpy-first``: NumPy imported before the setting.
_PAGES = """
import subprocess, sys
if sys.argv[1] == "numpy-first":
    import numpy
from faceplate.memory import no_numpy_huge_pages
print(no_numpy_huge_pages())
import numpy
from numpy._core import multiarray
child = subprocess.run([sys.executable, "-c", "from numpy._core import multiarray; "
                        "print(multiarray._get_madvise_hugepage())"], capture_output=True,
                       text=True, check=True).stdout.strip()
print(multiarray._get_madvise_hugepage(), child)
"""


def _pages(mode: str, **environ: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", _PAGES, mode], capture_output=True, text=True,
                         check=True, env={**env, **environ}).stdout.split()
    return out


def test_numpy_asks_for_no_huge_pages_here_and_in_the_processes_started_after() -> None:
    # NumPy's own default is to advise huge pages (a NumPy imported untouched says True)
    untouched = subprocess.run(
        [sys.executable, "-c", "from numpy._core import multiarray; "
                               "print(multiarray._get_madvise_hugepage())"],
        capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"})
    assert untouched.stdout.strip() == "True"
    assert _pages("fresh") == ["True", "False", "False"]
    # imported first: too late here (said so), still set for the processes it starts
    assert _pages("numpy-first") == ["False", "True", "False"]
    # a value the environment gives is the user's, and kept
    assert _pages("fresh", NUMPY_MADVISE_HUGEPAGE="1") == ["True", "True", "True"]


def test_only_the_analyse_and_run_commands_ask_for_small_pages() -> None:
    """Before NumPy loads: `faceplate analyse` and `faceplate run` (analysis faster on small
    pages, the run's render no slower); `faceplate render` keeps NumPy's default (slower on
    them when measured)."""
    code = ("import sys\n"
            "from faceplate.cli.main import main\n"
            "try:\n"
            "    main([sys.argv[1], '/nonexistent/spec.yaml'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "from numpy._core import multiarray\n"
            "print(multiarray._get_madvise_hugepage())\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    said = {command: subprocess.run([sys.executable, "-c", code, command], capture_output=True,
                                    text=True, env=env).stdout.split()[-1]
            for command in ("analyse", "run", "render")}
    assert said == {"analyse": "False", "run": "False", "render": "True"}
