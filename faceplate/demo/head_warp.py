"""A 2.5D performance of a still portrait, driven by its 68 landmarks.

Two warps of the still, both expressed as inverse maps (for every output pixel, where in
the still it comes from):

- **Expression** (:meth:`HeadRig.expression`): the jaw drops (lower lip, chin and the skin
  below move down along the face's vertical axis, tapering to the jaw angles and down the
  neck) with a dark mouth interior painted into the opening between the inner lips; the
  upper lids slide down over the eyes (the lid skin between brow and lid margin stretches,
  the eyeball stays and is covered), for blinks and lowered lids.
- **Pose** (:meth:`HeadRig.pose_map`): the head turns (yaw), nods (pitch), rolls and moves
  on its own. Every pixel gets a depth from a head model fitted to the landmarks (an
  ellipsoid with a cosine profile, a nose ridge, eye sockets, lips), is rotated in 3D and
  projected orthographically, so the nose moves more than the cheeks (parallax). The
  motion is weighted by a soft head region, so the background beyond it stays put and the
  band between stretches like a rubber sheet.

Coordinates: the *face frame* has its origin between the eye centres, ``u`` along the eye
line (towards the subject's left eye, image right), ``v`` perpendicular (down the face), in
still pixels. ``iod`` is the distance between the eye centres.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]

#: sRGB display colours of the mouth interior: the dark of the throat, tongue at the bottom.
MOUTH_DARK = (0.15, 0.055, 0.05)
MOUTH_EDGE = (0.30, 0.12, 0.11)
MOUTH_TONGUE = (0.34, 0.13, 0.12)
#: Upper teeth, seen just under the upper lip when the portrait shows none.
TEETH = (0.60, 0.55, 0.48)


@dataclass(frozen=True)
class Pose:
    """The head's own motion: yaw (turns to image right for positive), pitch (down for
    positive) and roll in degrees, translation (du, dv) in still pixels."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Expression:
    """``jaw`` 0 (as in the still) .. 1 (wide open); ``lids`` 0 (as in the still) .. 1 (closed)."""

    jaw: float = 0.0
    lids: float = 0.0


