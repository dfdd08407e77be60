"""The plate read path on real files OpenImageIO writes here: windows off the origin, parts,
channel names, native types, non-finite counts, header limits, the probe and the output checks.
Expected values are the pixels written, worked by hand from the formats, or OpenImageIO's own
read of the file, never faceplate's reader."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import oiiotool, read_pixels

from faceplate.errors import FrameRefusedError, PlateError, SpecError
from faceplate.plateio.compression import check_compression
from faceplate.plateio.formats import HOLDS, check_output_format
from faceplate.plateio.frame import (
    Box,
    PlateFrame,
    _in_order,
    band_starts,
    read_frame,
    read_header,
    read_rgb_bands,
    read_rgb_box,
    read_rgb_frame,
    read_rgb_image,
    to_native,
)
from faceplate.plateio.limits import (
    FrameLimits,
    available_memory,
    check_header,
    decoded_bytes,
)
from faceplate.plateio.output import write_frame
from faceplate.plateio.probe import format_table, probe_sequence

ROOMY = FrameLimits(max_bytes=1 << 30)
TYPES = {np.dtype(np.uint8): oiio.UINT8, np.dtype(np.uint16): oiio.UINT16,
         np.dtype(np.uint32): oiio.UINT32, np.dtype(np.float16): oiio.HALF,
         np.dtype(np.float32): oiio.FLOAT, np.dtype(np.float64): oiio.DOUBLE}


def _spec(pixels: np.ndarray, names, fmt=None, origin=(0, 0), full=None) -> oiio.ImageSpec:
    """A header for ``pixels`` (H, W, C): data window at ``origin``, display window ``full``
    (x, y, width, height; default the data window)."""
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], len(names),
                          fmt if fmt is not None else TYPES[pixels.dtype])
    spec.channelnames = tuple(names)
    spec.x, spec.y = origin
    if full is not None:
        spec.full_x, spec.full_y, spec.full_width, spec.full_height = full
    return spec


def _write(path: Path, *parts: tuple[oiio.ImageSpec, np.ndarray]) -> Path:
    """Write each (header, pixels) as one part of ``path`` with OpenImageIO itself (parts
    without a name are named by their index, as EXR needs)."""
    for i, (spec, _) in enumerate(parts):
        if len(parts) > 1 and not spec.getattribute("name"):
            spec.attribute("name", f"part{i}")
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), [spec for spec, _ in parts]), out.geterror()
    for i, (spec, pixels) in enumerate(parts):
        if i:
            assert out.open(str(path), spec, "AppendSubimage"), out.geterror()
        assert out.write_image(pixels), out.geterror()
    out.close()
    return path


def _half(shape, seed=0) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) * 4 - 1).astype(np.float16)


# --- windows -----------------------------------------------------------------------------------

def test_boxes_of_no_width_or_height_are_empty_and_intersect_by_their_overlap():
    assert Box(2, 3, 2, 9).empty and Box(2, 3, 5, 3).empty and Box(5, 0, 4, 1).empty
    assert not Box(2, 3, 3, 4).empty
    assert Box(0, 0, 10, 8).intersect(Box(6, -2, 12, 5)) == Box(6, 0, 10, 5)
    assert (Box(3, 4, 9, 10).width, Box(3, 4, 9, 10).height) == (6, 6)


@pytest.fixture
def off_origin(tmp_path):
    """A half EXR whose display window starts at (10, 20), 40x30, and whose 30x20 data window
    starts at (6, 25): 4 px left of the display window, 5 px below its top."""
    pixels = _half((20, 30, 3), 1)
    spec = _spec(pixels, "RGB", origin=(6, 25), full=(10, 20, 40, 30))
    spec.attribute("compression", "zip")  # 16 scanlines a block: bands of 4 cross blocks
    return _write(tmp_path / "p.exr", (spec, pixels)), pixels


def test_a_display_window_off_the_origin_puts_the_data_window_in_display_pixels(off_origin):
    path, pixels = off_origin
    frame = read_frame(path, 1)
    assert frame.data_box == Box(-4, 5, 26, 25)  # (6 - 10, 25 - 20), 30 x 20
    assert frame.display_size == (40, 30)
    want = pixels[2:6, 4:9].astype(np.float32)  # display (0..5, 7..11): data rows 2.., cols 4..
    np.testing.assert_array_equal(frame.rgb_region(Box(0, 7, 5, 11)), want)
    np.testing.assert_array_equal(read_rgb_frame(path, 1).rgb_region(Box(0, 7, 5, 11)), want)
    box = read_rgb_box(path, 1, Box(0, 7, 5, 11))
    assert box.data_box == Box(0, 7, 5, 11)
    np.testing.assert_array_equal(box.pixels, want)
    np.testing.assert_array_equal(box.rgb_region(box.data_box), want)  # R, G, B as they lie


def test_a_box_crossing_the_data_windows_edge_is_cut_to_it_and_one_outside_reads_whole(
        off_origin):
    path, pixels = off_origin
    cut = read_rgb_box(path, 1, Box(20, 0, 40, 8))  # right of x 26, above y 5: cut off
    assert cut.data_box == Box(20, 5, 26, 8)
    np.testing.assert_array_equal(cut.pixels, pixels[0:3, 24:30].astype(np.float32))
    outside = read_rgb_box(path, 1, Box(27, 0, 40, 4))
    assert outside.data_box == Box(-4, 5, 26, 25)
    np.testing.assert_array_equal(outside.pixels, pixels.astype(np.float32))


def test_every_reader_holds_the_header_to_the_limits_it_is_given(off_origin):
    path, _ = off_origin
    tight = FrameLimits(max_bytes=20 * 30 * 3 * 2 - 1)  # a byte short of the half RGB
    for read in (lambda limits: read_frame(path, 1, limits),
                 lambda limits: read_rgb_frame(path, 1, limits),
                 lambda limits: read_rgb_bands(path, 1, 2, 4, limits),
                 lambda limits: read_rgb_box(path, 1, Box(0, 7, 5, 11), limits)):
        with pytest.raises(FrameRefusedError, match="its pixels need"):
            read(tight)
        read(None)
        read(FrameLimits(max_bytes=20 * 30 * 3 * 2))


def test_a_frame_whose_pixels_are_cut_short_is_unreadable_not_refused(tmp_path):
    pixels = _half((64, 64, 3), 4)
    spec = _spec(pixels, "RGB")
    spec.attribute("compression", "zip")
    path = _write(tmp_path / "p.exr", (spec, pixels))
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])  # the header stays whole
    for read in (read_frame, read_rgb_frame, lambda p, f: read_rgb_bands(p, f, 2, 16),
                 lambda p, f: read_rgb_box(p, f, Box(0, 40, 10, 50))):
        with pytest.raises(PlateError) as err:
            read(path, 3)
        assert type(err.value) is PlateError and err.value.frame == 3
        assert err.value.message.startswith("unreadable plate frame: ")


def test_bands_and_a_box_decode_only_the_blocks_that_hold_them(tmp_path):
    """Zip EXR blocks are 16 scanlines, stored top to bottom: with the file's last bytes cut
    off, the frame read whole is unreadable, while one band of rows 32..47 (the middle of
    64) and a box in rows 2..9 read as written."""
    pixels = _half((64, 8, 3), 10)
    spec = _spec(pixels, "RGB")
    spec.attribute("compression", "zip")
    path = _write(tmp_path / "p.exr", (spec, pixels))
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(PlateError, match="unreadable plate frame"):
        read_rgb_frame(path, 1)
    bands, _ = read_rgb_bands(path, 1, 1, 16)
    np.testing.assert_array_equal(bands, pixels[32:48].astype(np.float32))
    box = read_rgb_box(path, 1, Box(1, 2, 5, 10))
    np.testing.assert_array_equal(box.pixels, pixels[2:10, 1:5].astype(np.float32))


def test_bands_of_an_integer_frame_are_its_rows_normalised(tmp_path):
    pixels = (np.arange(40 * 6 * 3, dtype=np.uint16) * 50).reshape(40, 6, 3)
    path = _write(tmp_path / "p.png", (_spec(pixels, "RGB"), pixels))
    bands, _ = read_rgb_bands(path, 1, 2, 8)  # (0.5 * 20) // 8 * 8 = 8, (1.5 * 20) // 8 * 8 = 24
    want = np.concatenate([pixels[8:16], pixels[24:32]]) / 65535.0
    np.testing.assert_allclose(bands, want, rtol=1e-6)


def test_the_last_band_ends_inside_the_window():
    # 40 rows, 8 bands of 16: (i + 0.5) * 5 = 2.5 .. 37.5, down to a block: 0, 16, 32; a band
    # from 32 would pass row 40, so the last starts at (40 - 16) // 16 * 16 = 16
    assert band_starts(40, 8, 16) == [0, 16]
    assert band_starts(16, 8, 16) == [0]


def test_bands_of_a_window_off_the_origin_are_its_rows(off_origin):
    path, pixels = off_origin
    bands, spec = read_rgb_bands(path, 1, 2, 4)
    starts = [4, 12]  # (0.5 * 20 / 2) // 4 * 4 and (1.5 * 20 / 2) // 4 * 4, rows from the top
    want = np.concatenate([pixels[s:s + 4] for s in starts]).astype(np.float32)
    np.testing.assert_array_equal(bands, want)
    assert (spec.x, spec.y) == (6, 25)


# --- channels, parts, types --------------------------------------------------------------------

def test_lower_case_rgb_in_a_later_part_is_found_past_three_other_channels(tmp_path):
    xyz = _half((6, 5, 3), 1)
    rgb = _half((6, 5, 3), 2)
    path = _write(tmp_path / "p.exr", (_spec(xyz, ["X", "Y", "Z"]), xyz),
                  (_spec(rgb, ["r", "g", "b"]), rgb))
    frame = read_frame(path, 1)
    assert frame.part == 1
    np.testing.assert_array_equal(frame.pixels, rgb)


def test_three_unnamed_channels_are_rgb_and_two_are_refused_naming_them(tmp_path):
    pixels = _half((6, 5, 3), 3)
    uv = _half((2, 3, 2), 9)  # a second part of another size, no RGB either
    path = _write(tmp_path / "xyz.exr", (_spec(pixels, ["X", "Y", "Z"]), pixels),
                  (_spec(uv, ["U", "V"], full=(0, 0, 5, 6)), uv))
    frame = read_frame(path, 1)
    assert (frame.part, frame.rgb, frame.data_box) == (0, (0, 1, 2), Box(0, 0, 5, 6))
    np.testing.assert_array_equal(frame.pixels, pixels)
    two = _half((6, 5, 2), 4)
    path = _write(tmp_path / "xy.exr", (_spec(two, ["U", "V"]), two))
    with pytest.raises(PlateError) as err:
        read_frame(path, 7)
    assert err.value.frame == 7
    assert err.value.message == "no RGB channels (channels: U, V)"


def test_rgb_among_other_channels_is_read_alone(tmp_path):
    pixels = _half((6, 5, 5), 5)
    path = _write(tmp_path / "p.exr", (_spec(pixels, ["B", "X", "R", "Y", "G"]), pixels))
    want = pixels[..., [2, 4, 0]].astype(np.float32)
    np.testing.assert_array_equal(read_rgb_frame(path, 1).pixels, want)
    np.testing.assert_array_equal(read_rgb_box(path, 1, Box(1, 2, 4, 5)).pixels,
                                  want[2:5, 1:4])


def test_channels_taken_out_of_order_are_one_copy_in_that_order_and_in_order_none():
    """OpenImageIO's readers put R, G, B first; a reader that did not would be reordered."""
    pixels = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    out = _in_order(pixels, [3, 1, 0])
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, pixels[..., [3, 1, 0]])
    assert _in_order(pixels, [0, 1, 2, 3]) is pixels
    strided = pixels[:, ::2]
    assert _in_order(strided, [0, 1, 2, 3]).flags.c_contiguous


