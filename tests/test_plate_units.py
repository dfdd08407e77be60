"""The plate builder's parts one at a time (faceplate.demo.plates, plate_motion, plate_look),
on small synthetic inputs whose expected values are worked out here: gains and smoothstep
ramps by hand, the disc's rim from its distances, grain's spread from its definition, the
camera's similarity from the documented face size, place, shake, roll and zoom, a still whose
pixels are a formula so a rendered frame can be written down. Whole plates built and read back
(determinism, the header, real shake and speech): tests/test_plates.py."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from faceplate.demo.head_warp import HeadRig
from faceplate.demo.plate_look import (
    COOL,
    WARM,
    Look,
    add_grain,
    apply_light,
    defocus,
    disc_kernel,
    grain_field,
)
from faceplate.demo.plate_motion import (
    Handheld,
    Performance,
    Timeline,
    _blinks,
    _ease,
    _speech,
    _turns,
    build_timeline,
    pink_walk,
)
from faceplate.demo.plates import PlateRecipe, render_frame

# --- plate_look: exposure and light ------------------------------------------------------------


def test_exposure_is_in_stops_and_warm_light_multiplies_by_the_warm_gains():
    rgb = np.tile(np.array([0.1, 0.2, 0.3], np.float32), (2, 3, 1))
    out = apply_light(rgb, Look(exposure=1.5, light="warm"), 1.0, 1.0)
    assert out.dtype == np.float32 and out.shape == (2, 3, 3)
    # 2 ** 1.5 = 2.8284271; warm gains 1.30, 1.0, 0.62
    np.testing.assert_allclose(out[1, 2], [0.36769553, 0.56568542, 0.52608744], rtol=1e-6)
    half = apply_light(rgb, Look(exposure=-1.0), 1.0, 1.0)
    np.testing.assert_allclose(half, rgb / 2, rtol=1e-7)
    np.testing.assert_array_equal(apply_light(rgb, Look(), 1.0, 1.0), rgb)


def test_mixed_light_is_cool_fill_left_warm_key_right_with_a_smoothstep_across_the_face():
    """Face at x = 100, 100 px wide: the ramp runs from 30 to 170 (0.7 face widths each side);
    left of it 0.55 × cool, right of it 1.15 × warm, smoothstep between (k 0.25 -> 0.15625,
    k 0.5 -> 0.5)."""
    rgb = np.ones((3, 240, 3), np.float32)
    out = apply_light(rgb, Look(light="mixed"), 100.0, 100.0)
    fill = [0.78 * 0.55, 0.95 * 0.55, 1.25 * 0.55]
    key = [1.30 * 1.15, 1.0 * 1.15, 0.62 * 1.15]
    for x in (0, 29, 30):
        np.testing.assert_allclose(out[:, x], [fill] * 3, rtol=1e-6)
    for x in (170, 200, 239):
        np.testing.assert_allclose(out[:, x], [key] * 3, rtol=1e-6)
    np.testing.assert_allclose(out[1, 100], (np.array(fill) + key) / 2, rtol=1e-6)
    np.testing.assert_allclose(out[2, 65], 0.84375 * np.array(fill) + 0.15625 * np.array(key),
                               rtol=1e-6)
    np.testing.assert_allclose(out[0, 135], 0.15625 * np.array(fill) + 0.84375 * np.array(key),
                               rtol=1e-6)
    # the gains are the module's named colours
    np.testing.assert_allclose(WARM, [1.30, 1.0, 0.62])
    np.testing.assert_allclose(COOL, [0.78, 0.95, 1.25])


# --- plate_look: defocus ----------------------------------------------------------------------


def test_the_disc_is_anti_aliased_at_its_rim_and_normalised():
    """Radius 1: the centre 1, the four sides 0.5 (distance 1), the corners 1.5 - √2."""
    corner = 1.5 - math.sqrt(2.0)
    total = 1.0 + 4 * 0.5 + 4 * corner
    expected = np.array([[corner, 0.5, corner], [0.5, 1.0, 0.5], [corner, 0.5, corner]]) / total
    kernel = disc_kernel(1.0)
    assert kernel.dtype == np.float32
    np.testing.assert_allclose(kernel, expected, rtol=1e-6)
    # radius 2.5: 7×7, full weight within distance 2, nothing at distance 3
    big = disc_kernel(2.5)
    assert big.shape == (7, 7)
    assert big[3, 0] == 0.0 and big[3, 1] == big[3, 3] and big[0, 0] == 0.0
    assert big.sum() == pytest.approx(1.0, abs=1e-6)


def test_defocus_spreads_a_point_into_the_disc_with_mirrored_edges():
    rgb = np.zeros((9, 9, 3), np.float32)
    rgb[4, 4] = [1.0, 2.0, 4.0]
    out = defocus(rgb, 1.0)
    corner = 1.5 - math.sqrt(2.0)
    total = 3.0 + 4 * corner
    np.testing.assert_allclose(out[4, 4], np.array([1.0, 2.0, 4.0]) / total, rtol=1e-5)
    np.testing.assert_allclose(out[3, 4], np.array([0.5, 1.0, 2.0]) / total, rtol=1e-5)
    np.testing.assert_allclose(out[5, 5], np.array([1.0, 2.0, 4.0]) * corner / total, rtol=1e-5)
    assert np.all(out[:, :2] == 0.0) and np.all(out[:2] == 0.0)
    # a point in the corner: its mirror images (the edge repeated) land on it as well
    edge = np.zeros((9, 9, 3), np.float32)
    edge[0, 0] = 1.0
    np.testing.assert_allclose(defocus(edge, 1.0)[0, 0], (2.0 + corner) / total, rtol=1e-5)
    # radius 0 (and below) is sharp: the frame itself
    assert defocus(rgb, 0.0) is rgb and defocus(rgb, -1.0) is rgb


# --- plate_look: grain ------------------------------------------------------------------------


def _neighbour_correlation(noise: np.ndarray) -> float:
    a = noise[:, :-1].ravel().astype(np.float64)
    b = noise[:, 1:].ravel().astype(np.float64)
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize("size", [0.0, 0.7, 1.5])
def test_grain_has_unit_variance_per_channel_and_clumps_as_its_gaussian(size):
    """White noise filtered by a Gaussian of sigma s has neighbours correlated
    exp(-1 / (4 s²)) (0.600 at 0.7, 0.895 at 1.5; none unfiltered), and is brought back to
    unit variance."""
    noise = grain_field(np.random.default_rng(3), (300, 280), size)
    assert noise.shape == (300, 280, 3) and noise.dtype == np.float32
    inner = noise[10:-10, 10:-10]
    np.testing.assert_allclose(inner.std(axis=(0, 1)), 1.0, atol=0.04)
    expected = math.exp(-1.0 / (4.0 * size * size)) if size > 0 else 0.0
    for c in range(3):
        assert _neighbour_correlation(inner[..., c]) == pytest.approx(expected, abs=0.03)
    # the three channels are independent
    assert abs(np.corrcoef(inner[..., 0].ravel(), inner[..., 2].ravel())[0, 1]) < 0.03


def test_grain_is_relative_at_mid_grey_per_channel_and_grows_as_the_square_root():
    """Grain 0.05 on flat mid grey (0.18): sigma 0.05 × 0.18 × (1, 0.85, 1.35); at four times
    mid grey twice that; none on black or below; the mean left alone."""
    rgb = np.zeros((200, 300, 3), np.float32)
    rgb[:, :100] = 0.18
    rgb[:, 100:200] = 0.72
    rgb[:, 200:] = -0.5
    out = add_grain(rgb, Look(grain=0.05, grain_size=0.0), np.random.default_rng(11))
    assert out.dtype == np.float32
    delta = (out - rgb).astype(np.float64)
    per_channel = np.array([1.0, 0.85, 1.35])
    np.testing.assert_allclose(delta[:, :100].std(axis=(0, 1)), 0.05 * 0.18 * per_channel,
                               rtol=0.04)
    np.testing.assert_allclose(delta[:, 100:200].std(axis=(0, 1)), 0.1 * 0.18 * per_channel,
                               rtol=0.04)
    np.testing.assert_array_equal(out[:, 200:], rgb[:, 200:])
    assert np.all(np.abs(delta[:, :200].mean(axis=(0, 1))) < 0.001)
    # no grain asked: the frame itself
    assert add_grain(rgb, Look(grain=0.0), np.random.default_rng(0)) is rgb


# --- plate_motion: the walks and curves -------------------------------------------------------


def test_pink_walk_starts_at_zero_and_its_frame_steps_have_the_rms_asked():
    walk = pink_walk(np.random.default_rng(5), 50, 8, 2.0)
    assert walk.shape == (401,)
    assert walk[0] == 0.0
    steps = np.diff(walk[::8])
    assert math.sqrt(float(np.mean(steps**2))) == pytest.approx(2.0, rel=1e-12)
    assert np.all(pink_walk(np.random.default_rng(5), 50, 8, 0.0) == 0.0)
    assert pink_walk(np.random.default_rng(5), 0, 8, 2.0).tolist() == [0.0]


@pytest.mark.parametrize("seed", range(6))
def test_pink_walk_steps_alike_over_the_shot(seed):
    """Random phases: the frame steps are alike over the shot (no burst where every component
    lines up, as a walk of aligned phases has at its start): no step beyond 5 × their RMS, the
    two halves' RMS within a factor of 2."""
    steps = np.diff(pink_walk(np.random.default_rng(seed), 96, 8, 1.0)[::8])
    assert np.abs(steps).max() < 5.0
    ratio = math.sqrt(np.mean(steps[:48] ** 2) / np.mean(steps[48:] ** 2))
    assert 0.5 < ratio < 2.0


