"""Plate formats in and out: multi-part and tiled EXR, a matte channel, output compression,
PNG/TIFF 8/16-bit and DPX 10-bit. Frames are edited inside a box and written back; windows,
channels, attributes and every pixel outside the edit must survive (checked with OpenImageIO's
own ``oiiotool --info -v`` and ``idiff``)."""

import subprocess

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import OBAMA, header_lines, oiiotool, read_pixels, spec_dict, tool, write_spec

from faceplate.errors import OutputError, PlateError, SpecError
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import preflight
from faceplate.plateio import output
from faceplate.plateio.frame import Box, read_frame
from faceplate.plateio.output import write_frame
from faceplate.spec import DEFAULT_MATTE_CHANNEL, load_spec
from faceplate.written import Manifest

OURS = {"faceplate/aiAssisted": 1, "faceplate/version": "test", "ImageDescription": "AI-assisted"}
EDIT = Box(10, 10, 30, 30)  # display-window box; pixels at [15, 25) inside it are changed




def idiff(a, b, *extra):
    return subprocess.run([tool("idiff"), *extra, str(a), str(b)], capture_output=True,
                          text=True).returncode


def edit(frame, value=None):
    """Invert RGB inside the central 10x10 pixels of ``EDIT``; return the edited mask."""
    rgb = frame.rgb_region(EDIT)
    where = np.zeros(rgb.shape[:2], bool)
    where[5:15, 5:15] = True
    frame.set_rgb_region(EDIT, 1 - rgb if value is None else np.full_like(rgb, value), where)
    d = frame.data_box
    mask = np.zeros(frame.pixels.shape[:2], bool)
    mask[15 - d.y0:25 - d.y0, 15 - d.x0:25 - d.x0] = True
    return mask


native = read_pixels


@pytest.fixture
def multipart(tmp_path):
    """Tiled, piz, overscan: part 0 a depth AOV, part 1 RGBA with a custom attribute."""
    path = tmp_path / "mp.1001.exr"
    oiiotool("--pattern", "noise:type=uniform:min=1:max=100", "80x64", 1, "--chnames", "depth.Z",
             "--origin", "-8-8", "--fullsize", "64x48+0+0", "--attrib", "name", "depth",
             "--pattern", "noise:type=uniform:min=0:max=4", "80x64", 4, "--origin", "-8-8",
             "--fullsize", "64x48+0+0", "--attrib", "name", "rgba", "--attrib", "studio/show",
             "abc", "--siappend", "-d", "half", "--compression", "piz", "--tile", 32, 32,
             "-o", path)
    return path


def test_multipart_processes_the_rgb_part_and_copies_the_others(multipart, tmp_path):
    frame = read_frame(multipart, 1001)
    assert frame.part == 1 and list(frame.spec.channelnames) == ["R", "G", "B", "A"]
    mask = edit(frame)
    out = tmp_path / "out.1001.exr"
    write_frame(out, frame, OURS)
    # windows, tiles, compression, parts, attributes
    assert header_lines(out) == header_lines(multipart)
    assert idiff(multipart, out, "-a") == 2  # the RGB part did change ...
    np.testing.assert_array_equal(native(out, 0).view(np.uint16),
                                  native(multipart, 0).view(np.uint16))  # ... the AOV part not
    plate, written = native(multipart, 1).view(np.uint16), native(out, 1).view(np.uint16)
    np.testing.assert_array_equal(written[~mask], plate[~mask])
    assert (written[mask][:, :3] != plate[mask][:, :3]).all()
    np.testing.assert_array_equal(written[..., 3], plate[..., 3])  # alpha untouched
    spec = oiio.ImageBuf(str(out), 1, 0).spec()
    assert spec.getattribute("faceplate/aiAssisted") == 1
    assert spec.get_string_attribute("studio/show") == "abc"


