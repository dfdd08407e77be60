"""The colour package's parts one at a time: which config and why, canonical names and their
hints, exact and fast processors, the review display and view, the proxies' baked display
table, and the hosts' colourspace names. Expected values are written by hand, from the
published curves (tests/colour_reference.py) or from OpenColorIO's own transforms, never from
faceplate.ocio."""

from __future__ import annotations

import re

import numpy as np
import PyOpenColorIO as ocio
import pytest
from colour_reference import srgb_encode

from faceplate.errors import ColourError, SpecError
from faceplate.hosts.colour_names import NUKE_DEFAULT, RESOLVE, from_table
from faceplate.ocio import PINNED_CONFIG, ColourManager, resolve_config
from faceplate.ocio import display as display_module
from faceplate.ocio.colour import apply_rgb
from faceplate.ocio.config import ConfigChoice, choose_config, load_config
from faceplate.ocio.display import (
    bake_table,
    proxy_display_processor,
    resolve_display_view,
    table_key,
)

SDR = ("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")

# --- which config and why -------------------------------------------------------------------


def test_empty_names_fall_through_to_the_next_source():
    env = {"OCIO": "ocio://cg-config-v2.1.0_aces-v1.3_ocio-v2.3"}
    assert choose_config("", env) == ConfigChoice(env["OCIO"], "$OCIO")
    assert choose_config("", {"OCIO": ""}) == ConfigChoice(PINNED_CONFIG, "pinned")
    assert choose_config("ocio://x", {}) == ConfigChoice("ocio://x", "spec")


@pytest.mark.parametrize("name", ["default", "cg-config-latest", "studio-config-latest"])
def test_ocios_moving_names_load(name):
    config = load_config(ConfigChoice(f"ocio://{name}", "spec"))
    assert "ACEScg" in list(config.getColorSpaceNames())


def test_an_unknown_built_in_lists_the_built_ins_sorted():
    with pytest.raises(ColourError) as caught:
        load_config(ConfigChoice("ocio://studio-config-v9", "$OCIO"))
    message = str(caught.value)
    assert message.startswith("unknown built-in OCIO config 'ocio://studio-config-v9' "
                              "(from $OCIO); built-in configs: ")
    listed = message.split("built-in configs: ", 1)[1].split(", ")
    assert listed == sorted(listed) and PINNED_CONFIG.removeprefix("ocio://") in listed


def test_a_config_file_loads_and_a_broken_one_is_named(tmp_path):
    good = tmp_path / "studio.ocio"
    good.write_text(ocio.Config.CreateFromFile(PINNED_CONFIG).serialize())
    config = load_config(ConfigChoice(str(good), "spec"))
    assert "ACEScg" in list(config.getColorSpaceNames())
    broken = tmp_path / "broken.ocio"
    broken.write_text("ocio_profile_version: 2\nroles: [not, a, mapping\n")
    with pytest.raises(ColourError, match=re.escape(f"cannot load OCIO config '{broken}' "
                                                    "(from --ocio): ")):
        load_config(ConfigChoice(str(broken), "--ocio"))


def test_the_process_environment_is_read_when_none_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("OCIO", "ocio://cg-config-v2.1.0_aces-v1.3_ocio-v2.3")
    _, choice = resolve_config(None)
    assert choice == ConfigChoice("ocio://cg-config-v2.1.0_aces-v1.3_ocio-v2.3", "$OCIO")
    monkeypatch.delenv("OCIO")
    assert resolve_config(None)[1] == ConfigChoice(PINNED_CONFIG, "pinned")


# --- names, processors, conversions ---------------------------------------------------------


def test_an_unknown_colourspace_names_its_key_and_the_four_closest_names_and_aliases(colour):
    with pytest.raises(ColourError) as caught:
        colour.canonical("lin_ap", key="plate.colorspace")
    message = str(caught.value)
    assert message.startswith(f"plate.colorspace: unknown colourspace 'lin_ap' in "
                              f"{PINNED_CONFIG}; closest: lin_ap1, lin_ap0, ")  # aliases
    assert len(message.split("closest: ", 1)[1].split(", ")) == 4
    with pytest.raises(ColourError) as nothing_close:
        colour.canonical("zqxzqxzqx")
    assert str(nothing_close.value) == (f"colorspace: unknown colourspace 'zqxzqxzqx' in "
                                        f"{PINNED_CONFIG}")


