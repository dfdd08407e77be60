"""Plate I/O benchmark: faceplate on a shot where no face is found, against ``oiiotool``
reading and writing the same frames with the same compression.

The plate is ``--frames`` frames of 1920x1080 half-float RGB EXR (zip, graded noise: no
face). Both tools run as processes, one after the other, in the same run. Prints the
seconds of each, the ratio faceplate / oiiotool for the whole ``faceplate run`` (analyse,
solve, render, report) and for the ``render`` stage alone (read, check, write), and the
peak memory of the faceplate processes. Target: render ratio <= 1.2.

    python bench/io.py [--frames 24] [--compression zip] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from faceplate.ocio import PINNED_CONFIG
from faceplate.spec import save_spec, spec_data
from faceplate.types import WORKING_SPACE

FIRST = 1001
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    return shutil.which(name, path=str(BIN)) or shutil.which(name) or name


def build(folder: Path, frames: int, compression: str) -> Path:
    """Write the plate and a shot spec under ``folder``; return the spec path."""
    plates = folder / "plates"
    plates.mkdir(parents=True, exist_ok=True)
    last = FIRST + frames - 1
    subprocess.run([_tool("oiiotool"), "--frames", f"{FIRST}-{last}",
                    "--pattern", "fill:topleft=0.02,0.02,0.03:topright=0.9,0.5,0.3:"
                    "bottomleft=0.1,0.3,0.6:bottomright=2,2,2", "1920x1080", "3",
                    "--pattern", "noise:type=gaussian:mean=0:stddev=0.02:seed={FRAME_NUMBER}",
                    "1920x1080", "3", "--add", "-d", "half", "--compression", compression,
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


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--compression", default="zip")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="faceplate-bench-io-"))
    spec = build(folder, args.frames, args.compression)
    faceplate = _tool("faceplate")
    last = FIRST + args.frames - 1
    (folder / "oiio").mkdir(exist_ok=True)
    oiiotool = timed([_tool("oiiotool"), "--frames", f"{FIRST}-{last}",
                      str(folder / "plates" / "io.%04d.exr"), "--compression", args.compression,
                      "-o", str(folder / "oiio" / "io.%04d.exr")])
    run = timed([faceplate, "run", str(spec)])
    render = timed([faceplate, "render", str(spec), "--force"])  # re-render, not resume
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{args.frames} frames 1920x1080 half {args.compression}, in {folder}")
    print(f"oiiotool read+write:       {oiiotool:7.2f} s")
    print(f"faceplate run (4 stages):  {run:7.2f} s   ratio {run / oiiotool:.2f}")
    print(f"faceplate render stage:    {render:7.2f} s   ratio {render / oiiotool:.2f}")
    print(f"peak memory of one child process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
