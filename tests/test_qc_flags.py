"""Every QC flag fired by a frame built for it, through the real render code: the flag, the
sentence naming its value and threshold, and behaviour exactly at the threshold (one side flags,
the other does not). Defaults are checked against docs/qc.md.

The shot is analysed and solved once (``render_rig``); each test renders single frames with the
solved faces, thresholds or plate frames it needs (about 0.2 s a frame)."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from conftest import read_pixels
from render_rig import RenderRig, documented_defaults, make_rig, spec_defaults
from test_solve import _analysis, _moving

from faceplate.pipeline.analyse.sources import find_face
from faceplate.pipeline.provenance import shot_provenance
from faceplate.pipeline.render.stage import render_frame
from faceplate.pipeline.report.stage import check_matte_jumps
from faceplate.pipeline.solve.link import link_tracks, merge_by_identity
from faceplate.pipeline.solve.smooth import landmark_jitter, solve_track
from faceplate.spec import QCSpec, SolveSpec, SwapSpec, TargetSpec

DATA = Path(str(resources.files("faceplate.demo") / "data"))
WHO = "swap 0 (actor_a) track 0"


@pytest.fixture(scope="module")
def rig(tmp_path_factory, colour) -> RenderRig:
    return make_rig(tmp_path_factory.mktemp("qcrig"), colour)


def _bits(path: Path, part: int = 0) -> np.ndarray:
    return read_pixels(path, part).view(np.uint16)


def _unchanged(rig: RenderRig, spec, frame: int, plate: Path | None = None) -> None:
    """The output frame is the plate bit for bit and its matte is empty."""
    plate = plate or rig.spec.plate.path.frame(frame)
    np.testing.assert_array_equal(_bits(spec.output.path.frame(frame)), _bits(plate))
    assert not read_pixels(spec.output.matte.frame(frame)).any()


# --- defaults ------------------------------------------------------------------------------

def test_every_documented_threshold_is_the_spec_default():
    documented = documented_defaults()
    assert set(documented) == {"qc.min_score", "qc.max_identity_distance",
                               "qc.min_distance_to_original", "qc.max_jitter",
                               "qc.max_matte_change", "qc.max_seam", "solve.max_yaw",
                               "solve.max_gap", "qc.max_highlight", "qc.max_detail_ratio",
                               "qc.min_detail_ratio", "qc.max_grain_difference",
                               "qc.max_eye_difference", "qc.max_mouth_difference",
                               "qc.max_hard_edge"}
    defaults = spec_defaults()
    for key, value in documented.items():
        assert defaults[key] == value, f"{key}: spec default {defaults[key]}, docs {value}"


def test_a_spec_without_a_qc_section_uses_the_defaults(rig):
    assert rig.spec.qc == QCSpec() and rig.spec.solve == SolveSpec()
    assert (rig.spec.qc.max_identity_distance, rig.spec.qc.min_distance_to_original,
            rig.spec.qc.max_jitter, rig.spec.qc.max_seam, rig.spec.qc.min_score,
            rig.spec.qc.max_matte_change) == (0.68, 0.3, 0.03, 12.0, 0.0, 0.25)


# --- a clean frame -------------------------------------------------------------------------

def test_a_good_swap_raises_no_flag(rig, tmp_path):
    record = rig.render_one(rig.spec_for(tmp_path), 1001)
    assert record.status == "swapped" and record.flags == [] and record.reasons == {}
    face = record.faces[0]
    assert face.identity_distance_to_source < 0.68 < 0.3 + face.identity_distance_to_original
    assert face.origin == "detected" and face.score > 0


# --- identity ------------------------------------------------------------------------------

def _render_with_source(rig: RenderRig, spec, frame: int, source) -> object:
    pre = rig.node.preflight()
    provenance = shot_provenance(spec, rig.node.ctx, pre.shot_models())
    return render_frame(spec, frame, rig.solved, {"actor_a": source}, provenance, rig.node.ctx,
                        pre)


def test_identity_far_from_source_at_the_default(rig, tmp_path):
    """The pasted face is Obama's but the source's identity is Biden's: the output is far
    from the identity it claims (dlib: different people measure 0.63-0.90)."""
    biden = find_face(DATA / "biden_portrait.jpg", "sRGB Encoded Rec.709 (sRGB)", rig.node.ctx,
                      key="test")
    source = replace(rig.node.sources()["actor_a"], descriptor=biden.descriptor)
    record = _render_with_source(rig, rig.spec_for(tmp_path), 1001, source)
    distance = record.faces[0].identity_distance_to_source
    assert distance > 0.68
    assert record.flags == ["identity_far_from_source"]
    assert record.reasons["identity_far_from_source"] == (
        f"{WHO}: identity distance to source: {distance:.3f} > 0.68")


def test_identity_close_to_original_at_the_default(rig, tmp_path):
    """The source is the plate's own actor (the astronaut): the swap changes no identity."""
    own = find_face(DATA / "astronaut.png", "sRGB Encoded Rec.709 (sRGB)", rig.node.ctx,
                    key="test")
    source = replace(rig.node.sources()["actor_a"], texture=own.image, landmarks=own.landmarks,
                     descriptor=own.descriptor, skin=None)
    record = _render_with_source(rig, rig.spec_for(tmp_path), 1001, source)
    distance = record.faces[0].identity_distance_to_original
    assert distance < 0.3
    assert "identity_close_to_original" in record.flags
    assert record.reasons["identity_close_to_original"] == (
        f"{WHO}: identity distance to the plate's face: {distance:.3f} < 0.3")


