"""Reduced plate reads for analysis: only the RGB channels, as float, equal to the full read's
RGB (the expected values come from writing known pixels, not from the reader under test)."""

from __future__ import annotations

import numpy as np
import OpenImageIO as oiio
import pytest

from faceplate.plateio.frame import Box, read_frame, read_rgb_frame
from faceplate.plateio.write import write_image


def _write(path, names, pixels, fmt=oiio.HALF):
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], len(names), fmt)
    spec.channelnames = tuple(names)
    spec.x, spec.y = -4, -3
    spec.full_width, spec.full_height = pixels.shape[1] - 8, pixels.shape[0] - 6
    write_image(path, spec, pixels)


@pytest.mark.parametrize("names", [("R", "G", "B"), ("R", "G", "B", "A", "depth.Z"),
                                   ("Y", "B", "G", "R")])
def test_rgb_read_is_the_rgb_channels_as_float(tmp_path, names):
    rng = np.random.default_rng(len(names))
    pixels = (rng.random((30, 40, len(names))) * 4 - 1).astype(np.float16)
    pixels[3, 5, names.index("G")] = np.nan
    pixels[7, 2, names.index("B")] = np.inf
    _write(tmp_path / "p.exr", names, pixels)
    expected = pixels[..., [names.index(c) for c in "RGB"]].astype(np.float32)
    frame = read_rgb_frame(tmp_path / "p.exr", 1)
    assert frame.pixels.dtype == np.float32 and frame.pixels.shape == (30, 40, 3)
    np.testing.assert_array_equal(frame.pixels, expected)  # NaN where NaN
    assert frame.data_box == Box(-4, -3, 36, 27)
    assert frame.nonfinite_count() == 2
    box = Box(0, 0, 10, 8)
    np.testing.assert_array_equal(frame.rgb_region(box), expected[3:11, 4:14])
    full = read_frame(tmp_path / "p.exr", 1)
    np.testing.assert_array_equal(frame.rgb_region(box), full.rgb_region(box))


def test_rgb_read_of_an_integer_file_is_normalised_like_the_full_read(tmp_path):
    pixels = np.arange(24 * 20 * 3, dtype=np.uint16).reshape(20, 24, 3) * 37
    path = tmp_path / "p.png"
    spec = oiio.ImageSpec(24, 20, 3, oiio.UINT16)
    write_image(path, spec, pixels)
    frame = read_rgb_frame(path, 1)
    np.testing.assert_allclose(frame.pixels, pixels / 65535.0, rtol=1e-6)
    full = read_frame(path, 1)
    np.testing.assert_array_equal(frame.pixels, full.rgb_region(full.data_box))