@pytest.fixture
def rgb_in_part_1(tmp_path):
    """Part 0: a float depth channel; part 1: half R, G, B, A with an attribute of its own."""
    depth = np.random.default_rng(6).random((8, 6, 1)).astype(np.float32)
    first = _spec(depth, ["Z"])
    first.attribute("name", "depth")
    rgba = _half((8, 6, 4), 7)
    second = _spec(rgba, "RGBA")
    second.attribute("name", "beauty")
    second.attribute("studio:dept", "plate")
    return _write(tmp_path / "p.exr", (first, depth), (second, rgba)), rgba


def test_the_part_holding_rgb_is_read_and_its_header_reported(rgb_in_part_1):
    path, rgba = rgb_in_part_1
    frame = read_frame(path, 1)
    assert frame.part == 1 and frame.rgb == (0, 1, 2)
    assert frame.pixels.dtype == np.float16
    np.testing.assert_array_equal(frame.pixels, rgba)
    assert read_rgb_frame(path, 1).part == 1
    header = read_header(path, 1)
    assert header.channels == ("R", "G", "B", "A")
    assert header.attributes["studio:dept"] == "plate"
    assert (header.display, header.sample_type) == ((6, 8), "half")


def test_mixed_channel_types_read_as_float32_and_one_type_as_itself(tmp_path):
    rgb = _half((4, 5, 3), 8)
    spec = _spec(rgb, ["R", "G", "B", "Z"], fmt=oiio.HALF)
    spec.channelformats = (oiio.HALF, oiio.HALF, oiio.HALF, oiio.FLOAT)
    z = np.full((4, 5, 1), 1e6 + 0.5, np.float32)  # not a half value
    mixed = np.concatenate([rgb.astype(np.float32), z], axis=2)
    frame = read_frame(_write(tmp_path / "mixed.exr", (spec, mixed)), 1)
    assert frame.pixels.dtype == np.float32
    np.testing.assert_array_equal(frame.pixels, mixed)
    png = np.arange(60, dtype=np.uint8).reshape(4, 5, 3) * 4
    frame = read_frame(_write(tmp_path / "p.png", (_spec(png, "RGB"), png)), 1)
    assert frame.pixels.dtype == np.uint8
    np.testing.assert_array_equal(frame.pixels, png)
    np.testing.assert_allclose(frame.rgb_region(frame.data_box), png / 255.0, rtol=1e-6)
    analysed = read_rgb_frame(tmp_path / "p.png", 1)
    np.testing.assert_allclose(analysed.rgb_region(Box(1, 1, 4, 3)), png[1:3, 1:4] / 255.0,
                               rtol=1e-6)


