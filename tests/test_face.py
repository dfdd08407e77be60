"""The reference swapper's parts, checked numerically on synthetic data and real faces."""

import cv2
import numpy as np
import pytest
from conftest import DATA, OBAMA
from scipy.spatial import Delaunay

from faceplate.face import mesh
from faceplate.face.blend import multiband_blend
from faceplate.face.colour_match import match_colour
from faceplate.face.matte import MatteSettings, face_mattes, skin_mask
from faceplate.face.regions import facing, warp_triangles
from faceplate.face.swapper import identity_geometry
from faceplate.face.warp import piecewise_affine
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
    triangles = Delaunay(src_pts).simplices.astype(np.int32)
    warped, covered = piecewise_affine(source, src_pts, dst_pts, triangles, (110, 110))
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


def test_the_mesh_lands_on_the_face(obama):
    points = obama.landmarks
    assert points.shape == (478, 3)
    left_eye, right_eye = mesh.eye_centres(points)
    nose, chin = points[mesh.NOSE_TIP, :2], points[152, :2]
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < chin[1]


def _inside(polygon, point) -> bool:
    return cv2.pointPolygonTest(np.float32(polygon).reshape(-1, 1, 2),
                                (float(point[0]), float(point[1])), False) > 0


def test_matte_covers_the_face_and_nothing_far_away(obama):
    shape = obama.image.shape[:2]
    matte, blend = face_mattes(obama.landmarks, shape, MatteSettings(), mouth_open=False)
    nose = obama.landmarks[mesh.NOSE_TIP].round().astype(int)
    assert matte[nose[1], nose[0]] == pytest.approx(1.0, abs=1e-3)
    assert blend[nose[1], nose[0]] == pytest.approx(1.0, abs=1e-3)
    assert matte[0, 0] == 0.0 and matte[-1, -1] == 0.0
    assert matte.min() >= 0 and matte.max() <= 1
    # The outline reaches up the forehead at least as far as the hull of jaw and brows of
    # the 68-point matte did on this face (its 0.5 level 0.19 eye distances above the brows'
    # centres; measured with that code).
    size = mesh.face_size(obama.landmarks)
    for brow in (mesh.LEFT_BROW_UPPER, mesh.RIGHT_BROW_UPPER):
        top = obama.landmarks[list(brow), :2].mean(axis=0) - (0, 0.2 * size)
        assert matte[round(top[1]), round(top[0])] > 0.5
    # ...and stops short of the top of the mesh (the hairline).
    hairline = obama.landmarks[10, :2].round().astype(int)
    assert matte[hairline[1], hairline[0]] < 0.5


def test_an_open_mouth_is_cut_out_of_the_matte_and_the_lips_stay(obama):
    points = obama.landmarks.copy()
    lower = list(mesh.LIPS_INNER[11:20]) + list(mesh.LIPS_OUTER[11:20]) + [152]
    points[lower, 1] += 0.15 * mesh.face_size(points)  # drop the lower lip: open the mouth
    assert mesh.mouth_opening(points) > MatteSettings().mouth_open_threshold
    shape = obama.image.shape[:2]
    inside = points[list(mesh.LIPS_INNER), :2].mean(0).round().astype(int)
    assert _inside(points[list(mesh.LIPS_INNER), :2], inside)
    closed, _ = face_mattes(points, shape, MatteSettings(), mouth_open=False)
    opened, _ = face_mattes(points, shape, MatteSettings(), mouth_open=True)
    assert closed[inside[1], inside[0]] == pytest.approx(1.0)
    assert opened[inside[1], inside[0]] < 0.05
    # the cut is tight: the middle of the lower lip (between inner and outer contour) stays
    lip = ((points[mesh.LIPS_INNER[15], :2] + points[mesh.LIPS_OUTER[15], :2]) / 2).round()
    assert opened[int(lip[1]), int(lip[0])] > 0.5


def test_skin_is_measured_off_eyes_brows_and_lips(obama):
    points = obama.landmarks
    skin = skin_mask(points, obama.image.shape[:2])
    assert skin.sum() > 0.1 * (skin.shape[0] * skin.shape[1]) * 0.05
    for loop in (mesh.eye_loop(0), mesh.eye_loop(1), mesh.LIPS_OUTER):
        polygon = np.zeros(skin.shape, np.uint8)
        cv2.fillPoly(polygon, [points[list(loop), :2].round().astype(np.int32)], 1)
        assert skin[polygon > 0].max() == 0.0
    for index in (*mesh.LEFT_BROW_UPPER, *mesh.RIGHT_BROW_LOWER):
        x, y = points[index, :2].round().astype(int)
        assert skin[y, x] == 0.0
    cheek = (points[mesh.EYE_CORNERS[0][0], :2] + points[mesh.MOUTH_CORNERS[0], :2]) / 2
    assert skin[round(cheek[1]), round(cheek[0])] == 1.0


