"""68 points made the dense mesh (how dlib-68 and 2DFAN4 feed the pipeline), checked on the
public-domain portraits against what MediaPipe's own models find there (independent of the
fit), and on constructions with known answers; and the five alignment points."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceplate.face import mesh
from faceplate.face.mesh import EYE_CORNERS, LIDS
from faceplate.face.mesh_fit import _iris, mesh_from_ibug68, scaled_orthographic_fit
from faceplate.models.dlib_pack import DlibFacePack
from faceplate.models.mediapipe import MediaPipeFacePack

TESTS = Path(__file__).parent / "data"
DEMO = Path(str(resources.files("faceplate.demo") / "data"))
PORTRAITS = {"obama2": TESTS / "obama2.jpg", "biden": TESTS / "biden.jpg",
             "obama": DEMO / "obama.jpg", "astronaut": DEMO / "astronaut.png"}


@pytest.fixture(scope="module")
def faces() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per portrait (and its mirror image): dlib's 68 points and MediaPipe's mesh."""
    dlib, pack = DlibFacePack(), MediaPipeFacePack()
    out = {}
    for name, path in PORTRAITS.items():
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        for mirrored in (False, True):
            img = np.ascontiguousarray(image[:, ::-1]) if mirrored else image
            marks = dlib.landmarks(img, dlib.detect(img, upsample=1)[0].box)
            points = pack.landmarks(img, pack.detect(img)[0])
            assert points is not None
            out[f"{name}{' mirrored' if mirrored else ''}"] = (marks, points)
    return out


def test_the_fitted_mesh_passes_through_the_68_points(faces):
    """At every one of the 68 that stands for a mesh point of its own (a few share one)."""
    _, first = np.unique(np.array(mesh.IBUG68), return_index=True)
    assert len(first) > 60
    for marks, _ in faces.values():
        fitted = mesh.to_ibug68(mesh_from_ibug68(marks))
        size = np.linalg.norm(marks[45] - marks[36])
        assert np.abs(fitted - marks)[first].max() < 0.01 * size


def test_the_fitted_mesh_agrees_with_mediapipes_on_real_faces(faces):
    """Median over the 468 points within 4% of the eye distance, 95th percentile within 13%
    (the jaw: dlib traces the silhouette, the mesh has fixed points)."""
    for name, (marks, points) in faces.items():
        fitted = mesh_from_ibug68(marks)
        error = np.linalg.norm(fitted[:468, :2] - points[:468, :2], axis=1)
        error /= mesh.face_size(points)
        assert np.median(error) < 0.04 and np.percentile(error, 95) < 0.13, name


def test_the_fitted_pose_agrees_with_mediapipes(faces):
    for name, (marks, points) in faces.items():
        fitted, found = mesh.head_pose(mesh_from_ibug68(marks)), mesh.head_pose(points)
        assert abs(fitted.yaw - found.yaw) < 6 and abs(fitted.roll - found.roll) < 3, name
        assert abs(fitted.pitch - found.pitch) < 8, name


def test_approximated_irises_sit_in_the_eyes_near_mediapipes(faces):
    for name, (marks, points) in faces.items():
        fitted = mesh_from_ibug68(marks)
        for eye, (ours, theirs) in enumerate(zip(mesh.irises(fitted), mesh.irises(points),
                                                 strict=True)):
            assert mesh.inside(mesh.eye_polygon(fitted, eye), ours.centre), name
            width = mesh.face_size(points)
            assert np.hypot(*np.subtract(ours.centre, theirs.centre)) < 0.06 * width, name
            # one radius for every face: MediaPipe's vary from 0.17 to 0.23 eye widths
            assert 0.75 < ours.radius / theirs.radius < 1.45, name


def test_a_posed_layout_gives_back_its_pose_and_scale():
    """The canonical layout rotated, scaled and moved: the fit recovers exactly that."""
    canonical = mesh.layout().canonical[list(mesh.IBUG68)]
    yaw, pitch, roll = np.radians([25.0, -10.0, 8.0])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)],
                   [0, np.sin(pitch), np.cos(pitch)]])
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    rotation = rz @ ry @ rx
    image = 180.0 * canonical @ rotation[:2].T + (320.0, 240.0)
    scale, found, shift = scaled_orthographic_fit(canonical, image)
    assert scale == pytest.approx(180.0)
    np.testing.assert_allclose(found, rotation, atol=1e-9)
    np.testing.assert_allclose(shift, (320.0, 240.0), atol=1e-9)
    pose = mesh.head_pose(mesh_from_ibug68(image))
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((25.0, -10.0, 8.0), abs=0.5)


def test_five_points_are_the_eye_centres_nose_tip_and_mouth_corners():
    points = np.zeros((478, 3))
    points[:468] = mesh.layout().canonical * 100 + (200, 200, 0)
    five = mesh.five_points(points)
    np.testing.assert_allclose(five[0], points[list(mesh.LIDS[0]), :2].mean(axis=0))
    np.testing.assert_allclose(five[1], points[list(mesh.LIDS[1]), :2].mean(axis=0))
    np.testing.assert_allclose(five[2:], points[[4, 61, 291], :2])
    assert five[0, 0] < five[2, 0] < five[1, 0]  # left eye, nose, right eye, as seen
    assert five[3, 0] < five[4, 0] and five[2, 1] < five[3, 1]


def test_the_scaled_orthographic_fit_recovers_a_known_pose_scale_and_shift():
    """3D points turned 20° about y then 35° about z, scaled 2.5, dropped to the image (x, y)
    and shifted (40, -7)."""
    rng = np.random.default_rng(7)
    model = rng.uniform(-1, 1, (30, 3)) + (0.3, -0.2, 0.5)
    c, s = np.cos(np.radians(20.0)), np.sin(np.radians(20.0))
    about_y = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    c, s = np.cos(np.radians(35.0)), np.sin(np.radians(35.0))
    about_z = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    turn = about_z @ about_y
    image = 2.5 * model @ turn[:2].T + (40.0, -7.0)
    scale, rotation, shift = scaled_orthographic_fit(model, image)
    assert scale == pytest.approx(2.5)
    np.testing.assert_allclose(rotation, turn, atol=1e-9)
    np.testing.assert_allclose(shift, (40.0, -7.0), atol=1e-9)
    # stretched 2.5 across, 2.0 down (no rotation fits exactly): the mean of the two, 2.25
    scale, rotation, _ = scaled_orthographic_fit(model, model[:, :2] * (2.5, 2.0))
    assert scale == pytest.approx(2.25)
    np.testing.assert_allclose(rotation, np.eye(3), atol=1e-9)


def test_an_approximated_iris_sits_above_the_lid_centre_by_006_of_the_eye_width():
    """Image-left eye: outer corner (0, 0), inner (10, 0), the other lid points at (5, 1), y
    down. Centre: the lids' mean raised 0.6; radius 2.1; edges toward the inner corner, up,
    the outer corner, down."""
    points = np.zeros((478, 3))
    points[list(LIDS[0]), :2] = (5.0, 1.0)
    points[EYE_CORNERS[0][0], :2] = (0.0, 0.0)
    points[EYE_CORNERS[0][1], :2] = (10.0, 0.0)
    x, y = points[list(LIDS[0]), :2].mean(axis=0)  # the corners are on the lids or not
    y -= 0.6
    iris = _iris(points, 0)
    np.testing.assert_allclose(iris[:, :2], [[x, y], [x + 2.1, y], [x, y - 2.1], [x - 2.1, y],
                                             [x, y + 2.1]], atol=1e-9)
