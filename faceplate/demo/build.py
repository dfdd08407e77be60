"""Build the demo shot: NASA's astronaut portrait (public domain, as shipped by
scikit-image) as a 48-frame ACEScg half-float EXR plate with a smooth camera move,
and an official US government portrait (public domain, from the face_recognition
1.3.0 test images) as the source identity."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio

from faceplate.frames import SequencePath, parse_frames
from faceplate.ocio import PINNED_CONFIG, ColourManager
from faceplate.ocio.config import ConfigChoice, load_config
from faceplate.plateio.write import write_image
from faceplate.spec import save_spec, spec_data
from faceplate.types import WORKING_SPACE

DEMO_FRAMES = "1001-1048"
#: The demo plate's colourspace (its ``plate.colorspace``).
PLATE_COLORSPACE = "ACEScg"
#: The source portrait's colourspace (its ``sources.actor_a.colorspace``).
SOURCE_COLORSPACE = WORKING_SPACE
_SIZE = (1024, 576)
_FACE_CENTRE = np.array([222.0, 135.0])


@dataclass(frozen=True)
class CameraMove:
    """Scale (per 576 lines of frame height), roll (degrees) and position (fractions of
    the frame) of the portrait's face centre, eased in and out over the shot."""

    scale: tuple[float, float] = (1.75, 2.05)
    roll: tuple[float, float] = (-6.0, 5.0)
    centre: tuple[tuple[float, float], tuple[float, float]] = ((0.44, 0.434), (0.576, 0.403))

    def matrix(self, t: float, size: tuple[int, int] = _SIZE) -> np.ndarray:
        """The 2×3 affine taking portrait pixels to pixels of a ``size`` frame at time ``t``
        (0..1)."""
        e = t * t * (3.0 - 2.0 * t)
        scale = (self.scale[0] + e * (self.scale[1] - self.scale[0])) * size[1] / 576.0
        roll = math.radians(self.roll[0] + e * (self.roll[1] - self.roll[0]))
        start, end = np.array(self.centre[0]), np.array(self.centre[1])
        centre = (start + e * (end - start)) * np.array(size, dtype=np.float64)
        rot = scale * np.array([[math.cos(roll), -math.sin(roll)],
                                [math.sin(roll), math.cos(roll)]])
        return np.hstack([rot, (centre - rot @ _FACE_CENTRE)[:, None]])


def _data_file(name: str) -> Path:
    return Path(str(resources.files("faceplate.demo") / "data" / name))


def plate_spec(width: int, height: int, *, overscan: int = 0,
               depth_channel: bool = False) -> oiio.ImageSpec:
    """The demo plate's header: half RGB (plus ``depth.Z``), zip, a data window
    ``overscan`` pixels larger than the display window on every side, studio attributes."""
    channels = ("R", "G", "B", "depth.Z") if depth_channel else ("R", "G", "B")
    spec = oiio.ImageSpec(width + 2 * overscan, height + 2 * overscan, len(channels), oiio.HALF)
    spec.x = spec.y = -overscan
    spec.full_x = spec.full_y = 0
    spec.full_width, spec.full_height = width, height
    spec.channelnames = channels
    spec.attribute("compression", "zip")
    spec.attribute("oiio:ColorSpace", PLATE_COLORSPACE)
    spec.attribute("Copyright", "NASA (public domain)")
    spec.attribute("framesPerSecond", oiio.TypeDesc("rational2i"), (24, 1))
    spec.attribute("DateTime", "2026:01:01 12:00:00")
    spec.attribute("studio/shot", "sh010")
    return spec


def render_plate(colour: ColourManager, out: Path, frames: list[int],
                 move: CameraMove = CameraMove(), *, size: tuple[int, int] = _SIZE,
                 overscan: int = 0, depth_channel: bool = False) -> None:
    """Write the plate sequence ``out`` (a ``####`` pattern path) for ``frames``."""
    seq = SequencePath(str(out))
    portrait = cv2.cvtColor(cv2.imread(str(_data_file("astronaut.png"))), cv2.COLOR_BGR2RGB)
    linear = colour.convert(portrait.astype(np.float32) / 255.0, SOURCE_COLORSPACE,
                            PLATE_COLORSPACE)
    spec = plate_spec(*size, overscan=overscan, depth_channel=depth_channel)
    data_size = (spec.width, spec.height)
    for i, f in enumerate(frames):
        t = i / max(1, len(frames) - 1)
        matrix = move.matrix(t, size)
        matrix[:, 2] += overscan
        pixels = cv2.warpAffine(linear, matrix, data_size, flags=cv2.INTER_CUBIC,
                                borderMode=cv2.BORDER_REFLECT)
        if depth_channel:
            depth = np.linspace(1.0, 100.0, spec.width * spec.height, dtype=np.float32)
            pixels = np.dstack([pixels, depth.reshape(spec.height, spec.width) + i])
        write_image(seq.frame(f), spec, pixels.astype(np.float16), frame=f)


def build_demo_shot(out_dir: Path) -> Path:
    """Write the demo plate, source image and shot spec under ``out_dir``; return the spec path.

    The demo pins its own OCIO config, so it runs the same whatever $OCIO says.
    """
    choice = ConfigChoice(PINNED_CONFIG, "spec")
    colour = ColourManager(load_config(choice), choice)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = parse_frames(DEMO_FRAMES)
    render_plate(colour, out_dir / "plates" / "sh010.####.exr", frames)
    refs = out_dir / "refs"
    refs.mkdir(exist_ok=True)
    shutil.copyfile(_data_file("obama.jpg"), refs / "actor_a.jpg")
    spec = spec_data(shot="sh010", plate="plates/sh010.####.exr", frames=DEMO_FRAMES,
                     plate_colorspace=PLATE_COLORSPACE, ocio=PINNED_CONFIG,
                     sources={"actor_a": {"images": ["refs/actor_a.jpg"],
                                          "colorspace": SOURCE_COLORSPACE}},
                     output="out/sh010_fp.####.exr", matte="out/sh010_fp_matte.####.exr",
                     qc="out/qc")
    return save_spec(spec, out_dir / "sh010.yaml")
