"""The types the model layer and the pipeline share (``faceplate.types``,
``faceplate.models.protocols``, ``faceplate.models.base``, ``faceplate.models.converters``):
a detection moved between images, the frozen records, the roles' Protocols against the classes
that play them, and an ONNX adapter's batched calls on tiny ONNX models whose outputs are known.
Expected values are worked by hand."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from types import FunctionType

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx")
from conftest import save_onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from faceplate.errors import ModelError  # noqa: E402
from faceplate.face.swapper import ReferenceSwapper  # noqa: E402
from faceplate.models import protocols  # noqa: E402
from faceplate.models.base import OnnxAdapter  # noqa: E402
from faceplate.models.converters import EmbeddingConverter  # noqa: E402
from faceplate.models.detectors import (  # noqa: E402
    AnchorDetector,
    YoloFaceDetector,
    YuNetDetector,
)
from faceplate.models.enhancers import OnnxEnhancer  # noqa: E402
from faceplate.models.face_finder import FaceFinder  # noqa: E402
from faceplate.models.landmarkers import Fan68Landmarker  # noqa: E402
from faceplate.models.learned_swapper import LearnedSwapper  # noqa: E402
from faceplate.models.manifest import ModelEntry  # noqa: E402
from faceplate.models.masks import BiSeNetMasker, XSegMasker  # noqa: E402
from faceplate.models.mediapipe.pack import MediaPipeFacePack  # noqa: E402
from faceplate.models.policy import LicencePolicy  # noqa: E402
from faceplate.models.runtime import ModelRegistry, RuntimeOptions  # noqa: E402
from faceplate.models.swappers import ArcFaceRecognizer, OnnxSwapper  # noqa: E402
from faceplate.types import Detection  # noqa: E402

F = TensorProto.FLOAT


# --- a detection moved between images -------------------------------------------------------

def test_a_detection_moves_by_scale_then_shift_each_coordinate_on_its_own_axis() -> None:
    """p * scale + (dx, dy): box (10, 20, 30, 50) at scale 2 and shift (5, -7) is
    (25, 33, 65, 93); the points likewise, the score kept."""
    points = np.array([[10.0, 20.0], [30.0, 50.0], [12.0, 40.0]])
    found = Detection((10.0, 20.0, 30.0, 50.0), 0.75, points)
    moved = found.moved(2.0, 5.0, -7.0)
    assert moved.box == (25.0, 33.0, 65.0, 93.0)
    assert moved.score == 0.75
    assert moved.points is not None
    np.testing.assert_array_equal(moved.points, [[25.0, 33.0], [65.0, 93.0], [29.0, 73.0]])
    # a shrink (scale 0.5) with a shift only on y: x's from scale alone
    half = found.moved(0.5, 0.0, 3.0)
    assert half.box == (5.0, 13.0, 15.0, 28.0)
    assert half.points is not None
    np.testing.assert_array_equal(half.points, [[5.0, 13.0], [15.0, 28.0], [6.0, 23.0]])
    # the original is left as it was
    assert found.box == (10.0, 20.0, 30.0, 50.0)
    np.testing.assert_array_equal(found.points, points)


def test_a_detection_without_points_moves_without_them() -> None:
    moved = Detection((1.0, 2.0, 3.0, 4.0), 0.5).moved(3.0, 1.0, 1.0)
    assert moved.points is None
    assert moved.box == (4.0, 7.0, 10.0, 13.0)


def test_detections_and_aligned_faces_cannot_be_changed_once_made() -> None:
    """Both are shared between frames, stages and threads: a field cannot be reassigned."""
    found = Detection((0.0, 0.0, 1.0, 1.0), 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.score = 1.0  # type: ignore[misc]
    face = protocols.AlignedFace(np.zeros((2, 2, 3), np.float32), np.eye(2, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        face.crop = np.ones((2, 2, 3), np.float32)  # type: ignore[misc]


# --- the roles' Protocols against the classes that play them ---------------------------------

#: Each Protocol of :mod:`faceplate.models.protocols` and the classes that play its role.
ROLES = [
    (protocols.Detector, [AnchorDetector, YoloFaceDetector, YuNetDetector]),
    (protocols.Landmarker, [Fan68Landmarker]),
    (protocols.Converter, [EmbeddingConverter]),
    (protocols.Recognizer, [ArcFaceRecognizer]),
    (protocols.Swapper, [OnnxSwapper]),
    (protocols.Enhancer, [OnnxEnhancer]),
    (protocols.Masker, [XSegMasker, BiSeNetMasker]),
    (protocols.RegionMasker, [BiSeNetMasker]),
    (protocols.FaceFinder, [FaceFinder, MediaPipeFacePack]),
    (protocols.FaceSwapper, [ReferenceSwapper, LearnedSwapper]),
]


def _parameters(function: object) -> list[tuple[str, object, object]]:
    """Each parameter's name, kind and default (annotations left aside)."""
    assert callable(function)
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("role, players", ROLES, ids=[r.__name__ for r, _ in ROLES])
def test_each_protocol_says_what_the_classes_playing_it_do(role: type, players: list[type]
                                                           ) -> None:
    """What a caller typed by the Protocol reads is what runs: a read-only property of the
    Protocol is a property or a plain value of every class playing it (never a method), and a
    method is a method with the same parameters and defaults (``detect``'s threshold 0.5,
    ``enhance``'s blend 0.8, the finder's upsample 0 and threshold 0.0)."""
    members = {name: value for name, value in vars(role).items()
               if not name.startswith("_") and isinstance(value, property | FunctionType)}
    assert members, role
    for player in players:
        for name, value in members.items():
            found = inspect.getattr_static(player, name)
            if isinstance(value, property):
                assert not inspect.isfunction(found), (player, name)
            else:
                assert inspect.isfunction(found), (player, name)
                assert _parameters(found) == _parameters(value), (player, name)