def test_a_32_bit_unsigned_plate_is_read_in_kind_not_refused(tmp_path):
    """OpenImageIO names the type ``uint``; faceplate had listed ``uint32`` and refused it."""
    pixels = np.array([0, 1, 2**31, 2**32 - 1] * 6, np.uint32).reshape(2, 4, 3)
    for ext in ("exr", "tif"):
        path = _write(tmp_path / f"p.{ext}", (_spec(pixels, "RGB", fmt=oiio.UINT32), pixels))
        frame = read_frame(path, 1)
        assert frame.pixels.dtype == np.uint32
        np.testing.assert_array_equal(frame.pixels, pixels)
        check_output_format(tmp_path / f"out.{ext}", read_header(path, 1).sample_type, None)
        write_frame(tmp_path / f"out.{ext}", frame)
        np.testing.assert_array_equal(read_pixels(tmp_path / f"out.{ext}"), pixels)


def test_half_nan_of_any_payload_and_inf_are_counted_the_largest_finite_half_is_not():
    bits = np.full((2, 3, 3), 0x7BFF, np.uint16)  # 65504, the largest finite half
    bits[0, 0, 0], bits[0, 1, 1], bits[1, 2, 2] = 0x7C01, 0xFC00, 0x7E00  # NaN, -Inf, NaN
    frame = PlateFrame(Path("p.exr"), 1, oiio.ImageSpec(3, 2, 3, oiio.HALF),
                       bits.view(np.float16), (0, 1, 2))
    assert frame.nonfinite_count() == 3


