"""Colour matching's pieces against CIE L*a*b* computed here from the published sRGB transforms
(``colour_reference``), never with OpenCV's conversion that the code uses: the weighted skin
statistics, and the transfer of mean and (bounded) contrast. One test takes OpenCV's Lab values
as given, as it judges the statistics' sums, not the conversion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from colour_reference import linear_rec709_to_lab, srgb_decode

from faceplate.face.colour_match import LabStats, lab_statistics, transfer_colour

A = np.array([0.62, 0.48, 0.40])  # sRGB-encoded skin tones
B = np.array([0.50, 0.40, 0.36])


def _lab(rgb: np.ndarray) -> np.ndarray:
    return linear_rec709_to_lab(srgb_decode(np.asarray(rgb, np.float64)))


def _two_tones(rows: int = 8) -> np.ndarray:
    """A on the left 4 columns, B on the right 4."""
    image = np.empty((rows, 8, 3), np.float32)
    image[:, :4], image[:, 4:] = A, B
    return image


def test_skin_statistics_are_the_weighted_lab_mean_and_spread():
    """Weights 1 over A's 32 pixels, 0.5 over B's: A counts twice as much as B."""
    weights = np.ones((8, 8), np.float32)
    weights[:, 4:] = 0.5
    stats = lab_statistics(_two_tones(), weights)
    la, lb = _lab(A), _lab(B)
    mean = (2 * la + lb) / 3
    spread = np.sqrt((2 * (la - mean) ** 2 + (lb - mean) ** 2) / 3)
    assert stats is not None
    np.testing.assert_allclose(stats.mean, mean, atol=0.2)
    np.testing.assert_allclose(stats.std, spread, atol=0.2)
    assert LabStats.from_list(stats.as_list()) == stats


def test_skin_statistics_are_exact_over_a_whole_face():
    """Over a face-sized box (10^5 pixels of varied skin) the statistics are the weighted
    mean and spread of OpenCV's Lab values to float64 precision (worked here in float64 by
    numpy's average): sums kept in float32 drift by ~1e-4 Lab, which the analysis records
    (4 decimals) would show."""
    rng = np.random.default_rng(36)
    image = np.clip(A + rng.normal(0.0, 0.08, (320, 360, 3)), 0, 1).astype(np.float32)
    weights = (rng.random((320, 360)) < 0.6).astype(np.float32) * rng.uniform(0.5, 1.0)
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.float64)
    w = weights.reshape(-1).astype(np.float64)
    mean = np.average(lab, axis=0, weights=w)
    spread = np.sqrt(np.average((lab - mean) ** 2, axis=0, weights=w))
    stats = lab_statistics(image, weights)
    assert stats is not None
    np.testing.assert_allclose(stats.mean, mean, rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.std, spread, rtol=0, atol=1e-6)


def test_skin_statistics_need_a_weight_of_16():
    """16 pixels of weight 1 are enough; 15 are too few (None: nothing to match)."""
    weights = np.zeros((8, 8), np.float32)
    weights[:4, :4] = 1.0
    assert lab_statistics(_two_tones(), weights) is not None
    weights[0, 0] = 0.0
    assert lab_statistics(_two_tones(), weights) is None


def test_the_transfer_takes_the_targets_mean_and_bounds_the_contrast_change():
    """Face statistics: the mean of A and B, half their difference as spread. The target asks
    for 3x the spread in L (held at 1.2x), 0.5x in a (held at 0.85x), the same in b, around
    another mean: each pixel lands at target mean + ratio x its offset from the face's."""
    la, lb = _lab(A), _lab(B)
    face_mean, face_std = (la + lb) / 2, np.abs(la - lb) / 2
    target_mean = face_mean + (4.0, -3.0, 2.0)
    target = LabStats(tuple(target_mean), tuple(face_std * (3.0, 0.5, 1.0)))
    out = transfer_colour(_two_tones(2), LabStats(tuple(face_mean), tuple(face_std)), target)
    ratio = np.array([1.2, 0.85, 1.0])
    np.testing.assert_allclose(_lab(out[0, 0]), target_mean + ratio * (la - face_mean),
                               atol=0.3)
    np.testing.assert_allclose(_lab(out[0, 7]), target_mean + ratio * (lb - face_mean),
                               atol=0.3)


def test_the_transfer_keeps_lightness_within_0_to_100():
    """Two greys around a target mean of L* 98: the lighter lands above 100 and is held at
    white's 100, the darker just below 98."""
    light, dark = np.full(3, 0.8), np.full(3, 0.6)
    image = np.empty((2, 2, 3), np.float32)
    image[:, 0], image[:, 1] = light, dark
    ll, ld = _lab(light), _lab(dark)
    face_mean, face_std = (ll + ld) / 2, np.abs(ll - ld) / 2
    target = LabStats((98.0, 0.0, 0.0), tuple(face_std))
    out = transfer_colour(image, LabStats(tuple(face_mean), tuple(face_std)), target)
    assert ll[0] - face_mean[0] > 3  # the lighter would reach above 101
    assert _lab(out[0, 0])[0] == pytest.approx(100.0, abs=0.3)
    assert _lab(out[0, 1])[0] == pytest.approx(98.0 - (ll[0] - face_mean[0]), abs=0.3)


def test_lab_takes_rgb_clipped_to_0_1():
    """Above 1 is white (L* 100), below 0 black (L* 0): display-referred."""
    from faceplate.face.colour_match import to_lab
    lab = to_lab(np.array([[[1.5, 1.5, 1.5], [-0.2, -0.2, -0.2], [1.0, 1.0, 1.0]]], np.float32))
    np.testing.assert_allclose(lab[0, 0], (100.0, 0.0, 0.0), atol=0.05)
    np.testing.assert_allclose(lab[0, 1], (0.0, 0.0, 0.0), atol=0.05)
    np.testing.assert_allclose(lab[0, 0], lab[0, 2], atol=1e-6)
