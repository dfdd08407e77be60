"""The plate-look parts one at a time, on small synthetic images whose expected values are
worked out here: the sRGB curve's published constants, Gaussian blurs done by OpenCV at full
size, Immerkær's noise estimate written out, smoothstep ramps on Lab offsets set by hand.
The same parts on real faces: tests/test_plate_look.py and tests/test_plate_eyes.py."""

from __future__ import annotations

import zlib
from dataclasses import FrozenInstanceError

import cv2
import numpy as np
import pytest

from faceplate.face import light, sharpness
from faceplate.face.grain import (
    Grain,
    Regrainer,
    flat_pixels,
    frame_seed,
    measure_grain,
    noise_level,
)

REC709 = np.array([0.2126, 0.7152, 0.0722])


def srgb_decode(c: np.ndarray) -> np.ndarray:
    """The sRGB standard's (IEC 61966-2-1) decoding, in float64."""
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb_encode(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def immerkaer(channel: np.ndarray, where: np.ndarray) -> float:
    """Immerkær's sigma: sqrt(pi/2)/6 × mean |[[1,-2,1],[-2,4,-2],[1,-2,1]] * image|, the
    response worked out from the shifted image (edges mirrored, as OpenCV's reflect)."""
    p = np.pad(np.asarray(channel, np.float64), 1, mode="symmetric")
    h, w = channel.shape
    c = lambda dy, dx: p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]  # noqa: E731
    response = (c(-1, -1) + c(-1, 1) + c(1, -1) + c(1, 1)
                - 2 * (c(-1, 0) + c(1, 0) + c(0, -1) + c(0, 1)) + 4 * c(0, 0))
    return float(np.sqrt(np.pi / 2) / 6 * np.abs(response)[where].mean())


# --- light: the sRGB curve --------------------------------------------------------------------

def test_the_srgb_curve_has_the_standards_values_on_both_segments():
    """Encoded 0.02 and 0.04045 lie on the linear segment (÷12.92), 0.5 and 1 on the power
    one; linear 0.001 and 0.0031308 encode ×12.92, 0.214 and 1 by the power; negatives are
    clipped to 0 both ways."""
    encoded = np.array([-0.1, 0.02, 0.04045, 0.2, 0.5, 1.0], np.float32)
    np.testing.assert_allclose(light.to_linear(encoded), srgb_decode(np.maximum(encoded, 0)),
                               rtol=2e-6, atol=1e-9)
    linear = np.array([-0.1, 0.001, 0.0031308, 0.05, 0.214, 1.0], np.float32)
    np.testing.assert_allclose(light.to_encoded(linear), srgb_encode(np.maximum(linear, 0)),
                               rtol=2e-6, atol=1e-9)
    assert light.to_linear(encoded).dtype == np.float32
    assert light.to_encoded(linear).dtype == np.float32


# --- light: the blurs --------------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [3.0, 7.9, 8.0, 13.0, 30.0])
def test_the_wide_gaussian_is_a_full_size_gaussian_with_zeros_beyond_the_edges(sigma):
    """A hard-edged 0/1 square off-centre (and a second channel of a smooth ramp): within
    0.006 of OpenCV's full-size Gaussian with a constant 0 border, below 8 px (two steps)
    the full-size blur itself."""
    image = np.zeros((90, 130, 2), np.float32)
    image[10:50, 70:125, 0] = 1.0
    image[..., 1] = np.linspace(0.0, 1.0, 130, dtype=np.float32)[None, :]
    expected = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    out = light.wide_gaussian(image, sigma)
    assert out.shape == image.shape and out.dtype == np.float32
    tolerance = 1e-6 if sigma < 8 else 0.006
    np.testing.assert_allclose(out, expected, atol=tolerance)
    grey = light.wide_gaussian(image[..., 0], sigma)
    np.testing.assert_allclose(grey, expected[..., 0], atol=tolerance)


@pytest.mark.parametrize("sigma", [2.0, 20.0])
def test_the_masked_lowpass_keeps_what_lies_outside_the_weights_out(sigma):
    """Weights 1 on the left 40 columns, 0 beyond; the image 0.3 (and 0.3, 0.6, 0.9) on the
    left, 50 on the right: the low-pass is the left's value on every pixel the weights'
    blur reaches, and 0 where it reaches none."""
    shape = (60, 200)
    weights = np.zeros(shape, np.float32)
    weights[:, :40] = 1.0
    grey = np.where(weights > 0, 0.3, 50.0).astype(np.float32)
    out = light.masked_lowpass(grey, weights, sigma)
    reached = cv2.GaussianBlur(weights, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT) > 1e-3
    np.testing.assert_allclose(out[reached], 0.3, rtol=1e-4)
    colour = np.where(weights[..., None] > 0, np.float32([0.3, 0.6, 0.9]), 50.0)
    out3 = light.masked_lowpass(colour.astype(np.float32), weights, sigma)
    np.testing.assert_allclose(out3[reached], np.broadcast_to([0.3, 0.6, 0.9],
                                                              out3[reached].shape), rtol=1e-4)
    if sigma == 2.0:
        assert (out[:, 100:] == 0).all() and (out3[:, 100:] == 0).all()


# --- light: relighting ------------------------------------------------------------------------

