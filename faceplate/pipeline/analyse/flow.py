"""The plate's own motion between two frames: cuts, and each face's head motion measured by
optical flow.

A face is followed by pyramidal Lucas-Kanade on textured points (Shi-Tomasi corners) inside
its mesh's outline, tracked forward and back: a point is kept only when it comes
back within :data:`FB_TOLERANCE` of where it started. The kept points give the head's
similarity transform (RANSAC, then least squares on the inliers). Too few kept points, or too
few of them agreeing on one motion, is a failed check: the face's chain of measured motion
ends there, with the reason. Each mesh vertex is also followed on its own by dense DIS flow on
the face's crop, checked forward and back: the skin's own motion there, as the jaw opens or the
head turns, for the solve to carry the mesh by (NaN where the check fails).

Everything here works on the analysis proxy (8-bit grey, the frame made at most
``detect_size`` on its longer side); :class:`ProxyGeometry` maps its transforms to
display-window pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from faceplate.pipeline.motion import Similarity, from_matrix

#: A point tracked forward and back must return within this many proxy pixels.
FB_TOLERANCE = 0.5
#: A mesh vertex followed by dense flow forward must come back within this many proxy pixels.
VERTEX_FB_TOLERANCE = 1.0
#: ... and the plate around it, moved by the flow, must match the frame before to this many
#: 8-bit levels (mean absolute difference over 7x7 pixels).
VERTEX_RESIDUAL = 12.0
#: Proxy pixels of plate around the face's mesh given to the dense flow (beyond a quarter of
#: the face's size).
_VERTEX_PAD = 8
#: Fewest points that pass the forward-backward check and agree on the motion.
MIN_POINTS = 12
#: Smallest share of a face's points that must pass the forward-backward check.
MIN_SHARE = 0.3
#: Thumbnails compared for cuts (width, height).
_THUMB = (96, 54)
#: A cut: the thumbnails differ by more than this (mean, 8-bit levels) and correlate less
#: than :data:`_CUT_CORRELATION` (a flash changes the level but keeps the picture).
_CUT_LEVELS = 10.0
_CUT_CORRELATION = 0.85
#: A thumbnail whose levels spread less than this (8-bit, standard deviation) shows no picture.
_BLANK_LEVELS = 2.0
_LK_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


def _lk(first: np.ndarray, second: np.ndarray, points: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray]:
    """Pyramidal Lucas-Kanade: where ``points`` of ``first`` are on ``second``, and which were
    found."""
    moved, found, _ = cv2.calcOpticalFlowPyrLK(first, second, points, None, winSize=(21, 21),
                                               maxLevel=3, criteria=_LK_CRITERIA)
    return moved, found.ravel() == 1


@dataclass(frozen=True)
class ProxyGeometry:
    """How the analysis proxy sits on the frame: proxy pixel ``u = (x - x0 + 0.5) * scale -
    0.5`` for display pixel ``x`` (same for y)."""

    x0: int
    y0: int
    scale: float

    def to_proxy(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, np.float64)[:, :2] - (self.x0, self.y0) + 0.5) * self.scale - 0.5

    def to_display(self, motion: Similarity) -> Similarity:
        """A proxy-pixel motion as the same motion in display pixels."""
        to_proxy = Similarity(self.scale, 0.0, (0.5 - self.x0) * self.scale - 0.5,
                              (0.5 - self.y0) * self.scale - 0.5)
        return to_proxy.inverse().compose(motion).compose(to_proxy)


#: Proxy pixels around a face's outline that Lucas-Kanade reads (its 21-pixel window at the
#: coarsest of its four pyramid levels, the pyramid's filters), plus room for the head's move
#: (the same motion as from the whole grey for moves of tens of pixels, tested).
_FLOW_REACH = 112


class Uncovered(Exception):
    """Flow asked for plate pixels of a frame read only in part that were not read (the frame
    is then read whole); never leaves the analysis stage."""
#: Side of the tiles the grey proxy is converted in, when it is converted on demand.
_TILE = 32


#: A conversion of float RGB pixels (the plate's colourspace) to 8-bit working-space RGB.
Convert8 = Callable[[np.ndarray], np.ndarray]


class ProxyPixels(Protocol):
    """A proxy's float RGB pixels (the plate's colourspace, finite), read a region at a time
    (``pixels[r0:r1, c0:c1]``): an array, or pixels made where they are read."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, index: tuple[slice, slice]) -> np.ndarray: ...


