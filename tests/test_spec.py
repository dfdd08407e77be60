import shutil

import pytest
from conftest import OBAMA, spec_dict, write_spec

from faceplate.errors import ColourError, SpecError
from faceplate.pipeline.preflight import check_spec_colourspaces
from faceplate.spec import check_inputs, load_spec


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "refs").mkdir()
    shutil.copyfile(OBAMA, tmp_path / "refs" / "actor_a.jpg")
    return tmp_path


def test_valid_spec_loads_with_absolute_paths(folder):
    spec = load_spec(write_spec(folder, spec_dict()))
    assert spec.shot == "tst010"
    assert spec.plate.frames == tuple(range(1001, 1009))
    assert spec.plate.path.frame(1001) == folder / "plates" / "tst010.1001.exr"
    assert spec.sources["actor_a"].images == (folder / "refs" / "actor_a.jpg",)
    assert spec.swaps[0].source == "actor_a" and spec.swaps[0].target.kind == "largest"
    assert spec.output.matte.frame(1002) == folder / "out" / "tst010_fp_matte.1002.exr"
    assert spec.output.qc == folder / "out" / "qc"
    assert spec.output.cache == folder / "out" / "qc" / "cache"


def test_printf_padding_and_reference_target(folder):
    data = spec_dict(swaps=[{"source": "actor_a", "target": {"reference": "refs/actor_a.jpg"}}])
    data["plate"]["path"] = "plates/tst010.%04d.exr"
    spec = load_spec(write_spec(folder, data))
    assert spec.plate.path.frame(1001).name == "tst010.1001.exr"
    assert spec.swaps[0].target.kind == "reference"
    assert spec.swaps[0].target.reference == folder / "refs" / "actor_a.jpg"


def test_relative_ocio_config_resolves_against_the_spec_folder_and_uris_stay(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)  # anywhere but the spec's folder
    spec = load_spec(write_spec(folder, spec_dict(ocio="colour/studio.ocio")))
    assert spec.ocio == str(folder / "colour" / "studio.ocio")
    uri = "ocio://studio-config-v4.0.0_aces-v2.0_ocio-v2.5"
    assert load_spec(write_spec(folder, spec_dict(ocio=uri))).ocio == uri


@pytest.mark.parametrize("mutate,key", [
    (lambda d: d.update(colour="x"), "colour"),
    (lambda d: d["plate"].update(colourspace="ACEScg"), "plate.colourspace"),
    (lambda d: d["output"].update(mattes="x"), "output.mattes"),
    (lambda d: d["sources"]["actor_a"].update(image="x"), "sources.actor_a.image"),
    (lambda d: d["swaps"][0].update(targets="largest"), "swaps[0].targets"),
])
def test_unknown_key_is_named(folder, mutate, key):
    data = spec_dict()
    mutate(data)
    with pytest.raises(SpecError) as err:
        load_spec(write_spec(folder, data))
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}: unknown key")
    assert "\n" not in str(err.value)


def test_missing_source_image_names_the_file(folder):
    data = spec_dict()
    data["sources"]["actor_a"]["images"] = ["refs/nobody.jpg"]
    with pytest.raises(SpecError) as err:
        check_inputs(load_spec(write_spec(folder, data)))
    assert err.value.key == "sources.actor_a.images[0]"
    assert "nobody.jpg" in str(err.value)


@pytest.mark.parametrize("key", ["path", "matte"])
def test_output_over_the_plate_is_refused(folder, key):
    data = spec_dict()
    data["output"][key] = "plates/tst010.%04d.exr"
    with pytest.raises(SpecError, match="would overwrite the plate") as err:
        check_inputs(load_spec(write_spec(folder, data)))
    assert err.value.key == f"output.{key}"


def test_matte_and_output_must_differ(folder):
    data = spec_dict()
    data["output"]["matte"] = data["output"]["path"]
    with pytest.raises(SpecError, match="same file as output.path"):
        check_inputs(load_spec(write_spec(folder, data)))


@pytest.mark.parametrize("mutate,key", [
    (lambda d: d.update(version=2), "version"),
    (lambda d: d["plate"].update(frames="soon"), "plate.frames"),
    (lambda d: d["plate"].pop("path"), "plate.path"),
    (lambda d: d["plate"].update(path="plates/no_token.exr"), "plate.path"),
    (lambda d: d["swaps"][0].update(source="actor_b"), "swaps[0].source"),
    (lambda d: d["swaps"][0].update(target="smallest"), "swaps[0].target"),
    (lambda d: d.update(swaps=[]), "swaps"),
    (lambda d: d.update(solve={"smoothing": -1}), "solve.smoothing"),
])
def test_bad_values_name_their_key(folder, mutate, key):
    data = spec_dict()
    mutate(data)
    with pytest.raises(SpecError) as err:
        load_spec(write_spec(folder, data))
    assert err.value.key == key


def test_missing_and_malformed_spec_files(tmp_path):
    with pytest.raises(SpecError, match="shot spec not found"):
        load_spec(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nplate: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML at line"):
        load_spec(bad)


def test_unknown_colourspace_lists_closest_names(folder, colour):
    data = spec_dict()
    data["plate"]["colorspace"] = "ACEScgg"
    spec = load_spec(write_spec(folder, data))
    with pytest.raises(ColourError) as err:
        check_spec_colourspaces(spec, colour)
    message = str(err.value)
    assert message.startswith("plate.colorspace: unknown colourspace 'ACEScgg'")
    assert "ACEScg" in message.split("closest:")[1]


def test_colourspace_aliases_are_accepted(folder, colour):
    data = spec_dict()
    data["plate"]["colorspace"] = "lin_ap1"
    data["sources"]["actor_a"]["colorspace"] = "srgb_tx"
    check_spec_colourspaces(load_spec(write_spec(folder, data)), colour)
    assert colour.canonical("lin_ap1") == "ACEScg"
