"""The whole-shot solve on synthetic analyses with known answers."""

from dataclasses import replace

import numpy as np
import pytest

from faceplate.pipeline.motion import Similarity, fit_similarity, from_matrix
from faceplate.pipeline.solve.fuse import chain, savgol
from faceplate.pipeline.solve.link import Track, _iou, link_tracks, merge_by_identity
from faceplate.pipeline.solve.smooth import (
    _outliers,
    _segments,
    _series,
    lost_frames,
    smooth_landmarks,
)
from faceplate.pipeline.stage_files.analysis import FaceObservation, FrameAnalysis, ShotAnalysis


def _face(x, y, size=100.0, identity=0.0):
    points = np.random.default_rng(int(x + y)).random((478, 3)) * size + (x, y, 0)
    points[[33, 263]] = [(x, y + 0.4 * size, 0), (x + size, y + 0.4 * size, 0)]  # eye corners
    descriptor = np.zeros(128)
    descriptor[0] = identity
    return FaceObservation([x, y, x + size, y + size], 1.0, points.tolist(), descriptor.tolist())


def _analysis(frames):
    return ShotAnalysis({}, {f: FrameAnalysis(f, "ok", faces) for f, faces in frames.items()})


def test_two_faces_moving_keep_their_tracks():
    frames = {1001 + i: [_face(100 + 5 * i, 100), _face(400 - 5 * i, 120)] for i in range(10)}
    tracks = link_tracks(_analysis(frames))
    assert len(tracks) == 2
    for track in tracks:
        assert sorted(track.faces) == list(range(1001, 1011))
    # each track keeps following the same face index (the faces never swap places here)
    assert {tuple(set(t.faces.values())) for t in tracks} == {(0,), (1,)}


def test_short_gaps_are_bridged_and_long_ones_need_identity():
    frames = {f: [_face(100, 100, identity=0.0)] for f in (1001, 1002, 1003, 1005, 1006)}
    frames.update({f: [] for f in (1004, 1007, 1008, 1009, 1010, 1011)})
    frames.update({f: [_face(300, 100, identity=0.1)] for f in (1012, 1013)})
    analysis = _analysis(frames)
    tracks = link_tracks(analysis)
    assert [sorted(t.faces) for t in tracks] == [[1001, 1002, 1003, 1005, 1006], [1012, 1013]]
    merged = merge_by_identity(tracks, analysis)
    assert len(merged) == 1 and sorted(merged[0].faces)[-1] == 1013


def test_different_people_are_not_merged():
    frames = {1001: [_face(100, 100, identity=0.0)], 1002: [],
              1003: [], 1004: [], 1005: [], 1006: [_face(100, 100, identity=0.9)]}
    analysis = _analysis(frames)
    assert len(merge_by_identity(link_tracks(analysis), analysis)) == 2
    frames[1006] = [_face(100, 100, identity=0.2)]
    analysis = _analysis(frames)
    assert len(merge_by_identity(link_tracks(analysis), analysis)) == 1


