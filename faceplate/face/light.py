"""The plate's light on the source's surface: what a compositor's shading/detail split does.

In linear light, each face is split into **shading** (a low-pass over the face only, its band
relative to the face's size: key and fill, warm or cool cast, exposure) and **detail** (the
face divided by its shading: pores, creases, features). The replaced face is the plate's
shading times the source's detail (its lightness whole, its colour variation damped), so it
takes the plate's light, cast and skin chroma and keeps the source's surface. The source's
specular highlights (a photo's flash on forehead and nose tip: small, bright spots above
their surroundings) are taken down first, so they are not pasted onto a plate lit otherwise.

Pure functions over working-space (display-referred sRGB, 0..1) float32 arrays.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceplate.face.warp import nonzero_box
from faceplate.types import Matte, RGBImage

#: Sigma of the shading low-pass, × face size (outer eye-corner distance): the light's
#: gradients across the face, not its features.
SHADING_BAND = 0.3
#: Sigma of the neighbourhood a specular highlight is judged against, × face size.
SPECULAR_BAND = 0.05
#: How far above its neighbourhood (luminance ratio - 1) skin may be before it counts as a
#: specular highlight, and the most of the excess kept (rolled off smoothly).
SPECULAR_KNEE = 0.3
SPECULAR_SHOULDER = 0.05
#: The knee for pixels with no colour of their own (white, as a flash's reflection is).
WHITE_KNEE = 0.0
#: Limits on the detail ratio (a face's value over its shading), so a dark hole or a stray
#: bright pixel at the face's edge cannot blow up.
_DETAIL_RANGE = (0.05, 4.0)
#: The share (as a power) of the source detail's colour variation kept: lips stay redder than
#: the skin around them, a beard's shadow does not turn grey.
CHROMA_DETAIL = 0.7
_TINT_RANGE = (0.5, 2.0)
#: A wide blur is made at 1/k size, k = sigma // this (about this much blur is left there).
_STEP_SIGMA = 4.0
_REC709 = np.array([0.2126, 0.7152, 0.0722], np.float32)


def _power(base: np.ndarray, exponent: float) -> np.ndarray:
    """``base`` (float32, at least 0, any shape) to ``exponent``: OpenCV's vectorised
    power, within about 2e-6 of NumPy's and a third of its cost."""
    column = np.ascontiguousarray(base, np.float32).reshape(-1, 1)  # any shape, one channel
    return np.asarray(cv2.pow(column, exponent), np.float32).reshape(np.shape(base))


def to_linear(rgb: RGBImage) -> RGBImage:
    """sRGB-encoded values as linear light (the exact sRGB curve; negatives clipped)."""
    c = np.clip(np.asarray(rgb, np.float32), 0.0, None)
    return np.where(c <= 0.04045, c / 12.92, _power((c + 0.055) / 1.055, 2.4))


def to_encoded(linear: RGBImage) -> RGBImage:
    """Linear light back to sRGB-encoded values (negatives clipped)."""
    c = np.clip(np.asarray(linear, np.float32), 0.0, None)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * _power(c, 1 / 2.4) - 0.055)


def wide_gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels with zeros beyond the edges, at the cost of a small
    one: for a wide ``sigma`` the image (zero-padded) is box-averaged down by
    k = sigma // :data:`_STEP_SIGMA` (the box's own variance counted), blurred there and
    bilinearly scaled back: within 0.006 of the full-size blur even for a hard-edged 0/1
    image, far closer for smooth light (the shading band is tens of pixels wide)."""
    image = np.ascontiguousarray(image, np.float32)
    k = int(sigma // _STEP_SIGMA)
    if k < 2:
        return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma,
                                           borderType=cv2.BORDER_CONSTANT), np.float32)
    h, w = image.shape[:2]
    margin = 2 * k  # the zeros beyond the edges, so the scaled-back edge falls off as they do
    height, width = -(-(h + 2 * margin) // k) * k, -(-(w + 2 * margin) // k) * k
    pad = [(margin, height - h - margin), (margin, width - w - margin)]
    small = cv2.resize(np.pad(image, pad + [(0, 0)] * (image.ndim - 2)),
                       (width // k, height // k), interpolation=cv2.INTER_AREA)
    rest = float(np.sqrt(max(sigma ** 2 - (k * k - 1) / 12.0, 1.0))) / k
    blurred = cv2.GaussianBlur(small, (0, 0), rest, borderType=cv2.BORDER_CONSTANT)
    back = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(back[margin:margin + h, margin:margin + w], np.float32)


def masked_lowpass(image: np.ndarray, weights: Matte, sigma: float) -> np.ndarray:
    """Gaussian low-pass of ``image`` over ``weights`` only (normalised convolution): what
    lies outside the face does not bleed into it. Where the weights' blur is 0, 0."""
    w = np.ascontiguousarray(weights, np.float32)
    data = np.ascontiguousarray(image, np.float32)
    weighted = data * (w[..., None] if data.ndim == 3 else w)
    num = wide_gaussian(weighted, sigma)
    den = wide_gaussian(w, sigma)
    den = np.maximum(den, 1e-6)
    return np.asarray(num / (den[..., None] if data.ndim == 3 else den), np.float32)


