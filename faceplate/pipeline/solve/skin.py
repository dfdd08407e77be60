"""Carrying each mesh vertex by the skin's own measured motion: a per-vertex Kalman filter
and Rauch-Tung-Striebel smoother over one flow-linked piece of a track.

Per vertex and axis, the state is where the vertex sits on the skin. It moves from frame to
frame by the plate's optical flow measured at that vertex (relative, low noise: process noise
``q``); each frame the fused mesh (:func:`~faceplate.pipeline.solve.fuse.fuse_piece`: the mesh
fits with only their noise filtered) observes it (absolute, noisier: ``r``). The steady gain
is ``1 / window``: the flow carries every frame's change (a turn, the jaw dropping in one
frame), the mesh corrects the flow's drift over about ``window`` frames. A vertex whose flow
failed its check (a lip as the mouth opens: what was under it is no longer there) moves as its
:data:`NEAR` nearest measured vertices move (inverse-distance weighted), less trusted
(:data:`FILLED_VARIANCE`).
"""

from __future__ import annotations

import numpy as np

#: A vertex whose flow failed moves as this many of its nearest measured neighbours do.
NEAR = 6
#: The fused mesh's noise per vertex and axis (variance, px²): the scale of ``q``.
MESH_VARIANCE = 1.0
#: The process noise of a vertex moved by its neighbours' motion (px²).
FILLED_VARIANCE = 0.3


def flow_variance(window: int) -> float:
    """The process noise ``q`` whose filter's steady gain is ``K = 1 / window`` for
    observations of variance :data:`MESH_VARIANCE` (random walk: ``q / r = K² / (1 - K)``)."""
    gain = 1.0 / max(window, 2)
    return MESH_VARIANCE * gain * gain / (1.0 - gain)


def _filled(moves: np.ndarray, at: np.ndarray, near: int) -> np.ndarray:
    """(points, 2) ``moves`` with each unmeasured (NaN) vertex given the inverse-distance
    weighted motion of its ``near`` nearest measured vertices (positions ``at``)."""
    missing = np.isnan(moves).any(axis=1)
    if not missing.any() or missing.all():
        return moves
    known = np.flatnonzero(~missing)
    distance = np.linalg.norm(at[missing, None, :2] - at[None, known, :2], axis=2)
    nearest = np.argsort(distance, axis=1)[:, :near]
    weight = 1.0 / np.maximum(np.take_along_axis(distance, nearest, axis=1), 1.0)
    out = moves.copy()
    out[missing] = (moves[known[nearest]] * weight[..., None]).sum(axis=1) / weight.sum(
        axis=1)[:, None]
    return out


def follow_skin(fused: np.ndarray, moves: np.ndarray, window: int) -> np.ndarray:
    """The meshes of one piece carried by the skin's motion: (n, points, 3) ``fused`` meshes,
    (n - 1, points, 2) ``moves`` of each vertex from each frame to the next (NaN where
    unmeasured). x and y are filtered; z is the fused mesh's."""
    n = len(fused)
    observed = fused[..., :2]
    failed = np.isnan(moves).any(axis=2)
    own = np.stack([_filled(m, at, NEAR) for m, at in zip(moves, observed[:-1])])
    unmeasured = np.isnan(own).any(axis=2)  # no vertex of the frame measured
    own[unmeasured] = (observed[1:] - observed[:-1])[unmeasured]
    q = np.where(failed, FILLED_VARIANCE, flow_variance(window))[..., None]
    r = MESH_VARIANCE
    state = np.empty_like(observed)
    predicted = np.empty_like(observed)
    variance = np.empty(observed.shape[:2] + (1,))
    prior = np.empty_like(variance)
    state[0], variance[0] = observed[0], r
    predicted[0], prior[0] = observed[0], r
    for t in range(1, n):
        predicted[t] = state[t - 1] + own[t - 1]
        prior[t] = variance[t - 1] + q[t - 1]
        gain = prior[t] / (prior[t] + r)
        state[t] = predicted[t] + gain * (observed[t] - predicted[t])
        variance[t] = (1.0 - gain) * prior[t]
    smoothed = state.copy()
    for t in range(n - 2, -1, -1):
        back = variance[t] / prior[t + 1]
        smoothed[t] = state[t] + back * (smoothed[t + 1] - predicted[t + 1])
    out = fused.copy()
    out[..., :2] = smoothed
    return out