def _smoothstep(edge0: float | F32, edge1: float | F32, x: F32) -> F32:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def _parabola(u: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.polyfit(u, v, 2)


class HeadRig:
    """The face frame, head model and feature curves of one portrait (RGB float32, any
    colourspace; the warps do not look at pixel values except through sampling)."""

    def __init__(
        self,
        image: F32,
        landmarks: NDArray[np.float64],
        *,
        encode: Callable[[tuple[float, float, float]], NDArray[np.float32]] | None = None,
        mouth_shows_teeth: bool | None = None,
    ) -> None:
        self.image = image
        #: Display sRGB colour -> the image's encoding (identity if the image is display sRGB).
        self.encode = encode or (lambda c: np.asarray(c, np.float32))
        self.points = np.asarray(landmarks, dtype=np.float64)
        h, w = image.shape[:2]
        p = self.points
        left, right = p[36:42].mean(axis=0), p[42:48].mean(axis=0)
        self.origin = (left + right) / 2.0
        axis = right - left
        self.iod = float(np.linalg.norm(axis))
        self.ex = axis / self.iod
        self.ey = np.array([-self.ex[1], self.ex[0]])
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        self.grid_x, self.grid_y = xs, ys
        self.u = ((xs - self.origin[0]) * self.ex[0] + (ys - self.origin[1]) * self.ex[1]).astype(
            np.float32
        )
        self.v = ((xs - self.origin[0]) * self.ey[0] + (ys - self.origin[1]) * self.ey[1]).astype(
            np.float32
        )
        self.pu, self.pv = self._to_face(p)
        inner_gap = float(np.mean(self.pv[[65, 66, 67]] - self.pv[[63, 62, 61]]))
        self.mouth_shows_teeth = (
            (inner_gap > 0.06 * self.iod) if mouth_shows_teeth is None else mouth_shows_teeth
        )
        self._build_head_model()
        lo = np.floor(p.min(axis=0) - 1.1 * self.iod).astype(int)
        hi = np.ceil(p.max(axis=0) + 1.1 * self.iod).astype(int)
        #: Rows and columns the expression warps can touch.
        self.roi = (slice(max(lo[1], 0), min(hi[1], h)), slice(max(lo[0], 0), min(hi[0], w)))

    # -- geometry -------------------------------------------------------------------------

    def _to_face(self, pts: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        d = pts - self.origin
        return d @ self.ex, d @ self.ey

    def _from_face(self, u: F32, v: F32) -> tuple[F32, F32]:
        x = self.origin[0] + u * self.ex[0] + v * self.ey[0]
        y = self.origin[1] + u * self.ex[1] + v * self.ey[1]
        return x.astype(np.float32), y.astype(np.float32)

    @property
    def face_height(self) -> float:
        """Landmark extent along the face's vertical axis (brows to chin), still pixels."""
        return float(self.pv.max() - self.pv.min())

    @property
    def face_centre(self) -> NDArray[np.float64]:
        """Centre of the landmarks' extent, still pixels (x, y)."""
        return (self.points.min(axis=0) + self.points.max(axis=0)) / 2.0

    def _build_head_model(self) -> None:
        pu, pv, iod = self.pu, self.pv, self.iod
        self.head_u = float((pu[0] + pu[16]) / 2.0)
        self.head_a = float(abs(pu[16] - pu[0]) / 2.0 * 1.18)
        top = float(min(pv[17:27])) - 1.25 * iod
        chin = float(pv[8])
        self.head_v = (top + chin) / 2.0
        self.head_b = (chin - top) / 2.0 * 1.06
        du = (self.u - self.head_u) / self.head_a
        dv = (self.v - self.head_v) / self.head_b
        r = np.sqrt(du * du + dv * dv)
        #: Weight of the head's own motion: 1 over the head, falling to 0 beyond it.
        self.weight = _smoothstep(1.55, 1.0, r)
        depth = 0.85 * self.head_a * np.cos(np.pi / 2.0 * np.clip(r, 0.0, 1.0))
        features = np.zeros_like(depth)
        ridge = [
            (self.points[27] + t * (self.points[30] - self.points[27]), 0.10 + 0.28 * t)
            for t in np.linspace(0.0, 1.0, 9)
        ]
        bumps = [(c, hgt * iod, 0.17 * iod) for c, hgt in ridge]
        bumps += [
            (self.points[31], 0.14 * iod, 0.13 * iod),
            (self.points[35], 0.14 * iod, 0.13 * iod),
        ]
        for centre, height, sigma in bumps:
            g = height * np.exp(
                -((self.grid_x - centre[0]) ** 2 + (self.grid_y - centre[1]) ** 2)
                / (2.0 * sigma * sigma)
            )
            features = np.maximum(features, g)
        for centre, height, sigma in (
            (self.points[36:42].mean(axis=0), -0.09 * iod, 0.24 * iod),
            (self.points[42:48].mean(axis=0), -0.09 * iod, 0.24 * iod),
            (self.points[48:].mean(axis=0), 0.08 * iod, 0.35 * iod),
            (self.points[8] * 0.7 + self.points[57] * 0.3, 0.05 * iod, 0.3 * iod),
        ):
            features = features + height * np.exp(
                -((self.grid_x - centre[0]) ** 2 + (self.grid_y - centre[1]) ** 2)
                / (2.0 * sigma * sigma)
            )
        #: Depth towards the camera from the head's rotation axes, still pixels.
        self.depth = (depth + features * self.weight).astype(np.float32)

    # -- pose -----------------------------------------------------------------------------

    def pose_displacement(self, pose: Pose) -> tuple[F32, F32]:
        """Forward displacement (dx, dy) of every still pixel under ``pose``."""
        yaw, pitch, roll = (math.radians(a) for a in (pose.yaw, pose.pitch, pose.roll))
        u = self.u - self.head_u
        v = self.v - self.head_v
        z = self.depth
        u1 = u * math.cos(yaw) + z * math.sin(yaw)
        z1 = -u * math.sin(yaw) + z * math.cos(yaw)
        v1 = v * math.cos(pitch) + z1 * math.sin(pitch)
        u2 = u1 * math.cos(roll) - v1 * math.sin(roll) + pose.shift[0]
        v2 = u1 * math.sin(roll) + v1 * math.cos(roll) + pose.shift[1]
        du = (u2 - u) * self.weight
        dv = (v2 - v) * self.weight
        return (
            (du * self.ex[0] + dv * self.ey[0]).astype(np.float32),
            (du * self.ex[1] + dv * self.ey[1]).astype(np.float32),
        )

    def pose_map(self, pose: Pose, iterations: int = 10) -> tuple[F32, F32]:
        """Inverse map of ``pose``: for each output pixel of the still's grid, the still
        pixel it shows (fixed-point inversion of the forward displacement)."""
        dx, dy = self.pose_displacement(pose)
        field = np.dstack([dx, dy])
        mx, my = self.grid_x - dx, self.grid_y - dy
        for _ in range(iterations):
            d = cv2.remap(field, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            mx, my = self.grid_x - d[..., 0], self.grid_y - d[..., 1]
        return mx, my

    # -- expression -----------------------------------------------------------------------

    def _lip_line(self, u: F32) -> F32:
        pu, pv = self.pu, self.pv
        us = [
            pu[48],
            pu[60],
            (pu[61] + pu[67]) / 2,
            (pu[62] + pu[66]) / 2,
            (pu[63] + pu[65]) / 2,
            pu[64],
            pu[54],
        ]
        vs = [
            pv[48],
            pv[60],
            (pv[61] + pv[67]) / 2,
            (pv[62] + pv[66]) / 2,
            (pv[63] + pv[65]) / 2,
            pv[64],
            pv[54],
        ]
        order = np.argsort(us)
        return np.interp(u, np.asarray(us)[order], np.asarray(vs)[order]).astype(np.float32)

    def _jaw(self, amount: float, u: F32, v: F32) -> tuple[F32, F32, F32]:
        """Forward jaw displacement along v at face coordinates (u, v), the mouth opening's
        alpha in output space and the relative depth of each opening pixel (0 at the upper
        lip, 1 at the lower)."""
        pu, pv, iod = self.pu, self.pv, self.iod
        drop = amount * 0.22 * float(abs(pu[45] - pu[36]))
        mouth_u = float((pu[48] + pu[54]) / 2.0)
        half = float(abs(pu[54] - pu[48]) / 2.0 * 0.92)
        jaw_half = float(abs(pu[12] - pu[4]) / 2.0)
        across = np.abs(u - mouth_u)
        lateral = _smoothstep(1.05 * jaw_half, 0.5 * jaw_half, across)
        below = _smoothstep(float(pv[8]) + max(0.9 * iod, 2.5 * drop), float(pv[8]), v)
        lip = self._lip_line(u)
        ramp = 0.5 + 1.6 * np.maximum(across - half, 0.0)
        side = np.clip(0.5 + (v - lip) / (2.0 * ramp), 0.0, 1.0)
        shape = np.sqrt(np.clip(1.0 - (across / half) ** 2, 0.0, 1.0))
        thickness = max(float(pv[57] - pv[66]), 0.1 * iod)
        deep = np.clip((v - lip) / (1.6 * thickness), 0.0, 1.0)
        blend = shape + (1.0 - shape) * deep
        dv = (drop * lateral * below * side * blend).astype(np.float32)
        gap = drop * shape * lateral
        alpha = np.clip(np.minimum(v - lip, lip + gap - v) + 0.5, 0.0, 1.0) * (gap > 0.3)
        depth = np.clip((v - lip) / np.maximum(gap, 1e-3), 0.0, 1.0)
        return dv, alpha.astype(np.float32), depth.astype(np.float32)

    def _lid_curves(self, eye: range, brow: range) -> tuple[NDArray[np.float64], ...]:
        pu, pv = self.pu, self.pv
        e = list(eye)
        upper = _parabola(pu[[e[0], e[1], e[2], e[3]]], pv[[e[0], e[1], e[2], e[3]]])
        lower = _parabola(pu[[e[3], e[4], e[5], e[0]]], pv[[e[3], e[4], e[5], e[0]]])
        b = list(brow)
        order = np.argsort(pu[b])
        return upper, lower, pu[b][order], pv[b][order], np.array(sorted((pu[e[0]], pu[e[3]])))

    def _lids_inverse(self, closure: float, u: F32, v: F32) -> tuple[F32, F32]:
        """Source v of output pixels (u, v) under lids closed by ``closure``, and a mask of
        the output pixels that show lid skin moved down."""
        v_src = v.copy()
        mask = np.zeros_like(v)
        band = 0.02 * self.iod + 1.0
        for eye, brow in ((range(36, 42), range(17, 22)), (range(42, 48), range(22, 27))):
            upper_c, lower_c, bu, bv, (u0, u1) = self._lid_curves(eye, brow)
            upper = np.polyval(upper_c, u)
            lower = np.polyval(lower_c, u)
            inside = (u > u0) & (u < u1)
            taper = np.sqrt(np.clip(np.sin(np.pi * (u - u0) / (u1 - u0)), 0.0, 1.0)) * inside
            gap = np.clip(lower - upper, 0.0, None) * taper
            move = closure * gap
            brow_v = np.interp(u, bu, bv)
            top = brow_v + 0.4 * (upper - brow_v)
            height = np.maximum(upper - top, 1.0)
            k = move / height
            src_skin = (v + k * top) / (1.0 + k)
            src_band = v - move
            in_skin = inside & (src_skin >= top) & (src_skin <= upper) & (move > 0.05)
            in_band = inside & (src_band > upper) & (src_band <= upper + band) & (move > 0.05)
            v_src = np.where(in_skin, src_skin, np.where(in_band, src_band, v_src))
            mask = np.maximum(mask, (in_skin | in_band).astype(np.float32))
        return v_src.astype(np.float32), mask

    def expression(self, expr: Expression) -> F32:
        """The still with ``expr`` applied: a new image on the still's grid."""
        out = self.image.copy()
        if expr.jaw <= 0.0 and expr.lids <= 0.0:
            return out
        u, v = self.u[self.roi], self.v[self.roi]
        dv, alpha, depth = self._jaw(max(expr.jaw, 0.0), u, v)
        origin = (np.float32(self.roi[1].start), np.float32(self.roi[0].start))
        v_jaw = v.copy()
        for _ in range(8):
            x, y = self._from_face(u, v_jaw)
            d = cv2.remap(
                dv, x - origin[0], y - origin[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
            )
            v_jaw = v - d
        v_lid, lid_mask = self._lids_inverse(max(expr.lids, 0.0), u, v)
        mx, my = self._from_face(u, np.where(lid_mask > 0, v_lid, v_jaw))
        warped = cv2.remap(self.image, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        interior = self._mouth_interior(depth, alpha)
        a = alpha[..., None]
        out[self.roi] = warped * (1.0 - a) + interior * a
        return out

    def _mouth_interior(self, depth: F32, alpha: F32) -> F32:
        """Mouth interior colours (display sRGB through ``self.encode``): dark throat, tongue
        towards the lower lip, upper teeth under the upper lip
        when the still shows no teeth of its own."""
        dark = np.array(self.encode(MOUTH_DARK), np.float32)
        tongue = np.array(self.encode(MOUTH_TONGUE), np.float32)
        teeth = np.array(self.encode(TEETH), np.float32)
        edge = np.array(self.encode(MOUTH_EDGE), np.float32)
        t = _smoothstep(0.5, 1.0, depth)[..., None]
        rim = (_smoothstep(0.25, 0.0, depth) * 0.6)[..., None]
        colour = dark * (1.0 - t) + tongue * t * 0.75
        colour = colour * (1.0 - rim) + edge * rim
        if not self.mouth_shows_teeth:
            band = _smoothstep(0.2, 0.06, depth)[..., None] * (alpha[..., None] > 0)
            shade = 0.55 + 0.45 * _smoothstep(0.2, 0.0, depth)[..., None]
            colour = colour * (1.0 - band) + teeth * shade * band
        return np.broadcast_to(colour, alpha.shape + (3,)).astype(np.float32)
