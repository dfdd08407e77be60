"""The MediaPipe pack on real faces (public-domain portraits), with the real models.

Expected positions come from dlib's 68-point predictor (independent of the pack) or from
known image transforms (shifts, rotations, scalings of the portraits)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceplate.errors import ModelError, ModelHashError
from faceplate.face import mesh
from faceplate.face.pose import estimate_pose
from faceplate.models.dlib_pack import DlibFacePack, identity_distance
from faceplate.models.files import sha256_of
from faceplate.models.mediapipe import MediaPipeFacePack
from faceplate.models.mediapipe import detector as blaze
from faceplate.models.mediapipe.face_mesh import FaceMeshModel
from faceplate.models.mediapipe.pack import DATA, models, tiles
from faceplate.models.mediapipe.roi import Region

TESTS = Path(__file__).parent / "data"
DEMO = Path(str(resources.files("faceplate.demo") / "data"))
PORTRAITS = {"obama2": TESTS / "obama2.jpg", "biden": TESTS / "biden.jpg",
             "obama": DEMO / "obama.jpg", "astronaut": DEMO / "astronaut.png"}
#: iBUG points compared: eye corners, mouth corners, nose tip.
KEY_POINTS = (36, 39, 42, 45, 48, 54, 30)


def rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


@pytest.fixture(scope="module")
def dlib_pack() -> DlibFacePack:
    return DlibFacePack()


@pytest.fixture(scope="module")
def pack(dlib_pack) -> MediaPipeFacePack:
    return MediaPipeFacePack(dlib_pack)


@pytest.fixture(scope="module")
def images() -> dict[str, np.ndarray]:
    return {name: rgb(path) for name, path in PORTRAITS.items()}


def dlib_marks(dlib_pack: DlibFacePack, image: np.ndarray) -> np.ndarray:
    return dlib_pack.landmarks(image, dlib_pack.detect(image, upsample=1)[0].box)


def face_of(pack: MediaPipeFacePack, image: np.ndarray):
    found = pack.find_faces(image)
    assert found, "no face found"
    face = pack.from_detection(image, found[0])
    assert face is not None
    return face


def background(height: int, width: int, seed: int = 3) -> np.ndarray:
    """A textured, face-free plate: blurred noise."""
    noise = np.random.default_rng(seed).integers(30, 220, (height, width, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 6)


def paste(frame: np.ndarray, image: np.ndarray, scale: float, x0: int, y0: int) -> np.ndarray:
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = frame.copy()
    out[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return out


def moved(points: np.ndarray, scale: float, x0: float, y0: float) -> np.ndarray:
    """Where points of an image land after cv2.resize by ``scale`` and pasting at (x0, y0)
    (pixel centres at integers: a pixel's centre x maps to (x + 0.5) * scale - 0.5)."""
    return (points + 0.5) * scale - 0.5 + (x0, y0)


# --- shipped files -------------------------------------------------------------------------

def test_shipped_models_match_their_pinned_hashes_and_licence():
    notice = (DATA / "NOTICE").read_text()
    assert "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl" in notice
    assert "Apache License" in (DATA / "LICENSE").read_text()
    for model in models():
        assert model.licence == "Apache-2.0" and model.commercial_use
        assert sha256_of(DATA / model.file) == model.sha256
        assert model.sha256 in notice and model.file in notice


def test_the_fetch_tool_pins_the_same_files():
    tool = (Path(__file__).parents[1] / "tools" / "fetch_mediapipe_models.py").read_text()
    for model in models():
        assert model.sha256 in tool and model.file in tool


# --- agreement with dlib on real faces -----------------------------------------------------

@pytest.mark.parametrize("name", list(PORTRAITS))
def test_mesh_agrees_with_dlib_at_eye_corners_mouth_corners_and_nose_tip(pack, dlib_pack, images,
                                                                         name):
    """Face size: the diagonal of the box around dlib's 68 points. Each key point within 3% of
    it; on average within 3% of dlib's outer-eye-corner distance."""
    image = images[name]
    marks = dlib_marks(dlib_pack, image)
    ours = face_of(pack, image).ibug68()
    size = float(np.linalg.norm(marks.max(0) - marks.min(0)))
    eyes = float(np.linalg.norm(marks[45] - marks[36]))
    errors = np.linalg.norm(ours[list(KEY_POINTS)] - marks[list(KEY_POINTS)], axis=1)
    assert errors.max() < 0.03 * size, dict(zip(KEY_POINTS, (errors / size).round(3), strict=True))
    assert errors.mean() < 0.03 * eyes


@pytest.mark.parametrize("name", list(PORTRAITS))
def test_iris_centres_sit_inside_the_eye_openings(pack, images, name):
    points = face_of(pack, images[name]).points
    for eye, iris in enumerate(mesh.irises(points)):
        assert mesh.inside(mesh.eye_polygon(points, eye), iris.centre)
        outer, inner = mesh.EYE_CORNERS[eye]
        width = np.linalg.norm(points[outer, :2] - points[inner, :2])
        assert 0.12 < iris.radius / width < 0.3


def test_the_478_layout_carries_the_iris_models_lids_and_irises(pack, images):
    face = face_of(pack, images["obama"])
    assert face.points.shape == (478, 3) and face.eye_contours.shape == (2, 71, 3)
    for eye in (0, 1):
        np.testing.assert_array_equal(face.points[list(mesh.LIDS[eye]), :2],
                                      face.eye_contours[eye, :16, :2])
    left, right = mesh.irises(face.points)
    assert left.centre[0] < right.centre[0]  # 468.. is the image-left eye's iris


def test_depth_scales_with_the_image_like_x(pack, images):
    """z is in image pixels on x's scale: the nose tip stands in front of the outer eye
    corners by about half their distance, at any image size."""
    for name in ("obama", "biden"):
        ratios = []
        for scale in (1.0, 0.5):
            image = cv2.resize(images[name], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            points = face_of(pack, image).mesh
            eyes = points[[33, 263]]
            width = np.linalg.norm(eyes[0, :2] - eyes[1, :2])
            ratios.append((eyes[:, 2].mean() - points[mesh.NOSE_TIP, 2]) / width)
        assert 0.4 < ratios[0] < 0.75
        assert ratios[1] == pytest.approx(ratios[0], rel=0.05)


def test_mouth_and_eye_openings_tell_open_from_closed(pack, images):
    assert mesh.mouth_opening(face_of(pack, images["biden"]).points) < 0.03
    assert mesh.mouth_opening(face_of(pack, images["obama2"]).points) > 0.15
    for name in PORTRAITS:
        assert all(0.1 < o < 0.4 for o in mesh.eye_openings(face_of(pack, images[name]).points))


# --- head pose -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["obama2", "biden"])
def test_yaw_changes_sign_on_a_mirror_image_and_agrees_with_dlib(pack, dlib_pack, images, name):
    image = images[name]
    pose = mesh.head_pose(face_of(pack, image).points)
    mirrored = mesh.head_pose(face_of(pack, np.ascontiguousarray(image[:, ::-1])).points)
    assert abs(pose.yaw) > 5
    assert mirrored.yaw == pytest.approx(-pose.yaw, abs=3)
    assert mirrored.roll == pytest.approx(-pose.roll, abs=3)
    assert mirrored.pitch == pytest.approx(pose.pitch, abs=3)
    reference = estimate_pose(dlib_marks(dlib_pack, image), image.shape[1::-1])
    assert np.sign(pose.yaw) == np.sign(reference.yaw)


@pytest.mark.parametrize("degrees", [20.0, -20.0])
def test_roll_follows_an_in_plane_rotation(pack, images, degrees):
    image = images["obama"]
    height, width = image.shape[:2]
    # OpenCV's angle turns counter-clockwise on screen; roll is positive clockwise.
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -degrees, 1.0)
    turned = cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REFLECT)
    before = mesh.head_pose(face_of(pack, image).points)
    after = mesh.head_pose(face_of(pack, turned).points)
    assert after.roll - before.roll == pytest.approx(degrees, abs=2)
    assert after.yaw == pytest.approx(before.yaw, abs=3)
    assert after.pitch == pytest.approx(before.pitch, abs=3)


