"""Render's flipbook proxies (``faceplate/pipeline/stage_files/proxies.py``): made from the
pixels in memory, they equal the proxies the report makes by decoding the frame, and the
report uses them only while they stand as their record says and were shown through its look."""

import json
import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import PLATE_COLORSPACE

from faceplate.nodes import ShotNode
from faceplate.ocio.display import proxy_display_processor, resolve_display_view
from faceplate.pipeline.report.images import DisplayImage, proxy
from faceplate.pipeline.report.stage import report
from faceplate.pipeline.stage_files.paths import frame_record_path
from faceplate.pipeline.stage_files.proxies import FlipbookProxies, encode_jpeg, proxy_path
from faceplate.pipeline.stage_files.records import FrameRecord
from faceplate.plateio.frame import read_frame
from faceplate.plateio.write import write_image
from faceplate.written import Manifest


def _plate(path, display=(1000, 562), origin=(-8, -6), size=(1016, 574)):
    """A half-float plate with a data window past its display window (overscan), a smooth
    gradient with texture and one NaN."""
    spec = oiio.ImageSpec(size[0], size[1], 3, "half")
    spec.x, spec.y = origin
    spec.full_x = spec.full_y = 0
    spec.full_width, spec.full_height = display
    y, x = np.mgrid[0:size[1], 0:size[0]].astype(np.float32)
    rgb = np.stack([x / size[0], y / size[1], 0.5 + 0.3 * np.sin(x / 7) * np.cos(y / 5)], -1)
    rgb[40, 50] = np.nan
    write_image(path, spec, rgb.astype(np.float16))


def _decoded(path):
    return cv2.imread(str(path)).astype(int)


def _as_report_makes_it(frame, processor):
    """The proxy of a frame's display window the way the report makes one from a decoded
    file: the display window as float (zeros outside the data window), downscaled, shown."""
    width, height = frame.display_size
    rgb = np.zeros((height, width, 3), np.float32)
    d = frame.data_box
    inside = frame.rgb_region(d)[-d.y0:-d.y0 + height, -d.x0:-d.x0 + width]
    rgb[:] = np.nan_to_num(inside, nan=0.0, posinf=0.0, neginf=0.0)
    bgr = proxy(DisplayImage(rgb, 1.0), processor)
    return cv2.imdecode(np.frombuffer(encode_jpeg(bgr[..., ::-1].copy()), np.uint8),
                        cv2.IMREAD_COLOR).astype(int)


def test_render_proxies_equal_the_reports_and_remake_only_the_swapped_area(tmp_path, colour):
    """1000×562 to 640×360 (not a whole step): the plate's proxy is made as the plate is read;
    after a swap changes a box of pixels, the result's proxy is the plate's with that area
    made again, and equals the proxy of the whole changed frame. The record names both, with
    the look and the files' stamps, and both are listed in the folder's manifest; a frame the
    swap left alone gets the plate's only."""
    display, view = resolve_display_view(colour, None, None)
    processor = proxy_display_processor(colour, PLATE_COLORSPACE, display, view)
    spec = SimpleNamespace(output=SimpleNamespace(qc=tmp_path / "qc", cache=tmp_path / "cache"))
    (tmp_path / "qc" / "frames").mkdir(parents=True)
    _plate(tmp_path / "plate.exr")
    maker = FlipbookProxies(spec, colour, PLATE_COLORSPACE, display, view)
    frame = read_frame(tmp_path / "plate.exr", 7)
    plate_expected = _as_report_makes_it(frame, processor)
    maker.plate(frame)
    # the swap: a box of pixels changed (data-window coordinates), the matte over it
    matte = np.zeros(frame.pixels.shape[:2], np.float32)
    matte[300:380, 420:515] = 0.7
    frame.pixels[300:380, 420:515] = np.float16(0.9)
    record = FrameRecord(7, "swapped", output=str(tmp_path / "out.exr"))
    maker.write(record, frame, matte)
    plate_made, result_made = (proxy_path(spec, 7, k) for k in ("plate", "result"))
    assert np.array_equal(_decoded(plate_made), plate_expected)
    result_expected = _as_report_makes_it(frame, processor)
    assert np.array_equal(_decoded(result_made), result_expected)
    assert not np.array_equal(result_expected, plate_expected), "the swap shows"
    assert record.proxies["look"] and all(
        record.proxies[k] == [p.stat().st_size, p.stat().st_mtime_ns]
        for k, p in (("plate", plate_made), ("result", result_made)))

    still = read_frame(tmp_path / "plate.exr", 8)
    maker.plate(still)
    kept = FrameRecord(8, "passthrough", output=str(tmp_path / "out.exr"))
    maker.write(kept, still, np.zeros(still.pixels.shape[:2], np.float32))
    assert set(kept.proxies) == {"look", "plate"} and not proxy_path(spec, 8, "result").exists()
    assert Manifest(tmp_path / "qc" / "frames").names() == {
        "7.plate.jpg", "7.result.jpg", "8.plate.jpg"}, "listed as faceplate's to remove"
    unwritten = FrameRecord(9, "unwritten")
    maker.plate(read_frame(tmp_path / "plate.exr", 9))
    maker.write(unwritten, still, matte)
    assert unwritten.proxies == {} and not proxy_path(spec, 9, "plate").exists()


