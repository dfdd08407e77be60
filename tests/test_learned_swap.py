"""A shot whose spec selects learned models (``models:``): tiny ONNX models with the real
contracts stand in for the weights, so what they compute is known and checked on the frames."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from colour_reference import srgb_encoded_to_acescg  # noqa: E402
from conftest import make_shot, read_pixels, run_cli, save_onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from faceplate.demo.build import PLATE_COLORSPACE  # noqa: E402
from faceplate.errors import LicenceRefusedError, ModelNotFoundError, SpecError  # noqa: E402
from faceplate.nodes import ShotNode  # noqa: E402
from faceplate.plateio.write import read_matte  # noqa: E402
from faceplate.spec import load_spec  # noqa: E402

F = TensorProto.FLOAT
COLOUR = np.float32([0.2, 0.6, 0.3])  # what the tiny swapper paints, working space


_save = save_onnx


def _arcface(path: Path) -> None:
    """512-d embedding from the crop's mean colour (a fixed projection)."""
    proj = np.random.default_rng(1).normal(size=(3, 512)).astype(np.float32)
    _save(path, [helper.make_node("GlobalAveragePool", ["input"], ["p"]),
                 helper.make_node("Flatten", ["p"], ["f"]),
                 helper.make_node("MatMul", ["f", "proj"], ["output"])],
          [helper.make_tensor_value_info("input", F, ["N", 3, 112, 112])],
          [helper.make_tensor_value_info("output", F, ["N", 512])],
          [numpy_helper.from_array(proj, "proj")])


def _inswapper(path: Path) -> None:
    """Paints COLOUR over the crop (source read, times zero); an emap initializer comes last."""
    colour = COLOUR.reshape(1, 3, 1, 1)
    _save(path, [helper.make_node("ReduceSum", ["source"], ["s"], keepdims=0),
                 helper.make_node("Mul", ["s", "zero"], ["s0"]),
                 helper.make_node("Mul", ["target", "zero"], ["t0"]),
                 helper.make_node("Add", ["t0", "colour"], ["c"]),
                 helper.make_node("Add", ["c", "s0"], ["output"])],
          [helper.make_tensor_value_info("target", F, ["N", 3, 128, 128]),
           helper.make_tensor_value_info("source", F, ["N", 512])],
          [helper.make_tensor_value_info("output", F, ["N", 3, 128, 128])],
          [numpy_helper.from_array(np.zeros((), np.float32), "zero"),
           numpy_helper.from_array(colour, "colour"),
           numpy_helper.from_array(np.eye(512, dtype=np.float32), "emap")])


def _xseg(path: Path, value: float) -> None:
    """An occluder that says every crop pixel is ``value`` visible."""
    _save(path, [helper.make_node("Gather", ["input", "idx"], ["g"], axis=3),
                 helper.make_node("Mul", ["g", "zero"], ["z"]),
                 helper.make_node("Add", ["z", "v"], ["output"])],
          [helper.make_tensor_value_info("input", F, ["N", 256, 256, 3])],
          [helper.make_tensor_value_info("output", F, ["N", 256, 256, 1])],
          [numpy_helper.from_array(np.array([0], np.int64), "idx"),
           numpy_helper.from_array(np.zeros((), np.float32), "zero"),
           numpy_helper.from_array(np.float32(value), "v")])


def _read(path: Path) -> np.ndarray:
    return read_pixels(path, fmt=oiio.FLOAT)


#: The non-commercial models these tests run, allowed by name as a studio would.
ALLOWED = ("arcface_w600k_r50", "inswapper_128", "simswap_256", "crossface_simswap",
           "scrfd_2.5g")


