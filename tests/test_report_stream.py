"""The report's records and contact sheet as streams: each record read once, spooled whole for
qc.json and kept slim (no points) for the page; qc.json written from an iterator exactly as
from a list; the contact sheet written a row at a time with the pixels of the sheet stacked
whole. Expected values are the literal numbers written here, or images built here with
OpenCV."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import spec_dict

from faceplate.pipeline.report import sheet
from faceplate.pipeline.report.gallery import CROP_KINDS, FrameImages, Gallery
from faceplate.pipeline.report.shot_records import shot_records
from faceplate.pipeline.stage_files.paths import frame_record_path, qc_json_path
from faceplate.pipeline.stage_files.records import (
    FaceRecord,
    FrameRecord,
    read_qc,
    read_record,
    record_body,
    write_qc,
    write_record,
)
from faceplate.spec import ShotSpec, parse_spec


@pytest.fixture
def spec(tmp_path: Path) -> ShotSpec:
    return parse_spec(spec_dict(), base=tmp_path)


def _record(frame: int, area: float, out: Path = Path("/shots/out")) -> FrameRecord:
    points = [[frame + i / 4, i * 0.5] for i in range(68)]
    face = FaceRecord(0, "actor_a", 0, [1.0, 2.0, 3.0, 4.0], points, 0.5, 0.25, False)
    record = FrameRecord(frame, "swapped", faces=[face], matte_area=area,
                         render_key="k" * 64, outputs={str(out / "a.exr"): [1, 2]})
    return record


def test_each_record_is_finished_once_spooled_whole_and_kept_slim(spec):
    for f, area in ((1001, 100.0), (1002, 150.0), (1004, 90.0)):
        write_record(spec, _record(f, area, spec.output.qc.parent))
    seen: list[tuple[int | None, int]] = []

    def finish(previous, record):
        seen.append((previous["frame"] if previous else None, record["frame"]))
        record["checked"] = record["frame"] * 2

    with shot_records(spec, finish) as shot:
        assert seen == [(None, 1001), (1001, 1002), (1002, 1004)]
        assert shot.missing == [1003, 1005, 1006, 1007, 1008]
        assert [r["frame"] for r in shot.slim] == [1001, 1002, 1004]
        for r in shot.slim:
            assert "render_key" not in r and "outputs" not in r
            assert "landmarks" not in r["faces"][0] and r["faces"][0]["bbox"] == [1, 2, 3, 4]
            assert r["checked"] == r["frame"] * 2
        for _ in range(2):  # read back whole, as often as asked
            whole = list(shot.whole())
            assert [r["frame"] for r in whole] == [1001, 1002, 1004]
            assert whole[1]["faces"][0]["landmarks"][3] == [1002.75, 1.5]
            assert whole[1]["render_key"] == "k" * 64 and whole[1]["checked"] == 2004
            assert whole[2]["outputs"] == {str(spec.output.qc.parent / "a.exr"): [1, 2]}


def test_a_record_is_written_as_its_asdict_with_the_bytes_json_indents(spec):
    """The record's fields taken without asdict's copies: the same body, key for key in the
    same order, and the file the text ``json.dumps(indent=1)`` makes of asdict's body."""
    record = _record(1001, 12.5, spec.output.qc.parent)
    record.faces[0].pose = [1.0, -2.5, 0.125]
    record.faces.append(FaceRecord(1, "actor_b", 3, [5.0, 6.0, 7.0, 8.0], [[1.0, 2.0]], 0.75,
                                   None, True, seam=0.5))
    record.flag("seam", "a step at the edge")
    record.providers = {"swap": "CPUExecutionProvider"}
    record.proxies = {"look": "abc", "plate": [10, 20]}
    body = record_body(record)
    assert body == asdict(record) and list(body) == list(asdict(record))
    assert [list(face) for face in body["faces"]] == [list(asdict(f)) for f in record.faces]
    write_record(spec, record)
    expected = {"schema": "faceplate.qcframe/1", **asdict(record)}  # a spec without a file:
    # paths stay absolute
    assert frame_record_path(spec, 1001).read_text() == json.dumps(expected, indent=1) + "\n"


