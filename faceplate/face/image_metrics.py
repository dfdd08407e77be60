"""How a face replacement sits in its plate, measured from pixels: pure functions over
8-bit display-referred RGB frames (uint8, shape (h, w, 3)), mattes (float, 0..1) and
68-point landmarks (dlib/iBUG order, float (68, 2)).

The face is where the matte is at least :data:`FACE_MATTE` (0.9). Lightness is CIE L*
(0..100) of the frames read as sRGB (exact decoding, Rec.709 luminance). Definitions
follow ``shared/research/image-metrics.md`` and issues 15 and 16:

- :func:`swim`: per pair of consecutive frames, the mean over the face (matte of the first
  frame) of the length of ``flow(output t->t+1) - flow(plate t->t+1)``, OpenCV DIS optical
  flow (preset MEDIUM) on the frames' grey levels; summarised as mean and 95th percentile
  over the pairs, in pixels.
- :func:`flicker`: RMS over time of the second difference of (mean L* of the output face
  - mean L* of the plate face), the same pixels in both.
- :func:`highlight`: 99th percentile L* of the output face minus the plate face's.
- :func:`detail_ratio`: mean |Laplacian| of the output's grey levels over the plate's.
- :func:`grain_level` / :func:`grain_ratio`: noise sigma per channel in flat areas.
- :func:`eye_openness` / :func:`mouth_openness`: lid gap and inner-lip gap over eye-corner
  widths, from landmarks found on each image independently.
- :func:`hard_edge`: how much the output's L* gradient exceeds the plate's over the matte's
  soft edge (99th percentile): a warped texture's hard edge inside a feathered matte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Image8 = NDArray[np.uint8]
Mask = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

#: Matte level from which a pixel counts as the replaced face.
FACE_MATTE = 0.9


def face_mask(matte: NDArray[np.floating], level: float = FACE_MATTE) -> Mask:
    """Pixels where the matte is at least ``level``."""
    return np.asarray(matte) >= level


def grey(image: Image8) -> NDArray[np.uint8]:
    """Grey levels of an 8-bit RGB image (OpenCV's Rec.601 luma weights)."""
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def _srgb_decode_table() -> NDArray[np.float64]:
    c = np.arange(256) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_SRGB_TO_LINEAR = _srgb_decode_table()
#: Rec.709/sRGB primaries, D65: the Y row of RGB -> XYZ.
_LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
#: Per channel, each 8-bit code's share of Y (its decoded value times its luminance weight).
_Y_OF_CODE = [np.ascontiguousarray(_SRGB_TO_LINEAR * w) for w in _LUMINANCE]


def lightness(image: Image8) -> NDArray[np.float64]:
    """CIE L* (0..100) per pixel of an 8-bit sRGB image: Y from the exact sRGB decoding
    and Rec.709 luminance weights, L* = 116 f(Y) - 16 (D65 white, Y = 1)."""
    rgb = np.asarray(image)
    y = np.take(_Y_OF_CODE[0], rgb[..., 0])
    y += np.take(_Y_OF_CODE[1], rgb[..., 1])
    y += np.take(_Y_OF_CODE[2], rgb[..., 2])
    eps = (6.0 / 29.0) ** 3
    f = np.where(y > eps, np.cbrt(y), y / (3.0 * (6.0 / 29.0) ** 2) + 4.0 / 29.0)
    return 116.0 * f - 16.0


def dis_flow(a: Image8, b: Image8) -> NDArray[np.float32]:
    """Dense optical flow from ``a`` to ``b`` (h, w, 2: dx, dy in pixels), OpenCV DIS,
    preset MEDIUM, on grey levels."""
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(grey(a), grey(b), None)


def swim_pair(output: tuple[Image8, Image8], plate: tuple[Image8, Image8], mask: Mask) -> float:
    """Mean over ``mask`` of |flow(output[0]->output[1]) - flow(plate[0]->plate[1])|, pixels.
    NaN if the mask is empty."""
    if not mask.any():
        return float("nan")
    diff = dis_flow(*output) - dis_flow(*plate)
    return float(np.hypot(diff[..., 0], diff[..., 1])[mask].mean())


@dataclass(frozen=True)
class Swim:
    """Swim per pair of consecutive frames (pixels), with their mean and 95th percentile."""

    per_pair: list[float]

    @property
    def mean(self) -> float:
        values = [v for v in self.per_pair if np.isfinite(v)]
        return float(np.mean(values)) if values else float("nan")

    @property
    def p95(self) -> float:
        values = [v for v in self.per_pair if np.isfinite(v)]
        return float(np.percentile(values, 95)) if values else float("nan")


def swim(outputs: Sequence[Image8], plates: Sequence[Image8], masks: Sequence[Mask]) -> Swim:
    """:func:`swim_pair` over consecutive frames; pair (t, t+1) uses ``masks[t]``."""
    if not len(outputs) == len(plates) == len(masks):
        raise ValueError("outputs, plates and masks must have the same length")
    return Swim(
        [
            swim_pair((outputs[t], outputs[t + 1]), (plates[t], plates[t + 1]), masks[t])
            for t in range(len(outputs) - 1)
        ]
    )


def face_lightness_difference(output: Image8, plate: Image8, mask: Mask) -> float:
    """Mean L* of the output face minus mean L* of the plate face (the same pixels)."""
    return float(lightness(output)[mask].mean() - lightness(plate)[mask].mean())


def flicker_of(differences: Sequence[float]) -> float:
    """RMS of the second difference over time of a series (NaN if under 3 values)."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if len(d) < 3:
        return float("nan")
    second = d[2:] - 2.0 * d[1:-1] + d[:-2]
    return float(np.sqrt(np.mean(second**2)))


def flicker(outputs: Sequence[Image8], plates: Sequence[Image8], masks: Sequence[Mask]) -> float:
    """RMS over time of the second difference of (mean L* of the output face - mean L* of
    the plate face), frame t measured over ``masks[t]``."""
    return flicker_of(
        [
            face_lightness_difference(o, p, m) if m.any() else float("nan")
            for o, p, m in zip(outputs, plates, masks)
        ]
    )


def highlight(output: Image8, plate: Image8, mask: Mask, percentile: float = 99.0) -> float:
    """99th-percentile L* of the output face minus the plate face's, the same pixels."""
    return lightness_highlight(lightness(output), lightness(plate), mask, percentile)


def lightness_highlight(output: FloatArray, plate: FloatArray, mask: Mask,
                        percentile: float = 99.0) -> float:
    """:func:`highlight` from the two images' :func:`lightness`, already computed."""
    return float(np.percentile(output[mask], percentile) - np.percentile(plate[mask], percentile))


def mean_abs_laplacian(image: Image8, mask: Mask) -> float:
    """Mean |Laplacian| (3x3 four-neighbour kernel) of the grey levels over ``mask``."""
    lap = cv2.Laplacian(grey(image).astype(np.float32), cv2.CV_32F, ksize=1)
    return float(np.abs(lap)[mask].mean())


def detail_ratio(output: Image8, plate: Image8, mask: Mask) -> float:
    """Mean |Laplacian| of the output face over the plate face's (1 = the same sharpness
    and grain; above 1 crisper or noisier than the plate)."""
    return mean_abs_laplacian(output, mask) / max(mean_abs_laplacian(plate, mask), 1e-9)


#: Immerkær's noise-estimation kernel: blind to constant, linear and quadratic structure.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def flat_mask(image: Image8, mask: Mask, fraction: float = 0.5) -> Mask:
    """The ``fraction`` of ``mask``'s pixels with the lowest local gradient (Sobel of the
    grey levels smoothed by a Gaussian of sigma 2), one pixel in from the mask's edge."""
    smooth = cv2.GaussianBlur(grey(image).astype(np.float32), (0, 0), 2.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    magnitude = np.hypot(gx, gy)
    inner = cv2.erode(
        mask.astype(np.uint8),
        np.ones((3, 3), np.uint8),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    ).astype(bool)
    if not inner.any():
        return inner
    return inner & (magnitude <= np.quantile(magnitude[inner], fraction))


def grain_level(image: Image8, where: Mask) -> FloatArray:
    """Noise sigma per channel (8-bit code values) over the pixels ``where``: Immerkær's
    estimator, sqrt(pi/2)/6 times the mean |response| to the kernel
    [[1,-2,1],[-2,4,-2],[1,-2,1]]; exact for white Gaussian noise on a locally smooth
    image, lower for grain clumped over several pixels. Use :func:`flat_mask` for ``where``."""
    out = np.zeros(image.shape[2])
    for c in range(image.shape[2]):
        response = cv2.filter2D(
            image[..., c].astype(np.float32),
            cv2.CV_32F,
            _NOISE_KERNEL,
            borderType=cv2.BORDER_REFLECT,
        )
        out[c] = np.sqrt(np.pi / 2.0) / 6.0 * float(np.abs(response)[where].mean())
    return out


def grain_ratio(output: Image8, plate: Image8, mask: Mask) -> FloatArray:
    """Per channel: grain level of the output face over the plate face's, both measured on
    the flat pixels of the plate face (:func:`flat_mask` of the plate)."""
    where = flat_mask(plate, mask)
    return grain_level(output, where) / np.maximum(grain_level(plate, where), 1e-9)


def _gap(points: NDArray[np.floating], pairs: Sequence[tuple[int, int]]) -> float:
    p = np.asarray(points, dtype=np.float64)
    return float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in pairs]))