def test_identity_geometry_keeps_outline_inner_lips_and_gaze(obama):
    target = obama.landmarks * 1.1 + 5
    source = obama.landmarks.copy()
    source[list(mesh.LIDS[0]) + list(mesh.LEFT_BROW_UPPER), :2] += 4.0
    moved = identity_geometry(target, source, 0.7)
    np.testing.assert_allclose(moved[list(mesh.FACE_OVAL)], target[list(mesh.FACE_OVAL)])
    np.testing.assert_allclose(moved[list(mesh.LIPS_INNER)], target[list(mesh.LIPS_INNER)])
    changed = np.linalg.norm(moved[list(mesh.LIDS[0]), :2] - target[list(mesh.LIDS[0]), :2], axis=1)
    assert changed.min() > 0.5
    # the iris keeps its place in the eye: it moves with its lids
    step = (moved[list(mesh.LIDS[0]), :2] - target[list(mesh.LIDS[0]), :2]).mean(axis=0)
    np.testing.assert_allclose(moved[mesh.LEFT_IRIS[0], :2], target[mesh.LEFT_IRIS[0], :2] + step)
    np.testing.assert_array_equal(identity_geometry(target, source, 0.0), target)


def _rotated(points: np.ndarray, yaw: float) -> np.ndarray:
    y = np.radians(yaw)
    rotation = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    centre = points.mean(axis=0)
    return (points - centre) @ rotation.T + centre


def _overlap(points: np.ndarray, triangles: np.ndarray, shape: tuple[int, int]) -> float:
    """Share of the covered pixels that more than one triangle covers, each triangle shrunk by
    a quarter toward its centre (neighbours then share no edge pixels: what overlaps is a
    fold), on a 4x finer grid."""
    count = np.zeros((shape[0] * 4, shape[1] * 4), np.int32)
    for tri in triangles:
        corners = points[tri, :2] * 4
        corners = corners.mean(axis=0) + 0.75 * (corners - corners.mean(axis=0))
        one = np.zeros(count.shape, np.uint8)
        cv2.fillConvexPoly(one, np.round(corners * 16).astype(np.int32), 1,
                           lineType=cv2.LINE_8, shift=4)
        count += one
    return float((count > 1).sum() / max((count > 0).sum(), 1))


@pytest.mark.parametrize("yaw", [0.0, 50.0, -70.0])
def test_triangles_turned_away_are_hidden(obama, yaw):
    """A turned face's far side folds over its near side in the image: drawing every triangle
    covers pixels twice; of the triangles ``facing`` keeps, only those the nose hides overlap
    (the painter's order, far first, draws those right)."""
    points = _rotated(obama.landmarks, yaw)
    shape = obama.image.shape[:2]
    shown = facing(warp_triangles(), points)
    hidden = _overlap(points, shown, shape)
    if yaw == 0.0:
        assert len(shown) > 0.98 * len(warp_triangles()) and hidden < 0.01
    else:
        every = _overlap(points, warp_triangles(), shape)
        assert every > 0.1 and hidden < 0.05 and hidden < every / 4, (every, hidden)


def test_an_open_mouthed_source_brings_no_teeth_into_a_closed_mouth(ctx, obama):
    """Biden's mouth is closed, the source (Obama) smiles with his teeth: on Biden's lip line
    the result is no brighter than the plate there (teeth are lighter than lips: with the
    source's mouth interior in its matte, a dozen pixels of teeth show there)."""
    from faceplate.face.colour_match import to_lab
    from faceplate.face.swapper import ReferenceSwapper, SourceFace
    target = find_face(DATA / "biden.jpg", None, ctx, key="test")
    assert mesh.mouth_opening(target.landmarks) < MatteSettings().mouth_open_threshold
    assert mesh.mouth_opening(obama.landmarks) > MatteSettings().mouth_open_threshold
    source = SourceFace("obama", obama.image, obama.landmarks, obama.descriptor)
    result = ReferenceSwapper().swap(target.image, target.landmarks, source)
    shown = target.image + result.matte[..., None] * (result.rgb - target.image)
    line = np.zeros(target.image.shape[:2], np.uint8)
    cv2.polylines(line, [target.landmarks[list(mesh.LIPS_INNER), :2].round().astype(np.int32)],
                  True, 1, thickness=1)
    band = line > 0
    assert band.sum() > 50
    plate_l, shown_l = to_lab(target.image)[..., 0][band], to_lab(shown)[..., 0][band]
    assert (shown_l > plate_l.max() + 2).sum() <= 2
