"""A frame that holds the plate's pixels unchanged (no face swapped) is written by copying the
plate's pixel data under the new header (faceplate.plateio.native_copy): the same pixels, the
plate's compressed chunks as they lie (the plate opened for it through OpenEXR's C++ API,
faceplate.plateio.exr_reader, whatever OpenImageIO's setting, which is put back)."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from faceplate.errors import DiskFullError, PlateError
from faceplate.plateio.frame import read_frame
from faceplate.plateio.native_copy import copy_plate_frame
from faceplate.plateio.output import write_frame
from faceplate.plateio.write import write_parts
from faceplate.written import MANIFEST_NAME

#: The bytes at the end of a file compared: the last chunks of pixel data.
TAIL = 20000


@pytest.fixture
def exr_core():
    """Sets OpenImageIO's EXR reader setting for one test, and puts the process's back after."""
    before = oiio.get_int_attribute("openexr:core", 1)

    def use(core: int) -> None:
        oiio.attribute("openexr:core", core)
    yield use
    oiio.attribute("openexr:core", before)


def _plate(path, compression="zip:1", channels=("R", "G", "B", "depth.Z")):
    """A half-float plate with overscan and a studio attribute, zip at level 1: chunks that
    OpenEXR's default level (4) would encode otherwise."""
    spec = oiio.ImageSpec(160, 120, len(channels), oiio.HALF)
    spec.channelnames = channels
    spec.x, spec.y = -16, -8
    spec.full_width, spec.full_height = 128, 104
    spec.attribute("compression", compression)
    spec.attribute("studio/take", "tk3")
    yy, xx = np.mgrid[0:120, 0:160].astype(np.float32)
    rng = np.random.default_rng(1)
    pixels = np.stack([np.sin(xx / (9 + c)) * np.cos(yy / (7 + c)) + rng.normal(0, 0.01, xx.shape)
                       for c in range(len(channels))], axis=2).astype(np.float16)
    pixels[3, 5, 0] = np.nan  # a plate's NaN stays
    write_parts(path, [(spec, pixels)])
    return pixels


def _written(path):
    inp = oiio.ImageInput.open(str(path))
    spec = oiio.ImageSpec(inp.spec())
    pixels = np.asarray(inp.read_image(0, 0, 0, spec.nchannels, oiio.UNKNOWN))
    inp.close()
    return spec, pixels


def test_an_unchanged_frame_is_the_plates_chunks_under_its_new_header(tmp_path):
    plate = tmp_path / "a.1001.exr"
    pixels = _plate(plate)
    frame = read_frame(plate, 1001)
    out = tmp_path / "out" / "b.1001.exr"
    write_frame(out, frame, {"faceplate/aiAssisted": 1}, unchanged=True)
    spec, written = _written(out)
    assert written.view(np.uint16).tolist() == pixels.view(np.uint16).tolist()  # NaN too
    assert (spec.x, spec.y, spec.width, spec.height) == (-16, -8, 160, 120)
    assert (spec.full_width, spec.full_height) == (128, 104)
    assert tuple(spec.channelnames) == ("R", "G", "B", "depth.Z")
    assert spec.get_string_attribute("compression") == "zip"
    assert spec.get_string_attribute("studio/take") == "tk3"
    assert spec.getattribute("faceplate/aiAssisted") == 1
    assert out.read_bytes()[-TAIL:] == plate.read_bytes()[-TAIL:]  # level 1's chunks
    # the same frame encoded again (a changed frame's path) is OpenEXR's default level
    again = tmp_path / "out" / "c.1001.exr"
    write_frame(again, frame, {"faceplate/aiAssisted": 1})
    assert _written(again)[1].view(np.uint16).tolist() == pixels.view(np.uint16).tolist()
    assert again.read_bytes()[-TAIL:] != plate.read_bytes()[-TAIL:]