def eye_openness(points: NDArray[np.floating]) -> float:
    """Mean over both eyes of the lid gap (mean of the two upper-to-lower lid distances,
    37-41 and 38-40, 43-47 and 44-46) over that eye's corner width (36-39, 42-45)."""
    left = _gap(points, [(37, 41), (38, 40)]) / _gap(points, [(36, 39)])
    right = _gap(points, [(43, 47), (44, 46)]) / _gap(points, [(42, 45)])
    return (left + right) / 2.0


def mouth_openness(points: NDArray[np.floating]) -> float:
    """Inner-lip gap (mean of 61-67, 62-66, 63-65) over the outer eye-corner width (36-45)."""
    return _gap(points, [(61, 67), (62, 66), (63, 65)]) / _gap(points, [(36, 45)])


#: Matte levels between which a pixel counts as the matte's soft edge.
EDGE_BAND = (0.02, 0.98)


def _gradient(lum_image: FloatArray) -> NDArray[np.float64]:
    """|gradient| of CIE L* (given per pixel) per pixel (Sobel 3×3 / 8: L* per pixel)."""
    lum = lum_image.astype(np.float32)
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return np.hypot(gx, gy).astype(np.float64)


def _outer(below: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The parts of ``below`` that reach the image's border: holes (an open mouth's cut)
    left out."""
    _, labels = cv2.connectedComponents(below.astype(np.uint8), connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, border[border > 0])


def hard_edge(output: Image8, plate: Image8, matte: NDArray[np.floating],
              percentile: float = 99.0) -> float:
    """A hard texture edge inside a soft matte: the ``percentile`` over the matte's soft outer
    edge (holes such as an open mouth's cut left out; a pixel either side) of how much the
    output's L* gradient exceeds the plate's, L* per pixel. A face that fades into the plate
    adds little gradient there; a warped texture that stops on a line adds a step. NaN if the
    matte has no soft edge."""
    return lightness_hard_edge(lightness(output), lightness(plate), matte, percentile)


def lightness_hard_edge(output: FloatArray, plate: FloatArray, matte: NDArray[np.floating],
                        percentile: float = 99.0) -> float:
    """:func:`hard_edge` from the two images' :func:`lightness`, already computed."""
    m = np.asarray(matte, np.float32)
    band = (m > EDGE_BAND[0]) & _outer(m < EDGE_BAND[1])  # _outer keeps only pixels below
    band = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    if band.sum() < 16:
        return float("nan")
    excess = np.maximum(_gradient(output) - _gradient(plate), 0.0)
    return float(np.percentile(excess[band], percentile))
