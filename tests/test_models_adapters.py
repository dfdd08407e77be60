"""Adapters run tiny ONNX models (built with onnx.helper) through onnxruntime; the models compute
something known, so alignment, normalisation, emap handling, paste-back and masks are checked
numerically."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from conftest import save_onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from faceplate.models.adapters import adapter_for  # noqa: E402
from faceplate.models.align import TEMPLATES, estimate_affine, paste_back, warp_face  # noqa: E402
from faceplate.models.detectors import decode_scrfd  # noqa: E402
from faceplate.models.manifest import load_manifest  # noqa: E402
from faceplate.models.masks import box_matte, combine  # noqa: E402
from faceplate.models.policy import LicencePolicy  # noqa: E402
from faceplate.models.runtime import ModelRegistry, RuntimeOptions  # noqa: E402

F = TensorProto.FLOAT


_save = save_onnx


def _registry(tmp_path: Path, **overrides) -> ModelRegistry:
    manifest = load_manifest()
    for model_id, changes in overrides.items():
        manifest[model_id] = dataclasses.replace(manifest[model_id], **changes)
    # These tests are about the adapters, not licences: every model is allowed by name.
    return ModelRegistry(manifest, model_dirs=[tmp_path],
                         options=RuntimeOptions(providers=("cpu",)),
                         policy=LicencePolicy(allow_models=tuple(manifest)))


def _swapper_model(path: Path, size: int, emap: np.ndarray | None) -> None:
    """output = target + source[:, 0] (broadcast); an unused emap initializer comes last."""
    inits = [numpy_helper.from_array(np.array([0], np.int64), "idx"),
             numpy_helper.from_array(np.array([-1, 1, 1, 1], np.int64), "shape")]
    if emap is not None:
        inits.append(numpy_helper.from_array(emap, "emap"))
    nodes = [helper.make_node("Gather", ["source", "idx"], ["s0"], axis=1),
             helper.make_node("Reshape", ["s0", "shape"], ["s4"]),
             helper.make_node("Add", ["target", "s4"], ["output"])]
    _save(path, nodes,
          [helper.make_tensor_value_info("target", F, ["N", 3, size, size]),
           helper.make_tensor_value_info("source", F, ["N", 512])],
          [helper.make_tensor_value_info("output", F, ["N", 3, size, size])], inits)


def _face_points(scale: float, angle: float, shift: tuple[float, float], template: str, size: int):
    """Five frame points whose alignment onto ``template`` is the known inverse of this
    similarity."""
    a = np.deg2rad(angle)
    rot = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return TEMPLATES[template] * size @ rot.T + np.asarray(shift), rot, np.asarray(shift)


def _frame(h=240, w=320, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.random((h // 8, w // 8, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def test_alignment_recovers_the_known_similarity():
    pts, rot, shift = _face_points(1.7, 12.0, (60.0, 40.0), "arcface_128", 128)
    m = estimate_affine(pts, "arcface_128", 128)
    inv = np.linalg.inv(rot)
    np.testing.assert_allclose(m[:, :2], inv, atol=1e-6)
    np.testing.assert_allclose(m[:, 2], -inv @ shift, atol=1e-4)


def test_paste_back_puts_the_crop_where_the_face_was_and_leaves_the_rest():
    frame = _frame()
    pts, _, _ = _face_points(1.2, -8.0, (90.0, 60.0), "arcface_128", 128)
    crop, m = warp_face(frame, pts, "arcface_128", 128)
    colour = np.float32([0.9, 0.1, 0.4])
    out = paste_back(frame, np.broadcast_to(colour, crop.shape), np.ones((128, 128), np.float32), m)
    centre = cv2.invertAffineTransform(m) @ np.array([64, 64, 1.0])
    np.testing.assert_allclose(out[int(centre[1]), int(centre[0])], colour, atol=1e-5)
    np.testing.assert_array_equal(out[0:5, 0:5], frame[0:5, 0:5])
    # a zero matte is the frame exactly
    np.testing.assert_array_equal(paste_back(frame, crop, np.zeros((128, 128), np.float32), m),
                                  frame)


def test_inswapper_reads_emap_from_the_last_initializer(tmp_path):
    rng = np.random.default_rng(1)
    emap = rng.normal(size=(512, 512)).astype(np.float32)
    _swapper_model(tmp_path / "inswapper_128.onnx", 128, emap)
    swapper = adapter_for(_registry(tmp_path), "inswapper_128")
    frame = _frame()
    pts = [_face_points(1.0, 5.0, (80.0, 50.0), "arcface_128", 128)[0],
           _face_points(0.8, -5.0, (150.0, 90.0), "arcface_128", 128)[0]]
    embedding = rng.normal(size=512).astype(np.float32) * 3.0
    faces = swapper.swap(frame, pts, embedding)
    expected_offset = (embedding @ emap / np.linalg.norm(embedding))[0]
    assert len(faces) == 2 and swapper.session.batched("target")
    for face, p in zip(faces, pts):
        crop, m = warp_face(frame, p, "arcface_128", 128)
        np.testing.assert_allclose(face.matrix, m)
        np.testing.assert_allclose(face.crop, np.clip(crop + expected_offset, 0, 1), atol=1e-5)


@pytest.mark.parametrize("model_id, size", [("hyperswap_1a_256", 256), ("ghost_1_256", 256),
                                            ("simswap_256", 256)])
def test_swapper_normalisation_variants(tmp_path, model_id, size):
    _swapper_model(tmp_path / f"{model_id}.onnx", size, None)
    swapper = adapter_for(_registry(tmp_path), model_id)
    entry = swapper.entry
    frame = _frame(seed=2)
    pts = _face_points(1.1, 0.0, (70.0, 30.0), entry.template, size)[0]
    embedding = np.linspace(-1, 1, 512).astype(np.float32)
    face = swapper.swap(frame, [pts], embedding)[0]
    crop, _ = warp_face(frame, pts, entry.template, size)
    mean, std = np.float32(entry.mean), np.float32(entry.std)
    normalised = (crop - mean) / std
    if entry.extra["source_embedding"] == "l2":
        src0 = embedding[0] / np.linalg.norm(embedding)
    else:
        src0 = embedding[0]
    if entry.extra["output"] == "denorm":
        expected = (normalised + src0) * std + mean
    else:
        expected = normalised + src0
    np.testing.assert_allclose(face.crop, np.clip(expected, 0, 1), atol=1e-5)


def test_arcface_normalisation_and_batching(tmp_path):
    nodes = [helper.make_node("GlobalAveragePool", ["input"], ["p"]),
             helper.make_node("Flatten", ["p"], ["output"])]
    _save(tmp_path / "arcface_w600k_r50.onnx", nodes,
          [helper.make_tensor_value_info("input", F, ["N", 3, 112, 112])],
          [helper.make_tensor_value_info("output", F, ["N", 3])])
    entry = load_manifest()["arcface_w600k_r50"]  # a 3-d stand-in for the 512-d embedding
    rec = adapter_for(_registry(tmp_path, arcface_w600k_r50={"extra": {**entry.extra,
                                                                       "outputs": 3}}),
                      "arcface_w600k_r50")
    frame = np.broadcast_to(np.float32([0.2, 0.5, 0.8]), (200, 200, 3)).copy()
    pts = [_face_points(1.0, a, (40.0, 40.0), "arcface_112_v2", 112)[0] for a in (0, 10, -10)]
    out = rec.embed(frame, pts)
    assert len(out) == 3
    for e in out:
        np.testing.assert_allclose(e, np.float32([0.2, 0.5, 0.8]) * 255 / 127.5 - 1, atol=1e-4)


def test_enhancer_blend_and_codeformer_weight(tmp_path):
    # output = target * 0 + weight: a fixed colour chosen by the weight input
    nodes = [helper.make_node("Cast", ["weight"], ["wf"], to=F),
             helper.make_node("Mul", ["input", "zero"], ["z"]),
             helper.make_node("Add", ["z", "wf"], ["output"])]
    _save(tmp_path / "codeformer.onnx", nodes,
          [helper.make_tensor_value_info("input", F, ["N", 3, 512, 512]),
           helper.make_tensor_value_info("weight", TensorProto.DOUBLE, [1])],
          [helper.make_tensor_value_info("output", F, ["N", 3, 512, 512])],
          [numpy_helper.from_array(np.zeros(1, np.float32), "zero")])
    enh = adapter_for(_registry(tmp_path), "codeformer")
    enh.fidelity = 0.5            # enhancer output 0.5 in [-1, 1] is 0.75 in 0..1
    frame = _frame(400, 400, seed=3)
    pts = _face_points(0.6, 0.0, (40.0, 40.0), "ffhq_512", 512)[0]
    face = enh.enhance(frame, [pts], blend=0.25)[0]
    crop, _ = warp_face(frame, pts, "ffhq_512", 512)
    np.testing.assert_allclose(face.crop, crop * 0.75 + 0.75 * 0.25, atol=1e-5)


def test_xseg_reads_nhwc_bgr(tmp_path):
    nodes = [helper.make_node("Gather", ["input", "idx"], ["output"], axis=3)]
    _save(tmp_path / "xseg_1.onnx", nodes,
          [helper.make_tensor_value_info("input", F, ["N", 256, 256, 3])],
          [helper.make_tensor_value_info("output", F, ["N", 256, 256, 1])],
          [numpy_helper.from_array(np.array([0], np.int64), "idx")])
    masker = adapter_for(_registry(tmp_path), "xseg_1")
    crop = np.broadcast_to(np.float32([0.9, 0.1, 0.3]), (128, 128, 3)).copy()
    (matte,) = masker.mask([crop])
    assert matte.shape == (128, 128)
    np.testing.assert_allclose(matte, 0.3, atol=1e-5)  # channel 0 of BGR is blue


def test_bisenet_selects_regions(tmp_path):
    w = np.zeros((19, 3, 1, 1), np.float32)
    w[1, 0] = 1.0   # skin scores the red channel
    w[10, 1] = 1.0  # nose scores the green channel
    nodes = [helper.make_node("Conv", ["input", "w"], ["output"])]
    _save(tmp_path / "bisenet_resnet_34.onnx", nodes,
          [helper.make_tensor_value_info("input", F, ["N", 3, 512, 512])],
          [helper.make_tensor_value_info("output", F, ["N", 19, 512, 512])],
          [numpy_helper.from_array(w, "w")])
    masker = adapter_for(_registry(tmp_path), "bisenet_resnet_34")
    crop = np.zeros((64, 64, 3), np.float32)
    crop[:, :32, 0] = 1.0
    crop[:, 32:, 1] = 1.0
    skin = masker.select(["skin"]).mask([crop])[0]
    nose = masker.select(["nose"]).mask([crop])[0]
    assert skin[:, :28].min() == 1.0 and skin[:, 36:].max() == 0.0
    assert nose[:, 36:].min() == 1.0 and nose[:, :28].max() == 0.0


def test_mattes_combine_by_minimum():
    box = box_matte(64, 0.3)
    occ = np.ones((64, 64), np.float32)
    occ[:, :32] = 0.25
    out = combine(box, occ)
    np.testing.assert_array_equal(out, np.minimum(box, occ))
    assert out[32, 10] == pytest.approx(min(box[32, 10], 0.25)) and out[32, 40] == box[32, 40]


def _scrfd_outputs(size: int, cell: tuple[int, int], stride: int, d: np.ndarray, kps: np.ndarray):
    outs_scores, outs_box, outs_kps = [], [], []
    for s in (8, 16, 32):
        n = (size // s) ** 2 * 2
        sc, bx = np.zeros((n, 1), np.float32), np.zeros((n, 4), np.float32)
        kp = np.zeros((n, 10), np.float32)
        if s == stride:
            i = (cell[1] * (size // s) + cell[0]) * 2 + 1   # second anchor of that cell
            sc[i], bx[i], kp[i] = 0.9, d, kps
        outs_scores.append(sc), outs_box.append(bx), outs_kps.append(kp)
    return outs_scores + outs_box + outs_kps


def test_scrfd_decoding():
    d = np.float32([1.0, 2.0, 3.0, 4.0])
    kps = np.arange(10, dtype=np.float32) / 10
    boxes, scores, points = decode_scrfd(_scrfd_outputs(160, (3, 2), 16, d, kps), 160, (8, 16, 32),
                                         2, 0.5)
    centre = np.float32([3 * 16, 2 * 16])
    np.testing.assert_allclose(boxes[0], [48 - 16, 32 - 32, 48 + 48, 32 + 64])
    np.testing.assert_allclose(points[0], kps.reshape(5, 2) * 16 + centre)
    assert scores.tolist() == pytest.approx([0.9])


@pytest.mark.parametrize("extra", [None, {}])
def test_scrfd_detector_maps_back_to_frame_pixels(tmp_path, extra):
    """With the manifest's strides and anchors, and without them (8, 16, 32 and 2 a cell)."""
    size = 160
    outs = _scrfd_outputs(size, (3, 2), 16, np.float32([1, 1, 1, 1]), np.zeros(10, np.float32))
    names = [f"o{i}" for i in range(9)]
    nodes = [helper.make_node("Constant", [], [n], value=numpy_helper.from_array(o, n + "_v"))
             for n, o in zip(names, outs)]
    _save(tmp_path / "scrfd_2.5g.onnx", nodes,
          [helper.make_tensor_value_info("input", F, [1, 3, size, size])],
          [helper.make_tensor_value_info(n, F, list(o.shape)) for n, o in zip(names, outs)])
    changes = {"size": size} if extra is None else {"size": size, "extra": extra}
    det = adapter_for(_registry(tmp_path, **{"scrfd_2.5g": changes}), "scrfd_2.5g")
    faces = det.detect(np.zeros((320, 640, 3), np.float32))   # ratio 0.25
    assert len(faces) == 1
    np.testing.assert_allclose(faces[0].box, np.float32([32, 16, 64, 48]) * 4)
    np.testing.assert_allclose(faces[0].points, np.tile([48.0, 32.0], (5, 1)) * 4)


