"""Analysis' small rules, each on a case set up by hand: which boxes are one face, which
vertices dense flow can measure at all (inside the proxy), a frame's RGB and the crops the
models see."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest

from faceplate.face.mesh import LAYOUT_FILE
from faceplate.face.swapper import face_skin_statistics
from faceplate.pipeline.analyse.flow import (
    PlateView,
    ProxyGeometry,
    _corners,
    cut_between,
    face_motion,
    lazy_plate_view,
    plate_view,
    vertex_motion,
)
from faceplate.pipeline.analyse.plate_proxy import rgb_of
from faceplate.pipeline.analyse.stage import (
    PlateRead,
    _crop,
    _overlap,
    _skin,
    detector_image,
    prepare_plate,
)
from faceplate.pipeline.context import RunContext
from faceplate.plateio.frame import Box, PlateFrame


def _texture(seed: int, size=(360, 480)) -> np.ndarray:
    """A textured 8-bit RGB picture (blurred noise: corners everywhere, no repeats)."""
    noise = np.random.default_rng(seed).random(size).astype(np.float32)
    grey = cv2.GaussianBlur(noise, (0, 0), 2.0)
    grey = (grey - grey.min()) / (grey.max() - grey.min()) * 200 + 25
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


@pytest.mark.parametrize(("a", "b", "expected"), [
    # side by side, half of each over the other: 50 shared of 150 covered
    ([0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], 50 / 150),
    # a 4 x 2 box inside a 10 x 20 one: 8 of 200
    ([2.0, 3.0, 6.0, 5.0], [0.0, 0.0, 10.0, 20.0], 8 / 200),
    ([0.0, 0.0, 10.0, 20.0], [2.0, 3.0, 6.0, 5.0], 8 / 200),
    # corners overlapping by 2 x 3 of a 4 x 5 and a 6 x 4 box: 6 of 20 + 24 - 6
    ([0.0, 0.0, 4.0, 5.0], [2.0, 2.0, 8.0, 6.0], 6 / 38),
    # apart, or touching along an edge: nothing shared
    ([0.0, 0.0, 4.0, 5.0], [4.0, 0.0, 8.0, 5.0], 0.0),
    ([0.0, 0.0, 4.0, 5.0], [0.0, 6.0, 4.0, 9.0], 0.0),
])
def test_boxes_overlap_by_their_shared_area_over_the_area_they_cover(a, b, expected):
    assert _overlap(a, b) == pytest.approx(expected)


def test_a_vertex_outside_the_proxy_is_not_measured_however_well_the_flow_comes_back():
    """The whole picture moves by (2, -1) proxy pixels: every vertex inside the proxy is
    measured (display pixels at scale 1: the same (2, -1)); a vertex past any of its four edges
    is NaN, though the flow there (the edge's, replicated) would come back to it."""
    image = _texture(4)
    h, w = image.shape[:2]
    after = cv2.warpAffine(image, np.float32([[1, 0, 2], [0, 1, -1]]), (w, h),
                           flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    inside = np.array([[60.0, 60.0], [w - 60.0, 60.0], [60.0, h - 60.0], [w - 60.0, h - 60.0],
                       [w / 2, h / 2]])
    outside = np.array([[-3.0, h / 2], [w + 2.0, h / 2], [w / 2, -3.0], [w / 2, h + 2.0]])
    geometry = ProxyGeometry(0, 0, 1.0)
    found = vertex_motion(plate_view(image, geometry), plate_view(after, geometry),
                          np.concatenate([inside, outside]))
    assert np.abs(found[:len(inside)] - (2.0, -1.0)).max() < 0.2, found[:len(inside)]
    assert np.isnan(found[len(inside):]).all(), found[len(inside):]


def _frame(width: int, height: int, channels: int = 3) -> PlateFrame:
    """A float32 frame in memory whose data window is its display window, its pixels a ramp
    (never 0) in R, G, B (then A) order."""
    ramp = np.arange(height * width * channels, dtype=np.float32).reshape(height, width,
                                                                          channels)
    pixels = 0.05 + ramp / ramp.size
    return PlateFrame(Path("plate.exr"), 1001, oiio.ImageSpec(width, height, channels,
                                                              oiio.FLOAT), pixels, (0, 1, 2))


def test_a_frames_rgb_is_its_first_three_channels_when_it_holds_more():
    frame = _frame(40, 30, 4)
    box = Box(5, 6, 25, 16)
    rgb = rgb_of(frame, box)
    assert rgb.shape == (10, 20, 3)
    assert np.array_equal(rgb, frame.pixels[6:16, 5:25, :3])
    assert np.array_equal(rgb_of(_frame(40, 30), box), _frame(40, 30).pixels[6:16, 5:25])


def test_a_frames_rgb_is_in_r_g_b_order_whatever_order_its_channels_lie_in():
    """Three channels stored B, G, R (half or float): R, G, B, as float32."""
    from dataclasses import replace
    box = Box(5, 6, 25, 16)
    for kind in (np.float32, np.float16):
        frame = _frame(40, 30)
        stored = replace(frame, pixels=frame.pixels[..., ::-1].astype(kind), rgb=(2, 1, 0))
        rgb = rgb_of(stored, box)
        assert rgb.dtype == np.float32
        assert np.array_equal(rgb, frame.pixels[6:16, 5:25].astype(kind).astype(np.float32))


def test_a_face_on_a_picture_without_texture_has_no_motion_and_says_why():
    """A flat grey picture: no textured point on the face, so no motion, 0 points."""
    flat = np.full((300, 300, 3), 128, np.uint8)
    geometry = ProxyGeometry(0, 0, 1.0)
    mesh = np.zeros((478, 3))
    mesh[:, 0] = np.linspace(100.0, 200.0, 478)
    mesh[:, 1] = np.concatenate([np.linspace(100.0, 200.0, 239)] * 2)
    motion = face_motion(plate_view(flat, geometry), plate_view(flat, geometry), mesh)
    assert motion.motion is None and (motion.points, motion.kept) == (0, 0)
    assert motion.reason == "optical flow found 0 textured points on the face (needs 12)"


@pytest.fixture(scope="module")
def ctx():
    return RunContext.create()


def test_a_crop_at_the_frames_size_is_cut_from_a_region_converted_ahead_that_holds_it(ctx):
    """A 300 x 200 region (under the models' 640) inside a region converted ahead is cut from
    it as it is (a pattern no conversion gives); one that is not inside it is converted."""
    frame = _frame(1000, 500)
    ahead = np.arange(400 * 600 * 3, dtype=np.uint64).reshape(400, 600, 3) % 251
    ready = ((Box(50, 20, 650, 420), ahead.astype(np.uint8)),)
    crop = _crop(frame, Box(100, 50, 400, 250), "ACEScg", ctx, True, ready)
    assert crop.scale == 1.0 and crop.region == Box(100, 50, 400, 250)
    assert np.array_equal(crop.image, ahead[30:230, 50:350])
    outside = _crop(frame, Box(600, 50, 900, 250), "ACEScg", ctx, True, ready)
    assert outside.scale == 1.0 and outside.image.shape == (200, 300, 3)
    assert not np.array_equal(outside.image[:, :50], ahead[30:230, 550:600])


def test_a_crop_larger_than_the_models_read_is_made_smaller_though_converted_ahead(ctx):
    """An 800 x 400 region is made 640 x 320 (scale 0.8), even inside a region converted
    ahead at the frame's size."""
    frame = _frame(1000, 500)
    ready = ((Box(0, 0, 1000, 500), np.zeros((500, 1000, 3), np.uint8)),)
    crop = _crop(frame, Box(100, 50, 900, 450), "ACEScg", ctx, True, ready)
    assert crop.scale == 0.8 and crop.image.shape == (320, 640, 3)
    assert crop.image.any()


@pytest.mark.parametrize("hull", [
    # wide and low (its spacing, 100 / 25 = 4 px, from its height), tall and narrow, a
    # triangle against the picture's bottom edge
    [(150.0, 50.0), (350.0, 50.0), (350.0, 150.0), (150.0, 150.0)],
    [(300.0, 40.0), (360.0, 40.0), (360.0, 300.0), (300.0, 300.0)],
    [(60.0, 359.0), (200.0, 250.0), (260.0, 359.0)],
])
def test_a_faces_corners_are_those_the_whole_picture_gives_inside_its_outline(hull):
    """Shi-Tomasi corners measured on the hull's box are the ones measured on the whole
    picture under the hull's mask, at a spacing of a 25th of the hull's smaller side (at
    least 2 px)."""
    grey = cv2.cvtColor(_texture(6), cv2.COLOR_RGB2GRAY)
    hull = np.array(hull)
    mask = np.zeros_like(grey)
    cv2.fillConvexPoly(mask, np.round(hull).astype(np.int32), 255)
    size = hull.max(axis=0) - hull.min(axis=0)
    expected = cv2.goodFeaturesToTrack(grey, maxCorners=300, qualityLevel=0.005,
                                       minDistance=max(2.0, size.min() / 25.0), mask=mask,
                                       blockSize=5).reshape(-1, 2)
    found = _corners(grey, hull)
    assert found is not None and found.shape == (len(expected), 1, 2)
    assert np.array_equal(found.reshape(-1, 2), expected)


def test_the_grey_is_converted_a_tile_at_a_time_once():
    """Asked for a box, the lazy view converts the 32-pixel tiles that hold it (the box
    (40, 40, 90, 70): tiles from 32 to 96 across and down, 64 x 64 pixels), to the values the
    whole picture converted gives; asked again, or for a box inside them, it converts
    nothing; asked for all, the rectangle of tiles left (here the whole picture)."""
    linear = np.random.default_rng(2).random((200, 300, 3)).astype(np.float32)
    converted: list[tuple[int, int]] = []

    def convert(rgb):
        converted.append(rgb.shape[:2])
        return (rgb * 255).astype(np.uint8)

    view = lazy_plate_view(linear, ProxyGeometry(0, 0, 1.0), convert, linear[::4, ::4])
    whole = cv2.cvtColor((linear * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    converted.clear()
    grey = view.grey((40.0, 40.0, 90.0, 70.0))
    assert converted == [(64, 64)]
    assert np.array_equal(grey[32:96, 32:96], whole[32:96, 32:96])
    assert not grey[:32].any() and not grey[96:].any() and not grey[:, 96:].any()
    view.grey((40.0, 40.0, 90.0, 70.0))
    view.grey((33.0, 33.0, 94.0, 94.0))
    assert converted == [(64, 64)]
    assert np.array_equal(view.grey(), whole)
    # the rows and columns holding a tile not yet converted: all of them
    assert converted == [(64, 64), (200, 300)]


@pytest.mark.parametrize("hull", [
    [(100.0, 50.0), (105.0, 50.0), (105.0, 150.0), (100.0, 150.0)],  # 5 px wide
    [(100.0, 50.0), (200.0, 50.0), (200.0, 57.0), (100.0, 57.0)],  # 7 px high
])
def test_a_face_narrower_or_lower_than_8_proxy_pixels_has_no_corners(hull):
    grey = cv2.cvtColor(_texture(6), cv2.COLOR_RGB2GRAY)
    assert _corners(grey, np.array(hull)) is None
    wider = np.array(hull) + np.array([[0, 0], [4, 0], [4, 4], [0, 4]])  # 9 and 11 px
    assert _corners(grey, wider) is not None


def _to8(rgb: np.ndarray) -> np.ndarray:
    return (np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


@pytest.mark.parametrize(("height", "width", "side", "expected"), [
    (400, 600, 200, (200, 300)),  # made smaller: its short side 200
    (400, 600, 400, (400, 600)),  # already that size
    (100, 150, 400, (100, 150)),  # smaller than the detector reads: never made larger
    (100, 150, None, (100, 150)),  # a detector that reads the whole picture
])
def test_the_detector_reads_the_proxy_made_smaller_to_its_side_never_larger(height, width, side,
                                                                           expected):
    proxy = np.random.default_rng(1).random((height, width, 3)).astype(np.float32)
    assert detector_image(proxy, side, _to8).shape == (*expected, 3)


def _mesh(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """478 points filling the box (x0, y0, x1, y1), two of them on its corners."""
    points = np.random.default_rng(3).uniform((x0, y0, 0.0), (x1, y1, 1.0), (478, 3))
    points[0, :2], points[1, :2] = (x0, y0), (x1, y1)
    return points


def test_a_followed_faces_crop_is_converted_ahead_only_when_it_will_be_read_at_full_size():
    """A face at most 320 px (its crop, twice its size, at most the models' 640) has the
    region around it (0.6 of its size each side, inside the frame) converted ahead, the
    values a conversion of those pixels gives; a larger one has none."""
    frame = _frame(1000, 700)
    plate = PlateRead(frame, 0, frame.pixels)
    ready = prepare_plate(plate, None, _to8, [_mesh(200.0, 150.0, 300.0, 270.0)]).ready
    assert [box for box, _ in ready] == [Box(140, 78, 360, 342)]
    assert np.array_equal(ready[0][1], _to8(frame.pixels[78:342, 140:360]))
    edge = prepare_plate(plate, None, _to8, [_mesh(20.0, 100.0, 340.0, 300.0)]).ready
    assert [box for box, _ in edge] == [Box(0, 0, 532, 420)]  # 320 wide, cut by the frame
    assert prepare_plate(plate, None, _to8, [_mesh(20.0, 100.0, 341.0, 300.0)]).ready == ()


def test_a_tall_lazy_views_grey_is_the_whole_pictures():
    """A picture taller than wide (300 x 100), converted on demand, all of it asked for: the
    grey of the whole picture converted, its last rows too."""
    linear = np.random.default_rng(4).random((300, 100, 3)).astype(np.float32)
    view = lazy_plate_view(linear, ProxyGeometry(0, 0, 1.0), _to8, linear[::4, ::4])
    view.grey((10.0, 250.0, 60.0, 290.0))
    assert np.array_equal(view.grey(), cv2.cvtColor(_to8(linear), cv2.COLOR_RGB2GRAY))


def test_a_view_of_a_frame_read_in_part_gives_only_the_rows_read():
    """Rows 32-64 of a 100 x 60 proxy read: a box inside them (past the picture's sides too)
    is covered and converted as the whole picture would be; one reaching a row outside them,
    or the whole picture, is not: asking for it raises. A frame read whole covers all."""
    from faceplate.pipeline.analyse.flow import Uncovered

    linear = np.random.default_rng(9).random((100, 60, 3)).astype(np.float32)
    view = lazy_plate_view(linear, ProxyGeometry(0, 0, 1.0), _to8, None, None, (32, 64))
    assert view.thumb is None and view.rows == (32, 64)
    assert view.covers((0.0, 32.0, 60.0, 64.0)) and view.covers((-10.0, 40.0, 70.0, 50.0))
    assert not view.covers((0.0, 31.5, 60.0, 50.0))
    assert not view.covers((0.0, 40.0, 60.0, 64.5))
    grey = view.grey((5.0, 33.0, 40.0, 63.0))
    expected = cv2.cvtColor(_to8(linear), cv2.COLOR_RGB2GRAY)
    assert np.array_equal(grey[32:64], expected[32:64])
    for box in ((0.0, 20.0, 10.0, 40.0), None):
        with pytest.raises(Uncovered):
            view.grey(box)
    whole = lazy_plate_view(linear, ProxyGeometry(0, 0, 1.0), _to8, None)
    assert whole.covers((0.0, -5.0, 60.0, 200.0))
    assert np.array_equal(whole.grey(), expected)


def _face_spanning(y0: float, y1: float, motion: list[float] | None):
    """A followed face whose mesh's points span rows ``y0``-``y1`` (and columns 100-200),
    its irises (the last 10) inside."""
    from faceplate.pipeline.stage_files.analysis import FaceObservation
    mesh = np.zeros((478, 3))
    mesh[:468, 0] = np.linspace(100.0, 200.0, 468)
    mesh[:468, 1] = np.linspace(y0, y1, 468)
    mesh[468:, :2] = (150.0, (y0 + y1) / 2)
    return FaceObservation(bbox=[100.0, y0, 200.0, y1], score=1.0, landmarks=mesh,
                           descriptor=None, pose=[0.0, 0.0, 0.0], motion=motion)


@pytest.mark.parametrize(("faces", "scale", "gap", "rows"), [
    # a 300-row face moving 3 rows a frame, read 2 frames on (room 2 x (2 x 3 + 2) + 2 = 18):
    # its crop (half its height around it, 1 more) reaches past the flow's 112
    ([(100.0, 400.0, [1.0, 0.0, 0.0, 3.0])], 1.0, 2, (100 - 150 - 18 - 1, 400 + 150 + 18 + 1)),
    # a 100-row face: the flow's reach (112 + 18) reaches further than its crop (50 + 19)
    ([(100.0, 200.0, [1.0, 0.0, 0.0, 3.0])], 1.0, 2, (100 - 112 - 18, 200 + 112 + 18)),
    # no move measured, one frame on: room 1 x 2 + 2 = 4; the proxy at half size: reach 224
    ([(100.0, 200.0, None)], 0.5, 1, (100 - 224 - 4, 200 + 224 + 4)),
    # two faces: the rows both need
    ([(100.0, 200.0, None), (500.0, 560.0, None)], 1.0, 1, (100 - 112 - 4, 560 + 112 + 4)),
])
def test_a_followed_frame_is_read_in_the_rows_its_faces_crops_and_flow_need(faces, scale, gap,
                                                                             rows):
    from faceplate.pipeline.analyse.stage import rows_wanted

    observed = [_face_spanning(*face) for face in faces]
    assert rows_wanted(observed, ProxyGeometry(0, 0, scale), gap) == pytest.approx(rows)


def _thumb_pair(change) -> tuple[PlateView, PlateView]:
    """Two thumbnails (96 x 54): a low-contrast picture (levels 100 +- 10, standard deviation
    10) and ``change`` of it, as views."""
    rng = np.random.default_rng(0)
    blur = cv2.GaussianBlur(rng.random((54, 96)), (0, 0), 2)
    picture = np.round(100 + (blur - blur.mean()) / blur.std() * 10)
    signs = np.kron(np.where(rng.random((7, 12)) < 0.5, -1.0, 1.0), np.ones((8, 8)))[:54, :96]
    none = np.zeros((0, 0), np.uint8)
    return (PlateView(none, picture, ProxyGeometry(0, 0, 1.0)),
            PlateView(none, change(picture, signs), ProxyGeometry(0, 0, 1.0)))


@pytest.mark.parametrize(("levels", "cut"), [(9.5, False), (10.5, True)])
def test_a_cut_differs_by_more_than_10_levels(levels, cut):
    """The picture, and it with 8-pixel blocks made ``levels`` lighter or darker at random
    (correlation about 0.7): a cut only past 10 levels apart (the sub-pixel shift phase
    correlation finds between them takes under half a level off)."""
    assert cut_between(*_thumb_pair(lambda p, s: p + levels * s)) is cut


@pytest.mark.parametrize(("noise", "cut"), [(5.0, False), (7.0, True)])
def test_a_cut_correlates_less_than_0_85(noise, cut):
    """The picture made 15 levels lighter (past the levels) with blocks of +-``noise``: its
    correlation with the picture 10 / sqrt(100 + noise^2), 0.89 (no cut) or 0.82 (a cut)."""
    assert cut_between(*_thumb_pair(lambda p, s: p + 15 + noise * s)) is cut


def test_a_vertex_on_a_flat_field_can_be_refused_only_by_the_forward_backward_check():
    """A textured patch moves 10 px right over a flat grey field. The patch's own vertices are
    measured (10, 0). The field has nothing to measure: the dense flow there is the patch's
    smeared out, forward one way and backward another, and the plate moved by it matches
    everywhere (flat), so only the forward-backward check can refuse those vertices: it
    refuses some of them (NaN), and never one on the patch."""
    h, w = 240, 320
    rng = np.random.default_rng(1)
    texture = cv2.cvtColor(_texture(5, (h, w)), cv2.COLOR_RGB2GRAY)
    before = np.full((h, w), 128, np.uint8)
    after = before.copy()
    before[90:150, 100:160] = texture[90:150, 100:160]
    after[90:150, 110:170] = texture[90:150, 100:160]
    points = np.column_stack([rng.uniform(80, 240, 400), rng.uniform(60, 180, 400)])
    geometry = ProxyGeometry(0, 0, 1.0)
    found = vertex_motion(plate_view(np.dstack([before] * 3), geometry),
                          plate_view(np.dstack([after] * 3), geometry), points)
    on_patch = ((points[:, 0] > 105) & (points[:, 0] < 155) & (points[:, 1] > 95)
                & (points[:, 1] < 145))
    assert np.abs(found[on_patch] - (10.0, 0.0)).max() < 0.2
    refused = np.isnan(found).any(axis=1)
    assert refused[~on_patch].sum() >= 20, refused[~on_patch].sum()


def test_a_faces_skin_measured_on_its_box_is_the_skin_measured_on_the_whole_picture():
    """The canonical mesh laid on a noise picture (at fractional pixels, its chin 40 rows above
    the bottom): the skin statistics measured on the mesh's box alone are those of the whole
    picture."""
    canonical = np.load(LAYOUT_FILE)["canonical"]
    xy = canonical[:, :2]
    xy = (xy - xy.min(axis=0)) / (xy.max(axis=0) - xy.min(axis=0)) * (180, 220) + (100.3, 60.7)
    mesh = np.column_stack([xy, canonical[:, 2]])
    image = (np.random.default_rng(0).random((320, 400, 3)) * 255).astype(np.uint8)
    measured = _skin(image, mesh)
    whole = face_skin_statistics(image.astype(np.float32) / 255.0, mesh)
    assert measured is not None and whole is not None
    assert measured.as_list() == whole.as_list()


def test_the_skin_statistics_first_use_is_built_before_the_first_face():
    """A fresh process: `prepare_skin_statistics` builds the skin triangles the first face's
    statistics would (analysis calls it while its first frame is read)."""
    code = ("from faceplate.face.regions import skin_triangles\n"
            "from faceplate.face.swapper import prepare_skin_statistics\n"
            "print(skin_triangles.cache_info().currsize)\n"
            "prepare_skin_statistics()\n"
            "print(skin_triangles.cache_info().currsize)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["0", "1"]
