"""The demo shot (``faceplate.demo.build``: its spec, its plate's header and frames, the camera
move) and the head rig that performs a still portrait (``faceplate.demo.head_warp``: the face
frame, the head model, the head turning, nodding and rolling, the jaw and lids). The rig is
driven here by 68 landmarks written by hand, on images whose pixel value is the row (or the
column) they sit in, so where a warp takes a pixel from can be read off the output. Expected
values are worked by hand from the landmarks and the documented geometry, never asked of the
code under test."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest
import yaml
from colour_reference import srgb_encoded_to_acescg
from conftest import read_pixels

from faceplate.demo.build import (
    DEMO_FRAMES,
    PLATE_COLORSPACE,
    SOURCE_COLORSPACE,
    CameraMove,
    build_demo_shot,
    plate_spec,
    render_plate,
)
from faceplate.demo.head_warp import (
    MOUTH_DARK,
    MOUTH_EDGE,
    MOUTH_TONGUE,
    TEETH,
    Expression,
    HeadRig,
    Pose,
)

DEMO_DATA = Path(str(resources.files("faceplate.demo") / "data"))


def smoothstep(edge0: float, edge1: float, x: float) -> float:
    """Hermite's smoothstep, written out: 0 at ``edge0``, 1 at ``edge1``, 3t² - 2t³ between."""
    t = min(max((x - edge0) / (edge1 - edge0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


# --- the camera move and the plate ------------------------------------------------------------


@pytest.mark.parametrize("t, eased", [(0.0, 0.0), (1.0, 1.0), (0.5, 0.5), (0.25, 0.15625)])
@pytest.mark.parametrize("size", [(1024, 576), (640, 360)])
def test_the_camera_move_puts_the_portraits_face_centre_where_the_move_says(t, eased, size):
    """The default move eases (3t² - 2t³: 0.15625 at t = 0.25) the face's scale from 1.75 to
    2.05 per 576 lines, its roll from -6° to 5° and its place from (0.44, 0.434) to
    (0.576, 0.403) of the frame; the portrait's face centre is (222, 135)."""
    w, h = size
    scale = (1.75 + eased * 0.30) * h / 576.0
    roll = math.radians(-6.0 + eased * 11.0)
    centre = np.array([(0.44 + eased * 0.136) * w, (0.434 - eased * 0.031) * h])
    matrix = CameraMove().matrix(t, size)
    assert matrix.shape == (2, 3)

    def at(x: float, y: float) -> np.ndarray:
        return matrix @ np.array([x, y, 1.0])

    np.testing.assert_allclose(at(222.0, 135.0), centre, atol=1e-9)
    # 100 portrait pixels right of the face centre: 100 × scale along the rolled x axis
    np.testing.assert_allclose(at(322.0, 135.0) - centre,
                               100.0 * scale * np.array([math.cos(roll), math.sin(roll)]),
                               atol=1e-9)
    np.testing.assert_allclose(at(222.0, 235.0) - centre,
                               100.0 * scale * np.array([-math.sin(roll), math.cos(roll)]),
                               atol=1e-9)


def test_the_camera_move_frames_the_demos_1024_by_576_plate_by_default():
    move = CameraMove(scale=(2.0, 3.0), roll=(10.0, 20.0), centre=((0.5, 0.5), (0.25, 0.75)))
    np.testing.assert_allclose(move.matrix(0.5), move.matrix(0.5, (1024, 576)), atol=0)
    # 2.5 per 576 lines, 15°, (0.375, 0.625) of the frame
    np.testing.assert_allclose(move.matrix(0.5) @ [222.0, 135.0, 1.0], [384.0, 360.0],
                               atol=1e-9)
    np.testing.assert_allclose(move.matrix(0.5)[:, :2],
                               2.5 * np.array([[math.cos(math.radians(15.0)),
                                                -math.sin(math.radians(15.0))],
                                               [math.sin(math.radians(15.0)),
                                                math.cos(math.radians(15.0))]]), atol=1e-12)


def test_a_camera_move_is_frozen_and_hashable():
    """``render_plate``'s default move is one shared object: it cannot be changed."""
    move = CameraMove()
    with pytest.raises(FrozenInstanceError):
        move.roll = (0.0, 0.0)  # type: ignore[misc]
    assert hash(move) == hash(CameraMove()) and move == CameraMove()


def test_the_plates_header_is_half_rgb_zip_acescg_with_the_studios_attributes():
    spec = plate_spec(width=64, height=48)
    assert (spec.width, spec.height, spec.nchannels) == (64, 48, 3)
    assert (spec.x, spec.y, spec.full_x, spec.full_y) == (0, 0, 0, 0)
    assert (spec.full_width, spec.full_height) == (64, 48)
    assert spec.format == oiio.TypeDesc("half")
    assert list(spec.channelnames) == ["R", "G", "B"]
    assert spec.getattribute("compression") == "zip"
    assert spec.getattribute("oiio:ColorSpace") == "ACEScg" == PLATE_COLORSPACE
    assert spec.getattribute("Copyright") == "NASA (public domain)"
    assert tuple(spec.getattribute("framesPerSecond")) == (24, 1)
    assert spec.getattribute("DateTime") == "2026:01:01 12:00:00"
    assert spec.getattribute("studio/shot") == "sh010"


def test_the_plates_overscan_grows_the_data_window_on_every_side_and_depth_is_a_fourth_channel():
    spec = plate_spec(64, 48, overscan=5, depth_channel=True)
    assert (spec.width, spec.height, spec.nchannels) == (74, 58, 4)
    assert (spec.x, spec.y) == (-5, -5)
    assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (0, 0, 64, 48)
    assert list(spec.channelnames) == ["R", "G", "B", "depth.Z"]


def _portrait_in_acescg() -> np.ndarray:
    """The astronaut portrait (8-bit display sRGB) in ACEScg, worked without OCIO."""
    rgb = cv2.cvtColor(cv2.imread(str(DEMO_DATA / "astronaut.png")), cv2.COLOR_BGR2RGB)
    return srgb_encoded_to_acescg(rgb.astype(np.float64) / 255.0)


def test_a_plates_frames_are_the_portrait_moved_by_the_eased_camera(tmp_path, colour):
    """A move of unit scale (8 per 576 lines on a 72-line frame), no roll, whose face centre
    goes 4 pixels right over three frames: each frame is the portrait in ACEScg shifted by a
    whole number of pixels (-190 + 0, 2 or 4 across, -99 down), the middle frame half way."""
    move = CameraMove(scale=(8.0, 8.0), roll=(0.0, 0.0),
                      centre=((0.5, 0.5), (0.5 + 4.0 / 64.0, 0.5)))
    render_plate(colour, tmp_path / "p.####.exr", [7, 8, 9], move, size=(64, 72))
    portrait = _portrait_in_acescg()
    for frame, moved in ((7, 0), (8, 2), (9, 4)):
        path = tmp_path / f"p.{frame:04d}.exr"
        spec = oiio.ImageInput.open(str(path)).spec()
        assert (spec.width, spec.height, spec.nchannels) == (64, 72, 3)
        pixels = read_pixels(path, fmt=oiio.FLOAT)
        want = portrait[99:99 + 72, 190 - moved:190 - moved + 64]
        np.testing.assert_allclose(pixels, want, rtol=2e-3, atol=2e-4)
    assert sorted(p.name for p in tmp_path.glob("*.exr")) == [
        "p.0007.exr", "p.0008.exr", "p.0009.exr"]


def test_a_one_frame_plate_with_overscan_and_depth(tmp_path, colour):
    """One frame is the move's start; the overscan's extra pixels are the portrait's beyond the
    display window (the move is the display window's); depth runs 1..100 over the data window's
    pixels in reading order, plus the frame's index."""
    move = CameraMove(scale=(8.0, 8.0), roll=(0.0, 0.0), centre=((0.5, 0.5), (0.75, 0.25)))
    render_plate(colour, tmp_path / "p.####.exr", [12], move, size=(64, 72), overscan=3,
                 depth_channel=True)
    path = tmp_path / "p.0012.exr"
    spec = oiio.ImageInput.open(str(path)).spec()
    assert (spec.x, spec.y, spec.width, spec.height) == (-3, -3, 70, 78)
    assert (spec.full_width, spec.full_height) == (64, 72)
    pixels = read_pixels(path, fmt=oiio.FLOAT)
    want = _portrait_in_acescg()[99 - 3:99 + 72 + 3, 190 - 3:190 + 64 + 3]
    np.testing.assert_allclose(pixels[..., :3], want, rtol=2e-3, atol=2e-4)
    depth = pixels[..., 3]
    assert depth[0, 0] == 1.0 and depth[-1, -1] == 100.0
    # pixel n of the 70 × 78 window: 1 + 99 n / 5459 (half floats: 2^-5 apart near 64)
    np.testing.assert_allclose(depth[40, 10], 1.0 + 99.0 * (40 * 70 + 10) / 5459.0, atol=0.04)


def test_the_depth_of_a_later_frame_is_raised_by_its_index(tmp_path, colour):
    render_plate(colour, tmp_path / "p.####.exr", [1, 2, 3], size=(32, 18), depth_channel=True)
    for index, frame in enumerate((1, 2, 3)):
        depth = read_pixels(tmp_path / f"p.{frame:04d}.exr", fmt=oiio.FLOAT)[..., 3]
        assert (depth[0, 0], depth[-1, -1]) == (1.0 + index, 100.0 + index)


def test_the_demo_shot_is_built_again_into_its_own_folder(tmp_path):
    """`faceplate demo` run a second time: the folder and its refs are there already. The spec
    is the documented demo's, the plate 48 ACEScg frames of 1024 × 576, the source Obama's."""
    (tmp_path / "refs").mkdir()
    spec_path = build_demo_shot(tmp_path)
    assert spec_path == tmp_path / "sh010.yaml"
    assert yaml.safe_load(spec_path.read_text()) == {
        "version": 1,
        "shot": "sh010",
        "plate": {"path": "plates/sh010.####.exr", "frames": "1001-1048",
                  "colorspace": "ACEScg"},
        "sources": {"actor_a": {"images": ["refs/actor_a.jpg"],
                                "colorspace": "sRGB Encoded Rec.709 (sRGB)"}},
        "swaps": [{"source": "actor_a", "target": "largest"}],
        "output": {"path": "out/sh010_fp.####.exr", "qc": "out/qc",
                   "matte": "out/sh010_fp_matte.####.exr"},
        "ocio": "ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5",
    }
    assert DEMO_FRAMES == "1001-1048" and SOURCE_COLORSPACE == "sRGB Encoded Rec.709 (sRGB)"
    plates = sorted(p.name for p in (tmp_path / "plates").glob("*.exr"))
    assert plates == [f"sh010.{f}.exr" for f in range(1001, 1049)]
    spec = oiio.ImageInput.open(str(tmp_path / "plates" / "sh010.1001.exr")).spec()
    assert (spec.x, spec.y, spec.width, spec.height, spec.nchannels) == (0, 0, 1024, 576, 3)
    assert (tmp_path / "refs" / "actor_a.jpg").read_bytes() == (
        DEMO_DATA / "obama.jpg").read_bytes()


# --- the head rig -----------------------------------------------------------------------------

#: 68 landmarks of an upright face written by hand: eye centres (150, 170) and (250, 170)
#: (iod 100), the jaw from x = 92 (point 0) to 310 (16), the chin (8) at y = 333, the brows'
#: tops at y = 130, the nostrils 30 each side of the nose, the inner lips 4 apart about y = 250
#: (the lip line flat at v = 80).
FACE = np.array([
    # jaw 0-16
    (92, 170), (96, 200), (104, 230), (114, 258), (128, 284), (145, 306), (163, 322),
    (181, 330), (200, 333), (219, 330), (237, 322), (255, 306), (272, 284), (286, 258),
    (296, 230), (304, 200), (310, 170),
    # brows 17-26
    (120, 140), (145, 132), (150, 130), (165, 132), (180, 140),
    (220, 140), (235, 132), (250, 130), (255, 132), (280, 140),
    # nose 27-35
    (200, 170), (200, 185), (200, 200), (200, 215),
    (170, 225), (185, 226), (200, 227), (215, 226), (230, 225),
    # eyes 36-47
    (130, 170), (143, 163), (157, 163), (170, 170), (157, 177), (143, 177),
    (230, 170), (243, 163), (257, 163), (270, 170), (257, 177), (243, 177),
    # outer lips 48-59
    (165, 250), (178, 244), (190, 240), (200, 242), (210, 240), (222, 244), (235, 250),
    (222, 258), (210, 262), (200, 263), (190, 262), (178, 258),
    # inner lips 60-67
    (172, 250), (186, 248), (200, 248), (214, 248), (228, 250), (214, 252), (200, 252),
    (186, 252),
], dtype=np.float64)
SHAPE = (460, 400)  # rows, columns: the head and the jaw's taper below the chin fit


def rows_image(shape: tuple[int, int] = SHAPE) -> np.ndarray:
    """RGB float32 whose every channel is the pixel's row."""
    rows = np.broadcast_to(np.arange(shape[0], dtype=np.float32)[:, None], shape)
    return np.repeat(rows[..., None], 3, axis=2).copy()


def rotated(points: np.ndarray, degrees: float, about=(200.0, 200.0)) -> np.ndarray:
    a = math.radians(degrees)
    r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (points - about) @ r.T + about


@pytest.fixture(scope="module")
def rig() -> HeadRig:
    return HeadRig(rows_image(), FACE)


def test_a_pose_and_an_expression_are_the_still_unless_told_otherwise():
    assert Pose() == Pose(yaw=0.0, pitch=0.0, roll=0.0, shift=(0.0, 0.0))
    assert Expression() == Expression(jaw=0.0, lids=0.0)
    with pytest.raises(AttributeError):
        Expression().jaw = 1.0  # type: ignore[misc]


def test_the_face_frame_is_centred_between_the_eyes_along_the_eye_line():
    """A face rolled 30°: u runs along the eye line (towards the image-right eye), v down the
    face, in still pixels from the midpoint of the eye centres."""
    points = rotated(FACE, 30.0)
    rig = HeadRig(rows_image(), points)
    c, s = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    origin = rotated(np.array([[200.0, 170.0]]), 30.0)[0]
    np.testing.assert_allclose(rig.origin, origin, atol=1e-9)
    assert rig.iod == pytest.approx(100.0)
    np.testing.assert_allclose(rig.ex, [c, s], atol=1e-12)
    np.testing.assert_allclose(rig.ey, [-s, c], atol=1e-12)
    for x, y in ((250, 240), (37, 411), (399, 0)):
        dx, dy = x - origin[0], y - origin[1]
        assert rig.u[y, x] == pytest.approx(dx * c + dy * s, abs=1e-3)
        assert rig.v[y, x] == pytest.approx(-dx * s + dy * c, abs=1e-3)
        assert (rig.grid_x[y, x], rig.grid_y[y, x]) == (x, y)
    # the chin (8) is 163 below the eye line, the brows' tops 40 above it, whatever the roll
    assert rig.face_height == pytest.approx(203.0)
    u = np.array([10.0, -40.0], np.float32)
    v = np.array([163.0, 5.0], np.float32)
    x, y = rig._from_face(u, v)
    np.testing.assert_allclose(x, origin[0] + u * c - v * s, atol=1e-3)
    np.testing.assert_allclose(y, origin[1] + u * s + v * c, atol=1e-3)


def test_the_face_centre_is_the_middle_of_the_landmarks_box(rig):
    np.testing.assert_allclose(rig.face_centre, [(92 + 310) / 2, (130 + 333) / 2])
    assert rig.face_height == pytest.approx(203.0)
    # rows and columns the expression can touch: the landmarks' box grown by 1.1 iod (1.1 × 100
    # is a hair over 110 in binary: rows 19 .. 443) and cut to the image
    assert rig.roi == (slice(19, 443), slice(0, 400))


@pytest.mark.parametrize("gap, shows", [(4, False), (6, False), (7, True)])
def test_a_mouth_open_by_more_than_6_percent_of_the_iod_shows_its_teeth(gap, shows):
    points = FACE.copy()
    points[[65, 66, 67], 1] = points[[63, 62, 61], 1] + gap
    assert HeadRig(rows_image(), points).mouth_shows_teeth is shows
    assert HeadRig(rows_image(), points, mouth_shows_teeth=not shows).mouth_shows_teeth is (
        not shows)


def test_the_head_is_an_ellipse_over_the_jaw_and_brows(rig):
    """Centre half way between the jaw's ends across (u = 1) and between the chin and 1.25 iod
    above the brows' tops down (v = (163 - 165) / 2); half-axes 1.18 × half the jaw's width
    and 1.06 × half that height."""
    assert rig.head_u == pytest.approx(1.0)
    assert rig.head_a == pytest.approx(109.0 * 1.18)
    assert rig.head_v == pytest.approx(-1.0)
    assert rig.head_b == pytest.approx(164.0 * 1.06)


def _r(rig: HeadRig, y: int, x: int) -> float:
    """The pixel's radius in the head's ellipse (1 on its edge), from the values above."""
    du = (x - 200.0 - 1.0) / (109.0 * 1.18)
    dv = (y - 170.0 + 1.0) / (164.0 * 1.06)
    return math.hypot(du, dv)


@pytest.mark.parametrize("y, x", [(60, 200), (40, 120), (170, 60), (300, 330), (10, 10),
                                  (459, 399), (200, 380)])
def test_the_heads_motion_is_weighted_1_over_the_head_falling_to_0_at_1_55_radii(rig, y, x):
    assert rig.weight[y, x] == pytest.approx(smoothstep(1.55, 1.0, _r(rig, y, x)), abs=1e-5)


def test_the_weight_is_1_inside_the_head_half_at_1_275_radii_and_0_beyond(rig):
    r = np.hypot((rig.u - 1.0) / (109.0 * 1.18), (rig.v + 1.0) / (164.0 * 1.06))
    assert np.all(rig.weight[r <= 0.999] == 1.0)
    assert np.all(rig.weight[r >= 1.551] == 0.0)
    near = np.abs(r - 1.275) < 0.002
    assert near.any()
    np.testing.assert_allclose(rig.weight[near], 0.5, atol=0.01)


def test_the_heads_depth_is_a_cosine_dome_away_from_the_features(rig):
    """On the forehead and the temples (5 or more sigmas from the nose) the depth is
    0.85 × the head's half-width × cos(π/2 · r), and the eye sockets' far tails (under 0.004
    here); beyond the head it is 0."""
    for y, x in ((60, 200), (45, 160), (90, 300)):
        r = _r(rig, y, x)
        dome = 0.85 * 109.0 * 1.18 * math.cos(math.pi / 2 * r)
        assert rig.depth[y, x] == pytest.approx(dome + _added_features(x, y), abs=1e-4)
    assert rig.depth[5, 5] == pytest.approx(0.0, abs=1e-4)
    assert rig.depth[455, 395] == pytest.approx(0.0, abs=1e-4)


def _bump(x: float, y: float, centre: tuple[float, float], height: float, sigma: float) -> float:
    return height * math.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2) / (2 * sigma ** 2))


def _added_features(x: float, y: float) -> float:
    """The eye sockets (-0.09 iod, sigma 0.24 iod at each eye's centre), the lips (0.08 iod,
    0.35 iod at the mean of the 20 lip points) and the chin (0.05 iod, 0.3 iod at 0.7 of the
    chin and 0.3 of the lower lip's bottom (57)), added to the depth."""
    lips = tuple(FACE[48:68].mean(axis=0))
    return (_bump(x, y, (150, 170), -9.0, 24.0) + _bump(x, y, (250, 170), -9.0, 24.0)
            + _bump(x, y, lips, 8.0, 35.0)
            + _bump(x, y, (0.7 * 200 + 0.3 * 200, 0.7 * 333 + 0.3 * 263), 5.0, 30.0))


@pytest.mark.parametrize("y, x, ridge", [
    (215, 200, 38.0),      # the nose's tip (30): the ridge's last bump, 0.38 iod
    (170, 200, None),      # its root (27): the next bump down (0.135 iod) is higher
    (192, 200, None),      # half way down the ridge
    (215, 212, None),      # beside the tip
    (225, 230, 14.0),      # the right nostril (35): its own bump, 0.14 iod
    (225, 170, 14.0),      # the left (31)
    (170, 150, None),      # the left eye's centre: a socket
    (250, 200, None),      # the lips
])
def test_the_features_are_a_nose_ridge_nostrils_eye_sockets_lips_and_a_chin(rig, y, x, ridge):
    """The nose ridge: bumps of 0.10 .. 0.38 iod (sigma 0.17 iod) at 9 points evenly from its
    root (27) to its tip (30), and the nostrils (31, 35: 0.14 iod, sigma 0.13 iod), the
    highest of them counting; the sockets, lips and chin added."""
    ridge_bumps = [_bump(x, y, (200.0, 170.0 + 45.0 * t), 10.0 + 28.0 * t, 17.0)
                   for t in np.linspace(0.0, 1.0, 9)]
    nostrils = [_bump(x, y, (170.0, 225.0), 14.0, 13.0), _bump(x, y, (230.0, 225.0), 14.0, 13.0)]
    highest = max(ridge_bumps + nostrils)
    if ridge is not None:
        assert highest == pytest.approx(ridge, abs=1e-9)
    base = 0.85 * 109.0 * 1.18 * math.cos(math.pi / 2 * min(_r(rig, y, x), 1.0))
    want = base + (highest + _added_features(x, y)) * float(rig.weight[y, x])
    assert rig.depth[y, x] == pytest.approx(want, abs=2e-3)


def test_the_nose_stands_out_of_the_face_and_the_eyes_sink_in(rig):
    base_tip = 0.85 * 109.0 * 1.18 * math.cos(math.pi / 2 * _r(rig, 215, 200))
    assert rig.depth[215, 200] - base_tip > 0.35 * 100
    base_eye = 0.85 * 109.0 * 1.18 * math.cos(math.pi / 2 * _r(rig, 170, 150))
    assert -10.0 < rig.depth[170, 150] - base_eye < -8.0


# --- the head's own motion --------------------------------------------------------------------


@pytest.mark.parametrize("roll", [0.0, 25.0])
def test_a_quarter_turn_brings_a_pixels_depth_round_to_the_side(roll):
    """Yaw 90°: a pixel at u from the head's centre, depth z, moves to u = z (to image right
    for depth towards the camera); pitch 90°: to v = z (down); both: the yaw's depth, -u,
    comes round to v. The displacement is along the face's axes in the image."""
    rig = HeadRig(rows_image(), rotated(FACE, roll))
    y, x = 230, 150
    assert rig.weight[y, x] == 1.0
    u, v, z = float(rig.u[y, x] - rig.head_u), float(rig.v[y, x] - rig.head_v), float(
        rig.depth[y, x])
    ex, ey = rig.ex, rig.ey
    for pose, (du, dv) in (
        (Pose(yaw=90.0), (z - u, 0.0)),
        (Pose(yaw=-90.0), (-z - u, 0.0)),
        (Pose(pitch=90.0), (0.0, z - v)),
        (Pose(yaw=90.0, pitch=90.0), (z - u, -u - v)),
        (Pose(roll=90.0), (-v - u, u - v)),
        (Pose(shift=(3.0, -7.0)), (3.0, -7.0)),
    ):
        dx, dy = rig.pose_displacement(pose)
        want = du * ex + dv * ey
        assert (dx[y, x], dy[y, x]) == pytest.approx(tuple(want), abs=2e-3), pose


def test_the_heads_motion_fades_with_its_weight_and_leaves_the_background(rig):
    dx, dy = rig.pose_displacement(Pose(shift=(4.0, 2.0)))
    np.testing.assert_allclose(dx, 4.0 * rig.weight, atol=1e-5)
    np.testing.assert_allclose(dy, 2.0 * rig.weight, atol=1e-5)
    assert dx[5, 5] == 0.0 and dy[455, 395] == 0.0
    still_x, still_y = rig.pose_displacement(Pose())
    assert not still_x.any() and not still_y.any()


def test_the_pose_map_inverts_the_heads_motion(rig):
    """For every output pixel the map names the still pixel that moves onto it: that pixel
    plus its displacement is the output pixel, within 0.02 of a pixel."""
    pose = Pose(yaw=12.0, pitch=-8.0, roll=5.0, shift=(3.0, 2.0))
    dx, dy = rig.pose_displacement(pose)
    mx, my = rig.pose_map(pose)
    landed_x = mx + cv2.remap(dx, mx, my, cv2.INTER_LINEAR)
    landed_y = my + cv2.remap(dy, mx, my, cv2.INTER_LINEAR)
    inner = (slice(40, 420), slice(40, 360))
    np.testing.assert_allclose(landed_x[inner], rig.grid_x[inner], atol=0.02)
    np.testing.assert_allclose(landed_y[inner], rig.grid_y[inner], atol=0.02)
    # no iteration: the first guess, the output pixel less its own displacement
    mx0, my0 = rig.pose_map(pose, iterations=0)
    np.testing.assert_array_equal(mx0, rig.grid_x - dx)
    np.testing.assert_array_equal(my0, rig.grid_y - dy)
    assert np.abs(mx0 - mx)[inner].max() > 0.1


# --- the jaw and the lids ---------------------------------------------------------------------


def _jaw_at(rig: HeadRig, amount: float, points: list[tuple[float, float]]):
    u = np.array([p[0] for p in points], np.float32)[None, :]
    v = np.array([p[1] for p in points], np.float32)[None, :]
    dv, alpha, depth = rig._jaw(amount, u, v)
    return dv[0], alpha[0], depth[0]


def test_the_lip_line_runs_through_the_corners_and_the_inner_lips_midpoints():
    """The line the mouth opens along: through the outer corners (48, 54), the inner corners
    (60, 64) and the midpoints of the inner lips' pairs (61/67, 62/66, 63/65), straight
    between them, level beyond the corners. A crooked mouth, to tell the points apart."""
    points = FACE.copy()
    points[48, 1], points[60, 1], points[64, 1], points[54, 1] = 246.0, 249.0, 253.0, 257.0
    points[[61, 67]] = (184.0, 244.0), (190.0, 256.0)    # midpoint (187, 250): u -13
    points[[62, 66]] = (202.0, 247.0), (206.0, 257.0)    # (204, 252): u 4
    points[[63, 65]] = (212.0, 251.0), (218.0, 249.0)    # (215, 250): u 15
    rig = HeadRig(rows_image(), points)
    u = np.array([-35.0, -28.0, -13.0, 4.0, 15.0, 28.0, 35.0, -21.0, -7.0, 7.0, 31.5, -50.0,
                  60.0], np.float32)
    want = np.array([246.0, 249.0, 250.0, 252.0, 250.0, 253.0, 257.0, 249.0 + 7.0 / 15.0,
                     250.0 + 2.0 * 6.0 / 17.0, 252.0 - 2.0 * 3.0 / 11.0, 255.0, 246.0,
                     257.0]) - 170.0
    np.testing.assert_allclose(rig._lip_line(u), want, atol=1e-4)


def test_the_jaw_drops_by_0_22_of_the_eye_corners_span_tapering_below_the_chin(rig):
    """Jaw 1 drops the chin by 0.22 × 140 (the outer eye corners' span) = 30.8 pixels, and
    all the skin between the lower lip and the chin (v 80.5 .. 163) with it; below the chin
    the drop tapers to 0 over max(0.9 iod, 2.5 × the drop) = 90, half way at 45 below."""
    drop = 0.22 * 140.0
    dv, _, _ = _jaw_at(rig, 1.0, [(0.0, 81.0), (0.0, 120.0), (0.0, 163.0), (0.0, 208.0),
                                  (0.0, 253.0), (0.0, 300.0)])
    np.testing.assert_allclose(dv, [drop, drop, drop, drop / 2, 0.0, 0.0], atol=1e-4)
    dv, _, _ = _jaw_at(rig, 0.5, [(0.0, 120.0), (0.0, 208.0)])
    np.testing.assert_allclose(dv, [drop / 2, drop / 4], atol=1e-4)
    # jaw 1.5: 2.5 × 46.2 = 115.5 below the chin, more than 0.9 iod
    dv, _, _ = _jaw_at(rig, 1.5, [(0.0, 163.0 + 115.5 / 2), (0.0, 163.0 + 115.4)])
    np.testing.assert_allclose(dv, [1.5 * drop / 2, 1.5 * drop * smoothstep(278.5, 163.0, 278.4)],
                               atol=1e-4)


def test_the_jaws_drop_tapers_towards_the_jaws_angles_and_at_the_lip(rig):
    """Across: full within half the jaw's angles' half-span (72: u 36), none past 1.05 of it
    (75.6). At the lip line the skin moves half the drop (the lip's edge, a pixel wide), the
    upper lip not at all; beside the mouth's corners (past 0.92 of its half-width, 32.2) the
    lip's edge widens by 1.6 per pixel and the drop comes in over the lip's thickness."""
    drop = 0.22 * 140.0
    dv, _, _ = _jaw_at(rig, 1.0, [(30.0, 120.0), (54.0, 120.0), (-54.0, 120.0), (76.0, 120.0),
                                  (0.0, 80.0), (0.0, 80.25), (0.0, 79.0), (0.0, 40.0)])
    lateral = smoothstep(75.6, 36.0, 54.0)
    np.testing.assert_allclose(dv, [drop, drop * lateral, drop * lateral, 0.0, drop / 2,
                                    drop * 0.75, 0.0, 0.0], atol=1e-4)
    # u = 40, 5 below the lip: ramp 0.5 + 1.6 × 7.8, shape 0, the lip's depth 5 / (1.6 × 11)
    ramp = 0.5 + 1.6 * (40.0 - 32.2)
    side = 0.5 + 5.0 / (2.0 * ramp)
    deep = 5.0 / (1.6 * 11.0)
    dv, _, _ = _jaw_at(rig, 1.0, [(40.0, 85.0)])
    assert dv[0] == pytest.approx(drop * smoothstep(75.6, 36.0, 40.0) * side * deep, abs=1e-4)
    # within the mouth's width the lip's shape counts too: u = 16.1, shape sqrt(0.75)
    shape = math.sqrt(0.75)
    side = 0.5 + 2.0 / 1.0
    dv, _, _ = _jaw_at(rig, 1.0, [(16.1, 81.0)])
    deep = 1.0 / 17.6
    assert dv[0] == pytest.approx(drop * min(side, 1.0) * (shape + (1 - shape) * deep),
                                  abs=1e-4)


def test_the_mouth_opens_between_the_lips_as_wide_as_the_drop(rig):
    """The opening's alpha is 1 from half a pixel below the lip line to half a pixel above
    where the lower lip went (the gap: the drop × the lip's shape), soft over a pixel at
    each edge, none where the gap is under 0.3 pixels; its depth runs 0 .. 1 across it."""
    drop = 0.22 * 140.0
    _, alpha, depth = _jaw_at(rig, 1.0, [(0.0, 79.7), (0.0, 80.5), (0.0, 95.0), (0.0, 110.3),
                                         (0.0, 111.0), (0.0, 115.0), (16.1, 100.0),
                                         (16.1, 108.0), (34.0, 85.0)])
    gap16 = drop * math.sqrt(1.0 - (16.1 / 32.2) ** 2)
    np.testing.assert_allclose(alpha, [0.2, 1.0, 1.0, 1.0, 0.3, 0.0, 1.0,
                                       min(max(80.0 + gap16 - 108.0 + 0.5, 0.0), 1.0), 0.0],
                               atol=1e-4)
    np.testing.assert_allclose(depth[:4], [0.0, 0.5 / drop, 15.0 / drop, 30.3 / drop], atol=1e-5)
    _, alpha, _ = _jaw_at(rig, 0.0, [(0.0, 81.0)])
    assert alpha[0] == 0.0
    # a drop of 0.3 pixels opens nothing; 0.31 does
    _, alpha, _ = _jaw_at(rig, 0.3 / drop, [(0.0, 80.1)])
    assert alpha[0] == 0.0
    _, alpha, _ = _jaw_at(rig, 0.31 / drop, [(0.0, 80.1)])
    assert alpha[0] == pytest.approx(0.6, abs=1e-4)


def test_the_mouth_interiors_colours():
    """Display colours through ``encode`` (here each named colour to a colour of its own):
    the upper teeth at the upper lip (depth under 0.06, shaded 0.55 .. 1 to depth 0.2) when
    the still shows none, else the edge's colour over 0.6 at the lip fading to depth 0.25;
    the throat's dark from 0.25 to 0.5; the tongue coming in to 3/4 of its colour at 1."""
    marks = {MOUTH_DARK: (1.0, 0.0, 0.0), MOUTH_TONGUE: (0.0, 1.0, 0.0),
             TEETH: (0.0, 0.0, 1.0), MOUTH_EDGE: (1.0, 1.0, 1.0)}
    dark, tongue, teeth = np.eye(3)
    edge_mark = np.ones(3)

    def encode(c):
        return np.asarray(marks[c], np.float32)

    for shows in (False, True):
        rig = HeadRig(np.zeros((4, 4, 3), np.float32), FACE, encode=encode,
                      mouth_shows_teeth=shows)
        depth = np.array([[0.0, 0.03, 0.1, 0.3, 0.45, 0.75, 1.0, 0.0]], np.float32)
        alpha = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]], np.float32)
        got = rig._mouth_interior(depth, alpha)[0]
        rim0 = dark * 0.4 + edge_mark * 0.6
        rim01 = dark * (1 - 0.648 * 0.6) + edge_mark * 0.648 * 0.6
        want = [rim0, None, rim01, dark, dark, dark * 0.5 + tongue * 0.375, tongue * 0.75, rim0]
        if not shows:
            shade = 0.55 + 0.45 * smoothstep(0.2, 0.0, 0.03)
            band = smoothstep(0.2, 0.06, 0.1)
            want[0] = teeth * 1.0
            want[1] = teeth * shade
            want[2] = rim01 * (1 - band) + teeth * (0.55 + 0.45 * 0.5) * band
        else:
            rim = smoothstep(0.25, 0.0, 0.03) * 0.6
            want[1] = dark * (1 - rim) + edge_mark * rim
        np.testing.assert_allclose(got, np.array(want), atol=1e-5)


