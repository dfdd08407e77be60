"""Reduced plate reads for analysis: only the RGB channels, as float, equal to the full read's
RGB (the expected values come from writing known pixels, not from the reader under test)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import oiiotool

from faceplate.plateio.frame import Box, PlateFrame, read_frame, read_rgb_frame
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
    pixels[9, 9, names.index("R")] = -np.inf
    others = [i for i, name in enumerate(names) if name not in ("R", "G", "B")]
    for i in others:  # NaN in the other channels: not counted
        pixels[1, 1, i] = np.nan
    _write(tmp_path / "p.exr", names, pixels)
    expected = pixels[..., [names.index(c) for c in "RGB"]].astype(np.float32)
    frame = read_rgb_frame(tmp_path / "p.exr", 1)
    assert frame.pixels.dtype == np.float32 and frame.pixels.shape == (30, 40, 3)
    np.testing.assert_array_equal(frame.pixels, expected)  # NaN where NaN
    assert frame.data_box == Box(-4, -3, 36, 27)
    assert frame.nonfinite_count() == 3
    box = Box(0, 0, 10, 8)
    np.testing.assert_array_equal(frame.rgb_region(box), expected[3:11, 4:14])
    full = read_frame(tmp_path / "p.exr", 1)
    np.testing.assert_array_equal(frame.rgb_region(box), full.rgb_region(box))
    assert full.pixels.dtype == np.float16  # counted in the file's own type
    assert full.nonfinite_count() == 3


def test_rgb_read_of_an_integer_file_is_normalised_like_the_full_read(tmp_path):
    pixels = np.arange(24 * 20 * 3, dtype=np.uint16).reshape(20, 24, 3) * 37
    path = tmp_path / "p.png"
    spec = oiio.ImageSpec(24, 20, 3, oiio.UINT16)
    write_image(path, spec, pixels)
    frame = read_rgb_frame(path, 1)
    np.testing.assert_allclose(frame.pixels, pixels / 65535.0, rtol=1e-6)
    full = read_frame(path, 1)
    np.testing.assert_array_equal(frame.pixels, full.rgb_region(full.data_box))


_DECODE_UNDER_A_MEMORY_CEILING = """
import resource, sys
from pathlib import Path
from faceplate.errors import FrameRefusedError
from faceplate.plateio.frame import Box, read_frame, read_rgb_box, read_rgb_frame
from faceplate.plateio.limits import FrameLimits
from faceplate.plateio.frame import read_rgb_image

size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmSize:"))
ceiling = size + 64 * 1024 * 1024  # room to run, none for 216 MB of pixels
resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
path, roomy = Path(sys.argv[1]), FrameLimits(max_bytes=1 << 40)
for name, read in (("read_frame", lambda: read_frame(path, 7, roomy)),
                   ("read_rgb_frame", lambda: read_rgb_frame(path, 7, roomy)),
                   ("read_rgb_image", lambda: read_rgb_image(path, roomy)),
                   ("read_rgb_box", lambda: read_rgb_box(path, 7, Box(0, 0, 6000, 6000), roomy))):
    try:
        read()
        print(name, "decoded")
    except FrameRefusedError as exc:
        print(name, "refused", exc.frame, exc)
"""


def test_a_frame_that_does_not_fit_in_memory_is_refused_not_a_crash(tmp_path):
    """A real out-of-memory: the process's address space is capped below the decoded size of a
    6000x6000 frame (216 MB as half, 230 KB on disk) whose header the limits let through."""
    big = tmp_path / "big.exr"
    oiiotool("--create", "6000x6000", "3", "-d", "half", "--compression", "zip", "-o", big)
    ran = subprocess.run([sys.executable, "-c", _DECODE_UNDER_A_MEMORY_CEILING, str(big)],
                         capture_output=True, text=True, check=True)
    lines = ran.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["read_frame", "refused"], ["read_rgb_frame", "refused"], ["read_rgb_image", "refused"],
        ["read_rgb_box", "refused"]]
    assert all("not enough memory to decode it" in line for line in lines)
    assert lines[0].split()[2] == "7"


def test_nonfinite_count_of_a_float_frame_whose_finite_values_sum_past_float32(tmp_path):
    """Finite values too large to sum in float32 are still finite; NaN and Inf are counted."""
    pixels = np.full((4, 5, 3), 3e38, np.float32)  # their sum overflows to Inf
    frame = PlateFrame(tmp_path / "p.exr", 1, oiio.ImageSpec(5, 4, 3, oiio.FLOAT), pixels,
                       (0, 1, 2))
    assert frame.nonfinite_count() == 0
    pixels[1, 2, 0], pixels[3, 4, 2], pixels[0, 0, 1] = np.nan, np.inf, -np.inf
    assert frame.nonfinite_count() == 3