def test_pink_walk_has_a_one_over_f_amplitude_spectrum():
    """Its power falls as 1/f² (a slope of -2 in log-log, a random walk's), averaged over 16
    walks and fitted over the middle of the band."""
    rng = np.random.default_rng(8)
    power = np.zeros(257)
    for _ in range(16):
        walk = pink_walk(rng, 512, 1, 1.0)
        walk = (walk - np.linspace(walk[0], walk[-1], len(walk)))[:512]  # no end step
        power += np.abs(np.fft.rfft(walk)) ** 2
    f = np.arange(257)
    band = slice(4, 128)
    slope = np.polyfit(np.log(f[band]), np.log(power[band]), 1)[0]
    assert -2.4 < slope < -1.6


def test_ease_is_a_smoothstep_through_its_keys_and_flat_beyond_them():
    keys_t = np.array([0.0, 10.0, 20.0])
    keys_v = np.array([0.0, 4.0, -4.0])
    t = np.array([-5.0, 0.0, 2.5, 5.0, 10.0, 15.0, 17.5, 20.0, 25.0])
    # smoothstep 3s² - 2s³: s 0.25 -> 0.15625, 0.5 -> 0.5, 0.75 -> 0.84375
    expected = [0.0, 0.0, 0.625, 2.0, 4.0, 0.0, -2.75, -4.0, -4.0]
    np.testing.assert_allclose(_ease(keys_t, keys_v, t), expected, atol=1e-12)