def test_half_nan_and_inf_are_counted_on_every_row_of_a_tall_frame():
    """Counted a band of rows at a time: the first and last rows of bands, the last row."""
    bits = np.full((193, 5, 3), 0x3C00, np.uint16)  # 1.0; its last band one row
    rows = (0, 63, 64, 127, 128, 191, 192)
    for k, row in enumerate(rows):
        bits[row, k % 5, k % 3] = (0x7C00, 0xFE01)[k % 2]  # Inf, NaN
    frame = PlateFrame(Path("p.exr"), 1, oiio.ImageSpec(5, 193, 3, oiio.HALF),
                       bits.view(np.float16), (0, 1, 2))
    widened = bits.view(np.float16).astype(np.float32)
    assert frame.nonfinite_count() == len(rows) == np.count_nonzero(~np.isfinite(widened))


def test_an_integer_frame_has_no_nonfinite_values():
    frame = PlateFrame(Path("p.png"), 1, oiio.ImageSpec(3, 2, 3, oiio.UINT16),
                       np.full((2, 3, 3), 65535, np.uint16), (0, 1, 2))
    assert frame.nonfinite_count() == 0


def test_float_values_go_to_integers_rounded_and_clipped():
    values = np.array([[[-0.1, 0.2, 0.999], [1.5, 0.5 / 255, 1.0]]], np.float32)
    assert to_native(values, np.dtype(np.uint8)).tolist() == [[[0, 51, 255], [255, 0, 255]]]
    # 0.999 * 65535 = 65469.4; 0.5/255 * 65535 = 128.5 (NumPy rounds half to even: 128)
    assert to_native(values, np.dtype(np.uint16)).tolist() == [
        [[0, 13107, 65469], [65535, 128, 65535]]]
    assert to_native(values, np.dtype(np.float16)).dtype == np.float16


