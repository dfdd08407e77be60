"""Shot speed benchmark: faceplate against ``oiiotool`` reading and writing the same frames with
the same compression, in the same run.

The plate is ``--frames`` frames of half-float RGB EXR (``--compression``, default zip) at
``--size`` (default 1920x1080): with ``--face``, a built plate of one talking head
(:mod:`faceplate.demo.plates`, handheld camera, grain); without, graded noise (no face). Every
tool runs as its own process, one after the other, in the same run, with a copy before the
first and after each group of faceplate's commands (run | analyse | solve and render | report):
each ratio is to the mean of the copies either side of it (the machine's speed drifts within a
run), and the run's mean copy is printed beside it. Prints the seconds of each,
the ratio faceplate / oiiotool for the whole ``faceplate run`` (analyse, solve, render, report),
for ``faceplate analyse`` alone (its cache removed first), ``faceplate solve``, ``faceplate
render --force`` and ``faceplate report`` alone (start-up included in each), the peak memory
(max RSS) of each faceplate process, the CPU seconds (user + system) of each process and their
ratio to the copy's, and the load average before and after (the machine may be shared: the ratio
of seconds cancels part of the load, not all of it; CPU seconds are moved by it less).

Targets (issue 17; 48 frames, 1080p, one face): run <= 2.0 (goal 1.5), render <= 1.3,
analysis <= 0.4; with no face, run <= 1.1; peak memory the same at 48 and 480 frames.

    python bench/io.py [--face [--loop 480]] [--frames 48] [--size 1920x1080] [--compression zip]
                        [--memory] [--out DIR] [--workers N|auto]

``--workers`` is passed to ``faceplate run`` and ``faceplate render`` (default auto: one render
process per core, :mod:`faceplate.nodes.pool`; ``--workers 1`` renders in one process). A
process's peak memory is its own: with N workers a render holds N + 1 such processes; its CPU
seconds are every process's.

``--memory`` leaves the copy out (faceplate's processes only: their peaks, seconds and CPU).
``--memory 48,480`` (with ``--face``; ``--size 480x270`` keeps it quick) runs the whole set once
per shot length, the built frames repeated, each length in its own folder, and prints each
process's peak memory at every length side by side, with the growth and its share per frame
(issue 17: peak memory flat from 48 to 480 frames). A 12-frame render chunk (a farm task) is
measured too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from shots import write_spec

from faceplate.ocio import PINNED_CONFIG
from faceplate.spec import save_spec, spec_data
from faceplate.types import WORKING_SPACE

FIRST = 1001
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    return shutil.which(name, path=str(BIN)) or shutil.which(name) or name


def build_noise(folder: Path, frames: int, size: tuple[int, int], compression: str) -> Path:
    """Write a plate of graded noise (no face) and its shot spec under ``folder``; return the
    spec path."""
    plates = folder / "plates"
    plates.mkdir(parents=True, exist_ok=True)
    last = FIRST + frames - 1
    res = f"{size[0]}x{size[1]}"
    subprocess.run([_tool("oiiotool"), "--frames", f"{FIRST}-{last}",
                    "--pattern", "fill:topleft=0.02,0.02,0.03:topright=0.9,0.5,0.3:"
                    "bottomleft=0.1,0.3,0.6:bottomright=2,2,2", res, "3",
                    "--pattern", "noise:type=gaussian:mean=0:stddev=0.02:seed={FRAME_NUMBER}",
                    res, "3", "--add", "-d", "half", "--compression", compression,
                    "--attrib", "oiio:ColorSpace", "ACEScg",
                    "-o", str(plates / "io.%04d.exr")], check=True)
    refs = folder / "refs"
    refs.mkdir(exist_ok=True)
    shutil.copyfile(str(resources.files("faceplate.demo") / "data" / "obama.jpg"),
                    refs / "actor.jpg")
    spec = spec_data(shot="io010", plate="plates/io.####.exr", frames=f"{FIRST}-{last}",
                     plate_colorspace="ACEScg", ocio=PINNED_CONFIG,
                     sources={"actor": {"images": ["refs/actor.jpg"], "colorspace": WORKING_SPACE}},
                     output="out/io_fp.####.exr", qc="out/qc")
    return save_spec(spec, folder / "io.yaml")


def build_face(folder: Path, frames: int, size: tuple[int, int], loop: int = 0) -> Path:
    """Write a plate of one talking head (half zip EXR) and its shot spec (frame and matte
    outputs) under ``folder``; return the spec path. ``loop``: the shot is that many frames,
    the built ones repeated (links; the face jumps where they start again, as at a cut)."""
    from faceplate.demo.plate_look import Look
    from faceplate.demo.plates import PlateRecipe, build_plate
    face_px = 300.0 * size[1] / 1080
    recipe = PlateRecipe(name="io010", portrait="astronaut", size=size, frames=frames,
                         face_px=face_px, look=Look(grain=0.01), seed=3)
    numbers = list(range(FIRST, FIRST + frames))
    pattern = folder / "plates" / "io010.####.exr"
    if not all(Path(str(pattern).replace("####", f"{n:04d}")).exists() for n in numbers):
        build_plate(recipe, folder / "plates")  # slow (seconds a frame): kept for reruns
    for n in range(FIRST + frames, FIRST + loop):
        link = Path(str(pattern).replace("####", f"{n:04d}"))
        if not link.exists():
            link.symlink_to(f"io010.{FIRST + (n - FIRST) % frames:04d}.exr")
    numbers = list(range(FIRST, FIRST + max(frames, loop)))
    return write_spec(folder, "io010", pattern, numbers, "ACEScg")


@dataclass(frozen=True)
class Timed:
    seconds: float
    peak_mib: float
    cpu: float = 0.0  # user + system seconds of the process (less moved by a shared machine)


#: Runs its arguments as a process and prints that process's wall seconds, peak memory (KiB)
#: and CPU seconds. A process's peak (``ru_maxrss``) keeps the memory of the process it was
#: forked from, so a faceplate process forked from this bench (which holds the plate it built)
#: would read at least the bench's size: forked from this small launcher instead, the floor is
#: the launcher's (about 10 MiB).
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def timed(args: list[str]) -> Timed:
    """Run ``args`` as a process: its wall seconds and its own peak memory."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *args], capture_output=True,
                          text=True, check=False)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-3000:]}")
    seconds, peak_kib, cpu = (float(v) for v in done.stdout.split())
    return Timed(seconds, peak_kib / 1024, cpu)


