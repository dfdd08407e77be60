"""Plate pixels decoded by the OpenEXR package where OpenImageIO's embedded copy is slow
(faceplate.plateio.openexr_pixels): which files it decodes, the same bits as written, the rest
and the damaged left to OpenImageIO, and OpenEXR's own messages kept off the terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from faceplate.errors import PlateError
from faceplate.plateio import openexr_pixels
from faceplate.plateio.frame import Box, read_frame, read_rgb_frame, read_rgb_rows
from faceplate.plateio.write import write_parts


def _pixels(height: int, width: int, channels: int, dtype: type) -> np.ndarray:
    """Values with fine detail, negatives, a NaN and an Inf (all kept as they are)."""
    rng = np.random.default_rng(channels)
    values = rng.normal(0.2, 2.0, (height, width, channels)).astype(dtype)
    values[1, 2, 0], values[3, 1, 1] = np.nan, np.inf
    return values


def _write(path: Path, pixels: np.ndarray, *, names=("R", "G", "B"), compression="zip",
           offset=(0, 0), tiled=False, line_order=None) -> Path:
    height, width, count = pixels.shape
    spec = oiio.ImageSpec(width, height, count, oiio.HALF if pixels.dtype == np.float16
                          else oiio.FLOAT)
    spec.channelnames = names
    spec.x, spec.y = offset
    spec.full_width, spec.full_height = width + 8, height + 8
    spec.attribute("compression", compression)
    if tiled:
        spec.tile_width = spec.tile_height = 16
    if line_order:
        spec.attribute("openexr:lineOrder", line_order)
    write_parts(path, [(spec, pixels)])
    return path


def _spec(path: Path) -> tuple[oiio.ImageSpec, int]:
    inp = oiio.ImageInput.open(str(path))
    specs = []
    while inp.seek_subimage(len(specs), 0):
        specs.append(oiio.ImageSpec(inp.spec()))
    inp.close()
    return specs[0], len(specs)


def _bits(values: np.ndarray) -> list:
    return values.view(np.uint16 if values.dtype == np.float16 else np.uint32).tolist()


@pytest.mark.parametrize("compression", ["zip", "zips", "rle"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("names", [("R", "G", "B"), ("R", "G", "B", "A")])
def test_a_predicted_rgb_part_is_decoded_to_the_bits_written(tmp_path, compression, dtype,
                                                             names):
    written = _pixels(37, 53, len(names), dtype)
    path = _write(tmp_path / "p.1001.exr", written, names=names, compression=compression,
                  offset=(-5, 3))
    spec, parts = _spec(path)
    assert openexr_pixels.decodes(spec, parts)
    decoded = openexr_pixels.pixels(path, spec)
    assert decoded is not None and decoded.dtype == dtype and decoded.shape == written.shape
    assert _bits(decoded) == _bits(written)
    assert decoded.flags.writeable and decoded.flags.c_contiguous
    # the plate readers give the same bits through it
    assert _bits(read_frame(path, 1001).pixels) == _bits(written)
    rgb = read_rgb_frame(path, 1001, half=True).pixels
    assert _bits(np.ascontiguousarray(rgb)) == _bits(np.ascontiguousarray(written[..., :3]))
    wide = read_rgb_frame(path, 1001).pixels  # float32, R, G, B only
    assert wide.dtype == np.float32 and wide.flags.c_contiguous
    assert _bits(wide) == _bits(written[..., :3].astype(np.float32))


def test_a_plate_stored_bottom_up_is_decoded_top_down(tmp_path):
    written = _pixels(40, 24, 3, np.float16)
    path = _write(tmp_path / "p.1001.exr", written, line_order="decreasingY")
    spec, _ = _spec(path)
    assert spec.get_string_attribute("openexr:lineOrder") == "decreasingY"
    assert _bits(openexr_pixels.pixels(path, spec)) == _bits(written)


@pytest.mark.parametrize("case", ["piz", "none", "dwaa", "tiled", "extra channel", "lower case",
                                  "mixed types", "integer"])
def test_other_files_are_left_to_openimageio(tmp_path, case):
    path = tmp_path / "p.1001.exr"
    pixels = _pixels(32, 32, 3, np.float16)
    if case in ("piz", "none", "dwaa"):
        _write(path, pixels, compression=case)
    elif case == "tiled":
        _write(path, pixels, tiled=True)
    elif case == "extra channel":
        _write(path, _pixels(32, 32, 4, np.float16), names=("R", "G", "B", "Z"))
    elif case == "lower case":
        _write(path, pixels, names=("r", "g", "b"))
    elif case == "mixed types":
        spec = oiio.ImageSpec(32, 32, 4, oiio.HALF)
        spec.channelnames = ("R", "G", "B", "A")
        spec.channelformats = (oiio.HALF, oiio.HALF, oiio.HALF, oiio.FLOAT)
        spec.attribute("compression", "zip")
        out = oiio.ImageOutput.create(str(path))
        out.open(str(path), spec)
        out.write_image(_pixels(32, 32, 4, np.float32))
        out.close()
    else:
        spec = oiio.ImageSpec(32, 32, 3, oiio.UINT32)
        spec.attribute("compression", "zip")
        out = oiio.ImageOutput.create(str(path))
        out.open(str(path), spec)
        out.write_image(np.arange(32 * 32 * 3, dtype=np.uint32).reshape(32, 32, 3))
        out.close()
    spec, parts = _spec(path)
    assert not openexr_pixels.decodes(spec, parts)
    zip_spec, _ = _spec(_write(tmp_path / "zip.exr", pixels))
    assert openexr_pixels.decodes(zip_spec, 1)
    assert not openexr_pixels.decodes(zip_spec, 2)  # one part of a multi-part file
    zip_spec.deep = True
    assert not openexr_pixels.decodes(zip_spec, 1)


def test_a_damaged_plate_is_left_to_openimageio_and_only_faceplate_speaks(tmp_path, capfd):
    """OpenEXR prints its own lines on a damaged file (stderr from its core library, stdout
    from its binding); they are held and dropped; OpenImageIO's read names the frame."""
    path = _write(tmp_path / "p.1001.exr", _pixels(256, 64, 3, np.float16))
    whole = path.read_bytes()
    path.write_bytes(whole[:len(whole) // 2])
    spec, parts = _spec(path)
    assert openexr_pixels.decodes(spec, parts)
    assert openexr_pixels.pixels(path, spec) is None
    assert capfd.readouterr() == ("", "")
    for read in (read_frame, read_rgb_frame):
        with pytest.raises(PlateError, match="unreadable plate frame") as raised:
            read(path, 1001)
        assert raised.value.frame == 1001
    assert capfd.readouterr() == ("", "")


def test_a_frame_read_in_rows_is_decoded_whole_only_for_more_than_half_its_rows(
        tmp_path, monkeypatch):
    written = _pixels(200, 16, 3, np.float16)
    path = _write(tmp_path / "p.1001.exr", written)
    decoded: list[Path] = []
    through = openexr_pixels.pixels

    def counted(at, spec):
        decoded.append(at)
        return through(at, spec)
    monkeypatch.setattr(openexr_pixels, "pixels", counted)
    for spans, whole in (([(0, 100)], False), ([(0, 100), (150, 151)], True),
                         ([(16, 64), (96, 160)], True), ([(0, 16), (32, 48)], False)):
        decoded.clear()
        rows, _ = read_rgb_rows(path, 1001, lambda _spec, spans=spans: spans)
        assert len(decoded) == int(whole)
        for (y0, y1), got in zip(spans, rows, strict=True):
            assert got.data_box == Box(0, y0, 16, y1) and got.pixels.shape == (y1 - y0, 16, 3)
            assert _bits(np.ascontiguousarray(got.pixels)) == _bits(written[y0:y1])


def test_a_file_that_is_not_what_its_header_said_is_left_to_openimageio(tmp_path):
    """Another writer replaced it between OpenImageIO's header read and the decode."""
    header, _ = _spec(_write(tmp_path / "a.exr", _pixels(32, 48, 3, np.float16)))
    for other in (_pixels(32, 40, 3, np.float16), _pixels(40, 48, 3, np.float16),
                  _pixels(32, 48, 3, np.float32)):
        path = _write(tmp_path / "b.exr", other)
        assert openexr_pixels.pixels(path, header) is None
    floats, _ = _spec(_write(tmp_path / "f.exr", _pixels(32, 48, 3, np.float32)))
    assert openexr_pixels.pixels(_write(tmp_path / "h.exr", _pixels(32, 48, 3, np.float16)),
                                 floats) is None
    rgba = _write(tmp_path / "c.exr", _pixels(32, 48, 4, np.float16), names=("R", "G", "B", "A"))
    assert openexr_pixels.pixels(rgba, header) is None  # no "RGB" array in it
    assert openexr_pixels.pixels(_write(tmp_path / "d.exr", _pixels(32, 48, 3, np.float16)),
                                 header) is not None


def test_with_nowhere_to_hold_openexr_s_lines_the_frame_is_left_to_openimageio(tmp_path):
    """No temporary folder to write to (a farm node's full or missing one): nothing is held,
    and the frame is read through OpenImageIO, the same pixels."""
    import tempfile
    written = _pixels(24, 16, 3, np.float16)
    path = _write(tmp_path / "p.1001.exr", written)
    spec, _ = _spec(path)
    before, tempfile.tempdir = tempfile.tempdir, str(tmp_path / "gone")
    try:  # pytest's own capture makes temporary files too: put back at once
        decoded = openexr_pixels.pixels(path, spec)
    finally:
        tempfile.tempdir = before
    assert decoded is None
    assert _bits(read_frame(path, 1001).pixels) == _bits(written)