def _timeline() -> Timeline:
    """Oversample 4 over 2 frames (9 samples); each series a different multiple of the squares."""
    squares = np.arange(9.0) ** 2
    return Timeline(4, *(k * squares for k in range(1, 12)))


def test_the_timeline_interpolates_between_samples_and_holds_its_ends():
    tl = _timeline()
    # frame 0.375 is sample 1.5: between 1 and 4, 2.5; frame 1 is sample 4: 16
    assert tl.camera(0.375) == (2.5, 5.0, 7.5, 10.0)
    assert tl.camera(-1.0) == (0.0, 0.0, 0.0, 0.0)
    assert tl.camera(5.0) == (64.0, 128.0, 192.0, 256.0)
    pose = tl.pose(1.0, 2.0)
    assert (pose.yaw, pose.pitch, pose.roll) == (80.0, 96.0, 112.0)
    assert pose.shift == (128.0 * 2.0, 144.0 * 2.0)  # sway in interocular distances
    expr = tl.expression(0.375)
    assert (expr.jaw, expr.lids) == (25.0, 27.5)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_speech_is_syllables_in_phrases_with_pauses(seed):
    """Jaw 0..1; the first syllable 2-6 frames in; within a phrase the gaps are at most 3
    frames, between phrases 0.3-0.8 s (7.2-19.2 frames at 24 fps, plus a gap); each syllable
    a raised cosine peaking 0.35-1 (its steepest step π × peak / length per frame); some
    open and close within 4 frames; 3-7 syllables a phrase."""
    over = 8
    jaw = _speech(np.random.default_rng(seed), 480, over, 24.0)
    t = np.arange(len(jaw)) / over
    assert jaw.shape == (480 * over + 1,)
    assert jaw.min() >= 0.0 and jaw.max() <= 1.0
    first = t[np.argmax(jaw > 0)]
    assert 2.0 < first <= 6.0 + 1.0 / over
    silences = [(b - a) / over for a, b in _runs(jaw == 0.0)[1:-1]]
    assert silences
    assert all(s <= 3.0 + 1.0 / over or 7.2 - 1.0 / over <= s <= 22.2 + 1.0 / over
               for s in silences), silences
    assert np.abs(np.diff(jaw)).max() <= math.pi / 3.0 / over
    # phrases: the stretches between pauses of more than 3 frames
    phrases = [(a, b) for a, b in _runs(jaw > 0.0)]
    merged: list[list[int]] = []
    for a, b in phrases:
        if merged and (a - merged[-1][1]) / over <= 3.0 + 1.0 / over:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    for a, b in merged[:-1]:  # the last may be cut by the shot's end
        piece = jaw[a:b]
        peaks = [i for i in range(1, len(piece) - 1)
                 if piece[i] > piece[i - 1] and piece[i] >= piece[i + 1]]
        assert 3 <= len(peaks) <= 7, (a, len(peaks))
        assert all(0.35 - 1e-3 <= piece[i] <= 1.0 for i in peaks)
    quick = [b - a for a, b in _runs(jaw > 0.0) if (b - a) / over <= 4.0]
    assert quick