# --- detection on frames of any size and aspect --------------------------------------------

def _check_found(pack, dlib_pack, frame, portrait, scale, x0, y0):
    """The best face found in ``frame`` is the pasted portrait, its mesh where dlib's points
    on the portrait land after the paste (3% of face size)."""
    expected = moved(dlib_marks(dlib_pack, portrait), scale, x0, y0)
    found = pack.find_faces(frame)
    assert found and found[0].score > 0.6
    bx0, by0, bx1, by1 = found[0].box
    centre = expected[list(KEY_POINTS)].mean(0)
    assert bx0 < centre[0] < bx1 and by0 < centre[1] < by1
    face = pack.from_detection(frame, found[0])
    assert face is not None
    size = float(np.linalg.norm(expected.max(0) - expected.min(0)))
    errors = np.linalg.norm(face.ibug68()[list(KEY_POINTS)] - expected[list(KEY_POINTS)], axis=1)
    assert errors.max() < 0.04 * size, (errors / size).round(3)
    return found


@pytest.mark.parametrize("name", list(PORTRAITS))
def test_each_detector_puts_its_box_and_keypoints_where_dlib_sees_the_face(pack, dlib_pack,
                                                                          images, name):
    """Each BlazeFace model alone, on the proxy the pack gives it, brought back to the image:
    eyes (image-left first), nose tip and mouth centre within 0.15 of dlib's outer-eye-corner
    distance of dlib's eye centres, nose tip and mouth corners' mean; the tragions outside
    the eyes; the box 0.9 to 1.35 times the extent of dlib's 68 points, centred within 0.4."""
    image = images[name]
    marks = dlib_marks(dlib_pack, image)
    eyes = float(np.linalg.norm(marks[45] - marks[36]))
    expected = [marks[36:42].mean(0), marks[42:48].mean(0), marks[30], marks[[48, 54]].mean(0)]
    proxy, scale_x, scale_y = blaze.shrink(image, blaze.FULL_RANGE.size)
    for detector in (pack.full_range, pack.short_range):
        found = detector.detect(proxy)
        assert len(found) == 1 and found[0].score >= detector.spec.min_score
        face = found[0].unscaled(scale_x, scale_y)
        errors = np.linalg.norm(face.keypoints[:4] - expected, axis=1) / eyes
        assert errors.max() < 0.15, (detector.spec.file, errors.round(3))
        x = face.keypoints[:, 0]
        assert x[4] < x[0] < x[1] < x[5]
        box = np.array(face.box)
        ratio = (box[2:] - box[:2]) / (marks.max(0) - marks.min(0))
        assert (ratio > 0.9).all() and (ratio < 1.35).all(), (detector.spec.file, ratio)
        centre = (box[:2] + box[2:]) / 2 - (marks.max(0) + marks.min(0)) / 2
        assert np.linalg.norm(centre) < 0.4 * eyes


