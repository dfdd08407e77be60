import numpy as np
import pytest

from faceplate.errors import ColourError
from faceplate.ocio import PINNED_CONFIG, resolve_config
from faceplate.ocio.config import choose_config


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
