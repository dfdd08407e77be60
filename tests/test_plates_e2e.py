"""Whole runs on studio plates: LogC4 tiled with custom attributes and a separate matte
sequence; ACES2065-1 multi-part (a depth part and an RGB part) with the matte as a channel
and a spec compression. Checked with ``oiiotool --info -v -a`` and ``idiff``."""

import json
import subprocess

import numpy as np
import pytest
import yaml
from conftest import (
    header_lines,
    make_shot,
    oiiotool,
    read_header,
    read_pixels,
    run_cli,
    tool,
    write_spec,
)

from faceplate.ocio import PINNED_CONFIG
from faceplate.plateio.write import read_matte

pytestmark = pytest.mark.slow
FRAMES = "1001-1003"




def idiff(a, b, *extra):
    return subprocess.run([tool("idiff"), *extra, str(a), str(b)], capture_output=True,
                          text=True).returncode


def native(path, part=0):
    return read_pixels(path, part), read_header(path, part)


def shot_with(folder, colour, space, output):
    """The test shot (ACEScg, overscan, depth AOV), its plate converted to ``space``."""
    shot = make_shot(folder, colour, FRAMES)
    spec = yaml.safe_load(shot.spec_path.read_text())
    spec["plate"]["colorspace"] = space
    spec["output"].update(output)
    write_spec(folder, spec)
    return shot


@pytest.fixture(scope="module")
def logc4(tmp_path_factory, colour):
    """ARRI LogC4, tiled 64x64, piz, with studio attributes; a separate matte sequence."""
    shot = shot_with(tmp_path_factory.mktemp("logc4"), colour, "ARRI LogC4", {})
    for f in shot.frames:
        src = shot.plate(f).with_suffix(".acescg.exr")
        shot.plate(f).rename(src)
        oiiotool("--colorconfig", PINNED_CONFIG, src, "--colorconvert", "ACEScg", "ARRI LogC4",
                 "--eraseattrib", "colorInteropID", "--attrib", "oiio:ColorSpace", "ARRI LogC4",
                 "--tile", 64, 64, "--compression", "piz", "--attrib", "studio/show", "fp",
                 "--attrib", "studio/take", 3, "--attrib", "owner", "plates dept",
                 "-o", shot.plate(f))
        src.unlink()
    return shot, run_cli("run", str(shot.spec_path))


@pytest.fixture(scope="module")
def aces(tmp_path_factory, colour):
    """ACES2065-1 multi-part: part 0 'depth' (depth.Z), part 1 'rgb'; matte as a channel only."""
    shot = shot_with(tmp_path_factory.mktemp("ap0"), colour, "ACES2065-1",
                     {"matte": None, "matte_channel": True, "compression": "zips"})
    for f in shot.frames:
        src = shot.plate(f).with_suffix(".acescg.exr")
        shot.plate(f).rename(src)
        oiiotool("--colorconfig", PINNED_CONFIG, src, "--ch", "depth.Z", "--attrib", "name",
                 "depth", src, "--ch", "R,G,B", "--colorconvert", "ACEScg", "ACES2065-1",
                 "--eraseattrib", "colorInteropID", "--attrib", "oiio:ColorSpace", "ACES2065-1",
                 "--attrib", "name", "rgb", "--attrib", "studio/lens", 35.0, "--siappend",
                 "-o", shot.plate(f))
        src.unlink()
    return shot, run_cli("run", str(shot.spec_path))


def _swapped(shot):
    qc = json.loads(shot.qc_json.read_text())
    return [r["frame"] for r in qc["frames"] if r["status"] == "swapped"]


def test_logc4_tiled_plate_keeps_header_and_outside_pixels(logc4):
    shot, result = logc4
    assert result.returncode == 0, result.stderr
    assert _swapped(shot) == shot.frames
    for f in shot.frames:
        plate, out = shot.plate(f), shot.output(f)
        # windows, tiles, piz, channels, studio/* and owner
        assert header_lines(out) == header_lines(plate)
        assert idiff(plate, out) == 2  # the face changed
        before, plate_spec = native(plate)
        after, spec = native(out)
        matte = read_matte(shot.matte(f), plate_spec)[..., None]  # over the plate's window
        outside = matte[..., 0] == 0
        np.testing.assert_array_equal(after.view(np.uint16)[outside],
                                      before.view(np.uint16)[outside])
        np.testing.assert_array_equal(after[..., 3].view(np.uint16),
                                      before[..., 3].view(np.uint16))  # depth AOV
        assert spec.get_string_attribute("studio/show") == "fp"
        assert spec.getattribute("faceplate/aiAssisted") == 1


def test_aces2065_multipart_plate_gets_matte_channel_and_compression(aces):
    shot, result = aces
    assert result.returncode == 0, result.stderr
    assert _swapped(shot) == shot.frames
    assert not list((shot.folder / "out").glob("tst010_fp_matte.*"))
    for f in shot.frames:
        plate, out = shot.plate(f), shot.output(f)
        expected = [line.replace('compression: "zip"', 'compression: "zips"')
                    .replace("3 channel, half", "4 channel, half")
                    .replace("channel list: R, G, B", "channel list: R, G, B, faceplate.matte")
                    .replace("80x64 [h,h,h]", "80x64 [h,h,h,h]")
                    .replace("672x392 [h,h,h]", "672x392 [h,h,h,h]")
                    for line in header_lines(plate)]
        chunking = ("oiio:RowsPerChunk", "openexr:chunkCount")  # follow from the compression
        assert ([line for line in header_lines(out) if not line.startswith(chunking)]
                == [line for line in expected if not line.startswith(chunking)])
        depth_plate, depth_out = native(plate, 0)[0], native(out, 0)[0]
        np.testing.assert_array_equal(depth_out.view(np.uint16), depth_plate.view(np.uint16))
        before, _ = native(plate, 1)
        after, spec = native(out, 1)
        assert spec.channelnames == ("R", "G", "B", "faceplate.matte")
        assert spec.getattribute("studio/lens") == 35.0
        outside = after[..., 3] == 0
        assert 0.5 < outside.mean() < 1
        np.testing.assert_array_equal(after[..., :3].view(np.uint16)[outside],
                                      before.view(np.uint16)[outside])