def test_speech_mixes_quick_and_slow_syllables_about_half_and_half():
    """Syllables standing alone (one peak between silences): the quick ones 3 or 4 frames
    long, the slow 4.5-8; about half of each over 100 s (a quick one follows a slow one, and
    the other way, 7 times in 10)."""
    over = 8
    jaw = _speech(np.random.default_rng(4), 2400, over, 24.0)
    lengths = []
    for a, b in _runs(jaw > 0.0)[:-1]:
        piece = jaw[a:b]
        peaks = sum(1 for i in range(1, len(piece) - 1)
                    if piece[i] > piece[i - 1] and piece[i] >= piece[i + 1])
        if peaks == 1:
            lengths.append((b - a) / over)
    lengths_ = np.array(lengths)
    quick = lengths_[lengths_ <= 4.0 + 1.0 / over]
    slow = lengths_[lengths_ > 4.0 + 1.0 / over]
    assert np.all(quick >= 3.0 - 1.0 / over)
    assert np.all((slow >= 4.5 - 1.0 / over) & (slow <= 8.0))
    assert len(lengths_) > 100
    assert 0.35 < len(quick) / len(lengths_) < 0.65


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_blinks_close_in_a_frame_and_a_half_open_in_three_every_two_to_four_seconds(seed):
    over = 8
    lids = _blinks(np.random.default_rng(seed), 480, over, 24.0)
    assert lids.shape == (480 * over + 1,)
    assert lids.min() == 0.0 and lids.max() <= 1.0
    blinks = _runs(lids > 0.0)
    assert len(blinks) >= 4  # 20 s: one every 2-4 s
    starts = [a / over for a, _ in blinks]
    assert 0.3 * 24 - 1.5 <= starts[0] <= 1.5 * 24 - 1.5 + 1.0 / over
    gaps = np.diff(starts)
    assert np.all(gaps >= 48.0 - 1.0 / over) and np.all(gaps <= 96.0 + 1.0 / over)
    for a, b in blinks:
        piece = lids[a:b]
        if b == len(lids):  # cut by the shot's end
            continue
        assert 4.5 - 2.0 / over <= (b - a) / over <= 4.5
        assert piece.max() >= 1.0 - 1.0 / over / 1.5
        top = int(np.argmax(piece))  # the steps either side of the peak (across it left out)
        np.testing.assert_allclose(np.diff(piece[:top]), 1.0 / over / 1.5, rtol=1e-9)
        np.testing.assert_allclose(np.diff(piece[top + 1:]), -1.0 / over / 3.0, rtol=1e-9)


def test_blinks_come_between_two_and_four_seconds_apart_across_that_range():
    """Over 200 s (about 65 blinks) the intervals fill 2-4 s: some under 2.3 s, some over
    3.7 s, none outside."""
    lids = _blinks(np.random.default_rng(12), 4800, 4, 24.0)
    starts = np.array([a for a, _ in _runs(lids > 0.0)]) / 4
    gaps = np.diff(starts) / 24.0
    assert len(gaps) > 40
    assert gaps.min() < 2.3 and gaps.max() > 3.7
    assert gaps.min() >= 2.0 - 0.25 / 24 and gaps.max() <= 4.0 + 0.25 / 24


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_turns_reach_both_sides_and_hold_at_whole_and_half_turns(seed):
    """60 frames (2.5 s) at 24 fps, yaw 20: from 0, to +20 and -20 (either first), holding
    each key for 0.4 of a 0.6-1.4 s hold, only at 0, ±10 or ±20, never beyond."""
    over = 8
    yaw = _turns(np.random.default_rng(seed), 60, over, 24.0, 20.0)
    assert yaw.shape == (60 * over + 1,)
    assert yaw[0] == 0.0
    assert yaw.max() == 20.0 and yaw.min() == -20.0
    held = [yaw[a] for a, b in _runs(np.diff(yaw) == 0.0) if (b - a) / over >= 0.4 * 0.6 * 24 - 1]
    assert held and set(held) <= {0.0, 10.0, -10.0, 20.0, -20.0}
    # a turn eases over at least 0.36 s (8.64 frames), sub-frame by sub-frame: at most 40°
    # at smoothstep's steepest (1.5 × the mean slope) a sample
    assert np.abs(np.diff(yaw)).max() <= 1.5 * 40.0 / (0.6 * 0.6 * 24) / over
    assert np.all(_turns(np.random.default_rng(seed), 60, over, 24.0, 0.0) == 0.0)


def test_later_turns_go_to_any_of_the_five_places():
    """Over 20 s (about 20 turns) the head, after its first two turns, holds at each of 0,
    ±yaw/2 and ±yaw."""
    over = 8
    yaw = _turns(np.random.default_rng(21), 480, over, 24.0, 20.0)
    held = [(a, yaw[a]) for a, b in _runs(np.diff(yaw) == 0.0) if b - a >= 0.24 * 24 * over - 8]
    later = {value for _, value in held[2:]}
    assert later == {0.0, 10.0, -10.0, 20.0, -20.0}


def test_the_first_turn_goes_either_way():
    """Over ten seeds the head turns first to +yaw on some, to -yaw on others."""
    first = set()
    for seed in range(10):
        yaw = _turns(np.random.default_rng(seed), 60, 8, 24.0, 20.0)
        first.add(float(np.sign(yaw[np.flatnonzero(yaw != 0.0)[0]])))
    assert first == {1.0, -1.0}