def test_a_flag_is_listed_once_with_its_latest_reason():
    record = FrameRecord(1001, "swapped")
    record.flag("seam", "a step at the edge")
    record.flag("jitter", "0.4 px")
    record.flag("seam", "a wider step")
    assert record.flags == ["seam", "jitter"]
    assert record.reasons == {"seam": "a wider step", "jitter": "0.4 px"}


def test_qc_json_of_a_spec_file_records_the_shot_folder_and_reads_back_absolute(tmp_path):
    """A spec read from a file (its folder the shot's): qc.json (in out/qc) names an output
    under the folder relative to it and the folder relative to itself, "../.."; read back,
    with the spec or from the recorded folder alone, the output is absolute again. A qc.json
    not written yet reads as None."""
    spec = parse_spec(spec_dict(), base=tmp_path, spec_path=tmp_path / "shot.yaml")
    assert read_qc(qc_json_path(spec), spec) is None
    out = str(tmp_path / "out" / "tst010_fp.1001.exr")
    write_qc(spec, {"shot": "tst010", "frames": [{"frame": 1001, "output": out}]})
    raw = json.loads(qc_json_path(spec).read_text())
    assert raw["shot_folder"] == "../.."
    assert raw["frames"][0]["output"] == "out/tst010_fp.1001.exr"
    for given in (spec, None):
        back = read_qc(qc_json_path(spec), given)
        assert back is not None
        assert Path(back["frames"][0]["output"]).resolve() == Path(out).resolve()


def test_a_record_of_a_spec_file_names_its_outputs_relative_and_reads_back_absolute(tmp_path):
    """Under the spec's folder, a frame record names its outputs relative to it (the shot
    folder can move); read back, they are absolute again."""
    spec = parse_spec(spec_dict(), base=tmp_path, spec_path=tmp_path / "shot.yaml")
    out, matte = tmp_path / "out" / "tst010_fp.1001.exr", tmp_path / "out" / "m.1001.exr"
    record = FrameRecord(1001, "swapped", output=str(out), matte=str(matte),
                         outputs={str(out): [1, 2]})
    write_record(spec, record)
    raw = json.loads(frame_record_path(spec, 1001).read_text())
    assert (raw["output"], raw["matte"]) == ("out/tst010_fp.1001.exr", "out/m.1001.exr")
    assert raw["outputs"] == {"out/tst010_fp.1001.exr": [1, 2]}
    back = read_record(spec, 1001)
    assert back is not None and (back["output"], back["matte"]) == (str(out), str(matte))
    assert back["outputs"] == {str(out): [1, 2]}


def test_qc_json_of_a_spec_without_a_file_keeps_its_paths_as_they_are(spec, tmp_path):
    """No shot folder (a spec built in code): none recorded, an absolute path read back as
    written, and a relative one (a hand-written file) left as it stands."""
    out = str(tmp_path / "out" / "tst010_fp.1001.exr")
    write_qc(spec, {"shot": "tst010", "frames": [{"frame": 1001, "output": out}]})
    assert json.loads(qc_json_path(spec).read_text())["shot_folder"] is None
    back = read_qc(qc_json_path(spec))
    assert back is not None and back["frames"][0]["output"] == out
    qc_json_path(spec).write_text(json.dumps({"schema": "faceplate.qc/1", "shot_folder": None,
                                              "frames": [{"frame": 1001, "output": "a.exr"}]}))
    back = read_qc(qc_json_path(spec))
    assert back is not None and back["frames"][0]["output"] == "a.exr"


@pytest.mark.parametrize("given", [list, iter])
def test_qc_json_from_an_iterator_of_records_is_the_file_a_list_writes(spec, given):
    frames = [{"frame": f, "status": "swapped", "flags": ["a"] if f % 2 else [],
               "faces": [asdict(_record(f, 1.0).faces[0])]} for f in range(1001, 1004)]
    write_qc(spec, {"shot": "tst010", "summary": {"frames": 3}, "frames": given(frames),
                    "after": 1})
    text = qc_json_path(spec).read_text()
    body = json.loads(text)
    assert body["frames"] == frames and body["after"] == 1
    lines = text.splitlines()
    assert [line[:18] for line in lines if line.lstrip().startswith('{"frame"')] == [
        '  {"frame": 1001, ', '  {"frame": 1002, ', '  {"frame": 1003, ']
    write_qc(spec, {"shot": "tst010", "frames": given([])})
    assert json.loads(qc_json_path(spec).read_text())["frames"] == []