def memory_by_length(folder: Path, frames: int, size: tuple[int, int],
                     lengths: list[int]) -> None:
    """Run every faceplate process on the face plate of ``frames`` built frames repeated to each
    of ``lengths`` frames (a folder per length, the plate shared) and print their peak memory
    side by side: the growth from the first length to the last, and that growth per frame."""
    build_face(folder, frames, size, max(lengths))
    pattern = folder / "plates" / "io010.####.exr"
    faceplate = _tool("faceplate")
    chunk = f"{FIRST}-{FIRST + 11}"
    peaks: dict[str, list[float]] = {}
    load_before = _load()
    for length in lengths:
        shot = folder / f"loop{length}"
        shutil.rmtree(shot / "out", ignore_errors=True)
        spec = str(write_spec(shot, "io010", pattern, list(range(FIRST, FIRST + length)),
                              "ACEScg"))
        runs = [("run (4 stages)", [faceplate, "run", spec]), ("analyse", None),
                ("solve", [faceplate, "solve", spec]),
                ("render --force", [faceplate, "render", spec, "--force"]),
                (f"render {chunk} (chunk)", [faceplate, "render", spec, "--frames", chunk,
                                             "--force"]),
                ("report", [faceplate, "report", spec])]
        for name, command in runs:
            if command is None:  # analyse again: its stored analysis removed
                (shot / "out" / "qc" / "cache" / "analysis.json").unlink(missing_ok=True)
                command = [faceplate, "analyse", spec]
            t = timed(command)
            peaks.setdefault(name, []).append(t.peak_mib)
            print(f"{length:4} frames  {name + ':':28} peak {t.peak_mib:6.0f} MiB  "
                  f"{t.seconds:7.1f} s", flush=True)
    print(f"face plate {size[0]}x{size[1]} half zip, {frames} built frames repeated, in {folder}")
    print(f"load average before {load_before}, after {_load()} ({os.cpu_count()} cores)")
    span = lengths[-1] - lengths[0]
    print("peak memory (max RSS), MiB".ljust(34)
          + "".join(f"{n:>8}" for n in lengths) + "   growth   per frame")
    for name, values in peaks.items():
        growth = values[-1] - values[0]
        per_frame = f"{growth * 1024 / span:7.1f} KiB" if span else ""
        print(f"faceplate {name:24}" + "".join(f"{v:8.0f}" for v in values)
              + f" {growth:+8.1f}  {per_frame}")


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--face", action="store_true", help="a plate with one face")
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT")
    parser.add_argument("--compression", default="zip", help="for the noise plate")
    parser.add_argument("--loop", type=int, default=0,
                        help="with --face: run that many frames, the built ones repeated")
    parser.add_argument("--memory", nargs="?", const="", default=None, metavar="N,N",
                        help="faceplate's processes only (no oiiotool copy): for peak memory; "
                             "with shot lengths (e.g. 48,480, needs --face): each length run, "
                             "the peaks printed side by side")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workers", default="auto", metavar="N|auto",
                        help="faceplate run and render's --workers (render processes)")
    parser.add_argument("--render-only", action="store_true",
                        help="time the copy and `faceplate render --force` only (the shot "
                             "analysed and solved first, untimed, unless --out holds it)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2
    folder = args.out or Path(tempfile.mkdtemp(prefix="faceplate-bench-io-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.memory:
        lengths = [int(n) for n in args.memory.split(",")]
        if not args.face:
            parser.error("--memory with lengths needs --face")
        memory_by_length(folder, args.frames, size, lengths)  # type: ignore[arg-type]
        return
    if args.face:
        spec = build_face(folder, args.frames, size, args.loop)  # type: ignore[arg-type]
        args.frames = max(args.frames, args.loop)
        plates, compression = folder / "plates" / "io010.%04d.exr", "zip"
    else:
        spec = build_noise(folder, args.frames, size, args.compression)  # type: ignore[arg-type]
        plates, compression = folder / "plates" / "io.%04d.exr", args.compression
    faceplate = _tool("faceplate")
    last = FIRST + args.frames - 1
    (folder / "oiio").mkdir(exist_ok=True)
    if args.render_only:
        if not (folder / "out" / "qc" / "cache" / "tracks.json").exists():
            for stage in ("analyse", "solve"):
                timed([faceplate, stage, str(spec)])
    else:
        shutil.rmtree(folder / "out", ignore_errors=True)  # a rerun renders, not resumes
    load_before = _load()
    copy_args = [_tool("oiiotool"), "--frames", f"{FIRST}-{last}", str(plates),
                 "--compression", compression, "-o", str(folder / "oiio" / "io.%04d.exr")]
    analysed = folder / "out" / "qc" / "cache" / "analysis.json"
    # each group of faceplate's commands between two copies: a stage's ratio is to the mean of
    # the copies either side of it (the machine's speed drifts within a run)
    groups: list[list[tuple[str, list[str]]]] = [
        [("faceplate render --force",
          [faceplate, "render", str(spec), "--force", "--workers", args.workers])]]
    if not args.render_only:
        groups = [[("faceplate run (4 stages)",
                    [faceplate, "run", str(spec), "--workers", args.workers])],
                  [("faceplate analyse", [faceplate, "analyse", str(spec)])],
                  [("faceplate solve", [faceplate, "solve", str(spec)]), *groups[0]],
                  [("faceplate report", [faceplate, "report", str(spec)])]]
    copies: list[Timed] = []
    timings: list[tuple[str, Timed, int]] = []  # name, time, the copy before it (index)
    for group in groups:
        if args.memory is None:  # --memory: faceplate's processes only
            copies.append(timed(copy_args))
        for name, command in group:
            if name == "faceplate analyse":
                analysed.unlink(missing_ok=True)
            timings.append((name, timed(command), len(copies) - 1))
    if args.memory is None:
        copies.append(timed(copy_args))
    what = "one face" if args.face else "no face"
    print(f"{args.frames} frames {size[0]}x{size[1]} half {compression}, {what}, in {folder}; "
          f"run and render with --workers {args.workers}")
    print(f"load average before {load_before}, after {_load()} ({os.cpu_count()} cores)")
    if not copies:
        for name, t, _ in timings:
            print(f"{name + ':':27} {t.seconds:7.2f} s   peak {t.peak_mib:.0f} MiB   "
                  f"cpu {t.cpu:.2f} s")
        return
    copy = sum(c.seconds for c in copies) / len(copies)
    cpu = sum(c.cpu for c in copies) / len(copies)
    print(f"oiiotool read+write:        {copy:7.2f} s   (each: "
          f"{', '.join(f'{c.seconds:.2f}' for c in copies)})   cpu {cpu:.2f} s")
    for name, t, before in timings:
        near = (copies[before].seconds + copies[before + 1].seconds) / 2
        near_cpu = (copies[before].cpu + copies[before + 1].cpu) / 2
        print(f"{name + ':':27} {t.seconds:7.2f} s   ratio {t.seconds / near:.2f} "
              f"(to the run's mean copy {t.seconds / copy:.2f})   peak {t.peak_mib:.0f} MiB   "
              f"cpu {t.cpu:.2f} s, ratio {t.cpu / near_cpu:.2f}")


if __name__ == "__main__":
    main()