def test_exact_processors_are_lossless_and_fast_ones_are_not_the_same(colour):
    """sRGB's curve: the exact processor within 5e-7 of IEC 61966-2-1; the fast one (OCIO's
    approximate power) within 2e-5, and not as close: two processors, each kept."""
    linear = np.exp2(np.linspace(-8.0, 0.0, 4096)).astype(np.float32)
    rgb = np.repeat(linear.reshape(64, 64, 1), 3, axis=2)
    reference = srgb_encode(rgb.astype(np.float64))
    src, dst = "Linear Rec.709 (sRGB)", "sRGB Encoded Rec.709 (sRGB)"
    exact = colour.convert(rgb, src, dst)
    fast = colour.convert(rgb, src, dst, exact=False)
    assert np.abs(exact - reference).max() < 5e-7
    assert 1e-6 < np.abs(fast - reference).max() < 2e-5
    assert colour.processor(src, dst) is not colour.processor(src, dst, exact=False)
    assert colour.processor(src, dst, exact=False) is colour.processor("lin_rec709_srgb",
                                                                       "srgb_tx", exact=False)


def test_convert_takes_rgb_of_rgba_and_copies_when_nothing_changes(colour):
    rgba = np.full((2, 3, 4), 0.18, np.float32)
    rgba[..., 3] = 0.5
    same = colour.convert(rgba, "ACEScg", "lin_ap1")
    assert same.shape == (2, 3, 3) and same.dtype == np.float32
    assert np.array_equal(same, rgba[..., :3]) and not np.shares_memory(same, rgba)
    encoded = colour.convert(rgba, "Linear Rec.709 (sRGB)", "sRGB Encoded Rec.709 (sRGB)")
    np.testing.assert_allclose(encoded, np.full((2, 3, 3), srgb_encode(0.18)), atol=5e-7)


@pytest.mark.parametrize("shape", [(3,), (0, 4, 3), (2, 2, 2, 3)])
def test_apply_rgb_converts_a_pixel_nothing_and_a_stack(colour, shape):
    processor = colour.processor("Linear Rec.709 (sRGB)", "sRGB Encoded Rec.709 (sRGB)")
    rgb = np.full(shape, 0.18, np.float32)
    assert apply_rgb(processor, rgb) is rgb
    np.testing.assert_allclose(rgb, np.full(shape, srgb_encode(0.18)), atol=5e-7)


def test_apply_rgb_refuses_fewer_than_three_channels(colour):
    processor = colour.processor("Linear Rec.709 (sRGB)", "sRGB Encoded Rec.709 (sRGB)")
    with pytest.raises(ValueError, match="C-contiguous float32 array of RGB pixels"):
        apply_rgb(processor, np.zeros((4, 4, 2), np.float32))


def test_a_header_names_the_colourspace_else_the_file_rules_do(colour):
    """oiio:ColorSpace first, then colorInteropID, each only if the config knows it
    (canonical), else the pinned config's file rules: EXR is ACES2065-1, other files
    the sRGB display."""
    header = colour.colourspace_from_header
    assert header({"oiio:ColorSpace": "lin_ap1", "colorInteropID": "srgb_tx"}, "a.exr") \
        == "ACEScg"
    assert header({"oiio:ColorSpace": "not a space", "colorInteropID": "srgb_tx"}, "a.exr") \
        == "sRGB Encoded Rec.709 (sRGB)"
    assert header({"oiio:ColorSpace": 3, "colorInteropID": "nope"}, "a.exr") == "ACES2065-1"
    assert header({}, "/shots/a.1001.png") == "sRGB - Display"


# --- the review display and the proxies' baked table ----------------------------------------


def test_a_display_without_a_view_gets_its_own_default_view(colour):
    assert resolve_display_view(colour, None, None) == SDR
    assert resolve_display_view(colour, "Rec.2100-PQ - Display", None) == \
        ("Rec.2100-PQ - Display", "ACES 2.0 - HDR 1000 nits (P3 D65)")
    assert resolve_display_view(colour, None, "Raw") == ("sRGB - Display", "Raw")


def test_an_unknown_display_or_view_names_its_key_and_what_the_config_offers(colour):
    keys = ("review.display", "review.view")
    with pytest.raises(ColourError) as display:
        resolve_display_view(colour, "sRGB", None, keys=keys)
    assert str(display.value).startswith("review.display: unknown display 'sRGB'; displays: "
                                         "sRGB - Display, Display P3 - Display, ")
    with pytest.raises(ColourError) as view:
        resolve_display_view(colour, "Rec.2100-HLG - Display", "ACES 2.0 - SDR 100 nits "
                             "(Rec.709)", keys=keys)
    assert str(view.value) == (
        "review.view: unknown view 'ACES 2.0 - SDR 100 nits (Rec.709)' for "
        "'Rec.2100-HLG - Display'; views: ACES 2.0 - HDR 1000 nits (P3 D65), "
        "Un-tone-mapped, Video (colorimetric), Raw")