def _constant_model(path: Path, outputs: list[np.ndarray], input_shape: list) -> None:
    """A model whose outputs are fixed arrays, whatever its input."""
    names = [f"o{i}" for i in range(len(outputs))]
    nodes = [helper.make_node("Constant", [], [n], value=numpy_helper.from_array(o, n + "_v"))
             for n, o in zip(names, outputs)]
    _save(path, nodes, [helper.make_tensor_value_info("input", F, input_shape)],
          [helper.make_tensor_value_info(n, F, list(o.shape)) for n, o in zip(names, outputs)])


def test_yoloface_rows_decode_to_frame_pixels(tmp_path):
    size, anchors = 160, 50
    rows = np.zeros((20, anchors), np.float32)
    points = np.float32([[50, 40], [70, 40], [60, 50], [52, 60], [68, 60]])
    rows[:, 7] = [60, 50, 40, 60, 0.8, *np.concatenate([points, np.ones((5, 1))], 1).reshape(-1)]
    rows[:, 9] = [10, 10, 8, 8, 0.3] + [0] * 15          # below the threshold
    _constant_model(tmp_path / "yoloface_8n.onnx", [rows[None]], [1, 3, size, size])
    det = adapter_for(_registry(tmp_path, yoloface_8n={"size": size}), "yoloface_8n")
    faces = det.detect(np.zeros((80, 320, 3), np.float32), threshold=0.5)   # ratio 0.5
    assert len(faces) == 1 and faces[0].score == pytest.approx(0.8)
    np.testing.assert_allclose(faces[0].box, np.float32([40, 20, 80, 80]) * 2)
    np.testing.assert_allclose(faces[0].points, points * 2)