def _grey(image8: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(image8), cv2.COLOR_RGB2GRAY))


class PlateView:
    """One frame as flow sees it: the grey proxy (8-bit working-space RGB made grey), and
    thumbnails for cut detection: of the whole frame (None where only bands of rows were read)
    and of a few bands of rows (None where not made; :func:`band_thumb`).

    Made by :func:`plate_view` from a converted proxy, or by :func:`lazy_plate_view` from the
    proxy in the plate's colourspace and the conversion to 8-bit working-space RGB: then only
    the tiles flow reads (around the faces) are converted, each pixel to the value a whole
    conversion gives."""

    def __init__(self, grey: np.ndarray, thumb: np.ndarray | None, geometry: ProxyGeometry,
                 pending: tuple[ProxyPixels, Convert8] | None = None,
                 bands: np.ndarray | None = None, rows: tuple[int, int] | None = None) -> None:
        self._grey = grey
        self.thumb = thumb
        self.bands = bands
        self.geometry = geometry
        self._pending = pending
        #: The proxy rows read (y0, y1) of a frame read only in part; None: all.
        self.rows = rows
        #: Where read in part: its whole thumbnail, the frame read again whole (None: cannot).
        self.whole_thumb: Callable[[], np.ndarray | None] | None = None
        tiles = (-(-grey.shape[0] // _TILE), -(-grey.shape[1] // _TILE))
        self._done = np.full(tiles, pending is None)

    @property
    def shape(self) -> tuple[int, int]:
        return self._grey.shape[0], self._grey.shape[1]

    def covers(self, box: tuple[float, float, float, float]) -> bool:
        """Whether the rows of ``box`` (proxy pixels x0, y0, x1, y1) inside the proxy were
        read."""
        if self.rows is None:
            return True
        top, bottom = max(0.0, box[1]), min(float(self.shape[0]), box[3])
        return top >= self.rows[0] and bottom <= self.rows[1]

    def grey(self, box: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """The grey proxy, its pixels inside ``box`` (proxy pixels x0, y0, x1, y1; None: all)
        converted at least.

        Raises:
            Uncovered: the frame was read only in part, and not where ``box`` lies.
        """
        h, w = self.shape
        x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
        if not self.covers((x0, y0, x1, y1)):
            raise Uncovered(f"proxy rows {y0:.0f}-{y1:.0f} not read")
        if self._pending is None:
            return self._grey
        tx0, ty0 = max(0, int(x0) // _TILE), max(0, int(y0) // _TILE)
        tx1 = min(self._done.shape[1], int(np.ceil(x1)) // _TILE + 1)
        ty1 = min(self._done.shape[0], int(np.ceil(y1)) // _TILE + 1)
        todo = ~self._done[ty0:ty1, tx0:tx1]
        if todo.any():
            rows, cols = np.nonzero(todo.any(axis=1))[0], np.nonzero(todo.any(axis=0))[0]
            r0, r1 = (ty0 + rows[0]) * _TILE, min(h, (ty0 + rows[-1] + 1) * _TILE)
            c0, c1 = (tx0 + cols[0]) * _TILE, min(w, (tx0 + cols[-1] + 1) * _TILE)
            linear, convert = self._pending
            self._grey[r0:r1, c0:c1] = _grey(convert(linear[r0:r1, c0:c1]))
            self._done[ty0 + rows[0]:ty0 + rows[-1] + 1, tx0 + cols[0]:tx0 + cols[-1] + 1] = True
        return self._grey


def _thumb(grey: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA), np.float64)


def plate_view(proxy8: np.ndarray, geometry: ProxyGeometry) -> PlateView:
    """The view of a proxy already converted to 8-bit working-space RGB."""
    grey = _grey(proxy8)
    return PlateView(grey, _thumb(grey), geometry)


def lazy_plate_view(linear: ProxyPixels, geometry: ProxyGeometry, convert: Convert8,
                    small8: np.ndarray | None, bands: np.ndarray | None = None,
                    rows: tuple[int, int] | None = None) -> PlateView:
    """The view of ``linear``, the proxy in the plate's colourspace (finite values), converted
    by ``convert`` only where flow reads it; the thumbnail for cuts is made from ``small8``,
    a smaller converted picture of the same frame (the detector's; None: none, the cut is told
    by the bands); ``bands``: its :func:`band_thumb`; ``rows``: the proxy rows made, where
    the frame was read only in part."""
    grey = np.zeros(linear.shape[:2], np.uint8)
    thumb = None if small8 is None else _thumb(_grey(small8))
    return PlateView(grey, thumb, geometry, (linear, convert), bands, rows)


def band_thumb(rows: np.ndarray, count: int, convert: Convert8) -> np.ndarray:
    """The cut thumbnail of a frame seen only through ``count`` bands of rows of equal height
    stacked in ``rows`` (float RGB, the plate's colourspace, finite): each band averaged to
    one row of :data:`_THUMB`'s width, then converted by ``convert`` and made grey
    (``count`` x width)."""
    small = cv2.resize(np.ascontiguousarray(rows), (_THUMB[0], count),
                       interpolation=cv2.INTER_AREA)
    return np.asarray(_grey(convert(small)), np.float64)


def band_view(bands: np.ndarray, geometry: ProxyGeometry) -> PlateView:
    """The view of a frame read only in bands of rows: cuts only, nothing to follow on."""
    return PlateView(np.zeros((0, 0), np.uint8), None, geometry, bands=bands)


def _thumbs(before: PlateView, after: PlateView) -> tuple[np.ndarray, np.ndarray] | None:
    """What the two frames are compared by: their whole thumbnails, or their band thumbnails
    where either was read only in bands (None: no pair to compare)."""
    if before.thumb is not None and after.thumb is not None:
        return before.thumb, after.thumb
    if before.bands is not None and after.bands is not None:
        return before.bands, after.bands
    return None


def cut_between(before: PlateView, after: PlateView) -> bool:
    """Whether the picture changes at once between two frames with a picture: after the
    camera's move between them is taken out (the thumbnails' shift by phase correlation), they
    still differ by more than :data:`_CUT_LEVELS` and correlate less than
    :data:`_CUT_CORRELATION` (a flash changes the level but keeps the picture). A frame that
    shows no picture (a flat flash, a black or grey frame: its thumbnail's levels spread less
    than :data:`_BLANK_LEVELS`) is never one side of a cut (the faces it loses are found again
    by the detector after it)."""
    cut = _differ(_thumbs(before, after))
    if cut and (before.thumb is None or after.thumb is None):
        # told by bands: where both frames can be looked at whole (read in part, not in
        # bands), the whole pictures decide, as they would have read whole
        whole = [view.thumb if view.thumb is not None
                 else view.whole_thumb() if view.whole_thumb is not None else None
                 for view in (before, after)]
        if whole[0] is not None and whole[1] is not None:
            return _differ((whole[0], whole[1]))
    return cut


def _differ(pair: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """:func:`cut_between` of two thumbnails."""
    if pair is None or min(float(pair[0].std()), float(pair[1].std())) < _BLANK_LEVELS:
        return False
    a, b = pair[0].astype(np.float32), pair[1].astype(np.float32)
    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    shift = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy]], np.float32)
    back = cv2.warpAffine(b, shift, a.shape[::-1],
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    h, w = a.shape
    inner = (slice(h // 8, h - h // 8), slice(w // 8, w - w // 8))
    a, back = a[inner].astype(np.float64), back[inner].astype(np.float64)
    if float(np.abs(a - back).mean()) <= _CUT_LEVELS:
        return False
    da, db = a - a.mean(), back - back.mean()
    norm = float(np.sqrt((da * da).sum() * (db * db).sum()))
    correlation = float((da * db).sum()) / norm if norm > 0 else 0.0
    return correlation < _CUT_CORRELATION


@dataclass(frozen=True)
class FaceMotion:
    """A face's head motion from the frame before (display pixels), or why it is unknown."""

    motion: Similarity | None
    points: int
    kept: int
    reason: str | None = None
    #: Per mesh vertex, its own motion from the frame before (n, 2, display pixels), NaN where
    #: its forward-backward check failed; None where the head's motion is unknown.
    vertices: np.ndarray | None = None


#: Pixels around a hull that the corner measure reads (its 5-pixel block and 3-pixel Sobel).
_CORNER_REACH = 6


def _corners(grey: np.ndarray, hull: np.ndarray) -> np.ndarray | None:
    """Textured points of the face inside the convex ``hull`` (proxy pixels), measured on the
    hull's box and the pixels its measure reads (the corners the whole picture gives)."""
    (x0, y0), (x1, y1) = hull.min(axis=0), hull.max(axis=0)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    corner = np.round(hull).astype(np.int32)
    h, w = grey.shape
    bx0, by0 = max(0, int(corner[:, 0].min()) - _CORNER_REACH), max(0, int(corner[:, 1].min())
                                                                     - _CORNER_REACH)
    bx1 = min(w, int(corner[:, 0].max()) + _CORNER_REACH + 1)
    by1 = min(h, int(corner[:, 1].max()) + _CORNER_REACH + 1)
    if bx1 - bx0 < 8 or by1 - by0 < 8:
        return None
    box = np.ascontiguousarray(grey[by0:by1, bx0:bx1])
    mask = np.zeros_like(box)
    cv2.fillConvexPoly(mask, corner - (bx0, by0), 255)
    spacing = max(2.0, min(x1 - x0, y1 - y0) / 25.0)
    found = cv2.goodFeaturesToTrack(box, maxCorners=300, qualityLevel=0.005,
                                    minDistance=spacing, mask=mask, blockSize=5)
    if found is None:
        return None
    return (found.reshape(-1, 1, 2) + np.array([bx0, by0], np.float32)).astype(np.float32)


def _hull(geometry: ProxyGeometry, mesh: np.ndarray) -> np.ndarray:
    """The outline of a face's mesh (display pixels) on the proxy."""
    points = geometry.to_proxy(np.asarray(mesh)[:468])
    return np.asarray(cv2.convexHull(points.astype(np.float32)).reshape(-1, 2))


def flow_reach(geometry: ProxyGeometry) -> float:
    """Display pixels around a face's outline that following it reads (:func:`flow_box`)."""
    return _FLOW_REACH / geometry.scale


def flow_box(geometry: ProxyGeometry, mesh: np.ndarray,
             margin: float = 0.0) -> tuple[float, float, float, float]:
    """The proxy pixels flow reads to follow the face whose mesh (display pixels) is ``mesh``
    (x0, y0, x1, y1), grown by ``margin`` pixels."""
    hull = _hull(geometry, mesh)
    (x0, y0), (x1, y1) = hull.min(axis=0), hull.max(axis=0)
    reach = _FLOW_REACH + margin
    return (float(x0 - reach), float(y0 - reach), float(x1 + reach), float(y1 + reach))


def face_motion(before: PlateView, after: PlateView, mesh: np.ndarray) -> FaceMotion:
    """The head motion of the face whose mesh (display pixels) is ``mesh`` on ``before``,
    measured on textured points inside the mesh's outline (the face itself: the background and
    the hair move with the camera, not the head)."""
    geometry = before.geometry
    mesh = np.asarray(mesh)
    hull = _hull(geometry, mesh)
    box = flow_box(geometry, mesh)
    first, second = before.grey(box), after.grey(box)
    start = _corners(first, hull)
    if start is None or len(start) < MIN_POINTS:
        count = 0 if start is None else len(start)
        return FaceMotion(None, count, 0, f"optical flow found {count} textured points on the "
                                          f"face (needs {MIN_POINTS})")
    ahead, ok_a = _lk(first, second, start)
    back, ok_b = _lk(second, first, ahead)
    error = np.linalg.norm((back - start).reshape(-1, 2), axis=1)
    kept = ok_a & ok_b & (error < FB_TOLERANCE)
    count, good = len(start), int(kept.sum())
    if good < max(MIN_POINTS, MIN_SHARE * count):
        return FaceMotion(None, count, good, f"optical flow failed its forward-backward check "
                                             f"({good} of {count} points came back)")
    src, dst = start[kept].reshape(-1, 2), ahead[kept].reshape(-1, 2)
    matrix, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                                  ransacReprojThreshold=1.0, maxIters=2000,
                                                  confidence=0.999, refineIters=20)
    agree = int(inliers.sum()) if inliers is not None else 0
    if matrix is None or agree < MIN_POINTS:
        return FaceMotion(None, count, good, f"optical flow points disagree on the head's "
                                             f"motion ({agree} of {good} agree)")
    return FaceMotion(geometry.to_display(from_matrix(matrix)), count, agree,
                      vertices=vertex_motion(before, after, geometry.to_proxy(mesh)))


def _sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(n, 2) values of a (h, w, 2) field at (n, 2) points, bilinear."""
    x = points[:, :1].astype(np.float32)
    y = points[:, 1:2].astype(np.float32)
    return np.stack([cv2.remap(field[..., c], x, y, cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)[:, 0] for c in range(2)], axis=1)


def vertex_motion(before: PlateView, after: PlateView, points: np.ndarray) -> np.ndarray:
    """Each of ``points`` (proxy pixels on ``before``) followed to ``after`` by dense DIS flow
    on the face's crop, checked forward and back: its motion in display pixels (n, 2), NaN
    where the backward flow does not bring it back within :data:`VERTEX_FB_TOLERANCE` or the
    plate moved by the flow does not match around it (:data:`VERTEX_RESIDUAL`): what was
    under it is no longer seen (a lip as the mouth opens, an occluder)."""
    h, w = before.shape
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    pad = _VERTEX_PAD + 0.25 * max(x1 - x0, y1 - y0)
    cx0, cy0 = max(0, int(x0 - pad)), max(0, int(y0 - pad))
    cx1, cy1 = min(w, int(np.ceil(x1 + pad)) + 1), min(h, int(np.ceil(y1 + pad)) + 1)
    moved = np.full((len(points), 2), np.nan)
    if cx1 - cx0 < 16 or cy1 - cy0 < 16:
        return moved
    box = (cx0, cy0, cx1, cy1)
    first = np.ascontiguousarray(before.grey(box)[cy0:cy1, cx0:cx1])
    second = np.ascontiguousarray(after.grey(box)[cy0:cy1, cx0:cx1])
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    ahead = dis.calc(first, second, None)
    back = dis.calc(second, first, None)
    start = points[:, :2] - (cx0, cy0)
    forward = _sample(ahead, start).astype(np.float64)
    returned = _sample(back, start + forward)
    gy, gx = np.mgrid[0:first.shape[0], 0:first.shape[1]].astype(np.float32)
    pulled = cv2.remap(second, gx + ahead[..., 0], gy + ahead[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    residual = cv2.blur(cv2.absdiff(first, pulled).astype(np.float32), (7, 7))
    unlike = _sample(np.dstack([residual, residual]), start)[:, 0]
    inside = ((points[:, 0] >= 0) & (points[:, 0] <= w - 1)
              & (points[:, 1] >= 0) & (points[:, 1] <= h - 1))
    kept = (inside & (np.linalg.norm(forward + returned, axis=1) < VERTEX_FB_TOLERANCE)
            & (unlike < VERTEX_RESIDUAL))
    moved[kept] = forward[kept] / before.geometry.scale
    return moved
