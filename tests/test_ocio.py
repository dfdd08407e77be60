import numpy as np
import pytest
from colour_reference import (
    AP1_TO_AP0,
    AP1_TO_AP0_PUBLISHED,
    REC709_TO_AP1,
    acescct_encode,
    acescg_to_lab,
    logc4_encode,
    srgb_encode,
)

from faceplate.errors import ColourError
from faceplate.ocio import PINNED_CONFIG, resolve_config
from faceplate.ocio.colour import apply_rgb
from faceplate.ocio.config import choose_config
from faceplate.ocio.display import display_processor, resolve_display_view, to_display


def test_precedence_spec_then_env_then_pinned():
    env = {"OCIO": "ocio://cg-config-v2.1.0_aces-v1.3_ocio-v2.3"}
    assert choose_config("ocio://x", env).origin == "spec"
    assert choose_config(None, env).uri == env["OCIO"]
    assert choose_config(None, env).origin == "$OCIO"
    assert choose_config(None, {}).uri == PINNED_CONFIG
    assert choose_config(None, {}).origin == "pinned"


def test_env_config_is_loaded(tmp_path):
    config, choice = resolve_config(None, {"OCIO": "ocio://cg-config-v2.1.0_aces-v1.3_ocio-v2.3"})
    assert choice.origin == "$OCIO"
    assert "ACEScg" in list(config.getColorSpaceNames())


def test_unknown_builtin_config_is_an_error_not_a_fallback():
    with pytest.raises(ColourError, match="unknown built-in OCIO config 'ocio://no-such-config'"):
        resolve_config("ocio://no-such-config", {})


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ColourError, match="file not found"):
        resolve_config(None, {"OCIO": str(tmp_path / "missing.ocio")})


@pytest.mark.parametrize("space", ["sRGB Encoded Rec.709 (sRGB)", "ARRI LogC4", "ACES2065-1"])
def test_round_trip_through_working_space(colour, space):
    rng = np.random.default_rng(1)
    data = (rng.random((64, 64, 3)) * 8).astype(np.float32)
    there = colour.convert(data, "ACEScg", space)
    back = colour.convert(there, space, "ACEScg")
    np.testing.assert_allclose(back, data, rtol=1e-4, atol=1e-5)
    assert not np.allclose(there, data)


def test_processors_are_built_once(colour):
    first = colour.processor("ACEScg", "sRGB Encoded Rec.709 (sRGB)")
    assert colour.processor("lin_ap1", "srgb_tx") is first


@pytest.mark.parametrize("plate_space", ["ACEScg", "ACES2065-1", "ARRI LogC4", "ACEScct"])
def test_plate_to_working_space_and_back(colour, plate_space):
    """Plate values (scene-linear 0..8 within the working gamut, in the plate's own
    encoding) survive plate -> model working space -> plate within 1e-4 relative."""
    rng = np.random.default_rng(2)
    linear = (rng.random((64, 64, 3)) * 8).astype(np.float32)
    plate = colour.convert(linear, "Linear Rec.709 (sRGB)", plate_space)
    working = "sRGB Encoded Rec.709 (sRGB)"
    back = colour.convert(colour.convert(plate, plate_space, working), working, plate_space)
    np.testing.assert_allclose(back, plate, rtol=1e-4, atol=1e-6)


# --- absolute reference values, computed without OCIO (tests/colour_reference.py) -----------

def test_the_reference_matrices_match_the_aces_specification():
    """The primaries-and-Bradford derivation reproduces S-2014-004's printed AP1→AP0 matrix."""
    np.testing.assert_allclose(AP1_TO_AP0, AP1_TO_AP0_PUBLISHED, atol=1e-9)
    assert srgb_encode(0.0031308) == pytest.approx(12.92 * 0.0031308)
    assert srgb_encode(1.0) == pytest.approx(1.0)


def test_the_reference_lab_gives_the_published_values_of_the_srgb_primaries():
    """CIE L*a*b* (D65) of Rec.709 white and primaries, as published for sRGB (e.g. red
    53.24, 80.09, 67.20), from their ACEScg values."""
    published = {(1, 1, 1): (100.0, 0.0, 0.0), (1, 0, 0): (53.24, 80.09, 67.20),
                 (0, 1, 0): (87.73, -86.18, 83.18), (0, 0, 1): (32.30, 79.19, -107.86),
                 (0.18, 0.18, 0.18): (49.50, 0.0, 0.0)}
    for rec709, lab in published.items():
        acescg = REC709_TO_AP1 @ np.array(rec709, dtype=np.float64)
        np.testing.assert_allclose(acescg_to_lab(acescg), lab, atol=0.1)


def _matrix_of(colour, src, dst):
    """The 3x3 matrix a conversion applies, from its action on the unit vectors."""
    unit = np.eye(3, dtype=np.float32).reshape(3, 1, 3)
    return colour.convert(unit, src, dst).reshape(3, 3).T