def test_to_display_shows_rgb_of_rgba_clipped_to_0_to_1(colour):
    """The Raw view leaves values as they are: what comes out is only to_display's own
    work, the first three channels clipped to 0..1."""
    raw = colour.config.getProcessor(ocio.DisplayViewTransform(
        src="ACEScg", display="sRGB - Display", view="Raw")).getDefaultCPUProcessor()
    rgba = np.array([[[-0.5, 0.25, 2.0, 0.75], [1.0, -0.0, 0.5, 0.0]]], np.float32)
    shown = display_module.to_display(rgba, raw)
    np.testing.assert_array_equal(shown, [[[0.0, 0.25, 1.0], [1.0, 0.0, 0.5]]])


def test_a_table_key_is_32_hex_digits_of_what_the_table_depends_on(colour):
    key = table_key(colour, "ACEScg", *SDR)
    assert re.fullmatch("[0-9a-f]{32}", key)
    assert table_key(colour, "lin_ap1", *SDR) == key
    assert len({key, table_key(colour, "ACES2065-1", *SDR),
                table_key(colour, "ACEScg", "sRGB - Display", "Raw"),
                table_key(colour, "ACEScg", "Display P3 - Display", SDR[1]),
                table_key(ColourManager(colour.config, ConfigChoice("ocio://default", "spec")),
                          "ACEScg", *SDR)}) == 5


def _exact(colour, src, display, view):
    return colour.config.getProcessor(ocio.DisplayViewTransform(
        src=src, display=display, view=view)).getDefaultCPUProcessor()


def test_the_baked_table_holds_the_display_transform_on_the_log2_shaper_grid(colour):
    """Node (r, g, b) of the 65³ table (blue fastest) is the exact display transform of
    2 ** (-12 + 18 * i / 64) - 2 ** -14 per channel (OCIO's lg2 allocation over -12..6
    stops with offset 2 ** -14, inverted)."""
    table = bake_table(colour, "ACEScg", *SDR)
    assert table is not None and table.dtype == np.float32 and table.shape == (65 ** 3, 1, 3)
    nodes = [(0, 0, 0), (1, 1, 1), (20, 20, 20), (32, 32, 32), (64, 64, 64), (64, 0, 10),
             (3, 40, 17)]
    scene = np.array([[2.0 ** (-12 + 18 * i / 64) - 2.0 ** -14 for i in node] for node in nodes],
                     np.float32).reshape(-1, 1, 3)
    _exact(colour, "ACEScg", *SDR).applyRGB(scene)
    got = np.array([table[r * 65 * 65 + g * 65 + b] for r, g, b in nodes])
    np.testing.assert_allclose(got, scene, rtol=1e-5, atol=1e-7)


class _Store:
    """A TableStore in memory: what was saved under which key."""

    def __init__(self, tables: dict[str, np.ndarray]) -> None:
        self.tables = tables

    def load(self, key: str) -> np.ndarray | None:
        return self.tables.get(key)

    def save(self, key: str, table: np.ndarray) -> None:
        self.tables[key] = table


@pytest.mark.parametrize("stored", ["float64", "short", "nan"])
def test_a_damaged_stored_table_is_baked_again_and_stored_over(colour, stored):
    key = table_key(colour, "ACEScg", *SDR)
    table = np.zeros((65 ** 3, 1, 3), np.float32)
    bad = {"float64": table.astype(np.float64), "short": table[:-1],
           "nan": np.where(np.arange(3) == 1, np.nan, table).astype(np.float32)}[stored]
    store = _Store({key: bad})
    fresh = ColourManager(colour.config, colour.choice)
    processor = proxy_display_processor(fresh, "ACEScg", *SDR, tables=store)
    grey = np.full((1, 1, 3), 0.18, np.float32)
    processor.applyRGB(grey)  # 10 nits: sRGB code value 89 (test_ocio.py)
    assert round(float(grey[0, 0, 0]) * 255) == 89
    assert store.tables[key] is not bad and store.tables[key].shape == (65 ** 3, 1, 3)


def test_a_sound_stored_table_is_used_as_it_is(colour):
    key = table_key(colour, "ACEScg", *SDR)
    store = _Store({key: np.full((65 ** 3, 1, 3), 0.25, np.float32)})  # every colour: 0.25
    processor = proxy_display_processor(ColourManager(colour.config, colour.choice), "ACEScg",
                                         *SDR, tables=store)
    rgb = np.array([[[0.18, 0.5, 3.0]]], np.float32)
    processor.applyRGB(rgb)
    np.testing.assert_allclose(rgb, 0.25, atol=1e-6)


