"""The reference swapper's parts, checked numerically on synthetic data and real faces."""

import cv2
import numpy as np
import pytest
from conftest import DATA, OBAMA

from faceplate.face.blend import multiband_blend
from faceplate.face.colour_match import match_colour
from faceplate.face.landmarks import mouth_opening
from faceplate.face.matte import MatteSettings, core_mask, soften
from faceplate.face.swapper import identity_geometry
from faceplate.face.warp import piecewise_affine, triangulate
from faceplate.models.dlib_pack import identity_distance
from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.context import RunContext


def _grid_points():
    xs, ys = np.meshgrid(np.linspace(10, 90, 5), np.linspace(10, 90, 5))
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def test_piecewise_affine_reproduces_a_known_affine_warp():
    rng = np.random.default_rng(3)
    source = cv2.GaussianBlur(rng.random((100, 100, 3)).astype(np.float32), (0, 0), 2)
    src_pts = _grid_points()
    matrix = np.array([[0.9, 0.1, 6.0], [-0.08, 1.05, 4.0]])
    dst_pts = src_pts @ matrix[:, :2].T + matrix[:, 2]
    warped, covered = piecewise_affine(source, src_pts, dst_pts, triangulate(src_pts), (110, 110))
    expected = cv2.warpAffine(source, matrix, (110, 110), flags=cv2.INTER_LINEAR)
    inner = cv2.erode(covered.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert inner.sum() > 4000
    assert np.abs(warped[inner] - expected[inner]).max() < 2e-3


def test_multiband_blend_limits():
    rng = np.random.default_rng(0)
    fg, bg = rng.random((64, 96, 3), dtype=np.float32), rng.random((64, 96, 3), dtype=np.float32)
    np.testing.assert_allclose(multiband_blend(fg, bg, np.ones((64, 96), np.float32)), fg,
                               atol=1e-5)
    np.testing.assert_allclose(multiband_blend(fg, bg, np.zeros((64, 96), np.float32)), bg,
                               atol=1e-5)
    half = np.zeros((64, 96), np.float32)
    half[:, :48] = 1
    mixed = multiband_blend(fg, bg, half)
    assert np.abs(mixed[:, :10] - fg[:, :10]).mean() < 0.05
    assert np.abs(mixed[:, -10:] - bg[:, -10:]).mean() < 0.05


def test_colour_match_takes_the_reference_statistics():
    rng = np.random.default_rng(1)
    face = np.clip(0.3 + 0.1 * rng.standard_normal((50, 50, 3)), 0, 1).astype(np.float32)
    reference = np.clip(np.array([0.7, 0.5, 0.4]) + 0.05 * rng.standard_normal((50, 50, 3)),
                        0, 1).astype(np.float32)
    weights = np.ones((50, 50), np.float32)
    matched = match_colour(face, reference, weights)

    def lab(im):
        return cv2.cvtColor(np.clip(im, 0, 1), cv2.COLOR_RGB2Lab).reshape(-1, 3)

    np.testing.assert_allclose(lab(matched).mean(0), lab(reference).mean(0), atol=1.0)
    assert np.abs(lab(face).mean(0) - lab(reference).mean(0)).max() > 10


@pytest.fixture(scope="module")
def ctx():
    return RunContext.create(None, environ={})


@pytest.fixture(scope="module")
def obama(ctx):
    return find_face(OBAMA, "sRGB Encoded Rec.709 (sRGB)", ctx, key="test")


def test_dlib_descriptors_tell_people_apart(ctx, obama):
    same = find_face(DATA / "obama2.jpg", None, ctx, key="test")
    other = find_face(DATA / "biden.jpg", None, ctx, key="test")
    assert identity_distance(obama.descriptor, same.descriptor) < 0.6
    assert identity_distance(obama.descriptor, other.descriptor) > 0.6


def test_landmarks_land_on_the_face(obama):
    points = obama.landmarks
    assert points.shape == (68, 2)
    left_eye, right_eye = points[36:42].mean(0), points[42:48].mean(0)
    nose, chin = points[30], points[8]
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < chin[1]


def test_matte_covers_the_face_and_nothing_far_away(obama):
    shape = obama.image.shape[:2]
    core = core_mask(obama.landmarks, shape, MatteSettings(), mouth_open=False)
    matte = soften(core, obama.landmarks, MatteSettings().feather)
    nose = obama.landmarks[30].round().astype(int)
    assert matte[nose[1], nose[0]] == pytest.approx(1.0, abs=1e-3)
    assert matte[0, 0] == 0.0 and matte[-1, -1] == 0.0
    assert matte.min() >= 0 and matte.max() <= 1


def test_open_mouth_is_cut_out_of_the_matte(obama):
    points = obama.landmarks.copy()
    points[[65, 66, 67], 1] += 18          # drop the lower inner lip: open the mouth
    assert mouth_opening(points) > MatteSettings().mouth_open_threshold
    shape = obama.image.shape[:2]
    inside_mouth = points[[62, 66]].mean(0).round().astype(int)
    closed = core_mask(points, shape, MatteSettings(), mouth_open=False)
    opened = core_mask(points, shape, MatteSettings(), mouth_open=True)
    assert closed[inside_mouth[1], inside_mouth[0]] == pytest.approx(1.0)
    assert opened[inside_mouth[1], inside_mouth[0]] == pytest.approx(0.0)


def test_identity_geometry_keeps_jaw_and_expression(obama):
    target = obama.landmarks * 1.1 + 5
    source = obama.landmarks.copy()
    source[17:48] += 4.0
    moved = identity_geometry(target, source, 0.7)
    np.testing.assert_array_equal(moved[:17], target[:17])
    np.testing.assert_array_equal(moved[60:], target[60:])
    assert not np.allclose(moved[17:48], target[17:48])
    np.testing.assert_array_equal(identity_geometry(target, source, 0.0), target)