# --- stills ------------------------------------------------------------------------------------

def test_a_grey_still_is_three_equal_channels_and_a_colour_one_its_first_three(tmp_path):
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4, 1) * 20
    alpha = np.full((3, 4, 1), 255, np.uint8)  # opaque: PNG stores grey unpremultiplied
    for names, pixels in (("Y", grey), ("YA", np.concatenate([grey, alpha], axis=2))):
        image = read_rgb_image(_write(tmp_path / f"{names}.png", (_spec(pixels, names), pixels)))
        assert image.shape == (3, 4, 3) and image.dtype == np.float32
        np.testing.assert_allclose(image, np.concatenate([grey] * 3, axis=2) / 255.0, rtol=1e-6)
    rgba = np.arange(48, dtype=np.uint8).reshape(3, 4, 4) * 5
    for names in ("RGB", "RGBA"):
        pixels = rgba[..., :len(names)].copy()
        image = read_rgb_image(_write(tmp_path / f"{names}.png", (_spec(pixels, names), pixels)))
        np.testing.assert_allclose(image, rgba[..., :3] / 255.0, rtol=1e-6)


def test_a_still_is_held_to_the_limits_by_its_float_size(tmp_path):
    """A 10x10 RGB uint8 still takes 1200 bytes as float32, not its 300 bytes of uint8."""
    pixels = np.zeros((10, 10, 3), np.uint8)
    path = _write(tmp_path / "s.png", (_spec(pixels, "RGB"), pixels))
    assert read_rgb_image(path, FrameLimits(max_bytes=1200)).shape == (10, 10, 3)
    with pytest.raises(FrameRefusedError, match="refused before decoding"):
        read_rgb_image(path, FrameLimits(max_bytes=1199))
    with pytest.raises(PlateError, match="^unreadable image: "):
        read_rgb_image(tmp_path / "missing.png")


# --- header limits -----------------------------------------------------------------------------

def test_available_memory_lies_between_free_and_total_memory():
    page = os.sysconf("SC_PAGE_SIZE")
    free, total = os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page
    assert 0.5 * free <= available_memory() <= total


def test_plate_limits_take_an_eighth_of_the_memory_and_at_least_a_byte():
    limits = FrameLimits.for_plate((640, 360), memory=8000)
    assert (limits.display, limits.max_bytes, limits.max_channels) == ((640, 360), 1000, 1024)
    assert FrameLimits.for_plate(None, memory=7).max_bytes == 1
    page = os.sysconf("SC_PAGE_SIZE")
    now = FrameLimits.for_plate(None).max_bytes
    assert os.sysconf("SC_AVPHYS_PAGES") * page / 16 <= now <= os.sysconf("SC_PHYS_PAGES") * page


