"""The plate builder: deterministic from its seed, its handheld camera really shakes (flow
measured on the frames against a locked-off copy), its talking head really opens its
mouth (landmarks found by dlib on the frames)."""

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from faceplate.demo.plate_look import Look
from faceplate.demo.plate_motion import Handheld, Performance
from faceplate.demo.plates import PlateRecipe, build_plate, portrait_names
from faceplate.face import image_metrics as im

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from faces import Dlib68
from frames import Display, read_rgb

pytestmark = pytest.mark.slow
SMALL = {"size": (640, 360), "face_px": 150.0, "shutter_samples": 3}


def pixels(built, number):
    return read_rgb(built.frame(number))


def test_the_same_recipe_builds_the_same_plate_and_another_seed_does_not(tmp_path):
    recipe = PlateRecipe(
        name="det", portrait="biden", frames=3, look=Look(grain=0.03), seed=4, **SMALL
    )
    a = build_plate(recipe, tmp_path / "a")
    b = build_plate(recipe, tmp_path / "b")
    c = build_plate(
        PlateRecipe(name="det", portrait="biden", frames=3, look=Look(grain=0.03), seed=5, **SMALL),
        tmp_path / "c",
    )
    for f in a.frames:
        assert np.array_equal(pixels(a, f), pixels(b, f))
        assert not np.array_equal(pixels(a, f), pixels(c, f))
    assert json.loads(a.truth.read_text()) == json.loads(b.truth.read_text())


def test_plate_header_declares_acescg_half_zip_24fps(tmp_path):
    built = build_plate(
        PlateRecipe(name="hdr", frames=1, camera=None, performance=None, **SMALL), tmp_path
    )
    spec = oiio.ImageInput.open(str(built.frame(1001))).spec()
    assert (spec.width, spec.height, spec.format) == (640, 360, oiio.TypeDesc("half"))
    # OpenImageIO reads ACEScg back under its colour interop name
    assert spec.getattribute("oiio:ColorSpace") in ("ACEScg", "lin_ap1_scene")
    assert spec.getattribute("compression") == "zip"
    assert tuple(spec.getattribute("framesPerSecond")) == (24, 1)
    assert json.loads(spec.getattribute("faceplate/plateRecipe"))["name"] == "hdr"
    assert set(portrait_names()) >= {"astronaut", "biden"}


def test_handheld_camera_shakes_a_few_pixels_a_frame(tmp_path):
    """Flow between consecutive frames of the handheld plate, against a locked-off copy of
    the same shot (whose flow is zero), over the middle of the frame."""
    common = {"portrait": "biden", "frames": 8, "performance": None, "look": Look(), **SMALL}
    shaky = build_plate(
        PlateRecipe(name="shaky", camera=Handheld(shake_px=2.5, zoom=1.0), **common),
        tmp_path / "shaky",
    )
    still = build_plate(PlateRecipe(name="still", camera=None, **common), tmp_path / "still")
    display = Display()
    shaky8 = [display.to8(pixels(shaky, f)) for f in shaky.frames]
    still8 = [display.to8(pixels(still, f)) for f in still.frames]
    mask = np.zeros((360, 640), bool)
    mask[60:300, 120:520] = True
    masks = [mask] * len(shaky8)
    assert im.swim(still8, still8, masks).mean < 0.05
    motion = im.swim(shaky8, still8, masks)
    assert 1.0 < motion.mean < 5.0
    assert min(motion.per_pair) > 0.2  # it shakes on every frame, not once
    # the shake is a random walk: its direction changes from pair to pair
    flows = [im.dis_flow(a, b)[mask].mean(axis=0) for a, b in itertools.pairwise(shaky8)]
    angles = np.degrees(np.arctan2([f[1] for f in flows], [f[0] for f in flows]))
    assert np.ptp(angles) > 45.0


def test_talking_head_opens_and_closes_its_mouth(tmp_path):
    recipe = PlateRecipe(
        name="talk",
        portrait="biden",
        frames=16,
        camera=None,
        performance=Performance(yaw=0.0, nod=0.0, roll=0.0, sway=0.0, blink=False),
        seed=3,
        **SMALL,
    )
    built = build_plate(recipe, tmp_path)
    finder = Dlib68()
    display = Display()
    openness = []
    for f in built.frames:
        face = finder.find(display.to8(pixels(built, f)), upsample=1)
        assert face is not None, f
        openness.append(im.mouth_openness(face.points))
    openness = np.array(openness)
    assert openness.max() - openness.min() > 0.08
    peaks = [
        i
        for i in range(1, len(openness) - 1)
        if openness[i] > openness[i - 1]
        and openness[i] >= openness[i + 1]
        and openness[i] - min(openness[max(i - 2, 0)], openness[min(i + 2, len(openness) - 1)])
        > 0.03
    ]
    assert len(peaks) >= 2, openness.round(3)
