"""The solve's skin carry (:mod:`faceplate.pipeline.solve.skin`) and rest shape
(:mod:`faceplate.pipeline.solve.rest`) against values worked out here: the steady gain of a
random-walk Kalman filter iterated by hand, a textbook scalar Kalman filter and
Rauch-Tung-Striebel smoother written out per vertex, inverse-distance weights counted on a
few points, and a mesh posed by a known turn, scale and shift. Whole shots: tests/
test_stability.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from faceplate.face.mesh import layout
from faceplate.pipeline.solve import skin
from faceplate.pipeline.solve.rest import rest_shape


@pytest.mark.parametrize("window, gain", [(9, 1 / 9), (4, 1 / 4), (2, 1 / 2), (1, 1 / 2),
                                          (0, 1 / 2)])
def test_the_flow_variance_makes_the_steady_gain_one_over_the_window(window, gain):
    """The filter's gain with process noise ``flow_variance(window)`` and observations of
    variance 1, iterated to its steady state, is 1 / window (windows under 2 count as 2)."""
    q = skin.flow_variance(window)
    variance = 1.0
    for _ in range(500):
        prior = variance + q
        k = prior / (prior + 1.0)
        variance = (1 - k) * prior
    assert k == pytest.approx(gain, rel=1e-9)


def test_an_unmeasured_vertex_moves_as_its_six_nearest_measured_ones_weighted_by_distance():
    """Eight measured vertices at distances 0.5, 2, 3, 4, 5, 6, 7 and 8 of an unmeasured one
    (its move NaN): it moves by the mean of the six nearest's moves weighted 1/d, d held to
    at least 1 (the nearest weighs 1, not 2); the two farthest count for nothing."""
    distances = np.array([0.5, 2, 3, 4, 5, 6, 7, 8])
    at = np.vstack([[[10.0, 20.0]], np.c_[10.0 + distances, np.full(8, 20.0)]])
    at = np.c_[at, np.zeros(9)]  # depth is not a distance here
    at[1:, 2] = 50.0
    moves = np.vstack([[[np.nan, np.nan]], np.c_[np.arange(8.0), -np.arange(8.0) * 2]])
    filled = skin._filled(moves, at, 6)
    weights = 1.0 / np.maximum(distances[:6], 1.0)
    expected = (moves[1:7] * weights[:, None]).sum(axis=0) / weights.sum()
    np.testing.assert_allclose(filled[0], expected, rtol=1e-12)
    np.testing.assert_array_equal(filled[1:], moves[1:])
    assert np.isnan(moves[0]).all()  # the input is left as it was
    measured = np.ones((3, 2))
    assert skin._filled(measured, at[:3], 6) is measured
    nothing = np.full((3, 2), np.nan)
    assert np.isnan(skin._filled(nothing, at[:3], 6)).all()


def _textbook(observed: np.ndarray, moves: np.ndarray, q: np.ndarray, r: float) -> np.ndarray:
    """A scalar random-walk Kalman filter with known inputs (``moves``) and its RTS smoother,
    written out from the textbook, for one vertex and axis."""
    n = len(observed)
    x, p = np.zeros(n), np.zeros(n)
    x_prior, p_prior = np.zeros(n), np.zeros(n)
    x[0], p[0] = observed[0], r
    for t in range(1, n):
        x_prior[t] = x[t - 1] + moves[t - 1]
        p_prior[t] = p[t - 1] + q[t - 1]
        k = p_prior[t] / (p_prior[t] + r)
        x[t] = x_prior[t] + k * (observed[t] - x_prior[t])
        p[t] = (1 - k) * p_prior[t]
    smooth = x.copy()
    for t in range(n - 2, -1, -1):
        c = p[t] / p_prior[t + 1]
        smooth[t] = x[t] + c * (smooth[t + 1] - x_prior[t + 1])
    return smooth


def test_follow_skin_is_a_kalman_filter_and_rts_smoother_per_vertex():
    """Six frames of three vertices: noisy fused positions, flow moves with vertex 1's failed
    on frame 2 (filled from its neighbours, process noise 0.3) and no vertex measured on
    frame 4 (moved as the fused mesh moves): each vertex's x and y are the textbook
    filter-smoother's over those moves, z the fused mesh's."""
    rng = np.random.default_rng(1)
    n, window = 6, 5
    fused = np.zeros((n, 3, 3))
    fused[:, :, 0] = np.array([0.0, 3.0, 6.0]) + np.arange(n)[:, None] * 1.5
    fused[:, :, 1] = np.array([0.0, 4.0, 0.0]) - np.arange(n)[:, None] * 0.5
    fused[..., :2] += rng.normal(0, 0.7, (n, 3, 2))
    fused[..., 2] = rng.normal(0, 1, (n, 3))
    moves = np.tile([1.5, -0.5], (n - 1, 3, 1)) + rng.normal(0, 0.05, (n - 1, 3, 2))
    moves[2, 1] = np.nan
    moves[4] = np.nan
    out = skin.follow_skin(fused, moves, window)

    own = moves.copy()
    at = fused[2, :, :2]  # vertex 1's fill, from vertices 0 and 2 by inverse distance
    d = np.linalg.norm(at[[0, 2]] - at[1], axis=1)
    w = 1.0 / np.maximum(d, 1.0)
    own[2, 1] = (moves[2, [0, 2]] * w[:, None]).sum(axis=0) / w.sum()
    own[4] = fused[5, :, :2] - fused[4, :, :2]
    q = np.full((n - 1, 3), skin.flow_variance(window))
    q[2, 1] = skin.FILLED_VARIANCE
    q[4] = skin.FILLED_VARIANCE  # every vertex's flow failed there
    for v in range(3):
        for axis in range(2):
            expected = _textbook(fused[:, v, axis], own[:, v, axis], q[:, v], 1.0)
            np.testing.assert_allclose(out[:, v, axis], expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(out[..., 2], fused[..., 2])
    assert np.isnan(moves[4]).all() and np.isfinite(out).all()


def test_the_rest_shape_is_the_mean_of_the_meshes_unposed():
    """The canonical layout with its jaw points moved down 0.2 on one mesh and up 0.2 on the
    other, each posed by its own turn, scale and shift: the rest shape is the layout itself
    (the rigid points fit exactly, the moved points average out); no meshes, None."""
    canonical = np.asarray(layout().canonical, np.float64)
    jaw = canonical[:, 1] > canonical[13, 1] + 0.05
    meshes = []
    for sign, angles, scale, shift in ((1, (10, -20, 5), 7.0, (300, 200, 40)),
                                       (-1, (-5, 30, -12), 4.5, (120, 260, -10))):
        shaped = canonical.copy()
        shaped[jaw, 1] += sign * 0.2
        turn = Rotation.from_euler("xyz", angles, degrees=True).as_matrix()
        posed = scale * shaped @ turn.T + np.array(shift, np.float64)
        meshes.append(np.vstack([posed, np.zeros((10, 3))]))  # the irises: not fitted
    rest = rest_shape(meshes)
    assert rest is not None and rest.shape == (478, 3)
    np.testing.assert_allclose(rest[:468], canonical, atol=1e-6)
    assert rest_shape([]) is None
