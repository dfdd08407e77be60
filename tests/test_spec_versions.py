"""Spec versions (one upgrade function per version), the one builder of spec data, and loading
that reads the YAML and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import spec_dict, write_spec

from faceplate.errors import SpecError
from faceplate.spec import SPEC_VERSION, check_inputs, load_spec, parse_spec, spec_data
from faceplate.spec.versions import upgrade, upgrade_function_for


def _rename_plate_path(data: dict) -> dict:
    data["plate"] = {"path": data["plate"].pop("file"), **data["plate"]}
    return data


def _add_nothing(data: dict) -> dict:
    return data


def test_an_old_spec_is_upgraded_one_version_at_a_time() -> None:
    steps = {2: _rename_plate_path, 3: _add_nothing}
    assert upgrade_function_for(2, steps) is _rename_plate_path
    assert upgrade_function_for(4, steps) is None
    old = {"version": 1, "plate": {"file": "p.####.exr", "frames": "1-2"}}
    new = upgrade(old, upgrades=steps, current=3)
    assert new == {"version": 3, "plate": {"path": "p.####.exr", "frames": "1-2"}}
    assert old["plate"] == {"file": "p.####.exr", "frames": "1-2"}  # the caller's data is kept
    same = {"version": 3, "shot": "x"}
    assert upgrade(same, upgrades=steps, current=3) == same


@pytest.mark.parametrize("version", [0, 2, "1", True, None])
def test_versions_this_faceplate_cannot_read_name_the_key(version: object) -> None:
    with pytest.raises(SpecError) as caught:
        upgrade({"version": version})
    assert caught.value.key == "version" and "this faceplate reads 1" in str(caught.value)


def test_a_missing_upgrade_step_is_an_error() -> None:
    with pytest.raises(SpecError, match="no upgrade from spec version 1 to 2"):
        upgrade({"version": 1}, upgrades={3: _add_nothing}, current=3)


def test_the_builder_writes_the_current_version_and_validates(tmp_path: Path) -> None:
    data = spec_data(shot="b010", plate="p/b010.####.exr", frames="1-3", sources={"a": "a.jpg"},
                     output="o/b010.####.exr", qc="o/qc", qc_settings={"max_seam": 4.0})
    assert data["version"] == SPEC_VERSION == 1
    assert data["sources"] == {"a": {"images": ["a.jpg"]}}
    assert data["swaps"] == [{"source": "a", "target": "largest"}]
    spec = parse_spec(data, base=tmp_path)
    assert spec.qc.max_seam == 4.0 and spec.output.qc == tmp_path / "o" / "qc"


def test_loading_reads_only_the_yaml(tmp_path: Path) -> None:
    data = spec_dict()
    data["sources"]["actor_a"]["images"] = ["refs/nobody.jpg"]
    data["output"]["compression"] = "bogus"     # checked by the pre-flight, not here
    data["models"] = {"manifest": "studio/manifest.yaml"}
    spec = load_spec(write_spec(tmp_path, data))
    assert spec.output.compression == "bogus"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.yaml"]
    with pytest.raises(SpecError) as caught:
        check_inputs(spec)
    assert caught.value.key == "sources.actor_a.images[0]"
    data["sources"]["actor_a"]["images"] = ["shot.yaml"]   # any file that exists
    with pytest.raises(SpecError) as caught:
        check_inputs(load_spec(write_spec(tmp_path, data)))
    assert caught.value.key == "models.manifest"
