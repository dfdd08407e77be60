"""2-D similarity transforms (scale, rotation, translation): a head's motion between frames as
analysis measures it and the solve composes it.

``Similarity(a, b, tx, ty)`` maps ``(x, y)`` to ``(a x - b y + tx, b x + a y + ty)``; a mesh's
``z`` (on x's scale) is multiplied by the scale ``hypot(a, b)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Similarity:
    a: float = 1.0
    b: float = 0.0
    tx: float = 0.0
    ty: float = 0.0

    @property
    def scale(self) -> float:
        return float(np.hypot(self.a, self.b))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """``points`` (n, 2 or 3) moved; a third column is scaled."""
        p = np.asarray(points, np.float64)
        out = p.copy()
        out[..., 0] = self.a * p[..., 0] - self.b * p[..., 1] + self.tx
        out[..., 1] = self.b * p[..., 0] + self.a * p[..., 1] + self.ty
        if p.shape[-1] > 2:
            out[..., 2:] *= self.scale
        return out

    def compose(self, first: Similarity) -> Similarity:
        """``self`` after ``first``."""
        return Similarity(self.a * first.a - self.b * first.b, self.b * first.a + self.a * first.b,
                          self.a * first.tx - self.b * first.ty + self.tx,
                          self.b * first.tx + self.a * first.ty + self.ty)

    def inverse(self) -> Similarity:
        d = self.a * self.a + self.b * self.b
        a, b = self.a / d, -self.b / d
        return Similarity(a, b, -(a * self.tx - b * self.ty), -(b * self.tx + a * self.ty))

    def as_list(self) -> list[float]:
        return [round(self.a, 7), round(self.b, 7), round(self.tx, 4), round(self.ty, 4)]


def from_matrix(matrix: np.ndarray) -> Similarity:
    """The similarity of a 2x3 matrix ``[[a, -b, tx], [b, a, ty]]`` (OpenCV's partial affine)."""
    m = np.asarray(matrix, np.float64)
    return Similarity(float(m[0, 0]), float(m[1, 0]), float(m[0, 2]), float(m[1, 2]))


def fit_similarity(source: np.ndarray, target: np.ndarray) -> Similarity:
    """The least-squares similarity taking 2-D ``source`` points onto ``target``."""
    s = np.asarray(source, np.float64)[:, :2]
    t = np.asarray(target, np.float64)[:, :2]
    cs, ct = s.mean(axis=0), t.mean(axis=0)
    u, v = s - cs, t - ct
    norm = float((u * u).sum())
    if norm <= 0:
        return Similarity(1.0, 0.0, *(ct - cs))
    a = float((u * v).sum()) / norm
    b = float((u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]).sum()) / norm
    return Similarity(a, b, float(ct[0] - a * cs[0] + b * cs[1]),
                      float(ct[1] - b * cs[0] - a * cs[1]))
