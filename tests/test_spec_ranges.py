"""The spec's range checks at their bounds (the last value accepted, the first refused, each
refusal naming its key), its shape and path checks, and the input files it names."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import spec_dict, write_spec

from faceplate.errors import SpecError
from faceplate.spec import DEFAULT_MATTE_CHANNEL, ShotSpec, check_inputs, load_spec


def _load(folder: Path, **sections: Any) -> ShotSpec:
    data = spec_dict()
    for name, value in sections.items():
        if name == "target":
            data["swaps"][0]["target"] = value
        elif isinstance(value, dict) and isinstance(data.get(name), dict):
            data[name].update(value)
        else:
            data[name] = value
    return load_spec(write_spec(folder, data))


def _refused(folder: Path, key: str, message: str, **sections: Any) -> None:
    with pytest.raises(SpecError) as err:
        _load(folder, **sections)
    assert err.value.key == key
    assert str(err.value) == f"{key}: {message}"


@pytest.mark.parametrize("track", [0, 3])
def test_a_track_target_takes_any_whole_number_from_zero(tmp_path, track):
    target = _load(tmp_path, target={"track": track}).swaps[0].target
    assert (target.kind, target.track) == ("track", track)


@pytest.mark.parametrize("track", [-1, 1.5, "2", True])
def test_a_track_target_refuses_anything_else(tmp_path, track):
    _refused(tmp_path, "swaps[0].target.track", "expected a track number >= 0",
             target={"track": track})


@pytest.mark.parametrize("yaw", [0.5, 60, 180])
def test_max_yaw_takes_degrees_up_to_180(tmp_path, yaw):
    assert _load(tmp_path, solve={"max_yaw": yaw}).solve.max_yaw == float(yaw)


@pytest.mark.parametrize("yaw", [0, -10, 180.5, True, "60"])
def test_max_yaw_refuses_what_is_not_in_0_to_180(tmp_path, yaw):
    _refused(tmp_path, "solve.max_yaw", "expected degrees in (0, 180]", solve={"max_yaw": yaw})


@pytest.mark.parametrize("name", ["smoothing", "max_gap"])
def test_frame_counts_take_zero_and_refuse_below(tmp_path, name):
    assert getattr(_load(tmp_path, solve={name: 0}).solve, name) == 0
    assert getattr(_load(tmp_path, solve={name: 4}).solve, name) == 4
    for bad in (-1, 1.5, True):
        _refused(tmp_path, f"solve.{name}", "expected a whole number of frames >= 0",
                 solve={name: bad})


def test_beyond_yaw_is_pass_or_hold(tmp_path):
    assert _load(tmp_path, solve={"beyond_yaw": "hold"}).solve.beyond_yaw == "hold"
    _refused(tmp_path, "solve.beyond_yaw", "expected 'pass' or 'hold'",
             solve={"beyond_yaw": "skip"})


def test_qc_thresholds_are_numbers(tmp_path):
    assert _load(tmp_path, qc={"max_seam": 5}).qc.max_seam == 5.0
    _refused(tmp_path, "qc.max_seam", "expected a number", qc={"max_seam": "5"})
    _refused(tmp_path, "qc.min_score", "expected a number", qc={"min_score": False})


@pytest.mark.parametrize("value, channel", [(True, DEFAULT_MATTE_CHANNEL), (False, None),
                                            (None, None), (" fp.matte ", "fp.matte")])
def test_matte_channel_values(tmp_path, value, channel):
    assert _load(tmp_path, output={"matte_channel": value}).output.matte_channel == channel


def test_the_cache_folder_is_the_specs_or_beside_the_qc(tmp_path):
    assert _load(tmp_path).output.cache == tmp_path / "out" / "qc" / "cache"
    cache = _load(tmp_path, output={"cache": "caches/sh010"}).output.cache
    assert cache == tmp_path / "caches" / "sh010"


def test_a_yaml_error_names_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nshot: sh010\nplate: [unclosed\n")
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    assert err.value.message.endswith("not valid YAML at line 4")


# --- shapes and strings ------------------------------------------------------------------

def test_a_spec_that_is_not_a_mapping_says_so(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- version: 1\n")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value) == "(top level): expected a mapping, got list"


@pytest.mark.parametrize("shot", ["", "  ", 5])
def test_names_are_non_empty_strings(tmp_path, shot):
    _refused(tmp_path, "shot", "expected a non-empty string", shot=shot)


@pytest.mark.parametrize("sources, key, message", [
    ({}, "sources", "expected a mapping of source names to {images: [...]}"),
    ({"actor_a": {"images": []}}, "sources.actor_a.images", "expected a list of image paths")])
def test_sources_and_their_images_may_not_be_empty(tmp_path, sources, key, message):
    data = spec_dict()
    data["sources"] = sources
    with pytest.raises(SpecError) as err:
        load_spec(write_spec(tmp_path, data))
    assert str(err.value) == f"{key}: {message}"


# --- paths -------------------------------------------------------------------------------

def test_outputs_anywhere_but_on_the_plate_are_accepted(tmp_path):
    """Output folders that sort before and after the plate's."""
    for folder in ("a_out", "zz_out"):
        spec = _load(tmp_path, output={"path": f"{folder}/x.####.exr",
                                       "matte": f"{folder}/m.####.exr"})
        assert spec.output.path.frame(1001) == tmp_path / folder / "x.1001.exr"


