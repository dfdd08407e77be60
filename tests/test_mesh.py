"""Geometry of the 468/478-point face mesh: layout, triangulation, index sets, measures, pose.

Pure geometry on the shipped canonical layout; expected values come from constructions
(known rotations, moved lids, drawn circles), not from the code under test."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceplate.face import mesh

IBUG_MIRROR = ([16 - i for i in range(17)] + [26 - i for i in range(10)] + [27, 28, 29, 30]
               + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
               + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]
               + [64, 63, 62, 61, 60, 67, 66, 65])


@pytest.fixture(scope="module")
def layout() -> mesh.MeshLayout:
    return mesh.layout()


def pixels(points: np.ndarray, scale: float = 200.0, at=(400.0, 300.0)) -> np.ndarray:
    """Canonical points as an upright frontal face in image pixels (478 with irises at the
    eye centres)."""
    out = np.zeros((478, 3))
    out[:468] = points * scale
    out[:468, :2] += at
    for index, eye in zip((mesh.LEFT_IRIS, mesh.RIGHT_IRIS), range(2), strict=True):
        out[list(index)] = out[list(mesh.LIDS[eye])].mean(0)
    return out


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rz(roll) @ Ry(yaw) @ Rx(pitch) (degrees; camera frame, x right, y down): the order
    whose angles OpenCV's RQ decomposition (and so faceplate.face.pose) reports."""
    p, y, r = np.radians([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


# --- the canonical layout ------------------------------------------------------------------

def test_canonical_layout_is_frontal_symmetric_and_scaled(layout):
    c, mirror = layout.canonical, layout.mirror
    assert c.shape == (468, 3)
    assert np.array_equal(mirror[mirror], np.arange(468))
    reflected = c[mirror] * (-1, 1, 1)
    np.testing.assert_allclose(reflected, c, atol=1e-9)
    assert np.linalg.norm(c[33] - c[263]) == pytest.approx(1.0)
    assert c[33, 0] < 0 < c[263, 0]                      # x to the image's right
    assert c[10, 1] < c[mesh.NOSE_TIP, 1] < c[152, 1]    # y down: forehead, nose, chin
    assert c[10, 2] == pytest.approx(c[152, 2], abs=1e-9)
    assert int(np.argmin(c[:, 2])) == mesh.NOSE_TIP     # the nose tip is nearest the camera


def test_index_sets_mirror_onto_each_other(layout):
    m = layout.mirror
    for left, right in ((mesh.LEFT_LOWER_LID, mesh.RIGHT_LOWER_LID),
                        (mesh.LEFT_UPPER_LID, mesh.RIGHT_UPPER_LID),
                        (mesh.LEFT_BROW_UPPER, mesh.RIGHT_BROW_UPPER),
                        (mesh.LEFT_BROW_LOWER, mesh.RIGHT_BROW_LOWER),
                        (mesh.EYE_CORNERS[0], mesh.EYE_CORNERS[1]), (mesh.MOUTH_CORNERS[:1],
                                                                    mesh.MOUTH_CORNERS[1:])):
        assert m[list(left)].tolist() == list(right)
    for loop in (mesh.LIPS_OUTER, mesh.LIPS_INNER, mesh.FACE_OVAL):
        assert set(m[list(loop)].tolist()) == set(loop)
    assert m[list(mesh.IBUG68)].tolist() == [mesh.IBUG68[k] for k in IBUG_MIRROR]


def test_the_face_oval_encloses_the_mesh(layout):
    c = layout.canonical
    oval = c[list(mesh.FACE_OVAL), :2].astype(np.float32)
    distance = [cv2.pointPolygonTest(oval, (float(x), float(y)), True) for x, y in c[:, :2]]
    assert min(distance) > -0.01  # at most a hair outside (side points seen edge-on)


# --- the triangulation ---------------------------------------------------------------------

def _edge_count(triangles: np.ndarray) -> dict[tuple[int, int], int]:
    count: dict[tuple[int, int], int] = {}
    for a, b, c in triangles.tolist():
        for e in ((a, b), (b, c), (c, a)):
            key = (min(e), max(e))
            count[key] = count.get(key, 0) + 1
    return count


def test_triangulation_is_a_surface_with_mouth_and_eye_holes(layout):
    t = layout.triangles
    assert np.unique(t).size == 468                       # every point used
    edges = _edge_count(t)
    assert max(edges.values()) == 2                       # a manifold: no edge in 3 triangles
    # Euler characteristic of a disc with three holes (mouth, two eyes): V - E + F = -2.
    assert 468 - len(edges) + len(t) == 1 - 3
    for loop in (mesh.LIPS_INNER, mesh.eye_loop(0), mesh.eye_loop(1)):
        for a, b in zip(loop, loop[1:] + loop[:1], strict=True):  # each rim is a border
            assert edges[(min(a, b), max(a, b))] == 1
        assert not any(set(tri) <= set(loop) for tri in t.tolist())


def test_triangles_keep_one_winding_on_a_frontal_face(layout):
    xy = layout.canonical[:, :2]
    a, b, c = xy[layout.triangles[:, 0]], xy[layout.triangles[:, 1]], xy[layout.triangles[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    assert (area > 0).mean() > 0.98  # only a few folds, at the lips and the face's edge


# --- measures ------------------------------------------------------------------------------

def test_ibug68_takes_the_mapped_points(layout):
    points = pixels(layout.canonical)
    marks = mesh.to_ibug68(points)
    assert marks.shape == (68, 2)
    np.testing.assert_array_equal(marks[36], points[33, :2])
    np.testing.assert_array_equal(marks[45], points[263, :2])


def test_mouth_opening_grows_with_the_lower_lip(layout):
    points = pixels(layout.canonical)
    width = np.linalg.norm(points[263, :2] - points[33, :2])
    before = mesh.mouth_opening(points)
    lower = list(mesh.LIPS_INNER[11:20])
    points[lower, 1] += 12.0
    assert mesh.mouth_opening(points) - before == pytest.approx(12.0 / width, rel=1e-6)
    np.testing.assert_array_equal(mesh.mouth_interior(points), points[list(mesh.LIPS_INNER), :2])


def test_eye_openings_follow_the_lids(layout):
    points = pixels(layout.canonical)
    before = mesh.eye_openings(points)
    assert 0.1 < before[0] < 0.5 and before[0] == pytest.approx(before[1], abs=1e-9)
    corners = points[133, :2] - points[33, :2]
    width = np.linalg.norm(corners)
    points[list(mesh.LEFT_UPPER_LID), 1] += 6.0  # the left upper lid comes down
    after = mesh.eye_openings(points)
    across = 6.0 * abs(corners[0]) / width  # the part of the move across the corner line
    assert before[0] - after[0] == pytest.approx(across / width, rel=1e-6)
    assert after[1] == pytest.approx(before[1])
    points[list(mesh.LEFT_UPPER_LID), 1] += 100.0  # lids crossed: negative
    assert mesh.eye_openings(points)[0] < 0


@pytest.mark.parametrize("degrees", [30.0, 100.0, 180.0, -135.0])
def test_openings_do_not_change_when_the_face_rolls(layout, degrees):
    points = pixels(layout.canonical)
    points[list(mesh.LIPS_INNER[11:20]), 1] += 10.0  # an open mouth
    turn = cv2.getRotationMatrix2D((400.0, 300.0), degrees, 1.0)
    turned = points.copy()
    turned[:, :2] = points[:, :2] @ turn[:, :2].T + turn[:, 2]
    assert mesh.eye_openings(turned) == pytest.approx(mesh.eye_openings(points), abs=1e-9)
    assert mesh.mouth_opening(turned) == pytest.approx(mesh.mouth_opening(points), abs=1e-9)
    assert mesh.mouth_opening(points) > 0.04


def test_irises_are_circles_through_their_edge_points(layout):
    points = pixels(layout.canonical)
    for index, centre, radius in ((mesh.LEFT_IRIS, (300.0, 240.0), 9.0),
                                  (mesh.RIGHT_IRIS, (500.0, 250.0), 11.0)):
        angles = np.radians([0, 90, 180, 270])
        points[index[0], :2] = centre
        points[list(index[1:]), :2] = np.c_[np.cos(angles), np.sin(angles)] * radius + centre
    left, right = mesh.irises(points)
    assert left.centre == (300.0, 240.0) and left.radius == pytest.approx(9.0)
    assert right.centre == (500.0, 250.0) and right.radius == pytest.approx(11.0)
    assert mesh.inside(np.array([[0, 0], [10, 0], [10, 10], [0, 10]]), (5, 5))
    assert not mesh.inside(np.array([[0, 0], [10, 0], [10, 10], [0, 10]]), (15, 5))


# --- head pose -----------------------------------------------------------------------------

@pytest.mark.parametrize("yaw,pitch,roll", [(0, 0, 0), (30, 0, 0), (-45, 10, 5),
                                            (10, -20, 25), (60, 5, -10)])
def test_head_pose_recovers_a_known_rotation(layout, yaw, pitch, roll):
    turned = layout.canonical @ rotation(yaw, pitch, roll).T
    pose = mesh.head_pose(pixels(turned, scale=180.0))
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((yaw, pitch, roll), abs=1e-6)


def test_head_pose_signs_mean_what_the_docstring_says(layout):
    c = layout.canonical
    nose, chin, right = mesh.NOSE_TIP, 152, 263
    # yaw > 0: the nose moves to the image's left; pitch > 0: the chin moves away (face down);
    # roll > 0: the image-right eye moves down (clockwise on screen).
    assert (c @ rotation(20, 0, 0).T)[nose, 0] < c[nose, 0]
    assert (c @ rotation(0, 20, 0).T)[chin, 2] > c[chin, 2]
    assert (c @ rotation(0, 0, 20).T)[right, 1] > c[right, 1]
    for args, attribute in (((20, 0, 0), "yaw"), ((0, 20, 0), "pitch"), ((0, 0, 20), "roll")):
        assert getattr(mesh.head_pose(pixels(c @ rotation(*args).T)), attribute) > 19


def test_head_pose_ignores_expression(layout):
    """The jaw opens (everything below the mouth turns 20 degrees about a hinge near the ears)
    and the lids lower: the head has not turned."""
    c = layout.canonical
    below = np.flatnonzero(c[:, 1] > c[list(mesh.LIPS_INNER), 1].mean())
    hinge = np.array([0.0, c[mesh.NOSE_TIP, 1], c[:, 2].max()])
    opened = c.copy()
    opened[below] = (c[below] - hinge) @ rotation(0, 20, 0).T + hinge
    points = pixels(opened)
    points[list(mesh.LEFT_UPPER_LID + mesh.RIGHT_UPPER_LID), 1] += 5.0
    assert mesh.mouth_opening(points) > 0.3
    pose = mesh.head_pose(points)
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((0, 0, 0), abs=0.5)


def _turn(axis: int, degrees: float) -> np.ndarray:
    """The rotation by ``degrees`` about coordinate axis ``axis`` (right-handed)."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    i, j = [k for k in range(3) if k != axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def test_the_3d_similarity_recovers_a_known_scale_turn_and_shift_on_the_chosen_points():
    """Ten points off the origin, turned 40° about z then 25° about x, scaled 1.7, shifted
    (3, -2, 5); two more points moved anywhere and left out by ``index``."""
    rng = np.random.default_rng(4)
    source = rng.uniform(-10, 10, (12, 3)) + (20, 5, -3)
    turn = _turn(0, 25.0) @ _turn(2, 40.0)
    target = 1.7 * source @ turn.T + (3.0, -2.0, 5.0)
    target[10:] += (40.0, -9.0, 13.0)
    scale, rotation, shift = mesh.similarity_3d(source, target, np.arange(10))
    assert scale == pytest.approx(1.7)
    np.testing.assert_allclose(rotation, turn, atol=1e-9)
    np.testing.assert_allclose(shift, (3.0, -2.0, 5.0), atol=1e-9)


def test_the_3d_similarity_never_reflects():
    """A mirror image (x negated) is fitted by a turn (determinant +1), not a reflection, and
    at a smaller scale than the mirror's 1 (part of the shape cannot be matched)."""
    rng = np.random.default_rng(5)
    source = rng.uniform(-10, 10, (20, 3))
    scale, rotation, _ = mesh.similarity_3d(source, source * (-1.0, 1.0, 1.0))
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    assert 0 < scale < 1.0


def test_each_iris_is_its_centre_and_the_mean_distance_of_its_four_edge_points():
    """Edge points 2, 3, 4 and 5 px from the centre: radius 3.5 (each eye its own points)."""
    points = np.zeros((478, 3))
    for iris, (cx, cy) in ((mesh.LEFT_IRIS, (30.0, 20.0)), (mesh.RIGHT_IRIS, (70.0, 22.0))):
        points[iris[0], :2] = (cx, cy)
        for index, (dx, dy) in zip(iris[1:], ((2, 0), (0, -3), (-4, 0), (0, 5))):
            points[index, :2] = (cx + dx, cy + dy)
    left, right = mesh.irises(points)
    assert left == mesh.Iris((30.0, 20.0), 3.5)
    assert right == mesh.Iris((70.0, 22.0), 3.5)


def test_ibug_nose_bridge_points_run_down_the_middle_of_the_nose():
    """iBUG 27-30 are the nose bridge from between the eyes to the tip: their mesh points lie
    on the layout's midline, each lower than the one before."""
    canonical = mesh.layout().canonical
    bridge = canonical[list(mesh.IBUG68[27:31]), :2]
    assert np.all(np.abs(bridge[:, 0]) < 0.01)
    assert np.all(np.diff(bridge[:, 1]) > 0.05)