@pytest.fixture(autouse=True)
def studio_allows_the_test_models(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "studio" / "faceplate.yaml"
    config.parent.mkdir()
    config.write_text(f"allow_models: [{', '.join(ALLOWED)}]\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(config))


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    _arcface(folder / "arcface_w600k_r50.onnx")
    _inswapper(folder / "inswapper_128.onnx")
    _xseg(folder / "xseg_1.onnx", 0.0)
    return folder


def _models(model_dir: Path, **extra) -> dict:
    return {"swapper": "inswapper_128", "providers": ["cpu"], "model_dirs": [str(model_dir)],
            **extra}


@pytest.mark.slow
def test_the_learned_swapper_paints_the_face_and_nothing_else(tmp_path, colour, model_dir) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001-1002", models=_models(model_dir))
    result = ShotNode.from_file(shot.spec_path).run()
    assert [r.status for r in result.render.records] == ["swapped", "swapped"]
    assert PLATE_COLORSPACE == "ACEScg"
    expected = srgb_encoded_to_acescg(COLOUR)  # by the published formulas, not through OCIO
    for f in shot.frames:
        out, plate = _read(shot.output(f)), _read(shot.plate(f))
        matte = read_matte(shot.matte(f), oiio.ImageInput.open(str(shot.plate(f))).spec())
        core = matte > 0.999
        assert core.sum() > 500, "the matte covers the face"
        np.testing.assert_allclose(out[core][:, :3], np.broadcast_to(expected, (core.sum(), 3)),
                                   atol=2e-3)  # half float
        outside = matte == 0
        assert np.array_equal(out[outside], plate[outside])
    qc = json.loads(shot.qc_json.read_text())
    assert qc["summary"]["models"][-2:] == ["inswapper_128", "arcface_w600k_r50"]
    assert qc["summary"]["execution_provider"]["inswapper_128"] == "CPUExecutionProvider"
    spec = oiio.ImageInput.open(str(shot.output(1001))).spec()
    assert "inswapper_128 sha256" in spec.get_string_attribute("faceplate/models")


@pytest.mark.slow
def test_an_occluder_that_sees_no_face_leaves_the_plate(tmp_path, colour, model_dir) -> None:
    shot = make_shot(tmp_path / "shot", colour, "1001",
                     models=_models(model_dir, occlusion="xseg_1"))
    ShotNode.from_file(shot.spec_path).run()
    assert np.array_equal(_read(shot.output(1001))[..., :3], _read(shot.plate(1001))[..., :3])
    assert _read(shot.matte(1001)).max() == 0.0


def test_model_choices_are_checked_before_anything_is_written(tmp_path, colour, model_dir,
                                                              monkeypatch) -> None:
    shot = make_shot(tmp_path / "role", colour, "1001",
                     models=_models(model_dir, swapper="arcface_w600k_r50"))
    with pytest.raises(SpecError, match="is a recognizer, not a swapper") as caught:
        ShotNode.from_file(shot.spec_path).check()
    assert caught.value.key == "models.swapper"
    missing = make_shot(tmp_path / "missing", colour, "1001",
                        models=_models(model_dir, enhancer="gfpgan_1.4"))
    with pytest.raises(ModelNotFoundError, match="gfpgan_1.4.onnx"):
        ShotNode.from_file(missing.spec_path).check()
    config = tmp_path / "faceplate.yaml"
    config.write_text("allow_licences: [MIT, Apache-2.0]\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(config))
    allowed = make_shot(tmp_path / "licence", colour, "1001", models=_models(model_dir))
    with pytest.raises(LicenceRefusedError, match="non-commercial research"):
        ShotNode.from_file(allowed.spec_path).check()
    refused = run_cli("run", str(allowed.spec_path))
    assert refused.returncode == 4 and "inswapper_128" in refused.stderr
    done = run_cli("run", str(shot.spec_path))
    assert done.returncode == 2 and "models.swapper" in done.stderr
    for folder in ("role", "missing", "licence"):
        assert not (tmp_path / folder / "out").exists()


def test_the_models_section_is_validated_on_load(tmp_path, colour) -> None:
    for bad, key in (({"backend": "tensorflow"}, "models.backend"),
                     ({"providers": ["rocm"]}, "models.providers"),
                     ({"region_classes": ["hair"]}, "models.region_classes"),
                     ({"enhancer_blend": 2}, "models.enhancer_blend"),
                     ({"swaper": "x"}, "models.swaper")):
        shot = make_shot(tmp_path / key, colour, "1001", models=bad)
        with pytest.raises(SpecError) as caught:
            load_spec(shot.spec_path)
        assert caught.value.key == key


def _constant_scrfd(path: Path, size: int, score: float) -> None:
    """An SCRFD-contract model that always finds one face: cell (3, 2) at stride 16."""
    outs = []
    for kind in ("score", "box", "kps"):
        for s in (8, 16, 32):
            n = (size // s) ** 2 * 2
            width = {"score": 1, "box": 4, "kps": 10}[kind]
            o = np.zeros((n, width), np.float32)
            if s == 16:
                o[(2 * (size // s) + 3) * 2] = {"score": score, "box": 1.0, "kps": 0.0}[kind]
            outs.append(o)
    names = [f"o{i}" for i in range(9)]
    nodes = [helper.make_node("Constant", [], [n], value=numpy_helper.from_array(o, n + "_v"))
             for n, o in zip(names, outs)]
    _save(path, nodes, [helper.make_tensor_value_info("input", F, [1, 3, size, size])],
          [helper.make_tensor_value_info(n, F, list(o.shape)) for n, o in zip(names, outs)])


@pytest.mark.parametrize("score, threshold, found", [(0.9, 0.0, 1.6), (0.45, -0.5, -0.2),
                                                     (0.45, 0.0, None)])
def test_an_onnx_detector_reports_on_the_pipelines_score_scale(tmp_path, score, threshold, found):
    import dataclasses

    from faceplate.models.face_finder import FaceFinder
    from faceplate.models.manifest import load_manifest
    from faceplate.models.mediapipe import MediaPipeFacePack
    from faceplate.models.policy import LicencePolicy
    from faceplate.models.runtime import ModelRegistry, RuntimeOptions
    from faceplate.pipeline.shot_models import face_finder
    from faceplate.spec import ModelsSpec
    _constant_scrfd(tmp_path / "scrfd_2.5g.onnx", 160, score)
    manifest = load_manifest()
    manifest["scrfd_2.5g"] = dataclasses.replace(manifest["scrfd_2.5g"], size=160)
    registry = ModelRegistry(manifest, [tmp_path], options=RuntimeOptions(providers=("cpu",)),
                             policy=LicencePolicy(allow_models=("scrfd_2.5g",)))
    finder = face_finder(ModelsSpec(detector="scrfd_2.5g"), registry, MediaPipeFacePack())
    assert isinstance(finder, FaceFinder) and finder.id == "scrfd_2.5g+mediapipe-face"
    assert finder.tracks  # the mesh follows what the detector misses
    assert finder.detector_side is None  # it letterboxes the picture it is given
    faces = finder.detect(np.zeros((320, 640, 3), np.uint8), threshold=threshold)
    if found is None:
        assert faces == []
    else:
        (face,) = faces
        assert face.score == pytest.approx(found)
        np.testing.assert_allclose(face.box, np.float32([32, 16, 64, 48]) * 4)


def _simswap_parts(folder: Path, weights: np.ndarray) -> None:
    """SimSwap's contract (arcface_112_v1 at 256, source input) and its crossface converter."""
    _save(folder / "crossface_simswap.onnx",
          [helper.make_node("MatMul", ["input", "w"], ["output"])],
          [helper.make_tensor_value_info("input", F, [1, 512])],
          [helper.make_tensor_value_info("output", F, [1, 512])],
          [numpy_helper.from_array(weights, "w")])
    _save(folder / "simswap_256.onnx", [helper.make_node("Identity", ["target"], ["output"]),
                                        helper.make_node("Identity", ["source"], ["unused"])],
          [helper.make_tensor_value_info("target", F, ["N", 3, 256, 256]),
           helper.make_tensor_value_info("source", F, ["N", 512])],
          [helper.make_tensor_value_info("output", F, ["N", 3, 256, 256]),
           helper.make_tensor_value_info("unused", F, ["N", 512])])


def test_simswap_sources_pass_through_their_converter(tmp_path, model_dir) -> None:
    from faceplate.face.mesh import five_points
    from faceplate.face.swapper import SourceFace
    from faceplate.models.learned_swapper import LearnedSwapper
    from faceplate.pipeline.shot_models import check_models, registry_for
    from faceplate.spec import ModelsSpec
    weights = np.random.default_rng(2).normal(size=(512, 512)).astype(np.float32)
    models = ModelsSpec(swapper="simswap_256", providers=("cpu",), model_dirs=(model_dir,))
    _simswap_parts(model_dir, weights)
    (model_dir / "crossface_simswap.onnx").unlink()
    with pytest.raises(ModelNotFoundError, match="crossface_simswap.onnx"):
        check_models(models, registry_for(models))      # the converter is checked too
    _simswap_parts(model_dir, weights)
    registry = registry_for(models)
    check_models(models, registry)
    assert set(registry.providers_used()) >= {"simswap_256", "crossface_simswap"}
    rng = np.random.default_rng(4)
    texture = rng.random((200, 200, 3)).astype(np.float32)
    landmarks = np.random.default_rng(0).uniform(40, 160, size=(478, 3))
    source = SourceFace("double", texture, landmarks, np.zeros(128))
    swapper = LearnedSwapper(models, registry)
    raw = swapper.recognizer.embed(texture, [five_points(landmarks)])[0]
    np.testing.assert_allclose(swapper.embedding(source), raw @ weights, rtol=1e-3, atol=1e-2)


def test_a_2dfan4_landmarker_feeds_the_mesh_in_the_face_finder(tmp_path) -> None:
    """2DFAN4's 68 points (a frontal face, in heatmap cells) become the dense mesh: the mesh
    passes through them at the points that stand for the 68."""
    from faceplate.face import mesh
    from faceplate.models.mediapipe import MediaPipeFacePack
    from faceplate.pipeline.shot_models import face_finder, registry_for
    from faceplate.spec import ModelsSpec
    from faceplate.types import Detection
    frontal = mesh.layout().canonical[list(mesh.IBUG68), :2] * 20 + 32
    marks = np.concatenate([frontal, np.zeros((68, 1))], axis=1)[None].astype(np.float32)
    _save(tmp_path / "2dfan4.onnx",
          [helper.make_node("Constant", [], ["output"], value=numpy_helper.from_array(marks, "m"))],
          [helper.make_tensor_value_info("input", F, [1, 3, 256, 256])],
          [helper.make_tensor_value_info("output", F, [1, 68, 3])])
    models = ModelsSpec(landmarker="2dfan4", providers=("cpu",), model_dirs=(tmp_path,))
    finder = face_finder(models, registry_for(models), MediaPipeFacePack())
    assert finder.id == "mediapipe-face+2dfan4" and not finder.tracks
    box = (100.0, 50.0, 300.0, 250.0)                 # 200² box: scale 195/200
    points = finder.landmarks(np.zeros((400, 400, 3), np.uint8), Detection(box, 0.0))
    assert points is not None and points.shape == (478, 3)
    scale = 195 / 200
    offset = (256 - np.float32([100 + 300, 50 + 250]) * scale) / 2   # box centred in the crop
    expected = (marks[0, :, :2] * 4 - offset) / scale
    np.testing.assert_allclose(mesh.to_ibug68(points), expected, atol=0.05)
    assert finder.track(np.zeros((400, 400, 3), np.uint8), points) is None


def _yoloface_of_brightness(path: Path, size: int) -> None:
    """A YOLO-face-contract model that finds one face, (60, 60)-(100, 100), scored by the
    brightest input value (the input is the frame's 0..1, BGR x/255 · 255)."""
    head = np.float32([80, 80, 40, 40]).reshape(1, 4, 1)
    tail = np.zeros((1, 15, 1), np.float32)
    _save(path, [helper.make_node("ReduceMax", ["input"], ["m"], keepdims=1),
                 helper.make_node("Reshape", ["m", "shape"], ["score"]),
                 helper.make_node("Concat", ["head", "score", "tail"], ["output"], axis=1)],
          [helper.make_tensor_value_info("input", F, [1, 3, size, size])],
          [helper.make_tensor_value_info("output", F, [1, 20, 1])],
          [numpy_helper.from_array(head, "head"), numpy_helper.from_array(tail, "tail"),
           numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape")])


def test_an_onnx_detector_reads_the_8_bit_picture_as_0_to_1(tmp_path) -> None:
    import dataclasses

    from faceplate.models.adapters import detector_for
    from faceplate.models.face_finder import NamedDetection, OnnxDetection
    from faceplate.models.manifest import load_manifest
    from faceplate.models.policy import LicencePolicy
    from faceplate.models.runtime import ModelRegistry, RuntimeOptions
    _yoloface_of_brightness(tmp_path / "yoloface_8n.onnx", 160)
    manifest = load_manifest()
    manifest["yoloface_8n"] = dataclasses.replace(manifest["yoloface_8n"], size=160)
    registry = ModelRegistry(manifest, [tmp_path], options=RuntimeOptions(providers=("cpu",)),
                             policy=LicencePolicy(allow_models=("yoloface_8n",)))
    onnx_detection = OnnxDetection(detector_for(registry, "yoloface_8n"))
    named = NamedDetection("yoloface_8n", onnx_detection)
    image = np.full((160, 160, 3), 204, np.uint8)          # 204/255 = 0.8: (0.8 − 0.5)·4 = 1.2
    for finder in (onnx_detection, named):
        (face,) = finder.detect(image, threshold=1.0)
        assert face.score == pytest.approx(1.2, abs=1e-5)
        np.testing.assert_allclose(face.box, [60, 60, 100, 100])
        assert finder.detect(image, threshold=1.3) == []   # 0.8 is below 0.5 + 1.3/4
        with pytest.raises(TypeError):                       # upsample and threshold by name
            finder.detect(image, 0, 1.0)


def _learned_swapper(model_dir: Path, **models):
    from faceplate.models.learned_swapper import LearnedSwapper
    from faceplate.pipeline.shot_models import registry_for
    from faceplate.spec import ModelsSpec
    spec = ModelsSpec(swapper="inswapper_128", providers=("cpu",), model_dirs=(model_dir,),
                      **models)
    return LearnedSwapper(spec, registry_for(spec))


def _face(scale: float = 40.0, centre: float = 128.0):
    """A frontal mesh (the layout's canonical face; its mouth is open) and a source of it."""
    from faceplate.face import mesh
    from faceplate.face.swapper import SourceFace
    points = mesh.layout().canonical * scale + centre
    texture = np.random.default_rng(7).random((256, 256, 3)).astype(np.float32)
    return points, SourceFace("double", texture, points, np.zeros(128))


def test_a_learned_swap_says_the_mouth_is_open_above_the_matte_threshold(model_dir) -> None:
    from faceplate.face import mesh
    swapper = _learned_swapper(model_dir)
    open_mouth, source = _face()
    closed = open_mouth.copy()
    inner = list(mesh.LIPS_INNER)
    closed[inner, 1] = closed[list(mesh.MOUTH_CORNERS), 1].mean()   # the lips meet
    assert mesh.mouth_opening(open_mouth) > 0.1 and abs(mesh.mouth_opening(closed)) < 1e-9
    target = np.full((256, 256, 3), 0.4, np.float32)
    assert swapper.swap(target, open_mouth, source).mouth_open is True
    assert swapper.swap(target, closed, source).mouth_open is False


def test_the_enhancer_sees_the_swap_pasted_on_the_plate(model_dir) -> None:
    """The enhancer is given the plate with the swapped face pasted under its matte: a tiny
    enhancer halving its normalised input gives 0.25 + 0.5·x, mixed 0.8 with the input x:
    0.2 + 0.6·x, the swapper's colour on the face, the plate's 0.4 (0.44) around it."""
    _save(model_dir / "gfpgan_1.4.onnx", [helper.make_node("Mul", ["input", "half"], ["output"])],
          [helper.make_tensor_value_info("input", F, ["N", 3, 512, 512])],
          [helper.make_tensor_value_info("output", F, ["N", 3, 512, 512])],
          [numpy_helper.from_array(np.float32(0.5), "half")])
    swapper = _learned_swapper(model_dir, enhancer="gfpgan_1.4", enhancer_blend=0.8)
    points, source = _face()
    result = swapper.swap(np.full((256, 256, 3), 0.4, np.float32), points, source)
    core = cv2.erode((result.matte > 0.999).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert core.sum() > 100
    np.testing.assert_allclose(result.rgb[core], np.broadcast_to(0.2 + 0.6 * COLOUR,
                                                                 (core.sum(), 3)), atol=1e-3)
    near = cv2.dilate((result.matte > 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    ring = (cv2.dilate(near.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0) & ~near
    assert ring.sum() > 100
    np.testing.assert_allclose(result.rgb[ring], 0.44, atol=1e-3)


def test_an_onnx_landmarker_reads_the_8_bit_picture_as_0_to_1(tmp_path) -> None:
    """2DFAN4's points (heatmap cells) here move right by ten times the crop's brightest value:
    a flat 204 is 0.8, so eight cells, 32 crop pixels."""
    from faceplate.models.adapters import landmarker_for
    from faceplate.models.face_finder import OnnxMarks68
    from faceplate.pipeline.shot_models import registry_for
    from faceplate.spec import ModelsSpec
    base = np.random.default_rng(8).uniform(8, 40, size=(1, 68, 3)).astype(np.float32)
    shift = np.zeros((1, 68, 3), np.float32)
    shift[..., 0] = 10.0
    _save(tmp_path / "2dfan4.onnx",
          [helper.make_node("ReduceMax", ["input"], ["m"], keepdims=0),
           helper.make_node("Mul", ["shift", "m"], ["moved"]),
           helper.make_node("Add", ["base", "moved"], ["output"])],
          [helper.make_tensor_value_info("input", F, [1, 3, 256, 256])],
          [helper.make_tensor_value_info("output", F, [1, 68, 3])],
          [numpy_helper.from_array(base, "base"), numpy_helper.from_array(shift, "shift")])
    models = ModelsSpec(landmarker="2dfan4", providers=("cpu",), model_dirs=(tmp_path,))
    marks = OnnxMarks68(landmarker_for(registry_for(models), "2dfan4"))
    assert marks.id == "2dfan4"
    box = (100.0, 50.0, 300.0, 250.0)                 # 200² box: scale 195/200
    points = marks.landmarks(np.full((400, 400, 3), 204, np.uint8), box)
    scale = 195 / 200
    offset = (256 - np.float32([100 + 300, 50 + 250]) * scale) / 2
    expected = ((base[0, :, :2] + [8.0, 0.0]) * 4 - offset) / scale
    np.testing.assert_allclose(points, expected, atol=0.01)
