"""Analysis reads only what it needs: a frame on which no face is followed and the detector is
not due is read in bands of rows (enough to tell a cut), and a face that comes in between the
detector's frames is still found from the frame it came in on."""

from __future__ import annotations

import json
import shutil
import signal
import time
from fractions import Fraction
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import OBAMA, record_frames, spec_dict, write_spec

import faceplate.pipeline.analyse.stage
from faceplate.demo.build import PLATE_COLORSPACE, SOURCE_COLORSPACE, plate_spec
from faceplate.errors import RunStopped
from faceplate.face.image8 import to_uint8
from faceplate.pipeline.analyse.flow import ProxyGeometry, band_thumb, band_view, cut_between
from faceplate.pipeline.stage_files.paths import analysis_path
from faceplate.pipeline.stop import StopFlag
from faceplate.plateio.frame import Box, PlateFrame, band_starts, read_rgb_bands, read_rgb_frame
from faceplate.plateio.write import write_image

FIRST = 1001
#: Frames of the shot before the face comes in (its face covered by a flat patch).
COVERED = 4
#: The astronaut's face on the 512-px portrait (x0, y0, x1, y1), seen by eye with a margin.
FACE = (150, 40, 300, 210)


def test_band_starts_spread_whole_blocks_down_the_window():
    # 100 rows, 8 bands of 16: (i + 0.5) * 12.5 rounded down to a block, the last band ending
    # inside the window (at most row 84), repeats merged
    assert band_starts(100, 8, 16) == [0, 16, 32, 48, 64, 80]
    assert band_starts(1080, 8, 16) == [64, 192, 336, 464, 592, 736, 864, 1008]
    assert band_starts(10, 8, 16) == [0]


def test_bands_are_the_rows_of_the_whole_frame(tmp_path):
    """Bands read alone equal the same rows of the frame read whole, in R, G, B order (the
    file stores B, G, R, A; its data window starts above the display window)."""
    values = np.random.default_rng(5).random((70, 24, 4)).astype(np.float16)
    spec = oiio.ImageSpec(24, 70, 4, oiio.HALF)
    spec.channelnames = ("B", "G", "R", "A")
    spec.y, spec.full_y, spec.full_height = -6, 0, 58
    spec.attribute("compression", "zip")
    out = oiio.ImageOutput.create(str(tmp_path / "f.exr"))
    assert out.open(str(tmp_path / "f.exr"), spec) and out.write_image(values) and out.close()
    rows, header = read_rgb_bands(tmp_path / "f.exr", 1, 3, 16)
    assert header.height == 70
    starts = band_starts(70, 3, 16)  # 11.7, 35, 58.3 down to a block; the last ends at 64
    assert starts == [0, 32, 48]
    rgb = values[..., [2, 1, 0]].astype(np.float32)
    assert np.array_equal(rows, np.concatenate([rgb[s:s + 16] for s in starts]))
    whole = read_rgb_frame(tmp_path / "f.exr", 1).pixels
    assert np.array_equal(rows, np.concatenate([whole[s:s + 16] for s in starts]))


def _half_exr(path: Path, values: np.ndarray) -> tuple[oiio.ImageSpec, np.ndarray]:
    """``values`` (H, W, 3 half) written as a zip EXR at ``path`` by OpenImageIO: its spec, and
    the file read back as float32 by OpenImageIO with NaN and Inf as 0."""
    height, width = values.shape[:2]
    spec = oiio.ImageSpec(width, height, 3, oiio.HALF)
    spec.attribute("compression", "zip")
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec) and out.write_image(values) and out.close()
    as_float = np.asarray(oiio.ImageInput.open(str(path)).read_image(oiio.FLOAT), np.float32)
    return spec, np.nan_to_num(as_float, nan=0.0, posinf=0.0, neginf=0.0)