def test_the_documented_defaults_of_the_roles() -> None:
    """docs/models.md: a detector's threshold 0.5, an enhancer's blend 0.8; the finder's
    upsample 0 and threshold 0.0 (the pipeline's score scale)."""
    def default(function: object, name: str) -> object:
        assert callable(function)
        return inspect.signature(function).parameters[name].default
    assert default(protocols.Detector.detect, "threshold") == 0.5
    assert default(protocols.Enhancer.enhance, "blend") == 0.8
    assert default(protocols.FaceFinder.detect, "upsample") == 0
    assert default(protocols.FaceFinder.detect, "threshold") == 0.0


# --- an ONNX adapter's session and batched calls ---------------------------------------------

def _entry(model_id: str, **fields: object) -> ModelEntry:
    """A recognizer of no size by default: its contract leaves the input's shape free."""
    values: dict = {"family": "arcface", "role": "recognizer", "file": f"{model_id}.onnx",
                    "sha256": None, "licence": "MIT", "commercial": True, **fields}
    return ModelEntry(id=model_id, **values)


class _NoImage(OnnxAdapter):
    """An adapter of a model that reads no image (as a converter): no ``size`` needed, so its
    batched calls can be tested on models of any input."""

    reads_image = False


def _registry(folder: Path, *entries: ModelEntry) -> ModelRegistry:
    return ModelRegistry({e.id: e for e in entries}, model_dirs=[folder],
                         options=RuntimeOptions(providers=("cpu",)),
                         policy=LicencePolicy(allow_models=tuple(e.id for e in entries)))


def _two_outputs(path: Path, batch: int | str, width: int) -> None:
    """output = 2·input, then a second output input + 100 (an adapter reads the first)."""
    save_onnx(path, [helper.make_node("Mul", ["input", "two"], ["output"]),
                     helper.make_node("Add", ["input", "hundred"], ["other"])],
              [helper.make_tensor_value_info("input", F, [batch, width])],
              [helper.make_tensor_value_info("output", F, [batch, width]),
               helper.make_tensor_value_info("other", F, [batch, width])],
              [numpy_helper.from_array(np.float32([2.0]), "two"),
               numpy_helper.from_array(np.float32([100.0]), "hundred")])