def _black_proxy(spec, frame, kind, restamp, look=None):
    """Replace render's proxy with a black one; ``restamp``: its record says so (and with
    ``look``, that it was shown through another look)."""
    path = proxy_path(spec, frame, kind)
    shape = cv2.imread(str(path)).shape
    path.write_bytes(encode_jpeg(np.zeros(shape, np.uint8)))
    record_path = frame_record_path(spec, frame)
    body = json.loads(record_path.read_text())
    if restamp:
        body["proxies"][kind] = [path.stat().st_size, path.stat().st_mtime_ns]
    if look is not None:
        body["proxies"]["look"] = look
    record_path.write_text(json.dumps(body))


@pytest.fixture
def rendered_shot(tmp_path, colour):
    from conftest import make_shot, run_cli
    shot = make_shot(tmp_path / "shot", colour, "1001-1003", overscan=0, depth_channel=False)
    result = run_cli("run", str(shot.spec_path))
    assert result.returncode == 0, result.stderr
    return shot


def test_the_report_copies_render_proxies_that_stand_and_makes_the_others(rendered_shot):
    """Frame 1001's plate proxy is replaced and its record restamped: the report copies it
    (black: it used render's, decoded nothing). Frame 1002's is replaced without a new stamp,
    frame 1003's restamped but made for another look: the report makes both from the frames
    (not black), as it made them before."""
    node = ShotNode.from_file(rendered_shot.spec_path)
    spec = node.spec
    review = spec.output.qc / "review" / "proxy"
    before = {f: _decoded(review / f"{f}.plate.jpg") for f in (1001, 1002, 1003)}
    shutil.rmtree(spec.output.qc / "review")
    _black_proxy(spec, 1001, "plate", restamp=True)
    _black_proxy(spec, 1002, "plate", restamp=False)
    _black_proxy(spec, 1003, "plate", restamp=True, look="another look")
    report(spec, node.ctx, node.preflight(models=False))
    assert _decoded(review / "1001.plate.jpg").max() == 0, "render's proxy, copied"
    for f in (1002, 1003):
        made = _decoded(review / f"{f}.plate.jpg")
        assert made.max() > 0 and np.abs(made - before[f]).max() <= 2, f