@pytest.mark.parametrize(("width", "height"), [(120, 90), (100, 70), (90, 120), (40, 30)])
def test_a_frames_proxy_is_its_float_rgb_cleaned_and_scaled_at_one_scale(tmp_path, width,
                                                                          height):
    """At most 64 px on its longer side: 120 x 90 and the tall 90 x 120 at 8/15 give whole
    sizes (made in bands of half floats widened in turn), 100 x 70 at 16/25 does not (made
    whole), 40 x 30 is kept. Each is the frame read as float32 by OpenImageIO, NaN and Inf as
    0, through OpenCV's area filter at one scale on both axes, whatever rows they lie on."""
    from faceplate.pipeline.analyse.plate_proxy import proxy_of, proxy_scale

    values = (np.random.default_rng(width).random((height, width, 3)) * 4).astype(np.float16)
    values[17, 5, 0], values[height - 20, 9, 2], values[3, 2, 1] = np.nan, np.inf, -np.inf
    path = tmp_path / "f.exr"
    spec, clean = _half_exr(path, values)
    scale = 64 / max(width, height)
    expected = clean if scale >= 1 else cv2.resize(clean, None, fx=scale, fy=scale,
                                                   interpolation=cv2.INTER_AREA)
    frame = read_rgb_frame(path, 1, half=True)
    assert frame.pixels.dtype == np.float16 and frame.nonfinite_count() == 3
    proxy = proxy_of(frame, proxy_scale(frame.data_box, 64), clean=False)
    assert proxy.dtype == np.float32 and proxy.shape == expected.shape
    assert np.array_equal(proxy, expected)
    finite = tmp_path / "g.exr"
    out = oiio.ImageOutput.create(str(finite))
    assert out.open(str(finite), spec) and out.write_image(np.nan_to_num(values, posinf=0,
                                                                         neginf=0))
    assert out.close()
    clean_frame = read_rgb_frame(finite, 1, half=True)
    assert np.array_equal(proxy_of(clean_frame, proxy_scale(clean_frame.data_box, 64), True),
                          expected)


@pytest.mark.parametrize(("width", "height", "rows", "asked"), [
    # 120 x 90 at 8/15 (8 proxy pixels every 15 plate pixels): rows 30-75 read make proxy
    # rows 16-40; asked on and off whole plate pixels, across and past the rows made
    (120, 90, (30, 75), [(0, 48, 0, 64), (16, 40, 8, 56), (17, 39, 3, 61), (10, 20, 0, 5),
                         (0, 16, 0, 64), (40, 48, 30, 40), (20, 30, 60, 64), (20, 30, 13, 50),
                         (21, 35, 9, 23),
                         # past the proxy's last row (cut there, as an array's slice is),
                         # empty, and backwards (empty)
                         (30, 60, 0, 64), (20, 20, 0, 64), (30, 20, 0, 64), (20, 30, 5, 5),
                         (20, 30, 40, 30)]),
    # 40 x 30 at scale 1: any row
    (40, 30, (7, 23), [(0, 30, 0, 40), (5, 9, 11, 12), (22, 30, 0, 40)]),
])
def test_a_proxy_made_where_read_is_the_whole_proxy_there(tmp_path, width, height, rows,
                                                          asked):
    """The proxy of a frame read only in rows ``rows`` (its NaN and Inf as 0), made a region
    at a time as flow asks for it: each region is what OpenCV's area filter gives the whole
    frame read by OpenImageIO (cleaned) there, inside the proxy rows those rows make, and 0
    outside them."""
    from faceplate.pipeline.analyse.plate_proxy import PartProxy, proxy_scale
    from faceplate.plateio.frame import read_rgb_rows

    values = (np.random.default_rng(height).random((height, width, 3)) * 4).astype(np.float16)
    values[rows[0] + 2, 5, 0], values[rows[1] - 3, 30, 2] = np.nan, np.inf
    path = tmp_path / "f.exr"
    _, clean = _half_exr(path, values)
    scale = min(1.0, 64 / max(width, height))
    whole = clean if scale == 1 else cv2.resize(clean, None, fx=scale, fy=scale,
                                                interpolation=cv2.INTER_AREA)
    expected = np.zeros_like(whole)
    made = (round(rows[0] * scale), round(rows[1] * scale))
    expected[made[0]:made[1]] = whole[made[0]:made[1]]
    (main,), _ = read_rgb_rows(path, 1, lambda h: [rows])
    box = Box(0, 0, width, height)
    proxy = PartProxy(main, box, proxy_scale(box, 64), made)
    assert proxy.shape == whole.shape
    for r0, r1, c0, c1 in asked:
        region = proxy[r0:r1, c0:c1]
        assert region.dtype == np.float32
        assert region.shape == expected[r0:r1, c0:c1].shape, (r0, r1, c0, c1)
        assert np.array_equal(region, expected[r0:r1, c0:c1]), (r0, r1, c0, c1)