def _chequer(a: np.ndarray, b: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    yy, xx = np.indices(shape)
    return np.where(((yy + xx) % 2 == 0)[..., None], a, b).astype(np.float32)


def _expected_relit(a_lin: np.ndarray, b_lin: np.ndarray, plate_lin: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The documented model worked out for a two-colour chequer (its shading is the mean of
    the two at any blur this wide): detail = colour / mean, its lightness (Rec.709) kept
    whole, each channel's tint (detail / lightness, held to 0.5..2) kept to the power 0.7,
    the detail held to 0.05..4; the plate's light times that."""
    mean = (a_lin + b_lin) / 2
    out = []
    for colour in (a_lin, b_lin):
        detail = np.clip(colour / mean, 0.05, 4.0)
        lightness = np.clip(detail @ REC709, 0.05, 4.0)
        tint = np.clip(detail / lightness, 0.5, 2.0) ** 0.7
        out.append(srgb_encode(plate_lin * lightness * tint))
    return out[0], out[1]


@pytest.mark.parametrize("a_lin, b_lin", [
    ((0.30, 0.20, 0.10), (0.10, 0.20, 0.30)),   # a warm and a cool pixel, one mean grey
    ((0.002, 0.002, 0.002), (0.398, 0.398, 0.398)),  # a near-black hole: detail floored
    ((0.40, 0.02, 0.02), (0.02, 0.02, 0.40)),  # saturated red and blue: tints held to 0.5..2
])
def test_relight_gives_the_plates_light_times_the_faces_detail(a_lin, b_lin):
    """A face that is a one-pixel chequer of two colours (linear ``a_lin``, ``b_lin``) on a
    plate of one flat colour, inside a box of weights 1 with the face's own values around
    it: inside, each pixel is the plate's colour times its detail as the model says; on
    the weights' 0 pixels (in the box's rows and outside them) the face is unchanged."""
    shape = (70, 90)
    a, b = np.float64(a_lin), np.float64(b_lin)
    face = light.to_encoded(_chequer(a, b, shape))
    plate_lin = np.float64([0.25, 0.12, 0.05])
    plate = np.broadcast_to(light.to_encoded(plate_lin.astype(np.float32)),
                            shape + (3,)).astype(np.float32)
    weights = np.zeros(shape, np.float32)
    weights[10:60, 20:80] = 1.0
    weights[30, 40] = 0.0  # a hole inside the box
    out = light.relight(face, plate, weights, face_size=100.0)
    want_a, want_b = _expected_relit(srgb_decode(face[0, 0]), srgb_decode(face[0, 1]),
                                     srgb_decode(plate[0, 0]))
    inside = weights > 0
    even = (np.indices(shape).sum(axis=0) % 2 == 0)
    np.testing.assert_allclose(out[inside & even], np.broadcast_to(want_a, out[inside & even]
                                                                   .shape), atol=2e-3)
    np.testing.assert_allclose(out[inside & ~even], np.broadcast_to(want_b, out[inside & ~even]
                                                                    .shape), atol=2e-3)
    np.testing.assert_array_equal(out[~inside], face[~inside])


def test_relight_works_on_the_box_of_its_weights_and_keeps_the_face_elsewhere():
    """Relit over the weights' box alone: inside it, what relighting the box cut out gives;
    outside it, the face's own values (its shading is computed on that box, not the image)."""
    rng = np.random.default_rng(1)
    face = rng.random((300, 280, 3)).astype(np.float32)
    plate = rng.random((300, 280, 3)).astype(np.float32)
    weights = np.zeros((300, 280), np.float32)
    weights[80:200, 70:190] = 1.0
    weights[120:140, 100:120] = 0.0  # a hole inside the box
    out = light.relight(face, plate, weights, 120.0)
    box = (slice(80, 200), slice(70, 190))
    np.testing.assert_array_equal(out[box], light.relight(face[box], plate[box], weights[box],
                                                          120.0))
    outside = np.ones(weights.shape, bool)
    outside[box] = False
    np.testing.assert_array_equal(out[outside], face[outside])


def test_relight_follows_the_plates_light_at_a_third_of_the_face_size():
    """A flat grey face on a plate lit 0.05 linear on the left half and 0.4 on the right:
    the face takes the plate's light blurred by a Gaussian of 0.3 × face size, normalised
    over the weights (OpenCV's full-size blur of plate × weights over that of the weights);
    no weights, the face unchanged."""
    shape = (80, 160)
    face = np.full(shape + (3,), 0.5, np.float32)
    plate_lin = np.where(np.arange(160)[None, :, None] < 80, 0.05, 0.4) * np.ones(shape + (3,))
    plate = srgb_encode(plate_lin).astype(np.float32)
    weights = np.zeros(shape, np.float32)
    weights[5:75, 10:150] = 1.0
    out = light.relight(face, plate, weights, face_size=40.0)
    sigma = 0.3 * 40.0
    box = (slice(5, 75), slice(10, 150))
    num = cv2.GaussianBlur(srgb_decode(plate[box]).astype(np.float32), (0, 0), sigma,
                           borderType=cv2.BORDER_CONSTANT)
    den = cv2.GaussianBlur(np.ones((70, 140), np.float32), (0, 0), sigma,
                           borderType=cv2.BORDER_CONSTANT)
    expected = srgb_encode(num / den[..., None])
    np.testing.assert_allclose(out[box], expected, atol=0.01)
    assert out[40, 12, 0] < 0.35 and out[40, 148, 0] > 0.6
    np.testing.assert_array_equal(out[:5], face[:5])
    empty = light.relight(face, plate, np.zeros(shape, np.float32), face_size=40.0)
    np.testing.assert_array_equal(empty, face)


# --- sharpness -----------------------------------------------------------------------------------

def test_mean_abs_laplacian_of_a_single_spike():
    """One pixel of 1 in zeros: the four-neighbour Laplacian is -4 there and 1 on each
    neighbour, so the mean |Laplacian| over those five pixels is 8/5, over the spike alone 4
    (grey weights 0.299, 0.587, 0.114 of a white spike sum to 1)."""
    grey = np.zeros((9, 9), np.float32)
    grey[4, 4] = 1.0
    cross = np.zeros((9, 9), bool)
    cross[4, 3:6] = cross[3:6, 4] = True
    assert sharpness.mean_abs_laplacian(grey, cross) == pytest.approx(8 / 5)
    spike = np.zeros((9, 9, 3), np.float32)
    spike[4, 4] = (0.0, 1.0, 0.0)
    centre = np.zeros((9, 9), bool)
    centre[4, 4] = True
    assert sharpness.mean_abs_laplacian(sharpness._grey(spike), centre) == pytest.approx(
        4 * 0.587, rel=1e-6)


def test_blur_is_a_gaussian_and_a_negative_sigma_an_unsharp_mask():
    """Sigma 0 leaves the image; 1.5 is OpenCV's Gaussian (mirrored edges); -0.6 is the image
    plus 0.6 × (image - its Gaussian of radius 1)."""
    rng = np.random.default_rng(2)
    image = rng.random((24, 30, 3)).astype(np.float32)
    np.testing.assert_array_equal(sharpness.blur(image, 0.0), image)
    np.testing.assert_allclose(
        sharpness.blur(image, 1.5),
        cv2.GaussianBlur(image, (0, 0), 1.5, borderType=cv2.BORDER_REFLECT), atol=1e-6)
    soft = cv2.GaussianBlur(image, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
    np.testing.assert_allclose(sharpness.blur(image, -0.6), image + 0.6 * (image - soft),
                               atol=1e-6)


def test_too_few_pixels_to_measure_ask_for_no_blur():
    """15 pixels to measure over give 0 (no change); 16 measure (a plate blurred by 2 px
    asks for a blur)."""
    rng = np.random.default_rng(4)
    face = rng.random((60, 60, 3)).astype(np.float32)
    plate = sharpness.blur(face, 2.0)
    where = np.zeros((60, 60), bool)
    where[30, 20:35] = True
    assert sharpness.matching_blur(face, plate, where) == 0.0
    where[31, 20] = True
    assert sharpness.matching_blur(face, plate, where) > 1.0


@pytest.mark.parametrize("known", [0.45, 1.23, 2.71, -0.37])
def test_the_matching_blur_is_read_between_its_bisections_steps(known):
    """A plate blurred (or sharpened) by a known amount between the bisection's steps (5
    halvings: 0.16 px apart on the blur side) is matched to within 0.03 px: the value is
    read off between the bracket's measured ends."""
    rng = np.random.default_rng(8)
    face = cv2.GaussianBlur(rng.random((120, 120, 3)).astype(np.float32), (0, 0), 1.0)
    where = np.zeros((120, 120), bool)
    where[25:95, 25:95] = True
    found = sharpness.matching_blur(face, sharpness.blur(face, known), where)
    assert found == pytest.approx(known, abs=0.03)


def test_the_matching_blur_near_the_frames_edge_and_with_a_finish():
    """A face region by the image's corner (the crop cut by the frame) finds the known blur
    of 1.2 px; with a finish that doubles the face's contrast before measuring, the plate
    blurred by 1.2 needs a stronger blur (the finish is applied and cropped with the face)."""
    rng = np.random.default_rng(5)
    face = cv2.GaussianBlur(rng.random((140, 140, 3)).astype(np.float32), (0, 0), 0.7)
    plate = sharpness.blur(face, 1.2)
    where = np.zeros((140, 140), bool)
    where[2:50, 3:60] = True
    assert sharpness.matching_blur(face, plate, where) == pytest.approx(1.2, abs=0.15)

    class Double:
        cropped = 0

        def __call__(self, image: np.ndarray) -> np.ndarray:
            return image * 2.0

        def crop(self, rows: slice, cols: slice) -> Double:
            Double.cropped += 1
            return self

    assert sharpness.matching_blur(face, plate, where, Double()) > 1.6
    assert Double.cropped == 1


# --- grain -------------------------------------------------------------------------------------

def test_noise_level_is_immerkaers_estimate():
    """On white noise of sigma 0.03 over a smooth ramp, the level over the inner pixels is
    Immerkær's estimate worked out here, about 0.03."""
    rng = np.random.default_rng(8)
    ramp = np.linspace(0.2, 0.6, 120, dtype=np.float32)[None, :] * np.ones((100, 1), np.float32)
    channel = ramp + rng.normal(0, 0.03, (100, 120)).astype(np.float32)
    where = np.zeros((100, 120), bool)
    where[0:90, 5:120] = True  # the edges included: mirrored as OpenCV's reflect does
    level = noise_level(channel, where)
    assert level == pytest.approx(immerkaer(channel, where), rel=1e-5)
    assert level == pytest.approx(0.03, rel=0.08)


def test_flat_pixels_are_the_flattest_share_one_pixel_inside_the_region():
    """A region whose left half is flat (grain only) and right half a steep ramp: the flat
    pixels are half the region's inner pixels (one in from its edge), all on the flat half;
    with share 0.25 a quarter; a region of under 64 inner pixels is returned whole."""
    rng = np.random.default_rng(9)
    shape = (80, 120)
    grey = np.where(np.arange(120)[None, :] < 60, 0.4, 0.4 + 0.02 * (np.arange(120) - 60))
    image = np.repeat((grey + rng.normal(0, 0.002, shape))[..., None], 3, axis=2)
    image = image.astype(np.float32)
    region = np.zeros(shape, np.float32)
    region[20:60, 20:100] = 1.0
    inner = np.zeros(shape, bool)
    inner[21:59, 21:99] = True
    flat = flat_pixels(image, region)
    assert not (flat & ~inner).any()
    assert abs(int(flat.sum()) - inner.sum() // 2) <= 2
    assert flat[:, 64:].sum() == 0
    assert abs(int(flat_pixels(image, region, 0.25).sum()) - inner.sum() // 4) <= 2
    small = np.zeros(shape, np.float32)
    small[30:39, 30:39] = 1.0  # 7 × 7 = 49 inner pixels
    small_inner = np.zeros(shape, bool)
    small_inner[31:38, 31:38] = True
    np.testing.assert_array_equal(flat_pixels(image, small), small_inner)
    assert measure_grain(image, small) is None


@pytest.mark.parametrize("have, want, size", [(0.0, 0.02, 0.0), (0.01, 0.02, 0.0),
                                               (0.03, 0.02, 0.0), (0.0, 0.02, 0.75),
                                               (0.005, 0.02, 1.3)])
def test_regraining_brings_the_level_to_the_plates(have, want, size):
    """Grey 0.5 carrying white grain of ``have`` regrained to ``want`` (per channel ×1,
    ×0.5, ×1.5) clumped by ``size`` px: each channel's Immerkær level (worked out here) over
    the flat pixels reads that (grain already there counted); a channel already grainier is
    left as it is."""
    rng = np.random.default_rng(12)
    shape = (96, 96)
    image = (0.5 + rng.normal(0, have, shape + (3,))).astype(np.float32) if have else \
        np.full(shape + (3,), 0.5, np.float32)
    where = np.zeros(shape, bool)
    where[8:88, 8:88] = True
    grain = Grain((want, want * 0.5, want * 1.5), size)
    regrained = Regrainer(grain, where, seed=3, shape=shape)(image)
    for c in range(3):
        before = immerkaer(image[..., c], where)
        after = immerkaer(regrained[..., c], where)
        if before >= grain.level[c]:
            np.testing.assert_array_equal(regrained[..., c], image[..., c])
        else:
            assert after == pytest.approx(grain.level[c], rel=0.12), (c, after)
    few = np.zeros(shape, bool)
    few[10:17, 10:19] = True  # 63 pixels: too few to measure, nothing laid
    np.testing.assert_array_equal(Regrainer(grain, few, 3, shape)(image), image)


def test_regraining_a_crop_lays_the_same_grain_as_the_whole():
    """The regrainer cut to a crop gives, on that crop of the image, what it gives on the
    whole image there (the fields and the flat pixels cut alike)."""
    rng = np.random.default_rng(13)
    shape = (80, 100)
    image = (0.4 + rng.normal(0, 0.002, shape + (3,))).astype(np.float32)
    where = np.zeros(shape, bool)
    where[20:60, 30:80] = True
    whole = Regrainer(Grain((0.02, 0.02, 0.02), 0.6), where, 5, shape)
    rows, cols = slice(10, 70), slice(20, 90)
    np.testing.assert_allclose(whole.crop(rows, cols)(image[rows, cols]),
                               whole(image)[rows, cols], atol=1e-6)


def test_the_frame_seed_is_the_crc_of_its_bytes():
    image = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    assert frame_seed(image) == zlib.crc32(image.tobytes())
    assert frame_seed(image[:, ::-1]) == zlib.crc32(np.ascontiguousarray(image[:, ::-1])
                                                    .tobytes())


# --- hair ----------------------------------------------------------------------------------------

def _layout_face(scale: float = 100.0, centre: tuple[float, float] = (130.0, 140.0)
                 ) -> np.ndarray:
    """faceplate's canonical layout scaled into an image, with 10 iris points at the eyes."""
    from faceplate.face.mesh import LIDS, layout
    face = np.asarray(layout().canonical, np.float64)
    irises = [np.repeat(face[list(lids)].mean(axis=0)[None], 5, axis=0) for lids in LIDS]
    return np.vstack([face, *irises]) * scale + (centre[0], centre[1], 0.0)


_SKIN_RGB = np.float32([0.8, 0.6, 0.5])


def _skin_lab() -> np.ndarray:
    """CIE Lab (D65) of :data:`_SKIN_RGB` from the published sRGB transforms."""
    from colour_reference import linear_rec709_to_lab
    return linear_rec709_to_lab(srgb_decode(_SKIN_RGB))


@pytest.mark.parametrize("offset, std, expected", [
    ((0.0, 0.0, 0.0), (8.0, 4.0, 4.0), 0.0),          # the skin's own colour
    ((0.0, -2.9 * 4, 0.0), (8.0, 4.0, 4.0), 0.0),     # 2.9 sigmas off in a*: still skin
    ((0.0, -3.75 * 4, 0.0), (8.0, 4.0, 4.0), 0.5),    # halfway up the 3..4.5 ramp
    ((0.0, 0.0, 3.75 * 4), (8.0, 4.0, 4.0), 0.5),     # the same in b*
    ((0.0, 3 * 4, -3 * 4), (8.0, 4.0, 4.0), 0.921),   # 3√2 = 4.24 sigmas: both axes count
    ((0.0, -3.75 * 3, 0.0), (8.0, 1.0, 1.0), 0.5),    # a spread under 3 counts as 3
    ((0.0, -5 * 4, 0.0), (8.0, 4.0, 4.0), 1.0),       # far off: hair
    ((2.5 * 8, 0.0, 0.0), (8.0, 4.0, 4.0), 0.5),      # 2.5 L* sigmas darker than the skin
    ((2.5 * 6, 0.0, 0.0), (2.0, 4.0, 4.0), 0.5),      # an L* spread under 6 counts as 6
    ((-4 * 8, 0.0, 0.0), (8.0, 4.0, 4.0), 0.0),       # lighter than the skin: not hair
    ((3.2 * 8, 0.0, 0.0), (8.0, 4.0, 4.0), 1.0),      # far darker: hair
])
def test_the_hair_mask_is_the_colours_distance_from_the_skin_on_ramps(offset, std, expected):
    """A plate of one skin colour, judged against skin statistics set off from that colour's
    Lab by hand: inside the hair zone (a few pixels in from its edge) the mask is the
    smoothstep of the chroma distance in a*, b* sigmas (3 to 4.5) or of how many L* sigmas
    darker the skin's mean is (2 to 3); outside the zone 0; no value between 0 and 1/1024."""
    from faceplate.face.colour_match import LabStats
    from faceplate.face.hair import hair_mask, hair_zone
    points = _layout_face()
    plate = np.broadcast_to(_SKIN_RGB, (280, 260, 3)).astype(np.float32)
    mean = _skin_lab() + np.array(offset)
    out = hair_mask(plate, points, LabStats(tuple(mean), tuple(std)))
    zone = hair_zone(points, plate.shape[:2]) > 0
    interior = cv2.erode(zone.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert interior.sum() > 500
    np.testing.assert_allclose(out[interior], expected, atol=0.03)
    assert (out[~cv2.dilate(zone.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)]
            == 0).all()
    assert ((out == 0) | (out >= 1 / 1024)).all()


def test_the_hair_mask_judged_on_the_zones_box_is_the_mask_judged_on_the_whole_plate(
        monkeypatch):
    """The mask is judged on the hair zone's box grown by the two blurs' reach: on a textured
    plate it is the mask judged on the whole plate, value for value (a reach short of the blurs'
    would change the zone's edge)."""
    from faceplate.face import hair
    from faceplate.face.colour_match import LabStats
    points = _layout_face(centre=(200.0, 210.0))
    rng = np.random.default_rng(3)
    plate = np.clip(_SKIN_RGB + rng.normal(0.0, 0.08, (420, 400, 3)), 0, 1).astype(np.float32)
    skin = LabStats(tuple(_skin_lab()), (8.0, 4.0, 4.0))
    boxed = hair.hair_mask(plate, points, skin)
    whole = (slice(0, plate.shape[0]), slice(0, plate.shape[1]))
    monkeypatch.setattr(hair, "nonzero_box", lambda mask, reach=0: whole)
    judged_whole = hair.hair_mask(plate, points, skin)
    assert np.count_nonzero(boxed) > 0 and boxed.max() > 0.5  # some hair is found
    np.testing.assert_array_equal(boxed, judged_whole)


def test_the_hair_zone_is_the_forehead_and_temples_grown_by_a_25th_of_the_face():
    """On the layout's face: the zone holds the top of the forehead (mesh point 10) and the
    temples' outline points, not the eyes, nose tip or mouth; it reaches 0.04 face sizes
    past its triangles (the zone of a face moved by that much still overlaps the first's
    top edge) and is 0/1; a face off the image gives an empty mask."""
    from faceplate.face.colour_match import LabStats
    from faceplate.face.hair import hair_mask, hair_zone
    from faceplate.face.mesh import EYE_CORNERS, NOSE_TIP, face_size
    points = _layout_face()
    zone = hair_zone(points, (280, 260))
    assert set(np.unique(zone)) == {0.0, 1.0}
    at = lambda i: zone[round(points[i, 1]), round(points[i, 0])]  # noqa: E731
    assert at(10) == 1.0
    for i in (NOSE_TIP, 13, 14, *EYE_CORNERS[0], *EYE_CORNERS[1]):
        assert at(i) == 0.0, i
    top = int(np.flatnonzero(zone.any(axis=1))[0])
    highest = float(points[:468, 1].min())  # the zone reaches the outline's top, grown
    pad = round(0.04 * face_size(points))
    assert pad >= 3
    assert highest - pad - 1.5 <= top <= highest - pad + 1.5
    off = points + (1000.0, 0.0, 0.0)
    assert not hair_zone(off, (280, 260)).any()
    skin = LabStats(tuple(_skin_lab()), (8.0, 4.0, 4.0))
    assert not hair_mask(np.zeros((280, 260, 3), np.float32), off, skin).any()


def test_a_dark_patch_inside_the_forehead_alone_is_not_hair_but_strands_over_the_outline_are():
    """On a plate of the skin's colour, a dark disc on the middle of the forehead (a mole, a
    wrinkle's shadow) changes nothing in the hair mask, while a dark strand drawn from above
    the outline's top (mesh point 10) down into the forehead is hair all along, inside the
    outline too."""
    from faceplate.face.colour_match import LabStats
    from faceplate.face.hair import hair_mask, hair_zone
    points = _layout_face()
    skin = LabStats(tuple(_skin_lab()), (8.0, 4.0, 4.0))
    bare = np.broadcast_to(_SKIN_RGB, (280, 260, 3)).astype(np.float32)
    dark = (0.25, 0.2, 0.15)
    mid = tuple(round(v) for v in points[151, :2])  # the forehead's middle
    zone = hair_zone(points, bare.shape[:2])
    assert zone[mid[1], mid[0]] == 1.0
    mole = bare.copy()
    cv2.circle(mole, mid, 4, dark, -1)
    assert not hair_mask(bare, points, skin).any()
    np.testing.assert_array_equal(hair_mask(mole, points, skin), 0.0)
    top = points[10, :2]
    start, end = (int(top[0]), int(top[1]) - 2), (int(top[0]) + 45, int(top[1]) + 30)
    strand = np.zeros(bare.shape[:2], np.uint8)
    cv2.line(strand, start, end, 1, 3)
    both = mole.copy()
    both[strand > 0] = dark
    found = hair_mask(both, points, skin)
    inside = cv2.erode(strand, np.ones((3, 3), np.uint8)) > 0
    inside &= zone > 0
    below = np.zeros_like(inside)
    below[int(top[1]) + 10:] = True  # well inside the outline, whose top is point 10
    assert (inside & below).sum() > 15
    assert found[inside & below].min() > 0.9
    np.testing.assert_array_equal(found[mid[1] - 6:mid[1] + 7, mid[0] - 6:mid[0] + 7], 0.0)


# --- the plate's eyes ----------------------------------------------------------------------------

def _lids_opened(points: np.ndarray, factors: tuple[float, float]) -> np.ndarray:
    """``points`` with each eye's lids moved off its corner line by ``factor`` times their
    distance (the opening scales by it)."""
    from faceplate.face.mesh import EYE_CORNERS, LIDS
    out = np.array(points, np.float64)
    for eye, factor in enumerate(factors):
        a, b = out[EYE_CORNERS[eye][0], :2], out[EYE_CORNERS[eye][1], :2]
        axis = (b - a) / np.linalg.norm(b - a)
        lids = [i for i in LIDS[eye] if i not in EYE_CORNERS[eye]]
        offsets = out[lids, :2] - a
        along = np.outer(offsets @ axis, axis)
        out[lids, :2] = a + along + factor * (offsets - along)
    return out


@pytest.mark.parametrize("factors, lowered, wider", [
    ((0.925, 1.0), 0.5, 0.0),     # the less open eye 7.5 % less: halfway up 0..15 %
    ((1.0, 0.9625), 0.15625, 0.0),  # 3.75 %: a quarter up, smoothstep 0.156
    ((1.55, 1.55), 0.0, 0.5),     # both 1.55 times as open: halfway up 1.45..1.65
    ((1.45, 1.75), 0.0, 0.84375),  # their mean 1.6: three quarters up, smoothstep 0.844
    ((0.8, 2.6), 1.0, 1.0),       # one lowered, the mean far wider: both
])
def test_the_plates_eyes_weigh_in_smoothly_between_the_thresholds(factors, lowered, wider):
    """The layout's face as the source, its lids opened by ``factors`` as the plate:
    ``lowered`` is the smoothstep of 1 - the least open eye's ratio over 0..0.15, ``wider``
    of the mean ratio over 1.45..1.65 (worked out by hand)."""
    from faceplate.face.eyes import plate_eye_weight
    from faceplate.face.mesh import eye_openings
    source = _layout_face()
    plate = _lids_opened(source, factors)
    np.testing.assert_allclose(np.array(eye_openings(plate)) / eye_openings(source), factors,
                               rtol=1e-9)
    weight = plate_eye_weight(plate, source)
    assert weight.lowered == pytest.approx(lowered, abs=1e-9)
    assert weight.wider == pytest.approx(wider, abs=1e-9)


def test_a_closed_source_eye_counts_as_a_thousandth_open():
    """A source whose eyes are closed (opening 0): the plate's ratio is its opening over
    0.001, so any open plate eye is far wider."""
    from faceplate.face.eyes import plate_eye_weight
    source = _lids_opened(_layout_face(), (0.0, 0.0))
    weight = plate_eye_weight(_layout_face(), source)
    assert (weight.lowered, weight.wider) == (0.0, 1.0)


# --- the swapper's parts -------------------------------------------------------------------------

def test_identity_geometry_moves_the_inner_face_by_the_weighted_step_and_eyes_whole():
    """The layout's face as the target; the source the same face with its lower half 5 px to
    the right and its image-left lower lid 2 px lower (the skull's rigid points untouched, so
    the pose fit is exact): at amount 0.8 each point moves 0.8 × its identity weight × its
    step (the inner face 4 px, the outline not at all), each eye's lids and iris by their lids' mean
    step, depth the target's; amount 0 or below gives the target itself."""
    from faceplate.face.mesh import LEFT_IRIS, LEFT_LOWER_LID, LIDS, RIGHT_IRIS, rigid_points
    from faceplate.face.regions import identity_weights
    from faceplate.face.swapper import identity_geometry
    target = _layout_face()
    source = target.copy()
    lower = np.zeros(478, bool)  # the face below the upper lip: no rigid point
    lower[:468] = True
    lower[list(rigid_points())] = False
    source[lower, 0] += 5.0
    lowered = [i for i in LEFT_LOWER_LID if i not in rigid_points()]
    source[lowered, 1] += 2.0
    assert lowered and identity_weights()[lower].max() == 1.0
    moved = identity_geometry(target, source, 0.8)
    step = np.zeros((478, 2))
    step[lower, 0] = 5.0
    step[lowered, 1] = 2.0
    expected = target[:, :2] + 0.8 * identity_weights()[:, None] * step
    for lids, iris in ((list(LIDS[0]), list(LEFT_IRIS)), (list(LIDS[1]), list(RIGHT_IRIS))):
        eye_step = (0.8 * identity_weights()[lids, None] * step[lids]).mean(axis=0)
        assert np.abs(eye_step).max() > 0.1  # the lids moved: a step to check
        expected[lids] = target[lids, :2] + eye_step
        expected[iris] = target[iris, :2] + eye_step
    np.testing.assert_allclose(moved[:, :2], expected, atol=1e-6)
    np.testing.assert_array_equal(moved[:, 2], target[:, 2])
    inner = np.flatnonzero(lower & (identity_weights() == 1.0))
    np.testing.assert_allclose(moved[inner, 0], target[inner, 0] + 4.0, atol=1e-6)
    assert identity_geometry(target, source, 0.0) is target
    assert identity_geometry(target, source, -0.5) is target


def test_an_adjusted_swapper_changes_only_what_it_is_given():
    """A reviewer's override: the matte's feather, erode and blend softness and the identity
    amount are taken, anything else named is ignored, the rest kept; no values, the swapper
    itself."""
    from faceplate.face.matte import MatteSettings
    from faceplate.face.swapper import ReferenceSwapper
    swapper = ReferenceSwapper(MatteSettings(feather=0.05), identity_amount=0.6)
    assert swapper.adjusted({}) is swapper
    changed = swapper.adjusted({"erode": 0.01, "blend_softness": 0.02, "mouth_open_threshold":
                                0.5, "unknown": 1.0})
    assert changed.settings == MatteSettings(erode=0.01, feather=0.05, blend_softness=0.02)
    assert changed.identity_amount == 0.6
    amount = swapper.adjusted({"identity_amount": 0.3, "feather": 0.1})
    assert (amount.identity_amount, amount.settings.feather) == (0.3, 0.1)


def _textured(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """A smooth random colour picture in 0.2..0.8 (skin-like detail, no flat areas)."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.random(shape + (3,)).astype(np.float32), (0, 0), 3.0)
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    return (0.2 + 0.6 * noise).astype(np.float32)


def test_a_sources_own_face_is_feathered_and_leaves_out_a_ring_around_its_mouth():
    """The source's alpha (what of it is pasted): soft at its edge (feathered by a third of the
    matte's softness), and cut a ring of 1% of the face size around its mouth opening, so the
    warp's lips never sample the teeth: the cut's soft edge is centred on the ring's outer
    edge, so over the ring's outer half less than half is kept."""
    from faceplate.face.matte import mouth_mask
    from faceplate.face.mesh import face_size
    from faceplate.face.swapper import SourceFace
    shape = (840, 800)
    points = _layout_face(scale=300.0, centre=(400.0, 420.0))
    alpha = SourceFace("synthetic", _textured(1, shape), points, np.zeros(128)).layers[..., 3]
    assert ((alpha > 0.05) & (alpha < 0.95)).sum() > 1000  # a feathered edge, not a cut
    ring = max(1, round(0.01 * face_size(points)))
    assert ring >= 3
    mouth = mouth_mask(points, shape)
    distance = cv2.distanceTransform((mouth < 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    outer_half = (distance > ring / 2) & (distance <= ring)
    assert outer_half.sum() > 100
    assert alpha[outer_half].mean() < 0.45, alpha[outer_half].mean()
    # the opening itself: a ring's width (a sigma) inside the cut's soft edge, under its tail
    assert alpha[mouth > 0.5].max() < 0.2


@pytest.mark.parametrize("open_", [False, True])
def test_the_swap_cuts_the_mouth_out_only_when_it_is_open(open_):
    """A synthetic face (the layout's mesh on a textured picture) swapped onto another: the
    layout's mouth is open (an inner-lip gap of 0.125 eye widths, above the 0.06 threshold):
    the swap says so and the matte is about 0 in the middle of its opening; with the jaw
    raised to close the lips (on the source too) the matte covers the mouth (no seam along
    the lips; the source's own lip line, left out of its texture, softened: about 0.6)."""
    from faceplate.face.mesh import mouth_opening
    from faceplate.face.swapper import ReferenceSwapper, SourceFace
    shape = (280, 260)
    points = _layout_face()
    if not open_:
        lips = (points[13, 1] + points[14, 1]) / 2
        points[points[:, 1] > lips, 1] -= points[14, 1] - points[13, 1]
    assert (mouth_opening(points) > 0.06) == open_
    source = SourceFace("synthetic", _textured(1, shape), points, np.zeros(128))
    result = ReferenceSwapper().swap(_textured(2, shape), points, source)
    assert result.mouth_open == open_
    middle = np.round((points[13, :2] + points[14, :2]) / 2).astype(int)
    covered = result.matte[middle[1], middle[0]]
    assert covered < 0.05 if open_ else covered > 0.5, covered
    assert result.matte[round(points[4, 1]), round(points[4, 0])] > 0.9  # the nose: swapped
    with pytest.raises(FrozenInstanceError):  # a result is a value: never changed later
        result.mouth_open = not open_  # type: ignore[misc]


def _flat_on_the_whole_image(image: np.ndarray, region: np.ndarray, share: float) -> np.ndarray:
    """The flat pixels by their definition, on the whole image (no crop): the region one
    pixel in, the ``share`` of its pixels with the lowest Sobel gradient magnitude of the
    grey levels smoothed by a Gaussian of sigma 2."""
    inner = cv2.erode((region > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    smooth = cv2.GaussianBlur(image.mean(axis=2).astype(np.float32), (0, 0), 2.0)
    magnitude = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    return inner & (magnitude <= np.quantile(magnitude[inner], share))


@pytest.mark.parametrize("box", [(0, 30, 0, 40), (50, 90, 70, 110), (20, 60, 30, 70)])
def test_flat_pixels_found_on_the_regions_box_are_those_of_the_whole_image(box):
    """A textured image with lines 10⁴ times as bright 9 and 10 pixels past each side of a
    region's inner pixels (the smoothing and Sobel reach 9: at 9 px the Gaussian's tail,
    10⁻⁴, still shows): the flat pixels, found on the region's box, are those the
    definition gives on the whole image, for a region in a corner, at the far corner and in
    the middle."""
    top, bottom, left, right = box
    image = _textured(4, (90, 110))
    for d in (8, 9):  # the inner pixels lie one in from the region's edge
        for row in (top - d, bottom - 1 + d):
            if 0 <= row < 90:
                image[row] = 1e4
        for col in (left - d, right - 1 + d):
            if 0 <= col < 110:
                image[:, col] = 1e4
    region = np.zeros((90, 110), np.float32)
    region[top:bottom, left:right] = 1.0
    for share in (0.5, 0.3):
        np.testing.assert_array_equal(flat_pixels(image, region, share),
                                      _flat_on_the_whole_image(image, region, share))


@pytest.mark.parametrize("scale", [100.0, 40.0])
def test_the_hair_mask_is_softened_by_a_200th_of_the_face(scale):
    """A plate far off the skin's colour (all hair): the mask is the hair zone blurred by a
    Gaussian of 0.005 face sizes (at least 0.5 px: a small face), values under 1/1024 set
    to 0."""
    from faceplate.face.colour_match import LabStats
    from faceplate.face.hair import hair_mask, hair_zone
    from faceplate.face.mesh import face_size
    points = _layout_face(scale, (130.0, 140.0))
    plate = np.broadcast_to(_SKIN_RGB, (280, 260, 3)).astype(np.float32)
    skin = LabStats(tuple(_skin_lab() + (0.0, 40.0, 0.0)), (8.0, 4.0, 4.0))
    zone = hair_zone(points, plate.shape[:2])
    sigma = max(0.005 * face_size(points), 0.5)
    assert (sigma == 0.5) == (scale == 40.0)
    expected = cv2.GaussianBlur(zone, (0, 0), sigma)
    expected[expected < 1 / 1024] = 0.0
    np.testing.assert_allclose(hair_mask(plate, points, skin), expected, atol=1e-5)


@pytest.fixture(scope="module")
def synthetic_source():
    from faceplate.face.swapper import SourceFace
    return SourceFace("synthetic", _textured(1, (280, 260)), _layout_face(), np.zeros(128))


@pytest.mark.parametrize("target_scale, expected", [(100.0, 1.0), (81.0, 1.0), (79.0, 0.9875),
                                                    (50.0, 0.625), (20.0, 0.25)])
def test_the_source_is_prefiltered_to_a_quarter_above_the_targets_size(synthetic_source,
                                                                        target_scale, expected):
    """A source face 100 layout units across on a target of ``target_scale``: at 0.81 of
    its size (0.8 or more) the source's own layers and mesh are used; smaller, both are scaled to
    1.25 × the target's size (area-averaged: no aliasing in the warp)."""
    from faceplate.face.swapper import ReferenceSwapper
    source = synthetic_source
    layers, landmarks = ReferenceSwapper()._scaled_source(source, _layout_face(target_scale))
    if expected == 1.0:
        assert layers is source.layers and landmarks is source.landmarks
        return
    np.testing.assert_allclose(landmarks, source.landmarks * expected, rtol=1e-12)
    np.testing.assert_array_equal(layers, cv2.resize(source.layers, None, fx=expected,
                                                     fy=expected, interpolation=cv2.INTER_AREA))


def test_speculars_are_judged_against_a_neighbourhood_of_a_20th_of_the_face():
    """Skin (0.3, 0.2, 0.14 linear) with its right half lit twice as bright (skin-coloured,
    broad: not a highlight) and a skin-coloured spot 1.6x as bright as the skin around it:
    the lit half, 3 neighbourhoods (sigma 0.05 face sizes) from its edge, is unchanged; the
    spot, above the skin's knee of 1.3, is rolled off to 1.3 to 1.35 times its surroundings
    (all channels alike: its colour kept); a 6-pixel white spot of 3x is
    taken down to about 1.05x, its own brightness (clipped, twice) hardly raising its
    reference (measured once, 1.13x)."""
    skin = np.array([0.3, 0.2, 0.14], np.float32)
    image = np.tile(skin, (100, 160, 1)).astype(np.float32)
    image[:, 80:] *= 2.0
    image[30:34, 30:34] *= 1.6
    luminance = float(skin @ REC709)
    image[60:66, 25:31] = 3 * luminance
    out = light.remove_speculars(image, np.ones((100, 160), np.float32), face_size=100.0)
    np.testing.assert_allclose(out[:, 96:150], image[:, 96:150], rtol=1e-5)
    spot = out[32, 32]
    # its surroundings: the skin, raised about 3 % by the spot itself clipped at the knee
    assert 1.3 * luminance <= spot @ REC709 <= 1.35 * luminance * 1.05
    np.testing.assert_allclose(spot / spot.sum(), skin / skin.sum(), rtol=1e-5)
    assert out[63, 28] @ REC709 <= 1.08 * luminance  # 1.05, and its clipped self around it


@pytest.mark.parametrize("size", [0.45, 0.75, 1.6])
def test_the_grain_of_a_region_off_the_images_top_left_is_measured(size):
    """Grey 0.4 with grain clumped by ``size`` px (white noise under OpenCV's Gaussian), its
    Immerkær level set to 0.02 (worked out here on an independent field), in a region in the
    image's bottom-right quarter: the level reads 0.02 and the clump size ``size``."""
    rng = np.random.default_rng(21)
    shape = (240, 260)
    reference = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), size)
    scale = 0.02 / immerkaer(reference, np.ones(shape, bool))
    image = np.dstack([0.4 + scale * cv2.GaussianBlur(
        rng.standard_normal(shape).astype(np.float32), (0, 0), size) for _ in range(3)])
    region = np.zeros(shape, np.float32)
    region[130:235, 140:255] = 1.0
    grain = measure_grain(image.astype(np.float32), region)
    assert grain is not None
    np.testing.assert_allclose(grain.level, 0.02, rtol=0.12)
    assert grain.size == pytest.approx(size, abs=0.2)


def test_a_soft_region_counts_where_it_is_above_one_half():
    """A region of 1 inside a ring of exactly 0.5 and one of 0.7: the flat pixels are those
    of the region above 0.5 (the 0.5 ring left out, the 0.7 one in)."""
    image = _textured(7, (80, 100))
    soft = np.zeros((80, 100), np.float32)
    soft[10:70, 10:90] = 0.5
    soft[20:60, 20:80] = 0.7
    soft[25:55, 25:75] = 1.0
    np.testing.assert_array_equal(flat_pixels(image, soft), flat_pixels(image, soft > 0.5))


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_the_matching_blur_sees_exactly_as_far_as_a_measure_reaches(side):
    """A plate as soft as the widest blur (4.9 px: the bisection tries up to 4.96, whose
    kernel reaches 20 px) and a line 10⁶ bright beside the measured region: 21 px from it
    (the blur's 20 px and the Laplacian's 1) it changes the blur found, as it changes the
    measure on the whole image; 22 px away it changes nothing."""
    rng = np.random.default_rng(6)
    face = cv2.GaussianBlur(rng.random((150, 150, 3)).astype(np.float32), (0, 0), 0.7)
    plate = sharpness.blur(face, 4.9)
    where = np.zeros((150, 150), bool)
    where[50:100, 50:100] = True

    def with_line(distance: int) -> np.ndarray:
        out = face.copy()
        at = {"left": 50 - distance, "right": 99 + distance, "top": 50 - distance,
              "bottom": 99 + distance}[side]
        if side in ("left", "right"):
            out[:, at] = 1e6
        else:
            out[at] = 1e6
        return out

    plain = sharpness.matching_blur(face, plate, where)
    assert sharpness.matching_blur(with_line(21), plate, where) != plain
    assert sharpness.matching_blur(with_line(22), plate, where) == plain


@pytest.mark.parametrize("axis", [0, 1])
def test_the_matching_blur_by_the_frames_edge_sees_its_first_row_and_column(axis):
    """The measured region 5 px from the frame's top (or left) edge, the plate as soft as the
    widest blur: a line 10⁶ bright on the frame's first row (column) changes the blur
    found."""
    rng = np.random.default_rng(6)
    face = cv2.GaussianBlur(rng.random((100, 100, 3)).astype(np.float32), (0, 0), 0.7)
    plate = sharpness.blur(face, 4.9)
    where = np.zeros((100, 100), bool)
    where[5:60, 5:60] = True
    lined = face.copy()
    if axis == 0:
        lined[0] = 1e6
    else:
        lined[:, 0] = 1e6
    assert sharpness.matching_blur(lined, plate, where) != sharpness.matching_blur(face, plate,
                                                                                   where)


def test_eight_bit_views_round_to_nearest_and_clip_nan_and_inf():
    from faceplate.face.image8 import to_uint8
    values = np.array([np.nan, np.inf, -np.inf, -0.2, 1.3, 100.4 / 255, 100.6 / 255, 1.0, 0.0],
                      np.float32)
    rgb = np.repeat(values[:, None], 3, axis=1).reshape(1, -1, 3)
    out = to_uint8(rgb)
    assert out.dtype == np.uint8 and out.shape == rgb.shape and out.flags.c_contiguous
    assert out[0, :, 0].tolist() == [0, 255, 0, 0, 255, 100, 101, 255, 0]
    assert np.array_equal(out[..., 1], out[..., 0]) and np.array_equal(out[..., 2], out[..., 0])