def test_a_timeline_without_camera_or_performance_is_still():
    tl = build_timeline(3, 10, 24.0, 8, None, None)
    assert tl.oversample == 8
    for series in (tl.cam_x, tl.cam_y, tl.cam_roll, tl.yaw, tl.pitch, tl.roll, tl.shift_u,
                   tl.shift_v, tl.jaw, tl.lids):
        assert series.shape == (81,) and np.all(series == 0.0)
    assert np.all(tl.cam_zoom == 1.0) and tl.cam_zoom.shape == (81,)


def test_the_handheld_camera_shakes_rolls_and_zooms_as_asked():
    """Shake 3 px a frame split over x and y (3/√2 each), roll 0.5° a frame, zoom from 1 on
    the first frame to 1.2 on the last (frame 39) along e^1.5, held after."""
    tl = build_timeline(4, 40, 24.0, 8, Handheld(shake_px=3.0, roll_deg=0.5, zoom=1.2), None)

    def step_rms(series):
        return math.sqrt(float(np.mean(np.diff(series[::8]) ** 2)))

    assert step_rms(tl.cam_x) == pytest.approx(3.0 / math.sqrt(2.0), rel=1e-9)
    assert step_rms(tl.cam_y) == pytest.approx(3.0 / math.sqrt(2.0), rel=1e-9)
    assert step_rms(tl.cam_roll) == pytest.approx(0.5, rel=1e-9)
    assert not np.allclose(tl.cam_x, tl.cam_y)
    assert tl.cam_x[0] == tl.cam_y[0] == tl.cam_roll[0] == 0.0
    assert tl.cam_zoom[0] == 1.0
    assert tl.cam_zoom[39 * 8] == pytest.approx(1.2, abs=1e-12)
    assert tl.cam_zoom[40 * 8] == pytest.approx(1.2, abs=1e-12)
    # halfway (frame 19.5): 1 + 0.2 × 0.5^1.5
    assert tl.cam_zoom[156] == pytest.approx(1.0 + 0.2 * 0.5**1.5, abs=1e-12)
    assert np.all(tl.yaw == 0.0) and np.all(tl.jaw == 0.0)


def test_the_performance_reaches_its_amounts_and_its_switches_turn_parts_off():
    """The slow wanders (nod, roll, sway, half the sway down) peak at exactly their amount
    about a zero mean; pitch is held about its value; no talk, no jaw; no blinks, the lids
    held; with blinks, never less than the held lids."""
    p = Performance(yaw=10.0, nod=3.0, roll=2.0, sway=0.2, pitch=5.0, lids=0.3, talk=False,
                    blink=False)
    tl = build_timeline(6, 72, 24.0, 8, None, p)
    assert np.abs(tl.pitch - 5.0).max() == pytest.approx(3.0, rel=1e-12)
    assert np.mean(tl.pitch) == pytest.approx(5.0, abs=1e-9)
    assert np.abs(tl.roll).max() == pytest.approx(2.0, rel=1e-12)
    assert np.mean(tl.roll) == pytest.approx(0.0, abs=1e-9)
    assert np.abs(tl.shift_u).max() == pytest.approx(0.2, rel=1e-12)
    assert np.abs(tl.shift_v).max() == pytest.approx(0.1, rel=1e-12)
    assert np.abs(tl.yaw).max() == 10.0
    assert np.all(tl.jaw == 0.0)
    assert np.all(tl.lids == 0.3)
    assert np.all(tl.cam_x == 0.0) and np.all(tl.cam_zoom == 1.0)
    # the wanders are slow: a frame's step far below their reach
    assert np.abs(np.diff(tl.roll[::8])).max() < 0.5
    lively = build_timeline(6, 72, 24.0, 8, None, Performance(lids=0.3))
    assert lively.jaw.max() > 0.3 and lively.lids.min() == 0.3 and lively.lids.max() > 0.9
    assert np.array_equal(lively.yaw, build_timeline(6, 72, 24.0, 8, None, Performance()).yaw)
    assert not np.array_equal(lively.yaw, build_timeline(7, 72, 24.0, 8, None,
                                                         Performance()).yaw)


def test_the_defaults_are_the_documented_handheld_camera_performance_and_look():
    """Handheld: 2.5 px and 0.12° a frame, a zoom to 1.08, 180° shutter; a performance turning
    to ±28° with 3° of nod, 2° of roll, 0.12 interocular distances of sway, talking and
    blinking; a neutral look with no grain, fine clumps (0.7 px) if grain is asked."""
    assert Handheld() == Handheld(shake_px=2.5, roll_deg=0.12, zoom=1.08, shutter=180.0)
    assert Performance() == Performance(yaw=28.0, nod=3.0, roll=2.0, sway=0.12, pitch=0.0,
                                        lids=0.0, talk=True, blink=True)
    assert Look() == Look(exposure=0.0, light="neutral", defocus=0.0, grain=0.0,
                          grain_size=0.7)
    # a plate: 1280×720, 96 frames from 1001 at 24 fps, the face 270 px high a little above
    # the centre, handheld, performing, six samples over the shutter, seed 1
    assert PlateRecipe() == PlateRecipe(
        name="hh010", portrait="astronaut", size=(1280, 720), frames=96, first=1001, fps=24,
        face_px=270.0, face_at=(0.5, 0.47), camera=Handheld(), performance=Performance(),
        look=Look(), shutter_samples=6, seed=1)