def test_a_face_is_meshed_from_a_box_alone(pack, dlib_pack, images):
    """landmarks_in_box: an upright crop 1.5 times the box around its centre, then the crop
    that fit gives; the key points within 0.1 eye distances of dlib's."""
    for name in ("obama", "biden"):
        image = images[name]
        marks = dlib_marks(dlib_pack, image)
        box = dlib_pack.detect(image, upsample=1)[0].box
        face = pack.landmarks_in_box(image, box)
        assert face is not None
        errors = np.linalg.norm(face.ibug68()[list(KEY_POINTS)] - marks[list(KEY_POINTS)], axis=1)
        assert errors.max() < 0.1 * np.linalg.norm(marks[45] - marks[36])
    assert pack.landmarks_in_box(background(400, 400), (100, 100, 300, 300)) is None


@pytest.mark.parametrize("name,scale", [("biden", 0.4), ("obama2", 0.25)])
def test_a_small_face_is_found_on_a_1080p_frame(pack, dlib_pack, images, name, scale):
    """dlib's box 86 and 54 px wide on 1920x1080 (outer eye corners ~46 and ~29 px apart):
    found by the full-range detector on the frame's overlapping squares."""
    portrait = images[name]
    frame = paste(background(1080, 1920), portrait, scale, 1400, 600)
    _check_found(pack, dlib_pack, frame, portrait, scale, 1400, 600)