@pytest.mark.parametrize(("size", "side", "rows"), [
    ((1920, 1080), 1024, 15),  # 8/15: 1024 x 576
    ((120, 90), 64, 15),       # 8/15: 64 x 48 (90 x 15/8 is not whole: a scale, not its inverse)
    ((90, 120), 64, 15),       # the same, tall
    ((2048, 1152), 1024, 2),   # 1/2
    ((512, 512), 1024, 1),     # kept: scale 1
    ((1998, 1080), 1024, None),  # 512/999: 1024 wide, 553.5 high
    ((1100, 800), 1024, None),   # 256/275: 1024 wide, 744.7 high
    ((800, 1100), 1024, None),   # the same, tall: the height whole, the width not
])
def test_whole_proxy_rows_need_a_whole_proxy_size_on_both_axes(size, side, rows):
    """The plate rows that make whole proxy rows at a time: the scale's denominator, where the
    proxy's width and height at that scale are whole numbers of pixels; None otherwise."""
    from faceplate.pipeline.analyse.plate_proxy import proxy_scale, whole_rows

    data = Box(0, 0, *size)
    assert whole_rows(data, proxy_scale(data, side)) == rows


def test_a_clean_float_frame_kept_at_its_size_is_its_own_proxy():
    """At scale 1 a float32 RGB frame without NaN or Inf is the proxy as it lies (no copy); one
    holding them is a cleaned copy."""
    from dataclasses import replace

    from faceplate.pipeline.analyse.plate_proxy import proxy_of, rgb_of

    pixels = np.random.default_rng(3).random((30, 40, 3)).astype(np.float32)
    frame = PlateFrame(Path("plate.exr"), 1, oiio.ImageSpec(40, 30, 3, oiio.FLOAT), pixels,
                       (0, 1, 2))
    proxy = proxy_of(frame, Fraction(1), clean=True)
    assert np.shares_memory(proxy, pixels) and np.array_equal(proxy, pixels)
    assert np.shares_memory(rgb_of(frame, Box(5, 6, 25, 16)), pixels)
    dirty = pixels.copy()
    dirty[4, 7, 1] = np.nan
    cleaned = proxy_of(replace(frame, pixels=dirty), Fraction(1), clean=False)
    assert not np.shares_memory(cleaned, dirty) and np.isnan(dirty[4, 7, 1])
    assert cleaned[4, 7, 1] == 0.0 and np.array_equal(np.delete(cleaned.ravel(), 4 * 120 + 22),
                                                      np.delete(dirty.ravel(), 4 * 120 + 22))


def test_rows_read_alone_are_the_rows_of_the_whole_frame(tmp_path):
    """Spans of rows read alone equal the same rows of the frame read whole (half kept
    half), each a frame whose data window is its rows; a file storing B, G, R, A (its data
    window above the display window) too, and an 8-bit file (read whole and cut)."""
    from faceplate.plateio.frame import read_rgb_rows

    values = np.random.default_rng(7).random((70, 24, 4)).astype(np.float16)
    for name, channels, kind, pixels in (("a.exr", ("R", "G", "B", "A"), oiio.HALF, values),
                                         ("b.exr", ("B", "G", "R", "A"), oiio.HALF, values),
                                         ("c.png", ("R", "G", "B", "A"), oiio.UINT8,
                                          (values * 255).astype(np.uint8))):
        spec = oiio.ImageSpec(24, 70, 4, kind)
        spec.channelnames = channels
        if name.endswith(".exr"):
            spec.y, spec.full_y, spec.full_height = -6, 0, 58
            spec.attribute("compression", "zip")
        out = oiio.ImageOutput.create(str(tmp_path / name))
        assert out.open(str(tmp_path / name), spec) and out.write_image(pixels) and out.close()
        frames, header = read_rgb_rows(tmp_path / name, 1, lambda h: [(3, 20), (48, 64)])
        whole = read_rgb_frame(tmp_path / name, 1, half=True)
        assert header.height == 70
        for frame, (y0, y1) in zip(frames, [(3, 20), (48, 64)]):
            assert frame.pixels.dtype == whole.pixels.dtype
            assert np.array_equal(frame.pixels, whole.pixels[y0:y1])
            data = whole.data_box
            assert frame.data_box == Box(data.x0, data.y0 + y0, data.x1, data.y0 + y1)
        if name == "a.exr":
            assert np.array_equal(frames[0].pixels, values[3:20, :, :3])