def test_decoded_bytes_by_sample_type_and_depth():
    assert decoded_bytes(oiio.ImageSpec(10, 20, 3, oiio.HALF)) == 10 * 20 * 3 * 2
    assert decoded_bytes(oiio.ImageSpec(10, 20, 3, oiio.UINT8)) == 10 * 20 * 3
    mixed = oiio.ImageSpec(10, 20, 4, oiio.HALF)
    mixed.channelformats = (oiio.HALF, oiio.HALF, oiio.HALF, oiio.UINT8)
    assert decoded_bytes(mixed) == 10 * 20 * 4 * 4  # read as float32
    volume = oiio.ImageSpec(10, 20, 3, oiio.FLOAT)
    volume.depth = 5
    assert decoded_bytes(volume) == 10 * 20 * 5 * 3 * 4
    volume.depth = 0
    assert decoded_bytes(volume) == 10 * 20 * 3 * 4


def _refusal(specs, limits) -> str:
    with pytest.raises(FrameRefusedError) as err:
        check_header(specs, limits, Path("p.1001.exr"), 1001)
    assert err.value.frame == 1001
    return err.value.message


def _header(width, height, channels=3, fmt=oiio.HALF, display=(640, 360)):
    spec = oiio.ImageSpec(width, height, channels, fmt)
    spec.full_width, spec.full_height = display
    return spec


def test_overscan_is_bounded_by_its_fraction_on_each_side_of_either_axis():
    quarter = FrameLimits(max_overscan=0.25, max_bytes=1 << 30)  # at most 1.5 times
    check_header([_header(960, 540)], quarter, Path("p.exr"), 1)
    assert _refusal([_header(961, 360)], quarter) == (
        "refused before decoding: data window 961x360 is far larger than the display window "
        "640x360 (at most 1.5 times)")
    assert "data window 640x541" in _refusal([_header(640, 541)], quarter)
    # no display given: each frame's own
    assert "display window 640x360 (at most 3 times)" in _refusal([_header(640, 1081)], ROOMY)


def test_channels_and_bytes_are_bounded_inclusively_and_summed_over_parts():
    check_header([_header(64, 64, 8)], FrameLimits(max_channels=8, max_bytes=1 << 30),
                 Path("p.exr"), 1)
    part = _header(1024, 512)  # 3 MiB of half RGB
    check_header([part], FrameLimits(max_bytes=3 << 20), Path("p.exr"), 1)
    assert _refusal([part], FrameLimits(max_bytes=(3 << 20) - 1)) == (
        "refused before decoding: its pixels need 3 MiB decoded, more than the 3 MiB a frame "
        "may take of the memory available")
    assert "need 6 MiB decoded, more than the 4 MiB" in _refusal(
        [part, part], FrameLimits(max_bytes=4 << 20))


def test_limits_without_a_memory_budget_refuse_every_pixel():
    assert "its pixels need 0 MiB decoded, more than the 0 MiB" in _refusal(
        [_header(1, 1, 1, oiio.UINT8)], FrameLimits())


def test_a_refusal_names_the_part_only_when_there_are_several():
    assert _refusal([_header(8, 8, 9)], FrameLimits(max_channels=8, max_bytes=1 << 30)) == (
        "refused before decoding: 9 channels, more than 8")
    assert _refusal([_header(8, 8), _header(8, 8, 9)],
                    FrameLimits(max_channels=8, max_bytes=1 << 30)) == (
        "refused before decoding: part 1: 9 channels, more than 8")


def test_every_sample_type_written_back_passes_and_double_is_refused(tmp_path):
    for fmt, ext in ((oiio.UINT8, "png"), (oiio.UINT16, "png"), (oiio.UINT32, "tif"),
                     (oiio.HALF, "exr"), (oiio.FLOAT, "exr")):
        pixels = np.zeros((4, 4, 3), np.float32)
        path = _write(tmp_path / f"{fmt}.{ext}", (_spec(pixels, "RGB", fmt=fmt), pixels))
        assert read_frame(path, 1).pixels.shape == (4, 4, 3), fmt
    path = _write(tmp_path / "d.tif", (_spec(np.zeros((4, 4, 3)), "RGB"), np.zeros((4, 4, 3))))
    with pytest.raises(FrameRefusedError) as err:
        read_frame(path, 1)
    assert err.value.message == ("refused before decoding: sample type double (faceplate writes "
                                 "back float, half, uint, uint16, uint8)")


