"""The matte's pieces on shapes whose answers are known without the code: a feathered
straight edge against the normal distribution's values, the snapping to exactly 0 and 1, the
face size the feather is relative to, and the filled mouth and eye openings' areas."""

from __future__ import annotations

from math import erf, sqrt

import numpy as np
import pytest

from faceplate.face import mesh
from faceplate.face.blend import _levels_for, multiband_blend
from faceplate.face.matte import eye_mask, mouth_mask, soften


def _phi(x: float) -> float:
    """The standard normal distribution's cumulative value."""
    return 0.5 * (1.0 + erf(x / sqrt(2.0)))


def _mesh_with_eye_corners(width: float) -> np.ndarray:
    """478 points at the origin but the outer eye corners, ``width`` apart (the face size)."""
    points = np.zeros((478, 3))
    points[mesh.EYE_CORNERS[0][0]] = (10.0, 10.0, 0.0)
    points[mesh.EYE_CORNERS[1][0]] = (10.0 + width, 10.0, 0.0)
    return points


def test_a_feathered_straight_edge_follows_the_normal_distribution_and_snaps_to_0_and_1():
    """Ones left of x = 99.5 on a 200-pixel row; feather 0.05 of a face size 100: sigma 5 px.
    A pixel d pixels inside the edge is Phi(d / 5); within 1/1024 of 0 or 1 it is exactly
    that (Phi(3.3) is, Phi(2.9) is not)."""
    core = np.zeros((120, 200), np.float32)
    core[:, :100] = 1.0
    soft = soften(core, _mesh_with_eye_corners(100.0), 0.05)[60]
    for column in (94, 97, 99, 100, 102, 105):
        assert soft[column] == pytest.approx(_phi((99.5 - column) / 5.0), abs=0.004)
    assert soft[83] == 1.0 and 0.99 < soft[85] < 1.0      # 16.5 and 14.5 px inside
    assert soft[116] == 0.0 and 0.0 < soft[114] < 0.01    # 16.5 and 14.5 px outside
    assert soft.min() >= 0.0 and soft.max() <= 1.0


def test_no_feather_leaves_the_hard_mask():
    core = np.zeros((20, 20), np.float32)
    core[5:15, 5:15] = 1.0
    np.testing.assert_array_equal(soften(core, _mesh_with_eye_corners(100.0), 0.0), core)
    # a softness below 0 (no Gaussian has one) is no feather either
    np.testing.assert_array_equal(soften(core, _mesh_with_eye_corners(100.0), -0.02), core)


def test_the_face_size_is_the_eye_corner_distance_in_3d():
    points = _mesh_with_eye_corners(30.0)
    points[mesh.EYE_CORNERS[1][0], 2] = 40.0  # the far corner 40 deeper: 3-4-5
    assert mesh.face_size(points) == pytest.approx(50.0)
    assert mesh.eye_corner_width(points) == pytest.approx(30.0)


def test_the_mouth_and_eye_openings_fill_their_contours():
    """The inner-lip contour laid on a 40 x 20 rectangle's outline: filled, it covers between
    the rectangle's area (800) and the count of pixel centres on or inside it (41 x 21); the
    image-left eye's lid loop on 30 x 10 likewise (300 to 31 x 11)."""
    points = np.zeros((478, 3))
    lips = list(mesh.LIPS_INNER)
    n = len(lips)
    for k, index in enumerate(lips):  # around the rectangle (20, 30)-(60, 50)
        t = k / n
        points[index, :2] = _on_rectangle(t, 20.0, 30.0, 40.0, 20.0)
    assert 800 <= mouth_mask(points, (80, 80)).sum() <= 41 * 21
    loop = list(mesh.eye_loop(0))
    for k, index in enumerate(loop):
        points[index, :2] = _on_rectangle(k / len(loop), 5.0, 5.0, 30.0, 10.0)
    assert 300 <= eye_mask(points, (80, 80), 0).sum() <= 31 * 11


def _on_rectangle(t: float, x: float, y: float, w: float, h: float) -> tuple[float, float]:
    """The point a fraction ``t`` of the way around the rectangle's outline from its corner."""
    d = t * 2 * (w + h)
    if d < w:
        return x + d, y
    if d < w + h:
        return x + w, y + d - w
    if d < 2 * w + h:
        return x + w - (d - w - h), y + h
    return x, y + h - (d - 2 * w - h)


@pytest.mark.parametrize("shape, wanted, levels", [((64, 96), 5, 3), ((64, 96), 2, 2),
                                                   ((16, 400), 5, 1), ((15, 400), 5, 0),
                                                   ((512, 512), 5, 5)])
def test_the_blend_uses_as_many_levels_as_halvings_leave_8_pixels(shape, wanted, levels):
    """log2(smallest side / 8), at most the levels asked for: 64 -> 3, 16 -> 1, 15 -> 0."""
    assert _levels_for(shape, wanted) == levels


def test_a_blend_too_small_for_a_pyramid_is_the_plain_mix():
    fg, bg = np.full((6, 6, 3), 0.8, np.float32), np.full((6, 6, 3), 0.2, np.float32)
    mask = np.linspace(0, 1, 36, dtype=np.float32).reshape(6, 6)
    expected = 0.2 + mask[..., None] * (0.6, 0.6, 0.6)
    np.testing.assert_allclose(multiband_blend(fg, bg, mask), expected, atol=1e-6)


def test_the_matte_keeps_only_what_covered_allows():
    """The layout's face, 100 px across, covered only left of x = 200 (its middle): right of
    the feather's reach (0.07 + 0.03 of the face, 4 sigma: 40 px) the matte is 0, far left
    of it the matte is the uncovered one."""
    from faceplate.face.matte import MatteSettings, face_mattes
    points = np.zeros((478, 3))
    points[:468] = mesh.layout().canonical * 100.0 + (200.0, 200.0, 0.0)
    covered = np.zeros((400, 400), np.float32)
    covered[:, :200] = 1.0
    settings = MatteSettings()
    whole, _ = face_mattes(points, (400, 400), settings, mouth_open=False)
    left, blend = face_mattes(points, (400, 400), settings, mouth_open=False, covered=covered)
    assert whole[:, 240:].max() > 0.9
    assert left[:, 240:].max() == 0.0 and blend[:, 240:].max() == 0.0
    np.testing.assert_array_equal(left[:, :160], whole[:, :160])