@pytest.mark.parametrize(("size", "wanted", "rows"), [
    # 1080p at 8/15: whole proxy rows every 15 plate rows; bands at 64, 192, ..., 1008
    ((1920, 1080), (100.3, 700.2), (90, 705)),
    # the top in a band (64-80): the band whole, then down to a multiple of 15
    ((1920, 1080), (75.0, 700.0), (60, 705)),
    # the bottom in a band (736-752): the band whole, then up to 765
    ((1920, 1080), (100.0, 740.0), (90, 765)),
    # past the frame: clipped to it; more than 9 rows in 10: read whole
    ((1920, 1080), (-50.0, 500.0), (0, 510)),
    ((1920, 1080), (10.0, 1075.0), None),
    # 1998 x 1080 at 512/999: no whole proxy rows; a 512 x 512 frame at scale 1: any row,
    # its bands at 96-112 and 288-304 whole
    ((1998, 1080), (100.0, 500.0), None),
    ((512, 512), (100.4, 300.6), (96, 304)),
    ((512, 512), (113.0, 287.4), (113, 288)),
])
def test_a_followed_frame_is_read_in_whole_proxy_rows_that_hold_its_bands_whole(size, wanted,
                                                                                  rows):
    from faceplate.pipeline.analyse.plate_proxy import proxy_scale
    from faceplate.pipeline.analyse.stage import _part_rows

    data = Box(0, 0, *size)
    assert _part_rows(data, proxy_scale(data, 1024), wanted) == rows


