"""Build plates that look like real ones from public-domain portraits, for benchmarks and
tests: a handheld camera (1/f shake, slow zoom, motion blur over a 180° shutter), a head
that turns, nods, talks and blinks on its own (a 2.5D warp of the still driven by its
landmarks, :mod:`faceplate.demo.head_warp`), soft focus, film grain, warm or mixed light,
exposure. Written as ACEScg half-float EXR sequences (zip) through OpenImageIO, the
portrait converted from sRGB through PyOpenColorIO with the config faceplate pins.
Everything is deterministic from the recipe's seed.

The portraits and their 68 landmarks (found once with dlib, stored in
``data/portraits.json``; origins and licences in ``data/NOTICE.md``):

- ``astronaut``: 512², the face about 90 px from brows to chin, so plates of it at
  250-450 px faces are upscaled about 3x: soft by nature (use it for soft plates);
- ``biden``: 800x900, the face about 275 px from brows to chin: sharp at 1280x720.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio
from numpy.typing import NDArray

from faceplate.demo.head_warp import HeadRig
from faceplate.demo.plate_look import Look, add_grain, apply_light, defocus
from faceplate.demo.plate_motion import Handheld, Performance, Timeline, build_timeline
from faceplate.errors import ColourError
from faceplate.ocio.colour import apply_rgb

#: The OCIO config faceplate pins (``faceplate.ocio.config.PINNED_CONFIG``).
PINNED_OCIO = "ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5"
PLATE_COLORSPACE = "ACEScg"
PORTRAIT_COLORSPACE = "sRGB Encoded Rec.709 (sRGB)"
#: Sub-frame positions sampled over the shutter per frame (motion blur).
SHUTTER_SAMPLES = 6
F32 = NDArray[np.float32]


@dataclass(frozen=True)
class PlateRecipe:
    """One plate. ``face_px``: the face's landmark height (brows to chin) in frame pixels
    at the start of the shot (the full face with forehead is about 1.3x that); ``face_at``:
    where the face centre sits, as fractions of width and height. ``camera`` None is a
    locked-off camera; ``performance`` None is a still head."""

    name: str = "hh010"
    portrait: str = "astronaut"
    size: tuple[int, int] = (1280, 720)
    frames: int = 96
    first: int = 1001
    fps: int = 24
    face_px: float = 270.0
    face_at: tuple[float, float] = (0.5, 0.47)
    camera: Handheld | None = field(default_factory=Handheld)
    performance: Performance | None = field(default_factory=Performance)
    look: Look = field(default_factory=Look)
    shutter_samples: int = SHUTTER_SAMPLES
    seed: int = 1


@dataclass(frozen=True)
class BuiltPlate:
    """A plate on disk: the ``####`` pattern, its frame numbers, colourspace, recipe and
    the per-frame truth (camera, pose, jaw, lids) written beside it as JSON; the camera and
    the pose's shift in the portrait's own pixels (those of its stored landmarks)."""

    pattern: Path
    frames: list[int]
    colorspace: str
    recipe: PlateRecipe
    truth: Path

    def frame(self, number: int) -> Path:
        """The file of one frame."""
        return Path(str(self.pattern).replace("####", f"{number:04d}"))


def portrait_names() -> list[str]:
    """The portraits a recipe may name."""
    return sorted(_portraits())


def _data(name: str) -> Path:
    return Path(str(resources.files("faceplate.demo") / "data" / name))


def _portraits() -> dict[str, Any]:
    return json.loads(_data("portraits.json").read_text(encoding="utf-8"))


class _Colour:
    """sRGB portrait -> ACEScg, through the pinned config."""

    def __init__(self, config_uri: str) -> None:
        try:
            config = ocio.Config.CreateFromFile(config_uri)
            self._cpu = config.getProcessor(
                PORTRAIT_COLORSPACE, PLATE_COLORSPACE
            ).getDefaultCPUProcessor()
        except (ocio.Exception, ocio.ExceptionMissingFile) as exc:
            raise ColourError(
                f"cannot convert {PORTRAIT_COLORSPACE!r} to {PLATE_COLORSPACE!r} "
                f"with {config_uri!r}: {exc}"
            ) from None

    def to_plate(self, rgb: F32) -> F32:
        return apply_rgb(self._cpu, np.array(rgb, dtype=np.float32, order="C"))

    def colour(self, srgb: tuple[float, float, float]) -> F32:
        return self.to_plate(np.array([[srgb]], np.float32))[0, 0]


def load_rig(portrait: str, colour: _Colour, upscale: int = 1) -> HeadRig:
    """The portrait in ACEScg with its stored landmarks, rigged; ``upscale`` > 1 enlarges
    the still first (cubic), so the warps' edges (mouth, lids) stay smooth on plates that
    magnify the portrait."""
    info = _portraits()[portrait]
    bgr = cv2.imread(str(_data(info["file"])), cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    points = np.array(info["landmarks68"], np.float64)
    if upscale > 1:
        rgb = cv2.resize(rgb, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
        points = (points + 0.5) * upscale - 0.5
    return HeadRig(colour.to_plate(np.clip(rgb, 0.0, 1.0)), points, encode=colour.colour)


def _camera_matrix(
    rig: HeadRig, recipe: PlateRecipe, timeline: Timeline, frame: float
) -> NDArray[np.float64]:
    """2x3 affine taking still pixels to frame pixels at a (fractional) frame."""
    cx, cy, roll, zoom = timeline.camera(frame)
    scale = recipe.face_px / rig.face_height * zoom
    angle = math.radians(roll)
    rot = scale * np.array(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    )
    target = np.array(
        [recipe.face_at[0] * recipe.size[0] + cx, recipe.face_at[1] * recipe.size[1] + cy]
    )
    return np.hstack([rot, (target - rot @ rig.face_centre)[:, None]])


def _render_sample(
    rig: HeadRig,
    still: F32,
    recipe: PlateRecipe,
    timeline: Timeline,
    frame: float,
    grid: tuple[F32, F32],
) -> F32:
    """One instant: the expression still, posed, seen by the camera."""
    if recipe.performance is not None:
        mx, my = rig.pose_map(timeline.pose(frame, rig.iod))
        delta = np.dstack([mx - rig.grid_x, my - rig.grid_y])
    else:
        delta = None
    inverse = cv2.invertAffineTransform(_camera_matrix(rig, recipe, timeline, frame))
    gx, gy = grid
    qx = (inverse[0, 0] * gx + inverse[0, 1] * gy + inverse[0, 2]).astype(np.float32)
    qy = (inverse[1, 0] * gx + inverse[1, 1] * gy + inverse[1, 2]).astype(np.float32)
    if delta is not None:
        d = cv2.remap(delta, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        qx, qy = qx + d[..., 0], qy + d[..., 1]
    return cv2.remap(still, qx, qy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def render_frame(rig: HeadRig, recipe: PlateRecipe, timeline: Timeline, index: int) -> F32:
    """Frame ``index`` (0-based) in ACEScg, float32, before it is written."""
    w, h = recipe.size
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    still = (
        rig.expression(timeline.expression(index)) if recipe.performance is not None else rig.image
    )
    moving = recipe.camera is not None or recipe.performance is not None
    samples = recipe.shutter_samples if moving else 1
    open_ = (recipe.camera.shutter if recipe.camera is not None else 180.0) / 360.0
    offsets = np.linspace(-open_ / 2.0, open_ / 2.0, samples) if samples > 1 else np.zeros(1)
    acc = np.zeros((h, w, 3), np.float32)
    for off in offsets:
        acc += _render_sample(rig, still, recipe, timeline, index + float(off), (gx, gy))
    rgb = acc / np.float32(len(offsets))
    matrix = _camera_matrix(rig, recipe, timeline, index)
    face_x = float((matrix @ np.append(rig.face_centre, 1.0))[0])
    face_w = float(np.ptp(rig.points[:, 0]) * np.hypot(*matrix[0, :2]))
    rgb = apply_light(rgb, recipe.look, face_x, face_w)
    rgb = defocus(rgb, recipe.look.defocus)
    return add_grain(rgb, recipe.look, np.random.default_rng([recipe.seed, index, 7]))


def _spec(recipe: PlateRecipe, portrait: dict[str, Any]) -> oiio.ImageSpec:
    w, h = recipe.size
    spec = oiio.ImageSpec(w, h, 3, oiio.HALF)
    spec.channelnames = ("R", "G", "B")
    spec.attribute("compression", "zip")
    spec.attribute("oiio:ColorSpace", PLATE_COLORSPACE)
    spec.attribute("framesPerSecond", oiio.TypeDesc("rational2i"), (recipe.fps, 1))
    spec.attribute("Copyright", portrait["licence"])
    spec.attribute(
        "ImageDescription", f"faceplate test plate {recipe.name} built from {portrait['origin']}"
    )
    spec.attribute("faceplate/plateRecipe", json.dumps(asdict(recipe), sort_keys=True))
    return spec


def _write(path: Path, spec: oiio.ImageSpec, pixels: F32) -> None:
    tmp = path.with_name(path.name + ".tmp.exr")
    out = oiio.ImageOutput.create(str(tmp))
    if out is None or not out.open(str(tmp), spec):
        raise OSError(f"cannot write {tmp}: {oiio.geterror()}")
    ok = out.write_image(pixels.astype(np.float16))
    out.close()
    if not ok:
        raise OSError(f"cannot write {tmp}: {out.geterror()}")
    tmp.replace(path)


def build_plate(recipe: PlateRecipe, out_dir: Path, *, config: str = PINNED_OCIO) -> BuiltPlate:
    """Render and write the plate ``out_dir/<name>.####.exr`` (and ``<name>.truth.json``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    colour = _Colour(config)
    info = _portraits()[recipe.portrait]
    landmarks = np.array(info["landmarks68"], np.float64)
    magnification = recipe.face_px / float(np.ptp(landmarks[:, 1]))
    upscale = 2 if magnification > 1.4 else 1
    rig = load_rig(recipe.portrait, colour, upscale=upscale)
    # the rig's pixels from the portrait's (load_rig): u × x + (u - 1) / 2
    enlarged = np.array(
        [[upscale, 0.0, (upscale - 1) / 2], [0.0, upscale, (upscale - 1) / 2], [0.0, 0.0, 1.0]]
    )
    timeline = build_timeline(
        recipe.seed, recipe.frames, recipe.fps, 8, recipe.camera, recipe.performance
    )
    spec = _spec(recipe, _portraits()[recipe.portrait])
    built = BuiltPlate(
        out_dir / f"{recipe.name}.####.exr",
        list(range(recipe.first, recipe.first + recipe.frames)),
        PLATE_COLORSPACE,
        recipe,
        out_dir / f"{recipe.name}.truth.json",
    )
    truth = []
    for i, number in enumerate(built.frames):
        _write(built.frame(number), spec, render_frame(rig, recipe, timeline, i))
        pose = timeline.pose(i, rig.iod)
        expr = timeline.expression(i)
        truth.append(
            {
                "frame": number,
                "camera": (_camera_matrix(rig, recipe, timeline, i) @ enlarged).tolist(),
                "yaw": pose.yaw,
                "pitch": pose.pitch,
                "roll": pose.roll,
                "shift": [shift / upscale for shift in pose.shift],
                "jaw": expr.jaw,
                "lids": expr.lids,
            }
        )
    built.truth.write_text(
        json.dumps({"recipe": asdict(recipe), "frames": truth}, indent=1), encoding="utf-8"
    )
    return built