def test_acescg_to_aces2065_is_the_published_matrix(colour):
    np.testing.assert_allclose(_matrix_of(colour, "ACEScg", "ACES2065-1"),
                               AP1_TO_AP0_PUBLISHED, atol=2e-7)
    np.testing.assert_allclose(_matrix_of(colour, "ACES2065-1", "ACEScg"),
                               np.linalg.inv(AP1_TO_AP0_PUBLISHED), atol=2e-6)


def test_acescg_to_the_srgb_working_space_follows_the_published_transforms(colour):
    """Rec.709 linear values through ACEScg (the reference's matrix) come out of OCIO as
    their sRGB encoding by the IEC formula."""
    rec709 = np.random.default_rng(3).uniform(0.001, 1.0, (32, 32, 3))
    acescg = (rec709 @ REC709_TO_AP1.T).astype(np.float32)
    encoded = colour.convert(acescg, "ACEScg", "sRGB Encoded Rec.709 (sRGB)")
    np.testing.assert_allclose(encoded, srgb_encode(rec709), atol=2e-5)
    np.testing.assert_allclose(colour.convert(encoded, "srgb_tx", "lin_ap1"), acescg, atol=2e-5)
    # 18% grey: ACEScg 0.18 is sRGB code value 0.4614 (118 of 255)
    grey = colour.convert(np.full((1, 1, 3), 0.18, np.float32), "ACEScg",
                          "sRGB Encoded Rec.709 (sRGB)")
    np.testing.assert_allclose(grey, 1.055 * 0.18 ** (1 / 2.4) - 0.055, atol=1e-5)
    assert round(float(grey[0, 0, 0]) * 255) == 118


@pytest.mark.parametrize("space, encode", [("ACEScct", acescct_encode),
                                           ("ARRI LogC4", logc4_encode)])
@pytest.mark.parametrize("linear", [0.001, 0.18, 1.0, 6.0])
def test_log_encodings_of_neutral_values_follow_their_specifications(colour, space, encode,
                                                                     linear):
    """Neutral ACEScg stays neutral in any gamut; the curve alone decides the code value
    (ACEScct 0.18 → 0.4136, LogC4 0.18 → 0.2784)."""
    value = colour.convert(np.full((1, 1, 3), linear, np.float32), "ACEScg", space)
    np.testing.assert_allclose(value.ravel(), [encode(linear)] * 3, atol=2e-5)


def test_18_percent_grey_on_the_default_review_display(colour):
    """The config's default display and view (ACES 2.0 SDR 100 nits on an sRGB display) put
    scene 18% grey at 10 nits (the ACES 2.0 tonescale's grey anchor, Lib.Academy.Tonescale):
    display-linear 0.1, sRGB code value 0.3492 (89 of 255)."""
    display, view = resolve_display_view(colour, None, None)
    assert (display, view) == ("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")
    grey = np.full((1, 1, 3), 0.18, np.float32)
    shown = to_display(grey, display_processor(colour, "ACEScg", display, view))
    np.testing.assert_allclose(shown.ravel(), [srgb_encode(0.1)] * 3, atol=5e-4)
    assert round(float(shown[0, 0, 0]) * 255) == 89


@pytest.mark.parametrize("shape", [(7, 13, 3), (5, 3), (1, 1, 3)])
@pytest.mark.parametrize("exact", [True, False])
def test_apply_rgb_gives_the_values_of_ocio_apply_rgb_in_place(colour, shape, exact):
    rng = np.random.default_rng(4)
    pixels = (rng.random(shape, dtype=np.float32) * 3 - 0.5).astype(np.float32)
    pixels.reshape(-1, 3)[0] = (np.nan, np.inf, -np.inf)
    processor = colour.processor("ACEScg", "sRGB Encoded Rec.709 (sRGB)", exact=exact)
    expected = pixels.copy()
    processor.applyRGB(expected)  # OCIO's own entry point, the reference
    out = pixels.copy()
    assert apply_rgb(processor, out) is out
    np.testing.assert_array_equal(out, expected)
    assert not np.array_equal(out, pixels, equal_nan=True)  # it did convert


@pytest.mark.parametrize("bad", [np.zeros((4, 6, 3), np.float32)[:, ::2],
                                 np.zeros((4, 4, 3), np.float64),
                                 np.zeros((4, 4, 4), np.float32)])
def test_apply_rgb_refuses_pixels_it_cannot_convert_in_place(colour, bad):
    processor = colour.processor("ACEScg", "sRGB Encoded Rec.709 (sRGB)")
    with pytest.raises(ValueError, match="C-contiguous float32"):
        apply_rgb(processor, bad)


def test_to_display_leaves_its_input_alone_and_shows_nan_as_black(colour):
    processor = display_processor(colour, "ACEScg", *resolve_display_view(colour, None, None))
    rgb = np.full((3, 4, 3), 0.18, np.float32)
    rgb[0, 0] = (np.nan, np.inf, 0.18)
    before = rgb.copy()
    shown = to_display(rgb, processor)
    np.testing.assert_array_equal(rgb, before)  # the caller's pixels, untouched
    expected = np.nan_to_num(before)
    processor.applyRGB(expected)  # OCIO's own entry point, the reference
    np.testing.assert_array_equal(shown, np.clip(expected, 0.0, 1.0))
    assert np.isfinite(shown).all()