@pytest.mark.parametrize("core", [1, 0])
def test_the_copy_takes_the_chunks_whatever_the_readers_setting_and_puts_it_back(
        tmp_path, exr_core, core):
    exr_core(core)
    plate = tmp_path / "a.1001.exr"
    pixels = _plate(plate)
    out = tmp_path / "b.1001.exr"
    write_frame(out, read_frame(plate, 1001), {"faceplate/frame": 1001}, unchanged=True)
    spec, written = _written(out)
    assert written.view(np.uint16).tolist() == pixels.view(np.uint16).tolist()
    assert spec.getattribute("faceplate/frame") == 1001
    assert out.read_bytes()[-TAIL:] == plate.read_bytes()[-TAIL:]
    assert oiio.get_int_attribute("openexr:core", -1) == core


def test_a_damaged_plate_read_prints_nothing_but_the_copy_opens_through_the_cpp_api(
        tmp_path, capfd) -> None:
    """Plates are read through OpenEXR's core library: through the C++ API a damaged one also
    prints OpenEXR's own message to stderr (faceplate reports one line). Only the copy opens
    through the C++ API (which prints on the same file)."""
    from faceplate.plateio import exr_reader
    plate = tmp_path / "a.1001.exr"
    _plate(plate, compression="zip")
    whole = plate.read_bytes()
    plate.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(PlateError, match="unreadable plate frame"):
        read_frame(plate, 1001)
    assert capfd.readouterr().err == ""
    inp = exr_reader.open_input(str(plate), cpp_api=True)
    assert inp is not None
    assert inp.read_image(0, 0, 0, 3, oiio.HALF) is None
    inp.geterror()
    inp.close()
    assert "a.1001.exr" in capfd.readouterr().err


def test_an_unchanged_frame_takes_the_compression_asked_for(tmp_path):
    plate = tmp_path / "a.1001.exr"
    pixels = _plate(plate)
    out = tmp_path / "b.1001.exr"
    write_frame(out, read_frame(plate, 1001), compression="piz", unchanged=True)
    spec, written = _written(out)
    assert spec.get_string_attribute("compression") == "piz"
    assert written.view(np.uint16).tolist() == pixels.view(np.uint16).tolist()


def test_an_unchanged_frame_given_a_matte_channel_or_a_pixel_type_is_written_with_them(
        tmp_path):
    plate = tmp_path / "a.1001.exr"
    pixels = _plate(plate)
    frame = read_frame(plate, 1001)
    with_matte = tmp_path / "m.1001.exr"
    write_frame(with_matte, frame, matte=np.zeros((120, 160), np.float32),
                matte_channel="faceplate.matte", unchanged=True)
    spec, written = _written(with_matte)
    assert tuple(spec.channelnames) == ("R", "G", "B", "depth.Z", "faceplate.matte")
    assert not written[..., 4].any()
    as_float = tmp_path / "f.1001.exr"
    write_frame(as_float, frame, pixel_type="float", unchanged=True)
    spec, written = _written(as_float)
    assert spec.format == oiio.FLOAT
    np.testing.assert_array_equal(written, pixels.astype(np.float32))


def test_an_unchanged_frame_of_a_plate_of_two_parts_keeps_both(tmp_path):
    plate = tmp_path / "a.1001.exr"
    rgb = oiio.ImageSpec(32, 16, 3, oiio.HALF)
    rgb.channelnames = ("R", "G", "B")
    rgb.attribute("name", "rgba")
    rgb.attribute("compression", "zip")
    depth = oiio.ImageSpec(32, 16, 1, oiio.FLOAT)
    depth.channelnames = ("Z",)
    depth.attribute("name", "depth")
    depth.attribute("compression", "zip")
    colour = np.full((16, 32, 3), 0.25, np.float16)
    z = np.arange(32 * 16, dtype=np.float32).reshape(16, 32, 1)
    write_parts(plate, [(rgb, colour), (depth, z)])
    out = tmp_path / "b.1001.exr"
    write_frame(out, read_frame(plate, 1001), {"faceplate/frame": 1001}, unchanged=True)
    inp = oiio.ImageInput.open(str(out))
    assert inp.spec().getattribute("faceplate/frame") == 1001
    np.testing.assert_array_equal(inp.read_image(0, 0, 0, 3, oiio.HALF), colour)
    assert inp.seek_subimage(1, 0)
    np.testing.assert_array_equal(inp.read_image(1, 0, 0, 1, oiio.FLOAT), z)
    inp.close()