def _three_parts(path):
    """A plate of three parts, RGB in the middle (a depth part before it, motion after)."""
    oiiotool("--pattern", "noise:type=uniform:min=1:max=100", "48x32", 1, "--chnames", "depth.Z",
             "--attrib", "name", "depth",
             "--pattern", "noise:type=uniform:min=0:max=4", "48x32", 3, "--attrib", "name", "rgb",
             "--pattern", "noise:type=uniform:min=0:max=9", "48x32", 2, "--chnames",
             "motion.X,motion.Y", "--attrib", "name", "motion",
             "--siappend", "--siappend", "-d", "half", "--compression", "zip", "-o", path)
    return path


def test_the_parts_after_the_rgb_part_are_copied_too(tmp_path):
    """RGB in the middle of three parts: the parts before and after it are copied bit for bit,
    the RGB part edited."""
    path = _three_parts(tmp_path / "mp3.1001.exr")
    frame = read_frame(path, 1001)
    assert frame.part == 1
    mask = edit(frame)
    out = tmp_path / "out.1001.exr"
    write_frame(out, frame, OURS)
    assert header_lines(out) == header_lines(path)
    assert Manifest(tmp_path).names() == set()  # an output: never faceplate's to remove
    for part in (0, 2):
        np.testing.assert_array_equal(native(out, part).view(np.uint16),
                                      native(path, part).view(np.uint16))
    written, plate = native(out, 1).view(np.uint16), native(path, 1).view(np.uint16)
    np.testing.assert_array_equal(written[~mask], plate[~mask])
    assert (written[mask] != plate[mask]).all()


def test_a_part_after_the_rgb_part_that_cannot_be_read_is_a_plate_error_naming_it(
        tmp_path, monkeypatch):
    path = _three_parts(tmp_path / "mp3.1001.exr")
    frame = read_frame(path, 1001)
    real = output.read_part
    monkeypatch.setattr(output, "read_part",
                        lambda inp, part, spec: None if part == 2 else real(inp, part, spec))
    out = tmp_path / "out.1001.exr"
    with pytest.raises(PlateError, match="unreadable part 2") as caught:
        write_frame(out, frame, OURS)
    assert caught.value.frame == 1001 and not out.exists()


def test_unchanged_frame_is_identical_by_idiff(multipart, tmp_path):
    out = tmp_path / "out.exr"
    write_frame(out, read_frame(multipart, 1001), OURS)
    assert idiff(multipart, out, "-a") == 0


def test_matte_channel_is_added_in_the_plate_type(multipart, tmp_path):
    frame = read_frame(multipart, 1001)
    mask = edit(frame)
    out = tmp_path / "out.exr"
    write_frame(out, frame, OURS, matte=mask.astype(np.float32),
                matte_channel=DEFAULT_MATTE_CHANNEL)
    pixels = native(out, 1)
    assert oiio.ImageBuf(str(out), 1, 0).spec().channelnames == ("R", "G", "B", "A",
                                                                  "faceplate.matte")
    np.testing.assert_array_equal(pixels[..., 4] == 1, mask)
    with pytest.raises(OutputError, match="'A' is already a plate channel"):
        write_frame(tmp_path / "x.exr", frame, OURS, matte=mask.astype(np.float32),
                    matte_channel="A")
    assert not (tmp_path / "x.exr").exists()


@pytest.mark.parametrize("name", ["none", "zips", "dwab", "pxr24"])
def test_output_compression_replaces_the_plates(multipart, tmp_path, name):
    out = tmp_path / "out.exr"
    write_frame(out, read_frame(multipart, 1001), OURS, compression=name)
    for part in (0, 1):
        assert oiio.ImageBuf(str(out), part, 0).spec().get_string_attribute("compression") == name


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "actor_a.jpg").write_bytes(OBAMA.read_bytes())
    return tmp_path


def _preflight(path):
    """Load a spec and run its pre-flight, where the compression is checked."""
    spec = load_spec(path)
    return preflight(spec, RunContext.create(spec.ocio, environ={}), models=False)


