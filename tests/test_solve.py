"""The whole-shot solve on synthetic analyses with known answers."""

import numpy as np
import pytest

from faceplate.pipeline.analyse import FaceObservation, FrameAnalysis, ShotAnalysis
from faceplate.pipeline.solve import link_tracks, merge_by_identity, smooth_landmarks


def _face(x, y, size=100.0, identity=0.0):
    points = np.random.default_rng(int(x + y)).random((68, 2)) * size + (x, y)
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
    truth = np.stack([100 + 3 * t + 0.05 * t ** 2, 50 + 2 * t], axis=1)[:, None, :].repeat(68, 1)
    noisy = truth + np.random.default_rng(0).normal(0, 1.5, truth.shape)
    smooth = smooth_landmarks(noisy, 7)
    assert np.abs(smooth - truth).mean() < 0.6 * np.abs(noisy - truth).mean()
    # a quadratic path passes through a quadratic smoother unchanged: no lag
    np.testing.assert_allclose(smooth_landmarks(truth, 7), truth, atol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_runs_too_short_to_smooth_are_kept(n):
    points = np.random.default_rng(1).random((n, 68, 2))
    np.testing.assert_array_equal(smooth_landmarks(points, 7), points)