def test_render_copies_the_plates_chunks_only_for_a_frame_it_swapped_nothing_on(
        tmp_path, colour) -> None:
    """The face covered on the first two frames: those pass through, their outputs the plate's
    chunks as they lie; the frames with the face swapped are encoded."""
    from test_analysis_reads import _shot

    from faceplate.nodes.shot import ShotNode
    spec = _shot(tmp_path, colour, 4, covered=2)
    plates = sorted((tmp_path / "plates").glob("*.exr"))
    for plate in plates:  # again at zip level 1: chunks an encode at level 4 would not make
        frame = read_frame(plate, 1001)
        header = oiio.ImageSpec(frame.spec)
        header.attribute("compression", "zip:1")
        write_parts(plate, [(header, frame.pixels)])
    node = ShotNode.from_file(spec)
    node.run()
    records = {r.frame: r for r in node.render(force=True).outcomes}
    assert [records[f].status for f in sorted(records)] == [
        "passthrough", "passthrough", "swapped", "swapped"]
    for plate, f in zip(plates, sorted(records), strict=True):
        output = records[f].output
        assert output is not None
        same = Path(output).read_bytes()[-TAIL:] == plate.read_bytes()[-TAIL:]
        assert same == (records[f].status == "passthrough")


def test_a_copy_openimageio_cannot_make_leaves_nothing_and_says_so(tmp_path, capfd) -> None:
    """A header that changes the compression cannot take the plate's chunks (and OpenImageIO's
    own fallback fails): nothing is written, and write_frame encodes the frame instead."""
    plate = tmp_path / "a.1001.exr"
    _plate(plate)
    frame = read_frame(plate, 1001)
    header = oiio.ImageSpec(frame.spec)
    header.attribute("compression", "piz")
    out = tmp_path / "out" / "b.1001.exr"
    assert copy_plate_frame(out, plate, 0, header, frame=1001) is False
    assert not out.exists() and [p.name for p in out.parent.iterdir()] == [MANIFEST_NAME]
    gc.collect()  # OpenImageIO prints an error not taken when its input or output goes
    assert capfd.readouterr().err == "" and oiio.geterror() == ""
    assert copy_plate_frame(out, plate, 0, frame.spec, frame=1001) is True
    assert out.read_bytes()[-TAIL:] == plate.read_bytes()[-TAIL:]


def test_copying_from_a_plate_that_is_gone_or_onto_a_full_disk_says_which(tmp_path) -> None:
    from test_safety import mounted
    plate = tmp_path / "a.1001.exr"
    _plate(plate)
    frame = read_frame(plate, 1001)
    with pytest.raises(PlateError, match="unreadable plate frame") as gone:
        copy_plate_frame(tmp_path / "b.1001.exr", tmp_path / "none.1001.exr", 0, frame.spec,
                         frame=1001)
    assert gone.value.frame == 1001 and gone.value.path == str(tmp_path / "none.1001.exr")
    with pytest.raises(PlateError, match="unreadable part 1"):
        copy_plate_frame(tmp_path / "b.1001.exr", plate, 1, frame.spec, frame=1001)
    full = tmp_path / "full"
    with mounted(full, "size=64k"), pytest.raises(DiskFullError) as no_room:
        copy_plate_frame(full / "b.1001.exr", plate, 0, frame.spec, frame=1001)
    assert no_room.value.path == str(full / "b.1001.exr")
