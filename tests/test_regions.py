"""The mesh regions the swap works with, checked against what each is documented to be, on the
canonical layout (outer eye corners 1 apart, y down): the weights toward the source's
proportions, the warp's eye fans, the skin and the matte's reach."""

from __future__ import annotations

import numpy as np

from faceplate.face import mesh, regions

NOSE_TIP = 1


def test_identity_weights_are_0_on_the_outline_and_inner_lips_1_inside_and_smooth_between():
    w = regions.identity_weights()
    assert w.shape == (478,)
    assert np.all(w[list(mesh.FACE_OVAL)] == 0.0)
    assert np.all(w[list(mesh.LIPS_INNER)] == 0.0)
    assert np.all(w[468:] == 0.0)  # irises follow their eyes
    assert w[NOSE_TIP] == 1.0
    assert np.all((w >= 0.0) & (w <= 1.0))
    between = w[(w > 0) & (w < 1)]
    assert len(between) > 20  # a ramp, not a step


def test_identity_weights_ramp_over_015_of_a_face_from_the_outline():
    """A point 0.075 (half the ramp) inside the outline has smoothstep(0.5) = 0.5; points more
    than 0.15 inside have 1."""
    canonical = mesh.layout().canonical[:, :2]
    oval = canonical[list(mesh.FACE_OVAL)]
    w = regions.identity_weights()
    for i in range(468):
        if i in mesh.LIPS_INNER:
            continue
        d = _distance_inside(oval, canonical[i])
        if d > 0.16:
            assert w[i] == 1.0, i
        t = min(max(d / 0.15, 0.0), 1.0)
        assert abs(w[i] - t * t * (3 - 2 * t)) < 0.02, i


def _distance_inside(polygon: np.ndarray, p: np.ndarray) -> float:
    """Distance from ``p`` to the closed polygon's edges, negative outside (even-odd rule)."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    ab = b - a
    t = np.clip(((p - a) * ab).sum(1) / (ab * ab).sum(1), 0, 1)
    nearest = float(np.min(np.linalg.norm(a + t[:, None] * ab - p, axis=1)))
    crossings = ((a[:, 1] > p[1]) != (b[:, 1] > p[1])) & (
        p[0] < a[:, 0] + (p[1] - a[:, 1]) * ab[:, 0] / np.where(ab[:, 1] == 0, 1, ab[:, 1]))
    return nearest if crossings.sum() % 2 else -nearest


def test_the_warp_closes_each_eye_with_a_fan_around_its_iris_centre():
    base = mesh.layout().triangles
    warp = regions.warp_triangles()
    fans = warp[len(base):]
    np.testing.assert_array_equal(warp[:len(base)], base)
    for eye, centre in ((0, mesh.LEFT_IRIS[0]), (1, mesh.RIGHT_IRIS[0])):
        loop = mesh.eye_loop(eye)
        mine = fans[fans[:, 0] == centre]
        assert len(mine) == len(loop)
        edges = {frozenset(t[1:]) for t in mine.tolist()}
        assert edges == {frozenset((loop[i], loop[(i + 1) % len(loop)]))
                         for i in range(len(loop))}  # every lid edge, the loop closed
    assert len(fans) == len(mesh.eye_loop(0)) + len(mesh.eye_loop(1))


def test_skin_triangles_keep_off_the_outline_the_features_and_the_hairline():
    canonical = mesh.layout().canonical[:, :2]
    skin = regions.skin_triangles()
    assert 100 < len(skin) < len(mesh.layout().triangles)
    assert not np.isin(skin, list(mesh.FACE_OVAL)).any()
    centres = canonical[skin].mean(axis=1)
    assert np.all(centres[:, 1] >= regions.MATTE_TOP)
    for loop in (mesh.eye_loop(0), mesh.eye_loop(1), mesh.LIPS_OUTER):
        polygon = canonical[list(loop)]
        assert all(_distance_inside(polygon, c) < -0.07 for c in centres)  # SKIN_MARGIN
    # both cheeks and the nose bridge are skin
    for point in (205, 425, 6):
        assert np.isin(point, skin), point


def test_the_matte_reaches_every_point_below_the_hairline_and_none_above():
    y = mesh.layout().canonical[:, 1]
    inside = set(regions.matte_points().tolist())
    assert inside == {i for i in range(len(y)) if y[i] >= regions.MATTE_TOP}
    assert 152 in inside and 10 not in inside  # the chin; the top of the forehead


def test_hair_may_cover_the_forehead_above_the_brows_and_the_temples():
    """Forehead triangles away from the outline, and temple triangles on it lower down than
    the forehead line (above -0.2), are in the zone; nothing below the temples is."""
    canonical = mesh.layout().canonical[:, :2]
    hair = regions.hair_zone_triangles()
    centres = canonical[hair].mean(axis=1)
    on_outline = np.isin(hair, list(mesh.FACE_OVAL)).any(axis=1)
    assert np.any(~on_outline & (centres[:, 1] < -0.62))          # the forehead's middle
    assert np.any(on_outline & (centres[:, 1] > -0.62))           # the temples
    assert np.all(centres[:, 1] < -0.2)
    assert np.all(centres[~on_outline, 1] < -0.62)


def test_a_frontal_face_shows_every_warp_triangle():
    """The layout itself, irises at their lids' centres: nothing is turned away."""
    frontal = np.zeros((478, 3))
    frontal[:468] = mesh.layout().canonical * 100.0 + (200.0, 200.0, 0.0)
    for centre, eye in ((mesh.LEFT_IRIS[0], 0), (mesh.RIGHT_IRIS[0], 1)):
        frontal[centre] = frontal[list(mesh.eye_loop(eye))].mean(axis=0)
    shown = regions.facing(regions.warp_triangles(), frontal)
    assert len(shown) == len(regions.warp_triangles())
