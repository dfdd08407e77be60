"""What the report says of a shot, without a shot run: each flag's metric, value, threshold and
meaning; ``review.otio`` as written (tracks, clips, a marker per flagged frame) and the
reviewer's markers read back as decisions over the frames they cover; the records read once
in frame order; the A/B page's frames and cells. Expected values are the literal numbers and
texts written here, worked by hand, or read back with OpenTimelineIO itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio
import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
from conftest import spec_dict, write_spec

from faceplate.errors import SpecError, StageError
from faceplate.pipeline.context import RunContext
from faceplate.pipeline.preflight import Preflight
from faceplate.pipeline.report.compare import compare_versions
from faceplate.pipeline.report.flags import FLAGS, METRICS, flag_views, threshold_text
from faceplate.pipeline.report.shot_records import shot_records, slim
from faceplate.pipeline.report.timeline import (
    parse_marker_name,
    read_decisions,
    write_review_timeline,
)
from faceplate.pipeline.stage_files.paths import QC_SCHEMA
from faceplate.pipeline.stage_files.records import FrameRecord, write_record
from faceplate.spec import QCSpec, ShotSpec, SolveSpec, load_spec, parse_spec

_R = otio.opentime.RationalTime
_TR = otio.opentime.TimeRange


def _spec_data(frames: str) -> dict[str, Any]:
    data = spec_dict()
    data["plate"]["frames"] = frames
    return data


# --- flags ----------------------------------------------------------------------------------

def test_a_face_metric_is_the_worst_face_or_the_tracks_and_none_without_a_value():
    far = METRICS["identity_distance_to_source"]     # flagged above: the largest
    close = METRICS["identity_distance_to_original"]  # flagged below: the smallest
    record = {"faces": [
        {"track": 0, "identity_distance_to_source": 0.25, "identity_distance_to_original": 0.5},
        {"track": 1, "identity_distance_to_source": 0.75, "identity_distance_to_original": 0.125},
        {"track": 2, "identity_distance_to_source": None, "identity_distance_to_original": 0.0625},
        {"track": 3}]}
    assert far.value(record) == 0.75 and close.value(record) == 0.0625
    assert far.value(record, track=0) == 0.25 and close.value(record, track=0) == 0.5
    assert far.value(record, track=2) is None and far.value(record, track=3) is None
    assert far.value(record, track=9) is None and far.value({"faces": []}) is None
    assert far.value({}) is None


@pytest.mark.parametrize("key", [
    "identity_distance_to_source", "identity_distance_to_original", "jitter", "seam",
    "highlight", "detail_ratio", "grain_ratio", "eye_difference", "mouth_difference",
    "hard_edge", "score"])
def test_a_face_metric_is_read_from_the_faces_not_the_frame(key):
    record = {key: 9.0, "faces": [{"track": 0, key: 2.5}]}
    assert METRICS[key].value(record) == 2.5


@pytest.mark.parametrize("key", ["matte_area", "matte_change", "nonfinite_pixels"])
def test_a_frame_metric_is_read_from_the_frame_not_its_faces(key):
    record = {key: 9.0, "faces": [{"track": 0, key: 2.5}]}
    assert METRICS[key].value(record) == 9.0


def test_a_frame_metric_needs_a_face_unless_it_is_the_plates_own():
    area, nonfinite = METRICS["matte_area"], METRICS["nonfinite_pixels"]
    face = [{"track": 0}]
    assert area.value({"matte_area": 120, "faces": face}) == 120.0
    assert area.value({"matte_area": 120, "faces": []}) is None, "no face: a gap, not 120"
    assert area.value({"matte_area": None, "faces": face}) is None
    assert nonfinite.value({"nonfinite_pixels": 4, "faces": []}) == 4.0
    assert nonfinite.value({"nonfinite_pixels": None, "faces": []}) is None
    assert nonfinite.value({}) is None


def test_thresholds_read_their_qc_setting_and_side():
    qc = QCSpec(max_identity_distance=0.625, min_score=0.25, max_matte_change=0.35)
    assert threshold_text(METRICS["identity_distance_to_source"], qc) == (
        "> 0.625 (qc.max_identity_distance)")
    assert threshold_text(METRICS["score"], qc) == "< 0.25 (qc.min_score)"
    assert threshold_text(METRICS["matte_change"], qc) == "> 0.35 (qc.max_matte_change)"
    assert threshold_text(METRICS["nonfinite_pixels"], qc) == "any"
    assert threshold_text(METRICS["matte_area"], qc) == "–"
    for info in FLAGS.values():  # every flag's metric is one the page knows
        assert info.metric is None or info.metric in METRICS


def test_each_flag_on_the_page_shows_its_own_value_threshold_and_reason():
    record = {"frame": 1003, "flags": ["matte_jump", "low_score", "interpolated_alignment",
                                       "pose_beyond_limit", "unreadable_frame", "brand_new",
                                       "non_finite_pixels"],
              "reasons": {"matte_jump": "area 2.5x the previous", "low_score": "0.1"},
              "matte_change": 1.23456, "nonfinite_pixels": 12, "faces": [
                  {"track": 0, "score": 0.5}, {"track": 1, "score": 0.125}]}
    views = {v.name: v for v in flag_views(record, QCSpec(min_score=0.25, max_matte_change=0.5),
                                           SolveSpec(max_gap=6, max_yaw=60.5))}
    assert list(views) == record["flags"], "every flag, in the record's order"
    jump = views["matte_jump"]
    assert (jump.metric, jump.value, jump.threshold, jump.reason) == (
        "matte area change (× previous frame's)", "1.235", "> 0.5 (qc.max_matte_change)",
        "area 2.5x the previous")
    assert "flicker" in jump.explanation
    low = views["low_score"]
    assert (low.metric, low.value, low.threshold) == (
        "detection score", "0.125", "< 0.25 (qc.min_score)")
    gap = views["interpolated_alignment"]
    assert (gap.metric, gap.value, gap.threshold, gap.reason) == (
        "–", "–", "gaps up to 6 frames bridged (solve.max_gap)", "")
    assert views["pose_beyond_limit"].threshold == "|yaw| > 60.5° (solve.max_yaw)"
    unreadable = views["unreadable_frame"]
    assert (unreadable.metric, unreadable.value, unreadable.threshold) == ("–", "–", "–")
    assert unreadable.explanation == "The plate frame could not be read: nothing was written."
    new = views["brand_new"]
    assert (new.metric, new.value, new.threshold) == ("–", "–", "–")
    assert new.explanation == "A flag this version of the page does not know."
    nan = views["non_finite_pixels"]
    assert (nan.value, nan.threshold) == ("12", "any")
    faceless = flag_views({"flags": ["matte_jump"], "matte_change": 0.9, "faces": []},
                          QCSpec(), SolveSpec())[0]
    assert faceless.value == "–" and faceless.reason == ""
    assert flag_views({"frame": 1001}, QCSpec(), SolveSpec()) == []


# --- review.otio ----------------------------------------------------------------------------

def _flagged(frame: int, flags: dict[str, str], decisions: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    record: dict[str, Any] = {"frame": frame, "flags": list(flags), "reasons": dict(flags)}
    if decisions is not None:
        record["decisions"] = decisions
    return record


def test_the_timeline_holds_plate_and_result_over_the_shot_with_a_marker_per_flagged_frame(
        tmp_path):
    spec = load_spec(write_spec(tmp_path, _spec_data("1001-1008")))
    records = [
        {"frame": 1001, "flags": [], "reasons": {}},
        _flagged(1003, {"seam_mismatch": "dE 4.2 > 3", "jitter_spike": "0.4"}),
        _flagged(1006, {"no_face": "passed through"},
                 [{"what": "skip (pass through unswapped)", "by": "ann",
                   "at": "2026-12-03 10:00 UTC"},
                  {"what": "approve as rendered", "by": None}]),
    ]
    path = write_review_timeline(spec, records, 25.0, tmp_path / "out" / "qc" / "review.otio")
    assert path == tmp_path / "out" / "qc" / "review.otio"
    timeline = otio.adapters.read_from_file(str(path))
    assert timeline.name == "tst010 faceplate review"
    assert timeline.global_start_time == _R(1001, 25)
    meta = dict(timeline.metadata["faceplate"])
    assert meta == {"schema": "faceplate.review-otio/1", "shot": "tst010",
                    "version": meta["version"], "spec": str(tmp_path / "shot.yaml"),
                    "frames": "1001-1008", "rate": 25.0}
    assert [(t.name, t.kind) for t in timeline.tracks] == [("plate", "Video"),
                                                          ("result", "Video")]
    policy = otio.schema.ImageSequenceReference.MissingFramePolicy
    for track, folder, prefix, missing in (
            (timeline.tracks[0], tmp_path / "plates", "tst010.", policy.error),
            (timeline.tracks[1], tmp_path / "out", "tst010_fp.", policy.black)):
        (clip,) = list(track)
        assert clip.name == f"tst010 {track.name}"
        assert clip.source_range == _TR(_R(1001, 25), _R(8, 25))
        ref = clip.media_reference
        assert ref.target_url_base == folder.as_uri() + "/"
        assert (ref.name_prefix, ref.name_suffix, ref.frame_zero_padding) == (prefix, ".exr", 4)
        assert (ref.start_frame, ref.frame_step, ref.rate) == (1001, 1, 25)
        assert ref.missing_frame_policy == missing
        assert ref.available_range == _TR(_R(1001, 25), _R(8, 25))
        assert ref.target_url_for_image_number(7) == (folder / f"{prefix}1008.exr").as_uri()
    assert not list(timeline.tracks[0][0].markers) and not timeline.tracks[1].markers
    seam, none = timeline.tracks[1][0].markers
    assert seam.name == "seam_mismatch, jitter_spike"
    assert seam.marked_range == _TR(_R(1003, 25), _R(1, 25))
    assert seam.color == otio.schema.MarkerColor.RED
    assert seam.comment == "seam_mismatch: dE 4.2 > 3; jitter_spike: 0.4"
    mark = seam.metadata["faceplate"]
    assert (mark["kind"], mark["frame"], list(mark["flags"])) == (
        "flag", 1003, ["seam_mismatch", "jitter_spike"])
    assert none.marked_range.start_time == _R(1006, 25)
    assert none.comment == (
        "no_face: passed through; "
        "decided: skip (pass through unswapped), by ann at 2026-12-03 10:00 UTC; "
        "decided: approve as rendered, by an unrecorded reviewer")
    # its own flag markers are not decisions, nor left out
    found = read_decisions(path)
    assert found.spec == tmp_path / "shot.yaml"
    assert found.decisions == [] and found.ignored == []


def test_a_timeline_of_a_spec_without_a_file_names_none_and_a_shot_of_one_frame(tmp_path):
    spec = parse_spec(_spec_data("1001"), base=tmp_path)
    path = write_review_timeline(spec, [], 24.0, tmp_path / "review.otio")
    timeline = otio.adapters.read_from_file(str(path))
    assert timeline.metadata["faceplate"]["spec"] is None
    assert timeline.tracks[1][0].source_range == _TR(_R(1001, 24), _R(1, 24))
    assert read_decisions(path).spec is None


def _marker(name: str, start: float, length: float = 1, rate: float = 24,
            **metadata: Any) -> otio.schema.Marker:
    marker = otio.schema.Marker(name=name, marked_range=_TR(_R(start, rate), _R(length, rate)))
    if metadata:
        marker.metadata["faceplate"] = metadata
    return marker


def _timeline(tmp_path: Path, rate: float = 24.0) -> otio.schema.Timeline:
    spec = parse_spec(_spec_data("1001-1010"), base=tmp_path)
    path = write_review_timeline(spec, [], rate, tmp_path / "review.otio")
    return otio.adapters.read_from_file(str(path))


def _decisions(tmp_path: Path, timeline: otio.schema.Timeline) -> Any:
    path = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return read_decisions(path)


def test_markers_cover_their_range_in_clip_track_or_stack_time(tmp_path):
    timeline = _timeline(tmp_path)
    plate, result = timeline.tracks
    clip = result[0]
    clip.markers.extend([_marker("skip", 1004), _marker("hold 1002", 1007, 3),
                         _marker("approve", 1005, 0),      # shorter than a frame: one frame
                         _marker("skip", 1002.4, 1.4),     # 1.4 frames: one frame, from 1002
                         _marker("check the eyes", 1009)])
    plate.markers.append(_marker("set feather=0.2", 2, 2))   # track time: 1003-1004
    timeline.tracks.markers.append(_marker("approve", 0))   # the stack's time: 1001
    found = _decisions(tmp_path, timeline)
    got = [(d.frames, d.action, d.hold, d.assignments) for d in found.decisions]
    assert got == [((1001,), "approve", None, ()),
                   ((1003, 1004), "set", None, ("feather=0.2",)),
                   ((1004,), "skip", None, ()), ((1007, 1008, 1009), "hold", 1002, ()),
                   ((1005,), "approve", None, ()), ((1002,), "skip", None, ())]
    assert found.decisions[0].marker == "marker 'approve' on the timeline at 1001"
    assert found.decisions[1].marker == "marker 'set feather=0.2' on track 'plate' at 1003-1004"
    assert found.decisions[3].marker == (
        "marker 'hold 1002' on clip 'tst010 result' at 1007-1009")
    assert found.ignored == ["marker 'check the eyes' on clip 'tst010 result' at 1009"]


def test_a_marker_at_another_rate_is_read_at_the_timelines(tmp_path):
    timeline = _timeline(tmp_path, rate=24.0)
    clip = timeline.tracks[1][0]
    # 2009 at 48 fps is 1004.5 at 24: frame 1004; 4 frames at 48 are 2 at 24
    clip.markers.append(_marker("skip", 2009, 4, rate=48))
    # a ten-millionth short of frame 1005 (another host's float time) is frame 1005
    clip.markers.append(_marker("approve", 1005 - 1e-7, 1))
    found = _decisions(tmp_path, timeline)
    assert [d.frames for d in found.decisions] == [(1004, 1005), (1005,)]


def test_a_timeline_without_faceplates_metadata_reads_markers_at_their_own_rate(tmp_path):
    timeline = otio.schema.Timeline(name="edit")
    track = otio.schema.Track(name="v1")
    clip = otio.schema.Clip(name="sh", source_range=_TR(_R(1001, 30), _R(10, 30)))
    clip.markers.append(_marker("skip", 1003, 2, rate=30))
    clip.markers.append(_marker("hold 1001", 1008, 2, rate=60))  # no timeline rate: its own
    track.append(clip)
    track.markers.append(_marker("approve", 5, 1, rate=30))  # no global start: from 0
    timeline.tracks.append(track)
    found = _decisions(tmp_path, timeline)
    assert found.spec is None
    assert [(d.frames, d.action) for d in found.decisions] == [
        ((5,), "approve"), ((1003, 1004), "skip"), ((1008, 1009), "hold")]


def test_faceplates_own_flag_markers_are_passed_over_wherever_they_are(tmp_path):
    timeline = _timeline(tmp_path)
    clip = timeline.tracks[1][0]
    clip.markers.extend([_marker("skip", 1002, kind="flag", frame=1002, flags=["no_face"]),
                         _marker("skip", 1003, kind="note"), _marker("no_face", 1004)])
    found = _decisions(tmp_path, timeline)
    assert [(d.frames, d.action) for d in found.decisions] == [((1003,), "skip")]
    assert found.ignored == ["marker 'no_face' on clip 'tst010 result' at 1004"]


def test_what_is_not_a_timeline_is_refused(tmp_path):
    text = tmp_path / "notes.otio"
    text.write_text("not json")
    with pytest.raises(StageError, match="not a timeline OpenTimelineIO reads"):
        read_decisions(text)
    track = tmp_path / "track.otio"
    otio.adapters.write_to_file(otio.schema.Track(name="v1"), str(track))
    with pytest.raises(StageError, match="expected an OTIO timeline"):
        read_decisions(track)


@pytest.mark.parametrize(("name", "expected"), [
    ("SKIP", ("skip", None, ())), ("approve,", ("approve", None, ())),
    ("hold -3", ("hold", -3, ())), ("Hold 1003", ("hold", 1003, ())),
    ("set feather=0.2 erode=1", ("set", None, ("feather=0.2", "erode=1"))),
])
def test_decision_words_take_any_case_and_their_arguments(name, expected):
    decision = parse_marker_name(name, (1004, 1005), "at 1004-1005")
    assert (decision.action, decision.hold, decision.assignments) == expected
    assert decision.frames == (1004, 1005) and decision.marker == f"marker {name!r} at 1004-1005"


@pytest.mark.parametrize(("name", "message"), [
    ("approve all", "'approve' takes nothing after it"),
    ("skip it", "'skip' takes nothing after it"),
    ("hold 1003 1004", "expected 'hold N'"), ("hold 10a", "expected 'hold N'"),
    # str.isdigit() takes their characters (int() then raised ValueError on the first two):
    # N is ASCII digits, after one minus at most
    ("hold --3", "expected 'hold N'"), ("hold \u00b2", "expected 'hold N'"),
    ("hold \u0661\u0660\u0660\u0663", "expected 'hold N'"),
    ("set,", "expected 'set key=value"),
])
def test_a_decision_word_with_a_bad_argument_says_what_it_takes(name, message):
    with pytest.raises(SpecError) as caught:
        parse_marker_name(name, (1004,), "at 1004")
    assert message in caught.value.message


@pytest.mark.parametrize("name", ["", "  ", ",", "skipping", "note: skip"])
def test_a_name_not_starting_with_a_decision_word_is_no_decision(name):
    assert parse_marker_name(name, (1004,), "at 1004") is None


# --- the shot's records ---------------------------------------------------------------------

def test_a_slim_record_drops_only_what_qc_json_alone_shows():
    record = {"frame": 1001, "render_key": "k", "outputs": {"a": [1]}, "flags": ["seam"],
              "faces": [{"track": 0, "landmarks": [[1, 2]], "bbox": [1, 2, 3, 4]}]}
    assert slim(record) == {"frame": 1001, "flags": ["seam"],
                            "faces": [{"track": 0, "bbox": [1, 2, 3, 4]}]}
    assert record["faces"][0]["landmarks"] == [[1, 2]], "the record itself is left whole"
    assert slim({"frame": 1002}) == {"frame": 1002, "faces": []}


def test_records_are_spooled_on_the_shots_disk_without_their_schema(tmp_path, monkeypatch):
    spec = parse_spec(spec_dict(), base=tmp_path)
    for f in (1002, 1005):
        write_record(spec, FrameRecord(f, "swapped"))
    # no system temporary folder: the spool must be in the QC folder (it exists)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "no such folder"))
    with shot_records(spec, lambda previous, record: None) as shot:
        whole = list(shot.whole())
    assert [r["frame"] for r in whole] == [1002, 1005]
    assert all("schema" not in r for r in whole) and all("schema" not in r for r in shot.slim)
    assert shot.missing == [1001, 1003, 1004, 1006, 1007, 1008]
    nan = shot_records(spec, lambda previous, record: record.update(seam=float("nan")))
    with pytest.raises(ValueError, match="JSON compliant"), nan:  # qc.json stays JSON
        pass


def test_records_of_a_shot_never_rendered_are_spooled_in_the_systems_folder(tmp_path):
    spec = parse_spec(spec_dict(), base=tmp_path)
    with shot_records(spec, lambda previous, record: None) as shot:
        assert shot.slim == [] and list(shot.whole()) == []
        assert shot.missing == list(range(1001, 1009))
    assert not (tmp_path / "out").exists(), "nothing made for the spool"


# --- the A/B page ---------------------------------------------------------------------------

def _exr(path: Path, value: float) -> Path:
    """A flat grey frame 720 × 36 (half float)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = oiio.ImageOutput.create(str(path))
    spec = oiio.ImageSpec(720, 36, 3, oiio.HALF)  # twice a thumbnail's width
    assert out.open(str(path), spec), oiio.geterror()
    assert out.write_image(np.full((36, 720, 3), value, np.float16))
    out.close()
    return path


