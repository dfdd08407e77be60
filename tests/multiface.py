"""A three-person plate for multi-face tests: three public-domain portraits side by side,
each drifting on its own smooth path."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from faceplate.demo.build import plate_spec
from faceplate.frames import SequencePath
from faceplate.ocio import PINNED_CONFIG, ColourManager
from faceplate.plateio.write import write_image
from faceplate.spec import save_spec, spec_data

DATA = Path(__file__).parent / "data"
DEMO = Path(str(resources.files("faceplate.demo") / "data"))
SIZE = (1200, 400)


def _portraits() -> dict[str, np.ndarray]:
    astronaut = cv2.imread(str(DEMO / "astronaut.png"))[20:300, 90:350]
    return {"obama2": cv2.imread(str(DATA / "obama2.jpg")),
            "biden": cv2.imread(str(DATA / "biden.jpg")),
            "astronaut": cv2.resize(astronaut, None, fx=1.4, fy=1.4, interpolation=cv2.INTER_CUBIC)}


def build_three_faces(folder: Path, colour: ColourManager, frames: int = 48) -> Path:
    """Write the plate, the stills and a spec swapping every face for another person."""
    folder.mkdir(parents=True, exist_ok=True)
    refs = folder / "refs"
    refs.mkdir(exist_ok=True)
    portraits = _portraits()
    for name, image in portraits.items():
        cv2.imwrite(str(refs / f"{name}.png"), image)
    shutil.copyfile(DEMO / "obama.jpg", refs / "obama.jpg")
    seq = SequencePath(str(folder / "plates" / "three.####.exr"))
    spec = plate_spec(*SIZE)
    tiles = []
    for image in portraits.values():
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        tiles.append(colour.convert(rgb, "sRGB Encoded Rec.709 (sRGB)", "ACEScg"))
    for i in range(frames):
        t = i / max(1, frames - 1)
        canvas = np.full((SIZE[1], SIZE[0], 3), 0.05, np.float32)
        for k, tile in enumerate(tiles):
            scale = 330.0 / tile.shape[0]
            dx = 40 + 400 * k + 30 * np.sin(2 * np.pi * t + k)
            dy = 20 + 15 * np.cos(2 * np.pi * t + 2 * k)
            matrix = np.array([[scale, 0, dx], [0, scale, dy]], dtype=np.float64)
            warped = cv2.warpAffine(tile, matrix, SIZE, flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=(-1, -1, -1))
            inside = warped[..., 0] >= 0
            canvas[inside] = warped[inside]
        write_image(seq.frame(1001 + i), spec, canvas.astype(np.float16), frame=1001 + i)
    data = spec_data(
        shot="three", ocio=PINNED_CONFIG, plate="plates/three.####.exr",
        frames=f"1001-{1000 + frames}", plate_colorspace="ACEScg",
        sources={"obama": "refs/obama.jpg", "biden": "refs/biden.png",
                 "astronaut": "refs/astronaut.png"},
        swaps=[{"source": "biden", "target": {"reference": "refs/obama2.png"}},
               {"source": "astronaut", "target": {"reference": "refs/biden.png"}},
               {"source": "obama", "target": {"reference": "refs/astronaut.png"}}],
        output="out/three_fp.####.exr", matte="out/three_matte.####.exr", qc="out/qc")
    return save_spec(data, folder / "three.yaml")


def build_crossing(folder: Path, colour: ColourManager, frames: int = 24) -> tuple[Path, dict]:
    """Two people walking past each other: the astronaut left to right behind, Biden
    right to left in front (hiding her for a few frames); Biden also leaves the frame
    at the end and comes back. Returns the spec and each person's true centre per frame."""
    folder.mkdir(parents=True, exist_ok=True)
    refs = folder / "refs"
    refs.mkdir(exist_ok=True)
    portraits = _portraits()
    for name in ("astronaut", "biden"):
        cv2.imwrite(str(refs / f"{name}.png"), portraits[name])
    shutil.copyfile(DEMO / "obama.jpg", refs / "obama.jpg")
    shutil.copyfile(DATA / "obama2.jpg", refs / "obama2.jpg")
    width, height = 1000, 360
    seq = SequencePath(str(folder / "plates" / "cross.####.exr"))
    spec = plate_spec(width, height)
    tiles = {}
    for name in ("astronaut", "biden"):
        rgb = cv2.cvtColor(portraits[name], cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        tiles[name] = colour.convert(rgb, "sRGB Encoded Rec.709 (sRGB)", "ACEScg")
    centres: dict[str, dict[int, tuple[float, float]]] = {"astronaut": {}, "biden": {}}
    for i in range(frames):
        t = i / max(1, frames - 1)
        canvas = np.full((height, width, 3), 0.05, np.float32)
        paths = {"astronaut": 150 + 600 * t,
                 "biden": 850 - 600 * t if t < 0.75 else 850 - 600 * 0.75 - 1600 * (t - 0.75)}
        if t > 0.9:
            paths["biden"] = -400 + 2000 * (t - 0.9)
        for name in ("astronaut", "biden"):  # Biden drawn last: in front
            tile = tiles[name]
            scale = 300.0 / tile.shape[0]
            cx = paths[name]
            matrix = np.array([[scale, 0, cx - scale * tile.shape[1] / 2], [0, scale, 30]])
            warped = cv2.warpAffine(tile, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=(-1, -1, -1))
            inside = warped[..., 0] >= 0
            canvas[inside] = warped[inside]
            centres[name][1001 + i] = (cx, 180.0)
        write_image(seq.frame(1001 + i), spec, canvas.astype(np.float16), frame=1001 + i)
    data = spec_data(
        shot="cross", ocio=PINNED_CONFIG, plate="plates/cross.####.exr",
        frames=f"1001-{1000 + frames}", plate_colorspace="ACEScg",
        sources={"obama": "refs/obama.jpg", "obama2": "refs/obama2.jpg"},
        swaps=[{"source": "obama", "target": {"reference": "refs/astronaut.png"}},
               {"source": "obama2", "target": {"reference": "refs/biden.png"}}],
        output="out/cross_fp.####.exr", qc="out/qc")
    return save_spec(data, folder / "cross.yaml"), centres