def test_the_expression_left_alone_is_a_copy_of_the_still(rig):
    out = rig.expression(Expression())
    assert out is not rig.image and np.array_equal(out, rig.image)
    out[0, 0] = -1.0
    assert rig.image[0, 0, 0] == 0.0
    assert np.array_equal(rig.expression(Expression(jaw=-0.5, lids=-1.0)), rig.image)
    # a rolled face too, bit for bit: the still is not resampled (which moves values of a
    # random image by up to 2e-5 at this roll)
    image = np.random.default_rng(1).random((*SHAPE, 3)).astype(np.float32)
    rolled = HeadRig(image, rotated(FACE, 13.0))
    for expression in (Expression(), Expression(jaw=0.0, lids=-0.5)):
        assert np.array_equal(rolled.expression(expression), image)


def test_a_dropped_jaw_moves_the_chin_down_and_opens_a_dark_mouth(rig):
    """On the rows image the output's value is the row it was taken from: under the mouth
    (u = 0) the skin from the lip to the chin is taken from 30.8 rows up; the opening shows
    the throat's dark, and far below the chin, beside the jaw or above the lip nothing moves."""
    out = rig.expression(Expression(jaw=1.0))
    drop = 0.22 * 140.0
    column = out[:, 200, 0]
    rows = np.arange(170 + 112, 170 + 193)
    np.testing.assert_allclose(column[rows], rows - drop, atol=0.05)
    dark = np.asarray(MOUTH_DARK, np.float32)
    for row in range(170 + 88, 170 + 95):  # depth 0.26 .. 0.48 of the opening
        np.testing.assert_allclose(out[row, 200], dark, atol=1e-6)
    untouched = np.r_[0:170 + 79, 170 + 254:SHAPE[0]]
    np.testing.assert_allclose(column[untouched], untouched, atol=1e-3)
    np.testing.assert_allclose(out[:, 277, 0], np.arange(SHAPE[0]), atol=1e-3)
    np.testing.assert_allclose(out[:, 123, 0], np.arange(SHAPE[0]), atol=1e-3)


