"""The render stage's outcomes, frame by frame, through the real render code on the small test
shot (tests/render_rig.py): which frames are rendered, kept or passed through and in what
order, what each record and stored record says, what a stop, a failed write or a full disk
leaves behind, and the attributes written with each frame. Expected values come from the
files written, the solved faces given, and the frames asked for, never from render itself."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import read_header, read_pixels
from render_rig import RenderRig, make_rig

from faceplate.errors import DiskFullError, RunStopped
from faceplate.face.mesh import to_ibug68
from faceplate.pipeline.progress import Progress
from faceplate.pipeline.render import RenderResult, render
from faceplate.pipeline.stage_files.tracks import REVIEWER_PREFIX, SolvedSwap
from faceplate.pipeline.stop import StopFlag
from faceplate.spec import ShotSpec

WHO = "swap 0 track 0"


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("stagerig"), colour)


def _stage(rig: RenderRig, spec: ShotSpec, frames, *, stop_on: int | None = None,
           stop: StopFlag | None = None, solved: list[SolvedSwap] | None = None,
           ) -> tuple[RenderResult | RunStopped | DiskFullError, list[Progress]]:
    """The render stage over ``frames`` with a context of its own (its result, or the error
    that stopped it), the progress reports it sent, and a stop requested when frame
    ``stop_on``'s report arrives (or by ``stop``)."""
    reports: list[Progress] = []
    flag = stop or StopFlag()

    def progress(report: Progress) -> None:
        reports.append(report)
        if report.frame == stop_on:
            flag.request(signal.SIGTERM)

    ctx = replace(rig.node.ctx, progress=progress, stop=flag)
    try:
        result: RenderResult | RunStopped | DiskFullError = render(
            spec, frames, rig.solved if solved is None else solved, rig.node.sources(), ctx,
            rig.node.preflight())
    except (RunStopped, DiskFullError) as stopped:
        result = stopped
    return result, reports


