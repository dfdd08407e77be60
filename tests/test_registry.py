"""Plugins by group and name (faceplate.registry): plugin files on FACEPLATE_PLUGIN_PATH come
first, then other distributions' entry points (unless switched off), then faceplate's own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faceplate.errors import SpecError
from faceplate.registry import DISABLE_VARIABLE, PATH_VARIABLE, discover, load, plugins

FARMS = "faceplate.farms"


def _plugin_file(path: Path, group: str, plugins: dict[str, str]) -> Path:
    path.write_text(json.dumps({group: plugins}), encoding="utf-8")
    return path


def test_faceplate_own_plugins_are_built_in() -> None:
    found = discover(FARMS, environ={})
    assert set(found) >= {"local", "slurm", "opencue", "deadline"}
    assert found["slurm"].target == "faceplate.farm.slurm:submit"
    assert found["slurm"].origin == "built in" and found["slurm"].distribution == "faceplate"
    assert found["local"].location.endswith(os.path.join("farm", "local.py"))


def test_a_plugin_file_adds_a_plugin_and_takes_precedence(tmp_path: Path) -> None:
    first = _plugin_file(tmp_path / "a.json", FARMS, {"slurm": "os.path:join", "mine": "os:getcwd"})
    second = _plugin_file(tmp_path / "b.json", FARMS, {"mine": "os:listdir"})
    env = {PATH_VARIABLE: os.pathsep.join([str(first), str(second)])}
    found = discover(FARMS, environ=env)
    assert found["slurm"].target == "os.path:join" and found["slurm"].origin == "plugin file"
    assert found["mine"].target == "os:getcwd"          # the first file on the path wins
    assert found["mine"].distribution == str(first)
    assert found["local"].origin == "built in"          # the others are still there
    assert load(FARMS, "mine", environ=env) is os.getcwd
    assert load(FARMS, "slurm", environ=env) is os.path.join
    assert [p.name for p in plugins((FARMS,), environ=env)] == sorted(found)


def test_the_switch_leaves_faceplate_own_plugins_on(tmp_path: Path) -> None:
    plugin = _plugin_file(tmp_path / "a.json", FARMS, {"mine": "os:getcwd"})
    found = discover(FARMS, environ={DISABLE_VARIABLE: "1", PATH_VARIABLE: str(plugin)})
    assert {"local", "slurm", "mine"} <= set(found)
    assert all(p.origin in ("built in", "plugin file") for p in found.values())


def test_a_bad_plugin_file_or_target_is_a_one_line_spec_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        discover(FARMS, environ={PATH_VARIABLE: str(broken)})
    assert caught.value.key == PATH_VARIABLE and "broken.json" in str(caught.value)
    missing = _plugin_file(tmp_path / "m.json", FARMS, {"ghost": "no_such_module_here:submit"})
    with pytest.raises(SpecError, match="does not load") as caught:
        load(FARMS, "ghost", key="--farm", environ={PATH_VARIABLE: str(missing)})
    assert caught.value.key == "--farm" and "\n" not in str(caught.value)
    with pytest.raises(SpecError, match="unknown farm 'nowhere'; known: .*local"):
        load(FARMS, "nowhere", environ={})