def test_lowered_lids_stretch_the_lid_skin_down_over_the_eye(rig):
    """Lids 1 at the left eye's centre (x = 150): the upper lid (the parabola through the eye's
    upper points, v -7.977 there) comes down by the eye's opening (15.954) to the lower lid;
    the lid skin between it and 0.4 of the way from the brow (v -40) stretches over it, and a
    band of 0.02 iod + 1 pixels under the lid's margin comes down with it."""
    a = 7.0 / 351.0
    upper = 163.0 - 49.0 * a - 170.0           # the parabola's vertex, v
    lower = -upper
    move = lower - upper
    top = -40.0 + 0.4 * (upper + 40.0)
    k = move / (upper - top)
    out = rig.expression(Expression(lids=1.0))
    for v in range(-26, 8):
        want = 170.0 + (v + k * top) / (1.0 + k)
        assert out[170 + v, 150, 0] == pytest.approx(want, abs=0.05), v
    for v in (9, 10):  # the margin's band, 3 pixels: from 15.954 rows up
        assert out[170 + v, 150, 0] == pytest.approx(170.0 + v - move, abs=0.05), v
    for v in list(range(-60, -28)) + list(range(12, 40)):  # brow, and below the band
        assert out[170 + v, 150, 0] == pytest.approx(170.0 + v, abs=1e-3), v
    # half closed: half the opening, the same skin stretched less
    out = rig.expression(Expression(lids=0.5))
    k = 0.5 * move / (upper - top)
    assert out[170 + 0, 150, 0] == pytest.approx(170.0 + k * top / (1.0 + k), abs=0.05)