@pytest.mark.parametrize("metric, key, flag, above, frame", [
    ("identity_distance_to_source", "max_identity_distance", "identity_far_from_source", True,
     1001),  # identity is measured on the track's keyframes (1001: its first)
    ("identity_distance_to_original", "min_distance_to_original", "identity_close_to_original",
     False, 1001),
    ("seam", "max_seam", "seam_mismatch", True, 1002)])
def test_measured_flags_switch_exactly_around_their_threshold(rig, tmp_path, metric, key, flag,
                                                              above, frame):
    """The value measured on the frame, with the threshold just below and just above it (the
    record rounds the value; 2e-3 is larger than that rounding)."""
    value = getattr(rig.render_one(rig.spec_for(tmp_path / "measure"), frame).faces[0], metric)
    flagged_at, clean_at = (value - 2e-3, value + 2e-3) if above else (value + 2e-3,
                                                                        value - 2e-3)
    flagged = rig.render_one(rig.spec_for(tmp_path / "a", qc={key: flagged_at}), frame)
    clean = rig.render_one(rig.spec_for(tmp_path / "b", qc={key: clean_at}), frame)
    assert flagged.flags == [flag]
    side = ">" if above else "<"
    assert f": {value:.3f} {side} {flagged_at:g}" in flagged.reasons[flag]
    assert flag not in clean.flags and clean.flags == []
    assert flagged.status == clean.status == "swapped"


# --- jitter and score (values the solve hands render) ---------------------------------------

def test_jitter_spike_flags_above_the_default_and_not_at_it(rig, tmp_path):
    at = rig.render_one(rig.spec_for(tmp_path / "at"), 1002, rig.with_face(1002, jitter=0.03))
    above = rig.render_one(rig.spec_for(tmp_path / "above"), 1002,
                           rig.with_face(1002, jitter=0.0301))
    assert at.flags == []
    assert above.flags == ["jitter_spike"]
    assert above.reasons["jitter_spike"] == (
        f"{WHO}: landmark jitter (× face size): 0.030 > 0.03")
    looser = rig.render_one(rig.spec_for(tmp_path / "looser", qc={"max_jitter": 0.05}), 1002,
                            rig.with_face(1002, jitter=0.0301))
    assert looser.flags == []


def test_landmark_jitter_is_the_offset_from_the_neighbours_midpoint_over_face_size():
    """A face 80 px wide between its outer eye corners; on the middle frame every point sits
    2.4 px off the line between its neighbours: jitter 2.4 / 80 = 0.03 there, 0 at the ends."""
    points = np.zeros((3, 478, 3))
    points[:, 263, 0] = 80.0  # the mesh's outer eye corners 33 and 263, 80 px apart
    points[:, :, 1] += [[0.0], [1.0], [2.0]]  # a smooth move down...
    points[1, :, 0] += 2.4  # ...and a 2.4 px pop sideways on the middle frame
    points[:, :, 2] += [[0.0], [5.0], [0.0]]  # depth is no part of it
    np.testing.assert_allclose(landmark_jitter(points), [0.0, 0.03, 0.0])


