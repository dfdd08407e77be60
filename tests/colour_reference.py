"""Colour conversions written from the published specifications, without OCIO, so tests can
compute expected values independently of the code under test.

- RGB↔XYZ matrices from primaries and white point (SMPTE RP 177-1993), with the Bradford
  chromatic adaptation between white points (what the ACES colour space conversions use).
- ACES primaries and white (SMPTE ST 2065-1 AP0; ACEScg AP1, Academy S-2014-004), Rec.709/sRGB
  primaries and D65 (ITU-R BT.709-6, IEC 61966-2-1).
- The sRGB encoding (IEC 61966-2-1, piecewise), ACEScct (Academy S-2016-001) and ARRI LogC4
  (ARRI, "LogC4 Logarithmic Color Space Specification", 2022) curves.
"""

from __future__ import annotations

import numpy as np

Chromaticities = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]

ACES_WHITE = (0.32168, 0.33767)  # the ACES white (≈D60)
D65 = (0.3127, 0.3290)
AP0: Chromaticities = ((0.7347, 0.2653), (0.0, 1.0), (0.0001, -0.0770))
AP1: Chromaticities = ((0.713, 0.293), (0.165, 0.830), (0.128, 0.044))
REC709: Chromaticities = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))

#: ACEScg (AP1) to ACES2065-1 (AP0) as printed in Academy S-2014-004, section 4.
AP1_TO_AP0_PUBLISHED = np.array([[0.6954522414, 0.1406786965, 0.1638690622],
                                 [0.0447945634, 0.8596711185, 0.0955343182],
                                 [-0.0055258826, 0.0040252103, 1.0015006723]])

_BRADFORD = np.array([[0.8951, 0.2664, -0.1614],
                      [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])


def _xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def rgb_to_xyz(primaries: Chromaticities, white: tuple[float, float]) -> np.ndarray:
    """The 3x3 matrix taking linear RGB of these primaries to CIE XYZ (white Y = 1)."""
    columns = np.stack([_xyz(p) for p in primaries], axis=1)
    scale = np.linalg.solve(columns, _xyz(white))
    return columns * scale


def bradford(src_white: tuple[float, float], dst_white: tuple[float, float]) -> np.ndarray:
    """Von Kries adaptation in the Bradford cone space from one white to another (XYZ)."""
    src, dst = _BRADFORD @ _xyz(src_white), _BRADFORD @ _xyz(dst_white)
    return np.linalg.inv(_BRADFORD) @ np.diag(dst / src) @ _BRADFORD


def rgb_to_rgb(src: Chromaticities, src_white: tuple[float, float], dst: Chromaticities,
               dst_white: tuple[float, float]) -> np.ndarray:
    """Linear RGB of one space to another, Bradford-adapted between their whites."""
    adapt = bradford(src_white, dst_white) if src_white != dst_white else np.eye(3)
    return np.linalg.inv(rgb_to_xyz(dst, dst_white)) @ adapt @ rgb_to_xyz(src, src_white)


AP1_TO_AP0 = rgb_to_rgb(AP1, ACES_WHITE, AP0, ACES_WHITE)
AP1_TO_REC709 = rgb_to_rgb(AP1, ACES_WHITE, REC709, D65)
REC709_TO_AP1 = rgb_to_rgb(REC709, D65, AP1, ACES_WHITE)


def srgb_encode(linear: np.ndarray | float) -> np.ndarray:
    """IEC 61966-2-1: 12.92·L below 0.0031308, else 1.055·L^(1/2.4) − 0.055 (negatives
    mirrored, as OCIO's sRGB curve does)."""
    v = np.asarray(linear, dtype=np.float64)
    a = np.abs(v)
    out = np.where(a <= 0.0031308, 12.92 * a, 1.055 * np.power(a, 1 / 2.4) - 0.055)
    return np.sign(v) * out


def srgb_decode(encoded: np.ndarray | float) -> np.ndarray:
    """The inverse of :func:`srgb_encode`."""
    v = np.asarray(encoded, dtype=np.float64)
    a = np.abs(v)
    out = np.where(a <= 0.04045, a / 12.92, np.power((a + 0.055) / 1.055, 2.4))
    return np.sign(v) * out


def acescct_encode(linear: float) -> float:
    """Academy S-2016-001: the linear segment below 2^-7, log2 above."""
    if linear <= 0.0078125:
        return 10.5402377416545 * linear + 0.0729055341958355
    return (np.log2(linear) + 9.72) / 17.52


def logc4_encode(linear: float) -> float:
    """ARRI LogC4 (scene-linear AWG4 relative exposure to the 0..1 signal)."""
    a = (2.0 ** 18 - 16) / 117.45
    b = (1023.0 - 95) / 1023
    c = 95.0 / 1023
    s = (7 * np.log(2) * 2 ** (7 - 14 * c / b)) / (a * b)
    t = (2 ** (14 * (-c / b) + 6) - 64) / a
    if linear >= t:
        return (np.log2(a * linear + 64) - 6) / 14 * b + c
    return (linear - t) / s


def acescg_to_srgb_encoded(rgb: np.ndarray) -> np.ndarray:
    """ACEScg pixels (..., 3) to sRGB-encoded Rec.709, float32."""
    linear = np.asarray(rgb, dtype=np.float64) @ AP1_TO_REC709.T
    return srgb_encode(linear).astype(np.float32)


def srgb_encoded_to_acescg(rgb: np.ndarray) -> np.ndarray:
    """sRGB-encoded Rec.709 pixels (..., 3) to ACEScg, float32."""
    return (srgb_decode(rgb) @ REC709_TO_AP1.T).astype(np.float32)


def linear_rec709_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Linear Rec.709 pixels (..., 3) to CIE 1976 L*a*b* (CIE 15:2004) under D65: XYZ with the
    white's Y = 100."""
    to_xyz = rgb_to_xyz(REC709, D65)
    t = (np.asarray(rgb, dtype=np.float64) @ to_xyz.T) / (to_xyz @ np.ones(3))
    d = 6.0 / 29.0
    f = np.where(t > d ** 3, np.cbrt(t), t / (3 * d * d) + 4.0 / 29.0)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def acescg_to_lab(rgb: np.ndarray) -> np.ndarray:
    """ACEScg pixels (..., 3) to CIE L*a*b* under D65, the white of the Rec.709 display they
    are seen on (Bradford-adapted to Rec.709)."""
    return linear_rec709_to_lab(np.asarray(rgb, dtype=np.float64) @ AP1_TO_REC709.T)
