"""What the lens, the light and the film do to a rendered plate frame, in scene-linear
light (ACEScg): exposure, warm or mixed light, defocus, film grain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]

#: Linear ACEScg gains: a tungsten-ish warm key and a cool (sky/fluorescent) fill.
WARM = np.array([1.30, 1.0, 0.62], np.float32)
COOL = np.array([0.78, 0.95, 1.25], np.float32)
#: Relative grain strength per channel (the blue layer is the grainiest).
GRAIN_CHANNELS = np.array([1.0, 0.85, 1.35], np.float32)
MID_GREY = 0.18


@dataclass(frozen=True)
class Look:
    """``exposure`` in stops; ``light``: ``neutral``, ``warm`` (the whole frame under a warm
    key) or ``mixed`` (warm key from image right, cool fill from the left, across the
    face); ``defocus``: radius of the lens's disc (pixels, 0 = sharp); ``grain``: relative
    standard deviation of the grain at mid grey (0.03 = 3 %), per channel (blue strongest),
    its amplitude growing with the square root of the signal; ``grain_size``: Gaussian
    sigma of the grain's clumps in pixels (0.5 fine .. 1.5 coarse)."""

    exposure: float = 0.0
    light: Literal["neutral", "warm", "mixed"] = "neutral"
    defocus: float = 0.0
    grain: float = 0.0
    grain_size: float = 0.7


def apply_light(rgb: F32, look: Look, face_x: float, face_width: float) -> F32:
    """Exposure and light colour; ``face_x``/``face_width`` place the mixed light's key-to-fill
    transition across the face (frame pixels)."""
    out = rgb * np.float32(2.0 ** look.exposure)
    if look.light == "warm":
        out = out * WARM
    elif look.light == "mixed":
        x = np.arange(rgb.shape[1], dtype=np.float32)
        k = np.clip((x - (face_x - 0.7 * face_width)) / (1.4 * face_width), 0.0, 1.0)
        k = (k * k * (3.0 - 2.0 * k))[None, :, None]
        gain = COOL * 0.55 * (1.0 - k) + WARM * 1.15 * k
        out = out * gain
    return out.astype(np.float32)


def disc_kernel(radius: float) -> F32:
    """A normalised disc (a defocused lens's point spread), anti-aliased at its rim."""
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.sqrt(x * x + y * y), 0.0, 1.0)
    return (k / k.sum()).astype(np.float32)


def defocus(rgb: F32, radius: float) -> F32:
    """Defocus blur by a disc of ``radius`` pixels (in linear light, so highlights bloom)."""
    if radius <= 0.0:
        return rgb
    return cv2.filter2D(rgb, -1, disc_kernel(radius), borderType=cv2.BORDER_REFLECT)


def grain_field(rng: np.random.Generator, shape: tuple[int, int], size: float) -> F32:
    """Unit-variance grain per channel: white noise clumped by a Gaussian of ``size``."""
    noise = rng.standard_normal((shape[0], shape[1], 3)).astype(np.float32)
    if size > 0.0:
        kernel = cv2.getGaussianKernel(2 * int(np.ceil(3.0 * size)) + 1, size, cv2.CV_32F)
        noise = cv2.sepFilter2D(noise, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT)
        # a separable kernel k keeps (sum k^2)^2 of white noise's variance
        noise /= np.float32(np.sum(kernel.astype(np.float64) ** 2))
    return noise


def add_grain(rgb: F32, look: Look, rng: np.random.Generator) -> F32:
    """Film grain: per channel, relative sigma ``look.grain`` at mid grey, growing as the
    square root of the channel's signal."""
    if look.grain <= 0.0:
        return rgb
    noise = grain_field(rng, rgb.shape[:2], look.grain_size)
    signal = np.sqrt(np.clip(rgb, 0.0, None) * MID_GREY)
    return (rgb + noise * signal * np.float32(look.grain) * GRAIN_CHANNELS).astype(np.float32)
