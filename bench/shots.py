"""Running faceplate on a built plate through its command line, and loading a finished
shot's plate, output and matte frames as 8-bit display crops around the face, for the
stability and plate-match benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from crops import matte_box, union_box
from frames import PINNED_OCIO, Box, Display, frame_path, read_matte, read_rgb

SOURCE = Path(str(resources.files("faceplate.demo") / "data" / "obama.jpg"))
SOURCE_COLORSPACE = "sRGB Encoded Rec.709 (sRGB)"
FACEPLATE = str(Path(sys.executable).parent / "faceplate")


@dataclass(frozen=True)
class Shot:
    """A shot that faceplate ran: plate, output and matte ``####`` patterns and frames."""

    name: str
    plate: Path
    output: Path
    matte: Path
    frames: list[int]
    colorspace: str = "ACEScg"
    seconds: float = 0.0


def write_spec(
    folder: Path,
    name: str,
    plate: Path,
    frames: list[int],
    colorspace: str,
    extra: dict | None = None,
    source: Path = SOURCE,
) -> Path:
    """A spec swapping the largest face of ``plate`` for ``source`` (sRGB; default: the
    demo's source portrait)."""
    refs = folder / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, refs / "actor_a.jpg")
    spec = {
        "version": 1,
        "shot": name,
        "plate": {
            "path": str(plate),
            "frames": f"{frames[0]}-{frames[-1]}",
            "colorspace": colorspace,
        },
        "ocio": PINNED_OCIO,
        "sources": {"actor_a": {"images": ["refs/actor_a.jpg"], "colorspace": SOURCE_COLORSPACE}},
        "swaps": [{"source": "actor_a", "target": "largest"}],
        "output": {
            "path": f"out/{name}_fp.####.exr",
            "matte": f"out/{name}_fp_matte.####.exr",
            "qc": "out/qc",
        },
    }
    spec.update(extra or {})
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def run_faceplate(
    folder: Path,
    name: str,
    plate: Path,
    frames: list[int],
    colorspace: str = "ACEScg",
    extra: dict | None = None,
    source: Path = SOURCE,
) -> Shot:
    """``faceplate run`` on ``plate`` in ``folder``; raises if it exits non-zero."""
    spec = write_spec(folder, name, plate, frames, colorspace, extra, source)
    start = time.perf_counter()
    done = subprocess.run(
        [FACEPLATE, "run", str(spec)], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"faceplate run {spec} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return Shot(
        name,
        plate,
        folder / "out" / f"{name}_fp.####.exr",
        folder / "out" / f"{name}_fp_matte.####.exr",
        frames,
        colorspace,
        seconds,
    )


def run_demo(folder: Path) -> Shot:
    """``faceplate demo --out folder``: the demo shot, built and run."""
    start = time.perf_counter()
    done = subprocess.run(
        [FACEPLATE, "demo", "--out", str(folder)], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"faceplate demo exited {done.returncode}:\n{done.stderr[-3000:]}")
    return demo_shot(folder, seconds)


def demo_shot(folder: Path, seconds: float = 0.0) -> Shot:
    """The demo shot that ran in ``folder`` (``faceplate demo --out folder``)."""
    spec = yaml.safe_load((folder / "sh010.yaml").read_text())
    first, last = (int(x) for x in spec["plate"]["frames"].split("-"))
    return Shot(
        "demo",
        folder / spec["plate"]["path"],
        folder / spec["output"]["path"],
        folder / spec["output"]["matte"],
        list(range(first, last + 1)),
        spec["plate"]["colorspace"],
        seconds,
    )


@dataclass
class Frames:
    """A shot's frames as 8-bit display crops (the same ``box`` for all), with mattes."""

    box: Box
    plates: list[np.ndarray]
    outputs: list[np.ndarray]
    mattes: list[np.ndarray]
    numbers: list[int]


def load_frames(shot: Shot, margin: float = 0.5, display: Display | None = None) -> Frames:
    """Read every frame of ``shot``, cropped to the union of its matte boxes grown by ``margin``."""
    display = display or Display(colorspace=shot.colorspace)
    mattes = [read_matte(frame_path(shot.matte, f)) for f in shot.frames]
    box = union_box([matte_box(m, margin) for m in mattes])
    if box is None:
        h, w = mattes[0].shape
        box = (0, 0, w, h)
    x0, y0, x1, y1 = box
    plates = [display.to8(read_rgb(frame_path(shot.plate, f))[y0:y1, x0:x1]) for f in shot.frames]
    outputs = [display.to8(read_rgb(frame_path(shot.output, f))[y0:y1, x0:x1]) for f in shot.frames]
    return Frames(box, plates, outputs, [m[y0:y1, x0:x1] for m in mattes], list(shot.frames))