# --- plates: a rendered frame written down ------------------------------------------------------

BLOBS = [(330.0, 380.0, 30.0, (0.9, 0.3, 0.1)), (470.0, 430.0, 25.0, (0.1, 0.8, 0.4)),
         (400.0, 560.0, 35.0, (0.3, 0.2, 0.9))]


def _still(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The synthetic still's RGB at still pixel (x, y): a grey slope and three soft blobs."""
    out = np.zeros((*np.shape(x), 3))
    out += (0.2 + 0.0004 * np.asarray(x) + 0.0002 * np.asarray(y))[..., None]
    for bx, by, sigma, colour in BLOBS:
        g = np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * sigma * sigma))
        out += g[..., None] * np.array(colour)
    return out


@pytest.fixture(scope="module")
def rig():
    """Biden's 68 stored landmarks on an 800×900 still whose pixels are :func:`_still`."""
    from faceplate.demo.plates import _portraits

    points = np.array(_portraits()["biden"]["landmarks68"], np.float64)
    ys, xs = np.mgrid[0:900, 0:800].astype(np.float64)
    return HeadRig(_still(xs, ys).astype(np.float32), points)


def _expected_frame(rig, recipe, timeline, centre, offsets):
    """The frame worked out: each sub-frame the plate pixel p shows the still at
    c + R⁻¹ (p - t), where R is the face's scale (face_px over the landmarks' height, times
    the zoom) turned by the camera's roll, t the face's place plus the shake, c the
    landmarks' centre; the sub-frames averaged."""
    w, h = recipe.size
    py, px = np.mgrid[0:h, 0:w].astype(np.float64)
    pts = rig.points
    c = (pts.min(axis=0) + pts.max(axis=0)) / 2.0
    acc = np.zeros((h, w, 3))
    for off in offsets:
        cx, cy, roll, zoom = timeline.camera(centre + off)
        s = recipe.face_px / rig.face_height * zoom
        a = math.radians(roll)
        dx = px - (recipe.face_at[0] * w + cx)
        dy = py - (recipe.face_at[1] * h + cy)
        # R⁻¹ = (1/s) × the turn by -a
        qx = c[0] + (math.cos(a) * dx + math.sin(a) * dy) / s
        qy = c[1] + (-math.sin(a) * dx + math.cos(a) * dy) / s
        acc += _still(qx, qy)
    return acc / len(offsets)


def test_a_handheld_frame_is_the_still_seen_through_the_moving_camera_over_the_shutter(rig):
    """Six sub-frames spread over the 180° shutter (frame ± 0.25), each the still under the
    camera's similarity at that instant, averaged."""
    recipe = PlateRecipe(portrait="biden", size=(96, 64), frames=4, face_px=120.0,
                         face_at=(0.45, 0.55), camera=Handheld(shake_px=10.0, roll_deg=4.0,
                                                               zoom=1.3),
                         performance=None, shutter_samples=6, seed=9)
    timeline = build_timeline(9, 4, 24.0, 8, recipe.camera, None)
    got = render_frame(rig, recipe, timeline, 2)
    assert got.shape == (64, 96, 3) and got.dtype == np.float32
    expected = _expected_frame(rig, recipe, timeline, 2, np.linspace(-0.25, 0.25, 6))
    np.testing.assert_allclose(got, expected, atol=2e-3)
    # a 90° shutter blurs less: sub-frames over frame ± 0.125
    narrow = render_frame(rig, replace(recipe, camera=Handheld(10.0, 4.0, 1.3, 90.0)),
                          timeline, 2)
    np.testing.assert_allclose(
        narrow, _expected_frame(rig, recipe, timeline, 2, np.linspace(-0.125, 0.125, 6)),
        atol=2e-3)


def test_a_locked_off_frame_is_one_sample_and_the_mixed_light_is_centred_on_the_face(rig):
    """No camera and no performance: one sample at the frame itself (no blur); the mixed
    light's ramp centred on the face's place (face_at × width) and as wide as the landmarks'
    width in frame pixels (their still width × face_px / face height) × 1.4."""
    recipe = PlateRecipe(portrait="biden", size=(96, 64), frames=2, face_px=120.0,
                         face_at=(0.5, 0.5), camera=None, performance=None,
                         look=Look(light="mixed"), shutter_samples=6)
    timeline = build_timeline(1, 2, 24.0, 8, None, None)
    got = render_frame(rig, recipe, timeline, 1)
    unlit = _expected_frame(rig, recipe, timeline, 1, [0.0])
    scale = 120.0 / rig.face_height
    face_w = float(np.ptp(rig.points[:, 0])) * scale
    x = np.arange(96.0)
    k = np.clip((x - (48.0 - 0.7 * face_w)) / (1.4 * face_w), 0.0, 1.0)
    k = k * k * (3.0 - 2.0 * k)
    gain = (np.array([0.78, 0.95, 1.25]) * 0.55 * (1.0 - k)[:, None]
            + np.array([1.30, 1.0, 0.62]) * 1.15 * k[:, None])
    np.testing.assert_allclose(got, unlit * gain[None], atol=2e-3)