@pytest.mark.parametrize("shape,at", [((500, 2600), (2100, 60)), ((2000, 420), (40, 1450))])
def test_faces_are_found_on_frames_of_odd_aspect(pack, dlib_pack, images, shape, at):
    portrait = images["biden"]
    frame = paste(background(*shape, seed=5), portrait, 0.9, *at)
    assert tiles(shape[1], shape[0])  # the tiled pass runs on such frames
    _check_found(pack, dlib_pack, frame, portrait, 0.9, *at)


def test_an_empty_plate_has_no_face(pack, images):
    assert pack.find_faces(background(720, 1280)) == []
    assert pack.fit(background(720, 1280), Region(640, 360, 300, 0.0)) is None
    # the mesh model's presence is a sigmoid: between 0 and 1/2 on the plate, 1/2 to 1 on a face
    empty = pack.mesh_model.fit(background(720, 1280), Region(640, 360, 300, 0.0))
    assert 0.0 <= empty.presence < 0.5
    face = pack.mesh_model.fit(images["obama"], face_of(pack, images["obama"]).region)
    assert 0.5 < face.presence <= 1.0


# --- tracking without detection ------------------------------------------------------------

def test_tracking_from_the_previous_mesh_follows_a_moving_face(pack, images):
    """The portrait drifts by a few pixels a frame; each frame is meshed from the previous
    frame's mesh only. The mesh moves with the image (no drift builds up) and agrees with a
    mesh found by detection on the same frame."""
    base = paste(background(720, 1280), images["obama"], 1.0, 500, 150)
    face = face_of(pack, base)
    step = np.array([4.0, -3.0])
    first = None
    for frame in range(1, 9):
        shift = np.float64([[1, 0, step[0] * frame], [0, 1, step[1] * frame]])
        image = cv2.warpAffine(base, shift, (1280, 720), borderMode=cv2.BORDER_REPLICATE)
        face = pack.track_face(image, face)
        assert face is not None and face.presence > 0.9
        if first is None:
            first = face.mesh[:, :2] - step * frame
        drift = face.mesh[:, :2] - step * frame - first
        assert np.abs(drift.mean(0)).max() < 0.5
        assert np.median(np.linalg.norm(drift, axis=1)) < 1.0
        detected = face_of(pack, image).mesh[:, :2]
        assert np.median(np.linalg.norm(face.mesh[:, :2] - detected, axis=1)) < 2.0


def test_a_crop_far_off_the_face_loses_it(pack, images):
    """Tracking reports a lost face (None) rather than a mesh on the background."""
    base = paste(background(720, 1280), images["obama"], 1.0, 500, 150)
    face = face_of(pack, base)
    away = Region(face.region.cx - 480, face.region.cy, face.region.side, face.region.angle)
    assert pack.fit(base, away) is None


# --- the face finder's calls ---------------------------------------------------------------

def test_detect_landmarks_and_descriptor_keep_the_face_finder_contract(pack, dlib_pack, images):
    obama, obama2, biden = images["obama"], images["obama2"], images["biden"]
    found = pack.detect(obama)
    assert len(found) == 1 and found[0].score > 0  # dlib's scale: 0 is a usual detection
    assert found[0].points is not None and found[0].points.shape == (6, 2)
    marks = dlib_marks(dlib_pack, obama)
    for face in (found[0], dlib_pack.detect(obama)[0]):  # any detector's, keypoints or not
        points = pack.landmarks(obama, face)
        assert points is not None and points.shape == (478, 3) and points.dtype == np.float64
        nose = mesh.to_ibug68(points)[30]
        assert np.linalg.norm(nose - marks[30]) < 0.1 * np.linalg.norm(marks[45] - marks[36])
    same = pack.descriptor(obama2, pack.landmarks(obama2, pack.detect(obama2)[0]))
    other = pack.descriptor(biden, pack.landmarks(biden, pack.detect(biden)[0]))
    mine = pack.descriptor(obama, pack.landmarks(obama, found[0]))
    assert identity_distance(mine, same) < pack.same_person_distance
    assert identity_distance(mine, other) > pack.same_person_distance
    # 68 points (any landmarker's) measure identity too
    assert identity_distance(pack.descriptor(obama, marks), mine) < 0.25