class _Feeds:
    """The feeds callable an adapter passes: it records the batch of each call."""

    def __init__(self) -> None:
        self.calls: list[np.ndarray] = []

    def __call__(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        self.calls.append(batch.copy())
        return {"input": batch}


ROWS = np.float32([[1, 2, 3, 4], [5, 6, 7, 8], [-1, 0, 0.5, 9]])


def test_a_batched_input_takes_the_whole_batch_in_one_call(tmp_path: Path) -> None:
    _two_outputs(tmp_path / "free.onnx", "N", 4)
    adapter = _NoImage(_registry(tmp_path, _entry("free")), "free")
    feeds = _Feeds()
    out = adapter.run_batched(ROWS, "input", feeds)
    assert len(feeds.calls) == 1
    np.testing.assert_array_equal(feeds.calls[0], ROWS)
    np.testing.assert_array_equal(out, [[2, 4, 6, 8], [10, 12, 14, 16], [-2, 0, 1, 18]])


def test_a_fixed_batch_of_one_is_run_a_face_at_a_time_in_order(tmp_path: Path) -> None:
    _two_outputs(tmp_path / "one.onnx", 1, 4)
    adapter = _NoImage(_registry(tmp_path, _entry("one")), "one")
    feeds = _Feeds()
    out = adapter.run_batched(ROWS, "input", feeds)
    assert [c.tolist() for c in feeds.calls] == [[row] for row in ROWS.tolist()]
    np.testing.assert_array_equal(out, [[2, 4, 6, 8], [10, 12, 14, 16], [-2, 0, 1, 18]])
    # a single face is one call too
    single = _Feeds()
    np.testing.assert_array_equal(adapter.run_batched(ROWS[1:2], "input", single),
                                  [[10, 12, 14, 16]])
    assert len(single.calls) == 1


@pytest.mark.parametrize("batch", [1, "N"])
def test_no_faces_run_nothing_and_give_nothing(tmp_path: Path, batch: int | str) -> None:
    """An empty batch asks the model nothing (a fixed batch of one could not even be joined)
    and gives an empty result."""
    _two_outputs(tmp_path / "m.onnx", batch, 4)
    adapter = _NoImage(_registry(tmp_path, _entry("m")), "m")
    feeds = _Feeds()
    out = adapter.run_batched(np.zeros((0, 4), np.float32), "input", feeds)
    assert feeds.calls == [] and len(out) == 0 and out.dtype == np.float32


def test_an_adapter_names_its_model_and_takes_its_template_and_size(tmp_path: Path) -> None:
    """The manifest's id, template and size; an entry without a template aligns on
    arcface_128; a model that reads no image (a converter) needs no size (0)."""
    registry = _registry(tmp_path, _entry("sized", template="ffhq_512", size=512),
                         _entry("bare", size=1))
    sized, bare = OnnxAdapter(registry, "sized"), OnnxAdapter(registry, "bare")
    assert (sized.id, sized.template, sized.size) == ("sized", "ffhq_512", 512)
    assert (bare.id, bare.template, bare.size) == ("bare", "arcface_128", 1)
    assert _NoImage(_registry(tmp_path, _entry("none")), "none").size == 0


@pytest.mark.parametrize("size", [None, 0, -256, 1.5, "256", True])
def test_a_model_that_reads_an_image_needs_a_size_in_its_manifest_entry(tmp_path: Path,
                                                                         size: object) -> None:
    """A studio's entry for an image model that leaves out ``size`` (or gives anything but a
    whole number above 0) is refused when its adapter is made (the pre-flight), naming the
    model and the key, not by OpenCV on the first frame."""
    registry = _registry(tmp_path, _entry("studio", size=size))
    with pytest.raises(ModelError, match=r"model studio: its manifest entry needs `size`.*"
                                         r"a recognizer reads"):
        OnnxAdapter(registry, "studio")


def test_a_converter_gives_its_first_output_as_one_embedding(tmp_path: Path) -> None:
    """A converter's file may give more than one output: the embedding is the first, as a
    (512,) float32 vector for the (512,) one given."""
    _two_outputs(tmp_path / "crossface_two.onnx", 1, 512)
    registry = _registry(tmp_path, _entry("crossface_two", family="crossface", role="converter"))
    embedding = np.linspace(-1.0, 1.0, 512).astype(np.float32)
    converted = EmbeddingConverter(registry, "crossface_two").convert(embedding)
    assert converted.shape == (512,) and converted.dtype == np.float32
    np.testing.assert_array_equal(converted, embedding * 2)
