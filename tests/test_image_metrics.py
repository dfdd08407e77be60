"""The image metrics against values worked out independently: known translations, known
lightness from the CIE formula, known contrast, known noise sigma, hand-placed landmarks."""

import cv2
import numpy as np
import pytest

from faceplate.face import image_metrics as im


def cie_lightness(code: float) -> float:
    """L* of a neutral 8-bit sRGB grey, from the sRGB and CIE formulas (not OpenCV)."""
    c = code / 255.0
    y = c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    f = y ** (1.0 / 3.0) if y > (6.0 / 29.0) ** 3 else y / (3.0 * (6.0 / 29.0) ** 2) + 4.0 / 29.0
    return 116.0 * f - 16.0


def texture(size=(200, 260), seed=3, sigma=2.0):
    """Smooth random texture in 30..220, RGB uint8."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.standard_normal(size).astype(np.float32), (0, 0), sigma)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    grey = (30 + 190 * noise).astype(np.uint8)
    return np.dstack([grey, grey, grey])


def grey_image(code, size=(40, 50)):
    return np.full(size + (3,), code, np.uint8)


def centre_mask(shape, margin=40):
    mask = np.zeros(shape[:2], bool)
    mask[margin:-margin, margin:-margin] = True
    return mask


def shifted(image, dx, dy=0):
    return np.roll(image, (dy, dx), axis=(0, 1))


# -- swim ---------------------------------------------------------------------------------


def test_swim_is_the_known_mismatch_of_two_translations():
    base = texture()
    plates = [shifted(base, 2 * t) for t in range(5)]  # the plate moves 2 px/frame
    outputs = [shifted(base, 3 * t, t) for t in range(5)]  # the output 3 px right, 1 down
    masks = [centre_mask(base.shape)] * 5
    result = im.swim(outputs, plates, masks)
    expected = np.hypot(3 - 2, 1 - 0)
    assert len(result.per_pair) == 4
    assert result.mean == pytest.approx(expected, abs=0.1)
    assert result.p95 == pytest.approx(expected, abs=0.1)


def test_swim_is_zero_for_the_plate_itself_and_nan_without_a_face():
    base = texture()
    plates = [shifted(base, t) for t in range(3)]
    masks = [centre_mask(base.shape)] * 3
    assert im.swim(plates, plates, masks).mean == pytest.approx(0.0, abs=1e-6)
    empty = [np.zeros(base.shape[:2], bool)] * 3
    assert np.isnan(im.swim(plates, plates, empty).mean)
    with pytest.raises(ValueError):
        im.swim(plates, plates[:2], masks)


def test_swim_p95_picks_the_worst_pairs():
    base = texture()
    steps = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]  # one 4 px jump in 20
    plates = [base] * 21
    outputs, x = [base], 0
    for s in steps:
        x += s
        outputs.append(shifted(base, x))
    result = im.swim(outputs, plates, [centre_mask(base.shape)] * 21)
    assert result.mean == pytest.approx(4 / 20, abs=0.05)
    # numpy's linear percentile over 19 zeros and one 4: rank 0.95 * 19 = 18.05 -> 0.05 * 4
    assert result.p95 == pytest.approx(0.2, abs=0.05)


# -- flicker and highlight ----------------------------------------------------------------


def test_flicker_of_an_alternating_lightness_offset_is_four_times_its_amplitude():
    plate = grey_image(120)
    codes = [140, 100] * 4
    outputs = [grey_image(c) for c in codes]
    masks = [np.ones((40, 50), bool)] * len(codes)
    d = [cie_lightness(c) - cie_lightness(120) for c in codes]
    second = [d[t + 1] - 2 * d[t] + d[t - 1] for t in range(1, len(d) - 1)]
    expected = (sum(s * s for s in second) / len(second)) ** 0.5
    assert im.flicker(outputs, [plate] * len(codes), masks) == pytest.approx(expected, abs=0.05)
    a = (cie_lightness(140) - cie_lightness(100)) / 2
    assert expected == pytest.approx(4 * a, rel=0.05)


def test_flicker_ignores_a_steady_drift():
    assert im.flicker_of([0.0, 0.5, 1.0, 1.5, 2.0]) == pytest.approx(0.0)
    assert np.isnan(im.flicker_of([1.0, 2.0]))


def test_highlight_is_the_difference_of_99th_percentile_lightness():
    plate = grey_image(100)
    output = grey_image(100)
    output[:10] = 180  # a quarter of the face is a bright highlight
    mask = np.ones((40, 50), bool)
    assert im.highlight(output, plate, mask) == pytest.approx(
        cie_lightness(180) - cie_lightness(100), abs=0.3
    )
    assert im.highlight(plate, plate, mask) == pytest.approx(0.0, abs=1e-6)


# -- detail -------------------------------------------------------------------------------


def test_detail_ratio_of_half_contrast_is_one_half_and_blur_lowers_it():
    plate = texture(sigma=1.2)
    mask = centre_mask(plate.shape, 5)
    half = (128 + (plate.astype(np.float32) - 128) * 0.5).round().astype(np.uint8)
    assert im.detail_ratio(half, plate, mask) == pytest.approx(0.5, abs=0.02)
    blurred = cv2.GaussianBlur(plate, (0, 0), 1.5)
    ratio = im.detail_ratio(blurred, plate, mask)
    assert ratio < 0.7
    assert im.detail_ratio(plate, blurred, mask) == pytest.approx(1 / ratio, rel=1e-6)


# -- grain --------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [2.0, 5.0])
def test_grain_level_measures_added_white_noise(sigma):
    rng = np.random.default_rng(11)
    ramp = np.tile(np.linspace(60, 180, 300, dtype=np.float32), (240, 1))  # a smooth gradient
    noisy = np.dstack([ramp + rng.normal(0, sigma * (1 + 0.5 * c), ramp.shape) for c in range(3)])
    image = np.clip(noisy.round(), 0, 255).astype(np.uint8)
    mask = np.ones(ramp.shape, bool)
    level = im.grain_level(image, im.flat_mask(image, mask))
    # rounding to integers adds a uniform error of variance 1/12
    expected = [np.sqrt((sigma * (1 + 0.5 * c)) ** 2 + 1 / 12) for c in range(3)]
    assert level == pytest.approx(expected, rel=0.07)


def test_grain_ratio_of_half_the_noise():
    rng = np.random.default_rng(5)
    base = np.full((200, 200, 3), 128.0)
    plate = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).round().astype(np.uint8)
    output = np.clip(base + rng.normal(0, 3, base.shape), 0, 255).round().astype(np.uint8)
    ratio = im.grain_ratio(output, plate, np.ones((200, 200), bool))
    expected = np.sqrt(9 + 1 / 12) / np.sqrt(36 + 1 / 12)
    assert ratio == pytest.approx([expected] * 3, rel=0.07)


def test_flat_mask_keeps_the_flattest_pixels_inside_the_mask():
    image = grey_image(100, (60, 60))
    image[:, 30:] = 200  # one hard edge
    mask = np.ones((60, 60), bool)
    flat = im.flat_mask(image, mask)
    assert not flat[:, 27:33].any()
    assert not flat[0].any() and not flat[:, 0].any()  # one pixel in from the mask's edge
    assert flat[1:-1, 1:20].all()
    assert not im.flat_mask(image, np.zeros((60, 60), bool)).any()


# -- openness -----------------------------------------------------------------------------


def hand_placed():
    p = np.zeros((68, 2))
    # left eye: corners 30 px apart, lids 12 px apart
    p[36], p[39] = (100, 100), (130, 100)
    p[37], p[38], p[41], p[40] = (108, 94), (122, 94), (108, 106), (122, 106)
    # right eye: corners 30 px apart, lids 6 px apart; outer corners 36-45 are 100 px apart
    p[42], p[45] = (170, 100), (200, 100)
    p[43], p[44], p[47], p[46] = (178, 97), (192, 97), (178, 103), (192, 103)
    # inner lips: gaps 10, 20, 10
    p[61], p[62], p[63] = (140, 200), (150, 200), (160, 200)
    p[67], p[66], p[65] = (140, 210), (150, 220), (160, 210)
    return p


def test_eye_openness_from_hand_placed_landmarks():
    assert im.eye_openness(hand_placed()) == pytest.approx((12 / 30 + 6 / 30) / 2)


def test_mouth_openness_from_hand_placed_landmarks():
    assert im.mouth_openness(hand_placed()) == pytest.approx((10 + 20 + 10) / 3 / 100)


def _edge_frames(hard: bool):
    """A grey plate (code 100) and an output brighter by 60 codes under a matte that ramps
    0 -> 1 over columns 40..80; with ``hard``, the brighter texture stops at column 60 (a
    warped texture's edge inside the soft matte), else it covers the whole ramp."""
    plate = grey_image(100, (60, 120))
    matte = np.clip((np.arange(120, dtype=np.float32) - 40) / 40, 0, 1)[None, :].repeat(60, 0)
    texture_on = np.ones_like(matte) if not hard else (np.arange(120) >= 60)[None, :] * 1.0
    face = np.where(texture_on[..., None] > 0, 160.0, 100.0).repeat(3, axis=2)
    output = np.rint(100 + matte[..., None] * (face - 100)).astype(np.uint8)
    return output, plate, matte


def test_hard_edge_sees_a_texture_that_stops_inside_the_matte():
    """The texture's step at column 60 is (matte 0.5) x 60 codes = 30 codes; Sobel/8 reads a
    step of h as h/2 per pixel on both sides of it, so the 99th percentile over the soft edge
    is half the L* step there; fading with the matte, the gradient is the L* change over the
    40-column ramp, an order of magnitude less."""
    output, plate, matte = _edge_frames(hard=True)
    step = cie_lightness(130) - cie_lightness(100)
    assert im.hard_edge(output, plate, matte) == pytest.approx(step / 2, rel=0.1)
    soft_out, _, _ = _edge_frames(hard=False)
    ramp = (cie_lightness(160) - cie_lightness(100)) / 40
    assert im.hard_edge(soft_out, plate, matte) <= 1.5 * ramp
    assert im.hard_edge(plate, plate, matte) == 0.0
    assert np.isnan(im.hard_edge(plate, plate, np.zeros_like(matte)))


@pytest.mark.parametrize("turn", [0, 1, 2, 3])
def test_hard_edge_sees_a_step_a_pixel_past_the_soft_edge_whichever_way_the_face_lies(turn):
    """The texture stops between columns 80 and 81, where the matte is already 1 (its soft
    edge, 0.02 < matte < 0.98, ends at column 79): the pixel next to the soft edge counts, so
    the measure is the step's (Sobel/8 reads a step of h as h/2 per pixel), the same with the
    frames turned by ``turn`` quarter turns (the face below, left of or above the edge)."""
    plate = grey_image(100, (60, 120))
    matte = np.clip((np.arange(120, dtype=np.float32) - 40) / 40, 0, 1)[None, :].repeat(60, 0)
    face = np.where(np.arange(120)[None, :, None] >= 81, 160.0, 100.0) * np.ones((60, 1, 3))
    output = np.rint(100 + matte[..., None] * (face - 100)).astype(np.uint8)
    output, plate, matte = (np.ascontiguousarray(np.rot90(a, turn))
                            for a in (output, plate, matte))
    step = cie_lightness(160) - cie_lightness(100)
    assert im.hard_edge(output, plate, matte) == pytest.approx(step / 2, rel=1e-4)


def test_grain_ratio_over_a_plate_without_grain_is_large_and_finite():
    """A perfectly flat plate (grain 0) against a grainy output: the ratio is the output's
    level over 1e-9 (huge, not a division by zero); flat against flat is 0."""
    rng = np.random.default_rng(6)
    plate = grey_image(128, (80, 80))
    output = np.clip(128 + rng.normal(0, 4, plate.shape), 0, 255).round().astype(np.uint8)
    mask = np.ones((80, 80), bool)
    ratio = im.grain_ratio(output, plate, mask)
    assert np.isfinite(ratio).all() and (ratio > 1e9).all()
    np.testing.assert_array_equal(im.grain_ratio(plate, plate, mask), 0.0)


def test_lightness_is_cie_lstar_on_both_segments_for_every_code():
    """Every neutral 8-bit code, the darkest (Y below (6/29)³, L* linear in Y) and the rest
    (cube root): L* as the sRGB and CIE formulas give it."""
    codes = np.arange(256, dtype=np.uint8)
    image = np.repeat(codes[None, :, None], 3, axis=2)
    expected = [cie_lightness(c) for c in range(256)]
    np.testing.assert_allclose(im.lightness(image)[0], expected, rtol=1e-12, atol=1e-12)


def test_flat_mask_leaves_out_the_masks_edge_on_every_side():
    """A flat grey image: every pixel is as flat as the next, so the flat pixels are all of
    the mask's but its one-pixel rim, on all four sides."""
    image = grey_image(90, (30, 40))
    mask = np.zeros((30, 40), bool)
    mask[5:25, 8:30] = True
    inner = np.zeros_like(mask)
    inner[6:24, 9:29] = True
    np.testing.assert_array_equal(im.flat_mask(image, mask), inner)