def test_low_score_flags_a_detection_below_the_default_and_not_at_it(rig, tmp_path):
    at = rig.render_one(rig.spec_for(tmp_path / "at"), 1002, rig.with_face(1002, score=0.0))
    below = rig.render_one(rig.spec_for(tmp_path / "below"), 1002,
                           rig.with_face(1002, score=-0.001))
    assert at.flags == []
    assert below.flags == ["low_score"]
    assert below.reasons["low_score"] == f"{WHO}: detection score: -0.001 < 0"
    stricter = rig.render_one(rig.spec_for(tmp_path / "stricter", qc={"min_score": 0.5}), 1002,
                              rig.with_face(1002, score=0.4))
    assert stricter.flags == ["low_score"]
    assert "0.400 < 0.5" in stricter.reasons["low_score"]


# --- interpolation -------------------------------------------------------------------------

def test_an_interpolated_alignment_on_a_face_is_swapped_and_flagged(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    record = rig.render_one(spec, 1002, rig.with_face(1002, origin="interpolated", score=-0.5))
    assert record.status == "swapped"
    assert record.flags == ["interpolated_alignment"]  # not low_score: nothing was detected
    assert record.reasons["interpolated_alignment"] == (
        "track 0: no usable detection, alignment interpolated")
    assert read_pixels(spec.output.matte.frame(1002)).max() == 1.0


def test_a_face_the_flow_could_not_follow_is_swapped_and_flagged_with_the_reason(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    why = "track 0: optical flow failed its forward-backward check (3 of 90 points came back)"
    record = rig.render_one(spec, 1002, rig.with_face(1002, origin="tracked", unsure=why))
    assert record.status == "swapped"
    assert record.flags == ["tracking_unsure"]
    assert record.reasons["tracking_unsure"] == why


def test_an_interpolated_face_on_an_empty_plate_is_not_pasted(rig, tmp_path):
    """A cut or a flash frame: the plate shows no face where the interpolated one would go."""
    frame = rig.plate(1002)
    x0, y0, x1, y1 = rig.face(1002).bbox
    d = frame.data_box
    pad = 0.5 * (x1 - x0)
    rows = slice(max(0, int(y0 - pad) - d.y0), int(y1 + pad) - d.y0)
    cols = slice(max(0, int(x0 - pad) - d.x0), int(x1 + pad) - d.x0)
    frame.pixels[rows, cols, :3] = np.float16(0.18)
    plates = tmp_path / "plates"
    plate = rig.write_plate(plates, frame)
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    record = rig.render_one(spec, 1002, rig.with_face(1002, origin="interpolated"))
    assert record.status == "passthrough" and record.faces == []
    assert record.flags == ["no_face"]
    assert record.reasons["no_face"] == ("track 0: interpolated alignment rejected, no "
                                         "face-like detail on the plate there: passed through")
    _unchanged(rig, spec, 1002, plate)


def test_a_gap_of_max_gap_frames_is_bridged_and_one_more_is_not():
    """solve.max_gap (default 2): two missing frames are interpolated, three are not."""
    frames = {1001 + i: [_moving(i)] for i in range(12)}
    frames[1003] = frames[1004] = []  # a gap of 2
    frames[1008] = frames[1009] = frames[1010] = []  # a gap of 3
    analysis = _analysis(frames)
    (track,) = merge_by_identity(link_tracks(analysis), analysis)
    swap = SwapSpec("actor_a", TargetSpec("largest"))
    solved = solve_track(0, swap, track, analysis, SolveSpec(smoothing=0))
    assert [solved.faces[f].origin for f in (1003, 1004)] == ["interpolated"] * 2
    assert not {1008, 1009, 1010} & set(solved.faces)
    wider = solve_track(0, swap, track, analysis, SolveSpec(smoothing=0, max_gap=3))
    assert [wider.faces[f].origin for f in (1008, 1009, 1010)] == ["interpolated"] * 3


# --- pose ----------------------------------------------------------------------------------

@pytest.mark.parametrize("sign", [1, -1], ids=["turned left", "turned right"])
def test_the_yaw_limit_holds_both_ways_and_exactly_at_the_default(sign):
    frames = {1001 + i: [_moving(i)] for i in range(6)}
    yaws = {1001: 10.0, 1002: 60.0, 1003: 60.01, 1004: 75.0, 1005: 59.9, 1006: 0.0}
    for f, yaw in yaws.items():
        frames[f][0].pose = [sign * yaw, 0.0, 0.0]
    analysis = _analysis(frames)
    (track,) = link_tracks(analysis)
    solved = solve_track(0, SwapSpec("actor_a", TargetSpec("largest")), track, analysis,
                         SolveSpec(smoothing=0))
    assert sorted(solved.skipped) == [1003, 1004]
    assert sorted(solved.faces) == [1001, 1002, 1005, 1006]
    assert solved.skipped[1003] == (f"yaw {sign * 60.01:.1f}° beyond the limit of 60°: "
                                    "passed through")


def test_a_face_beyond_the_yaw_limit_is_flagged_not_swapped(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    reason = "yaw -75.0° beyond the limit of 60°: passed through"
    record = rig.render_one(spec, 1002, rig.without_face(1002, reason))
    assert record.status == "passthrough"
    assert record.flags == ["pose_beyond_limit"]  # not no_face: the face is there, turned away
    assert record.reasons["pose_beyond_limit"] == f"swap 0 track 0: {reason}"
    _unchanged(rig, spec, 1002)


# --- frames without a face, missing, unreadable, non-finite ----------------------------------

def test_a_frame_without_a_target_face_is_passed_through_and_flagged(rig, tmp_path):
    spec = rig.spec_for(tmp_path)
    record = rig.render_one(spec, 1003, rig.without_face(1003))
    assert record.status == "passthrough" and record.faces == []
    assert record.flags == ["no_face"]
    assert record.reasons["no_face"] == "no target face on this frame: passed through unchanged"
    _unchanged(rig, spec, 1003)


def test_a_missing_plate_frame_is_recorded_and_nothing_written(rig, tmp_path):
    plates = tmp_path / "plates"
    rig.write_plate(plates, rig.plate(1002))
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    record = rig.render_one(spec, 1001)
    assert record.status == "missing" and record.flags == ["missing_frame"]
    assert str(plates / "tst010.1001.exr") in record.reasons["missing_frame"]
    assert "frame 1001" in record.reasons["missing_frame"]
    assert record.output is None and not spec.output.path.frame(1001).exists()
    assert rig.render_one(spec, 1002).status == "swapped"  # the next frame carries on


def test_an_unreadable_plate_frame_is_recorded_and_nothing_written(rig, tmp_path):
    plates = tmp_path / "plates"
    plates.mkdir()
    (plates / "tst010.1001.exr").write_bytes(b"\x76\x2f\x31\x01 not the rest of an EXR")
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    record = rig.render_one(spec, 1001)
    assert record.status == "unreadable" and record.flags == ["unreadable_frame"]
    assert record.reasons["unreadable_frame"].startswith("unreadable plate frame: ")
    assert "frame 1001" in record.reasons["unreadable_frame"]
    assert not spec.output.path.frame(1001).exists()


def test_non_finite_plate_values_are_counted_flagged_and_kept(rig, tmp_path):
    frame = rig.plate(1002)
    pixels = frame.pixels
    pixels[0, 0, 0] = np.nan  # corners: far outside the face's matte
    pixels[0, 1, 1:3] = np.inf
    pixels[-1, -1, 2] = -np.inf
    pixels[-1, -2, 3] = np.nan  # the depth AOV is not RGB: not counted
    plates = tmp_path / "plates"
    plate = rig.write_plate(plates, frame)
    spec = rig.spec_for(tmp_path / "out", plates=plates)
    record = rig.render_one(spec, 1002)
    assert record.nonfinite_pixels == 4
    assert record.flags == ["non_finite_pixels"]
    assert record.reasons["non_finite_pixels"] == "4 NaN/Inf values in the plate's RGB"
    assert record.status == "swapped"
    out, before = _bits(spec.output.path.frame(1002)), _bits(plate)
    for y, x in ((0, 0), (0, 1), (-1, -1), (-1, -2)):
        np.testing.assert_array_equal(out[y, x], before[y, x])
    clean = rig.render_one(rig.spec_for(tmp_path / "clean"), 1002)
    assert clean.nonfinite_pixels == 0 and "non_finite_pixels" not in clean.flags


# --- matte area over time (report) ----------------------------------------------------------

def test_matte_jump_flags_above_the_default_and_not_at_it():
    records = [{"frame": 1001, "matte_area": 1000.0, "flags": [], "reasons": {}},
               {"frame": 1002, "matte_area": 1250.0, "flags": [], "reasons": {}},
               {"frame": 1003, "matte_area": 937.0, "flags": [], "reasons": {}}]
    check_matte_jumps(records, QCSpec().max_matte_change)
    assert records[1]["matte_change"] == pytest.approx(0.25) and records[1]["flags"] == []
    assert records[2]["flags"] == ["matte_jump"]  # 1250 -> 937: -0.2504
    assert records[2]["reasons"]["matte_jump"] == "matte area changed 0.250 > 0.25 of frame 1002's"