def _spike_config() -> ocio.Config:
    """A config whose views "spike 3" and "spike 4" are the proxies' log2 shaper followed by
    a fine 1D LUT (255 × 64 steps) that is the identity except a plateau h code values high
    around t = 128/255, between two of the 65 table nodes: the table, sampled at the nodes,
    is the identity; the exact transform shows the check grey at t = 128/255 (code value 128)
    as 128 + h, and misses nothing else by more."""
    config = ocio.Config.CreateRaw()
    config.addColorSpace(ocio.ColorSpace(name="scene"))
    steps = 255 * 64
    for h in (3, 4):
        values = np.repeat(np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)[:, None], 3, 1)
        values[128 * 64 - 8:128 * 64 + 9] += h / 255
        lut = ocio.Lut1DTransform(length=steps + 1)
        lut.setData(np.ascontiguousarray(values.ravel()))
        shaper = ocio.AllocationTransform(allocation=ocio.ALLOCATION_LG2,
                                          vars=[-12.0, 6.0, 2.0 ** -14])
        view = ocio.ColorSpace(name=f"spike {h}")
        view.setTransform(ocio.GroupTransform([shaper, lut]),
                          ocio.COLORSPACE_DIR_FROM_REFERENCE)
        config.addColorSpace(view)
        config.addDisplayView("Test", f"spike {h}", f"spike {h}")
    config.validate()
    return config


def test_a_table_missing_by_three_code_values_is_used_and_by_four_is_not():
    colour = ColourManager(_spike_config(), ConfigChoice("spikes.ocio", "spec"))
    grey = np.full((1, 1, 3), 2.0 ** (-12 + 18 * 128 / 255), np.float32)
    shown = {}
    for h in (3, 4):
        rgb = grey.copy()
        proxy_display_processor(colour, "scene", "Test", f"spike {h}").applyRGB(rgb)
        shown[h] = np.rint(rgb.ravel() * 255).tolist()
    assert shown == {3: [128] * 3, 4: [132] * 3}  # the table; the exact transform


def test_the_check_colours_are_greys_over_the_shaper_and_natural_colours():
    """4096 colours (a quarter of them grey), each channel within a stop of a level in -12..4
    stops, then 256 greys from 2 ** -12 to 2 ** 6 evenly in stops."""
    colours = display_module._check_colours()
    assert colours.shape == (4096 + 256, 1, 3) and colours.dtype == np.float32
    natural, greys = colours[:4096, 0], colours[4096:, 0]
    stops = np.log2(greys[:, 0].astype(np.float64))
    np.testing.assert_allclose(stops, np.linspace(-12.0, 6.0, 256), atol=1e-6)
    assert (greys == greys[:, :1]).all()
    spread = np.log2(natural.max(axis=1) / natural.min(axis=1))
    assert spread.max() <= 2.0 + 1e-5 and spread.max() > 1.9
    assert 0.2 < np.mean(spread == 0) < 0.3
    assert np.log2(natural.min()) >= -13.0 - 1e-5 and np.log2(natural.max()) <= 5.0 + 1e-5
    assert np.log2(natural.min()) < -12.5 and np.log2(natural.max()) > 4.5


def test_code_values_are_8_bit_clipped_and_rounded():
    values = np.array([-0.2, 0.0, 0.5, 2.4 / 255, 2.6 / 255, 1.0, 1.7])
    np.testing.assert_array_equal(display_module._codes(values),
                                  [0, 0, 128, 2, 3, 255, 255])  # 127.5 rounds to even


# --- the hosts' names -----------------------------------------------------------------------


def test_host_names_map_exactly_then_by_case_then_pass_through_unless_strict():
    assert from_table("Gamma2.2", NUKE_DEFAULT, strict=True, host="Nuke", key="k") == \
        "Gamma 2.2 Encoded Rec.709"
    assert from_table("LINEAR", RESOLVE, strict=True, host="Resolve", key="k") == \
        "Linear Rec.709 (sRGB)"
    assert from_table("aces2065_1", RESOLVE, strict=False, host="Resolve", key="k") == \
        "aces2065_1"
    with pytest.raises(SpecError) as caught:
        from_table("Cineon", NUKE_DEFAULT, strict=True, host="Nuke (nuke-default)",
                   key="colorspace")
    assert caught.value.key == "colorspace"
    assert "Nuke (nuke-default) colourspace 'Cineon' has no equivalent in faceplate's OCIO " \
        "config (mapped: linear, sRGB, rec709, Gamma1.8, Gamma2.2, Gamma2.4, raw); use an " \
        "OCIO config in Nuke (nuke-default)" in str(caught.value)
