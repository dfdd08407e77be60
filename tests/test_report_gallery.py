"""The QC report's review images and the report stage, on small arrays and tiny files written
in tmp_path (a 64×36 shot of five frames): expected values worked out by hand."""

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import OBAMA, spec_dict, write_spec

from faceplate.nodes import ShotNode
from faceplate.pipeline.report import gallery
from faceplate.pipeline.report.gallery import (
    CROP_KINDS,
    make_gallery,
    plate_aspect,
    rendered_proxies,
)
from faceplate.pipeline.report.images import (
    DisplayImage,
    crop_box,
    difference,
    face_crop,
)
from faceplate.pipeline.report.images import write_image as write_review_image
from faceplate.pipeline.report.stage import (
    DEFAULT_RATE,
    _providers,
    _stage_seconds,
    _summary_rows,
    _worst,
    check_matte_jump,
    plate_rate,
    report,
)
from faceplate.pipeline.report.written import file_stamp
from faceplate.pipeline.stage_files.proxies import PROXY_QUALITY, proxy_look, proxy_path
from faceplate.pipeline.stage_files.records import FaceRecord, FrameRecord, write_record
from faceplate.plateio.frame import Box
from faceplate.plateio.write import write_image
from faceplate.spec import parse_spec
from faceplate.written import Manifest

FRAMES = (1001, 1002, 1003, 1004, 1005)
FACE = [20.0, 10.0, 36.0, 26.0]
#: FACE's crop by hand: side round(16 × 1.6) = 26 about the centre (28, 18), left 28 − 13,
#: top 18 − 13, inside the 64×36 frame.
FACE_CROP = Box(15, 5, 41, 31)


def _exr(path: Path, pixels: np.ndarray, **attributes: object) -> None:
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], "half")
    for name, value in attributes.items():
        if isinstance(value, tuple):
            spec.attribute(name, oiio.TypeDesc("rational"), value)
        else:
            spec.attribute(name, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, spec, pixels.astype(np.float16))


def _plate() -> np.ndarray:
    return np.full((36, 64, 3), 0.18)


def _swapped() -> np.ndarray:
    """The plate with a pure red square where the face is."""
    out = _plate()
    out[10:26, 20:36] = (1.0, 0.0, 0.0)
    return out