def test_the_look_is_lit_then_defocused_then_grained(rig):
    """The grain stays sharp on a defocused plate: laid after the blur, its neighbours are
    correlated as its own clumps say (none at size 0), not as the disc would make them."""
    base = dict(portrait="biden", size=(160, 120), frames=1, face_px=120.0, camera=None,
                performance=None)
    timeline = build_timeline(1, 1, 24.0, 8, None, None)
    soft = render_frame(rig, PlateRecipe(**base, look=Look(defocus=3.0)), timeline, 0)
    grainy = render_frame(
        rig, PlateRecipe(**base, look=Look(defocus=3.0, grain=0.05, grain_size=0.0)),
        timeline, 0)
    noise = (grainy - soft)[..., 1]
    assert noise.std() > 0.002
    assert abs(_neighbour_correlation(noise)) < 0.1
    # exposure comes before the grain: a stop up doubles the signal, the grain grows √2
    brighter = render_frame(
        rig, PlateRecipe(**base, look=Look(exposure=1.0, defocus=3.0, grain=0.05,
                                           grain_size=0.0)), timeline, 0)
    assert (brighter - 2 * soft)[..., 1].std() == pytest.approx(math.sqrt(2) * noise.std(),
                                                                 rel=0.05)
    # the grain is seeded by the recipe's seed and the frame: the same again, another frame
    # or seed other grain
    recipe = PlateRecipe(**{**base, "frames": 2}, look=Look(grain=0.05, grain_size=0.0))
    two = build_timeline(1, 2, 24.0, 8, None, None)
    first = render_frame(rig, recipe, two, 0)
    assert np.array_equal(render_frame(rig, recipe, two, 0), first)
    second = render_frame(rig, recipe, two, 1)
    other_seed = render_frame(rig, replace(recipe, seed=2), two, 0)
    assert not np.array_equal(second, first) and not np.array_equal(other_seed, first)


# --- plates: what is written ----------------------------------------------------------------------


def _face_height(points: np.ndarray) -> float:
    """The landmarks' extent across the eye line (brows to chin), worked out here: the axis
    perpendicular to the line between the eye centres (points 36-41 and 42-47)."""
    left, right = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    ex = (right - left) / np.linalg.norm(right - left)
    ey = np.array([-ex[1], ex[0]])
    return float(np.ptp(points @ ey))


def test_a_built_plate_is_named_numbered_described_and_leaves_no_temporaries(tmp_path):
    import OpenImageIO as oiio

    from faceplate.demo.plates import _portraits, build_plate

    recipe = PlateRecipe(name="u1", portrait="biden", size=(64, 36), frames=2, first=7,
                         face_px=40.0, camera=None, performance=None)
    built = build_plate(recipe, tmp_path / "plates")
    assert built.frames == [7, 8] and built.colorspace == "ACEScg"
    assert built.frame(7) == tmp_path / "plates" / "u1.0007.exr"
    assert sorted(p.name for p in (tmp_path / "plates").iterdir()) == [
        "u1.0007.exr", "u1.0008.exr", "u1.truth.json"]
    portrait = _portraits()["biden"]
    spec = oiio.ImageInput.open(str(built.frame(8))).spec()
    assert spec.getattribute("Copyright") == portrait["licence"]
    assert spec.getattribute("ImageDescription") == (
        f"faceplate test plate u1 built from {portrait['origin']}")
    assert list(spec.channelnames) == ["R", "G", "B"]
    truth = json.loads(built.truth.read_text(encoding="utf-8"))
    assert truth["recipe"]["name"] == "u1" and truth["recipe"]["first"] == 7
    assert [f["frame"] for f in truth["frames"]] == [7, 8]
    points = np.array(portrait["landmarks68"], np.float64)
    scale = 40.0 / _face_height(points)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2.0
    for frame in truth["frames"]:
        assert (frame["yaw"], frame["pitch"], frame["roll"], frame["shift"]) == (0, 0, 0, [0, 0])
        assert (frame["jaw"], frame["lids"]) == (0, 0)
        camera = np.array(frame["camera"])
        np.testing.assert_allclose(camera[:, :2], [[scale, 0.0], [0.0, scale]], rtol=1e-9)
        np.testing.assert_allclose(camera @ [*centre, 1.0], [32.0, 0.47 * 36], atol=1e-9)


