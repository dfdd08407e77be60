"""Plates of a face that turns away or leaves the frame, for the tests of what the detector
loses. The plate builder (``faceplate.demo.plates``) turns heads only to ±28°; here a
public-domain portrait's face is turned further by rotating its own mesh in 3D about a point
behind it and warping the face onto it (far side hidden, nearer triangles drawn last), over a
textured, face-free background: a crude but real-looking profile up to 90°."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np

from faceplate.demo.build import plate_spec
from faceplate.face import mesh
from faceplate.face.regions import facing, warp_triangles
from faceplate.face.warp import piecewise_affine
from faceplate.frames import SequencePath
from faceplate.models.mediapipe import MediaPipeFacePack
from faceplate.ocio import PINNED_CONFIG, ColourManager
from faceplate.plateio.write import write_image
from faceplate.spec import save_spec, spec_data

DATA = Path(__file__).parent / "data"
SIZE = (480, 300)
SCALE = 0.75


def _portrait() -> tuple[np.ndarray, np.ndarray]:
    image = cv2.cvtColor(cv2.imread(str(DATA / "obama2.jpg")), cv2.COLOR_BGR2RGB)
    image = cv2.resize(image, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_AREA)
    pack = MediaPipeFacePack()
    points = pack.landmarks(image, pack.detect(image)[0])
    assert points is not None
    return image.astype(np.float32) / 255.0, points


def _background(seed: int = 3) -> np.ndarray:
    noise = np.random.default_rng(seed).random((SIZE[1] // 8, SIZE[0] // 8, 3))
    return cv2.resize(noise.astype(np.float32) * 0.5 + 0.25, SIZE, interpolation=cv2.INTER_CUBIC)


def turned(image: np.ndarray, points: np.ndarray, yaw: float, at: tuple[float, float],
           background: np.ndarray) -> np.ndarray:
    """The portrait's face turned ``yaw`` degrees, its mesh centre at ``at``."""
    centre = points[:468].mean(axis=0)
    y = np.radians(yaw)
    rotation = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    pivot = centre + (0.0, 0.0, 0.5 * mesh.face_size(points))
    moved = (points - pivot) @ rotation.T + pivot
    moved[:, :2] += np.asarray(at) - centre[:2]
    shown = facing(warp_triangles(), moved)
    shown = shown[np.argsort(-moved[shown, 2].mean(axis=1), kind="stable")]
    face, covered = piecewise_affine(image, points[:, :2], moved[:, :2], shown,
                                     (SIZE[1], SIZE[0]))
    alpha = cv2.GaussianBlur(covered.astype(np.float32), (0, 0), 1.2)[..., None]
    return (background * (1 - alpha) + face * alpha).astype(np.float32)


def build(folder: Path, colour: ColourManager, name: str, frames: list[np.ndarray]) -> Path:
    """Write ``frames`` (sRGB working space) as an ACEScg plate and a spec swapping the face."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs").mkdir(exist_ok=True)
    shutil.copyfile(DATA / "biden.jpg", folder / "refs" / "biden.jpg")
    seq = SequencePath(str(folder / "plates" / f"{name}.####.exr"))
    spec = plate_spec(*SIZE)
    for i, rgb in enumerate(frames):
        plate = colour.convert(rgb, "sRGB Encoded Rec.709 (sRGB)", "ACEScg")
        write_image(seq.frame(1001 + i), spec, plate.astype(np.float16), frame=1001 + i)
    data = spec_data(shot=name, ocio=PINNED_CONFIG, plate=f"plates/{name}.####.exr",
                     frames=f"1001-{1000 + len(frames)}", plate_colorspace="ACEScg",
                     sources={"biden": "refs/biden.jpg"},
                     swaps=[{"source": "biden", "target": "largest"}],
                     output=f"out/{name}_fp.####.exr", matte=f"out/{name}_matte.####.exr",
                     qc="out/qc")
    return save_spec(data, folder / f"{name}.yaml")


def turning_away(folder: Path, colour: ColourManager) -> Path:
    """12 frames: the face turns from 0 to 88 degrees of yaw in the middle of the frame."""
    image, points = _portrait()
    background = _background()
    at = (SIZE[0] / 2, SIZE[1] / 2)
    frames = [turned(image, points, yaw, at, background) for yaw in np.linspace(0, 88, 12)]
    return build(folder, colour, "turn", frames)


def leaving(folder: Path, colour: ColourManager) -> Path:
    """14 frames: the face slides out of the frame's left edge, 6% of its width a frame from
    touching it, so the detector loses it (about half out) before the face mesh does."""
    image, points = _portrait()
    background = _background(4)
    x0, _, x1, _ = mesh.bounding_box(points)
    centre = points[:468, :2].mean(axis=0)
    width = x1 - x0
    frames = []
    for i in range(14):
        at = (centre[0] - x0 - 0.06 * i * width, SIZE[1] / 2)
        frames.append(turned(image, points, 0.0, at, background))
    return build(folder, colour, "exit", frames)