def test_smoothing_removes_noise_without_lag():
    t = np.arange(48, dtype=float)
    truth = np.stack([100 + 3 * t + 0.05 * t ** 2, 50 + 2 * t], axis=1)[:, None, :].repeat(478, 1)
    noisy = truth + np.random.default_rng(0).normal(0, 1.5, truth.shape)
    smooth = smooth_landmarks(noisy, 7)
    assert np.abs(smooth - truth).mean() < 0.6 * np.abs(noisy - truth).mean()
    # a quadratic path passes through a quadratic smoother unchanged: no lag
    np.testing.assert_allclose(smooth_landmarks(truth, 7), truth, atol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_runs_too_short_to_smooth_are_kept(n):
    points = np.random.default_rng(1).random((n, 478, 3))
    np.testing.assert_array_equal(smooth_landmarks(points, 7), points)


def _solve(frames, **settings):
    from faceplate.pipeline.solve.smooth import solve_track
    from faceplate.spec import SolveSpec, SwapSpec, TargetSpec
    analysis = _analysis(frames)
    tracks = merge_by_identity(link_tracks(analysis), analysis)
    swap = SwapSpec("actor_a", TargetSpec("largest"))
    return [solve_track(0, swap, t, analysis, SolveSpec(**settings)) for t in tracks]


def _moving(i, **kw):
    face = _face(100 + 4 * i, 100, **kw)
    face.landmarks = (np.array(_face(100, 100).landmarks) + (4 * i, 0, 0)).tolist()
    return face


def test_weak_detections_extend_tracks_but_never_start_them():
    weak = _moving(2)
    weak.score = -0.3
    stray = _face(600, 300)
    stray.score = -0.2
    frames = {1001: [_moving(0)], 1002: [_moving(1)], 1003: [weak, stray], 1004: [_moving(3)]}
    tracks = link_tracks(_analysis(frames))
    assert len(tracks) == 1 and sorted(tracks[0].faces) == [1001, 1002, 1003, 1004]


def test_a_dropout_is_interpolated_and_a_long_gap_is_not():
    frames = {1001 + i: [_moving(i, identity=0.3)] for i in range(12)}
    frames[1004] = []
    frames[1008] = frames[1009] = frames[1010] = []
    (solved,) = _solve(frames, smoothing=0, max_gap=2)
    assert solved.faces[1004].origin == "interpolated"
    assert solved.faces[1004].score == 0.0  # nothing detected there
    assert solved.faces[1003].score == frames[1003][0].score == 1.0
    # render's QC reuses analysis's descriptor of the plate face, where one was measured
    assert solved.faces[1004].descriptor is None
    assert solved.faces[1003].descriptor == pytest.approx(frames[1003][0].descriptor)
    expected = (np.array(solved.faces[1003].landmarks) + np.array(solved.faces[1005].landmarks)) / 2
    np.testing.assert_allclose(solved.faces[1004].landmarks, expected, atol=1e-3)
    assert not {1008, 1009, 1010} & set(solved.faces)


def test_an_outlier_frame_is_replaced_by_interpolation():
    frames = {1001 + i: [_moving(i)] for i in range(11)}
    frames[1006][0].landmarks = (np.array(frames[1006][0].landmarks) + (20, -15, 0)).tolist()
    (solved,) = _solve(frames, smoothing=0)
    assert solved.faces[1006].origin == "interpolated"
    assert solved.faces[1005].origin == solved.faces[1007].origin == "detected"
    np.testing.assert_allclose(np.array(solved.faces[1006].landmarks),
                               np.array(_moving(5).landmarks), atol=6e-3)  # stored to 0.01 px


@pytest.mark.parametrize("policy", ["pass", "hold"])
def test_faces_turned_beyond_the_yaw_limit(policy):
    frames = {1001 + i: [_moving(i)] for i in range(8)}
    for f in frames:
        frames[f][0].pose = [75.0 if f in (1005, 1006) else 10.0, 0.0, 0.0]
    (solved,) = _solve(frames, smoothing=0, max_yaw=60, beyond_yaw=policy)
    assert set(solved.skipped) == {1005, 1006}
    assert "yaw 75.0° beyond the limit of 60°" in solved.skipped[1005]
    if policy == "pass":
        assert 1005 not in solved.faces and 1006 not in solved.faces
    else:
        assert solved.faces[1005].origin == "held"
        assert np.array_equal(solved.faces[1005].landmarks, solved.faces[1004].landmarks)
        assert np.array_equal(solved.faces[1006].landmarks, solved.faces[1007].landmarks)


def test_swaps_pick_tracks_by_number_or_all():
    from faceplate.errors import SpecError
    from faceplate.pipeline.solve.link import pick_tracks
    from faceplate.spec import SwapSpec, TargetSpec
    frames = {1001 + i: [_face(100, 100, identity=0.0), _face(400, 100, size=150, identity=0.9)]
              for i in range(3)}
    analysis = _analysis(frames)
    tracks = link_tracks(analysis)
    largest = pick_tracks(0, SwapSpec("a", TargetSpec("largest")), tracks, set(), analysis, {})
    assert [t.id for t in largest] == [1]
    numbered = pick_tracks(0, SwapSpec("a", TargetSpec("track", track=0)), tracks, set(),
                           analysis, {})
    assert [t.id for t in numbered] == [0]
    everyone = pick_tracks(0, SwapSpec("a", TargetSpec("all")), tracks, {1}, analysis, {})
    assert [t.id for t in everyone] == [0]
    everyone = pick_tracks(0, SwapSpec("a", TargetSpec("all")), tracks, set(), analysis, {})
    assert [t.id for t in everyone] == [0, 1]
    with pytest.raises(SpecError, match="no track 5 in this shot"):
        pick_tracks(2, SwapSpec("a", TargetSpec("track", track=5)), tracks, set(), analysis, {})


# --- the pieces, with values worked out by hand ----------------------------------------------

def test_lost_frames_run_from_the_loss_until_the_face_is_seen_again():
    """Lost at 1003, seen again at 1006: 1003-1005 carry the reason; 1007 (missing for another
    reason, after the face came back) and bridged frames do not."""
    track = Track(0, faces={1001: 0, 1002: 0, 1006: 0, 1008: 0}, lost={1003: "no face found"})
    solved = dict.fromkeys([1001, 1002, 1004, 1006, 1008])  # 1004 bridged by the solve
    out = lost_frames(track, solved, list(range(1001, 1010)))
    reason = "track 0: face lost at frame 1003, no face found"
    assert out == dict.fromkeys((1003, 1005), reason)


def test_a_face_never_seen_again_is_lost_until_the_shot_ends():
    track = Track(3, faces={1001: 0}, lost={1002: "left the frame"})
    out = lost_frames(track, dict.fromkeys([1001]), list(range(1001, 1005)))
    assert sorted(out) == [1002, 1003, 1004]
    assert set(out.values()) == {"track 3: face lost at frame 1002, left the frame"}


@pytest.mark.parametrize("a, b, expected", [
    ([0, 0, 4, 2], [2, 0, 6, 2], 4 / 12),    # side by side: 2x2 shared of 8 + 8 - 4
    ([0, 0, 2, 4], [0, 2, 2, 6], 4 / 12),    # one above the other
    ([0, 0, 4, 2], [0, 0, 4, 2], 1.0),
    ([0, 0, 4, 2], [5, 0, 9, 2], 0.0),
    ([1, 1, 1, 1], [1, 1, 1, 1], 0.0),      # no area: no overlap, no division by zero
    ([0, 0, 3, 1], [1, 0, 2, 5], 1 / 7),    # a cross: 1 shared of 3 + 5 - 1
])
def test_box_overlap_is_the_shared_area_over_the_union(a, b, expected):
    assert _iou(a, b) == pytest.approx(expected)


def test_the_fitted_similarity_recovers_a_known_rotation_scale_and_shift():
    """Points off the origin turned 30°, scaled 1.5 and shifted (10, -4): a = 1.5 cos 30°,
    b = 1.5 sin 30°, and the shift itself."""
    source = np.array([[20.0, 5.0], [26.0, 5.0], [26.0, 9.0], [21.0, 12.0]])
    s, t = 1.5, np.radians(30.0)
    rot = s * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    target = source @ rot.T + (10.0, -4.0)
    fitted = fit_similarity(source, target)
    assert (fitted.a, fitted.b, fitted.tx, fitted.ty) == pytest.approx(
        (1.5 * np.sqrt(3) / 2, 0.75, 10.0, -4.0))
    assert fitted.scale == pytest.approx(1.5)


def test_a_similarity_moves_turns_scales_and_inverts_as_worked_by_hand():
    turn = Similarity(0.0, 2.0, 0.0, 3.0)        # 90° and x2, then (0, 3)
    # (2, 1, depth 3): x = 0*2 - 2*1 + 0, y = 2*2 + 0*1 + 3, depth x2
    assert turn.apply(np.array([[2.0, 1.0, 3.0]])).tolist() == [[-2.0, 7.0, 6.0]]
    # x2 then (1, 0), followed by 90°: 2·R90·p + R90(1, 0) = 2·R90·p + (0, 1); then (0, 3)
    composed = Similarity(0.0, 1.0, 0.0, 3.0).compose(Similarity(2.0, 0.0, 1.0, 0.0))
    assert (composed.a, composed.b, composed.tx, composed.ty) == pytest.approx((0, 2, 0, 4))
    # undo: subtract (0, 3), turn back 90° ((x, y) -> (y, -x)), halve
    back = turn.inverse()
    assert (back.a, back.b, back.tx, back.ty) == pytest.approx((0, -0.5, -1.5, 0))
    assert from_matrix(np.array([[0.0, -2.0, 0.0], [2.0, 0.0, 3.0]])) == turn
    assert turn.as_list() == [0.0, 2.0, 0.0, 3.0]


def test_savgol_keeps_a_quadratic_and_damps_alternating_noise_by_its_published_weights():
    """Quadratic Savitzky-Golay: a quadratic passes unchanged; frame-to-frame +-1 noise comes
    out, away from the ends, at -13/35 (5 frames: weights -3 12 17 12 -3 over 35) or at 5/21
    (7 frames: -2 3 6 7 6 3 -2 over 21; an even window of 6 is widened to 7)."""
    t = np.arange(11, dtype=np.float64)
    quadratic = 0.5 * t * t - 3 * t + 2
    np.testing.assert_allclose(savgol(quadratic, 5), quadratic, atol=1e-9)
    noise = (-1.0) ** t
    for window, gain in ((5, -13 / 35), (6, 5 / 21), (7, 5 / 21)):
        out = savgol(quadratic + noise, window)
        inner = slice(window // 2 + 1, -(window // 2 + 1))
        np.testing.assert_allclose(out[inner] - quadratic[inner], gain * noise[inner],
                                   atol=1e-9, err_msg=str(window))


def test_savgol_matches_scipys_filter_at_the_ends_and_inside():
    """The numpy filter gives scipy.signal's quadratic savgol_filter (mode "interp": the ends
    from the quadratic fitted to the first and last window) on meshes over time."""
    from scipy.signal import savgol_filter
    rng = np.random.default_rng(3)
    for frames, window in ((5, 9), (6, 9), (12, 7), (40, 15), (41, 31)):
        values = rng.normal(size=(frames, 478, 3)) * 40
        used = min(window | 1, frames if frames % 2 else frames - 1)
        expected = savgol_filter(values, used, 2, axis=0, mode="interp")
        np.testing.assert_allclose(savgol(values, window), expected, rtol=0, atol=1e-9,
                                   err_msg=f"{frames} frames, window {window}")


def test_savgol_leaves_runs_and_windows_under_5_frames_alone():
    values = np.array([0.0, 5.0, -1.0, 4.0])
    assert savgol(values, 9) is values           # 4 frames
    five = np.array([0.0, 5.0, -1.0, 4.0, 2.0])
    assert savgol(five, 3) is five                # a window of 3
    assert not np.allclose(savgol(five, 9), five)  # 5 frames: the whole run is the window
    six = np.array([0.0, 5.0, -1.0, 4.0, 2.0, 7.0])
    assert not np.allclose(savgol(six, 9), six)    # 6 frames: a window of 5


def test_the_head_motion_chains_each_frames_move_after_the_ones_before():
    """Turned 90° from frame 0 to 1, then moved (1, 0): frame 2's head takes (1, 0) to
    R90(1, 0) + (1, 0) = (1, 1) (the other order would give (0, 2))."""
    heads = chain([Similarity(0.0, 1.0), Similarity(1.0, 0.0, 1.0, 0.0)])
    assert len(heads) == 3 and heads[0] == Similarity()
    np.testing.assert_allclose(heads[1].apply(np.array([[1.0, 0.0]])), [[0.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(heads[2].apply(np.array([[1.0, 0.0]])), [[1.0, 1.0]], atol=1e-12)


def test_segments_break_at_long_gaps_unanalysed_gaps_and_cuts():
    """max_gap 2: 3 -> 6 skips two analysed frames (one run); 7 -> 10 skips 8, never analysed
    (a new run); 11 is a cut (a new run); 12 -> 16 skips three (a new run)."""
    analysed = set(range(1, 17)) - {8}
    runs = _segments([1, 2, 3, 6, 7, 10, 11, 12, 16], 2, analysed, {11})
    assert runs == [[1, 2, 3, 6, 7], [10], [11, 12], [16]]


def _still_face(frames: int) -> np.ndarray:
    """(frames, 478, 3): every point at the origin but the outer eye corners, 100 px apart."""
    points = np.zeros((frames, 478, 3))
    points[:, 263, 0] = 100.0
    return points


@pytest.mark.parametrize("shift, flagged", [(23.7, True), (23.0, False)])
def test_an_outlier_strays_from_the_smooth_path_by_more_than_012_of_the_face(shift, flagged):
    """Nine still frames, the middle one moved ``shift`` px: the 5-frame quadratic path keeps
    17/35 of the move there, so the frame lies 18/35 x shift off it, over a face of 100:
    0.1219 (an outlier) or 0.1183 (not). Its neighbours lie 12/35 x shift off: never."""
    points = _still_face(9)
    points[4, :, 0] += shift
    expected = np.zeros(9, bool)
    expected[4] = flagged
    np.testing.assert_array_equal(_outliers(points, 3), expected)
    short = _still_face(4)
    short[1, :, 0] += 60.0
    assert not _outliers(short, 5).any()  # under 5 frames: no path to stray from


def test_a_measure_seen_on_one_frame_holds_over_the_span_and_on_two_is_interpolated():
    """Skin measured on one valid frame only: every frame takes it. On two: a straight line
    between them, held beyond. On none: nothing."""
    span = np.array([10, 11, 12, 13, 14])
    valid = np.array([True, True, False, True, True])
    one = [_face(0, 0), None, _face(0, 0), replace(_face(0, 0), skin=[50.0, 4.0]), _face(0, 0)]
    np.testing.assert_array_equal(_series(span, valid, one, "skin"), [[50.0, 4.0]] * 5)
    two = [replace(_face(0, 0), skin=[40.0, 2.0]), None, None, None,
           replace(_face(0, 0), skin=[60.0, 6.0])]
    np.testing.assert_allclose(_series(span, valid, two, "skin"),
                               [[40, 2], [45, 3], [50, 4], [55, 5], [60, 6]])
    hidden = [None, None, replace(_face(0, 0), skin=[1.0, 1.0]), None, None]  # frame invalid
    assert _series(span, valid, hidden, "skin") is None


def test_reviewer_overrides_skip_hold_and_set_only_where_they_can():
    """Frames 1-3 solved. Skip 1; hold 2 on 3's alignment; set feather on 3; hold 3 on frame 9
    (not solved: nothing to hold, frame 3 keeps its own); an approval changes nothing."""
    from faceplate.pipeline.solve.stage import apply_overrides
    from faceplate.pipeline.stage_files.tracks import SolvedFace, SolvedSwap
    from faceplate.spec.overrides import Override
    faces = {f: SolvedFace(f, 0, [0, 0, 1, 1], 1.0, [[float(f), 0.0, 0.0]]) for f in (1, 2, 3)}
    swap = SolvedSwap(0, "a", 0, faces)
    apply_overrides([swap], [Override((1,), "skip", by="ana"), Override((2,), "hold", hold=3),
                             Override((3,), "set", values={"feather": 0.2}),
                             Override((3,), "hold", hold=9), Override((2, 3), "approve")])
    assert sorted(swap.faces) == [2, 3]
    assert swap.skipped[1] == "reviewer: skip (pass through unswapped), by ana"
    assert swap.faces[2].landmarks == [[3.0, 0.0, 0.0]] and swap.faces[2].origin == "held"
    assert swap.faces[3].landmarks == [[3.0, 0.0, 0.0]]
    assert swap.faces[3].params == {"feather": 0.2} and "set feather=0.2" in swap.faces[3].override


def test_two_frame_flow_pieces_are_followed_not_smoothed_across_their_boundaries():
    """Eight frames in four pieces of two, the second of each followed by flow from the first
    (moved 4 px, as measured), with ±1 px mesh noise. A piece of two has nothing to filter
    (Savitzky-Golay leaves runs under 5 alone; its head motion is followed exactly), and no
    motion links one piece to the next: every mesh stays where analysis put it. Smoothing the
    whole run over 5 frames, as for a pack that cannot follow, would move them."""
    rng = np.random.default_rng(11)
    frames = {}
    for i in range(8):
        face = _moving(i)
        face.landmarks = (np.array(face.landmarks) + rng.uniform(-1, 1, (478, 3))).tolist()
        if i % 2:
            face.origin, face.tracked_from, face.motion = "tracked", 0, [1.0, 0.0, 4.0, 0.0]
        frames[1001 + i] = [face]
    (solved,) = _solve(frames, smoothing=5)
    for f, (face,) in frames.items():
        np.testing.assert_allclose(solved.faces[f].landmarks, face.landmarks, atol=0.006)


def test_the_largest_track_is_the_one_of_most_area_not_the_widest_box():
    """``largest`` sums box areas: a 100 x 100 face (10,000 px a frame) beats a 300 x 20
    sliver (6,000 px, though its sides add up to more)."""
    from faceplate.pipeline.solve.link import pick_tracks
    from faceplate.spec import SwapSpec, TargetSpec
    square = _face(100, 100, size=100.0)
    sliver = replace(_face(500, 100), bbox=[500.0, 100.0, 800.0, 120.0])
    analysis = _analysis({1001 + i: [sliver, square] for i in range(3)})
    tracks = link_tracks(analysis)
    (largest,) = pick_tracks(0, SwapSpec("a", TargetSpec("largest")), tracks, set(), analysis, {})
    assert set(largest.faces.values()) == {1}  # the square, the frames' second face


def test_a_box_overlapping_the_last_one_is_not_linked_when_it_is_another_person():
    """The next frame's face in the same place joins the track only if it is the same person:
    descriptors 0.9 apart (over 0.6) start a track of their own; 0.2 apart join."""
    other = _analysis({1001: [_face(100, 100, identity=0.0)],
                       1002: [_face(102, 100, identity=0.9)]})
    assert [sorted(t.faces) for t in link_tracks(other)] == [[1001], [1002]]
    same = _analysis({1001: [_face(100, 100, identity=0.0)],
                      1002: [_face(102, 100, identity=0.2)]})
    assert [sorted(t.faces) for t in link_tracks(same)] == [[1001, 1002]]


def test_tracks_that_share_frames_are_never_merged_however_alike():
    """Two faces on the same frames are two people to the solve, even with descriptors
    0.05 apart (a double, a reflection): merging by identity joins only tracks apart in time."""
    frames = {1001 + i: [_face(100, 100, identity=0.0), _face(400, 100, identity=0.05)]
              for i in range(3)}
    analysis = _analysis(frames)
    tracks = link_tracks(analysis)
    assert len(tracks) == 2
    assert len(merge_by_identity(tracks, analysis)) == 2


def test_a_steady_skin_tone_is_solved_to_four_decimals():
    """The skin statistics a face carries (L*, chroma) keep four decimals through the solve:
    a constant 51.23456 / 4.56789 over the track is 51.2346 / 4.5679 on every frame."""
    frames = {1001 + i: [replace(_face(100, 100), skin=[51.23456, 4.56789])] for i in range(6)}
    (solved,) = _solve(frames)
    assert {tuple(face.skin or ()) for face in solved.faces.values()} == {(51.2346, 4.5679)}