def test_the_pipeline_tracks_a_face_by_its_previous_mesh(pack, images):
    base = paste(background(720, 1280), images["obama"], 1.0, 500, 150)
    before = pack.landmarks(base, pack.detect(base)[0])
    moved = cv2.warpAffine(base, np.float64([[1, 0, 6], [0, 1, -4]]), (1280, 720),
                           borderMode=cv2.BORDER_REPLICATE)
    after = pack.track(moved, before)
    assert pack.tracks and after is not None and after.shape == (478, 3)
    shift = np.median(after[:468, :2] - before[:468, :2], axis=0)
    np.testing.assert_allclose(shift, (6, -4), atol=1.5)
    detected = pack.landmarks(moved, pack.detect(moved)[0])
    assert np.median(np.linalg.norm(after[:468, :2] - detected[:468, :2], axis=1)) < 2.0
    assert pack.track(background(720, 1280), before) is None


def test_no_recognizer_no_descriptor(images):
    bare = MediaPipeFacePack()
    with pytest.raises(ModelError, match="recognizer"):
        bare.descriptor(images["obama"], np.zeros((68, 2)))
    from faceplate.types import Detection
    assert bare.landmarks(background(400, 400), Detection((100, 100, 300, 300), 0.0)) is None


# --- model files that are not what they claim ----------------------------------------------

def test_a_garbage_model_file_is_refused_naming_the_file(tmp_path, images):
    folder = tmp_path / "models"
    shutil.copytree(DATA, folder)
    garbage = folder / "face_landmark.tflite"
    garbage.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelHashError, match="face_landmark.tflite") as pinned:
        MediaPipeFacePack(folder=folder).fit(images["obama"], Region(200, 200, 300, 0.0))
    assert sha256_of(garbage) in str(pinned.value)
    with pytest.raises(ModelError, match="not a loadable LiteRT model.*face_landmark.tflite"):
        FaceMeshModel(folder).fit(images["obama"], Region(200, 200, 300, 0.0))


def test_a_model_of_another_contract_is_refused(tmp_path, images):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(DATA / "iris_landmark.tflite", folder / "face_landmark.tflite")
    with pytest.raises(ModelError, match="does not match its contract.*face_landmark.tflite"):
        FaceMeshModel(folder).fit(images["obama"], Region(200, 200, 300, 0.0))


# --- decoding facts ------------------------------------------------------------------------

def test_anchor_layouts_match_the_models_outputs():
    short, full = blaze.anchor_centres(blaze.SHORT_RANGE), blaze.anchor_centres(blaze.FULL_RANGE)
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    np.testing.assert_allclose(short[0], short[1])             # 2 anchors per 8-px cell
    np.testing.assert_allclose(short[0], (0.5 / 16, 0.5 / 16))
    np.testing.assert_allclose(short[512:518], [(0.5 / 8, 0.5 / 8)] * 6)  # 6 per 16-px cell
    np.testing.assert_allclose(full[:2], [(0.5 / 48, 0.5 / 48), (1.5 / 48, 0.5 / 48)])


def test_weighted_nms_averages_overlapping_boxes_by_score():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float64)
    keypoints = np.zeros((3, 6, 2))
    keypoints[1] += 3.0
    found = blaze.weighted_nms(boxes, keypoints, np.array([0.9, 0.6, 0.7]))
    assert [s for _, _, s in found] == [0.9, 0.7]
    np.testing.assert_allclose(found[0][0], (boxes[0] * 0.9 + boxes[1] * 0.6) / 1.5)
    np.testing.assert_allclose(found[0][1], 3.0 * 0.6 / 1.5)
    np.testing.assert_allclose(found[1][0], boxes[2])


def test_a_region_crop_and_its_way_back_agree():
    image = np.zeros((300, 400, 3), np.uint8)
    image[120, 250] = 255
    region = Region(230.0, 140.0, 96.0, np.radians(25))
    for mirror in (False, True):
        crop = region.crop(image, 64, mirror)[..., 0].astype(float)
        y, x = np.unravel_index(crop.argmax(), crop.shape)
        back = region.to_image(np.array([[x + 0.5, y + 0.5]]), 64, mirror)[0]
        assert np.linalg.norm(back - (250, 120)) < 1.5  # one crop pixel is 1.5 image px
