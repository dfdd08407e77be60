"""Fusing the plate's measured head motion with the mesh fits over one flow-linked piece of a
track: filter only what is noise.

Each frame's mesh ``M[t]`` is split into

- the head's motion ``H[t]``: the optical-flow similarities of analysis chained from the
  piece's first frame. It is never filtered: camera shake and quick head moves are followed
  exactly as the plate moves;
- the mesh's placement against that motion, ``G[t]``: the similarity taking the piece's mean
  shape onto ``H[t]⁻¹(M[t])``. It holds the mesh's frame-to-frame placement noise and the
  flow's slow drift, so it is low-passed over ``window`` frames (quadratic Savitzky-Golay,
  zero lag): the mesh's absolute position corrects the flow's drift, slowly;
- the shape in the head's frame ``E[t] = G[t]⁻¹(H[t]⁻¹(M[t]))`` (expression, turning): filtered
  over :data:`SHAPE_WINDOW` frames, a quadratic Savitzky-Golay whose step response keeps a
  mouth that opens and closes within 4 frames (at its peak, 29/35 of the opening survives).

and put back together: ``L[t] = H[t](G~[t](E~[t]))``. This is a complementary filter: high
frequencies of the rigid motion from the flow (relative, low noise), low frequencies from the
meshes (absolute, noisier). Frames whose mesh is invalid (an outlier) are given their head-frame
shape and placement by interpolation, then moved by their own measured motion.
"""

from __future__ import annotations

import numpy as np

from faceplate.pipeline.motion import Similarity, fit_similarity

#: Frames of the filter on the shape in the head's frame (expression): short, to keep speech.
SHAPE_WINDOW = 5


def savgol(values: np.ndarray, window: int) -> np.ndarray:
    """Savitzky–Golay (quadratic, zero lag) smoothing of (frames, ...) values over time, the
    first and last ``window // 2`` frames from the quadratic fitted to the first (last) window
    (scipy's ``mode="interp"``); runs shorter than 5 frames (or a window under 5) are returned
    unchanged. In numpy: scipy.signal costs a second of import."""
    n = len(values)
    window = min(window | 1, n if n % 2 else n - 1)
    if window < 5:
        return values
    fit = _quadratic_fit(window)  # row i: the fitted value at frame i of a window
    half = window // 2
    flat = values.reshape(n, -1)
    out = np.empty(flat.shape, flat.dtype if flat.dtype in (np.float32, np.float64) else np.float64)
    # inside: each frame the fit's centre over the window around it
    windows = np.lib.stride_tricks.sliding_window_view(flat, window, axis=0)
    out[half:n - half] = windows @ fit[half]
    # the ends: the fit over the first (last) window, evaluated at their frames
    out[:half] = fit[:half] @ flat[:window]
    out[n - half:] = fit[half + 1:] @ flat[n - window:]
    return out.reshape(values.shape)


def _quadratic_fit(window: int) -> np.ndarray:
    """The (window, window) matrix taking ``window`` samples to a least-squares quadratic's
    values at the same frames (the Savitzky-Golay weights are its rows)."""
    t = np.arange(window, dtype=np.float64) - window // 2
    basis = np.stack([np.ones_like(t), t, t * t], axis=1)
    return basis @ np.linalg.pinv(basis)


def chain(motions: list[Similarity]) -> list[Similarity]:
    """``H[t]``: the motions from each frame before to its frame, chained from the first
    frame (identity there); ``motions`` has one entry per frame after the first."""
    out = [Similarity()]
    for m in motions:
        out.append(m.compose(out[-1]))
    return out


def _interpolate(valid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation over frames of (n, ...) ``values`` where ``valid`` is False."""
    if valid.all() or valid.sum() < 1:
        return values
    t = np.arange(len(values))
    flat = values.reshape(len(values), -1).copy()
    for c in range(flat.shape[1]):
        flat[~valid, c] = np.interp(t[~valid], t[valid], flat[valid, c])
    return flat.reshape(values.shape)


def _centred(g: Similarity, centre: np.ndarray) -> np.ndarray:
    """``g`` as (a, b, dx, dy) about ``centre``: x -> R(x - c) + c + d. Filtering these
    parameters linearly does not couple rotation into translation."""
    moved = g.apply(centre[None, :])[0]
    return np.array([g.a, g.b, *(moved - centre)])


def _uncentred(p: np.ndarray, centre: np.ndarray) -> Similarity:
    a, b, dx, dy = (float(v) for v in p)
    rotated = Similarity(a, b).apply(centre[None, :])[0]
    return Similarity(a, b, float(centre[0] + dx - rotated[0]), float(centre[1] + dy - rotated[1]))


def fuse_piece(meshes: np.ndarray, motions: list[Similarity], valid: np.ndarray,
               window: int) -> np.ndarray:
    """The solved meshes of one flow-linked piece: (n, points, 3) ``meshes`` (invalid frames'
    are ignored), ``motions`` from each frame to the next (n - 1), drift corrected over
    ``window`` frames."""
    heads = chain(motions)
    stable = np.stack([h.inverse().apply(m) for h, m in zip(heads, meshes)])
    stable = _interpolate(valid, stable)
    mean = stable[valid].mean(axis=0) if valid.any() else stable.mean(axis=0)
    centre = mean[:, :2].mean(axis=0)
    placements = [fit_similarity(mean, s) for s in stable]
    params = np.stack([_centred(g, centre) for g in placements])
    shapes = np.stack([g.inverse().apply(s) for g, s in zip(placements, stable)])
    params = savgol(params, window)
    shapes = savgol(shapes, SHAPE_WINDOW)
    return np.stack([h.apply(_uncentred(p, centre).apply(e))
                     for h, p, e in zip(heads, params, shapes)])