def _version(folder: Path, records: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = {"schema": QC_SCHEMA, "shot": "tst010", "frames": records}
    (folder / "qc.json").write_text(json.dumps(body))
    return folder


def _qc_record(frame: int, output: Path | None, flags: dict[str, str] | None = None,
               distances: tuple[float | None, ...] = (0.5,), status: str = "swapped"
               ) -> dict[str, Any]:
    return {"frame": frame, "status": status, "output": str(output) if output else None,
            "faces": [{"track": i, "identity_distance_to_source": d}
                      for i, d in enumerate(distances)],
            "flags": list(flags or {}), "reasons": dict(flags or {})}


@pytest.fixture
def shot(tmp_path: Path, colour) -> tuple[ShotSpec, RunContext, Preflight]:
    spec = parse_spec(_spec_data("1001-1020"), base=tmp_path)
    for f in spec.plate.frames:
        _exr(spec.plate.path.frame(f), 0.18)
    config = colour.config
    display = config.getDefaultDisplay()
    pre = Preflight("ACEScg", display, config.getDefaultView(display), None, None)
    return spec, RunContext(colour=colour), pre


def _rows(page: Path) -> list[str]:
    return [part.split('"', 1)[0] for part in page.read_text().split('<tr id="frame-')[1:]]


def test_the_ab_page_shows_frames_flagged_in_either_version(shot, tmp_path):
    spec, ctx, pre = shot
    outs = tmp_path / "renders"
    a = _version(tmp_path / "v003" / "qc", [
        _qc_record(1003, _exr(outs / "a.1003.exr", 0.5), {"seam_mismatch": "dE 4"},
                   distances=(0.25, None)),
        _qc_record(1004, None, status="missing", distances=()),
        _qc_record(1009, _exr(outs / "a.1009.exr", 0.5))])
    b = _version(tmp_path / "approved", [
        _qc_record(1004, _exr(outs / "b.1004.exr", 0.25)),
        _qc_record(1009, _exr(outs / "b.1009.exr", 0.25), {"jitter_spike": "0.4 px"},
                   distances=(0.12345,)),
        _qc_record(1012, _exr(outs / "b.1012.exr", 0.25))])
    page = compare_versions(spec, ctx, pre, a, b / "qc.json")
    # a QC folder named qc is named by its parent; a qc.json by its folder
    assert page == spec.output.qc / "compare_v003_approved" / "index.html"
    text = page.read_text()
    assert "<h1>tst010: v003 vs approved</h1>" in text
    assert "Frames flagged in either version: 2." in text and "Showing the first" not in text
    assert _rows(page) == ["1003", "1009"]
    images = sorted(p.name for p in page.parent.glob("*.jpg"))
    assert images == ["1003_a.jpg", "1003_plate.jpg", "1009_a.jpg", "1009_b.jpg",
                      "1009_plate.jpg"]
    # each through the display transform (OCIO's own processor here), 360 wide
    config = ctx.colour.config
    exact = config.getProcessor(ocio.DisplayViewTransform(
        src="ACEScg", display=pre.display, view=pre.view)).getDefaultCPUProcessor()
    for name, value in (("1003_plate.jpg", 0.18), ("1003_a.jpg", 0.5), ("1009_b.jpg", 0.25)):
        proxy = cv2.imread(str(page.parent / name))
        assert proxy.shape == (18, 360, 3)
        shown = np.full((1, 1, 3), value, np.float32)
        exact.applyRGB(shown)
        expected = np.rint(np.clip(shown[0, 0], 0, 1) * 255)
        assert abs(expected[0] - value * 255) > 10, "the transform, not the data, is shown"
        assert np.abs(proxy.mean(axis=(0, 1))[::-1] - expected).max() <= 2
    row_1003 = text.split('<tr id="frame-1003">')[1].split("</tr>")[0]
    assert 'alt="1003 v003"' in row_1003 and 'alt="1003 approved"' not in row_1003
    assert "identity 0.250, –" in row_1003 and 'seam_mismatch</span> dE 4' in row_1003
    assert "not rendered" in row_1003, "v002 has no record of 1003"
    row_1009 = text.split('<tr id="frame-1009">')[1].split("</tr>")[0]
    assert "identity 0.500<br>ok" in row_1009.replace("\n", "")
    assert "identity 0.123" in row_1009 and "jitter_spike</span> 0.4 px" in row_1009
    versions = json.loads(text.split('id="versions">')[1].split("</script>")[0])
    assert versions == {"a": str(a), "b": str(b / "qc.json")}


def test_versions_of_the_same_name_are_told_apart_and_unflagged_shots_sampled(shot, tmp_path):
    spec, ctx, pre = shot
    frames = range(1001, 1021)
    a = _version(tmp_path / "one" / "take", [_qc_record(f, None) for f in frames])
    b = _version(tmp_path / "two" / "take", [_qc_record(f, None) for f in frames])
    page = compare_versions(spec, ctx, pre, a, b)
    assert page.parent.name == "compare_take-A_take-B"
    text = page.read_text()
    assert "Frames samples: 10." in text  # 20 frames, every 20 // 8 = 2nd, from the first
    assert _rows(page) == ["1001", "1003", "1005", "1007", "1009", "1011", "1013", "1015",
                           "1017", "1019"]


@pytest.mark.parametrize(("flagged", "note"), [
    (200, False), (201, True)])
def test_the_ab_page_shows_200_frames_at_most_and_says_so(tmp_path, colour, flagged, note):
    spec = parse_spec(_spec_data("1001-1300"), base=tmp_path)  # no plate frames: no images
    display = colour.config.getDefaultDisplay()
    pre = Preflight("ACEScg", display, colour.config.getDefaultView(display), None, None)
    a = _version(tmp_path / "a", [_qc_record(f, None, {"no_face": ""})
                                  for f in range(1001, 1001 + flagged)])
    b = _version(tmp_path / "b", [])
    page = compare_versions(spec, RunContext(colour=colour), pre, a, b)
    assert len(_rows(page)) == 200 and _rows(page)[-1] == "1200"
    text = page.read_text()
    assert ("Showing the first 200 of 201 frames" in text) == note
    assert f"Frames flagged in either version: {flagged}." in text


def test_a_version_without_qc_json_is_refused(shot, tmp_path):
    spec, ctx, pre = shot
    a = _version(tmp_path / "v001", [])
    with pytest.raises(StageError, match="no qc.json for this version"):
        compare_versions(spec, ctx, pre, a, tmp_path / "v002")