def _crop(path: Path, size: tuple[int, int], value: int) -> None:
    image = np.full((size[1], size[0], 3), value, np.uint8)
    image[::3, :, 0] = 255 - value  # something for the resize to average
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


def _stacked(qc: Path, rows: list[tuple[list[str], str]], note: str | None) -> np.ndarray:
    """The sheet as the report made it before it streamed: every row built, padded and
    stacked at once."""
    lines = []
    for files, label in rows:
        cells = [cv2.imread(str(qc / name)) for name in files]
        cells = [cv2.resize(c, (max(1, round(c.shape[1] * 160 / c.shape[0])), 160),
                            interpolation=cv2.INTER_AREA) for c in cells]
        line = np.hstack([cv2.copyMakeBorder(c, 2, 2, 2, 2, cv2.BORDER_CONSTANT,
                                             value=(20, 20, 20)) for c in cells])
        cv2.putText(line, label[:60], (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (60, 60, 230), 2)
        lines.append(line)
    width = max(line.shape[1] for line in lines)
    if note is not None:
        extra = np.full((36, width, 3), 20, np.uint8)
        cv2.putText(extra, note, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (230, 230, 230), 1)
        lines.append(extra)
    return np.vstack([cv2.copyMakeBorder(line, 0, 0, 0, width - line.shape[1],
                                         cv2.BORDER_CONSTANT, value=(20, 20, 20))
                      for line in lines])


def test_the_contact_sheet_written_a_row_at_a_time_has_the_pixels_of_the_whole_stack(
        tmp_path, monkeypatch):
    qc = tmp_path / "qc"
    sizes = {1001: (90, 120), 1002: (150, 100), 1003: (60, 60), 1004: (80, 80)}
    frames = {}
    for f, size in sizes.items():
        crops = {}
        for n, kind in enumerate(CROP_KINDS):
            crops[kind] = f"review/crop/{f}.{kind}.png"
            _crop(qc / crops[kind], size, 40 * n + f % 7)
        frames[f] = FrameImages(crops=crops, run=[1002, 1003] if f == 1002 else [])
    frames[1005] = FrameImages()  # no crops: no row
    gallery = Gallery(frames, "sRGB", "ACES")
    monkeypatch.setattr(sheet, "SHEET_ROWS", 3)
    listed = [(1001, "low_score"), (1005, "no_face"), (1002, "jitter_spike"),
              (1003, "seam_mismatch"), (1004, "sample")]
    sheet.contact_sheet(qc, gallery, listed)
    written = cv2.imread(str(qc / "contact_sheet.png"))
    files = {f: [frames[f].crops[k] for k in CROP_KINDS] for f in sizes}
    expected = _stacked(qc, [(files[1001], "1001 low_score"),
                             (files[1002], "1002-1003 jitter_spike"),
                             (files[1003], "1003 seam_mismatch")],
                        "... and 1 more: see index.html")
    assert written.shape == expected.shape
    assert np.array_equal(written, expected)
    assert (gallery.sheet_rows, gallery.sheet_of) == (3, 4)
    sheet.contact_sheet(qc, gallery, [(1005, "no_face")])  # nothing to show: the sheet goes
    assert not (qc / "contact_sheet.png").exists()


def test_a_sheet_of_exactly_its_rows_has_no_note_and_damaged_crops_leave_grey(tmp_path,
                                                                               monkeypatch):
    """Three rows of three: no note. A crop whose header reads but whose pixels do not leaves
    its row grey (a 164-pixel row of 20s); a missing crop is left out of its row; a crop whose
    scaled width is not whole (110 × 120 to 146.67 × 160) is rounded to 147; a label is cut
    at 60 characters. Faceplate's other files in the QC folder stay when the sheet goes."""
    qc = tmp_path / "qc"
    frames = {}
    for f, size in {1001: (110, 120), 1002: (60, 60), 1003: (80, 80)}.items():
        crops = {kind: f"review/crop/{f}.{kind}.png" for kind in CROP_KINDS}
        for n, kind in enumerate(CROP_KINDS):
            _crop(qc / crops[kind], size, 30 * n + 10)
        frames[f] = FrameImages(crops=crops)
    (qc / frames[1002].crops["diff"]).unlink()               # missing: left out
    for kind in CROP_KINDS:                                  # damaged after the header
        path = qc / frames[1003].crops[kind]
        path.write_bytes(path.read_bytes()[:80])
    gallery = Gallery(frames, "sRGB", "ACES")
    monkeypatch.setattr(sheet, "SHEET_ROWS", 3)
    label = "x" * 70
    sheet.contact_sheet(qc, gallery, [(1003, "c"), (1001, label), (1002, "b")])
    written = cv2.imread(str(qc / "contact_sheet.png"))
    # as wide as the widest row its crops' headers give: the damaged one's, 4 × (160 + 4)
    assert written.shape == (3 * 164, 656, 3)
    expected = _stacked(qc, [([frames[1001].crops[k] for k in CROP_KINDS], f"1001 {label}"),
                             ([frames[1002].crops[k] for k in CROP_KINDS[:3]], "1002 b")],
                        None)
    assert expected.shape[1] == 4 * (147 + 4)
    assert (written[:164] == 20).all(), "the damaged row: grey, 164 rows high"
    assert np.array_equal(written[164:, :604], expected)
    assert (written[164:, 604:] == 20).all()
    assert (gallery.sheet_rows, gallery.sheet_of) == (3, 3)

    from faceplate.written import Manifest, write_bytes
    write_bytes(qc / "a_note.txt", b"faceplate's, named before the sheet", record=True)
    frames[1001].crops = {}
    sheet.contact_sheet(qc, gallery, [(1001, "a")])
    assert not (qc / "contact_sheet.png").exists() and (qc / "a_note.txt").is_file()
    assert Manifest(qc).names() >= {"a_note.txt"}


def test_a_crop_that_does_not_open_has_no_width_and_leaves_no_pending_error(tmp_path):
    """OpenImageIO keeps a failed open's error until it is asked for, and prints it when the
    process exits if nobody asked: the sheet asks."""
    import OpenImageIO as oiio
    oiio.geterror()  # whatever an earlier test left
    _crop(tmp_path / "a.png", (110, 120), 10)
    assert sheet._cell_width(tmp_path / "a.png") == 147 + 4
    assert sheet._cell_width(tmp_path / "gone.png") is None
    assert oiio.geterror() == ""


def test_a_crop_narrower_than_a_pixel_at_the_sheets_height_is_one_pixel_wide(tmp_path):
    """A 1 × 120 crop scales to 1.33 × 160: one pixel wide, in a cell of 1 + 2 × 2."""
    qc = tmp_path / "qc"
    _crop(qc / "review/crop/1001.plate.png", (1, 120), 200)
    gallery = Gallery({1001: FrameImages(crops={"plate": "review/crop/1001.plate.png"})},
                      "sRGB", "ACES")
    sheet.contact_sheet(qc, gallery, [(1001, "a")])
    written = cv2.imread(str(qc / "contact_sheet.png"))
    assert written.shape == (164, 5, 3)
    assert np.array_equal(written, _stacked(qc, [(["review/crop/1001.plate.png"], "1001 a")],
                                            None))


def test_a_plate_that_does_not_open_leaves_no_pending_error(tmp_path):
    """The page's plate aspect passes over frames that do not open (1001 missing, 1002 not an
    image) to the first that does (1003: 64 x 32, pixels 2 wide: 4.0), and a plate path that
    does not open has no display size; neither leaves OpenImageIO an error to print at exit."""
    import OpenImageIO as oiio

    from faceplate.pipeline.report.gallery import _display_size, plate_aspect
    plates = tmp_path / "plates"
    plates.mkdir()
    (plates / "p.1002.exr").write_bytes(b"not an image")
    header = oiio.ImageSpec(64, 32, 3, oiio.HALF)
    header.attribute("PixelAspectRatio", 2.0)
    out = oiio.ImageOutput.create(str(plates / "p.1003.exr"))
    assert out.open(str(plates / "p.1003.exr"), header)
    assert out.write_image(np.zeros((32, 64, 3), np.float16)) and out.close()
    data = spec_dict()
    data["plate"]["path"] = str(plates / "p.####.exr")
    data["plate"]["frames"] = "1001-1003"
    oiio.geterror()  # whatever an earlier test left
    assert plate_aspect(parse_spec(data, base=tmp_path)) == 4.0
    assert _display_size(plates / "p.1001.exr") is None
    assert oiio.geterror() == ""