def test_the_portrait_is_converted_from_srgb_to_acescg_through_the_pinned_config():
    """Mid sRGB grey decodes to 0.2140 ((0.555 / 1.055)^2.4) and stays grey; the sRGB primaries
    land on the published Rec.709-to-AP1 matrix's columns (Bradford, D65 to D60)."""
    from faceplate.demo.plates import PINNED_OCIO, _Colour

    colour = _Colour(PINNED_OCIO)
    np.testing.assert_allclose(colour.colour((0.5, 0.5, 0.5)), [0.21404114] * 3, atol=2e-5)
    primaries = np.array([colour.colour(c) for c in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]).T
    np.testing.assert_allclose(primaries, [[0.6130974, 0.3395231, 0.0473795],
                                           [0.0701937, 0.9163539, 0.0134524],
                                           [0.0206156, 0.1095698, 0.8698147]], atol=5e-4)


def test_a_config_that_cannot_convert_is_a_colour_error(tmp_path):
    """A config file that is not there (OCIO's ExceptionMissingFile is no ocio.Exception) and
    one without the portrait's colourspace (a raw config) are both ColourErrors."""
    import PyOpenColorIO as ocio

    from faceplate.demo.plates import _Colour
    from faceplate.errors import ColourError

    with pytest.raises(ColourError, match="cannot convert 'sRGB Encoded Rec.709 .sRGB.' to "
                                          "'ACEScg' with '.*missing.ocio'"):
        _Colour(str(tmp_path / "missing.ocio"))
    raw = tmp_path / "raw.ocio"
    raw.write_text(ocio.Config.CreateRaw().serialize(), encoding="utf-8")
    with pytest.raises(ColourError, match="with '.*raw.ocio'"):
        _Colour(str(raw))


def test_a_frame_that_cannot_be_written_is_an_os_error_leaving_nothing(tmp_path):
    from faceplate.demo.plates import _spec, _write

    spec = _spec(PlateRecipe(size=(4, 2)), {"licence": "l", "origin": "o"})
    with pytest.raises(OSError, match="cannot write .*x.0001.exr.tmp.exr"):
        _write(tmp_path / "gone" / "x.0001.exr", spec, np.zeros((2, 4, 3), np.float32))
    _write(tmp_path / "x.0001.exr", spec, np.full((2, 4, 3), 0.25, np.float32))
    assert [p.name for p in tmp_path.iterdir()] == ["x.0001.exr"]


def test_an_upscaled_rig_is_the_still_twice_as_large_with_its_landmarks_moved_to_match():
    """Pixel centres: still x maps to 2x + 0.5 (the centre of pixel 0 at 0.5 of the larger)."""
    from faceplate.demo.plates import PINNED_OCIO, _Colour, _portraits, load_rig

    colour = _Colour(PINNED_OCIO)
    points = np.array(_portraits()["astronaut"]["landmarks68"], np.float64)
    plain = load_rig("astronaut", colour)
    big = load_rig("astronaut", colour, upscale=2)
    assert plain.image.shape == (512, 512, 3) and big.image.shape == (1024, 1024, 3)
    np.testing.assert_array_equal(plain.points, points)
    np.testing.assert_allclose(big.points, points * 2.0 + 0.5, rtol=1e-12)
    assert big.image.dtype == np.float32 and big.image.min() >= 0.0 and big.image.max() < 1.1


def test_the_truth_is_in_the_portraits_pixels_whatever_the_still_was_enlarged_by(tmp_path):
    """The astronaut's face (90 px) magnified 1.67 times is rendered from a still enlarged
    twice, 1.11 times from the still itself: both truths' cameras take the portrait's stored
    landmarks' centre to the face's place at face_px over their height, and the head's sway
    (the same seed, the same curves) is the same number of portrait pixels in both."""
    from faceplate.demo.plates import _portraits, build_plate

    points = np.array(_portraits()["astronaut"]["landmarks68"], np.float64)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2.0
    sway = Performance(yaw=0.0, nod=0.0, roll=0.0, sway=0.3, talk=False, blink=False)
    shifts = []
    for face_px in (150.0, 100.0):
        recipe = PlateRecipe(name=f"t{face_px:.0f}", portrait="astronaut", size=(48, 32),
                             frames=2, face_px=face_px, camera=None, performance=sway,
                             shutter_samples=1, seed=5)
        truth = json.loads(build_plate(recipe, tmp_path).truth.read_text(encoding="utf-8"))
        scale = face_px / _face_height(points)
        for frame in truth["frames"]:
            camera = np.array(frame["camera"])
            np.testing.assert_allclose(camera[:, :2], [[scale, 0.0], [0.0, scale]], rtol=1e-9)
            np.testing.assert_allclose(camera @ [*centre, 1.0], [24.0, 0.47 * 32], atol=1e-9)
        shifts.append([frame["shift"] for frame in truth["frames"]])
    np.testing.assert_allclose(shifts[0], shifts[1], rtol=1e-9)
    assert np.abs(shifts[0]).max() > 1.0