def test_a_deep_frame_is_refused_by_its_header(tmp_path):
    oiiotool("--create", "4x4", "3", "--deepen", "-o", tmp_path / "deep.exr")
    with pytest.raises(FrameRefusedError, match="deep image"):
        read_frame(tmp_path / "deep.exr", 1)


# --- probe -------------------------------------------------------------------------------------

def test_probe_of_an_8_bit_png_sequence_and_its_table(tmp_path):
    pixels = np.zeros((6, 10, 3), np.uint8)
    for f in (7, 8, 9):
        _write(tmp_path / f"s.{f:03d}.png", (_spec(pixels, "RGB"), pixels))
    info = probe_sequence(str(tmp_path / "s.###.png"))
    assert (info.first, info.last, info.count, info.holes) == (7, 9, 3, "")
    assert (info.pixel_type, info.bits_per_sample, info.subimages) == ("uint8", 8, 1)
    assert format_table(info).splitlines() == [
        f"sequence        {tmp_path}/s.###.png",
        "frames          7-9 (3)",
        "range           7-9",
        "holes           none",
        "size            10x6",
        "data window     (0,0)-(9,5)",
        "display window  (0,0)-(9,5)",
        "channels        R, G, B",
        "pixel type      uint8",
        "compression     -",
        f"colourspace     {info.colorspace or '(not in header)'}",
        "subimages       1"]


def test_probe_counts_parts_and_reports_a_header_without_colour(rgb_in_part_1, tmp_path):
    path, _ = rgb_in_part_1
    path.rename(tmp_path / "m.0001.exr")
    info = probe_sequence(str(tmp_path / "m.####.exr"))
    assert (info.subimages, info.channels, info.colorspace) == (2, ("Z",), "")
    assert (info.pixel_type, info.bits_per_sample) == ("float", 32)
    assert "colourspace     (not in header)" in format_table(info).splitlines()


def test_probe_reports_windows_off_the_origin_inclusively(off_origin, tmp_path):
    path, _ = off_origin
    path.rename(tmp_path / "w.0001.exr")
    info = probe_sequence(str(tmp_path / "w.####.exr"))
    assert (info.data_window, info.display_window) == ((6, 25, 35, 44), (10, 20, 49, 49))
    table = format_table(info).splitlines()
    assert "data window     (6,25)-(35,44)" in table
    assert "display window  (10,20)-(49,49)" in table
    assert "compression     zip" in table
    assert "pixel type      half" in table  # 16 bits in 16: shown as it is


def test_probe_of_an_unreadable_first_frame_names_it(tmp_path):
    (tmp_path / "b.0003.exr").write_bytes(b"not an image")
    with pytest.raises(PlateError, match="^unreadable frame: ") as err:
        probe_sequence(str(tmp_path / "b.####.exr"))
    assert err.value.frame == 3


# --- output checks -----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", sorted(HOLDS))
def test_every_type_a_format_is_said_to_hold_comes_back_exactly(tmp_path, suffix):
    """Values of each type written to the format by OpenImageIO read back unchanged (as that
    type or a wider one)."""
    for name in HOLDS[suffix]:
        kind = oiio.TypeDesc(name)
        numpy_type = {"uint8": np.uint8, "uint16": np.uint16, "uint": np.uint32,
                      "half": np.float16, "float": np.float32}[name]
        if np.issubdtype(numpy_type, np.integer):
            pixels = np.array([0, 1, np.iinfo(numpy_type).max - 1] * 4, numpy_type)
        else:
            pixels = np.array([0, 0.1, -3.25e-3, 1.0009765625] * 3, numpy_type)
        pixels = pixels.reshape(2, 2, 3)
        path = _write(tmp_path / f"{name}{suffix}", (_spec(pixels, "RGB", fmt=kind), pixels))
        back = read_frame(path, 1).pixels
        if suffix in (".jpg", ".jpeg"):  # lossy: only the type is kept
            assert back.dtype == np.uint8
            continue
        np.testing.assert_array_equal(back.astype(np.float64), pixels.astype(np.float64),
                                      err_msg=f"{name} in {suffix}")


@pytest.mark.parametrize("suffix,plate_type", [(".png", "half"), (".dpx", "float"),
                                                (".jpg", "uint16"), (".jpeg", "half"),
                                                (".exr", "uint16"), (".tif", "double"),
                                                (".TIFF", "double")])