@pytest.fixture
def shot(tmp_path):
    """Five frames: 1001-1002 swapped and flagged alike (a run), 1003 missing, 1004 passed
    through unchanged, 1005 swapped and not flagged; the face at FACE on each."""
    folder = tmp_path / "shot"
    (folder / "refs").mkdir(parents=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    data = spec_dict()
    data["plate"]["frames"] = "1001-1005"
    node = ShotNode.from_file(write_spec(folder, data))
    spec = node.spec
    records = []
    for f in FRAMES:
        _exr(spec.plate.path.frame(f), _plate())
        record = {"frame": f, "status": "swapped", "flags": [], "decisions": [],
                  "faces": [{"bbox": FACE}], "matte_area": 256.0}
        if f != 1003:
            output, matte = folder / "out" / f"o.{f}.exr", folder / "out" / f"m.{f}.exr"
            _exr(output, _plate() if f == 1004 else _swapped())
            square = np.zeros((36, 64, 1))
            square[10:26, 20:36] = 0.0 if f == 1004 else 1.0
            _exr(matte, square)
            record.update(output=str(output), matte=str(matte))
        else:
            record.update(status="missing", output=None, matte=None, faces=[])
        if f in (1001, 1002):
            record["flags"] = ["seam"]
        if f == 1004:
            record.update(status="passthrough", matte_area=0.0)
        records.append(record)
    return SimpleNamespace(node=node, spec=spec, records=records,
                           pre=node.preflight(models=False),
                           review=spec.output.qc / "review")


def _make(shot):
    return make_gallery(shot.spec, shot.records, shot.node.ctx, shot.pre)


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image.astype(int)


def test_the_gallery_makes_each_written_frames_proxies_and_the_close_looks_crops(shot):
    """Proxies of plate and result for every written frame (none for the missing one); crops
    for the run's first frame and the unflagged samples, the run's second frame showing its
    first's; the result shown in colour; every file on the folder's list of written files."""
    made = _make(shot)
    for f in (1001, 1002, 1004, 1005):
        assert made.frames[f].proxies == {k: f"review/proxy/{f}.{k}.jpg"
                                          for k in ("plate", "result")}, f
    assert made.frames[1003].proxies == {} and made.frames[1003].crops == {}
    for f in (1001, 1004, 1005):
        assert made.frames[f].crops == {k: f"review/crop/{f}.{k}.png" for k in CROP_KINDS}
        assert made.frames[f].crop_box == FACE_CROP
    assert made.frames[1002].crops == {} and made.frames[1002].crops_of == 1001
    assert made.frames[1001].crops_of is None
    assert made.frames[1001].run == made.frames[1002].run == [1001, 1002]
    assert made.frames[1005].run == [] and made.frames[1005].crops_of is None
    assert (made.proxy_count, made.crop_count) == (8, 12)
    # the red square: red in the result's proxy and crop, grey in the plate's
    face = _read(shot.review / "proxy" / "1001.result.jpg")[12:24, 22:34]  # BGR
    assert (face[..., 2] - face[..., 0]).min() > 100
    plate = _read(shot.review / "proxy" / "1001.plate.jpg")
    assert np.abs(plate[..., 2] - plate[..., 0]).max() <= 3
    crop = _read(shot.review / "crop" / "1001.result.png")
    assert crop.shape == (26, 26, 3)
    # the square's rows 10..25, columns 20..35 are the crop's 5..20 and 5..20
    assert (crop[5:21, 5:21, 2] - crop[5:21, 5:21, 0]).min() > 100
    assert np.abs(crop[0, 0, 2] - crop[0, 0, 0]) <= 3
    diff = _read(shot.review / "crop" / "1001.diff.png")
    inferno = cv2.applyColorMap(np.array([[0, 255]], np.uint8), cv2.COLORMAP_INFERNO)[0]
    assert (diff[5:21, 5:21] == inferno[1]).all() and (diff[0, 0] == inferno[0]).all()
    matte = _read(shot.review / "crop" / "1001.matte.png")
    assert (matte[5:21, 5:21] == 255).all() and (matte[:5] == 0).all()
    # 1004 passed through with nothing under its matte: its result is the plate's proxy
    assert np.array_equal(_read(shot.review / "proxy" / "1004.result.jpg"),
                          _read(shot.review / "proxy" / "1004.plate.jpg"))
    written = set(Manifest(shot.review / "proxy").names()) | set(
        Manifest(shot.review / "crop").names())
    assert written == ({f"{f}.{k}.jpg" for f in (1001, 1002, 1004, 1005)
                        for k in ("plate", "result")}
                       | {f"{f}.{k}.png" for f in (1001, 1004, 1005) for k in CROP_KINDS})


def test_a_result_gone_bad_or_missing_takes_its_images_off_the_list(shot):
    """Made once; then 1001's result is no image and 1005's is gone: 1001 keeps its plate and
    matte crops and its plate proxy only (the old result, difference and proxy files deleted),
    1005 gets no crops at all (none cut from the plate alone)."""
    _make(shot)
    Path(shot.records[0]["output"]).write_bytes(b"not an image")
    Path(shot.records[4]["output"]).unlink()
    made = _make(shot)
    assert made.frames[1001].proxies == {"plate": "review/proxy/1001.plate.jpg"}
    assert made.frames[1001].crops == {k: f"review/crop/1001.{k}.png" for k in ("plate",
                                                                               "matte")}
    for name in ("proxy/1001.result.jpg", "crop/1001.result.png", "crop/1001.diff.png",
                 "crop/1005.plate.png"):
        assert not (shot.review / name).exists(), name
    assert made.frames[1005].crops == {} and made.frames[1005].crop_box is None


def test_renders_proxies_that_stand_are_copied_and_copied_again_when_render_remakes_them(shot):
    """Render's plate proxy of 1005, shown through the report's look and stamped in its
    record, is copied (a result render left out is the plate's); remade and restamped, the
    copy is made again; for another look, or stamped otherwise, it is not used."""
    pre = shot.pre
    look = proxy_look(shot.node.ctx.colour.choice.uri, pre.plate_colourspace, pre.display,
                      pre.view)
    rendered = proxy_path(shot.spec, 1005, "plate")
    rendered.parent.mkdir(parents=True, exist_ok=True)
    for level in (0, 255):
        cv2.imwrite(str(rendered), np.full((36, 64, 3), level, np.uint8))
        shot.records[4]["proxies"] = {"look": look, "plate": file_stamp(rendered)}
        _make(shot)
        for kind in ("plate", "result"):
            copy = shot.review / "proxy" / f"1005.{kind}.jpg"
            assert copy.read_bytes() == rendered.read_bytes(), (level, kind)
        assert "1005.plate.jpg" in Manifest(shot.review / "proxy").names()
    record = {"frame": 1005, "proxies": {"look": look, "plate": file_stamp(rendered)}}
    assert rendered_proxies(shot.spec, record, look) == {"plate": rendered, "result": rendered}
    result = proxy_path(shot.spec, 1005, "result")
    shutil.copyfile(rendered, result)
    record["proxies"]["result"] = file_stamp(result)
    assert rendered_proxies(shot.spec, record, look) == {"plate": rendered, "result": result}
    record["proxies"]["result"] = None  # named but not written: the plate's not put in
    assert rendered_proxies(shot.spec, record, look) == {"plate": rendered}
    assert rendered_proxies(shot.spec, record, "another look") == {}
    assert rendered_proxies(shot.spec, record, None) == {}
    stale = {"frame": 1005, "proxies": {"look": look, "plate": [1, 1]}}
    assert rendered_proxies(shot.spec, stale, look) == {}


def test_a_copy_of_a_proxy_gone_since_it_was_looked_at_writes_nothing(tmp_path):
    assert gallery._copier(tmp_path / "gone.jpg")(tmp_path / "copy.jpg") is False
    assert not (tmp_path / "copy.jpg").exists()


def test_crops_are_made_no_more_frames_at_once_than_two(shot, monkeypatch):
    """Each crop task is held until the report waits for one: with three frames due for
    crops, the report waits once two are handed over, never holding three."""
    outstanding, most, waited = [0], [0], []

    class Held:
        def __init__(self, future, go, frame):
            self.future, self.go, self.frame = future, go, frame

        def result(self):
            waited.append(self.frame)
            self.go.set()
            return self.future.result()

    class Counted(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            if fn is not gallery._crops:
                return super().submit(fn, *args, **kwargs)
            outstanding[0] += 1
            most[0] = max(most[0], outstanding[0])
            go = threading.Event()

            def held():
                assert go.wait(timeout=60), "the report never waited for its crops"
                try:
                    return fn(*args, **kwargs)
                finally:
                    outstanding[0] -= 1
            return Held(super().submit(held), go, args[0])

    monkeypatch.setattr(gallery, "ThreadPoolExecutor", Counted)
    made = _make(shot)
    assert most[0] == 2
    assert waited[0] == 1001, "the oldest frame's crops waited for first"
    assert [f for f in FRAMES if made.frames[f].crops] == [1001, 1004, 1005]


def test_a_shot_with_no_face_is_cropped_to_the_middle_half(shot):
    for r in shot.records:
        r["faces"] = []
    made = _make(shot)
    assert made.frames[1001].crop_box == Box(16, 9, 48, 27)
    assert _read(shot.review / "crop" / "1001.plate.png").shape == (18, 32, 3)


def _plates(tmp_path, names):
    return SimpleNamespace(plate=SimpleNamespace(
        frames=[1, 2], path=SimpleNamespace(frame=lambda f: tmp_path / names[f - 1])))


def test_the_plates_aspect_is_its_display_window_in_square_pixels(tmp_path):
    cv2.imwrite(str(tmp_path / "plate.png"), np.zeros((36, 64, 3), np.uint8))
    _exr(tmp_path / "wide.exr", np.zeros((36, 64, 3)), PixelAspectRatio=2.0)
    assert plate_aspect(_plates(tmp_path, ["gone.png", "plate.png"])) == 64 / 36
    assert plate_aspect(_plates(tmp_path, ["wide.exr", "plate.png"])) == 128 / 36
    assert plate_aspect(_plates(tmp_path, ["gone.png", "gone.exr"])) == 16 / 9


@pytest.mark.parametrize("bbox, display, box", [
    ([10.0, 10.0, 20.0, 20.5], (640, 360), Box(6, 7, 23, 24)),   # side 17, centre (15, 15.25)
    ([600, 100, 640, 140], (640, 360), Box(576, 88, 640, 152)),  # held inside the right edge
    ([300, 60, 370, 100], (640, 100), Box(279, 0, 391, 100)),    # taller than the frame
    ([10.0, 10.0, 20.5, 20.0], (640, 360), Box(7, 6, 24, 23)),   # side 17, centre (15.25, 15)
    ([5, 5, 7, 7], (64, 36), Box(2, 2, 10, 10)),                 # at least 8 pixels
])
def test_a_crop_box_worked_by_hand(bbox, display, box):
    assert crop_box(bbox, display) == box


def test_a_face_crop_is_cut_at_the_images_origin():
    rgb = np.arange(6 * 8 * 3, dtype=np.float32).reshape(6, 8, 3) / 200
    assert np.array_equal(face_crop(DisplayImage(rgb, 1.0), Box(1, 2, 4, 5), None),
                          rgb[2:5, 1:4])
    assert np.array_equal(face_crop(DisplayImage(rgb, 1.0, (4, 2)), Box(5, 3, 8, 6), None),
                          rgb[1:4, 1:4])


@pytest.mark.parametrize("before, now, change, flagged", [
    (0.5, 2.0, 3.0, True),       # a matte of half a pixel is still a matte
    (100.0, 0.5, 0.995, True),   # as is one shrunk to half a pixel
    (100.0, 0.0, None, False),   # a face gone: no change measured
])
def test_a_matte_area_change_is_measured_while_both_frames_have_a_matte(before, now, change,
                                                                        flagged):
    previous = {"frame": 1001, "matte_area": before}
    record = {"frame": 1002, "matte_area": now, "flags": [], "reasons": {}}
    check_matte_jump(previous, record, 0.25)
    assert record.get("matte_change") == change
    assert (record["flags"] == ["matte_jump"]) is flagged


def test_the_providers_used_are_joined_per_model():
    records = [{"providers": {"swap": "CUDAExecutionProvider"}}, {"providers": None}, {},
               {"providers": {"swap": "CPUExecutionProvider", "detect": "CPUExecutionProvider"}}]
    assert _providers(records) == {"detect": "CPUExecutionProvider",
                                   "swap": "CPUExecutionProvider, CUDAExecutionProvider"}


def test_render_seconds_are_summed_to_the_millisecond(tmp_path):
    spec = parse_spec(spec_dict(), base=tmp_path)
    assert _stage_seconds(spec, [{"seconds": 0.12344}, {}, {"seconds": 1.0}]) == {
        "render": 1.123}


def test_the_plates_rate_from_its_header(tmp_path):
    def spec_of(**attributes):
        _exr(tmp_path / "p.exr", np.zeros((4, 8, 3)), **attributes)
        return SimpleNamespace(plate=SimpleNamespace(
            frames=[1], path=SimpleNamespace(frame=lambda f: tmp_path / "p.exr")))
    assert plate_rate(spec_of(FramesPerSecond=(24000, 1001))) == (
        24000 / 1001, "from the plate's header")
    assert plate_rate(spec_of(framesPerSecond=25.0)) == (25.0, "from the plate's header")
    assert plate_rate(spec_of(framesPerSecond=0.0)) == (
        DEFAULT_RATE, "assumed: the plate's header names no rate")


def test_the_report_of_a_tiny_shot_writes_qc_json_the_page_the_sheet_and_the_timeline(shot):
    """The records written as render writes them: the report's files are there and the
    contact sheet holds a row per flagged frame with crops (the run's one), not the samples."""
    for r in shot.records:
        faces = [FaceRecord(0, "actor_a", 0, FACE, [], 0.9, 0.3, False)] if r["faces"] else []
        write_record(shot.spec, FrameRecord(r["frame"], r["status"], r.get("output"),
                                            r.get("matte"), faces, r["flags"],
                                            dict.fromkeys(r["flags"], "seam 9 > 8"),
                                            matte_area=r["matte_area"]))
    done = report(shot.spec, shot.node.ctx, shot.pre)
    qc = shot.spec.output.qc
    assert done.qc_json == qc / "qc.json" and done.qc_json.is_file()
    assert done.index_html == qc / "index.html" and done.index_html.is_file()
    assert done.timeline == qc / "review.otio" and done.timeline.is_file()
    assert done.summary["flagged_frames"] == "1001-1002"
    # a row 160 high with a border of 2 above and below: one row, 1001's (1002 shows its crops)
    assert _read(qc / "contact_sheet.png").shape[0] == 164


def test_crops_due_with_proxies_current_decode_only_their_box_each_once(shot, monkeypatch):
    """Made once; the crops deleted: made again, each source of a frame due for crops is read
    once and only its box (the scanlines it crosses), the plate standing for 1004's result."""
    _make(shot)
    shutil.rmtree(shot.review / "crop")
    reads, threads = [], {}
    real = gallery.read_display

    def read(path, frame, limits=None, *, grey=False, box=None):
        reads.append((frame, Path(path).name, grey, box))
        threads.setdefault(frame, set()).add(threading.current_thread().name.split("_")[0])
        return real(path, frame, limits, grey=grey, box=box)

    monkeypatch.setattr(gallery, "read_display", read)
    made = _make(shot)
    assert [f for f in FRAMES if made.frames[f].crops] == [1001, 1004, 1005]
    expected = [(f, name, name.startswith("m."), FACE_CROP)
                for f in (1001, 1004, 1005)
                for name in (f"tst010.{f}.exr", f"o.{f}.exr", f"m.{f}.exr")
                if (f, name) != (1004, "o.1004.exr")]
    assert sorted(reads, key=str) == sorted(expected, key=str)
    # the first frame's boxes read as its crops are made; each next one's read ahead
    assert threads == {1001: {"faceplate-review-crop"}, 1004: {"faceplate-review-read"},
                       1005: {"faceplate-review-read"}}


def test_a_review_jpeg_is_written_at_the_proxies_quality_a_png_as_it_is(tmp_path):
    image = np.random.default_rng(3).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    write_review_image(tmp_path / "a.jpg", image)
    ok, expected = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, PROXY_QUALITY])
    assert ok and (tmp_path / "a.jpg").read_bytes() == expected.tobytes()
    write_review_image(tmp_path / "a.png", image)
    assert np.array_equal(cv2.imread(str(tmp_path / "a.png")), image)