def test_spec_compression_is_checked_against_openimageio(folder):
    data = spec_dict()
    data["output"].update(compression="DWAA:45", matte_channel=True)
    spec = load_spec(write_spec(folder, data))
    assert spec.output.compression == "dwaa:45"
    assert spec.output.matte_channel == "faceplate.matte"
    for bad in ("bogus", "htj2k", "zip:fast"):  # OpenImageIO would silently write zip
        data["output"]["compression"] = bad
        with pytest.raises(SpecError, match="^output.compression: ") as err:
            _preflight(write_spec(folder, data))
        assert bad in str(err.value) and "\n" not in str(err.value)
    assert not (folder / "out").exists()


FORMATS = [("png", "uint8", True), ("png", "uint16", True), ("tif", "uint8", False),
           ("tif", "uint16", False), ("dpx", "uint10", False)]


@pytest.mark.parametrize("ext,depth,keeps_faceplate_attrs", FORMATS)
def test_integer_formats_keep_every_pixel_outside_the_edit(tmp_path, ext, depth,
                                                           keeps_faceplate_attrs):
    plate = tmp_path / f"plate.1001.{ext}"
    oiiotool("--pattern", "noise:type=uniform:min=0:max=1", "64x48", 3, "-d", depth, "-o", plate)
    frame = read_frame(plate, 1001)
    before = frame.pixels.copy()
    assert frame.rgb_region(frame.data_box).max() <= 1.0  # integers read as 0..1
    mask = edit(frame, value=0.5)
    out = tmp_path / f"out.1001.{ext}"
    write_frame(out, frame, OURS)
    # bit depth (10-bit DPX included), size, channels
    assert header_lines(out) == header_lines(plate)
    after = native(out)
    assert after.dtype == before.dtype
    np.testing.assert_array_equal(after[~mask], before[~mask])
    half = np.iinfo(before.dtype).max * 0.5
    expected = round(half) if depth != "uint10" else None
    if expected is not None:
        assert (after[mask] == expected).all()
    else:  # 10-bit values are read widened to 16 bits; 0.5 lands on 10-bit code 512 (or 511)
        assert np.isin(np.rint(after[mask].astype(np.float64) * 1023 / 65535), (511, 512)).all()
    attrs = {a.name: a.value for a in oiio.ImageBuf(str(out)).spec().extra_attribs}
    assert attrs["ImageDescription"] == "AI-assisted"
    assert ("faceplate/aiAssisted" in attrs) == keeps_faceplate_attrs


def test_a_plate_of_several_parts_is_refused_as_a_single_image_file(multipart, tmp_path):
    """PNG holds one image: a two-part plate cannot be written there, and nothing is left."""
    frame = read_frame(multipart, 1001)
    with pytest.raises(OutputError, match="this file type holds one image, the plate has "
                                          "several parts"):
        write_frame(tmp_path / "out.1001.png", frame, OURS)
    assert not (tmp_path / "out.1001.png").exists()
    assert [p.name for p in tmp_path.iterdir() if "fptmp" in p.name] == []


def test_a_matte_channel_on_a_plate_of_mixed_channel_types_is_float(tmp_path):
    """RGB half, depth float: each keeps its type, the matte channel is float."""
    plate = tmp_path / "mixed.1001.exr"
    oiiotool("--pattern", "noise:type=uniform:min=0:max=1", "32x24", 4, "--chnames",
             "R,G,B,Z", "-d", "half", "-d", "Z=float", "-o", plate)
    frame = read_frame(plate, 1001)
    assert [str(t) for t in frame.spec.channelformats] == ["half", "half", "half", "float"]
    out = tmp_path / "out.1001.exr"
    write_frame(out, frame, OURS, matte=np.full((24, 32), 0.25, np.float32),
                matte_channel=DEFAULT_MATTE_CHANNEL)
    spec = oiio.ImageBuf(str(out)).spec()
    assert spec.channelnames == ("R", "G", "B", "Z", DEFAULT_MATTE_CHANNEL)
    assert [str(t) for t in spec.channelformats] == ["half", "half", "half", "float", "float"]
    assert np.all(read_pixels(out)[..., 4] == 0.25)