def _yunet_outputs(size: int, stride: int, cell: tuple[int, int], cls: float, obj: float,
                   d: np.ndarray, kps: np.ndarray) -> list[np.ndarray]:
    per_stride = {"cls": [], "obj": [], "bbox": [], "kps": []}
    for s in (8, 16, 32):
        n = (size // s) ** 2
        arrays = {"cls": np.zeros((1, n, 1), np.float32), "obj": np.zeros((1, n, 1), np.float32),
                  "bbox": np.zeros((1, n, 4), np.float32), "kps": np.zeros((1, n, 10), np.float32)}
        if s == stride:
            i = cell[1] * (size // s) + cell[0]
            arrays["cls"][0, i], arrays["obj"][0, i] = cls, obj
            arrays["bbox"][0, i], arrays["kps"][0, i] = d, kps
        for key, value in arrays.items():
            per_stride[key].append(value)
    return [o for key in ("cls", "obj", "bbox", "kps") for o in per_stride[key]]


@pytest.mark.parametrize("cls, obj, found", [(0.9, 0.8, True), (0.9, 0.5, False)])
def test_yunet_scores_are_class_times_object_and_boxes_grow_by_exp(tmp_path, cls, obj, found):
    size = 160
    d = np.float32([0.5, -0.25, np.log(2.0), np.log(3.0)])
    kps = np.arange(10, dtype=np.float32) / 10
    outs = _yunet_outputs(size, 16, (4, 3), cls, obj, d, kps)
    _constant_model(tmp_path / "yunet_2023_mar.onnx", outs, [1, 3, size, size])
    det = adapter_for(_registry(tmp_path, yunet_2023_mar={"size": size}), "yunet_2023_mar")
    faces = det.detect(np.zeros((size, size, 3), np.float32), threshold=0.6)
    assert bool(faces) == found
    if found:
        anchor = np.float32([4 * 16, 3 * 16])
        centre = anchor + d[:2] * 16
        half = np.float32([2 * 16, 3 * 16]) / 2
        assert faces[0].score == pytest.approx(cls * obj)
        np.testing.assert_allclose(faces[0].box, np.concatenate([centre - half, centre + half]),
                                   rtol=1e-5)
        np.testing.assert_allclose(faces[0].points, kps.reshape(5, 2) * 16 + anchor, rtol=1e-5)


def test_2dfan4_crops_the_box_at_195_and_maps_heatmap_points_back(tmp_path):
    marks = np.random.default_rng(3).uniform(8, 56, size=(1, 68, 3)).astype(np.float32)
    heat = np.zeros((1, 68, 64, 64), np.float32)
    _constant_model(tmp_path / "2dfan4.onnx", [marks, heat], [1, 3, 256, 256])
    lm = adapter_for(_registry(tmp_path), "2dfan4")
    frame = np.zeros((300, 400, 3), np.float32)
    box = (120.0, 60.0, 220.0, 210.0)           # 100 × 150: scale 195/150 = 1.3
    frame[60:210, 120:220] = 1.0
    crop, matrix = lm.crop(frame, box)
    inside = np.argwhere(crop[..., 0] > 0.5)
    # rows: box height
    assert (inside.max(0) - inside.min(0) + 1)[0] == pytest.approx(195, abs=1)
    assert crop[128, 128, 0] == 1.0 and crop[2, 2, 0] == 0.0                         # box centred
    points = lm.landmarks(frame, [box])[0]
    expected_crop = marks[0, :, :2] * 4.0
    np.testing.assert_allclose(points * 1.3 + matrix[:, 2], expected_crop, atol=1e-4)


def test_crossface_converter_feeds_simswap_its_own_identity_space(tmp_path):
    weights = np.random.default_rng(5).normal(size=(512, 512)).astype(np.float32)
    _save(tmp_path / "crossface_simswap.onnx",
          [helper.make_node("MatMul", ["input", "w"], ["output"])],
          [helper.make_tensor_value_info("input", F, [1, 512])],
          [helper.make_tensor_value_info("output", F, [1, 512])],
          [numpy_helper.from_array(weights, "w")])
    registry = _registry(tmp_path)
    converter_id = registry.entry("simswap_256").extra["converter"]
    assert converter_id == "crossface_simswap" and \
        registry.entry("ghost_1_256").extra["converter"] == "crossface_ghost"
    e = np.random.default_rng(6).normal(size=512).astype(np.float32)
    converted = adapter_for(registry, converter_id).convert(e)
    np.testing.assert_allclose(converted, e @ weights, rtol=1e-4, atol=1e-3)
    assert converted.shape == (512,) and converted.dtype == np.float32


def test_each_template_is_a_frontal_face_inside_its_crop():
    """The five points (left eye, right eye, nose tip, left and right mouth corner) of every
    template lie inside the unit crop, eyes level and mirrored about the middle, the nose
    between and below them and the mouth corners below the nose."""
    assert set(TEMPLATES) == {"arcface_112_v1", "arcface_112_v2", "arcface_128", "ffhq_512",
                              "mtcnn_512"}
    for name, points in TEMPLATES.items():
        (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = points
        assert ((points > 0.2) & (points < 0.9)).all(), name
        assert lx < nx < rx and mlx < nx < mrx, name
        assert abs(ly - ry) < 0.01 and abs(mly - mry) < 0.01, name
        assert max(ly, ry) < ny < min(mly, mry), name
        for left, right in ((lx, rx), (mlx, mrx)):
            assert (left + right) / 2 == pytest.approx(0.5, abs=0.01), name
        assert nx == pytest.approx(0.5, abs=0.01), name


def test_the_pipelines_score_scale_and_the_detector_floor_it_means():
    from faceplate.models.scores import score_floor, to_pipeline_score
    # (s − 0.5)·4: 0.5 is dlib's usual detection (0), 0.375 the weak limit (−0.5)
    assert [to_pipeline_score(s) for s in (0.5, 0.375, 0.9, 1.0)] == pytest.approx(
        [0.0, -0.5, 1.6, 2.0])
    # and back: 0.5 + t/4, kept inside 0.02..0.98
    assert [score_floor(t) for t in (0.0, -0.5, 1.0, -1.92, 1.92)] == pytest.approx(
        [0.5, 0.375, 0.75, 0.02, 0.98])
    assert [score_floor(t) for t in (-2.0, -10.0, 2.0, 10.0)] == pytest.approx(
        [0.02, 0.02, 0.98, 0.98])


def test_a_box_matte_is_feathered_by_its_sigma_and_a_blur_of_0_is_a_hard_box():
    hard = np.zeros((16, 16), np.float32)
    hard[1:15, 1:15] = 1.0                     # at least a pixel of border
    np.testing.assert_array_equal(box_matte(16, 0.0), hard)
    # 128 at blur 0.5: sigma 0.25·0.5·128·0.5 = 8, the box from pixel 8 to 119 (edge at 7.5);
    # OpenCV's border reflects about pixel 0, so the box's mirror (edge at −7.5) adds its tail.
    matte = box_matte(128, 0.5)
    from math import erf, sqrt

    def phi(z: float) -> float:
        return (1 + erf(z / sqrt(2))) / 2
    row = matte[64]
    for x in (0, 4, 8, 12, 16, 24, 32):
        expected = phi((x - 7.5) / 8) + 1 - phi((x + 7.5) / 8)
        assert row[x] == pytest.approx(expected, abs=0.005), x
    np.testing.assert_allclose(row, row[::-1], atol=1e-6)
    assert row[64] == pytest.approx(1.0, abs=1e-4)


def test_mattes_combine_clipped_to_0_1():
    over = np.full((4, 4), 1.5, np.float32)
    np.testing.assert_array_equal(combine(over, over * 2), np.ones((4, 4), np.float32))
    np.testing.assert_array_equal(combine(over, -over), np.zeros((4, 4), np.float32))


#: The BiSeNet face parser's classes (face-parsing.PyTorch on CelebAMask-HQ), in output order.
BISENET_CLASSES = ("background", "skin", "l_brow", "r_brow", "l_eye", "r_eye", "eye_g", "l_ear",
                   "r_ear", "ear_r", "nose", "mouth", "u_lip", "l_lip", "neck", "neck_l", "cloth",
                   "hair", "hat")


def test_each_face_region_keeps_its_bisenet_class(tmp_path):
    # class k scores 2·c_k·v − c_k² on the normalised red value v: the argmax is the class whose
    # c_k is nearest. c_k is the normalised red of 0, 1/18, ..., 1: band k of the crop is class k.
    reds = np.arange(19) / 18
    c = ((reds - 0.485) / 0.229).astype(np.float32)
    w = np.zeros((19, 3, 1, 1), np.float32)
    w[:, 0, 0, 0] = 2 * c
    _save(tmp_path / "bisenet_resnet_34.onnx",
          [helper.make_node("Conv", ["input", "w", "b"], ["output"])],
          [helper.make_tensor_value_info("input", F, ["N", 3, 512, 512])],
          [helper.make_tensor_value_info("output", F, ["N", 19, 512, 512])],
          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(-c * c, "b")])
    masker = adapter_for(_registry(tmp_path), "bisenet_resnet_34")
    crop = np.zeros((32, 19 * 16, 3), np.float32)
    for k, red in enumerate(reds):
        crop[:, 16 * k:16 * (k + 1), 0] = red
    names = {"skin": "skin", "left-eyebrow": "l_brow", "right-eyebrow": "r_brow",
             "left-eye": "l_eye", "right-eye": "r_eye", "glasses": "eye_g", "nose": "nose",
             "mouth": "mouth", "upper-lip": "u_lip", "lower-lip": "l_lip"}
    for region, label in names.items():
        matte = masker.select([region]).mask([crop])[0]
        bands = matte[:, 4::16]                         # well inside each band
        expected = np.zeros(19, np.float32)
        expected[BISENET_CLASSES.index(label)] = 1.0
        np.testing.assert_array_equal(bands, np.broadcast_to(expected, bands.shape), region)


def test_scrfd_decodes_several_faces_of_one_stride():
    size = 64
    outs = [np.zeros(((size // s) ** 2 * 2, width), np.float32)
            for width in (1, 4, 10) for s in (8, 16, 32)]
    # stride 8 (8 × 8 cells): anchors 2·(1·8 + 2) and 2·(5·8 + 6) + 1; stride 32: anchor 1
    for i, d in ((20, 1.0), (93, 2.0)):
        outs[0][i], outs[3][i], outs[6][i] = 0.8, d, d
    outs[2][1], outs[5][1], outs[8][1] = 0.7, 0.5, 0.0
    boxes, scores, points = decode_scrfd(outs, size, (8, 16, 32), 2, 0.5)
    np.testing.assert_allclose(scores, [0.8, 0.8, 0.7])
    centres = np.float32([[16, 8], [48, 40], [0, 0]])
    reach = np.float32([8, 16, 16])
    np.testing.assert_allclose(boxes, np.concatenate([centres - reach[:, None],
                                                      centres + reach[:, None]], 1))
    # points: the anchor plus d·stride (8, 16 and 0 here)
    np.testing.assert_allclose(points, np.stack([np.tile(p, (5, 1))
                                                 for p in ([24, 16], [64, 56], [0, 0])]))


def test_decoding_keeps_scores_at_or_above_the_threshold():
    from faceplate.models.detectors import decode_yoloface, decode_yunet
    rows = np.zeros((1, 20, 4), np.float32)
    rows[0, :5] = np.float32([[10, 20, 30, 40], [10, 20, 30, 40], [4, 4, 4, 4], [6, 6, 6, 6],
                              [0.3, 0.5, 0.8, 0.49]])
    rows[0, 5:] = np.arange(15, dtype=np.float32)[:, None]
    boxes, scores, points = decode_yoloface(rows, 0.5)
    np.testing.assert_allclose(scores, [0.5, 0.8])
    np.testing.assert_allclose(boxes, [[18, 17, 22, 23], [28, 27, 32, 33]])
    np.testing.assert_allclose(points, np.broadcast_to(np.arange(15).reshape(5, 3)[:, :2],
                                                       (2, 5, 2)))
    size = 32
    outs = _yunet_outputs(size, 16, (1, 0), 0.5, 1.0, np.zeros(4, np.float32),
                          np.zeros(10, np.float32))
    outs[0][0, 3], outs[3][0, 3] = 0.9, 0.5          # stride 8, cell (3, 0): 0.45, below
    boxes, scores, points = decode_yunet(outs, size, (8, 16, 32), 0.5)
    np.testing.assert_allclose(scores, [0.5])
    np.testing.assert_allclose(boxes, [[16 - 8, -8, 16 + 8, 8]])


def test_a_face_scored_at_the_threshold_is_found(tmp_path):
    """Decoding keeps a score at the threshold, and so does the detector's overlap check."""
    size, anchors = 160, 50
    rows = np.zeros((20, anchors), np.float32)
    rows[:, 7] = [60, 50, 40, 60, 0.5] + [0] * 15
    _constant_model(tmp_path / "yoloface_8n.onnx", [rows[None]], [1, 3, size, size])
    det = adapter_for(_registry(tmp_path, yoloface_8n={"size": size}), "yoloface_8n")
    (face,) = det.detect(np.zeros((size, size, 3), np.float32), threshold=0.5)
    assert face.score == 0.5
    assert det.detect(np.zeros((size, size, 3), np.float32), threshold=0.51) == []


def test_yunet_reads_its_default_strides_up_to_32(tmp_path):
    size = 160
    outs = _yunet_outputs(size, 32, (2, 1), 0.9, 0.9, np.zeros(4, np.float32),
                          np.zeros(10, np.float32))
    _constant_model(tmp_path / "yunet_2023_mar.onnx", outs, [1, 3, size, size])
    det = adapter_for(_registry(tmp_path, yunet_2023_mar={"size": size}), "yunet_2023_mar")
    (face,) = det.detect(np.zeros((size, size, 3), np.float32), threshold=0.5)
    np.testing.assert_allclose(face.box, [64 - 16, 32 - 16, 64 + 16, 32 + 16])
    np.testing.assert_allclose(face.points, np.tile([64.0, 32.0], (5, 1)))


def test_overlapping_detections_are_suppressed_by_their_real_boxes(tmp_path):
    """NMS at IoU 0.4 on the boxes as x, y, width, height: each pair apart in y is kept,
    whatever its x (a height taken from x would make them overlap), a pair at IoU 0.82 keeps
    the higher score, a pair at IoU 1/3 keeps both."""
    size = 160
    faces = [((0, 100, 10, 110), 0.9), ((0, 120, 10, 130), 0.85),
             ((140, 0, 150, 10), 0.8), ((140, 20, 150, 30), 0.75),
             ((40, 40, 80, 80), 0.7), ((42, 42, 82, 82), 0.65),
             ((100, 40, 130, 70), 0.6), ((115, 40, 145, 70), 0.55)]
    rows = np.zeros((20, 10), np.float32)
    for i, ((x0, y0, x1, y1), score) in enumerate(faces):
        rows[:5, i] = [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, score]
        rows[5:, i] = np.tile([x0, y1, 1], 5)
    _constant_model(tmp_path / "yoloface_8n.onnx", [rows[None]], [1, 3, size, size])
    det = adapter_for(_registry(tmp_path, yoloface_8n={"size": size}), "yoloface_8n")
    found = det.detect(np.zeros((size, size, 3), np.float32), threshold=0.5)
    kept = [f for i, f in enumerate(faces) if i != 5]
    assert [d.score for d in found] == pytest.approx([s for _, s in kept])
    np.testing.assert_allclose([d.box for d in found], [b for b, _ in kept])
    np.testing.assert_allclose([d.points for d in found],
                               [np.tile([b[0], b[3]], (5, 1)) for b, _ in kept])