def test_lids_that_would_move_under_a_twentieth_of_a_pixel_leave_the_eye_alone(rig):
    """Lids closed so little that the lid would come down 0.04 pixels at the eye's centre (and
    less towards its corners): nothing moves, not even the margin's band."""
    move = 2.0 * (170.0 - (163.0 - 49.0 * 7.0 / 351.0))  # the opening at the centre, 15.954
    out = rig.expression(Expression(lids=0.04 / move))
    np.testing.assert_array_equal(out[120:200, 120:280], rig.image[120:200, 120:280])


def test_the_lids_close_less_towards_the_eyes_corners_and_not_beyond_them(rig):
    """The closure tapers as sqrt(sin) of the way across the eye (corners u -70 and -30): a
    quarter across (x = 140) the lid comes down sqrt(sin 45°) of the opening there; outside
    the corners (x = 128, 172) nothing moves."""
    a = 7.0 / 351.0
    out = rig.expression(Expression(lids=1.0))
    u = -10.0  # from the eye's centre
    upper = 163.0 + a * (u * u - 49.0) - 170.0
    move = 2.0 * -upper * math.sqrt(math.sin(math.pi / 4))
    brow = -30.0 - 8.0 * 20.0 / 25.0  # between the brow's points at x 120 (17) and 145 (18)
    top = brow + 0.4 * (upper - brow)
    k = move / (upper - top)
    for v in range(-24, 4):  # from the lid skin's top (v -24.23) to the lid's margin (4.08)
        want = 170.0 + (v + k * top) / (1.0 + k)
        assert out[170 + v, 140, 0] == pytest.approx(want, abs=0.05), v
    for x in (128, 172, 228, 272):
        np.testing.assert_allclose(out[100:200, x, 0], np.arange(100, 200), atol=1e-3)
    # the right eye closes as the left (its centre x = 250)
    assert out[170, 250, 0] == pytest.approx(out[170, 150, 0], abs=0.05)
