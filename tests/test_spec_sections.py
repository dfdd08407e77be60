"""The spec's sections and the files beside it, without a shot: reviewer overrides (their YAML,
their words and their checks), pydantic's errors in faceplate's words, the frozen values, and
YAML read with its bounds. Expected values are written out by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import pytest
import yaml
from conftest import spec_dict
from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from faceplate.errors import SpecError, SpecErrors
from faceplate.spec import parse_spec
from faceplate.spec.farm_section import DeadlineOptions, OpenCueOptions, SlurmOptions
from faceplate.spec.overrides import Override, load_overrides, parse_set
from faceplate.spec.validation import custom, validate
from faceplate.spec.yamlfile import MAX_YAML_NODES, expanded_size, load_yaml

PLATE = tuple(range(1001, 1011))


def _load_entries(tmp_path: Path, *entries: dict) -> list[Override]:
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump({"schema": "faceplate.overrides/2",
                                    "overrides": list(entries)}))
    return load_overrides(path, PLATE)


def _refused(tmp_path: Path, entry: dict) -> SpecError:
    with pytest.raises(SpecError) as caught:
        _load_entries(tmp_path, entry)
    return caught.value


# --- overrides ---------------------------------------------------------------------------------

def test_each_decision_is_written_as_its_own_key_and_said_in_words():
    cases = [
        (Override((1002,), "skip"), {"frames": "1002", "skip": True},
         "skip (pass through unswapped)"),
        (Override((1004,), "hold", hold=1003), {"frames": "1004", "hold": 1003},
         "hold frame 1003's alignment"),
        (Override((1005, 1006), "set", values={"feather": 0.2, "erode": 0.05}),
         {"frames": "1005-1006", "set": {"feather": 0.2, "erode": 0.05}},
         "set erode=0.05, feather=0.2"),
        (Override((1007,), "approve"), {"frames": "1007", "approve": True},
         "approve as rendered"),
    ]
    for override, written, words in cases:
        assert override.as_yaml() == written
        assert override.what() == words


def test_a_file_of_every_kind_of_decision_reads_back_as_written(tmp_path):
    read = _load_entries(
        tmp_path,
        {"frames": "1002", "skip": True, "by": "ana"},
        {"frames": "1004", "hold": 1003},
        {"frames": "1005-1006", "set": {"feather": 0.2, "identity_amount": 1.0}},
        {"frames": "1007", "approve": True, "via": "review serve"})
    assert read == [
        Override((1002,), "skip", by="ana"),
        Override((1004,), "hold", hold=1003),
        Override((1005, 1006), "set", values={"feather": 0.2, "identity_amount": 1.0}),
        Override((1007,), "approve", via="review serve")]


def test_set_takes_key_value_pairs_and_refuses_anything_else():
    assert parse_set(["feather=0.2", " erode = 0.5 "]) == {"feather": 0.2, "erode": 0.5}
    for text in ("feather", "=0.2", " =0.2", "feather 0.2"):
        with pytest.raises(SpecError) as caught:
            parse_set([text], key="-s")
        assert caught.value.key == "-s" and "expected key=value" in caught.value.message


@pytest.mark.parametrize(("name", "high"), [("identity_amount", 1.0), ("feather", 1.0),
                                            ("erode", 0.5), ("blend_softness", 1.0)])
def test_each_settable_parameter_takes_its_range_and_nothing_past_it(name, high):
    assert parse_set([f"{name}=0"]) == {name: 0.0}
    assert parse_set([f"{name}={high / 2}"]) == {name: high / 2}
    assert parse_set([f"{name}={high}"]) == {name: high}
    for outside in (-0.01, high + 0.01, 1.5):
        with pytest.raises(SpecError) as caught:
            parse_set([f"{name}={outside}"])
        assert caught.value.key == f"--set.{name}"
        assert caught.value.message.endswith(f"{outside:g} is outside 0..{high:g}")


def test_a_set_value_that_is_not_a_number_is_named(tmp_path):
    error = _refused(tmp_path, {"frames": "1002", "set": {"feather": [0.2]}})
    assert error.key == "overrides[0].set.feather"
    assert "expected a number, got [0.2]" in error.message
    error = _refused(tmp_path, {"frames": "1002", "set": {"feather": "soft"}})
    assert "expected a number, got 'soft'" in error.message


def test_an_entry_needs_one_action_and_a_held_frame_of_the_plate(tmp_path):
    error = _refused(tmp_path, {"frames": "1002", "by": "ana"})
    assert error.key == "overrides[0]"
    assert "expected exactly one of skip, hold, set, approve" in error.message
    for hold in (999, "1003", True):
        error = _refused(tmp_path, {"frames": "1002", "hold": hold})
        assert error.key == "overrides[0].hold"


@pytest.mark.parametrize("frames", ["1003-1001", "", "soon"])
def test_an_entrys_bad_frames_are_named_by_its_frames_key(tmp_path, frames):
    entry = {"skip": True} if frames == "" else {"frames": frames, "skip": True}
    error = _refused(tmp_path, entry)
    assert error.key == "overrides[0].frames"
    assert error.message.startswith("overrides[0].frames: ")


def test_of_several_unknown_keys_the_first_in_order_is_named(tmp_path):
    error = _refused(tmp_path, {"frames": "1002", "skip": True, "who": "x", "note": "y"})
    assert error.key == "overrides[0].note"


# --- pydantic's errors in faceplate's words ----------------------------------------------------

@pytest.mark.parametrize(("section", "key", "allowed"), [
    ({"solve": {"smoothness": 3}}, "solve.smoothness",
     "beyond_yaw, max_gap, max_yaw, smoothing"),
    ({"farm": {"slurm": {"queue": "gpu"}}}, "farm.slurm.queue",
     "account, cpus, gres, mem, partition, time"),
])
def test_an_unknown_key_lists_the_keys_of_its_own_section(tmp_path, section, key, allowed):
    with pytest.raises(SpecError) as caught:
        parse_spec(spec_dict(**section), base=tmp_path)
    assert str(caught.value) == f"{key}: unknown key (allowed: {allowed})"


_FORBID = ConfigDict(extra="forbid")


@pydantic_dataclass(config=_FORBID)
class _Inner:
    size: int = 1


@pydantic_dataclass(config=_FORBID)
class _Outer:
    """A section built as sections may be: a nested section inside ``Annotated`` in a union,
    a list with a least length, a check of its own."""

    inner: Annotated[_Inner, Field(description="a nested section")] | None = None
    names: Annotated[list[str], Field(min_length=1)] = dataclasses.field(
        default_factory=lambda: ["a"])
    label: str = "x"

    @field_validator("label")
    @classmethod
    def _no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError("Spaces are not allowed")
        return value


@pytest.mark.parametrize(("data", "line"), [
    ({"inner": {"sise": 2}}, "sec.inner.sise: unknown key (allowed: size)"),
    ({"names": []}, "sec.names: list should have at least 1 item after validation, not 0"),
    ({"label": "a b"}, "sec.label: spaces are not allowed"),
    ({"label": 5}, "sec.label: expected a non-empty string"),
])
def test_other_errors_keep_pydantics_words_in_one_lower_case_line(data, line):
    with pytest.raises(SpecError) as caught:
        validate(_Outer, data, "sec")
    assert str(caught.value) == line


@pydantic_dataclass(config=_FORBID)
class _Pair:
    """Two keys checked together, each error naming the pair (``custom``'s ``key``), then a
    key of its own."""

    low: int = 0
    high: int = 1

    @model_validator(mode="before")
    @classmethod
    def _ordered(cls, data: dict) -> dict:
        problems = []
        if data.get("low", 0) < 0:
            problems.append("low below 0")
        if data.get("high", 1) > 10:
            problems.append("high above 10")
        if problems:
            raise custom(", ".join(problems), key="range")
        return data


def test_every_key_is_reported_once_and_the_keys_after_a_repeated_one_too():
    @pydantic_dataclass(config=_FORBID)
    class _Two:
        first: _Pair
        second: _Pair
        name: str = "x"

    with pytest.raises(SpecErrors) as caught:
        validate(_Two, {"first": {"low": -1}, "second": {"high": 11}, "name": 5}, "sec")
    assert [str(e) for e in caught.value.errors] == [
        "range: low below 0", "sec.name: expected a non-empty string"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("region_classes", [], "expected a non-empty list of names"),
    ("region_classes", ["skin", 3], "expected a non-empty list of names"),
    ("providers", "cpu", "expected a non-empty list of names"),
    ("providers", ["gpu"], "unknown ['gpu']; known: cpu, cuda, tensorrt"),
])
def test_the_models_name_lists_are_non_empty_lists_of_known_names(tmp_path, key, value,
                                                                   message):
    with pytest.raises(SpecError) as caught:
        parse_spec(spec_dict(models={key: value}), base=tmp_path)
    assert str(caught.value) == f"models.{key}: {message}"


def test_the_models_name_lists_are_read_in_lower_case(tmp_path):
    spec = parse_spec(spec_dict(models={"region_classes": ["Skin", "NOSE"],
                                        "providers": ["CPU"]}), base=tmp_path)
    assert spec.models.region_classes == ("skin", "nose")
    assert spec.models.providers == ("cpu",)


# --- frozen values -----------------------------------------------------------------------------

def test_the_specs_values_are_frozen(tmp_path):
    spec = parse_spec(spec_dict(farm={"slurm": {"cpus": 2}}), base=tmp_path)
    values = [spec, spec.plate, spec.sources["actor_a"], spec.swaps[0], spec.swaps[0].target,
              spec.output, spec.solve, spec.qc, spec.models, SlurmOptions(), DeadlineOptions(),
              OpenCueOptions(), Override((1001,), "skip")]
    for value in values:
        name = dataclasses.fields(value)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)


# --- bounded YAML ------------------------------------------------------------------------------

def test_expanded_size_counts_every_node_and_stops_one_past_the_limit():
    node = yaml.compose("a: &x [1, 2]\nb: *x\n")
    # the mapping, its two keys, and the list of two items twice (3 nodes each)
    assert expanded_size(node) == 1 + 2 + 3 + 3
    assert expanded_size(node, limit=9) == 9
    assert expanded_size(node, limit=8) == 9
    assert expanded_size(node, limit=5) == 6


def test_aliases_expanding_past_the_bound_are_refused(tmp_path):
    levels = ["l0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for depth in range(1, 5):
        levels.append(f"l{depth}: &a{depth} [{', '.join([f'*a{depth - 1}'] * 10)}]")
    # lists of 11, 111, 1111, 11111 and 111111 nodes, and the mapping with its 5 keys: 124471
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(levels) + "\n")
    assert MAX_YAML_NODES == 100_000
    with pytest.raises(SpecError, match=f"expands to more than {MAX_YAML_NODES} values"):
        load_yaml(path, "overrides file")
    path.write_text("\n".join(levels[:-1]) + "\n")  # 1 + 4 + 11 + 111 + 1111 + 11111 nodes
    assert load_yaml(path, "overrides file")["l3"] == [[[["x"] * 10] * 10] * 10] * 10


def test_a_folder_given_as_a_yaml_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="cannot read overrides file: Is a directory"):
        load_yaml(tmp_path, "overrides file")