def _shot(folder: Path, colour, frames: int, covered: int = COVERED,
          down: list[int] | None = None, mirrored_from: int | None = None,
          overscan: int = 0) -> Path:
    """The astronaut portrait moving a pixel a frame to the right (and ``down[i]`` pixels down
    on frame i; mirrored left to right from frame ``mirrored_from``: a cut); its face covered
    by a flat patch of its own mean colour on the first ``covered`` frames."""
    portrait = cv2.imread(str(resources.files("faceplate.demo") / "data" / "astronaut.png"))
    linear = colour.convert(cv2.cvtColor(portrait, cv2.COLOR_BGR2RGB).astype(np.float32) / 255,
                            SOURCE_COLORSPACE, PLATE_COLORSPACE)
    (folder / "plates").mkdir(parents=True)
    for i in range(frames):
        dy = down[i] if down else 0
        pixels = cv2.warpAffine(linear, np.float32([[1, 0, i], [0, 1, dy]]), (512, 512),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if i < covered:
            x0, y0, x1, y1 = FACE
            pixels[y0 + dy:y1 + dy, x0 + i:x1 + i] = \
                pixels[y0 + dy:y1 + dy, x0 + i:x1 + i].mean(axis=(0, 1))
        if mirrored_from is not None and i >= mirrored_from:
            pixels = np.ascontiguousarray(pixels[:, ::-1])
        write_image(folder / "plates" / f"tst010.{FIRST + i:04d}.exr",
                    plate_spec(512 - 2 * overscan, 512 - 2 * overscan, overscan=overscan),
                    pixels.astype(np.float16), frame=FIRST + i)
    (folder / "refs").mkdir()
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    spec = spec_dict()
    spec["plate"]["frames"] = f"{FIRST}-{FIRST + frames - 1}"
    return write_spec(folder, spec)


def _analysed_reading_in_part(folder: Path, colour, down: list[int], most: float,
                              monkeypatch, mirrored_from: int | None = None,
                              overscan: int = 0) -> tuple[list[dict], list[int], list[int]]:
    """The stored analysis (less its seconds) of a shot of ``len(down)`` frames, the face
    moving ``down``, with frames read in part where that leaves out more than ``1 - most`` of
    their rows; and the frames read in part, and those of them looked at whole again."""
    from faceplate.nodes.shot import ShotNode
    from faceplate.pipeline.analyse import stage

    node = ShotNode.from_file(_shot(folder, colour, len(down), 0, down, mirrored_from,
                                    overscan))
    parts: list[int] = []
    again: list[int] = []
    real_rows, real_read = stage.read_rows, stage._analyse_read

    def read_rows(*args, **kwargs):
        plate = real_rows(*args, **kwargs)
        if plate.whole is not None:
            parts.append(plate.frame.frame)
        return plate

    def analyse_read(number, plate, *args, **kwargs):
        if plate.whole is None and number in parts:
            again.append(number)
        return real_read(number, plate, *args, **kwargs)

    monkeypatch.setattr(stage, "_PART_MOST", most)
    monkeypatch.setattr(stage, "read_rows", read_rows)
    monkeypatch.setattr(stage, "_analyse_read", analyse_read)
    node.analyse()
    monkeypatch.undo()
    stored = json.loads(analysis_path(node.spec).read_text())
    return [{k: v for k, v in f.items() if k != "seconds"} for f in stored["frames"]], parts, again


@pytest.mark.slow
def test_a_followed_frame_read_in_part_is_analysed_as_if_read_whole(tmp_path, colour,
                                                                     monkeypatch):
    """The face followed over 12 frames, moving a pixel down a frame, then 40 rows on the 6th:
    the frames between detector frames are read only in the rows following needs (not the
    second, read before the first's face is known, nor the 9th, the detector's, nor the
    last, nor the 8th, read after the jump was measured: room for another such move is most
    of the frame); the jump's frame and the next (read before the jump was seen) are looked
    at whole again (their faces' rows were not read; the bands, moved 40 rows, told a cut
    that the whole pictures do not), and the analysis is the one of every frame read
    whole."""
    down = [i + (40 if i >= 5 else 0) for i in range(12)]
    in_part, parts, again = _analysed_reading_in_part(tmp_path / "a", colour, down, 0.9,
                                                      monkeypatch)
    whole, none, _ = _analysed_reading_in_part(tmp_path / "b", colour, down, 0.0, monkeypatch)
    assert [f["detector"] for f in whole] == [i in (0, 8) for i in range(12)]
    assert all(f["faces"] and not f["cut"] for f in whole)
    assert parts == [FIRST + i for i in (2, 3, 4, 5, 6, 9, 10)] and none == []
    assert again == [FIRST + 5, FIRST + 6]
    assert in_part == whole


@pytest.mark.slow
def test_a_plate_with_overscan_read_in_part_is_analysed_as_if_read_whole(tmp_path, colour,
                                                                          monkeypatch):
    """The data window 24 pixels larger than the display window on every side (its rows from
    -24): frames read in part, in data-window rows, hold what following needs (none is read
    whole again) and give the analysis of every frame read whole, in display pixels."""
    down = list(range(10))
    in_part, parts, again = _analysed_reading_in_part(tmp_path / "a", colour, down, 0.9,
                                                      monkeypatch, overscan=24)
    whole, _, _ = _analysed_reading_in_part(tmp_path / "b", colour, down, 0.0, monkeypatch,
                                            overscan=24)
    assert len(parts) >= 5 and all(f["faces"] for f in whole)
    assert again == []  # the rows read were the rows needed: none read whole again
    assert in_part == whole


@pytest.mark.slow
def test_a_cut_on_a_frame_read_in_part_is_told_as_read_whole(tmp_path, colour, monkeypatch):
    """The picture mirrored from the 6th frame on (a cut): the frame read in part is looked at
    whole, the cut is found there and the face followed across none, as when every frame is
    read whole."""
    down = list(range(10))
    in_part, parts, again = _analysed_reading_in_part(tmp_path / "a", colour, down, 0.9,
                                                      monkeypatch, mirrored_from=5)
    whole, _, _ = _analysed_reading_in_part(tmp_path / "b", colour, down, 0.0, monkeypatch,
                                            mirrored_from=5)
    assert [f["frame"] for f in whole if f["cut"]] == [FIRST + 5]
    assert FIRST + 5 in parts and FIRST + 5 in again
    assert in_part == whole


@pytest.mark.slow
def test_a_face_that_comes_in_between_detector_frames_is_found_where_it_came_in(
        tmp_path, colour, monkeypatch):
    from faceplate.nodes.shot import ShotNode

    spec_path = _shot(tmp_path, colour, 10)
    banded = record_frames(monkeypatch, faceplate.pipeline.analyse.stage, "read_rgb_bands")
    analysis = ShotNode.from_file(spec_path).analyse()
    frames = analysis.frames
    came_in = FIRST + COVERED
    assert not any(a.cut for a in frames.values())
    assert [f for f, a in frames.items() if a.faces] == list(range(came_in, FIRST + 10))
    assert frames[came_in].detector and frames[came_in].faces[0].origin == "detected"
    assert all(a.faces[0].tracked_from == 0 for f, a in frames.items() if f > came_in)
    # read in bands, once each: the covered frames from the third (the second is read ahead
    # before the first's faces are known) up to the one before the detector is due again (8
    # frames after the first, read whole at once), the detector not run on them
    assert banded == list(range(FIRST + 2, FIRST + 8))
    assert not any(frames[f].detector for f in range(FIRST + 1, came_in))


def test_a_stop_asked_during_analysis_ends_it_after_the_frame_in_flight(tmp_path, colour):
    """Asked to stop on frame 1002's progress report, analysis raises RunStopped naming 1002
    and stores no analysis (a stop on the last frame's report is no stop: it is done)."""
    from faceplate.nodes.shot import ShotNode

    flag = StopFlag()

    def progress(report):
        if report.stage == "analyse" and report.frame == FIRST + 1:
            flag.request(signal.SIGTERM)

    node = ShotNode.from_file(_shot(tmp_path / "a", colour, 3), progress=progress, stop=flag)
    with pytest.raises(RunStopped) as stopped:
        node.analyse()
    assert str(stopped.value) == f"stopped after analysing frame {FIRST + 1}; no frame rendered"
    assert not analysis_path(node.spec).exists()
    flag = StopFlag()

    def last(report):
        if report.stage == "analyse" and report.frame == FIRST + 2:
            flag.request(signal.SIGTERM)

    node = ShotNode.from_file(_shot(tmp_path / "b", colour, 3), progress=last, stop=flag)
    assert sorted(node.analyse().frames) == [FIRST, FIRST + 1, FIRST + 2]


@pytest.mark.slow
def test_the_analysis_is_the_same_however_many_frames_are_read_ahead(tmp_path, colour,
                                                                     monkeypatch):
    """Read one frame ahead, frame 1003 (covered: quiet) is read in bands; read three ahead,
    it is read whole before the first frame's faces are known. Either way it is analysed from
    its bands: a NaN on a row outside them is not counted, and the analyses are the same."""
    from faceplate.nodes.shot import ShotNode

    analyses, reads = [], []
    for depth in (1, 3):
        spec_path = _shot(tmp_path / str(depth), colour, 10)
        path = tmp_path / str(depth) / "plates" / f"tst010.{FIRST + 2:04d}.exr"
        pixels = np.asarray(oiio.ImageInput.open(str(path)).read_image(oiio.FLOAT))
        outside = next(y for y in range(512) if all(not s <= y < s + 16
                                                    for s in band_starts(512, 8, 16)))
        pixels[outside, 7, 1] = np.nan
        write_image(path, plate_spec(512, 512), pixels.astype(np.float16), frame=FIRST + 2)
        monkeypatch.setattr(faceplate.pipeline.analyse.stage, "_READ_AHEAD", depth)
        banded = record_frames(monkeypatch, faceplate.pipeline.analyse.stage, "read_rgb_bands")
        node = ShotNode.from_file(spec_path)
        node.analyse()
        stored = json.loads(analysis_path(node.spec).read_text())
        analyses.append([{k: v for k, v in frame.items() if k != "seconds"}
                         for frame in stored["frames"]])
        reads.append(FIRST + 2 in banded)
        monkeypatch.undo()
    assert reads == [True, False]
    assert [f["frame"] for f in analyses[0]] == list(range(FIRST, FIRST + 10))
    assert analyses[0][2]["nonfinite_pixels"] == 0
    assert analyses[0] == analyses[1]


def test_a_shot_without_a_face_runs_the_detector_every_8_frames_and_on_the_last(tmp_path,
                                                                              colour):
    """Ten frames, the face covered on all: the detector runs on the first, 8 frames later
    and on the last; every frame is in the analysis, faceless, with the seconds it took (at
    most the whole analysis')."""
    from faceplate.nodes.shot import ShotNode

    node = ShotNode.from_file(_shot(tmp_path, colour, 10, covered=10))
    start = time.perf_counter()
    frames = node.analyse().frames
    took = time.perf_counter() - start
    assert sorted(frames) == list(range(FIRST, FIRST + 10))
    assert all(a.status == "ok" and not a.faces and not a.cut for a in frames.values())
    assert [f for f, a in frames.items() if a.detector] == [FIRST, FIRST + 8, FIRST + 9]
    assert all(0 <= a.seconds <= took for a in frames.values())


def _followed_after_a_moved_copy(tmp_path, colour, shift, *, copy_first):
    """The analysis of the frame after the face first shows, following two faces of that
    frame: its own, and a copy moved ``shift`` px to the right (listed first or second)."""
    from dataclasses import replace

    from faceplate.nodes.shot import ShotNode
    from faceplate.pipeline.analyse.stage import AnalyseSettings, Previous, analyse_frame

    node = ShotNode.from_file(_shot(tmp_path, colour, COVERED + 2))
    settings, pre = AnalyseSettings(), node.preflight()
    first, view = analyse_frame(node.spec, FIRST + COVERED, settings, node.ctx, pre)
    (face,) = first.faces
    moved = replace(face, landmarks=np.asarray(face.landmarks) + (shift, 0.0, 0.0),
                    bbox=[face.bbox[0] + shift, face.bbox[1], face.bbox[2] + shift,
                          face.bbox[3]])
    faces = [moved, face] if copy_first else [face, moved]
    after, _ = analyse_frame(node.spec, FIRST + COVERED + 1, settings, node.ctx, pre,
                             Previous(faces, view))
    return after


def test_two_faces_followed_onto_one_keep_the_first_and_lose_the_second(tmp_path, colour):
    """Two faces of the frame before (the same face's mesh twice, the second moved 3 px):
    both follow onto the one face of the next frame; boxes overlapping more than 0.3 are one
    face, so the first is kept and the second is lost, with the reason."""
    after = _followed_after_a_moved_copy(tmp_path, colour, 3.0, copy_first=False)
    assert [(f.origin, f.tracked_from) for f in after.faces] == [("tracked", 0)]
    assert [(lost.previous, lost.reason) for lost in after.lost] == [
        (1, "followed onto another face of this frame")]


def _portrait_shot(folder: Path, colour, scale: int) -> Path:
    """One frame: the astronaut portrait made ``scale`` times larger (512 * scale square)."""
    portrait = cv2.imread(str(resources.files("faceplate.demo") / "data" / "astronaut.png"))
    portrait = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    linear = colour.convert(cv2.cvtColor(portrait, cv2.COLOR_BGR2RGB).astype(np.float32) / 255,
                            SOURCE_COLORSPACE, PLATE_COLORSPACE)
    (folder / "plates").mkdir(parents=True)
    write_image(folder / "plates" / f"tst010.{FIRST:04d}.exr",
                plate_spec(512 * scale, 512 * scale), linear.astype(np.float16), frame=FIRST)
    (folder / "refs").mkdir()
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    spec = spec_dict()
    spec["plate"]["frames"] = f"{FIRST}"
    return write_spec(folder, spec)


def test_a_face_larger_than_the_models_read_is_found_where_it_is_found_smaller(tmp_path,
                                                                               colour):
    """The portrait four times larger (its face about 400 px, so the region around it is made
    smaller for the models): the face's box is the one found on the portrait as it is, four
    times larger, to 3% of its size."""
    from faceplate.nodes.shot import ShotNode

    (small,) = ShotNode.from_file(_portrait_shot(tmp_path / "a", colour, 1)).analyse(
        ).frames[FIRST].faces
    (large,) = ShotNode.from_file(_portrait_shot(tmp_path / "b", colour, 4)).analyse(
        ).frames[FIRST].faces
    expected = np.array(small.bbox) * 4
    size = expected[2] - expected[0]
    assert size > 350
    assert np.abs(np.array(large.bbox) - expected).max() < 0.03 * size, (large.bbox, expected)
    # each box is its mesh's, to 0.001 px (the mesh stored to 0.01)
    for face in (small, large):
        points = np.asarray(face.landmarks)[:, :2]
        assert all(round(v, 3) == v for v in face.bbox)
        box = np.concatenate([points.min(axis=0), points.max(axis=0)])
        assert np.abs(np.array(face.bbox) - box).max() <= 0.0051


def test_a_face_that_left_the_frame_does_not_stop_the_next_from_being_followed(tmp_path,
                                                                              colour):
    """The frame before held two faces: one 2000 px to the right (outside this frame) and
    the astronaut's. The first is lost (it left the frame); the second is still followed."""
    after = _followed_after_a_moved_copy(tmp_path, colour, 2000.0, copy_first=True)
    assert [(f.origin, f.tracked_from) for f in after.faces] == [("tracked", 1)]
    assert [(lost.previous, lost.reason) for lost in after.lost] == [
        (0, "not detected: the face left the frame")]


def test_a_landmarker_that_cannot_follow_loses_no_face_the_detector_finds_again(
        tmp_path, colour, monkeypatch):
    """dlib's 68-point landmarker follows no face: the detector runs on every frame and finds
    the faces again where they were, so no frame records one lost."""
    from dataclasses import replace

    from faceplate.nodes.shot import ShotNode
    from faceplate.pipeline.analyse.stage import AnalyseSettings, Previous, analyse_frame

    config = tmp_path / "faceplate.yaml"
    config.write_text("allow_models: [dlib-68]\n")
    monkeypatch.setenv("FACEPLATE_CONFIG", str(config))
    _shot(tmp_path, colour, COVERED + 3)
    spec = spec_dict(models={"landmarker": "dlib-68", "detector": "dlib-hog"})
    seen = list(range(FIRST + COVERED, FIRST + COVERED + 3))  # the face uncovered
    spec["plate"]["frames"] = f"{seen[0]}-{seen[-1]}"
    node = ShotNode.from_file(write_spec(tmp_path, spec))
    frames = node.analyse().frames
    assert sorted(frames) == seen
    # the astronaut's face (and a second that HOG sees on her suit's patch), on each frame
    assert all(a.detector and a.faces and all(f.origin == "detected" for f in a.faces)
               for a in frames.values())
    assert [a.lost for a in frames.values()] == [[], [], []]
    # a face of the frame before that no detection overlaps (2000 px off to the right) is
    # lost, though other faces were detected
    face = frames[seen[0]].faces[0]
    gone = replace(face, landmarks=np.asarray(face.landmarks) + (2000.0, 0.0, 0.0),
                   bbox=[face.bbox[0] + 2000, face.bbox[1], face.bbox[2] + 2000, face.bbox[3]])
    after, _ = analyse_frame(node.spec, seen[1], AnalyseSettings(), node.ctx, node.preflight(),
                             Previous([face, gone]))
    assert len(after.faces) == len(frames[seen[1]].faces)
    assert [(lost.previous, lost.reason) for lost in after.lost] == [
        (1, "not detected: the face left the frame")]


@pytest.mark.slow
def test_a_face_that_comes_in_after_the_last_detector_frame_is_found_at_the_end(
        tmp_path, colour):
    """The shot ends (frame 1007) before the detector is due again (1009): it runs on the last
    frame, and the face found there is looked for back to where it came in."""
    from faceplate.nodes.shot import ShotNode

    frames = ShotNode.from_file(_shot(tmp_path, colour, 7)).analyse().frames
    came_in = FIRST + COVERED
    assert [f for f, a in frames.items() if a.faces] == list(range(came_in, FIRST + 7))
    assert frames[came_in].faces[0].origin == "detected"
    assert not any(frames[f].detector for f in range(FIRST + 1, came_in))


def _bands_view(image: np.ndarray, geometry):
    """The view of a frame read in bands: its rows at :func:`band_starts` (8 bands of 16)."""
    starts = band_starts(image.shape[0], 8, 16)
    rows = np.concatenate([image[s:s + 16] for s in starts]).astype(np.float32) / 255.0
    return band_view(band_thumb(rows, len(starts), to_uint8), geometry)


def test_frames_read_in_bands_tell_a_cut_from_a_move_and_a_flash():
    """The same rule as whole frames (tests/test_stability.py), on the bands of rows: the
    portrait moved by 4, -3 px or brightened is the same shot, another portrait is a cut, a
    grey frame is never one side of a cut."""
    geometry = ProxyGeometry(0, 0, 1.0)
    data = resources.files("faceplate.demo") / "data"
    portrait = cv2.cvtColor(cv2.imread(str(data / "astronaut.png")), cv2.COLOR_BGR2RGB)
    other = cv2.resize(cv2.cvtColor(cv2.imread(str(data / "obama.jpg")), cv2.COLOR_BGR2RGB),
                       portrait.shape[1::-1])
    moved = cv2.warpAffine(portrait, np.float32([[1, 0, 4], [0, 1, -3]]),
                           portrait.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    view = _bands_view(portrait, geometry)
    assert view.thumb is None and view.bands is not None and view.bands.shape == (8, 96)
    assert not cut_between(view, _bands_view(moved, geometry))
    flash = np.clip(portrait.astype(np.float32) * 1.6, 0, 255).astype(np.uint8)
    assert not cut_between(view, _bands_view(flash, geometry))
    assert cut_between(view, _bands_view(other, geometry))
    grey = _bands_view(np.full_like(portrait, 46), geometry)
    assert not cut_between(view, grey) and not cut_between(grey, _bands_view(other, geometry))