def test_check_inputs_passes_a_complete_spec_and_names_each_missing_file(tmp_path):
    shutil.copytree(Path(__file__).parent.parent / "faceplate" / "demo" / "data", tmp_path / "d")
    data = spec_dict()
    data["sources"]["actor_a"]["images"] = ["d/obama.jpg"]
    spec = load_spec(write_spec(tmp_path, data))
    assert check_inputs(spec) is spec
    data["swaps"][0]["target"] = {"reference": "refs/double.jpg"}
    with pytest.raises(SpecError) as err:
        check_inputs(load_spec(write_spec(tmp_path, data)))
    assert err.value.key == "swaps[0].target.reference"
    data["swaps"][0]["target"] = {"reference": "d/astronaut.png"}
    data["models"] = {"manifest": "studio/manifest.yaml"}
    with pytest.raises(SpecError) as err:
        check_inputs(load_spec(write_spec(tmp_path, data)))
    assert err.value.key == "models.manifest"
    assert str(err.value).startswith("models.manifest: file not found: ")


# --- what the outputs must spare, by real path ----------------------------------------------

def _spared(folder: Path, **sections: Any) -> str | None:
    """The refusal of a spec whose outputs would write an input (its key and message), or
    None."""
    from faceplate.spec.inputs import check_outputs_spare_inputs
    try:
        check_outputs_spare_inputs(_load(folder, **sections))
    except SpecError as err:
        return str(err)
    return None


def test_outputs_named_like_the_plate_in_another_folder_are_spared(tmp_path):
    assert _spared(tmp_path, output={"path": "out/tst010.####.exr"}) is None


def test_a_qc_folder_holding_the_spec_a_source_or_the_ocio_config_is_refused(tmp_path):
    away = {"plate": {"path": "../plates/tst010.####.exr"},
            "sources": {"actor_a": {"images": ["../refs/actor_a.jpg"],
                                    "colorspace": "sRGB Encoded Rec.709 (sRGB)"}}}
    spec = _spared(tmp_path / "shot", output={"qc": "."}, **away)
    assert spec is not None and spec.startswith("output.qc: the folder ")
    assert "holds the shot spec" in spec
    source = _spared(tmp_path / "b", output={"qc": "refs"})
    assert source is not None and "holds sources.actor_a.images[0]" in source
    config = _spared(tmp_path / "c", ocio=str(tmp_path / "c" / "out" / "qc" / "studio.ocio"))
    assert config is not None and config.startswith("output.qc:") and "holds ocio" in config
    assert _spared(tmp_path / "d", output={"cache": "refs"}).startswith("output.cache:")


def test_only_exr_output_takes_a_compression(tmp_path):
    _refused(tmp_path, "output.compression",
             "only EXR output takes a compression (other formats keep the plate's)",
             output={"path": "out/tst010_fp.####.png", "matte": None, "compression": "zip"})


def test_a_plugin_farms_section_must_be_a_mapping(tmp_path):
    _refused(tmp_path, "farm.renderq", "expected a mapping of options", farm={"renderq": 3})