def _stored(spec: ShotSpec) -> dict[int, dict]:
    """The stored frame records, by frame."""
    folder = spec.output.qc / "frames"
    return {int(p.stem): json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def _written(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.exr"))


def _progress(frames: list[int]) -> list[Progress]:
    return [Progress("render", i + 1, len(frames), f) for i, f in enumerate(frames)]


def _plate_bits(rig: RenderRig, frame: int) -> np.ndarray:
    return read_pixels(rig.spec.plate.path.frame(frame)).view(np.uint16)


# --- frames in order, records, progress ------------------------------------------------------

def test_frames_are_rendered_in_the_order_given_and_each_record_says_what_was_written(
        rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    frames = [1003, 1001, 1002]
    start = time.perf_counter()
    result, reports = _stage(rig, spec, np.array(frames, dtype=np.int64))
    elapsed = time.perf_counter() - start
    assert isinstance(result, RenderResult)
    assert [r.frame for r in result.records] == frames
    assert all(type(r.frame) is int for r in result.records)
    assert [r.status for r in result.records] == ["swapped"] * 3
    assert result.reused == [] and result.failed == []
    assert reports == _progress(frames)
    stored = _stored(spec)
    assert sorted(stored) == [1001, 1002, 1003]
    providers = rig.node.preflight().shot_models().providers()
    assert providers
    keys = set()
    for record in result.records:
        f = record.frame
        output, matte = spec.output.path.frame(f), spec.output.matte.frame(f)
        assert record.output == str(output) and record.matte == str(matte)
        assert output.is_file() and matte.is_file()
        assert set(record.outputs) == {str(output), str(matte)}
        assert record.render_key and stored[f]["render_key"] == record.render_key
        keys.add(record.render_key)
        assert stored[f]["status"] == "swapped" and stored[f]["frame"] == f
        assert record.providers == providers
        # the seconds the frame took (its read, swap and write), to the millisecond
        assert 0 < record.seconds <= elapsed and record.seconds == round(record.seconds, 3)
        assert record.flags == [] and record.overrides == [] and record.nonfinite_pixels == 0
        # the frame's matte area is the written matte's, to a tenth
        area = float(read_pixels(matte, fmt=oiio.FLOAT).sum())
        assert record.matte_area == pytest.approx(area, abs=0.06 + 1e-3 * area)
        assert record.matte_area == round(record.matte_area, 1) > 1000
        (face,) = record.faces
        solved = rig.face(f)
        assert (face.swap, face.source, face.track) == (0, "actor_a", solved.track)
        assert face.bbox == list(solved.bbox) and face.score == solved.score
        assert face.pose == solved.pose and face.origin == solved.origin == "detected"
        assert face.jitter == solved.jitter
        ibug = to_ibug68(np.asarray(solved.landmarks))
        assert np.asarray(face.landmarks).shape == (68, 2)
        np.testing.assert_allclose(face.landmarks, ibug[:, :2], atol=0.0051)
        assert face.landmarks == np.round(face.landmarks, 2).tolist()
        assert face.matte_area == pytest.approx(record.matte_area, abs=0.11)  # one face
        assert face.seam is not None and face.seam == round(face.seam, 3)
    assert len(keys) == 3  # each frame's own key
    # identity measured on the track's first and last frames only, kept to 4 places
    faces = {r.frame: r.faces[0] for r in result.records}
    distances = [d for f in (1001, 1003) for d in (faces[f].identity_distance_to_source,
                                                   faces[f].identity_distance_to_original)]
    assert all(d is not None and d == round(d, 4) for d in distances)
    assert faces[1002].identity_distance_to_source is None
    # the places kept are not fewer: some of the values use the last one
    assert any(d != round(d, 3) for d in distances)
    assert any(f.seam != round(f.seam, 2) for f in faces.values())
    assert any(r.matte_area != round(r.matte_area) for r in result.records)
    assert any(r.seconds != round(r.seconds, 2) for r in result.records)


def test_an_empty_frame_list_renders_nothing(rig, tmp_path):
    spec = rig.spec_for(tmp_path / "out")
    result, reports = _stage(rig, spec, [])
    assert isinstance(result, RenderResult)
    assert result.records == [] and result.reused == [] and reports == []
    assert not (tmp_path / "out").exists() or _written(tmp_path / "out") == []


def test_current_frames_between_rendered_ones_are_kept_in_place_with_their_records(
        rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    first, _ = _stage(rig, spec, [1002])
    assert isinstance(first, RenderResult)
    kept = spec.output.path.frame(1002).stat().st_mtime_ns
    again, reports = _stage(rig, spec, [1001, 1002, 1003])
    assert isinstance(again, RenderResult)
    assert [r.frame for r in again.records] == [1001, 1002, 1003]
    assert again.reused == [1002]
    assert asdict(again.records[1]) == asdict(first.records[0])
    assert reports == _progress([1001, 1002, 1003])
    assert spec.output.path.frame(1002).stat().st_mtime_ns == kept
    assert [r.status for r in again.records] == ["swapped"] * 3
    forced = rig.render_stage(spec, [1002], force=True)
    assert forced.reused == [] and forced.records[0].status == "swapped"
    assert spec.output.path.frame(1002).stat().st_mtime_ns != kept


# --- stopping between frames -----------------------------------------------------------------

@pytest.mark.parametrize("when", ["before the run", "on the first frame's report"])
def test_a_stop_ends_the_run_after_the_frame_in_flight(rig, tmp_path, when):
    """Asked to stop at any point up to frame 1001's record, the run still finishes 1001 (the
    frame in flight) and nothing after it; the error names both."""
    spec = rig.spec_for(tmp_path)
    ahead = StopFlag()
    if when == "before the run":
        ahead.request(signal.SIGTERM)
        result, reports = _stage(rig, spec, [1001, 1002, 1003], stop=ahead)
    else:
        result, reports = _stage(rig, spec, [1001, 1002, 1003], stop_on=1001)
    assert isinstance(result, RunStopped)
    assert result.message == "stopped after frame 1001; frames not rendered: 1002-1003"
    assert result.name == "SIGTERM"
    assert reports == _progress([1001, 1002, 1003])[:1]
    assert _written(tmp_path) == ["fp.tst010.1001.exr", "fp_matte.1001.exr"]
    assert sorted(_stored(spec)) == [1001]


def test_a_stop_reported_on_a_kept_frame_ends_the_run_before_the_next(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    _stage(rig, spec, [1001])
    result, reports = _stage(rig, spec, [1001, 1002, 1003], stop_on=1001)
    assert isinstance(result, RunStopped)
    assert result.message == "stopped after frame 1001; frames not rendered: 1002-1003"
    assert reports == _progress([1001, 1002, 1003])[:1]
    assert _written(tmp_path) == ["fp.tst010.1001.exr", "fp_matte.1001.exr"]


def test_a_stop_on_the_next_to_last_frame_names_the_last_as_not_rendered(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    result, reports = _stage(rig, spec, [1001, 1002, 1003], stop_on=1002)
    assert isinstance(result, RunStopped)
    assert result.message == "stopped after frame 1002; frames not rendered: 1003"
    assert reports == _progress([1001, 1002, 1003])[:2]
    assert sorted(_stored(spec)) == [1001, 1002]


# --- failed writes ---------------------------------------------------------------------------

def test_a_frame_that_cannot_be_written_is_recorded_unwritten_and_the_shot_carries_on(
        rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    blocked = spec.output.path.frame(1002)
    blocked.mkdir(parents=True)  # a folder where the frame goes: the rename onto it fails
    result, _ = _stage(rig, spec, [1001, 1002, 1003])
    assert isinstance(result, RenderResult)
    assert [r.status for r in result.records] == ["swapped", "unwritten", "swapped"]
    assert result.failed == [1002]
    failed = result.records[1]
    assert failed.output is None and failed.matte is None and failed.outputs == {}
    assert failed.flags == ["unwritten_frame"]
    assert str(blocked) in failed.reasons["unwritten_frame"]
    assert "frame 1002" in failed.reasons["unwritten_frame"]
    assert not spec.output.matte.frame(1002).exists()  # the matte comes after the frame
    assert failed.seconds > 0 and failed.providers
    stored = _stored(spec)
    assert stored[1002]["status"] == "unwritten" and stored[1002]["render_key"]


def test_a_full_disk_stops_the_shot_naming_the_frame_and_what_was_not_rendered(rig, tmp_path):
    from test_safety import mounted
    spec = rig.spec_for(tmp_path / "out")
    records = rig.spec_for(tmp_path / "room")  # the records on a disk with room
    spec = replace(spec, output=replace(spec.output, qc=records.output.qc))
    room = rig.spec.plate.path.frame(1001).stat().st_size + 400 * 1024
    with mounted(tmp_path / "out", f"size={room}"):
        result, reports = _stage(rig, spec, [1001, 1002, 1003])
        assert isinstance(result, DiskFullError)
        assert result.path == str(spec.output.path.frame(1002)) and result.frame == 1002
        assert result.message == ("no space left on the device: the shot stopped; frames not "
                                  "rendered: 1003")
        assert _written(tmp_path / "out") == ["fp.tst010.1001.exr", "fp_matte.1001.exr"]
    assert reports == _progress([1001, 1002, 1003])[:1]
    stored = _stored(spec)
    assert sorted(stored) == [1001, 1002]
    assert stored[1001]["status"] == "swapped" and stored[1002]["status"] == "unwritten"
    assert stored[1002]["flags"] == ["unwritten_frame"] and stored[1002]["render_key"]


def test_without_a_matte_output_only_the_frame_is_written_and_recorded(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    spec = replace(spec, output=replace(spec.output, matte=None))
    result, _ = _stage(rig, spec, [1002])
    assert isinstance(result, RenderResult)
    (record,) = result.records
    assert record.status == "swapped" and record.matte is None
    assert record.output == str(spec.output.path.frame(1002))
    assert set(record.outputs) == {record.output}
    assert _written(tmp_path) == ["fp.tst010.1002.exr"]


# --- faces not swapped: lost, skipped by a reviewer or the pose limit ------------------------

def _two_swaps(swap: SolvedSwap, **changes) -> list[SolvedSwap]:
    """``swap`` twice, as swaps 0 and 1 of the same source and track."""
    return [replace(swap, **changes), replace(swap, swap=1, **changes)]


def test_a_lost_face_is_flagged_with_each_swaps_reason_and_passed_through(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    (gone,) = rig.without_face(1002)
    solved = _two_swaps(gone, lost={1002: "face mesh no longer fits"})
    record = rig.render_one(spec, 1002, solved)
    assert record.status == "passthrough" and record.faces == []
    assert record.flags == ["face_lost"]  # not no_face: the face is there, lost by tracking
    assert record.reasons["face_lost"] == ("swap 0: face mesh no longer fits: not swapped; "
                                           "swap 1: face mesh no longer fits: not swapped")
    np.testing.assert_array_equal(
        read_pixels(spec.output.path.frame(1002)).view(np.uint16), _plate_bits(rig, 1002))
    assert record.matte_area == 0.0
    assert rig.render_one(rig.spec_for(tmp_path / "other"), 1001, solved).flags == []


def test_faces_skipped_for_their_pose_are_flagged_together(rig, tmp_path):
    (gone,) = rig.without_face(1002, "yaw 75.0° beyond the limit of 60°: passed through")
    record = rig.render_one(rig.spec_for(tmp_path), 1002, _two_swaps(gone))
    assert record.flags == ["pose_beyond_limit"] and record.overrides == []
    reason = "yaw 75.0° beyond the limit of 60°: passed through"
    assert record.reasons["pose_beyond_limit"] == f"{WHO}: {reason}; swap 1 track 0: {reason}"


def test_a_face_a_reviewer_skipped_is_listed_as_an_override_not_flagged(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    why = f"{REVIEWER_PREFIX}skip: passed through"
    record = rig.render_one(spec, 1002, rig.without_face(1002, why))
    assert record.status == "passthrough" and record.faces == []
    assert record.flags == [] and record.reasons == {}
    assert record.overrides == [f"{WHO}: {why}"]
    np.testing.assert_array_equal(
        read_pixels(spec.output.path.frame(1002)).view(np.uint16), _plate_bits(rig, 1002))


def test_a_reviewed_face_is_listed_and_its_identity_measured_off_the_keyframes(rig, tmp_path):
    why = f"{REVIEWER_PREFIX}set feather 0.2"
    start = time.perf_counter()
    record = rig.render_one(rig.spec_for(tmp_path), 1002, rig.with_face(1002, override=why))
    assert 0 < record.seconds <= time.perf_counter() - start  # one frame, rendered alone
    assert record.status == "swapped" and record.flags == []
    assert record.overrides == [f"{WHO}: {why}"]
    (face,) = record.faces
    assert 0.0 < face.identity_distance_to_source < 0.68
    assert face.identity_distance_to_original > 0.3


# --- several faces on a frame, and the attributes written --------------------------------------

def _attribute(path: Path, name: str) -> object:
    return read_header(path).getattribute(name)


def test_two_faces_on_a_frame_are_both_recorded_and_counted_in_the_frames_attributes(
        rig, tmp_path):
    spec = rig.spec_for(tmp_path / "two")
    (swap,) = rig.solved
    record = rig.render_one(spec, 1002, _two_swaps(swap))
    assert record.status == "swapped" and record.flags == []
    assert [(f.swap, f.track) for f in record.faces] == [(0, 0), (1, 0)]
    output = spec.output.path.frame(1002)
    assert _attribute(output, "faceplate/facesReplaced") == 2
    assert _attribute(output, "faceplate/frame") == 1002
    assert _attribute(spec.output.matte.frame(1002), "faceplate/facesReplaced") == 2
    # the same face twice (the second over the first's swap): one matte, the larger of the
    # two at each pixel
    area = float(read_pixels(spec.output.matte.frame(1002), fmt=oiio.FLOAT).sum())
    assert record.matte_area == pytest.approx(area, abs=0.06 + 1e-3 * area)
    areas = [f.matte_area for f in record.faces]
    assert max(areas) - 0.11 <= record.matte_area < 0.6 * sum(areas)
    passed = rig.spec_for(tmp_path / "none")
    rig.render_one(passed, 1003, rig.without_face(1003))
    assert _attribute(passed.output.path.frame(1003), "faceplate/facesReplaced") == 0
    assert _attribute(passed.output.path.frame(1003), "faceplate/frame") == 1003