def test_the_difference_is_four_times_the_largest_channels_change():
    """A change of 0.125 in one channel is half the heat map's scale: code value 128 of
    inferno; 0.25 or more its top."""
    plate = np.zeros((1, 3, 3), np.float32)
    result = plate.copy()
    result[0, 1, 2] = 0.125
    result[0, 2] = (0.3, -0.1, 0.05)
    inferno = cv2.applyColorMap(np.array([[0, 128, 255]], np.uint8), cv2.COLORMAP_INFERNO)
    assert np.array_equal(difference(plate, result), inferno)


def _summary(identity, pending):
    return {"frames": 8, "rendered": 2, "swapped": 1, "passthrough": 1, "missing": 0,
            "unreadable": 0, "unwritten": 0, "not_rendered": "1003-1008", "flagged": 0,
            "flagged_frames": "", "flags": {}, "identity_distance_to_source": identity,
            "seconds": {"render": 1.25}, "models": ["m"], "execution_provider": {},
            "review": {"decided_frames": "1001", "approved_frames": "",
                       "pending_frames": pending}}


def test_the_summary_says_the_identity_distance_and_the_frames_waiting_for_a_render(tmp_path):
    spec = parse_spec(spec_dict(), base=tmp_path)
    rows = dict(_summary_rows(_summary({"mean": 0.3124, "max": 0.4}, "1001"), spec,
                              "sRGB", "ocio://x", "24 fps"))
    assert rows["identity distance to source"] == (
        "mean 0.312, max 0.400 (below 0.6: the same person)")
    assert rows["reviewer decisions"] == (
        "on 1001; approved none; waiting for a re-render 1001")
    rows = dict(_summary_rows(_summary(None, ""), spec, "sRGB", "ocio://x", "24 fps"))
    assert rows["identity distance to source"] == "no face swapped"
    assert rows["reviewer decisions"] == "on 1001; approved none; waiting for a re-render none"


def test_a_record_without_a_matte_area_has_no_matte_change():
    record = {"frame": 1002, "flags": [], "reasons": {}}
    check_matte_jump({"frame": 1001, "matte_area": 100.0}, record, 0.25)
    assert record == {"frame": 1002, "flags": [], "reasons": {}}


def test_the_worst_frames_most_flags_first_then_the_farthest_identity():
    def face(distance):
        return {"identity_distance_to_source": distance}
    records = [{"frame": 1, "flags": ["a"], "faces": [face(None)]},
               {"frame": 2, "flags": ["a"], "faces": [face(0.5), face(None)]},
               {"frame": 3, "flags": ["a", "b"], "faces": []},
               {"frame": 4, "flags": [], "faces": [face(0.9)]}]
    assert [w["frame"] for w in _worst(records)] == [3, 2, 1]
