"""How a swapped face sits in its plate (``pipeline/render/plate_match.py``), measured on a real
face (the astronaut, found by the default pack) against a brighter, noisier version of itself
under a soft matte: each measure is the image metric of the whole image over the matte's face
pixels (the module measures only around the matte: the same values), the eye and mouth the
openings of the meshes the pack refits on each image; too few face pixels measure nothing."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceplate.face import image_metrics as metrics
from faceplate.face.image8 import to_uint8
from faceplate.face.mesh import eye_openings, mouth_opening
from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.render.plate_match import PlateMatch, measure_plate_match

ASTRONAUT = Path(str(resources.files("faceplate.demo") / "data" / "astronaut.png"))


@pytest.fixture(scope="module")
def ctx() -> RunContext:
    return RunContext.create()


@pytest.fixture(scope="module")
def face(ctx):
    """The astronaut's face crop (working space) and its mesh in the crop's pixels."""
    found = find_face(ASTRONAUT, "sRGB Encoded Rec.709 (sRGB)", ctx, key="test")
    return found.image.astype(np.float32), np.asarray(found.landmarks)


def _soft_matte(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """An ellipse over the inner face, 1 inside, feathered over about 10 pixels."""
    h, w = shape
    centre = points[:, :2].mean(axis=0)
    span = points[:, :2].max(axis=0) - points[:, :2].min(axis=0)
    hard = np.zeros((h, w), np.float32)
    cv2.ellipse(hard, (round(centre[0]), round(centre[1])),
                (round(span[0] * 0.35), round(span[1] * 0.4)), 0, 0, 360, 1.0, -1)
    return np.clip(cv2.GaussianBlur(hard, (0, 0), 4.0) * 1.2, 0.0, 1.0)


def _openness(mesh: np.ndarray) -> tuple[float, float]:
    left, right = eye_openings(mesh)
    return (left + right) / 2.0, mouth_opening(mesh)


def _shifted(matte: np.ndarray, where: str) -> np.ndarray:
    """``matte`` moved so that the image's top and left edges (or bottom and right) cut it
    20 pixels in."""
    ys, xs = np.nonzero(matte > 0)
    out = np.zeros_like(matte)
    h, w = matte.shape
    if where == "top-left":
        dy, dx = ys.min() + 20, xs.min() + 20
        out[:h - dy, :w - dx] = matte[dy:, dx:]
    else:
        dy, dx = h - ys.max() - 1 + 20, w - xs.max() - 1 + 20
        out[dy:, dx:] = matte[:h - dy, :w - dx]
    return out


@pytest.mark.parametrize("where", ["inside", "top-left", "bottom-right"])
def test_each_measure_is_the_metric_over_the_whole_images_face_pixels(face, ctx, where):
    """Also where the image's edges cut the matte (the measured box then ends there)."""
    plate, points = face
    matte = _soft_matte(plate.shape[:2], points)
    if where != "inside":
        matte = _shifted(matte, where)
    noise = np.random.default_rng(7).normal(0.0, 0.03, plate.shape).astype(np.float32)
    result = np.clip(plate + matte[..., None] * (0.15 * plate + noise), 0.0, 1.0)
    found = measure_plate_match(result, plate, matte, points, ctx.face_pack)

    out8, plate8 = to_uint8(result), to_uint8(plate)
    mask = matte >= 0.9
    assert mask.sum() > 1000 and (matte > 0).sum() > mask.sum()
    # the matte's box grown by its reach lies inside the crop: the measures are taken on less
    # than the whole image
    ys, xs = np.nonzero(matte > 0)
    h, w = matte.shape
    if where == "inside":
        assert ys.min() > 12 and xs.min() > 12 and ys.max() + 12 < h - 1 and xs.max() + 12 < w - 1
    else:
        edge = (ys.min(), xs.min()) if where == "top-left" else (h - 1 - ys.max(), w - 1 - xs.max())
        assert edge == (0, 0) and matte[mask].size > 1000
    out_mesh = ctx.face_pack.track(out8, points)
    plate_mesh = ctx.face_pack.track(plate8, points)
    assert out_mesh is not None and plate_mesh is not None
    (out_eye, out_mouth), (plate_eye, plate_mouth) = _openness(out_mesh), _openness(plate_mesh)
    left, right = eye_openings(plate_mesh)
    assert abs(left - right) > 1e-3  # an eye's own opening would tell from the mean
    expected = PlateMatch(
        highlight=metrics.highlight(out8, plate8, mask),
        detail=metrics.detail_ratio(out8, plate8, mask),
        grain=float(np.mean(metrics.grain_ratio(out8, plate8, mask))),
        eye=out_eye - plate_eye, mouth=out_mouth - plate_mouth,
        edge=metrics.hard_edge(out8, plate8, matte))
    for name in ("highlight", "detail", "grain", "eye", "mouth", "edge"):
        got, want = getattr(found, name), getattr(expected, name)
        assert got is not None, name
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), name
    # a brighter, noisier face: each measure moved off its neutral value
    assert found.highlight > 1.0 and found.detail > 1.05 and found.grain > 1.05


def test_a_face_measured_against_itself_matches_its_plate(face, ctx):
    plate, points = face
    matte = _soft_matte(plate.shape[:2], points)
    found = measure_plate_match(plate, plate, matte, points, ctx.face_pack)
    assert found.highlight == 0.0 and found.detail == 1.0 and found.grain == 1.0
    assert found.eye == 0.0 and found.mouth == 0.0 and found.edge == 0.0


@pytest.mark.parametrize("pixels, measured", [(100, True), (99, False)])
def test_a_hundred_face_pixels_are_measured_and_99_are_not(face, ctx, pixels, measured):
    """A hard 10×10 matte on the face (no soft edge: no edge measure either)."""
    plate, points = face
    matte = np.zeros(plate.shape[:2], np.float32)
    cy, cx = (int(v) for v in points[1, 1::-1])  # the nose tip
    matte[cy - 5:cy + 5, cx - 5:cx + 5] = 1.0
    if pixels == 99:
        matte[cy - 5, cx - 5] = 0.89  # under the face level (0.9)
    noise = np.random.default_rng(3).normal(0.0, 0.05, plate.shape).astype(np.float32)
    result = np.clip(plate + matte[..., None] * noise, 0.0, 1.0)
    found = measure_plate_match(result, plate, matte, points, ctx.face_pack)
    assert found.edge is None
    values = (found.highlight, found.detail, found.grain, found.eye, found.mouth)
    if measured:
        assert all(v is not None for v in values), values
    else:
        assert found == PlateMatch()


def test_no_matte_and_no_face_to_refit_measure_nothing_of_them(face, ctx):
    plate, points = face
    empty = measure_plate_match(plate, plate, np.zeros(plate.shape[:2], np.float32), points,
                                ctx.face_pack)
    assert empty == PlateMatch()
    grey = np.full_like(plate, 0.4)
    flat = measure_plate_match(grey, grey, _soft_matte(plate.shape[:2], points), points,
                               ctx.face_pack)
    assert flat.eye is None and flat.mouth is None  # the pack sees no face on a flat grey
    assert flat.highlight == 0.0 and flat.detail == 0.0  # no detail on either: 0 / the floor


def test_the_record_holds_each_measure_to_four_places():
    match = PlateMatch(highlight=1.23456, detail=0.98765, grain=None, eye=-0.012345,
                       mouth=0.00004, edge=2.0)
    assert match.rounded() == {"highlight": 1.2346, "detail": 0.9877, "grain": None,
                               "eye": -0.0123, "mouth": 0.0, "edge": 2.0}