def remove_speculars(linear: RGBImage, weights: Matte, face_size: float) -> RGBImage:
    """``linear`` with its specular highlights taken down: where a pixel's luminance is more
    than its knee above its neighbourhood's (over ``weights``; the neighbourhood measured
    with the highlights themselves clipped, so a spot does not raise its own reference), the
    excess is rolled off to at most :data:`SPECULAR_SHOULDER` (all channels scaled alike).
    The knee is :data:`SPECULAR_KNEE` for pixels as saturated as the skin around them and
    falls to :data:`WHITE_KNEE` for pixels whiter than it (a highlight takes the light's
    colour, not the skin's)."""
    y = linear @ _REC709
    sigma = max(SPECULAR_BAND * face_size, 0.5)
    peak = linear.max(axis=2)
    saturation = (peak - linear.min(axis=2)) / np.maximum(peak, 1e-6)
    whiteness = np.clip(1.0 - saturation / np.maximum(
        masked_lowpass(saturation, weights, sigma), 1e-6), 0.0, 1.0)
    knee = 1.0 + SPECULAR_KNEE + (WHITE_KNEE - SPECULAR_KNEE) * whiteness
    around = masked_lowpass(y, weights, sigma)
    for _ in range(2):
        around = masked_lowpass(np.minimum(y, knee * around), weights, sigma)
    ratio = y / np.maximum(around, 1e-6)
    excess = np.maximum(ratio - knee, 0.0)
    kept = SPECULAR_SHOULDER * (1.0 - np.exp(-excess / SPECULAR_SHOULDER))
    scale = (ratio - excess + kept) / np.maximum(ratio, 1e-6)
    scale = np.where(weights > 0, scale, 1.0).astype(np.float32)
    return np.asarray(linear * scale[..., None], np.float32)


def without_speculars(rgb: RGBImage, weights: Matte, face_size: float) -> RGBImage:
    """:func:`remove_speculars` of sRGB-encoded ``rgb``, in linear light; sRGB-encoded."""
    return to_encoded(remove_speculars(to_linear(rgb), weights, face_size))


def relight(face: RGBImage, plate: RGBImage, weights: Matte, face_size: float) -> RGBImage:
    """``face`` (the warped source, sRGB-encoded, its speculars already taken down by
    :func:`without_speculars`) under the plate's light: in linear light, the plate's shading
    times the face's detail, over ``weights`` (the pixels both faces cover); elsewhere
    ``face`` unchanged. Computed on the box of ``weights`` only: the pixels outside it weigh
    nothing in the shading and keep ``face``'s values."""
    box = nonzero_box(weights > 0)
    if box is None:
        return np.asarray(face, np.float32)
    out = np.array(face, np.float32, copy=True)
    out[box] = _relit(face[box], plate[box], weights[box], max(SHADING_BAND * face_size, 1.0))
    return out


def _relit(face: RGBImage, plate: RGBImage, weights: Matte, sigma: float) -> RGBImage:
    source = to_linear(face)
    source_shading = masked_lowpass(source, weights, sigma)
    plate_shading = masked_lowpass(to_linear(plate), weights, sigma)
    detail = np.clip(source / np.maximum(source_shading, 1e-6), *_DETAIL_RANGE)
    # the detail's lightness whole, its colour (each channel over the lightness) damped: a
    # source's tints (a beard's shadow, bluish brows) read grey on another skin
    lightness = np.clip(detail @ _REC709, *_DETAIL_RANGE)[..., None]
    tint = _power(np.clip(detail / lightness, *_TINT_RANGE), CHROMA_DETAIL)
    lit = to_encoded(plate_shading * lightness * tint)
    inside = (weights > 0)[..., None]
    return np.where(inside, lit, face).astype(np.float32)