def test_a_format_that_cannot_hold_the_plate_is_refused_unless_a_type_is_asked(
        suffix, plate_type):
    with pytest.raises(SpecError, match=f"^output.path: {suffix.lower()} files cannot hold "
                                        f"the plate's {plate_type} samples"):
        check_output_format(Path(f"o.1001{suffix}"), plate_type, None)
    check_output_format(Path(f"o.1001{suffix}"), plate_type, "uint8" if "jp" in suffix
                        or suffix == ".png" or suffix == ".dpx" else "half")


def test_an_asked_type_the_format_cannot_hold_is_refused_by_its_key():
    with pytest.raises(SpecError, match=r"^output.pixel_type: \.png files hold uint16, uint8, "
                                        "not half$"):
        check_output_format(Path("o.png"), "uint8", "half")
    check_output_format(Path("o.png"), None, None)  # no plate frame readable to say
    check_output_format(Path("o.bmp"), "half", None)  # no table: OpenImageIO decides


def test_a_format_openimageio_cannot_write_is_refused():
    with pytest.raises(SpecError, match=r"^out.key: OpenImageIO writes no \.nosuch files$"):
        check_output_format(Path("o.nosuch"), "half", None, key="out.key")
    with pytest.raises(SpecError, match="writes no extensionless files"):
        check_output_format(Path("o"), "half", None)
    oiio.geterror()  # OpenImageIO's own message of the failed lookups, read


def test_compressions_openimageio_writes_are_kept_and_others_refused():
    for name in ("none", "zip", "piz", "b44a", "dwaa:45", "dwab"):
        assert check_compression(name) == name
    with pytest.raises(SpecError, match=r"^out.c: compression level must be a whole number, "
                                        "got 'dwaa:x'$"):
        check_compression("dwaa:x", key="out.c")
    with pytest.raises(SpecError, match="whole number, got 'dwaa:4.5'"):
        check_compression("dwaa:4.5")
    for bad in ("bogus", "zipx", ":45", ""):  # zipx: written as zip, which sorts before it
        with pytest.raises(SpecError, match=f"^output.compression: unknown EXR compression "
                                            f"'{bad}'"):
            check_compression(bad)


def test_analysis_reads_half_rgb_as_float32_exactly_as_openimageio_widens_it(tmp_path):
    """Half R, G, B are read as half and widened by faceplate; every value (NaN, Inf, the
    largest half, subnormals) equals OpenImageIO's own FLOAT read, bit for bit. A frame whose
    R, G, B are not all half is read as float by OpenImageIO: a float B keeps its value."""
    bits = np.arange(4 * 6 * 4, dtype=np.uint16).reshape(4, 6, 4) * 683  # across every exponent
    bits[0, 0, :3] = (0x7E00, 0x7C00, 0xFC00)   # NaN, +Inf, -Inf
    bits[0, 1, :3] = (0x7BFF, 0x0001, 0x8001)   # the largest half, subnormals
    rgba = bits.view(np.float16)
    path = _write(tmp_path / "half.exr", (_spec(rgba, "RGBA"), rgba))
    frame = read_rgb_frame(path, 1)
    oiio_float = oiio.ImageInput.open(str(path)).read_image(0, 0, 0, 3, oiio.FLOAT)
    assert frame.pixels.dtype == np.float32 and frame.pixels.shape == (4, 6, 3)
    assert np.array_equal(frame.pixels.view(np.uint32), oiio_float.view(np.uint32))
    # B as float: the whole read is OpenImageIO's float conversion, B's float value kept
    spec = _spec(rgba, ["R", "G", "B", "A"], fmt=oiio.HALF)
    spec.channelformats = (oiio.HALF, oiio.HALF, oiio.FLOAT, oiio.HALF)
    mixed = rgba.astype(np.float32)
    mixed[..., 2] = 1e6 + 0.5  # not a half value
    frame = read_rgb_frame(_write(tmp_path / "mixed.exr", (spec, mixed)), 1)
    assert np.all(frame.pixels[..., 2] == np.float32(1e6 + 0.5))
    assert np.array_equal(frame.pixels[..., :2], mixed[..., :2], equal_nan=True)
