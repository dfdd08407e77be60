import json
import os

import numpy as np
import OpenImageIO as oiio
import pytest

from faceplate.errors import OutputError, PlateError
from faceplate.plateio.frame import Box, read_frame
from faceplate.plateio.write import matte_box, read_matte, write_image, write_matte
from faceplate.written import MANIFEST_NAME


def _plate(path, *, tiled=False):
    spec = oiio.ImageSpec(80, 60, 4, oiio.HALF)
    spec.channelnames = ("R", "G", "B", "depth.Z")
    spec.x, spec.y = -10, -5
    spec.full_width, spec.full_height = 64, 48
    spec.attribute("compression", "piz")
    spec.attribute("studio/take", "tk3")
    spec.attribute("framesPerSecond", oiio.TypeDesc("rational2i"), (24000, 1001))
    if tiled:
        spec.tile_width = spec.tile_height = 16
    rng = np.random.default_rng(0)
    pixels = rng.random((60, 80, 4)).astype(np.float16)
    write_image(path, spec, pixels)
    return pixels


@pytest.mark.parametrize("tiled", [False, True])
def test_header_and_pixels_survive_a_round_trip(tmp_path, tiled):
    src = tmp_path / "a.1001.exr"
    pixels = _plate(src, tiled=tiled)
    frame = read_frame(src, 1001)
    assert frame.pixels.dtype == np.float16
    assert frame.data_box == Box(-10, -5, 70, 55)
    assert frame.display_size == (64, 48)
    dst = tmp_path / "b.1001.exr"
    write_image(dst, frame.spec, frame.pixels, {"faceplate/test": 1})
    out = oiio.ImageInput.open(str(dst))
    spec = out.spec()
    assert (spec.x, spec.y, spec.width, spec.height) == (-10, -5, 80, 60)
    assert (spec.full_width, spec.full_height) == (64, 48)
    assert spec.get_string_attribute("compression") == "piz"
    assert spec.get_string_attribute("studio/take") == "tk3"
    assert spec.getattribute("faceplate/test") == 1
    assert spec.tile_width == (16 if tiled else 0)
    assert tuple(spec.channelnames) == ("R", "G", "B", "depth.Z")
    np.testing.assert_array_equal(out.read_image(0, 0, 0, 4, oiio.UNKNOWN).view(np.uint16),
                                  pixels.view(np.uint16))
    out.close()


def test_set_rgb_region_touches_only_masked_rgb(tmp_path):
    src = tmp_path / "a.1001.exr"
    pixels = _plate(src)
    frame = read_frame(src, 1001)
    box = Box(0, 0, 20, 10)
    where = np.zeros((10, 20), bool)
    where[2:5, 3:9] = True
    frame.set_rgb_region(box, np.full((10, 20, 3), 0.25, np.float32), where)
    changed = frame.pixels.view(np.uint16) != pixels.view(np.uint16)
    ys, xs, cs = np.nonzero(changed)
    # display (0,0) is data pixel (5,10): the changed block is rows 7..9, cols 13..18, RGB only.
    assert set(cs) <= {0, 1, 2}
    assert ys.min() == 7 and ys.max() == 9 and xs.min() == 13 and xs.max() == 18
    assert np.all(frame.pixels[7:10, 13:19, :3] == np.float16(0.25))


def test_missing_and_unreadable_frames_raise_with_frame(tmp_path):
    with pytest.raises(PlateError) as err:
        read_frame(tmp_path / "none.1001.exr", 1001)
    assert err.value.frame == 1001 and "missing" in str(err.value)
    bad = tmp_path / "bad.1002.exr"
    bad.write_bytes(b"not an exr at all")
    with pytest.raises(PlateError, match="unreadable") as err:
        read_frame(bad, 1002)
    assert err.value.frame == 1002


def test_write_is_atomic_and_leaves_no_temporary(tmp_path):
    src = tmp_path / "a.1001.exr"
    _plate(src)
    frame = read_frame(src, 1001)
    dst = tmp_path / "out" / "b.1001.exr"
    write_image(dst, frame.spec, frame.pixels)
    # the frame, and the folder's manifest of what faceplate wrote (no temporary listed; an
    # output frame not among the files faceplate may remove later unless asked)
    assert sorted(os.listdir(dst.parent)) == [MANIFEST_NAME, "b.1001.exr"]
    assert json.loads((dst.parent / MANIFEST_NAME).read_text()) == {
        "schema": json.loads((dst.parent / MANIFEST_NAME).read_text())["schema"],
        "files": [], "temporaries": []}
    write_image(dst, frame.spec, frame.pixels, record=True)
    assert json.loads((dst.parent / MANIFEST_NAME).read_text())["files"] == ["b.1001.exr"]
    # A failing write (wrong pixel shape) raises and leaves neither the frame nor a temporary.
    failed = tmp_path / "out" / "c.1001.exr"
    with pytest.raises((OutputError, ValueError, RuntimeError)):
        write_image(failed, frame.spec, np.zeros((3, 3, 1), np.float16))
    assert sorted(os.listdir(dst.parent)) == [MANIFEST_NAME, "b.1001.exr"]
    assert json.loads((dst.parent / MANIFEST_NAME).read_text())["temporaries"] == []


