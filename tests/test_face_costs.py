"""The cheaper ways the swap's plate look is computed give what the full computation gives:
a wide shading blur made small, the sharpness match measured on the skin's crop, grain laid
on a crop."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceplate.face import image_metrics as metrics
from faceplate.face.grain import Grain, Regrainer, flat_pixels
from faceplate.face.light import (
    CHROMA_DETAIL,
    SHADING_BAND,
    relight,
    to_encoded,
    to_linear,
    wide_gaussian,
)
from faceplate.face.sharpness import blur, matching_blur, mean_abs_laplacian
from faceplate.pipeline.render.plate_match import _around


def _disc(shape, centre, radius):
    mask = np.zeros(shape, np.uint8)
    cv2.circle(mask, centre, radius, 1, -1)
    return mask


@pytest.mark.parametrize("sigma", [3.0, 9.0, 20.0, 36.0, 70.0])
def test_a_wide_blur_is_the_full_size_gaussian(sigma):
    hard = _disc((301, 333), (150, 140), 100).astype(np.float32)  # a hard 0/1 edge: worst case
    expected = cv2.GaussianBlur(hard, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    assert np.abs(wide_gaussian(hard, sigma) - expected).max() < 0.006
    across, down = np.meshgrid(np.linspace(0.2, 0.9, 333), np.linspace(0.1, 0.7, 301))
    ramp = np.dstack([across, down, np.full((301, 333), 0.5)]).astype(np.float32)
    expected = cv2.GaussianBlur(ramp, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    got = wide_gaussian(ramp, sigma)
    assert got.shape == ramp.shape
    assert np.abs(got - expected).max() < 0.006
    assert np.abs(got - expected).mean() < 0.001


def _face_and_plate(plate_blur, grain):
    rng = np.random.default_rng(7)
    face = cv2.GaussianBlur(rng.random((420, 400, 3)).astype(np.float32), (0, 0), 1.0)
    plate = blur(face, plate_blur) + rng.normal(0, grain, face.shape).astype(np.float32)
    where = _disc((420, 400), (210, 230), 120).astype(bool)
    return face, plate.astype(np.float32), where


@pytest.mark.parametrize("plate_blur", [0.0, 0.8, 2.0])
def test_the_regrained_face_reaches_the_plates_sharpness(plate_blur):
    face, plate, where = _face_and_plate(plate_blur, 0.002)
    finish = Regrainer(Grain((0.002, 0.002, 0.002), 0.6), flat_pixels(plate, where), 3,
                       where.shape)
    sigma = matching_blur(face, plate, where, finish)
    luma = np.array([0.299, 0.587, 0.114], np.float32)
    wanted = mean_abs_laplacian(plate @ luma, where)

    def measured(s):  # the sharpness of what the swap lays down, on the whole image
        return mean_abs_laplacian(finish(blur(face, s)) @ luma, where)

    step = 6.0 / 2 ** 7  # the bisection's resolution
    assert measured(sigma - step) >= wanted * 0.98 and measured(sigma + step) <= wanted * 1.02


def test_grain_laid_on_a_crop_is_the_grain_laid_on_the_whole():
    face, plate, where = _face_and_plate(0.8, 0.002)
    finish = Regrainer(Grain((0.01, 0.02, 0.015), 0.9), flat_pixels(plate, where), 11,
                       where.shape)
    rows, cols = slice(60, 380), slice(50, 360)  # the disc with room to spare
    whole = finish(face)[rows, cols]
    cropped = finish.crop(rows, cols)(face[rows, cols])
    assert np.allclose(whole, cropped, atol=1e-6)
    assert not np.allclose(cropped, face[rows, cols], atol=1e-3), "grain was laid"


@pytest.mark.parametrize("box", [(slice(100, 330), slice(90, 310)),  # inside the crop
                                 (slice(20, 410), slice(20, 395))])  # cut by it
def test_grain_laid_over_a_box_is_laid_there_only_and_alike_on_a_crop(box):
    face, plate, where = _face_and_plate(0.8, 0.002)
    finish = Regrainer(Grain((0.01, 0.02, 0.015), 0.9), flat_pixels(plate, where), 11,
                       where.shape, box)
    whole = finish(face)
    beyond = np.ones(where.shape, bool)
    beyond[box] = False
    np.testing.assert_array_equal(whole[beyond], face[beyond])
    assert np.abs(whole[box] - face[box]).mean() > 0.005, "grain was laid in the box"
    rows, cols = slice(60, 380), slice(50, 360)  # the disc with room to spare
    cropped = finish.crop(rows, cols)(face[rows, cols])
    assert np.allclose(whole[rows, cols], cropped, atol=1e-6)


@pytest.mark.parametrize("centre", [(200, 200), (10, 20), (370, 390)])
def test_flat_pixels_on_the_regions_box_are_those_of_the_whole_image(centre):
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.random((400, 380, 3)).astype(np.float32), (0, 0), 3)
    region = _disc((400, 380), centre, 90).astype(bool)
    # the whole image's flattest half of the region's inner pixels, computed here directly
    smooth = cv2.GaussianBlur(image.mean(axis=2), (0, 0), 2.0)
    magnitude = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    inner = cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    expected = inner & (magnitude <= np.quantile(magnitude[inner], 0.5))
    assert np.array_equal(flat_pixels(image, region), expected)


def test_relight_on_the_weights_box_is_the_full_image_computation():
    """The plate's shading times the face's detail, computed here over the whole image with
    full-size Gaussians (the formula of :func:`relight`), against relight's own on the box of
    its weights with the small-size blur."""
    rng = np.random.default_rng(5)
    shape = (360, 340)
    across, down = np.meshgrid(np.linspace(0.3, 0.8, shape[1]), np.linspace(0.2, 0.7, shape[0]))
    face = np.dstack([across, down, across * down]).astype(np.float32)
    face += rng.normal(0, 0.03, face.shape).astype(np.float32)
    plate = np.clip(face[::-1] * 0.7 + 0.1, 0, 1).astype(np.float32)
    weights = cv2.GaussianBlur(_disc(shape, (170, 190), 100).astype(np.float32), (0, 0), 4)
    weights[weights < 0.01] = 0
    size = 110.0
    sigma = SHADING_BAND * size

    def lowpass(image):
        num = cv2.GaussianBlur(image * weights[..., None], (0, 0), sigma,
                               borderType=cv2.BORDER_CONSTANT)
        den = cv2.GaussianBlur(weights, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
        return num / np.maximum(den, 1e-6)[..., None]

    source = to_linear(face)
    detail = np.clip(source / np.maximum(lowpass(source), 1e-6), 0.05, 4.0)
    lightness = np.clip(detail @ np.array([0.2126, 0.7152, 0.0722], np.float32), 0.05, 4.0)
    tint = np.clip(detail / lightness[..., None], 0.5, 2.0) ** CHROMA_DETAIL
    expected = to_encoded(lowpass(to_linear(plate)) * lightness[..., None] * tint)
    got = relight(face, plate, weights, size)
    inside = weights > 0
    assert np.abs(got - expected)[inside].max() < 0.003
    assert np.array_equal(got[~inside], face[~inside]), "outside the weights: the face as it was"


@pytest.mark.parametrize("softness", [0.0, 5.0])
def test_the_plate_match_pixel_measures_on_the_mattes_box_are_those_of_the_whole(softness):
    rng = np.random.default_rng(9)
    shape = (300, 280)
    plate = np.clip(cv2.GaussianBlur(rng.random((*shape, 3)), (0, 0), 2) * 255, 0, 255)
    plate = plate.astype(np.uint8)
    result = plate.copy()
    result[100:200, 90:190] = np.clip(result[100:200, 90:190] * 1.3 + 10, 0, 255)
    result[140:150, 120:140] = 255  # a hard, bright patch
    matte = _disc(shape, (140, 150), 70).astype(np.float32)
    if softness:
        matte = cv2.GaussianBlur(matte, (0, 0), softness)
        matte[matte < 0.01] = 0
    matte[145:165, 125:155] = 0.5  # a hole (an open mouth's cut) inside
    box = _around(matte)
    assert (box[0].stop - box[0].start) * (box[1].stop - box[1].start) < 0.6 * matte.size
    face = metrics.face_mask(matte)
    face_box = metrics.face_mask(matte[box])
    assert metrics.hard_edge(result[box], plate[box], matte[box]) == pytest.approx(
        metrics.hard_edge(result, plate, matte), abs=1e-9, nan_ok=True)
    for measure in (metrics.highlight, metrics.detail_ratio, metrics.grain_ratio):
        assert np.allclose(measure(result[box], plate[box], face_box),
                           measure(result, plate, face), rtol=0, atol=1e-9), measure.__name__