def test_a_face_crop_from_the_scanlines_it_crosses_equals_the_whole_frames(tmp_path, colour):
    """The report's close look decodes only the scanlines of its box (read_rgb_box): the crop
    (past the data window's corner too: zeros there) equals the one cut from the whole frame;
    the same for a matte's grey."""
    from faceplate.pipeline.report.images import face_crop, read_display
    from faceplate.plateio.frame import Box, read_rgb_box, read_rgb_frame
    _plate(tmp_path / "plate.exr", display=(300, 200), origin=(10, 8), size=(250, 170))
    whole = read_rgb_frame(tmp_path / "plate.exr", 1)
    part = read_rgb_box(tmp_path / "plate.exr", 1, Box(40, 30, 140, 90))
    assert part.data_box == Box(40, 30, 140, 90)
    assert np.array_equal(part.pixels, whole.rgb_region(Box(40, 30, 140, 90)), equal_nan=True)
    display, view = resolve_display_view(colour, None, None)
    processor = proxy_display_processor(colour, PLATE_COLORSPACE, display, view)
    for box in (Box(40, 30, 140, 90), Box(250, 150, 300, 200), Box(0, 0, 300, 200)):
        for grey in (False, True):
            full = read_display(tmp_path / "plate.exr", 1, grey=grey)
            cut = read_display(tmp_path / "plate.exr", 1, grey=grey, box=box)
            shown_by = None if grey else processor
            assert np.array_equal(face_crop(cut, box, shown_by), face_crop(full, box, shown_by))


def test_half_floats_widen_as_numpy_casts_them():
    """The half -> float32 widening (OpenCV's) of the proxies and of analysis's plate read
    gives NumPy's cast of every half value, bit for bit (NaN: any NaN), on each channel of a
    strided view."""
    from faceplate.plateio.frame import widened as _float32

    every = np.arange(65536, dtype=np.uint16).view(np.float16).reshape(256, 256)
    halves = np.stack([every, every[::-1], every.T], -1)
    view = np.pad(halves, ((0, 0), (3, 5), (0, 0)))[:, 3:-5]  # rows strided past their width
    widened = _float32(view)
    expected = view.astype(np.float32)
    assert widened.dtype == np.float32 and widened.shape == view.shape
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(widened), nan)
    assert np.array_equal(widened[~nan].view(np.uint32), expected[~nan].view(np.uint32))


@pytest.mark.parametrize("display, out", [
    ((1920, 1080), (640, 360)),   # a whole step: 3 plate rows a proxy row
    ((2048, 1152), (640, 360)),   # 16/5: bands of 40 proxy rows on whole plate rows
    ((1000, 562), (640, 360)),    # 281/180: one band, the whole frame
    ((960, 301), (640, 201)),     # 301/201: one band
    ((640, 480), (640, 480)),     # no downscale
])
def test_the_plates_proxy_made_in_bands_is_the_whole_frames_downscale(display, out):
    """The proxy made band by band (each band's half floats widened in turn) equals OpenCV's
    area filter over the whole frame widened at once, bit for bit; a band holding NaN or Inf is
    made from its cleaned pixels as the whole would be, the bands around it untouched."""
    from faceplate.pipeline.stage_files.proxies import downscaled
    from faceplate.plateio.frame import Box
    width, height = display
    rng = np.random.default_rng(width + height)
    pixels = rng.uniform(-0.1, 4.0, (height, width, 3)).astype(np.float16)
    frame = SimpleNamespace(pixels=pixels, rgb=(0, 1, 2), data_box=Box(0, 0, width, height))
    box = Box(0, 0, width, height)
    expected = cv2.resize(pixels.astype(np.float32), out, interpolation=cv2.INTER_AREA)
    assert np.array_equal(downscaled(frame, box, out), expected)  # type: ignore[arg-type]
    pixels[height // 2, 7] = np.nan
    pixels[height - 1, width - 1] = np.inf
    cleaned = np.nan_to_num(pixels.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    whole = cv2.resize(cleaned, out, interpolation=cv2.INTER_AREA)
    made = downscaled(frame, box, out)  # type: ignore[arg-type]
    assert np.isfinite(made).all() and np.array_equal(made, whole)