def test_matte_is_single_channel_float_with_plate_windows(tmp_path):
    src = tmp_path / "a.1001.exr"
    _plate(src)
    frame = read_frame(src, 1001)
    matte = np.zeros((60, 80), np.float32)
    matte[10:20, 10:20] = 0.5
    write_matte(tmp_path / "m.1001.exr", frame.spec, matte)
    spec = oiio.ImageInput.open(str(tmp_path / "m.1001.exr")).spec()
    assert spec.nchannels == 1 and spec.format == oiio.FLOAT
    # the data window is the matte's box (plate data origin -10, -5 plus 10, 10); the display
    # window is the plate's
    assert (spec.x, spec.y, spec.width, spec.height) == (0, 5, 10, 10)
    assert (spec.full_x, spec.full_y, spec.full_width, spec.full_height) == (0, 0, 64, 48)
    assert spec.get_string_attribute("compression") == "piz"  # the plate's
    full = oiio.ImageBuf(str(tmp_path / "m.1001.exr"))
    window = oiio.ROI(-10, 70, -5, 55, 0, 1, 0, 1)  # the plate's data window
    np.testing.assert_array_equal(full.get_pixels(oiio.FLOAT, window)[..., 0], matte)
    np.testing.assert_array_equal(read_matte(tmp_path / "m.1001.exr", frame.spec), matte)


def test_an_empty_matte_is_one_black_pixel_and_reads_back_empty(tmp_path):
    src = tmp_path / "a.1001.exr"
    _plate(src)
    frame = read_frame(src, 1001)
    write_matte(tmp_path / "m.1001.exr", frame.spec, np.zeros((60, 80), np.float32))
    spec = oiio.ImageInput.open(str(tmp_path / "m.1001.exr")).spec()
    assert (spec.x, spec.y, spec.width, spec.height) == (-10, -5, 1, 1)
    back = read_matte(tmp_path / "m.1001.exr", frame.spec)
    assert back.shape == (60, 80) and not back.any()


def test_a_frame_written_with_a_matte_but_no_channel_name_keeps_the_plates_channels(tmp_path):
    from faceplate.plateio.output import write_frame
    src = tmp_path / "a.1001.exr"
    pixels = _plate(src)
    frame = read_frame(src, 1001)
    out = tmp_path / "out" / "b.1001.exr"
    write_frame(out, frame, matte=np.ones((60, 80), np.float32))  # the matte goes to its file
    spec = oiio.ImageInput.open(str(out)).spec()
    assert tuple(spec.channelnames) == ("R", "G", "B", "depth.Z")
    written = oiio.ImageInput.open(str(out)).read_image(oiio.UNKNOWN)
    np.testing.assert_array_equal(np.asarray(written).view(np.uint16), pixels.view(np.uint16))


def test_a_mattes_box_spans_every_row_and_column_it_covers(tmp_path):
    """Pixels at (x 5, y 2) and (x 9, y 7), the one furthest right on the last row: the box is
    x 5-10, y 2-8 (end exclusive)."""
    matte = np.zeros((12, 16), np.float32)
    matte[2, 5] = 0.3
    matte[7, 9] = 1.0
    assert matte_box(matte) == (5, 2, 10, 8)
    matte[7, 9], matte[7, 3] = 0.0, 1.0  # now furthest left on the last row
    assert matte_box(matte) == (3, 2, 6, 8)
    matte[4, 4], matte[7, 3], matte[7, 11] = 0.5, 0.0, 1.0  # three rows, the widest the last
    assert matte_box(matte) == (4, 2, 12, 8)


def test_a_matte_that_cannot_be_read_is_an_output_error_naming_it(tmp_path):
    """A matte file gone (OpenImageIO still hands back an empty array): a one-line error
    naming the file, not a reshape failure."""
    src = tmp_path / "a.1001.exr"
    _plate(src)
    frame = read_frame(src, 1001)
    with pytest.raises(OutputError, match="unreadable matte") as refused:
        read_matte(tmp_path / "m.1001.exr", frame.spec)
    assert refused.value.path == str(tmp_path / "m.1001.exr")
